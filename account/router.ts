// The Security info page's routes: /account and below. Every request first finds the page's session
// (or sends the browser to sign in); every change reads a bounded form, checks its CSRF token and asks
// for a recent sign-in, then hands over to account/methods.ts.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { TFunction } from 'i18next';
import type { User } from '../adapters/postgres/users.ts';
import { sendBackupCodesFile } from '../app/http/backup-codes-file.ts';
import { readForm } from '../app/http/body.ts';
import type { Csrf } from '../app/http/csrf.ts';
import { HttpError, notFound } from '../app/http/errors.ts';
import { field } from '../app/http/form.ts';
import { languageOf } from '../app/http/locale.ts';
import { renderPage, type PageData } from '../app/http/render.ts';
import { formatDateTime, translator, type Lang } from '../app/i18n.ts';
import type { TotpEnrolment } from '../methods/totp/index.ts';
import {
  beginAddTotp,
  finishAddTotp,
  LastMethodError,
  makeDefault,
  overview,
  pendingTotp,
  regenerateBackupCodes,
  removeMethod,
  renameMethod,
  resumeAddTotp,
  signOutAll,
  type AccountDeps,
  type Actor,
} from './methods.ts';
import { CODES_COOKIE, CODES_SECONDS, RECENT_AUTH_SECONDS, SESSION_COOKIE, type AccountSession } from './session.ts';
import { maskPhone } from '../methods/phone-number.ts';
import { accountLabel } from '../interactions/journey.ts';
import { countryLabelFor } from '../interactions/phone.ts';
import { blankPhoneForm, extensionValid, PHONE_KINDS, phoneErrorMessage, readPhoneForm, type PhoneFormValues } from '../interactions/phone-form.ts';
import { beginAddPhone, finishAddPhone, pendingPhone } from './phones.ts';
import { sekishoSessionAlive } from './sessions.ts';
import { beginSignIn, completeSignIn, readSession, type SignInDeps } from './sign-in.ts';

export interface AccountPagesDeps extends AccountDeps {
  csrf: Csrf;
  signIn: SignInDeps;
}

/** One request of a signed-in user. */
interface Visit {
  ctx: Context;
  lang: Lang;
  t: TFunction;
  session: AccountSession;
  user: User;
  actor: Actor;
  csrf: string;
}

const LABEL_MAX = 64;
/** Control characters and the bidirectional overrides that could make a name display as something else. */
const UNPRINTABLE = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
/** Notices shown after a change (`?done=`); anything else is ignored. */
const NOTICES = new Set(['rename', 'default', 'remove', 'add', 'codes']);
/** The campus is in Japan; dates on the page are in its time. */

const METHOD_ID = /^[A-Za-z0-9_-]{1,64}$/;

function methodId(ctx: Context): string {
  const id = ctx.params.id ?? '';
  if (!METHOD_ID.test(id)) throw notFound('account.errors.noSuchMethod');
  return id;
}

/** A method's new name: trimmed, 1–64 characters (not UTF-16 units), nothing unprintable. */
export function methodLabel(fields: Record<string, string>): string {
  const label = field(fields, 'label', { max: LABEL_MAX * 2, required: true }).trim();
  if (UNPRINTABLE.test(label)) throw new HttpError(400, 'errors.badCharacters', 'label has control characters');
  if ([...label].length > LABEL_MAX) throw new HttpError(400, 'errors.fieldTooLong', 'label too long');
  return label;
}

/** A form's token is bound to this page session (a new sign-in makes earlier forms stale). */
function csrfBinding(session: AccountSession): string {
  return `account:${session.sid}:${session.iat}`;
}

function seeOther(ctx: Context, path: string): void {
  ctx.status = 303;
  ctx.redirect(path);
}

