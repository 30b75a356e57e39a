// Phone numbers as staff type them (domestic Japanese formats, full-width input from IMEs) turned
// into E.164, plus the masked form shown in pickers and on the Security info page.
// The "max" metadata is needed: the smaller sets cannot tell mobile from fixed-line numbers.
import { isSupportedCountry, parsePhoneNumberWithError, ParseError } from 'libphonenumber-js/max';
import type { CountryCode, NumberType } from 'libphonenumber-js/max';

/** The label a user gives a phone method. */
export type PhoneKind = 'mobile' | 'alternate' | 'office';

export type PhoneLineType =
  | 'mobile'
  | 'fixed_line'
  | 'fixed_line_or_mobile'
  | 'voip'
  | 'personal_number'
  | 'unknown';

export interface ParsedPhone {
  /** `+819012345678` */
  e164: string;
  /** ISO 3166-1 alpha-2, e.g. `JP`. */
  country: string;
  type: PhoneLineType;
  /** False for landlines and VoIP: those get voice calls only. */
  canSms: boolean;
}

export type PhoneNumberErrorCode =
  | 'invalid'
  | 'too_long'
  | 'country_not_allowed'
  | 'not_mobile'
  /** Premium-rate, toll-free, pager, shared-cost and similar numbers: no person's own phone, and a toll-fraud target. */
  | 'unsupported_type';

export class PhoneNumberError extends Error {
  readonly code: PhoneNumberErrorCode;
  constructor(code: PhoneNumberErrorCode, message: string = code) {
    super(message);
    this.name = 'PhoneNumberError';
    this.code = code;
  }
}

export interface ParsePhoneOptions {
  /** Country assumed for numbers typed without `+`, e.g. `JP` for `090-1234-5678`. */
  defaultCountry: string;
  allowedCountries: string[];
  /** Throw `not_mobile` for numbers that cannot receive SMS (for the SMS method). */
  requireSms?: boolean;
}

/** Longer input is refused before parsing: no real number needs it, and it bounds the work. */
const MAX_INPUT_LENGTH = 32;

const LINE_TYPES: Partial<Record<NumberType & string, PhoneLineType>> = {
  MOBILE: 'mobile',
  FIXED_LINE: 'fixed_line',
  FIXED_LINE_OR_MOBILE: 'fixed_line_or_mobile',
  VOIP: 'voip',
  PERSONAL_NUMBER: 'personal_number',
};

const SMS_CAPABLE: ReadonlySet<PhoneLineType> = new Set(['mobile', 'fixed_line_or_mobile']);

// Hyphens and dashes Japanese IMEs produce, including the long-vowel mark ー typed for a hyphen.
const SEPARATORS = /[\s\-‐‑‒–—―−ー－ｰ.．()（）]/gu;

/**
 * Full-width digits and plus become ASCII; spaces, hyphen look-alikes, dots and brackets go.
 * Anything else is kept so that callers can still reject it. (Typed one-time codes go through
 * methods/code.ts, whose NFKC pass would also turn ① into 1: not wanted in a phone number.)
 */
export function normaliseDigits(input: string): string {
  return input
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/＋/g, '+')
    .replace(SEPARATORS, '');
}

function toCountryCode(country: string): CountryCode {
  if (!isSupportedCountry(country)) throw new Error(`unsupported default country ${country}`);
  return country;
}

function parseOrThrow(digits: string, defaultCountry: CountryCode) {
  try {
    return parsePhoneNumberWithError(digits, { defaultCountry });
  } catch (error) {
    if (error instanceof ParseError && error.message === 'TOO_LONG') throw new PhoneNumberError('too_long');
    if (error instanceof ParseError) throw new PhoneNumberError('invalid', error.message);
    throw error;
  }
}

/** Parses what a user typed into E.164; throws PhoneNumberError saying why it cannot be used. */
export function parsePhone(input: string, options: ParsePhoneOptions): ParsedPhone {
  const trimmed = input.trim();
  if (trimmed.length > MAX_INPUT_LENGTH) throw new PhoneNumberError('too_long');
  const digits = normaliseDigits(trimmed);
  // Strict shape: libphonenumber would otherwise pick a number out of surrounding text or letters.
  if (!/^\+?[0-9]+$/.test(digits)) throw new PhoneNumberError('invalid');

  const phone = parseOrThrow(digits, toCountryCode(options.defaultCountry));
  if (!phone.isValid()) throw new PhoneNumberError('invalid');
  if (!phone.country || !options.allowedCountries.includes(phone.country)) {
    throw new PhoneNumberError('country_not_allowed');
  }
  const type = phone.getType();
  const lineType = type ? LINE_TYPES[type] : 'unknown';
  if (!lineType) throw new PhoneNumberError('unsupported_type', `unsupported number type ${type}`);
  const canSms = SMS_CAPABLE.has(lineType);
  if (options.requireSms && !canSms) throw new PhoneNumberError('not_mobile');
  return { e164: phone.number, country: phone.country, type: lineType, canSms };
}

/** `+819012345678` → `+81 •• •••• 5678`: the groups of the international format, last four digits shown. */
export function maskPhone(e164: string): string {
  let formatted: string;
  try {
    formatted = parsePhoneNumberWithError(e164).formatInternational();
  } catch {
    formatted = e164;
  }
  const [countryCode, ...rest] = formatted.split(' ');
  const national = rest.length > 0 ? rest.join(' ') : formatted.replace(/^\+/, '');
  const total = national.replace(/\D/g, '').length;
  let seen = 0;
  const masked = national.replace(/\d/g, (d) => (++seen > total - 4 ? d : '•'));
  return rest.length > 0 ? `${countryCode} ${masked}` : `+${masked}`;
}
