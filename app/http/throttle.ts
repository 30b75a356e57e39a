// A per-address ceiling on the sign-in forms, in front of the per-account lockouts. Generous on
// purpose: a whole campus can sit behind one NAT address. Server-to-server endpoints (token,
// introspection) are left alone, since a broker sends every user's requests from one address.
import type { Context, Next } from 'koa';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpError } from './errors.ts';

export interface ThrottleOptions {
  /** Requests allowed per address per window. */
  points: number;
  windowSeconds: number;
}

export function throttlePosts(options: ThrottleOptions, prefixes: string[]) {
  const limiter = new RateLimiterMemory({ points: options.points, duration: options.windowSeconds });
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.method !== 'POST' || !prefixes.some((p) => ctx.path.startsWith(p))) return next();
    try {
      await limiter.consume(ctx.ip);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      ctx.set('Retry-After', String(Math.ceil(res.msBeforeNext / 1000)));
      throw new HttpError(429, 'errors.tooMany');
    }
    await next();
  };
}
