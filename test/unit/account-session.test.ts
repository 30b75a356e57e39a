// The Security info page's signed cookies and the rules for a method's name.
import { describe, expect, it } from '@jest/globals';
import { methodLabel } from '../../account/router.ts';
import { SignedValues } from '../../account/session.ts';
import { HttpError } from '../../app/http/errors.ts';

describe('SignedValues', () => {
  const signer = new SignedValues('k'.repeat(43));
  const value = { sub: 'u_1', sid: 's', exp: 2000 };

  it('returns what it signed, until it expires', () => {
    const signed = signer.sign('account-session', value);
    expect(signer.verify('account-session', signed, 1999)).toEqual(value);
    expect(signer.verify('account-session', signed, 2000)).toBeUndefined();
  });

  it('refuses a value signed for another purpose or with another key', () => {
    const signed = signer.sign('account-login', value);
    expect(signer.verify('account-session', signed, 0)).toBeUndefined();
    expect(new SignedValues('x'.repeat(43)).verify('account-login', signed, 0)).toBeUndefined();
  });

  it('refuses a changed body, a changed signature and garbage', () => {
    const [body, mac] = signer.sign('account-session', value).split('.');
    const forged = Buffer.from(JSON.stringify({ ...value, sub: 'u_2' })).toString('base64url');
    expect(signer.verify('account-session', `${forged}.${mac}`, 0)).toBeUndefined();
    expect(signer.verify('account-session', `${body}.${mac!.slice(1)}`, 0)).toBeUndefined();
    expect(signer.verify('account-session', `${body}.${mac}.x`, 0)).toBeUndefined();
    for (const junk of [undefined, '', '.', 'a.b', '%%%.%%%']) expect(signer.verify('account-session', junk, 0)).toBeUndefined();
  });

  it('refuses a signed value without an expiry', () => {
    expect(signer.verify('p', signer.sign('p', { exp: 'never' }), 0)).toBeUndefined();
  });
});

describe('methodLabel', () => {
  const status = (label: string) => {
    try {
      methodLabel({ label });
      return 200;
    } catch (err) {
      return (err as HttpError).status;
    }
  };

  it('trims and keeps Japanese, emoji and combining characters', () => {
    expect(methodLabel({ label: '  研究室の iPhone  ' })).toBe('研究室の iPhone');
    expect(methodLabel({ label: '📱'.repeat(64) })).toBe('📱'.repeat(64));
    // NFC: a decomposed が becomes one character.
    expect(methodLabel({ label: 'か\u3099' })).toBe('が');
  });

  it('refuses empty, too long, control characters and bidirectional overrides with a 400', () => {
    for (const label of ['', '   ', 'a'.repeat(65), 'あ'.repeat(65), 'a\u0007', 'a\nb', 'a\tb', 'x\u202Eevil', '\u2066x']) expect(status(label)).toBe(400);
  });
});
