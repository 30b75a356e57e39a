// Signing keys: generated on first start, sealed in the database, rotated in two phases so that
// relying parties have fetched the next key before anything is signed with it.
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SecretBox } from '../adapters/crypto/secret-box.ts';
import type { SigningKeyRepository, SigningKeyRow } from '../adapters/postgres/signing-keys.ts';

export const SIGNING_ALGS = ['ES256', 'RS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

async function newKey(alg: SigningAlg, box: SecretBox, status: SigningKeyRow['status']) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const kid = `${alg.toLowerCase()}-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateEnc: box.seal(JSON.stringify(privateJwk), `key:${kid}`), publicJwk, status };
}

/** Creates a current key of each algorithm when there is none. */
export async function ensureSigningKeys(repo: SigningKeyRepository, box: SecretBox): Promise<void> {
  const existing = await repo.list();
  for (const alg of SIGNING_ALGS) {
    if (!existing.some((k) => k.alg === alg && k.status === 'current')) await repo.insert(await newKey(alg, box, 'current'));
  }
}

/**
 * The private JWKS handed to oidc-provider. It signs with the first key of an algorithm, so current
 * keys come first; next and retired keys follow and are only published.
 */
export async function loadJwks(repo: SigningKeyRepository, box: SecretBox): Promise<{ keys: JWK[] }> {
  return jwksOf(await repo.list(), box);
}

/** The same, from rows already read (in `repo.list()`'s order). */
export function jwksOf(rows: readonly SigningKeyRow[], box: SecretBox): { keys: JWK[] } {
  return { keys: rows.map((k) => JSON.parse(box.open(k.privateEnc, `key:${k.kid}`)) as JWK) };
}

export type RotationStep = 'published' | 'activated';

/**
 * One rotation step per call: when no key is waiting, a new one is published as `next`; when one is
 * waiting, it becomes `current` and the old current key is retired (still published).
 */
export async function rotateSigningKeys(repo: SigningKeyRepository, box: SecretBox): Promise<{ step: RotationStep; kids: string[] }> {
  const rows = await repo.list();
  const waiting = rows.filter((k) => k.status === 'next');
  if (waiting.length) {
    for (const alg of SIGNING_ALGS) await repo.promoteNext(alg);
    return { step: 'activated', kids: waiting.map((k) => k.kid) };
  }
  const kids: string[] = [];
  for (const alg of SIGNING_ALGS) {
    const key = await newKey(alg, box, 'next');
    await repo.insert(key);
    kids.push(key.kid);
  }
  return { step: 'published', kids };
}
