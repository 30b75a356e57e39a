// Cookie signatures: made by the first key, accepted from any configured key (rotation), and refused
// when the value, the signature or its length is not the signer's.
import { describe, expect, it } from '@jest/globals';
import { CookieSigner } from '../../provider/cookie-signer.ts';

describe('CookieSigner', () => {
  const current = new CookieSigner(['new-key', 'old-key']);
  const before = new CookieSigner(['old-key']);

  it('signs with the first key and verifies its own signatures', () => {
    const digest = current.sign('_session=abc');
    expect(digest).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(current.index('_session=abc', digest)).toBe(0);
    expect(current.verify('_session=abc', digest)).toBe(true);
  });

  it('accepts a cookie signed before the key was rotated, and says which key it was', () => {
    expect(current.index('_session=abc', before.sign('_session=abc'))).toBe(1);
  });

  it('refuses another value, a changed, shortened or empty signature, and a key it does not have', () => {
    const digest = current.sign('_session=abc');
    expect(current.verify('_session=abd', digest)).toBe(false);
    expect(current.verify('_session=abc', (digest[0] === 'A' ? 'B' : 'A') + digest.slice(1))).toBe(false);
    expect(current.verify('_session=abc', digest.slice(0, -1))).toBe(false);
    expect(current.verify('_session=abc', '')).toBe(false);
    expect(before.index('_session=abc', digest)).toBe(-1);
  });

  it('needs at least one key', () => {
    expect(() => new CookieSigner([])).toThrow(TypeError);
  });
});
