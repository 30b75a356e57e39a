// A relying party's back-channel logout endpoint on 127.0.0.1: keeps every logout token it is sent,
// per path, and can be told to answer with an error (a client that is down).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface LogoutReceiver {
  /** The URI to register as backchannel_logout_uri for `name`. */
  uri(name: string): string;
  /** Logout tokens received at `name`, oldest first. */
  tokens(name: string): string[];
  /** Answer `name` with this status from now on (200 again to bring it back). */
  answer(name: string, status: number): void;
  close(): Promise<void>;
}

export async function startLogoutReceiver(): Promise<LogoutReceiver> {
  const received = new Map<string, string[]>();
  const statuses = new Map<string, number>();
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').slice(1);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statuses.get(name) ?? 200;
      const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('logout_token');
      const form = req.method === 'POST' && req.headers['content-type'] === 'application/x-www-form-urlencoded';
      if (status === 200 && form && token) received.set(name, [...(received.get(name) ?? []), token]);
      res.writeHead(form && token ? status : 400).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    uri: (name) => `${base}/${name}`,
    tokens: (name) => received.get(name) ?? [],
    answer: (name, status) => void statuses.set(name, status),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Verifies a logout token as the OIDC Back-Channel Logout spec asks of a relying party. */
export async function verifyLogoutToken(token: string, issuer: string, clientId: string): Promise<JWTPayload & { sid?: string }> {
  const { payload, protectedHeader } = await jwtVerify<{ sid?: string }>(token, createRemoteJWKSet(new URL(`${issuer}/jwks`)), {
    issuer,
    audience: clientId,
    requiredClaims: ['iat', 'jti', 'events'],
  });
  if (protectedHeader.typ !== 'logout+jwt') throw new Error(`logout token typ is ${protectedHeader.typ}`);
  const events = payload.events as Record<string, unknown> | undefined;
  if (!events || typeof events[BACKCHANNEL_EVENT] !== 'object') throw new Error('logout token lacks the back-channel logout event');
  if ('nonce' in payload) throw new Error('a logout token must not carry a nonce');
  return payload;
}
