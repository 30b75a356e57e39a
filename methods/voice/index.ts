// Voice calls: either "press # to approve" (Twilio posts the key to our webhook), or a code read
// aloud that the user types like an SMS code. Pressing 0 reports a sign-in the user did not start.
import type { Challenge } from '../../adapters/postgres/challenges.ts';
import { pressToApproveTwiml, readCodeTwiml, readPressedKey, type VoiceLanguage } from '../../adapters/twilio/twiml.ts';
import { issueChallenge, type PhoneDeps, type PhoneTarget } from '../phone-challenge.ts';
import { SMS_CODE_TTL_MS } from '../sms/index.ts';

/** An approval call is answered within minutes or not at all. */
export const CALL_TTL_MS = 5 * 60_000;

export interface ApprovalCallTexts {
  language: VoiceLanguage;
  prompt: string;
  goodbye: string;
}

/** Places a call asking to press #; `actionUrl(challengeId)` is the public webhook Twilio posts the key to. */
export async function placeApprovalCall(
  deps: PhoneDeps,
  target: PhoneTarget,
  texts: ApprovalCallTexts,
  actionUrl: (challengeId: string) => string,
): Promise<string> {
  const { challengeId, providerId } = await issueChallenge(deps, target, {
    kind: 'voice_press',
    channel: 'voice',
    ttlMs: CALL_TTL_MS,
    deliver: (id) =>
      deps.sender.placeCall(
        target.phone,
        pressToApproveTwiml({ ...texts, gatherActionUrl: actionUrl(id), extension: target.extension ?? undefined }),
      ),
  });
  await deps.challenges.setCallSid(challengeId, providerId);
  return challengeId;
}

/** Places a call that reads a code aloud (voice mode "read"); its code is verified like an SMS code (phone-challenge.ts verifyCode). */
export async function placeCodeCall(deps: PhoneDeps, target: PhoneTarget, texts: { language: VoiceLanguage; prompt: string }): Promise<string> {
  const { challengeId } = await issueChallenge(deps, target, {
    kind: 'voice_code',
    channel: 'voice',
    ttlMs: SMS_CODE_TTL_MS,
    deliver: (_id, code) =>
      deps.sender.placeCall(target.phone, readCodeTwiml({ ...texts, code, repeat: 3, extension: target.extension ?? undefined })),
  });
  return challengeId;
}

export type AnswerResult =
  | { status: 'approved' | 'fraud'; challenge: Challenge }
  /** A key other than # or 0: nothing is recorded, the call says goodbye. */
  | { status: 'ignored'; challenge: Challenge }
  /** Answered before, used, or expired: a replay or a late call. */
  | { status: 'closed'; challenge: Challenge }
  | { status: 'unknown' };

/** Records the key pressed on an approval call (already authenticated as coming from Twilio). */
export async function answerCall(deps: PhoneDeps, challengeId: string, callSid: string | undefined, digits: string | undefined): Promise<AnswerResult> {
  const challenge = await deps.challenges.find(challengeId);
  if (!challenge || challenge.kind !== 'voice_press' || (challenge.callSid && callSid !== challenge.callSid)) return { status: 'unknown' };
  const key = readPressedKey(digits);
  if (key === 'other') return { status: 'ignored', challenge };
  const outcome = key === 'approve' ? 'approved' : 'fraud';
  const recorded = await deps.challenges.answer(challenge.id, outcome, new Date(deps.now()));
  return recorded ? { status: outcome, challenge } : { status: 'closed', challenge };
}

export type CallState = 'waiting' | 'approved' | 'fraud' | 'expired';

/**
 * Where an approval call stands for the page waiting on it. `approved` is returned once: it uses
 * the approval up, so two polling tabs cannot both sign in with one call.
 */
export async function takeCallState(deps: PhoneDeps, challengeId: string, userId: string): Promise<CallState> {
  const challenge = await deps.challenges.find(challengeId);
  if (!challenge || challenge.userId !== userId || challenge.kind !== 'voice_press') return 'expired';
  if (challenge.outcome === 'fraud') return 'fraud';
  if (challenge.outcome === 'approved') {
    return (await deps.challenges.consumeApproval(challenge.id, userId, new Date(deps.now()))) ? 'approved' : 'expired';
  }
  if (challenge.consumedAt || challenge.expiresAt.getTime() <= deps.now()) return 'expired';
  return 'waiting';
}
