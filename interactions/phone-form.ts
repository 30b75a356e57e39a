// The "add a phone" form, shared by enrolment at sign-in and the Security info page: the fields it
// reads, the rule on extensions, and the message for a number that could not be added — one copy, so
// the two pages cannot drift apart.
import type { TFunction } from 'i18next';
import { PhoneDeliveryError } from '../adapters/twilio/sender.ts';
import { field } from '../app/http/form.ts';
import { PhoneSendError } from '../methods/phone-challenge.ts';
import { PhoneNumberError, type PhoneKind } from '../methods/phone-number.ts';

export const PHONE_KINDS: readonly PhoneKind[] = ['mobile', 'alternate', 'office'];

export type PhoneVia = 'sms' | 'voice';

export interface PhoneFormValues {
  kind: PhoneKind;
  number: string;
  extension: string;
  via: PhoneVia;
}

const NUMBER_ERRORS: Record<PhoneNumberError['code'], string> = {
  invalid: 'phone.errors.invalid',
  too_long: 'phone.errors.tooLong',
  country_not_allowed: 'phone.errors.countryNotAllowed',
  not_mobile: 'phone.errors.notMobile',
  unsupported_type: 'phone.errors.unsupported',
};

/** The form before anything is submitted: the number imported from the directory, if any. */
export function blankPhoneForm(importedPhone: string | null | undefined, vias: readonly PhoneVia[]): PhoneFormValues {
  return { kind: 'mobile', number: importedPhone ?? '', extension: '', via: vias[0] ?? 'sms' };
}

/** The submitted form; an unknown kind falls back to mobile, a way not offered to the first one offered. */
export function readPhoneForm(fields: Record<string, string>, vias: readonly PhoneVia[]): PhoneFormValues {
  const kind = field(fields, 'kind', { max: 16 }) as PhoneKind;
  const via = field(fields, 'via', { max: 16 }) as PhoneVia;
  return {
    kind: PHONE_KINDS.includes(kind) ? kind : 'mobile',
    number: field(fields, 'number', { max: 64, required: true }),
    extension: field(fields, 'extension', { max: 16 }).trim(),
    via: vias.includes(via) ? via : vias[0]!,
  };
}

/** An extension is dialled only on a call, and is 1–10 digits. */
export function extensionValid(values: PhoneFormValues): boolean {
  return !values.extension || (values.via === 'voice' && /^[0-9]{1,10}$/.test(values.extension));
}

/** The message for a number that was refused or could not be reached; anything unexpected is rethrown. */
export function phoneErrorMessage(t: TFunction, error: unknown): string {
  if (error instanceof PhoneNumberError) return t(NUMBER_ERRORS[error.code]);
  if (error instanceof PhoneSendError) {
    switch (error.code) {
      case 'cooldown':
        return t('phone.errors.cooldown', { seconds: error.retryAfterSeconds ?? 1 });
      case 'rate_limited':
        return t('phone.errors.rateLimited');
      case 'country_not_allowed':
        return t('phone.errors.countryNotAllowed');
      case 'invalid_number':
        return t('phone.errors.refused');
    }
  }
  if (error instanceof PhoneDeliveryError) return t(error.code === 'refused_number' ? 'phone.errors.refused' : 'phone.errors.unavailable');
  throw error;
}
