// The sign-in journey's shared pieces: what a step receives (a Turn), what it has proven so far
// (the Journey), and how a finished journey becomes an oidc-provider login.
import type { Context } from 'koa';
import type { TFunction } from 'i18next';
import type { Provider } from 'oidc-provider';
import type { Directory } from '../adapters/ldap/directory.ts';
import type { JourneyRepository } from '../adapters/postgres/journeys.ts';
import type { User } from '../adapters/postgres/users.ts';
import type { Services } from '../app/services.ts';
import { readForm } from '../app/http/body.ts';
import type { Csrf } from '../app/http/csrf.ts';
import { renderPage, type PageData } from '../app/http/render.ts';
import type { Lang } from '../app/i18n.ts';
import type { TotpDeps } from '../methods/totp/index.ts';
import { amrOf, strengthOfFactors, type AcrLadder, type Factor } from '../provider/acr.ts';
import type { Requirement } from '../provider/policy.ts';
import type { Regulator } from './regulation.ts';

export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface JourneyState {
  factors: Factor[];
  /** Step-up of an existing session: the password is not asked again. */
  stepUp?: boolean;
  /** A temporary access pass was used: the user may enrol, nothing else. */
  viaAccessPass?: boolean;
  /** Method kinds enrolled in this journey (for the "add a second method" offer). */
  enrolled?: string[];
  /** Free-form per-factor state (challenge ids and the like), owned by each factor module. */
  data?: Record<string, unknown>;
}

export type Journey = JourneyState & { userId: string };

export interface InteractionDeps {
  services: Services;
  provider: Provider;
  ladder: AcrLadder;
  csrf: Csrf;
  journeys: JourneyRepository<JourneyState>;
  totp: TotpDeps;
  regulator: Regulator;
  /** The university directory, when sign-in by LDAP bind is configured. */
  directory?: Directory;
  /** Clock in milliseconds; tests step it. */
  now: () => number;
}

/** One request inside an interaction. */
export interface Turn {
  ctx: Context;
  deps: InteractionDeps;
  details: InteractionDetails;
  uid: string;
  lang: Lang;
  t: TFunction;
  requirement: Requirement;
  clientName: string;
}

/** What a journey route runs once the turn, journey and user are loaded. */
export type JourneyStep = (turn: Turn, journey: Journey, user: User) => Promise<void>;

/** A journey form's step: the form is read and its CSRF token checked before `step` runs. */
export function formStep(step: (turn: Turn, journey: Journey, user: User, fields: Record<string, string>) => Promise<void>): JourneyStep {
  return async (turn, journey, user) => {
    const fields = await readForm(turn.ctx);
    turn.deps.csrf.verify(turn.ctx, turn.uid, fields.csrf);
    await step(turn, journey, user, fields);
  };
}

const JOURNEY_TTL_SECONDS = 3600;

export function saveJourney(turn: Turn, journey: Journey): Promise<void> {
  const { userId, ...state } = journey;
  return turn.deps.journeys.save(turn.uid, userId, state, JOURNEY_TTL_SECONDS);
}

export async function loadJourney(turn: Turn): Promise<{ journey: Journey; user: User } | undefined> {
  return turn.deps.journeys.load(turn.uid);
}

/** The journey with one entry of its per-factor data set, or removed when `value` is undefined. */
export function withData(journey: Journey, key: string, value: unknown): Journey {
  const data = { ...journey.data };
  if (value === undefined) delete data[key];
  else data[key] = value;
  return { ...journey, data };
}

export function interactionPath(turn: Turn, step = ''): string {
  return `/interaction/${turn.uid}${step ? `/${step}` : ''}`;
}

export function render(turn: Turn, view: string, data: PageData, status = 200): Promise<void> {
  return renderPage(turn.ctx, turn.lang, view, { csrf: turn.deps.csrf.token(turn.uid), uid: turn.uid, clientName: turn.clientName, ...data }, status);
}

export function auditContext(turn: Turn) {
  return {
    ip: turn.ctx.ip,
    userAgent: turn.ctx.get('user-agent') || null,
    clientId: String(turn.details.params.client_id ?? '') || null,
  };
}

export function accountLabel(user: User): string {
  return user.email ?? user.username;
}

/** Ends the interaction with a login that carries what was proven. */
export async function finishLogin(turn: Turn, journey: Journey, user: User): Promise<void> {
  const strength = strengthOfFactors(journey.factors);
  const acr = turn.deps.ladder.canonical(strength);
  const amr = amrOf(journey.factors);
  await turn.deps.services.audit.record({
    type: journey.stepUp ? 'signin.step_up' : 'signin.success',
    userId: user.id,
    username: user.username,
    factor: journey.factors.join('+'),
    details: { acr, amr },
    ...auditContext(turn),
  });
  // The journey is kept until it expires (swept): a request racing this one (the same code sent
  // twice) must still find it and be refused as a wrong code, not be sent back to the start.
  await redirectToResult(turn, { login: { accountId: user.id, acr, amr, remember: true } });
}

/** Ends the interaction with an OAuth error returned to the client. */
export async function finishWithError(turn: Turn, error: string, description: string): Promise<void> {
  await turn.deps.journeys.remove(turn.uid);
  await redirectToResult(turn, { error, error_description: description });
}

/** `merge` keeps the previous prompt's result (consent after a login that prompt=login demanded). */
export async function redirectToResult(turn: Turn, result: Record<string, unknown>, merge = false): Promise<void> {
  // What provider.interactionResult does, on the interaction this turn already read: it would look
  // the interaction (and its session) up again from the cookie, one or two more reads per sign-in.
  const interaction = turn.details;
  interaction.result = merge && !('error' in result) ? { ...interaction.lastSubmission, ...result } : result;
  // oidc-provider set exp by the real clock (not the journey's, which tests step).
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  turn.ctx.status = 303;
  turn.ctx.redirect(interaction.returnTo);
}