export function createAccountRouter(deps: AccountPagesDeps): Router {
  const router = new Router();
  const { jar } = deps.signIn;
  const nowSeconds = () => Math.floor(deps.now() / 1000);

  function signIn(ctx: Context, fresh: boolean): void {
    seeOther(ctx, beginSignIn(deps.signIn, ctx, { fresh, lang: languageOf(ctx) }));
  }

  function render(v: Pick<Visit, 'ctx' | 'lang' | 'csrf'>, view: string, data: PageData, status = 200): Promise<void> {
    return renderPage(v.ctx, v.lang, view, { csrf: v.csrf, ...data }, status);
  }

  /** The signed-in user, or undefined after sending the browser to sign in. */
  async function visit(ctx: Context): Promise<Visit | undefined> {
    const session = readSession(deps.signIn, ctx);
    const user = session && (await deps.services.users.findById(session.sub));
    const alive = user && !user.disabledAt && (await sekishoSessionAlive(deps.services.db, deps.signIn.client.clientId, user.id, session.sid));
    if (!session || !user || !alive) {
      jar.clear(ctx, SESSION_COOKIE);
      signIn(ctx, false);
      return undefined;
    }
    const lang = languageOf(ctx);
    return {
      ctx,
      lang,
      t: translator(lang),
      session,
      user,
      actor: { user, ip: ctx.ip, userAgent: ctx.get('user-agent') || null },
      csrf: deps.csrf.token(csrfBinding(session)),
    };
  }

  const page = (fn: (v: Visit) => Promise<void>) => async (ctx: Context) => {
    const v = await visit(ctx);
    if (v) await fn(v);
  };

  /** A change: a form with a valid CSRF token from a recent sign-in; an older sign-in is asked for the password again. */
  const change = (fn: (v: Visit, fields: Record<string, string>) => Promise<void>) =>
    page(async (v) => {
      const fields = await readForm(v.ctx);
      deps.csrf.verify(v.ctx, csrfBinding(v.session), fields.csrf);
      if (nowSeconds() - v.session.authTime > RECENT_AUTH_SECONDS) return seeOther(v.ctx, '/account/signin?fresh=1');
      await fn(v, fields);
    });

  async function showOverview(v: Visit, error?: string, status = 200): Promise<void> {
    const { methods, backupCodes } = await overview(deps, v.user.id);
    const done = typeof v.ctx.query.done === 'string' && NOTICES.has(v.ctx.query.done) ? v.ctx.query.done : undefined;
    await render(
      v,
      'account',
      {
        title: v.t('account.title'),
        account: accountLabel(v.user),
        methods: methods.map((m) => ({
          ...m,
          name: m.label ?? v.t(`account.kind.${m.kind}`),
          // The kind is only worth repeating under a name the user chose.
          facts: [
            ...(m.label ? [v.t(`account.kind.${m.kind}`)] : []),
            ...(m.phone ? [m.phone] : []),
            ...(m.flagged ? [v.t('account.flagged')] : []),
            v.t('account.added', { date: formatDateTime(v.lang, m.createdAt) }),
            m.lastUsedAt ? v.t('account.lastUsed', { date: formatDateTime(v.lang, m.lastUsedAt) }) : v.t('account.neverUsed'),
          ].join(' · '),
        })),
        backupCodes,
        canAddPhone: deps.phoneMethods.length > 0 && Boolean(deps.phone()),
        labelMax: LABEL_MAX,
        error,
        notice: done && v.t(`account.done.${done}`),
      },
      status,
    );
  }

  async function showTotp(v: Visit, enrolment: TotpEnrolment, error?: string): Promise<void> {
    await render(
      v,
      'enrol-totp',
      {
        title: v.t('account.add.appTitle'),
        action: `/account/add/app/${enrolment.methodId}`,
        back: '/account',
        enrolment,
        digits: deps.totp.settings.digits,
        error,
      },
      error ? 400 : 200,
    );
  }

  /** Backup codes between generation and "I have saved them": sealed in a cookie for this session only. */
  function shownCodes(v: Visit): { codes: string[]; createdAt: string } | undefined {
    const sealed = jar.read(v.ctx, CODES_COOKIE);
    if (!sealed) return undefined;
    try {
      const shown = JSON.parse(deps.services.box.open(sealed, `account-codes:${v.session.sid}`)) as { codes: string[]; createdAt: string; exp: number };
      return shown.exp > nowSeconds() ? shown : undefined;
    } catch {
      return undefined;
    }
  }

  router.get('/account', page((v) => showOverview(v)));
  router.get('/account/signin', async (ctx) => signIn(ctx, ctx.query.fresh === '1'));
  router.get('/account/callback', async (ctx) => {
    await completeSignIn(deps.signIn, ctx);
    seeOther(ctx, '/account');
  });

  router.post(
    '/account/methods/:id/rename',
    change(async (v, fields) => {
      await renameMethod(deps, v.actor, methodId(v.ctx), methodLabel(fields));
      seeOther(v.ctx, '/account?done=rename');
    }),
  );
  router.post(
    '/account/methods/:id/default',
    change(async (v) => {
      await makeDefault(deps, v.actor, methodId(v.ctx));
      seeOther(v.ctx, '/account?done=default');
    }),
  );
  router.get(
    '/account/methods/:id/remove',
    page(async (v) => {
      const id = methodId(v.ctx);
      const method = (await overview(deps, v.user.id)).methods.find((m) => m.id === id);
      if (!method) throw notFound('account.errors.noSuchMethod');
      await render(v, 'account-remove', {
        title: v.t('account.remove.title'),
        name: method.label ?? v.t(`account.kind.${method.kind}`),
        kindLabel: v.t(`account.kind.${method.kind}`),
        phone: method.phone,
        action: `/account/methods/${id}/remove`,
      });
    }),
  );
  router.post(
    '/account/methods/:id/remove',
    change(async (v) => {
      try {
        await removeMethod(deps, v.actor, methodId(v.ctx));
      } catch (err) {
        if (err instanceof LastMethodError) return showOverview(v, v.t('account.errors.lastMethod'), 409);
        throw err;
      }
      seeOther(v.ctx, '/account?done=remove');
    }),
  );

  router.get('/account/add/app', page(async (v) => showTotp(v, await beginAddTotp(deps, v.user))));
  router.post(
    '/account/add/app/:id',
    change(async (v, fields) => {
      const code = field(fields, 'code', { max: 64, required: true });
      const method = await pendingTotp(deps, v.user, methodId(v.ctx));
      if (!method) return showTotp(v, await beginAddTotp(deps, v.user), v.t('enrol.totp.expired'));
      const outcome = await finishAddTotp(deps, v.actor, method, code);
      if (outcome === 'ok') return seeOther(v.ctx, '/account?done=add');
      await showTotp(v, await resumeAddTotp(deps, v.user, method), v.t(outcome === 'clock_skew' ? 'mfa.totp.clockSkew' : 'mfa.invalidCode'));
    }),
  );

  const phoneServices = () => {
    const phone = deps.phone();
    if (!phone || !deps.phoneMethods.length) throw notFound();
    return phone;
  };

  async function showPhoneForm(v: Visit, values: PhoneFormValues, error?: string): Promise<void> {
    const { settings } = phoneServices();
    await render(v, 'phone-enrol', {
      title: v.t('account.add.phoneTitle'),
      action: '/account/add/phone',
      back: '/account',
      kinds: PHONE_KINDS.map((k) => ({ value: k, label: v.t(`phone.kind.${k}`) })),
      country: countryLabelFor(settings.defaultCountry, v.lang),
      vias: deps.phoneMethods,
      values,
      imported: false,
      error,
    }, error ? 400 : 200);
  }

  async function showPhoneCode(v: Visit, methodPhone: string, via: string, action: string, error?: string): Promise<void> {
    await render(v, 'phone-code', {
      title: v.t('phone.code.title'),
      intro: v.t(via === 'sms' ? 'phone.code.smsIntro' : 'phone.code.voiceIntro', { phone: maskPhone(methodPhone) }),
      resendLabel: v.t('account.add.phoneAgain'),
      action,
      resend: '/account/add/phone/again',
      otherWay: undefined,
      error,
    }, error ? 400 : 200);
  }

  router.get('/account/add/phone', page((v) => showPhoneForm(v, blankPhoneForm(v.user.importedPhone, deps.phoneMethods))));
  router.post(
    '/account/add/phone',
    change(async (v, fields) => {
      const phone = phoneServices();
      const values = readPhoneForm(fields, deps.phoneMethods);
      if (!extensionValid(values)) return showPhoneForm(v, values, v.t('phone.errors.extensionInvalid'));
      try {
        const texts = { language: v.lang, sms: (code: string) => v.t('phone.sms.message', { code }), voicePrompt: v.t('phone.voice.readPrompt') };
        const { method, challengeId } = await beginAddPhone(deps, phone, v.actor, values, texts);
        seeOther(v.ctx, `/account/add/phone/${method.id}/${encodeURIComponent(challengeId)}`);
      } catch (error) {
        await showPhoneForm(v, values, phoneErrorMessage(v.t, error));
      }
    }),
  );
  // "Send again" starts over from the form, so the number can be corrected too.
  router.post('/account/add/phone/again', change(async (v) => seeOther(v.ctx, '/account/add/phone')));
  router.get(
    '/account/add/phone/:id/:challenge',
    page(async (v) => {
      const method = await pendingPhone(deps, v.actor, methodId(v.ctx));
      if (!method) throw notFound('account.errors.noSuchMethod');
      await showPhoneCode(v, method.phone!, method.kind, v.ctx.path);
    }),
  );
  router.post(
    '/account/add/phone/:id/:challenge',
    change(async (v, fields) => {
      const phone = phoneServices();
      const code = field(fields, 'code', { max: 64, required: true });
      const method = await pendingPhone(deps, v.actor, methodId(v.ctx));
      if (!method) throw notFound('account.errors.noSuchMethod');
      const outcome = await finishAddPhone(deps, phone, v.actor, method, String(v.ctx.params.challenge), code);
      if (outcome === 'ok') return seeOther(v.ctx, '/account?done=add');
      await showPhoneCode(v, method.phone!, method.kind, v.ctx.path, v.t('mfa.invalidCode'));
    }),
  );

  router.post(
    '/account/backup-codes',
    change(async (v) => {
      const codes = await regenerateBackupCodes(deps, v.actor);
      const shown = { codes, createdAt: new Date(deps.now()).toISOString(), exp: nowSeconds() + CODES_SECONDS };
      jar.write(v.ctx, CODES_COOKIE, deps.services.box.seal(JSON.stringify(shown), `account-codes:${v.session.sid}`), CODES_SECONDS);
      seeOther(v.ctx, '/account/backup-codes');
    }),
  );
  router.get(
    '/account/backup-codes',
    page(async (v) => {
      const shown = shownCodes(v);
      if (!shown) return seeOther(v.ctx, '/account');
      await render(v, 'backup-codes', {
        title: v.t('backup.codes.title'),
        codes: shown.codes,
        count: shown.codes.length,
        downloadHref: '/account/backup-codes/download',
        printHref: '/account/backup-codes/print',
        doneAction: '/account/backup-codes/done',
      });
    }),
  );
  router.get(
    '/account/backup-codes/download',
    page(async (v) => {
      const shown = shownCodes(v);
      if (!shown) throw notFound();
      sendBackupCodesFile(v.ctx, v.t, v.lang, accountLabel(v.user), shown);
    }),
  );
  router.get(
    '/account/backup-codes/print',
    page(async (v) => {
      const shown = shownCodes(v);
      if (!shown) throw notFound();
      await render(v, 'backup-print', {
        title: v.t('backup.print.title'),
        codes: shown.codes,
        account: accountLabel(v.user),
        createdAt: formatDateTime(v.lang, new Date(shown.createdAt)),
        back: '/account/backup-codes',
      });
    }),
  );
  router.post(
    '/account/backup-codes/done',
    change(async (v) => {
      jar.clear(v.ctx, CODES_COOKIE);
      seeOther(v.ctx, '/account?done=codes');
    }),
  );

  router.post(
    '/account/signout-all',
    change(async (v) => {
      await signOutAll(deps, v.actor);
      jar.clear(v.ctx, SESSION_COOKIE);
      jar.clear(v.ctx, CODES_COOKIE);
      seeOther(v.ctx, '/account/signed-out');
    }),
  );
  // Needs no session (it has just ended); a GET, so reloading it or switching its language repeats nothing.
  router.get('/account/signed-out', async (ctx) => {
    const lang = languageOf(ctx);
    await renderPage(ctx, lang, 'account-signed-out', { title: translator(lang)('account.signedOut.title') });
  });

  return router;
}
