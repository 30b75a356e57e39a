// The configuration: defaults for `npm start`, what production refuses (naming each key), and bad
// values named with the reason.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { describeConfigProblem, translator } from '../../app/i18n.ts';
import { CONFIG_PROBLEM_REASONS, ConfigError, loadConfig, type ConfigProblem, type Env } from '../../config/index.ts';

/** The problems, each with the English wording IT reads (`message`). */
function problemsOf(env: Env): (ConfigProblem & { message: string })[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => ({ ...p, message: describeConfigProblem(translator('en'), p) }));
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

const keysOf = (problems: ConfigProblem[]) => problems.map((p) => p.key).sort();

const PRODUCTION: Env = {
  NODE_ENV: 'production',
  ISSUER: 'https://sso.example.ac.jp',
  DATABASE_URL: 'postgres://sekisho@db.example.ac.jp/sekisho',
  SEKISHO_SECRET_KEY: randomBytes(32).toString('base64'),
  SEKISHO_COOKIE_KEYS: 'cookie-key-one-0123456789,cookie-key-two-0123456789',
  TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_AUTH_TOKEN: 'twilio-auth-token-0123456789',
  TWILIO_FROM: '+815012345678',
};

describe('defaults', () => {
  const config = loadConfig({});

  it('listens on port 3000 with the issuer http://localhost:3000', () => {
    expect(config.port).toBe(3000);
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.publicUrl).toBe('http://localhost:3000');
  });

  it('keeps data in ./data and uses the embedded PGlite (no DATABASE_URL)', () => {
    expect(config.dataDir).toBe(resolve('./data'));
    expect(config.databaseUrl).toBeUndefined();
  });

  it('is development with TOTP SHA-1, 6 digits, 30 s, MFA required, phones on', () => {
    expect(config.env).toBe('development');
    expect(config.totp).toEqual({ algorithm: 'SHA1', digits: 6, period: 30, issuer: 'Sekisho' });
    expect(config.mfa).toBe('required');
    expect(config.phone.methods).toEqual(['sms', 'voice']);
    expect(config.phone.sender).toBe('console');
    expect(config.trustProxy).toBe(false);
  });

  it('the issuer follows PORT and loses a trailing slash', () => {
    expect(loadConfig({ PORT: '8080' }).issuer).toBe('http://localhost:8080');
    expect(loadConfig({ ISSUER: 'https://sso.example.ac.jp/' }).issuer).toBe('https://sso.example.ac.jp');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).port).toBe(3000);
  });

  it('lists what production would refuse without refusing outside production', () => {
    expect(keysOf(loadConfig({}).productionProblems)).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'ISSUER', 'SEKISHO_COOKIE_KEYS', 'SEKISHO_SECRET_KEY']),
    );
  });
});

describe('production', () => {
  it('starts with every secret it needs', () => {
    const config = loadConfig(PRODUCTION);
    expect(config.env).toBe('production');
    expect(config.secretKey?.key.length).toBe(32);
    expect(config.cookieKeys).toHaveLength(2);
    expect(config.phone.sender).toBe('twilio');
    expect(config.productionProblems).toEqual([]);
  });

  it('refuses to start with nothing set and names each missing secret', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(keysOf(problems)).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'ISSUER', 'SEKISHO_COOKIE_KEYS', 'SEKISHO_SECRET_KEY', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM']),
    );
    for (const p of problems) expect(p.message).toMatch(/\S/);
  });

  it.each(['SEKISHO_SECRET_KEY', 'SEKISHO_COOKIE_KEYS', 'ISSUER', 'DATABASE_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'])(
    'without %s it refuses and names exactly that key',
    (key) => {
      const env = { ...PRODUCTION, [key]: undefined };
      const problems = problemsOf(env);
      // Without an issuer, Twilio's webhook address is unknown too.
      expect(keysOf(problems)).toEqual(key === 'ISSUER' ? ['ISSUER', 'SEKISHO_PUBLIC_URL'] : [key]);
      for (const p of problems) expect(p.message).toMatch(/required in production/);
    },
  );

  it('refuses an http issuer and says it must be https', () => {
    const problems = problemsOf({ ...PRODUCTION, ISSUER: 'http://sso.example.ac.jp' });
    expect(problems).toEqual([{ key: 'ISSUER', reason: 'productionHttps', message: expect.stringMatching(/https/) }]);
  });

  it('refuses the console phone sender', () => {
    expect(keysOf(problemsOf({ ...PRODUCTION, SEKISHO_PHONE_SENDER: 'console' }))).toEqual(['SEKISHO_PHONE_SENDER']);
  });

  it('with phone methods switched off (SEKISHO_PHONE_METHODS=none) it starts without Twilio', () => {
    const { TWILIO_ACCOUNT_SID: _sid, TWILIO_AUTH_TOKEN: _token, TWILIO_FROM: _from, ...noTwilio } = PRODUCTION;
    const config = loadConfig({ ...noTwilio, SEKISHO_PHONE_METHODS: 'none' });
    expect(config.phone.methods).toEqual([]);
    expect(config.phone.twilio).toBeUndefined();
    expect(config.productionProblems).toEqual([]);
  });
});

