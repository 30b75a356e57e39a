// argon2id with OWASP's parameters (19 MiB, t=2, p=1). Hashing is CPU-bound: running more at once
// than there are cores only makes every sign-in slower, so verifications queue for a free slot.
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';

export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

const slots = Math.max(1, availableParallelism());
let running = 0;
const waiting: (() => void)[] = [];

async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export function hashPassword(password: string): Promise<string> {
  return withSlot(() => argon2.hash(password, ARGON2_OPTIONS));
}

export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return withSlot(() => argon2.verify(hash, password).catch(() => false));
}

// Verifying against this when the user does not exist costs the same time as a real check,
// so response times do not reveal which usernames exist.
let dummyHash: Promise<string> | undefined;
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('sekisho-dummy-password');
  await verifyPassword(await dummyHash, password);
  return false;
}
