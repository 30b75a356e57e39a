// Enrolment when a second factor is required and the user has none (or came with an access pass):
// choose the first method, prove it, then get offered a second one.
import type { User } from '../../adapters/postgres/users.ts';
import { field } from '../../app/http/form.ts';
import { beginTotpEnrolment, finishTotpEnrolment, resumeTotpEnrolment } from '../../methods/totp/index.ts';
import { accountLabel, auditContext, interactionPath, render, saveJourney, withData, type Journey, type Turn } from '../journey.ts';
import { continueJourney, methodsOf } from './next.ts';

/**
 * Enrolment is for a user without a usable method, one who came with an access pass, or one who
 * has just enrolled in this journey; anyone else proves a method they have instead. A user whose
 * methods were flagged by a fraud report needs IT first.
 */
export async function mayEnrol(turn: Turn, journey: Journey): Promise<boolean> {
  if (journey.viaAccessPass || journey.enrolled?.length) return true;
  const { usable, flagged } = await methodsOf(turn, journey.userId);
  return !usable.length && !flagged;
}

/** Enrolment choices beyond the authenticator app, added by the phone module when phones are enabled. */
export interface EnrolChoice {
  step: string;
  labelKey: string;
  hintKey: string;
}

export async function showEnrolChoice(turn: Turn, extra: EnrolChoice[]): Promise<void> {
  const choices: EnrolChoice[] = [{ step: 'enrol/app', labelKey: 'enrol.choice.app', hintKey: 'enrol.choice.appHint' }, ...extra];
  await render(turn, 'enrol-choose', {
    title: turn.t('enrol.title'),
    choices: choices.map((c) => ({ href: interactionPath(turn, c.step), label: turn.t(c.labelKey), hint: turn.t(c.hintKey) })),
  });
}

async function pendingTotp(turn: Turn, journey: Journey) {
  const id = journey.data?.totpPending;
  if (typeof id !== 'string') return undefined;
  const method = await turn.deps.services.methods.find(id);
  return method && method.userId === journey.userId && method.status === 'pending' ? method : undefined;
}

export async function showTotpEnrolment(turn: Turn, journey: Journey, user: User, error?: string): Promise<void> {
  const pending = await pendingTotp(turn, journey);
  const enrolment = pending
    ? await resumeTotpEnrolment(turn.deps.totp, pending, accountLabel(user))
    : await beginTotpEnrolment(turn.deps.totp, user.id, accountLabel(user));
  if (!pending) await saveJourney(turn, withData(journey, 'totpPending', enrolment.methodId));
  await render(turn, 'enrol-totp', {
    title: turn.t('enrol.totp.title'),
    action: interactionPath(turn, 'enrol/app'),
    back: interactionPath(turn, 'enrol'),
    enrolment,
    digits: turn.deps.totp.settings.digits,
    error,
  }, error ? 400 : 200);
}

export async function submitTotpEnrolment(turn: Turn, journey: Journey, user: User, fields: Record<string, string>): Promise<void> {
  const code = field(fields, 'code', { max: 64, required: true });
  const method = await pendingTotp(turn, journey);
  if (!method) return showTotpEnrolment(turn, journey, user, turn.t('enrol.totp.expired'));
  let reason = 'mfa.invalidCode';
  const outcome = await turn.deps.regulator.attempt('enrol:totp', user.id, async () => {
    const result = await finishTotpEnrolment(turn.deps.totp, method, code, turn.deps.now());
    if (!result.ok && result.reason === 'clock_skew') reason = 'mfa.totp.clockSkew';
    return result.ok;
  });
  if (outcome !== 'ok') return showTotpEnrolment(turn, journey, user, turn.t(outcome === 'locked' ? 'mfa.invalidCode' : reason));
  await turn.deps.services.audit.record({
    type: 'method.add',
    userId: user.id,
    username: user.username,
    factor: 'totp',
    details: { methodId: method.id, during: 'signin' },
    ...auditContext(turn),
  });
  await enrolled(turn, withData(journey, 'totpPending', undefined), 'totp');
}

/** A method was proven during this journey: it counts as a factor, then the second method is offered. */
export async function enrolled(turn: Turn, journey: Journey, kind: 'totp' | 'sms' | 'voice'): Promise<void> {
  const next: Journey = {
    ...journey,
    factors: [...journey.factors.filter((f) => f !== 'tap'), kind],
    viaAccessPass: false,
    enrolled: [...(journey.enrolled ?? []), kind],
  };
  await saveJourney(turn, next);
  turn.ctx.status = 303;
  turn.ctx.redirect(interactionPath(turn, 'after-enrol'));
}

/** After the first method: the offer of a second one. Without offers configured, the journey goes on. */
export async function afterEnrol(turn: Turn, journey: Journey, user: User, showOffer?: (turn: Turn, journey: Journey, user: User) => Promise<boolean>): Promise<void> {
  if (showOffer && (await showOffer(turn, journey, user))) return;
  await continueJourney(turn, journey, user);
}
