// The one place that reads the environment. Everything else receives a validated Config.
import { resolve } from 'node:path';
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

/** One problem with the configuration, naming the variable and why. */
export interface ConfigProblem {
  key: string;
  message: string;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.key}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const int = (min: number, max: number) => {
  const why = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number(why).int(why).min(min, why).max(max, why);
};
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const base64Key = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  SEKISHO_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  SEKISHO_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional(),
  SEKISHO_TRUST_PROXY: bool.default(false),
  SEKISHO_SECRET_KEY: base64Key.optional(),
  SEKISHO_SECRET_KEY_ID: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and - only (1–32)').default('k1'),
  SEKISHO_OLD_SECRET_KEYS: z.string().optional(),
  SEKISHO_COOKIE_KEYS: list.optional(),
  SEKISHO_MFA: z.enum(['required', 'optional']).default('required'),
  SEKISHO_DEMO: bool.optional(),
  SEKISHO_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  SEKISHO_TOTP_ALGORITHM: z.enum(['SHA1', 'SHA256', 'SHA512']).default('SHA1'),
  SEKISHO_TOTP_DIGITS: z.coerce.number('must be 6 or 8').pipe(z.union([z.literal(6), z.literal(8)], 'must be 6 or 8')).default(6),
  SEKISHO_TOTP_PERIOD: z.coerce.number('must be 30 or 60 (seconds)').pipe(z.union([z.literal(30), z.literal(60)], 'must be 30 or 60 (seconds)')).default(30),
  SEKISHO_TOTP_ISSUER: z.string().min(1).max(64).default('Sekisho'),
  SEKISHO_LOCKOUT_THRESHOLD: int(1, 1000).default(5),
  SEKISHO_LOCKOUT_SECONDS: int(1, 86400).default(60),
  SEKISHO_POSTS_PER_MINUTE_PER_IP: int(1, 1_000_000).default(600),
  // 'none' switches phones off, so a site without Twilio can run in production.
  SEKISHO_PHONE_METHODS: list
    .transform((v) => (v.length === 1 && v[0] === 'none' ? [] : v))
    .pipe(z.array(z.enum(['sms', 'voice'], 'a comma-separated list of sms and voice, or none')))
    .default(['sms', 'voice']),
  SEKISHO_PHONE_SENDER: z.enum(['console', 'twilio']).optional(),
  SEKISHO_PHONE_COUNTRIES: list.pipe(z.array(z.string().regex(/^[A-Z]{2}$/, 'ISO country codes like JP'))).default(['JP']),
  SEKISHO_PHONE_DEFAULT_COUNTRY: z.string().regex(/^[A-Z]{2}$/, 'an ISO country code like JP').default('JP'),
  SEKISHO_SMS_LIMIT_USER: int(1, 1000).default(5),
  SEKISHO_SMS_LIMIT_NUMBER: int(1, 1000).default(5),
  SEKISHO_SMS_LIMIT_COUNTRY: int(1, 1_000_000).default(1000),
  SEKISHO_SMS_RESEND_SECONDS: int(0, 3600).default(30),
  SEKISHO_VOICE_MODE: z.enum(['press', 'read']).default('press'),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'an Account SID: AC followed by 32 hex digits').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(8).optional(),
  TWILIO_FROM: z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as +815012345678').optional(),
  TWILIO_API_BASE: z.url({ protocol: /^https?$/ }).optional(),
  SEKISHO_TWILIO_TIMEOUT_MS: int(100, 60000).default(8000),
  SEKISHO_BACKUP_CODE_FORMAT: z.enum(['digits', 'strong']).default('digits'),
  SEKISHO_LDAP_URL: z.string().regex(/^ldaps?:\/\//, 'must start with ldap:// or ldaps://').optional(),
  SEKISHO_LDAP_BIND_DN: z.string().optional(),
  SEKISHO_LDAP_BIND_PASSWORD: z.string().optional(),
  SEKISHO_LDAP_BASE_DN: z.string().optional(),
  SEKISHO_LDAP_USER_FILTER: z.string().includes('{username}', { message: 'must contain {username}' }).default('(uid={username})'),
  SEKISHO_LDAP_ATTR_EMAIL: z.string().default('mail'),
  SEKISHO_LDAP_ATTR_NAME: z.string().default('cn'),
  SEKISHO_LDAP_ATTR_LOCALE: z.string().default('preferredLanguage'),
  SEKISHO_LDAP_TIMEOUT_MS: int(100, 60000).default(3000),
  SEKISHO_REGISTRATION: bool.default(false),
  SEKISHO_METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  SEKISHO_BACKCHANNEL_PRIVATE_HOSTS: list.default([]),
  SEKISHO_AUDIT_RETENTION_DAYS: int(1, 3650).default(400),
  SEKISHO_ACR_REFEDS_PHISHING_RESISTANT: z.url().default('https://refeds.org/profile/mfa/phishing-resistant'),
});

