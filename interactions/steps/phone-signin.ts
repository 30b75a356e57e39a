// Sign-in with a phone method: send the code or place the call, and learn how the call ended.
import type { Method } from '../../adapters/postgres/methods.ts';
import type { User } from '../../adapters/postgres/users.ts';
import { takeCallState } from '../../methods/voice/index.ts';
import { handlerFor } from '../factors/index.ts';
import { SIGNIN_PENDING, sendPath } from '../factors/sms.ts';
import { callStatusPath } from '../factors/voice.ts';
import { finishWithError, interactionPath, saveJourney, withData, type Journey, type Turn } from '../journey.ts';
import { deliver, modeFor, pendingOf, phoneOf, pickerPath, renderCall, targetOf, type PendingChallenge } from '../phone.ts';
import { phoneErrorMessage } from '../phone-form.ts';
import { continueJourney, usableMethod } from './next.ts';

async function phoneMethod(turn: Turn, journey: Journey, methodId: string): Promise<Method | undefined> {
  const method = await usableMethod(turn, journey.userId, methodId);
  return method && (method.kind === 'sms' || method.kind === 'voice') && method.phone ? method : undefined;
}

function withPending(journey: Journey, pending: PendingChallenge | undefined): Journey {
  return withData(journey, SIGNIN_PENDING, pending);
}

/** POST …/phone/:methodId/send — the first send and every resend (within the cool-down and limits). */
export async function sendChallenge(turn: Turn, journey: Journey, methodId: string): Promise<void> {
  const method = await phoneMethod(turn, journey, methodId);
  if (!method) return turn.ctx.redirect(interactionPath(turn, 'second-factor'));
  const mode = modeFor(phoneOf(turn), method.kind as 'sms' | 'voice');
  try {
    const challengeId = await deliver(turn, targetOf(method), mode);
    await saveJourney(turn, withPending(journey, { methodId: method.id, challengeId, mode }));
  } catch (error) {
    return handlerFor(method.kind)!.show(turn, journey, method, phoneErrorMessage(turn.t, error));
  }
  turn.ctx.status = 303;
  turn.ctx.redirect(`${interactionPath(turn, 'second-factor')}?method=${encodeURIComponent(method.id)}`);
}

/** GET …/phone/:methodId/status — the page waiting for # polls here. */
export async function callStatus(turn: Turn, journey: Journey, user: User, methodId: string): Promise<void> {
  const pending = pendingOf(journey, SIGNIN_PENDING, methodId);
  const method = await turn.deps.services.methods.find(methodId);
  if (!pending || pending.mode !== 'voice_press' || !method || method.userId !== user.id) {
    return turn.ctx.redirect(interactionPath(turn, 'second-factor'));
  }
  const state = await takeCallState(phoneOf(turn), pending.challengeId, user.id);
  if (state === 'fraud') {
    return finishWithError(turn, 'access_denied', 'the user reported on the phone that they did not start this sign-in');
  }
  if (state === 'approved') {
    await turn.deps.services.methods.markUsed(method.id);
    const next = withPending(journey, undefined);
    next.factors = [...journey.factors, 'voice'];
    await saveJourney(turn, next);
    return continueJourney(turn, next, user);
  }
  const page = { method, mode: pending.mode, action: callStatusPath(turn, method), resend: sendPath(turn, method), otherWay: pickerPath(turn) };
  if (state === 'expired') {
    await saveJourney(turn, withPending(journey, undefined));
    return renderCall(turn, { ...page, error: turn.t('phone.errors.callExpired') });
  }
  await renderCall(turn, { ...page, challengeId: pending.challengeId });
}
