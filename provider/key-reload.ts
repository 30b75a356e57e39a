// Running servers pick up key rotations made by `sekisho keys rotate` (or by another instance):
// the signing-key table is polled and oidc-provider's keystore rebuilt when it changed.
import type { Provider } from 'oidc-provider';
// oidc-provider builds its keystore once from the configuration; this is the same routine, re-run.
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';
import type { SecretBox } from '../adapters/crypto/secret-box.ts';
import type { SigningKeyRepository } from '../adapters/postgres/signing-keys.ts';
import { loadJwks } from './keys.ts';

export interface KeyReloader {
  /** Reloads now when the keys changed; true when it did. */
  check(): Promise<boolean>;
  stop(): void;
}

export function startKeyReload(provider: Provider, repo: SigningKeyRepository, box: SecretBox, intervalMs: number, onError: (err: unknown) => void): KeyReloader {
  let seen: string | undefined;
  const fingerprint = async () => (await repo.list()).map((k) => `${k.kid}:${k.status}`).join(',');
  const check = async () => {
    const now = await fingerprint();
    if (seen === undefined || now === seen) {
      seen = now;
      return false;
    }
    (initializeKeystore as (this: Provider, jwks: object) => void).call(provider, await loadJwks(repo, box));
    seen = now;
    return true;
  };
  void check().catch(onError);
  const timer = setInterval(() => void check().catch(onError), intervalMs);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
