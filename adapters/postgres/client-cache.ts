// Clients read from memory. A sign-in reads its client on every request (seven times), while clients
// change only when IT or a registration edits them. The clients table's trigger announces each change
// on a channel; entries are forgotten when it speaks, and nothing is cached while it cannot be heard.
import type { ClientRecord } from './clients.ts';
import type { Database, Subscription } from './database.ts';

export const CLIENT_CHANGES_CHANNEL = 'sekisho_clients';

// Clients are a few hundred at most; the bound only keeps memory finite if that ever stops being true.
const MAX_ENTRIES = 1000;

export interface ClientReader {
  find(clientId: string): Promise<ClientRecord | undefined>;
}

export class CachedClients implements ClientReader {
  readonly #source: ClientReader;
  readonly #entries = new Map<string, ClientRecord>();
  // Bumped on every change heard: a read that was under way meanwhile may hold the old row.
  #generation = 0;
  #hearing = false;
  #subscription: Subscription | undefined;

  constructor(source: ClientReader) {
    this.#source = source;
  }

  /** Starts listening for changes; until it hears, and whenever it stops hearing, reads go through. */
  async listen(db: Pick<Database, 'listen'>): Promise<void> {
    this.#subscription = await db.listen(CLIENT_CHANGES_CHANNEL, {
      message: (clientId) => this.#forget(clientId),
      hearing: (live) => {
        this.#hearing = live;
        this.#forget();
      },
    });
  }

  /** Whether changes are heard now (otherwise every read goes to the database). */
  get hearing(): boolean {
    return this.#hearing;
  }

  async find(clientId: string): Promise<ClientRecord | undefined> {
    const cached = this.#entries.get(clientId);
    if (cached) return cached;
    const generation = this.#generation;
    const record = await this.#source.find(clientId);
    // Unknown ids are not remembered: anyone can send any client_id.
    if (record && this.#hearing && generation === this.#generation && this.#entries.size < MAX_ENTRIES) {
      this.#entries.set(clientId, Object.freeze(record));
    }
    return record;
  }

  #forget(clientId?: string): void {
    this.#generation++;
    if (clientId === undefined) this.#entries.clear();
    else this.#entries.delete(clientId);
  }

  async close(): Promise<void> {
    await this.#subscription?.close();
    this.#hearing = false;
    this.#forget();
  }
}
