// The sign-in journey's routes. Each route builds a Turn (the interaction, language, requirement)
// and hands it to one step; steps decide where the journey goes next.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { User } from '../adapters/postgres/users.ts';
import { readForm } from '../app/http/body.ts';
import { HttpError } from '../app/http/errors.ts';
import { languageOf } from '../app/http/locale.ts';
import { translator } from '../app/i18n.ts';
import type { Factor } from '../provider/acr.ts';
import { clientPolicyOf, requirementFor, unattainable } from '../provider/policy.ts';
import { finishWithError, formStep, loadJourney, saveJourney, type InteractionDeps, type Journey, type JourneyStep, type Turn } from './journey.ts';
import { showAccessPass, submitAccessPass } from './steps/access-pass.ts';
import { showConsent, submitConsent } from './steps/consent.ts';
import { afterEnrol, mayEnrol, showEnrolChoice, showTotpEnrolment, submitTotpEnrolment, type EnrolChoice } from './steps/enrol.ts';
import { showLogin, submitLogin } from './steps/login.ts';
import { continueJourney } from './steps/next.ts';
import { showPicker, showSecondFactor, verifySecondFactor } from './steps/second-factor.ts';

const AMR_FACTORS: Record<string, Factor> = { pwd: 'password', otp: 'totp', sms: 'sms', tel: 'voice' };

/** Extension points the phone and backup-code modules plug into. */
export interface JourneyExtensions {
  enrolChoices?: EnrolChoice[];
  /** Shows the "add a second method" offer after enrolment; false when there is nothing to offer. */
  offerAfterEnrol?: (turn: Turn, journey: Journey, user: User) => Promise<boolean>;
  /** Adds routes of its own under /interaction/:uid/… */
  routes?: (router: Router, helpers: JourneyRouteHelpers) => void;
}

export interface JourneyRouteHelpers {
  turn(ctx: Context): Promise<Turn>;
  withJourney(fn: JourneyStep): (ctx: Context) => Promise<void>;
  /** withJourney for enrolment pages: anyone who may not enrol is sent to prove a method instead. */
  enrolling(fn: JourneyStep): (ctx: Context) => Promise<void>;
}

export function createInteractionRouter(deps: InteractionDeps, ext: JourneyExtensions = {}): Router {
  const router = new Router();

  async function turn(ctx: Context): Promise<Turn> {
    const details = await deps.provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid) throw new HttpError(400, 'errors.sessionExpired');
    const params = details.params as Record<string, unknown>;
    const client = await deps.provider.Client.find(String(params.client_id));
    const lang = languageOf(ctx, typeof params.ui_locales === 'string' ? params.ui_locales : undefined);
    // Error pages for this request (a bad field, a CSRF failure) speak the interaction's language too.
    ctx.state.lang = lang;
    return {
      ctx,
      deps,
      details,
      uid: details.uid,
      lang,
      t: translator(lang),
      requirement: requirementFor(params, clientPolicyOf(client), deps.ladder),
      clientName: client?.clientName ?? String(params.client_id),
    };
  }

  function withJourney(fn: JourneyStep) {
    return async (ctx: Context) => {
      const t = await turn(ctx);
      const loaded = await loadJourney(t);
      if (!loaded || loaded.user.disabledAt) return ctx.redirect(`/interaction/${t.uid}`);
      await fn(t, loaded.journey, loaded.user);
    };
  }

  router.get('/interaction/:uid', async (ctx) => {
    const t = await turn(ctx);
    // Asking for more than any factor here reaches ends the flow with an error, never a weaker acr.
    if (unattainable(t.requirement)) {
      return finishWithError(t, 'unmet_authentication_requirements', 'no sign-in method here reaches the requested authentication context');
    }
    const prompt = t.details.prompt.name;
    if (prompt === 'login') return showLogin(t);
    if (prompt === 'consent') return showConsent(t);
    // Step-up: the session has signed in already; only the missing factor is asked.
    const session = t.details.session!;
    const journey: Journey = {
      userId: session.accountId,
      factors: (session.amr ?? []).map((a) => AMR_FACTORS[a]).filter((f): f is Factor => Boolean(f)),
      stepUp: true,
    };
    const user = await deps.services.users.findById(journey.userId);
    if (!user || user.disabledAt) return finishWithError(t, 'login_required', 'the account can no longer sign in');
    await saveJourney(t, journey);
    await continueJourney(t, journey, user);
  });

  router.post('/interaction/:uid/login', async (ctx) => {
    const t = await turn(ctx);
    const fields = await readForm(ctx);
    deps.csrf.verify(ctx, t.uid, fields.csrf);
    await submitLogin(t, fields);
  });

  // A GET of a form's own address (the language switcher on a page shown after a POST, a reload from
  // the address bar) goes back to the page with that form.
  const entry = (ctx: Context) => `/interaction/${encodeURIComponent(ctx.params.uid!)}`;
  router.get('/interaction/:uid/login', (ctx) => ctx.redirect(entry(ctx)));
  router.get('/interaction/:uid/consent', (ctx) => ctx.redirect(entry(ctx)));
  router.get('/interaction/:uid/verify/:methodId', (ctx) =>
    ctx.redirect(`${entry(ctx)}/second-factor?method=${encodeURIComponent(ctx.params.methodId!)}`),
  );

  router.get('/interaction/:uid/second-factor', withJourney((t, journey) => showSecondFactor(t, journey)));
  router.get('/interaction/:uid/methods', withJourney((t, journey) => showPicker(t, journey)));
  router.post(
    '/interaction/:uid/verify/:methodId',
    withJourney(formStep((t, journey, user, fields) => verifySecondFactor(t, journey, user, t.ctx.params.methodId!, fields))),
  );

  router.get('/interaction/:uid/access-pass', withJourney((t) => showAccessPass(t)));
  router.post(
    '/interaction/:uid/access-pass',
    withJourney(formStep(submitAccessPass)),
  );

  // Enrolment is not a way around proving a method one already has.
  const enrolling = (fn: JourneyStep) =>
    withJourney(async (t, journey, user) => ((await mayEnrol(t, journey)) ? fn(t, journey, user) : t.ctx.redirect(`/interaction/${t.uid}/second-factor`)));

  router.get('/interaction/:uid/enrol', enrolling((t) => showEnrolChoice(t, ext.enrolChoices ?? [])));
  router.get('/interaction/:uid/enrol/app', enrolling((t, journey, user) => showTotpEnrolment(t, journey, user)));
  router.post(
    '/interaction/:uid/enrol/app',
    enrolling(formStep(submitTotpEnrolment)),
  );
  router.get('/interaction/:uid/after-enrol', withJourney((t, journey, user) => afterEnrol(t, journey, user, ext.offerAfterEnrol)));
  router.post(
    '/interaction/:uid/continue',
    withJourney(formStep((t, journey, user) => continueJourney(t, journey, user))),
  );

  router.post('/interaction/:uid/consent', async (ctx) => submitConsent(await turn(ctx), await readForm(ctx)));
  router.get('/interaction/:uid/abort', async (ctx) => finishWithError(await turn(ctx), 'access_denied', 'the user cancelled the sign-in'));

  ext.routes?.(router, { turn, withJourney, enrolling });
  return router;
}
