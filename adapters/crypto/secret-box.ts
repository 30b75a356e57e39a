// AES-256-GCM for secrets at rest. The key lives outside the database; its id travels with each
// ciphertext so an old key can still open what it sealed after a rotation.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface SecretKey {
  id: string;
  key: Buffer;
}

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export class SecretBox {
  readonly #current: SecretKey;
  readonly #keys: Map<string, Buffer>;

  constructor(current: SecretKey, older: SecretKey[] = []) {
    if (current.key.length !== 32) throw new SecretBoxError('secret key must be 32 bytes');
    this.#current = current;
    this.#keys = new Map([...older, current].map((k) => [k.id, k.key]));
  }

  get keyId(): string {
    return this.#current.id;
  }

  /** Seals text; `context` binds the ciphertext to where it is stored (a row id, a purpose). */
  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return ['v1', this.#current.id, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string, context = ''): string {
    const [version, keyId, iv, body] = sealed.split('.');
    const key = keyId ? this.#keys.get(keyId) : undefined;
    if (version !== 'v1' || !key || !iv || !body) throw new SecretBoxError(`cannot open secret sealed with key ${keyId ?? '?'}`);
    const data = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(data.subarray(data.length - 16));
    try {
      return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('secret failed authentication (wrong key or tampered)');
    }
  }

  /** True when the value was sealed under an older key and should be sealed again. */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.#current.id;
  }
}
