// The pages oidc-provider renders itself (logout confirmation, signed out, errors), in the user's language.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { languageOf } from '../app/http/locale.ts';
import { renderPage } from '../app/http/render.ts';
import { translator } from '../app/i18n.ts';
import type { ProviderPages } from '../provider/index.ts';

function langOf(ctx: KoaContextWithOIDC) {
  const uiLocales = ctx.oidc?.params?.ui_locales;
  return languageOf(ctx, typeof uiLocales === 'string' ? uiLocales : undefined);
}

export const providerPages: ProviderPages = {
  async logoutSource(ctx, form) {
    const lang = langOf(ctx);
    const t = translator(lang);
    const status = ctx.status;
    await renderPage(ctx, lang, 'logout', { title: t('logout.title'), form, clientName: ctx.oidc.client?.clientName ?? null });
    ctx.status = status === 404 ? 200 : status;
  },
  async postLogoutSuccessSource(ctx) {
    const lang = langOf(ctx);
    const t = translator(lang);
    await renderPage(ctx, lang, 'message', { title: t('logout.done'), message: t('logout.doneBody') });
  },
  async renderError(ctx, out) {
    const lang = langOf(ctx);
    const t = translator(lang);
    const status = ctx.status;
    await renderPage(ctx, lang, 'message', {
      title: t('errors.title'),
      message: t(`errors.oidc.${out.error}`, { defaultValue: t('errors.oidc.generic') }),
      code: out.error,
    });
    ctx.status = status;
  },
};
