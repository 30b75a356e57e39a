// Renders an EJS view inside the layout. Views get data and a translator; they never query.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import type { Context } from 'koa';
import type { TFunction } from 'i18next';
import { translator, type Lang } from '../i18n.ts';

const viewsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'views');

export interface PageData {
  title: string;
  [key: string]: unknown;
}

export interface RenderContext {
  lang: Lang;
  t: TFunction;
  /** Current path, for the language switcher links. */
  path: string;
}

export async function renderPage(ctx: Context, lang: Lang, view: string, data: PageData, status = 200): Promise<void> {
  const t = translator(lang);
  const base: RenderContext = { lang, t, path: ctx.path };
  const body = await ejs.renderFile(join(viewsDir, `${view}.ejs`), { ...base, ...data }, { async: true, cache: true });
  const html = await ejs.renderFile(join(viewsDir, 'layout.ejs'), { ...base, ...data, body }, { async: true, cache: true });
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = html;
}
