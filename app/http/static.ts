// The few static files the pages use, read once and served with a long cache lifetime.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Next } from 'koa';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'static');
const files = new Map([['/static/sekisho.css', { type: 'text/css; charset=utf-8', body: readFileSync(join(dir, 'sekisho.css')) }]]);

export async function staticFiles(ctx: Context, next: Next): Promise<void> {
  const file = ctx.method === 'GET' ? files.get(ctx.path) : undefined;
  if (!file) return next();
  ctx.type = file.type;
  ctx.set('Cache-Control', 'public, max-age=86400');
  ctx.body = file.body;
}