type Raw = z.infer<typeof schema>;

export interface LdapConfig {
  url: string;
  bindDn?: string;
  bindPassword?: string;
  baseDn: string;
  userFilter: string;
  attributes: { email: string; name: string; locale: string };
  timeoutMs: number;
}

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  from: string;
  apiBase?: string;
  timeoutMs: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  issuer: string;
  /** Base URL Twilio reaches for webhooks (the public https address in production). */
  publicUrl: string;
  dataDir: string;
  databaseUrl?: string;
  trustProxy: boolean;
  secretKey?: { id: string; key: Buffer };
  oldSecretKeys: { id: string; key: Buffer }[];
  cookieKeys?: string[];
  mfa: 'required' | 'optional';
  demo: boolean;
  logLevel: Raw['SEKISHO_LOG_LEVEL'];
  totp: { algorithm: 'SHA1' | 'SHA256' | 'SHA512'; digits: 6 | 8; period: 30 | 60; issuer: string };
  lockout: { threshold: number; seconds: number };
  /** Ceiling on sign-in form submissions per client address per minute. */
  postsPerMinutePerIp: number;
  phone: {
    methods: ('sms' | 'voice')[];
    sender: 'console' | 'twilio';
    allowedCountries: string[];
    defaultCountry: string;
    limits: { perUserPerHour: number; perNumberPerHour: number; perCountryPerHour: number };
    resendSeconds: number;
    voiceMode: 'press' | 'read';
    twilio?: TwilioConfig;
  };
  backupCodeFormat: 'digits' | 'strong';
  ldap?: LdapConfig;
  registration: boolean;
  /** Bearer token for /metrics from other hosts; without it only loopback may read them. */
  metricsToken?: string;
  /** Hosts on private networks (a campus Keycloak) that back-channel logout may reach. */
  backchannelPrivateHosts: string[];
  auditRetentionDays: number;
  acrPhishingResistant: string;
  /** What production would refuse; empty outside production means "would start". */
  productionProblems: ConfigProblem[];
}

function parseOldKeys(value: string | undefined, problems: ConfigProblem[]): { id: string; key: Buffer }[] {
  if (!value) return [];
  return value.split(',').flatMap((pair) => {
    const [id, b64] = pair.split(':');
    const key = Buffer.from(b64 ?? '', 'base64');
    if (!id || key.length !== 32) {
      problems.push({ key: 'SEKISHO_OLD_SECRET_KEYS', message: 'must be id:base64key pairs separated by commas' });
      return [];
    }
    return [{ id, key }];
  });
}

function productionChecks(raw: Raw): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const missing = (key: string, why: string) => problems.push({ key, message: `required in production: ${why}` });
  if (!raw.SEKISHO_SECRET_KEY) missing('SEKISHO_SECRET_KEY', 'encrypts TOTP keys and private keys at rest');
  if (!raw.SEKISHO_COOKIE_KEYS?.length) missing('SEKISHO_COOKIE_KEYS', 'signs session cookies');
  if (!raw.ISSUER) missing('ISSUER', 'the public https URL relying parties use');
  else if (!raw.ISSUER.startsWith('https://')) problems.push({ key: 'ISSUER', message: 'must be https in production' });
  if (!raw.DATABASE_URL) missing('DATABASE_URL', 'production runs on PostgreSQL, not the embedded PGlite');
  if (raw.SEKISHO_PHONE_METHODS.length > 0) {
    if (raw.SEKISHO_PHONE_SENDER === 'console') {
      problems.push({ key: 'SEKISHO_PHONE_SENDER', message: 'the console sender is for development only' });
    }
    if (!raw.TWILIO_ACCOUNT_SID) missing('TWILIO_ACCOUNT_SID', 'phone methods are enabled (SEKISHO_PHONE_METHODS)');
    if (!raw.TWILIO_AUTH_TOKEN) missing('TWILIO_AUTH_TOKEN', 'phone methods are enabled (SEKISHO_PHONE_METHODS)');
    if (!raw.TWILIO_FROM) missing('TWILIO_FROM', 'phone methods are enabled (SEKISHO_PHONE_METHODS)');
    if (!raw.SEKISHO_PUBLIC_URL && !raw.ISSUER) missing('SEKISHO_PUBLIC_URL', 'Twilio must reach the webhooks');
  }
  return problems;
}