describe('phone methods', () => {
  it.each([
    ['none', []],
    ['sms', ['sms']],
    ['voice', ['voice']],
    ['sms, voice', ['sms', 'voice']],
  ])('SEKISHO_PHONE_METHODS=%j → %j', (value, expected) => {
    expect(loadConfig({ SEKISHO_PHONE_METHODS: value }).phone.methods).toEqual(expected);
  });

  it.each(['fax', 'sms,none', 'SMS'])('refuses %j and names the key', (value) => {
    const problems = problemsOf({ SEKISHO_PHONE_METHODS: value });
    expect(problems).toEqual([{ key: 'SEKISHO_PHONE_METHODS', reason: 'phoneMethods', message: expect.stringMatching(/sms.*voice.*none/) }]);
  });
});

describe('bad values name the key and why', () => {
  it.each<[string, Env, RegExp]>([
    ['PORT', { PORT: 'abc' }, /whole number from 0 to 65535/],
    ['PORT', { PORT: '70000' }, /whole number from 0 to 65535/],
    ['PORT', { PORT: '80.5' }, /whole number/],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://db.example.ac.jp/sekisho' }, /postgres:\/\//],
    ['SEKISHO_SECRET_KEY', { SEKISHO_SECRET_KEY: randomBytes(16).toString('base64') }, /32 bytes/],
    ['SEKISHO_TOTP_DIGITS', { SEKISHO_TOTP_DIGITS: '7' }, /6 or 8/],
    ['SEKISHO_TOTP_DIGITS', { SEKISHO_TOTP_DIGITS: 'six' }, /6 or 8/],
    ['SEKISHO_TOTP_PERIOD', { SEKISHO_TOTP_PERIOD: '45' }, /30 or 60/],
    ['ISSUER', { ISSUER: 'ftp://sso.example.ac.jp' }, /\S/],
    ['TWILIO_ACCOUNT_SID', { TWILIO_ACCOUNT_SID: 'SK123' }, /AC followed by 32 hex/],
    ['TWILIO_FROM', { TWILIO_FROM: '090-1234-5678' }, /E\.164/],
    ['SEKISHO_LDAP_URL', { SEKISHO_LDAP_URL: 'http://ldap.example.ac.jp' }, /ldap:\/\//],
    ['SEKISHO_LDAP_BASE_DN', { SEKISHO_LDAP_URL: 'ldap://ldap.example.ac.jp' }, /SEKISHO_LDAP_URL/],
    ['SEKISHO_OLD_SECRET_KEYS', { SEKISHO_OLD_SECRET_KEYS: 'k0:short' }, /id:base64key/],
    ['SEKISHO_TRUST_PROXY', { SEKISHO_TRUST_PROXY: 'maybe' }, /\S/],
  ])('%s: %j', (key, env, why) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.key).toBe(key);
    expect(problems[0]!.message).toMatch(why);
  });

  it('reports every bad key at once, and the error message names each', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', SEKISHO_TOTP_DIGITS: '7' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(keysOf(error!.problems)).toEqual(['DATABASE_URL', 'PORT', 'SEKISHO_TOTP_DIGITS']);
    for (const key of ['PORT', 'DATABASE_URL', 'SEKISHO_TOTP_DIGITS']) expect(error!.message).toContain(key);
  });

  it.each<[Env, Omit<ConfigProblem, 'key'>]>([
    [{ SEKISHO_MFA: 'sometimes' }, { reason: 'oneOf', params: { values: 'required, optional' } }],
    [{ ISSUER: 'not a url' }, { reason: 'url' }],
    [{ SEKISHO_TOTP_ISSUER: 'x'.repeat(65) }, { reason: 'tooLong', params: { max: 64 } }],
    [{ TWILIO_AUTH_TOKEN: 'short' }, { reason: 'tooShort', params: { min: 8 } }],
    [{ SEKISHO_METRICS_TOKEN: 'short' }, { reason: 'tooShort', params: { min: 16 } }],
    [{ SEKISHO_TRUST_PROXY: 'maybe' }, { reason: 'boolean' }],
  ])('zod\'s own checks become reasons with their values too: %j', (env, expected) => {
    expect(problemsOf(env)).toEqual([expect.objectContaining({ key: Object.keys(env)[0], ...expected })]);
  });

  it('every reason reads in Japanese and in English, with its values filled in', () => {
    for (const reason of CONFIG_PROBLEM_REASONS) {
      for (const lang of ['ja', 'en'] as const) {
        const text = describeConfigProblem(translator(lang), { key: 'X', reason, params: { min: 1, max: 2, values: 'a, b' } });
        expect(text).not.toContain('config.problems');
        expect(text).not.toMatch(/\{\{/);
      }
    }
    const ja = describeConfigProblem(translator('ja'), { key: 'PORT', reason: 'wholeNumber', params: { min: 0, max: 65535 } });
    expect(ja).toBe('0 から 65535 までの整数を指定してください');
  });

  it('accepts a valid 32-byte key and keeps older keys for opening old secrets', () => {
    const old = randomBytes(32).toString('base64');
    const config = loadConfig({ SEKISHO_SECRET_KEY: randomBytes(32).toString('base64'), SEKISHO_SECRET_KEY_ID: 'k2', SEKISHO_OLD_SECRET_KEYS: `k1:${old}` });
    expect(config.secretKey?.id).toBe('k2');
    expect(config.oldSecretKeys.map((k) => k.id)).toEqual(['k1']);
  });
});
