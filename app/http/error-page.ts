// Turns errors from our own routes into localized 4xx pages (or JSON for API clients); only the
// unexpected becomes a 500, and then without details.
import type { Context, Next } from 'koa';
import { isLang, translator } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import { HttpError } from './errors.ts';
import { languageOf } from './locale.ts';
import { renderPage } from './render.ts';

interface StatusError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  name?: string;
}

function classify(err: unknown): { status: number; key: string } {
  if (err instanceof HttpError) return { status: err.status, key: err.messageKey };
  const e = err as StatusError;
  if (e?.name === 'SessionNotFound' || e?.name === 'InvalidRequest') return { status: 400, key: 'errors.sessionExpired' };
  const status = e?.status ?? e?.statusCode;
  if (status && status >= 400 && status < 500) return { status, key: 'errors.badRequest' };
  return { status: 500, key: 'errors.unexpected' };
}

export function errorPages(log: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (err) {
      const { status, key } = classify(err);
      if (status >= 500) log.error('request failed', { path: ctx.path, err: err instanceof Error ? err.stack : String(err) });
      const lang = isLang(ctx.state.lang) ? ctx.state.lang : languageOf(ctx);
      const t = translator(lang);
      if (ctx.path.startsWith('/admin/api') || ctx.accepts('html', 'json') === 'json') {
        ctx.status = status;
        ctx.body = { error: status >= 500 ? 'server_error' : 'invalid_request', error_description: t(key) };
        return;
      }
      await renderPage(ctx, lang, 'message', { title: t('errors.title'), message: t(key) }, status);
    }
  };
}