/** Reads the environment into a Config; throws ConfigError naming every bad or missing key. */
export function loadConfig(env: Env = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ key: String(i.path[0] ?? '?'), message: i.message })),
    );
  }
  const raw = parsed.data;
  const problems: ConfigProblem[] = [];
  const oldSecretKeys = parseOldKeys(raw.SEKISHO_OLD_SECRET_KEYS, problems);
  if (raw.SEKISHO_LDAP_URL && !raw.SEKISHO_LDAP_BASE_DN) {
    problems.push({ key: 'SEKISHO_LDAP_BASE_DN', message: 'required when SEKISHO_LDAP_URL is set' });
  }
  const twilioSet = raw.TWILIO_ACCOUNT_SID && raw.TWILIO_AUTH_TOKEN && raw.TWILIO_FROM;
  if (raw.SEKISHO_PHONE_SENDER === 'twilio' && !twilioSet) {
    problems.push({ key: 'TWILIO_ACCOUNT_SID', message: 'SEKISHO_PHONE_SENDER=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM' });
  }
  const productionProblems = productionChecks(raw);
  if (raw.NODE_ENV === 'production') problems.push(...productionProblems);
  if (problems.length) throw new ConfigError(problems);

  const issuer = (raw.ISSUER ?? `http://localhost:${raw.PORT}`).replace(/\/$/, '');
  return {
    env: raw.NODE_ENV,
    port: raw.PORT,
    host: raw.HOST,
    issuer,
    publicUrl: (raw.SEKISHO_PUBLIC_URL ?? issuer).replace(/\/$/, ''),
    dataDir: resolve(raw.SEKISHO_DATA_DIR),
    databaseUrl: raw.DATABASE_URL,
    trustProxy: raw.SEKISHO_TRUST_PROXY,
    secretKey: raw.SEKISHO_SECRET_KEY
      ? { id: raw.SEKISHO_SECRET_KEY_ID, key: Buffer.from(raw.SEKISHO_SECRET_KEY, 'base64') }
      : undefined,
    oldSecretKeys,
    cookieKeys: raw.SEKISHO_COOKIE_KEYS,
    mfa: raw.SEKISHO_MFA,
    demo: raw.SEKISHO_DEMO ?? raw.NODE_ENV === 'development',
    logLevel: raw.SEKISHO_LOG_LEVEL,
    totp: {
      algorithm: raw.SEKISHO_TOTP_ALGORITHM,
      digits: raw.SEKISHO_TOTP_DIGITS,
      period: raw.SEKISHO_TOTP_PERIOD,
      issuer: raw.SEKISHO_TOTP_ISSUER,
    },
    lockout: { threshold: raw.SEKISHO_LOCKOUT_THRESHOLD, seconds: raw.SEKISHO_LOCKOUT_SECONDS },
    postsPerMinutePerIp: raw.SEKISHO_POSTS_PER_MINUTE_PER_IP,
    phone: {
      methods: raw.SEKISHO_PHONE_METHODS,
      sender: raw.SEKISHO_PHONE_SENDER ?? (twilioSet ? 'twilio' : 'console'),
      allowedCountries: raw.SEKISHO_PHONE_COUNTRIES,
      defaultCountry: raw.SEKISHO_PHONE_DEFAULT_COUNTRY,
      limits: {
        perUserPerHour: raw.SEKISHO_SMS_LIMIT_USER,
        perNumberPerHour: raw.SEKISHO_SMS_LIMIT_NUMBER,
        perCountryPerHour: raw.SEKISHO_SMS_LIMIT_COUNTRY,
      },
      resendSeconds: raw.SEKISHO_SMS_RESEND_SECONDS,
      voiceMode: raw.SEKISHO_VOICE_MODE,
      twilio: twilioSet
        ? {
            accountSid: raw.TWILIO_ACCOUNT_SID!,
            authToken: raw.TWILIO_AUTH_TOKEN!,
            from: raw.TWILIO_FROM!,
            apiBase: raw.TWILIO_API_BASE,
            timeoutMs: raw.SEKISHO_TWILIO_TIMEOUT_MS,
          }
        : undefined,
    },
    backupCodeFormat: raw.SEKISHO_BACKUP_CODE_FORMAT,
    ldap: raw.SEKISHO_LDAP_URL
      ? {
          url: raw.SEKISHO_LDAP_URL,
          bindDn: raw.SEKISHO_LDAP_BIND_DN,
          bindPassword: raw.SEKISHO_LDAP_BIND_PASSWORD,
          baseDn: raw.SEKISHO_LDAP_BASE_DN!,
          userFilter: raw.SEKISHO_LDAP_USER_FILTER,
          attributes: {
            email: raw.SEKISHO_LDAP_ATTR_EMAIL,
            name: raw.SEKISHO_LDAP_ATTR_NAME,
            locale: raw.SEKISHO_LDAP_ATTR_LOCALE,
          },
          timeoutMs: raw.SEKISHO_LDAP_TIMEOUT_MS,
        }
      : undefined,
    registration: raw.SEKISHO_REGISTRATION,
    metricsToken: raw.SEKISHO_METRICS_TOKEN,
    backchannelPrivateHosts: raw.SEKISHO_BACKCHANNEL_PRIVATE_HOSTS,
    auditRetentionDays: raw.SEKISHO_AUDIT_RETENTION_DAYS,
    acrPhishingResistant: raw.SEKISHO_ACR_REFEDS_PHISHING_RESISTANT,
    productionProblems,
  };
}
