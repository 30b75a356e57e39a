// The Security info page's own session: a small signed cookie, not a server-side row. It holds who
// signed in (sub), which Sekisho session it came from (sid) and when the user last proved who they
// are (authTime); it lives 15 minutes and is only ever sent to /account.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

export const SESSION_COOKIE = 'sekisho_account';
export const LOGIN_COOKIE = 'sekisho_account_login';
export const CODES_COOKIE = 'sekisho_account_codes';
const COOKIE_PATH = '/account';

/** How long the page stays signed in, and how recent a sign-in must be to change anything. */
export const SESSION_SECONDS = 15 * 60;
export const RECENT_AUTH_SECONDS = 15 * 60;
/** Time allowed between leaving for the sign-in pages and coming back. */
export const LOGIN_SECONDS = 10 * 60;
/** How long new backup codes can be shown, downloaded and printed before "I have saved them". */
export const CODES_SECONDS = 10 * 60;

export interface AccountSession {
  sub: string;
  sid: string;
  /** When the user last signed in at Sekisho (the ID token's auth_time, on this server's clock), in seconds. */
  authTime: number;
  iat: number;
  exp: number;
}

/** What the callback needs to check that the answer belongs to the request we sent. */
export interface LoginState {
  state: string;
  nonce: string;
  verifier: string;
  exp: number;
}

/** Values signed with a server key under a purpose, so a value made for one cookie is refused by another. */
export class SignedValues {
  readonly #key: string;

  constructor(key: string) {
    this.#key = key;
  }

  #mac(purpose: string, body: string): Buffer {
    return createHmac('sha256', this.#key).update(`${purpose}.${body}`).digest();
  }

  sign(purpose: string, value: object): string {
    const body = Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${body}.${this.#mac(purpose, body).toString('base64url')}`;
  }

  /** The value when the signature is right and it has not expired (`exp`, seconds); otherwise undefined. */
  verify<T extends { exp: number }>(purpose: string, signed: string | undefined, nowSeconds: number): T | undefined {
    const [body, mac, extra] = (signed ?? '').split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    const got = Buffer.from(mac, 'base64url');
    const expected = this.#mac(purpose, body);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return undefined;
    try {
      const value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
      return typeof value.exp === 'number' && value.exp > nowSeconds ? value : undefined;
    } catch {
      return undefined;
    }
  }
}

export interface CookieJar {
  read(ctx: Context, name: string): string | undefined;
  write(ctx: Context, name: string, value: string, maxAgeSeconds: number): void;
  clear(ctx: Context, name: string): void;
}

export function cookieJar(secure: boolean): CookieJar {
  const options = { httpOnly: true, sameSite: 'lax' as const, secure, path: COOKIE_PATH, signed: false, overwrite: true };
  return {
    read: (ctx, name) => ctx.cookies.get(name, { signed: false }),
    write: (ctx, name, value, maxAgeSeconds) => ctx.cookies.set(name, value, { ...options, maxAge: maxAgeSeconds * 1000 }),
    clear: (ctx, name) => ctx.cookies.set(name, '', { ...options, maxAge: 0, expires: new Date(0) }),
  };
}
