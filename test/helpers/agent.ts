// A cookie-keeping HTTP client that walks the sign-in pages like a browser without JavaScript.

export interface Page {
  status: number;
  url: string;
  html: string;
  headers: Headers;
  location?: string;
}

export class Agent {
  readonly cookies = new Map<string, string>();
  readonly headers: Record<string, string>;

  constructor(headers: Record<string, string> = {}) {
    this.headers = headers;
  }

  #store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  #cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(url: string, init: RequestInit = {}): Promise<Page> {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...this.headers, cookie: this.#cookieHeader(), ...(init.headers as Record<string, string> | undefined) },
    });
    this.#store(res);
    const location = res.headers.get('location') ?? undefined;
    return { status: res.status, url, html: await res.text(), headers: res.headers, location: location && new URL(location, url).toString() };
  }

  get(url: string): Promise<Page> {
    return this.request(url);
  }

  post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Follows redirects until a page answers, or until the next hop would leave for `stopAt` (the RP). */
  async follow(page: Page, stopAt?: string): Promise<Page> {
    let current = page;
    for (let hops = 0; current.location && hops < 20; hops++) {
      if (stopAt && current.location.startsWith(stopAt)) return current;
      current = await this.get(current.location);
    }
    return current;
  }

  /** Submits the form whose action matches, with its hidden fields (CSRF) and the given values. */
  async submit(page: Page, actionPart: string, fields: Record<string, string>, stopAt?: string): Promise<Page> {
    const form = findForm(page.html, actionPart);
    const res = await this.post(new URL(form.action, page.url).toString(), { ...form.hidden, ...fields });
    return this.follow(res, stopAt);
  }
}

export interface FormInfo {
  action: string;
  hidden: Record<string, string>;
}

const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

export function findForm(html: string, actionPart: string): FormInfo {
  for (const m of html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const action = decode(m[1]!);
    if (!action.includes(actionPart)) continue;
    const hidden: Record<string, string> = {};
    for (const h of m[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) hidden[h[1]!] = decode(h[2]!);
    return { action, hidden };
  }
  throw new Error(`no form with action containing ${actionPart} in:\n${html.slice(0, 2000)}`);
}

export function text(html: string, id: string): string | undefined {
  const m = new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html);
  return m ? decode(m[1]!) : undefined;
}
