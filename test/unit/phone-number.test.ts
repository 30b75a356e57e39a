import { describe, expect, it } from '@jest/globals';
import { maskPhone, normaliseDigits, parsePhone, PhoneNumberError } from '../../methods/phone-number.ts';
import type { ParsePhoneOptions } from '../../methods/phone-number.ts';

const JP: ParsePhoneOptions = { defaultCountry: 'JP', allowedCountries: ['JP'] };

function errorCode(input: string, options: ParsePhoneOptions = JP): string {
  try {
    parsePhone(input, options);
  } catch (error) {
    if (error instanceof PhoneNumberError) return error.code;
    throw error;
  }
  throw new Error(`${input} was accepted`);
}

describe('normaliseDigits', () => {
  it('turns full-width digits and plus into ASCII', () => {
    expect(normaliseDigits('１２３４５６')).toBe('123456');
    expect(normaliseDigits('＋８１')).toBe('+81');
  });

  it('drops spaces, hyphen look-alikes (including ー), dots and brackets', () => {
    expect(normaliseDigits('０９０ー１２３４ー５６７８')).toBe('09012345678');
    expect(normaliseDigits('090－1234‐5678')).toBe('09012345678');
    expect(normaliseDigits('123 456')).toBe('123456');
    expect(normaliseDigits('123\u3000456')).toBe('123456');
    expect(normaliseDigits('(03) 1234.5678')).toBe('0312345678');
    expect(normaliseDigits('（０３）１２３４－５６７８')).toBe('0312345678');
  });

  it('keeps anything else so that it can be rejected', () => {
    expect(normaliseDigits('12a4')).toBe('12a4');
    expect(normaliseDigits("1'; drop")).toBe("1';drop");
  });
});

describe('parsePhone', () => {
  it.each([
    ['090-1234-5678'],
    ['09012345678'],
    ['+81 90 1234 5678'],
    ['+819012345678'],
    ['+81 (0)90 1234 5678'],
    ['０９０ー１２３４ー５６７８'],
    ['０９０－１２３４－５６７８'],
    ['＋８１　９０　１２３４　５６７８'],
    ['  090 1234 5678  '],
  ])('reads the mobile number %s as +819012345678', (input) => {
    expect(parsePhone(input, JP)).toEqual({ e164: '+819012345678', country: 'JP', type: 'mobile', canSms: true });
  });

  it('reads a Tokyo landline as voice only', () => {
    expect(parsePhone('(03) 1234-5678', JP)).toEqual({
      e164: '+81312345678',
      country: 'JP',
      type: 'fixed_line',
      canSms: false,
    });
  });

  it('reads an 050 IP phone as VoIP without SMS', () => {
    expect(parsePhone('050-1234-5678', JP)).toMatchObject({ e164: '+815012345678', type: 'voip', canSms: false });
  });

  it('refuses landlines when SMS is required', () => {
    expect(errorCode('03-1234-5678', { ...JP, requireSms: true })).toBe('not_mobile');
    expect(parsePhone('080-1234-5678', { ...JP, requireSms: true }).canSms).toBe(true);
  });

  it.each([
    ['0120-123-456'], // toll free
    ['0570-000-123'], // navi dial (UAN)
    ['020-1234-5678'], // pager
  ])('refuses %s, which is no personal phone', (input) => {
    expect(errorCode(input)).toBe('unsupported_type');
  });

  it.each([
    ['abc'],
    ['phone'],
    [''],
    ['   '],
    ['090-1234-567'],
    ['12'],
    ['+81 00 0000 0000'],
    ['call 090-1234-5678'],
    ['090-1234-5678 ext. 12'],
    ['090-1234-5678;'],
    ["090' OR '1'='1"],
    ['<script>alert(1)</script>'],
    ['+81+90 1234 5678'],
    ['0９0-1234-567８x'],
  ])('rejects %j as invalid', (input) => {
    expect(errorCode(input)).toBe('invalid');
  });

  it('rejects input longer than 32 characters before parsing it', () => {
    expect(errorCode('0'.repeat(33))).toBe('too_long');
    expect(errorCode(`090-1234-5678${' '.repeat(10)}-${'1'.repeat(10)}`)).toBe('too_long');
  });

  it('rejects digits too many for any number', () => {
    expect(errorCode('+819012345678901234567')).toBe('too_long');
  });

  it('rejects countries that are not allowed', () => {
    expect(errorCode('+1 650 253 0000')).toBe('country_not_allowed');
    expect(errorCode('+44 7911 123456')).toBe('country_not_allowed');
  });

  it('accepts other countries when allowed, with their own types', () => {
    const options = { defaultCountry: 'JP', allowedCountries: ['JP', 'US', 'GB'] };
    expect(parsePhone('+1 650 253 0000', options)).toEqual({
      e164: '+16502530000',
      country: 'US',
      type: 'fixed_line_or_mobile',
      canSms: true,
    });
    expect(parsePhone('+44 7400 123456', options)).toMatchObject({ country: 'GB', type: 'mobile', canSms: true });
  });

  it('uses the default country for national formats', () => {
    expect(parsePhone('(650) 253-0000', { defaultCountry: 'US', allowedCountries: ['US'] }).e164).toBe('+16502530000');
  });

  it('is a typed error with a code', () => {
    expect(() => parsePhone('abc', JP)).toThrow(PhoneNumberError);
  });
});

describe('maskPhone', () => {
  it('shows the country code and the last four digits, grouped like the number', () => {
    expect(maskPhone('+819012345678')).toBe('+81 •• •••• 5678');
    expect(maskPhone('+81312345678')).toBe('+81 • •••• 5678');
    expect(maskPhone('+16502530000')).toBe('+1 ••• ••• 0000');
  });

  it('never shows more than the last four digits of something it cannot format', () => {
    expect(maskPhone('+999123456789')).toBe('+••••••••6789');
  });
});
