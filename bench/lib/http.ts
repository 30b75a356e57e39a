// A deliberately small HTTP client for the load: node:http over kept-alive sockets, no redirects
// followed by itself, and a per-sign-in cookie jar. The bench's own CPU competes with the server
// for the same cores, so every millisecond it spends is one the server cannot use.
import { Agent, request } from 'node:http';

export interface Reply {
  status: number;
  location?: string;
  body: string;
}

export class BenchHttpError extends Error {
  readonly code = 'bench_http';
  constructor(message: string) {
    super(message);
    this.name = 'BenchHttpError';
  }
}

export class HttpClient {
  readonly #agent: Agent;
  readonly #origin: URL;

  constructor(origin: string, maxSockets: number) {
    this.#origin = new URL(origin);
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(path: string, init: { method?: string; headers?: Record<string, string>; body?: string; jar?: CookieJar } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = init.jar?.header();
    if (cookie) headers.cookie = cookie;
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    return new Promise((resolve, reject) => {
      const req = request(
        { agent: this.#agent, host: this.#origin.hostname, port: this.#origin.port, method: init.method ?? 'GET', path, headers },
        (res) => {
          init.jar?.store(res.headers['set-cookie']);
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const location = res.headers.location;
            resolve({ status: res.statusCode ?? 0, location, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Cookies of one browser; every cookie is sent to every path (all of them live on one host). */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(lines: string[] | undefined): void {
    for (const line of lines ?? []) {
      const end = line.indexOf(';');
      const pair = end === -1 ? line : line.slice(0, end);
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    let out = '';
    for (const [k, v] of this.#cookies) out += (out ? '; ' : '') + k + '=' + v;
    return out;
  }
}
