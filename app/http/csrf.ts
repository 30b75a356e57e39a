// CSRF tokens bound to what the form acts on (an interaction or a session) and signed with a server key,
// plus an Origin check when the browser sends one.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { forbidden } from './errors.ts';

export class Csrf {
  readonly #key: string;
  readonly #origin: string;

  constructor(key: string, issuer: string) {
    this.#key = key;
    this.#origin = new URL(issuer).origin;
  }

  token(binding: string): string {
    return createHmac('sha256', this.#key).update(`csrf:${binding}`).digest('base64url');
  }

  verify(ctx: Context, binding: string, submitted: string | undefined): void {
    const origin = ctx.get('origin');
    if (origin && origin !== 'null' && origin !== this.#origin) throw forbidden('errors.csrf', `origin ${origin}`);
    const expected = Buffer.from(this.token(binding));
    const got = Buffer.from(submitted ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw forbidden('errors.csrf', 'bad csrf token');
  }
}
