// What oidc-provider knows of an account: the claims released for the scopes granted.
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import type { UserRepository } from '../adapters/postgres/users.ts';

export function createFindAccount(users: UserRepository) {
  return async (_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> => {
    const user = await users.findById(sub);
    // A disabled account gets no new tokens and its refresh tokens stop working.
    if (!user || user.disabledAt) return undefined;
    return {
      accountId: user.id,
      async claims() {
        return {
          sub: user.id,
          preferred_username: user.username,
          name: user.name ?? undefined,
          locale: user.locale ?? undefined,
          email: user.email ?? undefined,
          // Addresses come from IT's records or the directory, not from the user.
          email_verified: user.email ? true : undefined,
        };
      },
    };
  };
}
