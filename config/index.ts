// The one place that reads the environment. Everything else receives a validated Config.
import { resolve } from 'node:path';
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

/** Why a value is refused; each is a message under `config.problems` in locales/. */
export const CONFIG_PROBLEM_REASONS = [
  'invalid', 'oneOf', 'url', 'tooShort', 'tooLong', 'boolean', 'wholeNumber', 'postgresUrl', 'secretKey', 'keyId',
  'oldSecretKeys', 'totpDigits', 'totpPeriod', 'phoneMethods', 'countryCodes', 'countryCode', 'accountSid', 'e164',
  'twilioSender', 'ldapUrl', 'ldapFilter', 'ldapBaseDn', 'productionSecretKey', 'productionCookieKeys',
  'productionIssuer', 'productionHttps', 'productionDatabase', 'productionConsoleSender', 'productionTwilio',
  'productionPublicUrl',
] as const;
export type ConfigProblemReason = (typeof CONFIG_PROBLEM_REASONS)[number];

/**
 * One problem with the configuration: the variable, and why as a message key with its values, so
 * the CLI and the server can say it in their language.
 */
export interface ConfigProblem {
  key: string;
  reason: ConfigProblemReason;
  params?: Record<string, string | number>;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.key} (${p.reason})`).join(', ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

// zod carries only a message string per check: ours is a reason with its values, as JSON.
const because = (reason: ConfigProblemReason, params?: ConfigProblem['params']) => JSON.stringify({ reason, params });
const isReason = (value: unknown): value is ConfigProblemReason => (CONFIG_PROBLEM_REASONS as readonly unknown[]).includes(value);

/** A zod issue as a ConfigProblem: our own checks' reasons, or zod's own kinds of failure. */
function problemOf(issue: z.core.$ZodIssue): ConfigProblem {
  const key = String(issue.path[0] ?? '?');
  try {
    const { reason, params } = JSON.parse(issue.message) as { reason?: unknown; params?: ConfigProblem['params'] };
    if (isReason(reason)) return { key, reason, params };
  } catch {
    // zod's own wording: classified below.
  }
  switch (issue.code) {
    case 'invalid_value':
      return { key, reason: 'oneOf', params: { values: issue.values.map(String).join(', ') } };
    case 'invalid_format':
      return { key, reason: issue.format === 'url' ? 'url' : 'invalid' };
    case 'too_small':
      return { key, reason: 'tooShort', params: { min: Number(issue.minimum) } };
    case 'too_big':
      return { key, reason: 'tooLong', params: { max: Number(issue.maximum) } };
    default:
      return { key, reason: 'invalid' };
  }
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], because('boolean')).transform((v) => ['true', '1', 'yes'].includes(v));
const int = (min: number, max: number) => {
  const why = because('wholeNumber', { min, max });
  return z.coerce.number(why).int(why).min(min, why).max(max, why);
};
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const base64Key = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, because('secretKey'));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  SEKISHO_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  SEKISHO_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, because('postgresUrl')).optional(),
  SEKISHO_TRUST_PROXY: bool.default(false),
  SEKISHO_SECRET_KEY: base64Key.optional(),
  SEKISHO_SECRET_KEY_ID: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, because('keyId')).default('k1'),
  SEKISHO_OLD_SECRET_KEYS: z.string().optional(),
  SEKISHO_COOKIE_KEYS: list.optional(),
  SEKISHO_MFA: z.enum(['required', 'optional']).default('required'),
  SEKISHO_DEMO: bool.optional(),
  SEKISHO_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  SEKISHO_TOTP_ALGORITHM: z.enum(['SHA1', 'SHA256', 'SHA512']).default('SHA1'),
  SEKISHO_TOTP_DIGITS: z.coerce.number(because('totpDigits')).pipe(z.union([z.literal(6), z.literal(8)], because('totpDigits'))).default(6),
  SEKISHO_TOTP_PERIOD: z.coerce.number(because('totpPeriod')).pipe(z.union([z.literal(30), z.literal(60)], because('totpPeriod'))).default(30),
  SEKISHO_TOTP_ISSUER: z.string().min(1).max(64).default('Sekisho'),
  SEKISHO_LOCKOUT_THRESHOLD: int(1, 1000).default(5),
  SEKISHO_LOCKOUT_SECONDS: int(1, 86400).default(60),
  SEKISHO_POSTS_PER_MINUTE_PER_IP: int(1, 1_000_000).default(600),
  // 'none' switches phones off, so a site without Twilio can run in production.
  SEKISHO_PHONE_METHODS: list
    .transform((v) => (v.length === 1 && v[0] === 'none' ? [] : v))
    .pipe(z.array(z.enum(['sms', 'voice'], because('phoneMethods'))))
    .default(['sms', 'voice']),
  SEKISHO_PHONE_SENDER: z.enum(['console', 'twilio']).optional(),
  SEKISHO_PHONE_COUNTRIES: list.pipe(z.array(z.string().regex(/^[A-Z]{2}$/, because('countryCodes')))).default(['JP']),
  SEKISHO_PHONE_DEFAULT_COUNTRY: z.string().regex(/^[A-Z]{2}$/, because('countryCode')).default('JP'),
  SEKISHO_SMS_LIMIT_USER: int(1, 1000).default(5),
  SEKISHO_SMS_LIMIT_NUMBER: int(1, 1000).default(5),
  SEKISHO_SMS_LIMIT_COUNTRY: int(1, 1_000_000).default(1000),
  SEKISHO_SMS_RESEND_SECONDS: int(0, 3600).default(30),
  SEKISHO_VOICE_MODE: z.enum(['press', 'read']).default('press'),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, because('accountSid')).optional(),
  TWILIO_AUTH_TOKEN: z.string().min(8).optional(),
  TWILIO_FROM: z.string().regex(/^\+[1-9]\d{6,14}$/, because('e164')).optional(),
  TWILIO_API_BASE: z.url({ protocol: /^https?$/ }).optional(),
  SEKISHO_TWILIO_TIMEOUT_MS: int(100, 60000).default(8000),
  SEKISHO_BACKUP_CODE_FORMAT: z.enum(['digits', 'strong']).default('digits'),
  SEKISHO_LDAP_URL: z.string().regex(/^ldaps?:\/\//, because('ldapUrl')).optional(),
  SEKISHO_LDAP_BIND_DN: z.string().optional(),
  SEKISHO_LDAP_BIND_PASSWORD: z.string().optional(),
  SEKISHO_LDAP_BASE_DN: z.string().optional(),
  SEKISHO_LDAP_USER_FILTER: z.string().includes('{username}', { message: because('ldapFilter') }).default('(uid={username})'),
  SEKISHO_LDAP_ATTR_EMAIL: z.string().default('mail'),
  SEKISHO_LDAP_ATTR_NAME: z.string().default('cn'),
  SEKISHO_LDAP_ATTR_LOCALE: z.string().default('preferredLanguage'),
  SEKISHO_LDAP_TIMEOUT_MS: int(100, 60000).default(3000),
  SEKISHO_REGISTRATION: bool.default(false),
  SEKISHO_METRICS_TOKEN: z.string().min(16, because('tooShort', { min: 16 })).optional(),
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
      problems.push({ key: 'SEKISHO_OLD_SECRET_KEYS', reason: 'oldSecretKeys' });
      return [];
    }
    return [{ id, key }];
  });
}

function productionChecks(raw: Raw): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (key: string, reason: ConfigProblemReason) => problems.push({ key, reason });
  if (!raw.SEKISHO_SECRET_KEY) add('SEKISHO_SECRET_KEY', 'productionSecretKey');
  if (!raw.SEKISHO_COOKIE_KEYS?.length) add('SEKISHO_COOKIE_KEYS', 'productionCookieKeys');
  if (!raw.ISSUER) add('ISSUER', 'productionIssuer');
  else if (!raw.ISSUER.startsWith('https://')) add('ISSUER', 'productionHttps');
  if (!raw.DATABASE_URL) add('DATABASE_URL', 'productionDatabase');
  if (raw.SEKISHO_PHONE_METHODS.length > 0) {
    if (raw.SEKISHO_PHONE_SENDER === 'console') add('SEKISHO_PHONE_SENDER', 'productionConsoleSender');
    for (const key of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const) if (!raw[key]) add(key, 'productionTwilio');
    if (!raw.SEKISHO_PUBLIC_URL && !raw.ISSUER) add('SEKISHO_PUBLIC_URL', 'productionPublicUrl');
  }
  return problems;
}

/** Reads the environment into a Config; throws ConfigError naming every bad or missing key. */
export function loadConfig(env: Env = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map(problemOf));
  }
  const raw = parsed.data;
  const problems: ConfigProblem[] = [];
  const oldSecretKeys = parseOldKeys(raw.SEKISHO_OLD_SECRET_KEYS, problems);
  if (raw.SEKISHO_LDAP_URL && !raw.SEKISHO_LDAP_BASE_DN) {
    problems.push({ key: 'SEKISHO_LDAP_BASE_DN', reason: 'ldapBaseDn' });
  }
  const twilioSet = raw.TWILIO_ACCOUNT_SID && raw.TWILIO_AUTH_TOKEN && raw.TWILIO_FROM;
  if (raw.SEKISHO_PHONE_SENDER === 'twilio' && !twilioSet) {
    problems.push({ key: 'TWILIO_ACCOUNT_SID', reason: 'twilioSender' });
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
