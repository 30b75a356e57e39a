// Bench users, each with an active authenticator, and one first-party confidential client —
// written through the repositories on the server's own database before the server starts.
import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { loadConfig } from '../../config/index.ts';
import { openServices } from '../../app/services.ts';
import { ClientRepository } from '../../adapters/postgres/clients.ts';
import { MethodRepository } from '../../adapters/postgres/methods.ts';
import { UserRepository } from '../../adapters/postgres/users.ts';
import { hashPassword } from '../../methods/password/argon2.ts';
import type { BenchUser } from './users.ts';

export interface BenchClient {
  clientId: string;
  secret: string;
  redirectUri: string;
}

export interface Seeded {
  users: BenchUser[];
  password: string;
  client: BenchClient;
}

export async function seed(env: Record<string, string>, count: number): Promise<Seeded> {
  const config = loadConfig(env);
  const services = await openServices(config);
  try {
    const password = `bench-${randomBytes(6).toString('hex')}`;
    // One hash for everyone: verifying it costs the same per user, and hashing thousands would
    // only make the setup slow.
    const passwordHash = await hashPassword(password);
    const users: BenchUser[] = [];
    await services.db.transaction(async (tx) => {
      const userRepo = new UserRepository(tx);
      const methodRepo = new MethodRepository(tx);
      for (let i = 0; i < count; i++) {
        const username = `bench${String(i).padStart(5, '0')}`;
        const user = await userRepo.create({ username, email: `${username}@example.ac.jp`, name: `Bench ${i}`, locale: 'ja', passwordHash });
        const secret = new OTPAuth.Secret({ size: 20 });
        const id = `m_${randomBytes(16).toString('hex')}`;
        // Sealed as methods/totp seals an authenticator key: bound to `totp:<method id>`.
        await methodRepo.create({ id, userId: user.id, kind: 'totp', status: 'pending', secretEnc: services.box.seal(secret.base32, `totp:${id}`) });
        await methodRepo.activate(id);
        users.push({ username, totpSecret: secret.base32 });
      }
    });
    const client: BenchClient = {
      clientId: 'bench-rp',
      secret: randomBytes(24).toString('base64url'),
      redirectUri: 'https://rp.example.ac.jp/callback',
    };
    await new ClientRepository(services.db, services.box).save({
      clientId: client.clientId,
      metadata: {
        client_id: client.clientId,
        client_name: 'Bench RP',
        redirect_uris: [client.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'openid profile email',
        sekisho_first_party: true,
        sekisho_mfa_policy: 'required',
      },
      secret: client.secret,
      firstParty: true,
      admin: false,
      mfaPolicy: 'required',
    });
    return { users, password, client };
  } finally {
    await services.close();
  }
}
