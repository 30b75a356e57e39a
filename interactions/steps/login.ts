// Identify + password. The message on failure never tells whether the user exists.
import type { User } from '../../adapters/postgres/users.ts';
import { field } from '../../app/http/form.ts';
import { DirectoryUnavailableError } from '../../adapters/ldap/directory.ts';
import { HttpError } from '../../app/http/errors.ts';
import { verifyFirstFactor } from '../../methods/password/index.ts';
import { auditContext, interactionPath, render, saveJourney, type Journey, type Turn } from '../journey.ts';
import { continueJourney } from './next.ts';

export async function showLogin(turn: Turn, error?: string, username?: string): Promise<void> {
  const hint = typeof turn.details.params.login_hint === 'string' ? turn.details.params.login_hint : '';
  await render(turn, 'login', {
    title: turn.t('login.title'),
    action: interactionPath(turn, 'login'),
    abort: interactionPath(turn, 'abort'),
    username: (username ?? hint).slice(0, 256),
    error,
  }, error ? 401 : 200);
}

export async function submitLogin(turn: Turn, fields: Record<string, string>): Promise<void> {
  const username = field(fields, 'username', { max: 256, required: true }).trim();
  const password = field(fields, 'password', { max: 1024, required: true });
  const known = await turn.deps.services.users.findByUsername(username);
  // Unknown names have a budget too, keyed by the name, so probing them looks the same as a real account.
  const subject = known?.id ?? `name:${username.toLowerCase()}`;
  let user: User | undefined;
  const { users } = turn.deps.services;
  const outcome = await turn.deps.regulator
    .attempt('password', subject, async () => {
      user = await verifyFirstFactor({ users, directory: turn.deps.directory }, username, password, { user: known });
      return Boolean(user && !user.disabledAt);
    })
    .catch((err: unknown) => {
      // The directory is down or hung: say so, rather than blaming the password.
      if (err instanceof DirectoryUnavailableError) throw new HttpError(503, 'login.directoryUnavailable', err.message);
      throw err;
    });
  if (outcome !== 'ok' || !user) {
    await turn.deps.services.audit.record({
      type: 'signin.failure',
      outcome: 'failure',
      userId: known?.id,
      username,
      factor: 'password',
      details: { reason: outcome === 'locked' ? 'locked' : known?.disabledAt ? 'disabled' : 'bad_credentials' },
      ...auditContext(turn),
    });
    return showLogin(turn, turn.t('login.failed'), username);
  }
  const journey: Journey = { userId: user.id, factors: ['password'] };
  await saveJourney(turn, journey);
  await continueJourney(turn, journey, user);
}
