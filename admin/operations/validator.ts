// Client metadata is checked by oidc-provider's own schema. The server hands its provider in; the
// CLI builds a provider with the same configuration (never listening) just to check.
import type { Provider } from 'oidc-provider';
import type { Services } from '../../app/services.ts';
import { createAcrLadder } from '../../provider/acr.ts';
import type { ClientMetadataValidator } from './context.ts';

export function providerValidator(provider: Provider): ClientMetadataValidator {
  return async (metadata) => {
    await (provider.Client as unknown as { validate(m: Record<string, unknown>): Promise<void> }).validate(metadata);
  };
}

/**
 * A validator that builds its provider on first use: most CLI commands never need one, so neither
 * oidc-provider nor jose is loaded until a client is checked.
 */
export function standaloneValidator(services: Services): ClientMetadataValidator {
  let validator: Promise<ClientMetadataValidator> | undefined;
  const build = async () => {
    const [{ createProvider }, { exportJWK, generateKeyPair }] = await Promise.all([import('../../provider/index.ts'), import('jose')]);
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'check', alg: 'ES256', use: 'sig' };
    const refuse = async () => {
      throw new Error('not served');
    };
    const provider = createProvider({
      config: services.config,
      db: services.db,
      clients: services.clients,
      users: services.users,
      ladder: createAcrLadder(services.config.acrPhishingResistant),
      jwks: { keys: [jwk] },
      cookieKeys: ['unused-by-the-cli'],
      pages: { logoutSource: refuse, postLogoutSuccessSource: refuse, renderError: refuse },
    });
    return providerValidator(provider);
  };
  return async (metadata) => (await (validator ??= build()))(metadata);
}
