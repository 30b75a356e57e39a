// Where a journey goes after each proven factor: done, the second factor, or enrolment.
import type { User } from '../../adapters/postgres/users.ts';
import { strengthOfFactors } from '../../provider/acr.ts';
import { byStrength, handlerFor } from '../factors/index.ts';
import { finishLogin, interactionPath, type Journey, type Turn } from '../journey.ts';
import { blockedByFraudReport, showFraudBlock } from '../phone.ts';

export async function usableMethods(turn: Turn, userId: string) {
  const methods = (await turn.deps.services.methods.listForUser(userId, { activeOnly: true })).filter((m) => !m.flaggedAt && handlerFor(m.kind));
  const available = await Promise.all(methods.map((m) => handlerFor(m.kind)!.available?.(turn, m) ?? true));
  return byStrength(methods.filter((_, i) => available[i]));
}

export async function continueJourney(turn: Turn, journey: Journey, user: User): Promise<void> {
  if (!journey.viaAccessPass && strengthOfFactors(journey.factors) >= turn.requirement.strength) {
    return finishLogin(turn, journey, user);
  }
  if (journey.viaAccessPass) return turn.ctx.redirect(interactionPath(turn, 'enrol'));
  const methods = await usableMethods(turn, user.id);
  if (!methods.length && (await blockedByFraudReport(turn, user.id))) return showFraudBlock(turn);
  turn.ctx.status = 303;
  turn.ctx.redirect(interactionPath(turn, methods.length ? 'second-factor' : 'enrol'));
}
