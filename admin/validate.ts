// Checks on what administrators type, shared by the CLI and the admin API. Each check throws a
// usage AdminError naming the field, so nothing is changed when any input is bad.
import { isLang, LANGUAGES, type Lang } from '../app/i18n.ts';
import { usage } from './errors.ts';

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
// Deliberately plain: one @, no spaces, a dot in the domain. Deliverability is the mail server's job.
const EMAIL = /^[^\s@"<>()\[\],;:\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw usage('missing_value', field);
  return value;
}

export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw usage('not_a_string', field);
  return value;
}

export function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw usage('not_a_boolean', field);
  return value;
}

export function optionalStringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw usage('not_a_string_list', field);
  return value as string[];
}

export function validUsername(value: unknown, field = 'username'): string {
  const s = requireString(value, field).trim();
  if (!USERNAME.test(s)) throw usage('invalid_username', field, { value: s });
  return s;
}

export function validEmail(value: unknown, field = 'email'): string {
  const s = requireString(value, field).trim();
  if (s.length > 254 || !EMAIL.test(s)) throw usage('invalid_email', field, { value: s });
  return s;
}

export function validName(value: unknown, field = 'name'): string {
  const s = requireString(value, field).trim();
  if (!s || s.length > 200 || CONTROL.test(s)) throw usage('invalid_name', field);
  return s;
}

/** One of the languages Sekisho speaks. */
export function validLocale(value: unknown, field = 'locale'): Lang {
  const s = requireString(value, field).trim().toLowerCase();
  if (!isLang(s)) throw usage('invalid_locale', field, { value: s, allowed: LANGUAGES.join(', ') });
  return s;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90s", "10m", "1h", "7d" (or plain seconds) → seconds, within [min, max]. */
export function validDuration(value: unknown, field: string, min: number, max: number): number {
  const s = typeof value === 'number' ? String(value) : requireString(value, field).trim();
  const m = /^(\d{1,7})([smhd]?)$/.exec(s);
  const seconds = m ? Number(m[1]) * UNITS[m[2] || 's']! : NaN;
  if (!Number.isFinite(seconds) || seconds < min || seconds > max) {
    throw usage('invalid_duration', field, { value: s, min: formatDuration(min), max: formatDuration(max) });
  }
  return seconds;
}

function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

export function validLimit(value: unknown, field = 'limit', max = 1000): number {
  if (value === undefined) return 100;
  const n = typeof value === 'number' ? value : /^\d{1,6}$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw usage('invalid_limit', field, { value: String(value), max });
  return n;
}

/** An ISO date/time, or a span back from now such as 24h or 7d. */
export function validSince(value: unknown, now: Date, field = 'since'): Date {
  const s = requireString(value, field).trim();
  const rel = /^(\d{1,5})([mhd])$/.exec(s);
  if (rel) return new Date(now.getTime() - Number(rel[1]) * UNITS[rel[2]!]! * 1000);
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)) {
    const d = new Date(s);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw usage('invalid_since', field, { value: s });
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Absolute https URL (http only for loopback hosts), without a fragment. */
export function validWebUri(value: unknown, field: string): string {
  const s = requireString(value, field).trim();
  const url = URL.parse(s);
  if (!url || !['https:', 'http:'].includes(url.protocol)) throw usage('invalid_uri', field, { value: s });
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) throw usage('insecure_uri', field, { value: s });
  if (url.hash || s.includes('#')) throw usage('uri_fragment', field, { value: s });
  if (url.username || url.password) throw usage('invalid_uri', field, { value: s });
  return s;
}
