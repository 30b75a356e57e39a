// SMS codes: a 6-digit code, valid ten minutes, accepted once. The text comes localised from the
// caller; this module decides only when and whether a code may go out.
import { issueChallenge, type PhoneDeps, type PhoneTarget } from '../phone-challenge.ts';

export const SMS_CODE_TTL_MS = 10 * 60_000;

/** Sends a new code (replacing any earlier one); resolves with the challenge id to verify against. */
export async function sendSmsCode(deps: PhoneDeps, target: PhoneTarget, message: (code: string) => string): Promise<string> {
  const { challengeId } = await issueChallenge(deps, target, {
    kind: 'sms',
    channel: 'sms',
    ttlMs: SMS_CODE_TTL_MS,
    deliver: (_id, code) => deps.sender.sendSms(target.phone, message(code)),
  });
  return challengeId;
}
