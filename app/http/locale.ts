// The page language: ui_locales of the request, then the switcher's cookie, then Accept-Language, then Japanese.
import type { Context, Next } from 'koa';
import { DEFAULT_LANG, firstSupported, isLang, type Lang } from '../i18n.ts';

export const LANG_COOKIE = 'sekisho_lang';

export function languageOf(ctx: Context, uiLocales?: string): Lang {
  const chosen = ctx.cookies.get(LANG_COOKIE);
  return firstSupported(uiLocales) ?? (isLang(chosen) ? chosen : undefined) ?? firstSupported(ctx.get('accept-language')) ?? DEFAULT_LANG;
}

/** `?lang=en` on any page sets the cookie and reloads the page without the parameter. */
export async function languageSwitch(ctx: Context, next: Next): Promise<void> {
  const wanted = ctx.query.lang;
  if (ctx.method === 'GET' && typeof wanted === 'string' && isLang(wanted)) {
    ctx.cookies.set(LANG_COOKIE, wanted, { httpOnly: true, sameSite: 'lax', maxAge: 365 * 24 * 3600 * 1000, signed: false, overwrite: true });
    const url = new URL(ctx.originalUrl, 'http://x');
    url.searchParams.delete('lang');
    url.searchParams.set('hl', wanted);
    ctx.redirect(url.pathname + url.search);
    return;
  }
  await next();
}
