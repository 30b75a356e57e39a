// Field rules for forms: a field is a string of bounded length, checked before anything uses it.
import { HttpError } from './errors.ts';

export interface FieldRule {
  max: number;
  required?: boolean;
}

/** Returns the field trimmed, or throws a 400 naming what is wrong with it. */
export function field(fields: Record<string, string>, name: string, rule: FieldRule): string {
  const value = (fields[name] ?? '').normalize('NFC');
  if (value.length > rule.max) throw new HttpError(400, 'errors.fieldTooLong', `${name} too long`);
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(value)) throw new HttpError(400, 'errors.badCharacters', `${name} has control characters`);
  if (rule.required && value.trim() === '') throw new HttpError(400, 'errors.fieldEmpty', `${name} empty`);
  return value;
}
