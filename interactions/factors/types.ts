// What the journey needs from each kind of second factor. Handlers live beside this file, one per
// kind; they call method modules and render through the journey, never query.
import type { Method, MethodKind } from '../../adapters/postgres/methods.ts';
import type { User } from '../../adapters/postgres/users.ts';
import type { Factor } from '../../provider/acr.ts';
import type { Journey, Turn } from '../journey.ts';

export type VerifyResult = { ok: true } | { ok: false; errorKey: string };

export interface FactorHandler {
  kind: MethodKind;
  factor: Factor;
  /** Higher first in the picker: security key > authenticator app > voice > SMS > backup code. */
  rank: number;
  /** i18n key of the picker entry ("Use a code from the authenticator app"). */
  pickerKey: string;
  /** Renders the challenge (sending a code or placing a call when the factor needs one). */
  show(turn: Turn, journey: Journey, method: Method, error?: string): Promise<void>;
  /** Checks a submitted form. Charged against the failure budget by the caller. */
  verify(turn: Turn, journey: Journey, method: Method, fields: Record<string, string>): Promise<VerifyResult>;
  /** False when the method exists but cannot be used now (a backup-code set with none left). */
  available?(turn: Turn, method: Method): Promise<boolean>;
  /**
   * After a successful verify (the factor is already saved in the journey): may render a page of its own
   * (e.g. "few backup codes left") whose Continue button posts to /continue; true when it did.
   */
  afterVerify?(turn: Turn, journey: Journey, user: User): Promise<boolean>;
}
