// Clients read from memory. A sign-in reads its client on every request (seven times), while clients
// change only when IT or a registration edits them. The clients table's trigger announces each change
// on a channel; entries are forgotten when it speaks, and nothing is cached while it cannot be heard.
import type { ClientRecord } from './clients.ts';
import type { Database, Subscription } from './database.ts';

export const CLIENT_CHANGES_CHANNEL = 'sekisho_clients';

// Clients are a few hundred at most; the bound only keeps memory finite if that ever stops being true.
const MAX_ENTRIES = 1000;

// A backstop for a channel that says it listens but hears nothing (a transaction-pooling PgBouncer
// between Sekisho and PostgreSQL loses notifications): no change stays unseen for longer than this.
const DEFAULT_MAX_AGE_MS = 60_000;

export interface ClientCacheOptions {
  maxAgeMs?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

interface Entry {
  record: ClientRecord;
  readAt: number;
}

// The caches of this process. A change committed here is forgotten at once, rather than when its
// own announcement comes back over the listening connection a moment after the writer has answered.
const caches = new Set<CachedClients>();

/** Tells this process's caches that a client changed; call it once the change is committed. */
export function clientChangedHere(clientId: string): void {
  for (const cache of caches) cache.forget(clientId);
}

export interface ClientReader {
  find(clientId: string): Promise<ClientRecord | undefined>;
}

export class CachedClients implements ClientReader {
  readonly #source: ClientReader;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  // A read under way when its client changed may hold the old row, so it is not kept. Every change
  // heard bumps the generation and stamps its client; forgetting everything stamps all of them.
  #generation = 0;
  readonly #changedAt = new Map<string, number>();
  #allChangedAt = 0;
  #hearing = false;
  #subscription: Subscription | undefined;

  constructor(source: ClientReader, options: ClientCacheOptions = {}) {
    this.#source = source;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Starts listening for changes; until it hears, and whenever it stops hearing, reads go through. */
  async listen(db: Pick<Database, 'listen'>): Promise<void> {
    this.#subscription = await db.listen(CLIENT_CHANGES_CHANNEL, {
      message: (clientId) => this.forget(clientId),
      hearing: (live) => {
        this.#hearing = live;
        this.forget();
      },
    });
    caches.add(this);
  }

  /** Whether changes are heard now (otherwise every read goes to the database). */
  get hearing(): boolean {
    return this.#hearing;
  }

  async find(clientId: string): Promise<ClientRecord | undefined> {
    const cached = this.#entries.get(clientId);
    if (cached && this.#now() - cached.readAt < this.#maxAgeMs) return cached.record;
    const generation = this.#generation;
    const readAt = this.#now();
    const record = await this.#source.find(clientId);
    // Unknown ids are not remembered: anyone can send any client_id.
    const changed = Math.max(this.#allChangedAt, this.#changedAt.get(clientId) ?? 0) > generation;
    if (record && this.#hearing && !changed && (cached || this.#entries.size < MAX_ENTRIES)) {
      this.#entries.set(clientId, { record: Object.freeze(record), readAt });
    } else if (cached) {
      this.#entries.delete(clientId);
    }
    return record;
  }

  /** Drops one client (or, without an id, all): the next read goes to the database. */
  forget(clientId?: string): void {
    this.#generation++;
    // Stamps of changes to clients never read would pile up: past the bound, they become one stamp.
    if (clientId === undefined || this.#changedAt.size >= MAX_ENTRIES) {
      this.#allChangedAt = this.#generation;
      this.#changedAt.clear();
      this.#entries.clear();
      return;
    }
    this.#changedAt.set(clientId, this.#generation);
    this.#entries.delete(clientId);
  }

  async close(): Promise<void> {
    caches.delete(this);
    await this.#subscription?.close();
    this.#hearing = false;
    this.forget();
  }
}
