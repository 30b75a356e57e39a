// Headers every page carries: a strict CSP (no inline script), no framing, no sniffing, no referrer leaks.
import type { Context, Next } from 'koa';

const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  await next();
  if (ctx.response.is('html')) {
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('Cache-Control', 'no-store');
  }
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Referrer-Policy', 'no-referrer');
  if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000');
}
