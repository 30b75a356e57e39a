// The physical limit of a password sign-in: argon2id verifications per second at the server's
// parameters, as many at once as there are cores (what the server's slot gate allows).
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import argon2 from 'argon2';
import { ARGON2_OPTIONS } from '../methods/password/argon2.ts';

export interface Argon2Rate {
  parallel: number;
  verifications: number;
  seconds: number;
  perSecond: number;
  /** Mean time of one verification, ms. */
  meanMs: number;
  /** CPU time of one verification, ms (this process does nothing else meanwhile). */
  cpuMs: number;
}

let sample: Promise<{ hash: string; password: string }> | undefined;
function sampleHash() {
  sample ??= argon2.hash('bench-argon2-password', ARGON2_OPTIONS).then((hash) => ({ hash, password: 'bench-argon2-password' }));
  return sample;
}

export async function measureArgon2(durationMs: number, parallel = availableParallelism()): Promise<Argon2Rate> {
  const { hash, password } = await sampleHash();
  await argon2.verify(hash, password); // warm the thread pool
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + durationMs;
  let verifications = 0;
  let busyMs = 0;
  async function lane(): Promise<void> {
    while (performance.now() < end) {
      const t0 = performance.now();
      if (!(await argon2.verify(hash, password))) throw new Error('argon2 verification failed');
      busyMs += performance.now() - t0;
      verifications++;
    }
  }
  await Promise.all(Array.from({ length: parallel }, lane));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    parallel,
    verifications,
    seconds,
    perSecond: verifications / seconds,
    meanMs: busyMs / verifications,
    cpuMs: (cpu.user + cpu.system) / 1000 / verifications,
  };
}

/**
 * Measures in a child process started with the server's environment (npm start's variables, such
 * as its malloc settings), so the raw rate and the server's sign-ins run under the same allocator.
 */
export async function measureArgon2Like(env: Record<string, string>, durationMs: number): Promise<Argon2Rate> {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [fileURLToPath(import.meta.url), String(durationMs)], { env: { ...process.env, ...env } }, (err, out) =>
      err ? reject(err) : resolve(out),
    ),
  );
  return JSON.parse(stdout) as Argon2Rate;
}

if (import.meta.main) console.log(JSON.stringify(await measureArgon2(Number(process.argv[2] ?? 3000))));
