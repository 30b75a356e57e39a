// Where a journey goes after each proven factor: done, the second factor, or enrolment.
import type { Method } from '../../adapters/postgres/methods.ts';
import type { User } from '../../adapters/postgres/users.ts';
import { strengthOfFactors } from '../../provider/acr.ts';
import { byStrength, handlerFor } from '../factors/index.ts';
import { finishLogin, interactionPath, type Journey, type Turn } from '../journey.ts';
import { showFraudBlock } from '../phone.ts';

/**
 * The user's methods a handler can use now, strongest first, from one listing. `flagged`: a "not me"
 * report (0 on a call) flagged one of them. With nothing usable left, such an account must not fall
 * through to enrolment, where a password alone would register a new method: IT clears the flag
 * (`sekisho user clear-flag`) or issues a temporary access pass.
 */
export async function methodsOf(turn: Turn, userId: string): Promise<{ usable: Method[]; flagged: boolean }> {
  const active = await turn.deps.services.methods.listForUser(userId, { activeOnly: true });
  const candidates = active.filter(handled);
  const available = await Promise.all(candidates.map((m) => availableNow(turn, m)));
  return { usable: byStrength(candidates.filter((_, i) => available[i])), flagged: active.some((m) => m.flaggedAt) };
}

export async function usableMethods(turn: Turn, userId: string): Promise<Method[]> {
  return (await methodsOf(turn, userId)).usable;
}

/**
 * The one method a form names, when methodsOf would list it as usable. Only its own availability is
 * asked: verifying an app code need not count the user's backup codes.
 */
export async function usableMethod(turn: Turn, userId: string, methodId: string): Promise<Method | undefined> {
  const active = await turn.deps.services.methods.listForUser(userId, { activeOnly: true });
  const method = active.find((m) => m.id === methodId && handled(m));
  return method && (await availableNow(turn, method)) ? method : undefined;
}

function handled(method: Method): boolean {
  return !method.flaggedAt && Boolean(handlerFor(method.kind));
}

function availableNow(turn: Turn, method: Method): Promise<boolean> {
  return handlerFor(method.kind)!.available?.(turn, method) ?? Promise.resolve(true);
}

/** Whether what the journey has proven meets what this request requires (an access pass never does). */
export function journeyComplete(turn: Turn, journey: Journey): boolean {
  return !journey.viaAccessPass && strengthOfFactors(journey.factors) >= turn.requirement.strength;
}

export async function continueJourney(turn: Turn, journey: Journey, user: User): Promise<void> {
  if (journeyComplete(turn, journey)) return finishLogin(turn, journey, user);
  if (journey.viaAccessPass) return turn.ctx.redirect(interactionPath(turn, 'enrol'));
  const { usable, flagged } = await methodsOf(turn, user.id);
  if (!usable.length && flagged) return showFraudBlock(turn);
  turn.ctx.status = 303;
  turn.ctx.redirect(interactionPath(turn, usable.length ? 'second-factor' : 'enrol'));
}
