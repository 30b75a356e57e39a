// First factor against the university directory: find the user's entry with a configured filter,
// then prove the password by binding as that entry. The password is only ever sent to the
// directory; nothing here keeps it.
import { Client, Filter, InvalidCredentialsError } from 'ldapts';
import type { LdapConfig } from '../../config/index.ts';

export interface DirectoryProfile {
  dn: string;
  email?: string;
  name?: string;
  locale?: string;
}

export type DirectoryResult =
  | { ok: true; profile: DirectoryProfile }
  | { ok: false; reason: 'not_found' | 'bad_password' };

/** The directory could not answer: down, hung, refused our service account, or misconfigured. */
export class DirectoryUnavailableError extends Error {
  readonly code = 'directory_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DirectoryUnavailableError';
  }
}

export interface Directory {
  authenticate(username: string, password: string): Promise<DirectoryResult>;
  lookup(username: string): Promise<DirectoryProfile | undefined>;
}

type AttributeValue = string | string[] | Buffer | Buffer[];

/** Substitutes the escaped username for every {username} in the configured filter (RFC 4515). */
export function userFilter(template: string, username: string): string {
  const escaped = Filter.escape(username);
  return template.replaceAll('{username}', () => escaped);
}

/** Directories return one or many values, as text or bytes; a claim needs the first one as text. */
function firstText(value: AttributeValue | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  const text = Buffer.isBuffer(first) ? first.toString('utf8') : first;
  return text === '' ? undefined : text;
}

/** Attribute names are case-insensitive in LDAP; the server may spell them differently from the config. */
function attribute(entry: Record<string, AttributeValue>, name: string): AttributeValue | undefined {
  const wanted = name.toLowerCase();
  const key = Object.keys(entry).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : entry[key];
}

function unavailable(error: unknown): DirectoryUnavailableError {
  const detail = error instanceof Error ? error.message : String(error);
  return new DirectoryUnavailableError(`directory unavailable: ${detail}`, { cause: error });
}

export function createLdapDirectory(options: LdapConfig): Directory {
  const { attributes } = options;

  function connect(): Client {
    // Both limits: connectTimeout covers a closed or black-holed port, timeout covers a server
    // that accepted the connection but never answers (hung, stopped, overloaded).
    return new Client({ url: options.url, connectTimeout: options.timeoutMs, timeout: options.timeoutMs });
  }

  /** The single entry for this username, or undefined when there is none or more than one. */
  async function find(client: Client, username: string): Promise<DirectoryProfile | undefined> {
    if (options.bindDn) {
      // Without a password this would be an unauthenticated bind: "success" with anonymous rights.
      if (!options.bindPassword) throw new DirectoryUnavailableError('the directory service account has no password configured');
      await client.bind(options.bindDn, options.bindPassword);
    }
    const { searchEntries } = await client.search(options.baseDn, {
      scope: 'sub',
      filter: userFilter(options.userFilter, username),
      attributes: [attributes.email, attributes.name, attributes.locale],
      // Two are enough to see that the filter is ambiguous.
      sizeLimit: 2,
      timeLimit: Math.max(1, Math.ceil(options.timeoutMs / 1000)),
    });
    // Ambiguity is not-found: binding as "whichever came first" could sign in the wrong person.
    if (searchEntries.length !== 1) return undefined;
    const entry = searchEntries[0]! as Record<string, AttributeValue> & { dn: string };
    return {
      dn: entry.dn,
      email: firstText(attribute(entry, attributes.email)),
      name: firstText(attribute(entry, attributes.name)),
      locale: firstText(attribute(entry, attributes.locale)),
    };
  }

  async function withClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = connect();
    try {
      return await work(client);
    } catch (error) {
      throw error instanceof DirectoryUnavailableError ? error : unavailable(error);
    } finally {
      // A failed unbind (connection already gone) must not replace the answer we already have.
      await client.unbind().catch(() => undefined);
    }
  }

  return {
    async lookup(username) {
      if (username === '') return undefined;
      return withClient((client) => find(client, username));
    },

    async authenticate(username, password) {
      if (username === '') return { ok: false, reason: 'not_found' };
      // An empty password makes a simple bind "unauthenticated", which servers report as success.
      if (password === '') return { ok: false, reason: 'bad_password' };
      return withClient(async (client): Promise<DirectoryResult> => {
        const profile = await find(client, username);
        if (!profile) return { ok: false, reason: 'not_found' };
        try {
          await client.bind(profile.dn, password);
        } catch (error) {
          if (error instanceof InvalidCredentialsError) return { ok: false, reason: 'bad_password' };
          throw error;
        }
        return { ok: true, profile };
      });
    },
  };
}
