// Where a journey goes after each proven factor: done, the second factor, or enrolment.
import type { User } from '../../adapters/postgres/users.ts';
import { strengthOfFactors } from '../../provider/acr.ts';
import { byStrength, handlerFor } from '../factors/index.ts';
import { finishLogin, interactionPath, type Journey, type Turn } from '../journey.ts';

export async function usableMethods(turn: Turn, userId: string) {
  const methods = await turn.deps.services.methods.listForUser(userId, { activeOnly: true });
  return byStrength(methods.filter((m) => !m.flaggedAt && handlerFor(m.kind)));
}

export async function continueJourney(turn: Turn, journey: Journey, user: User): Promise<void> {
  if (!journey.viaAccessPass && strengthOfFactors(journey.factors) >= turn.requirement.strength) {
    return finishLogin(turn, journey, user);
  }
  if (journey.viaAccessPass) return turn.ctx.redirect(interactionPath(turn, 'enrol'));
  const methods = await usableMethods(turn, user.id);
  turn.ctx.status = 303;
  turn.ctx.redirect(interactionPath(turn, methods.length ? 'second-factor' : 'enrol'));
}
