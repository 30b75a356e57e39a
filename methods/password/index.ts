// The first factor: a local argon2id hash, or a bind against the university directory. Directory
// accounts are created on their first sign-in and their password is never stored.
import type { User, UserRepository } from '../../adapters/postgres/users.ts';
import type { Directory, DirectoryProfile } from '../../adapters/ldap/directory.ts';
import { verifyAgainstDummy, verifyPassword } from './argon2.ts';

export interface FirstFactorDeps {
  users: UserRepository;
  directory?: Directory;
}

/**
 * The user when the password is right; undefined otherwise (whatever the reason).
 * `found` is the caller's own lookup of the name, so it is not read twice.
 */
export async function verifyFirstFactor(
  deps: FirstFactorDeps,
  username: string,
  password: string,
  found?: { user: User | undefined },
): Promise<User | undefined> {
  const user = found ? found.user : await deps.users.findByUsername(username);
  if (user?.source === 'local' || (!user && !deps.directory)) {
    if (!user?.passwordHash) return verifyAgainstDummy(password).then(() => undefined);
    return (await verifyPassword(user.passwordHash, password)) ? user : undefined;
  }
  // Directory accounts, and names we do not know yet when a directory is configured.
  if (!deps.directory) return undefined;
  const result = await deps.directory.authenticate(username, password);
  if (!result.ok) return undefined;
  return user ? refreshProfile(deps.users, user, result.profile) : createFromDirectory(deps.users, username, result.profile);
}

function profileFields(profile: DirectoryProfile) {
  return {
    email: profile.email ?? null,
    name: profile.name ?? null,
    locale: profile.locale === 'en' || profile.locale === 'ja' ? profile.locale : null,
  };
}

/** The directory's profile wins; the row is written only when it changed, not on every sign-in. */
async function refreshProfile(users: UserRepository, user: User, profile: DirectoryProfile): Promise<User> {
  const fields = profileFields(profile);
  if (fields.email === user.email && fields.name === user.name && fields.locale === user.locale) return user;
  await users.update(user.id, fields);
  return { ...user, ...fields };
}

async function createFromDirectory(users: UserRepository, username: string, profile: DirectoryProfile): Promise<User> {
  return users.create({ username, source: 'ldap', ...profileFields(profile) });
}
