// SMS code challenge: "send code" first (nothing is sent by merely opening the page), then the code.
import { field } from '../../app/http/form.ts';
import { codeExpired, verifyCode } from '../../methods/phone-challenge.ts';
import { interactionPath, type Journey, type Turn } from '../journey.ts';
import type { Method } from '../../adapters/postgres/methods.ts';
import { pendingOf, phoneOf, pickerPath, renderCode, renderStart } from '../phone.ts';
import type { FactorHandler, VerifyResult } from './types.ts';

/** journey.data key of the challenge a sign-in waits on. */
export const SIGNIN_PENDING = 'phone';

export function sendPath(turn: Turn, method: Method): string {
  return interactionPath(turn, `phone/${encodeURIComponent(method.id)}/send`);
}

/** Checks a typed code (SMS, or a call that read it) against the challenge this journey waits on. */
export async function verifyTypedCode(turn: Turn, journey: Journey, method: Method, fields: Record<string, string>): Promise<VerifyResult> {
  const code = field(fields, 'code', { max: 64, required: true });
  const pending = pendingOf(journey, SIGNIN_PENDING, method.id);
  if (!pending || pending.mode === 'voice_press') return { ok: false, errorKey: 'mfa.invalidCode' };
  const phone = phoneOf(turn);
  if (await verifyCode(phone, pending.challengeId, journey.userId, code)) return { ok: true };
  return { ok: false, errorKey: (await codeExpired(phone, pending.challengeId)) ? 'phone.errors.codeExpired' : 'mfa.invalidCode' };
}

export const smsHandler: FactorHandler = {
  kind: 'sms',
  factor: 'sms',
  rank: 20,
  pickerKey: 'phone.picker.sms',
  async show(turn, journey, method, error) {
    const page = { method, mode: 'sms' as const, otherWay: pickerPath(turn), error };
    if (!pendingOf(journey, SIGNIN_PENDING, method.id)) return renderStart(turn, { ...page, action: sendPath(turn, method) });
    await renderCode(turn, { ...page, action: interactionPath(turn, `verify/${method.id}`), resend: sendPath(turn, method) });
  },
  verify: verifyTypedCode,
};
