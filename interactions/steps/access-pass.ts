// A temporary access pass from IT: with the password it lets the user in to register a new method,
// and nothing else — the journey goes straight to enrolment.
import type { User } from '../../adapters/postgres/users.ts';
import { field } from '../../app/http/form.ts';
import { verifyAccessPass } from '../../methods/tap/index.ts';
import { auditContext, interactionPath, render, saveJourney, type Journey, type Turn } from '../journey.ts';

export async function showAccessPass(turn: Turn, error?: string): Promise<void> {
  await render(turn, 'access-pass', {
    title: turn.t('mfa.pass.title'),
    action: interactionPath(turn, 'access-pass'),
    back: interactionPath(turn, 'methods'),
    error,
  }, error ? 400 : 200);
}

export async function submitAccessPass(turn: Turn, journey: Journey, user: User, fields: Record<string, string>): Promise<void> {
  const code = field(fields, 'pass', { max: 64, required: true });
  const { db, audit } = turn.deps.services;
  const outcome = await turn.deps.regulator.attempt('mfa:tap', user.id, () => verifyAccessPass(db, user.id, code, new Date(turn.deps.now())));
  await audit.record({
    type: outcome === 'ok' ? 'signin.access_pass' : 'signin.failure',
    outcome: outcome === 'ok' ? 'success' : 'failure',
    userId: user.id,
    username: user.username,
    factor: 'tap',
    ...auditContext(turn),
  });
  if (outcome !== 'ok') return showAccessPass(turn, turn.t('mfa.pass.invalid'));
  await saveJourney(turn, { ...journey, factors: [...journey.factors, 'tap'], viaAccessPass: true });
  turn.ctx.status = 303;
  turn.ctx.redirect(interactionPath(turn, 'enrol'));
}
