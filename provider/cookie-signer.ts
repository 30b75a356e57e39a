// Signs and checks the signatures of oidc-provider's cookies (Koa takes any object with keygrip's
// sign/verify/index). keygrip compares signatures with tsscmp, which makes two extra HMACs under a
// fresh random key per comparison: about 40 µs, on every signed cookie of every request. Here the
// comparison is timingSafeEqual and the keys are prepared once.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export class CookieSigner {
  readonly #keys: KeyObject[];

  /** The first key signs; every key is accepted, so a rotated-out key keeps its cookies valid. */
  constructor(keys: readonly string[]) {
    if (!keys.length) throw new TypeError('at least one cookie key is needed');
    this.#keys = keys.map((k) => createSecretKey(Buffer.from(k, 'utf8')));
  }

  sign(data: string): string {
    return this.#signWith(this.#keys[0]!, data);
  }

  verify(data: string, digest: string): boolean {
    return this.index(data, digest) > -1;
  }

  /** Which key made `digest` (-1: none); cookies signed by an older key are re-signed by Koa. */
  index(data: string, digest: string): number {
    const given = Buffer.from(digest);
    return this.#keys.findIndex((key) => {
      const expected = Buffer.from(this.#signWith(key, data));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  #signWith(key: KeyObject, data: string): string {
    return createHmac('sha256', key).update(data).digest('base64url');
  }
}
