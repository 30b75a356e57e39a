import { describe, expect, it } from '@jest/globals';
import { totpCode } from '../helpers/oath.ts';

// RFC 6238 appendix B: the seeds are the ASCII digits "1234567890" repeated to the hash's size.
const SHA1_SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const SHA256_SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA====';
const SHA512_SEED =
  'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA=';

describe('totpCode (oathtool)', () => {
  it('matches the RFC 6238 test vectors', () => {
    expect(totpCode(SHA1_SEED, { digits: 8, at: new Date(59_000) })).toBe('94287082');
    expect(totpCode(SHA256_SEED, { algorithm: 'SHA256', digits: 8, at: new Date(59_000) })).toBe('46119246');
    expect(totpCode(SHA512_SEED, { algorithm: 'SHA512', digits: 8, at: new Date(1_111_111_109_000) })).toBe('25091201');
  });

  it('honours the period: with 60 s steps, second 59 is still step 0 (RFC 4226 counter 0)', () => {
    expect(totpCode(SHA1_SEED, { period: 60, at: new Date(59_000) })).toBe('755224');
  });

  it('defaults to six digits for the current time', () => {
    expect(totpCode(SHA1_SEED)).toMatch(/^\d{6}$/);
  });
});
