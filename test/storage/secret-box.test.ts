// AES-256-GCM for secrets at rest: round trips, tampering and wrong context refused, rotation keeps
// old ciphertexts readable and says which ones to seal again.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { SecretBox, SecretBoxError } from '../../adapters/crypto/secret-box.ts';

const key = (id: string) => ({ id, key: randomBytes(32) });

function flipByte(sealed: string, part: 2 | 3): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretBox', () => {
  const box = new SecretBox(key('k1'));

  it.each(['JBSWY3DPEHPK3PXP', '', 'パスワード🔑', 'x'.repeat(10_000)])('round-trips %j', (plain) => {
    const sealed = box.seal(plain, 'totp:m_1');
    expect(sealed.startsWith('v1.k1.')).toBe(true);
    if (plain) expect(sealed).not.toContain(plain);
    expect(box.open(sealed, 'totp:m_1')).toBe(plain);
  });

  it('seals the same text differently each time (fresh IV)', () => {
    expect(box.seal('same', 'c')).not.toBe(box.seal('same', 'c'));
  });

  it('refuses a tampered ciphertext, tag or IV', () => {
    const sealed = box.seal('secret', 'c');
    expect(() => box.open(flipByte(sealed, 3), 'c')).toThrow(SecretBoxError);
    expect(() => box.open(flipByte(sealed, 2), 'c')).toThrow(SecretBoxError);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[body.length - 1] = body[body.length - 1]! ^ 0x80;
    expect(() => box.open([...parts.slice(0, 3), body.toString('base64url')].join('.'), 'c')).toThrow(SecretBoxError);
  });

  it('refuses the right ciphertext opened for another context (a key moved to another row)', () => {
    const sealed = box.seal('secret', 'totp:m_1');
    expect(() => box.open(sealed, 'totp:m_2')).toThrow(SecretBoxError);
    expect(() => box.open(sealed)).toThrow(/wrong key or tampered/);
  });

  it('refuses malformed input and unknown key ids with a SecretBoxError', () => {
    for (const bad of ['', 'garbage', 'v2.k1.a.b', 'v1.k9.AAAA.AAAA', 'v1.k1..']) {
      expect(() => box.open(bad, 'c')).toThrow(SecretBoxError);
    }
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new SecretBox({ id: 'short', key: randomBytes(16) })).toThrow(SecretBoxError);
  });

  it('after rotation the old key still opens what it sealed, and isStale says to seal again', () => {
    const k1 = key('k1');
    const before = new SecretBox(k1);
    const old = before.seal('totp-key', 'totp:m_1');
    const after = new SecretBox(key('k2'), [k1]);
    expect(after.keyId).toBe('k2');
    expect(after.open(old, 'totp:m_1')).toBe('totp-key');
    expect(after.isStale(old)).toBe(true);
    const resealed = after.seal(after.open(old, 'totp:m_1'), 'totp:m_1');
    expect(resealed.startsWith('v1.k2.')).toBe(true);
    expect(after.isStale(resealed)).toBe(false);
    // A server that never had the old key cannot open it.
    expect(() => new SecretBox(key('k2')).open(old, 'totp:m_1')).toThrow(SecretBoxError);
    // The same id with different bytes fails authentication rather than returning garbage.
    expect(() => new SecretBox(key('k1')).open(old, 'totp:m_1')).toThrow(SecretBoxError);
  });
});
