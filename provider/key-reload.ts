// Running servers pick up key rotations made by `sekisho keys rotate` (or by another instance):
// the signing-key table is polled and oidc-provider's keystore rebuilt when it changed.
import type { JWK } from 'jose';
import type { Provider } from 'oidc-provider';
// oidc-provider builds its keystore once from the configuration; this is the same routine, re-run.
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';
import type { SecretBox } from '../adapters/crypto/secret-box.ts';
import type { SigningKeyRepository } from '../adapters/postgres/signing-keys.ts';
import { jwksOf } from './keys.ts';

export interface KeyReloader {
  /** Reloads now when the keys changed; true when it did. */
  check(): Promise<boolean>;
  stop(): void;
}

/**
 * `loaded` is the key set the provider was built with. The keystore is that ordered list of keys, so
 * the ordered kids are what is compared: seeding them from it (instead of from a first, concurrent
 * poll) means a rotation made while the server started is not taken for the starting state.
 */
export function startKeyReload(
  provider: Provider,
  repo: SigningKeyRepository,
  box: SecretBox,
  loaded: { keys: readonly JWK[] },
  intervalMs: number,
  onError: (err: unknown) => void,
): KeyReloader {
  let seen = loaded.keys.map((k) => k.kid).join(',');
  const check = async () => {
    // The rows compared are the rows loaded: a second read could see a newer rotation than `seen` records.
    const rows = await repo.list();
    const now = rows.map((k) => k.kid).join(',');
    if (now === seen) return false;
    (initializeKeystore as (this: Provider, jwks: object) => void).call(provider, jwksOf(rows, box));
    seen = now;
    return true;
  };
  const timer = setInterval(() => void check().catch(onError), intervalMs);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
