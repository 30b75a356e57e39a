// The bench's figures as a table for people and as JSON for the record.
import type { Argon2Rate } from '../argon2.ts';
import type { LoadResult } from '../signin.ts';
import type { Memory } from './proc.ts';
import { round } from './stats.ts';

export interface CpuPerSignIn {
  /** CPU milliseconds per sign-in spent by each party during the measured window. */
  serverMs: number;
  postgresMs: number | null;
  benchMs: number;
}

export interface Level {
  load: LoadResult;
  argon2: Argon2Rate;
  ratio: number;
  cpu: CpuPerSignIn;
  /**
   * The best ratio these CPU costs allow when the server, PostgreSQL and the bench share the cores
   * that the raw argon2id rate had to itself: argon2id CPU per verification ÷ all CPU per sign-in.
   */
  ceiling: number;
  /** The same load against bare oidc-provider, run right after this level's; absent with --skip-bare. */
  bare?: BareLevel;
}

/** bench/bare/server.ts under the same client flow: what oidc-provider and argon2id cost without Sekisho. */
export interface BareLevel {
  load: LoadResult;
  /** Bare sign-ins/s ÷ the level's raw argon2id rate. */
  ratio: number;
  cpu: CpuPerSignIn;
  /** As Level's, with the bare server's CPU (there is no database). */
  ceiling: number;
  /** Sekisho's sign-ins/s ÷ bare sign-ins/s at this level. */
  sekishoToBare: number;
  /**
   * Bare CPU per sign-in ÷ Sekisho's (all parties), i.e. Sekisho's ceiling ÷ bare's: the same comparison
   * by cost rather than by rate, which other load on the machine disturbs far less.
   */
  sekishoToBareByCpu: number;
}

export interface BareServer {
  memoryIdle: Memory;
  memoryPeakMiB: number;
  /** As settings.exhaustedTotpSteps, for the bare server's own picker. */
  exhaustedTotpSteps: number;
}

export interface Totals extends Level {
  memoryAfter: Memory;
}

export interface Targets {
  ratio: number;
  rssMiB: number;
}

export interface BenchReport {
  at: string;
  machine: { cores: number; node: string; db: string };
  settings: Record<string, unknown>;
  sqlPerSignIn?: { total: number; byRequest: Record<string, number> };
  memoryIdle: Memory;
  levels: Level[];
  totals?: Totals;
  memoryPeakMiB: number;
  bare?: BareServer;
  verdict: { ratio: { best: number; target: number; met: boolean }; rss?: { afterMiB: number; target: number; met: boolean } };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

function cpuText(cpu: CpuPerSignIn): string {
  return `server ${round(cpu.serverMs)} ms, postgres ${cpu.postgresMs === null ? '—' : round(cpu.postgresMs)} ms, bench ${round(cpu.benchMs)} ms`;
}

export function printReport(r: BenchReport): void {
  const out: string[] = [];
  out.push(`Sekisho sign-in bench — ${r.machine.cores} cores, Node ${r.machine.node}, ${r.machine.db}`);
  if (r.sqlPerSignIn) {
    const parts = Object.entries(r.sqlPerSignIn.byRequest).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push(`SQL statements per sign-in: ${r.sqlPerSignIn.total} (${parts})`);
  }
  out.push('');
  out.push(' conc  sign-ins/s   p50 ms   p95 ms   p99 ms  errors  argon2id/s  ratio  ceiling  CPU per sign-in (argon2id alone: CPU per verification)');
  for (const l of r.levels) {
    const x = l.load;
    out.push(
      `${pad(x.concurrency, 5)}  ${pad(round(x.perSecond), 10)}  ${pad(round(x.latency.p50), 7)}  ${pad(round(x.latency.p95), 7)}  ${pad(round(x.latency.p99), 7)}  ${pad(x.errors, 6)}  ${pad(round(l.argon2.perSecond), 10)}  ${pad(round(l.ratio, 2), 5)}  ${pad(round(l.ceiling, 2), 7)}  ${cpuText(l.cpu)} (${round(l.argon2.cpuMs)} ms)`,
    );
  }
  const bare = r.levels.filter((l) => l.bare);
  if (bare.length) {
    out.push('');
    out.push('Bare oidc-provider (bench/bare: in-memory adapter, no database), the same sign-ins right after each level:');
    out.push(' conc  sign-ins/s   p50 ms   p95 ms   p99 ms  errors  ratio  ceiling  Sekisho÷bare  by CPU  CPU per sign-in');
    for (const l of bare) {
      const b = l.bare!;
      const x = b.load;
      out.push(
        `${pad(x.concurrency, 5)}  ${pad(round(x.perSecond), 10)}  ${pad(round(x.latency.p50), 7)}  ${pad(round(x.latency.p95), 7)}  ${pad(round(x.latency.p99), 7)}  ${pad(x.errors, 6)}  ${pad(round(b.ratio, 2), 5)}  ${pad(round(b.ceiling, 2), 7)}  ${pad(round(b.sekishoToBare, 2), 12)}  ${pad(round(b.sekishoToBareByCpu, 2), 6)}  ${cpuText(b.cpu)}`,
      );
    }
    out.push("  (ratio and ceiling against the level's argon2id figures above; Sekisho÷bare = Sekisho's sign-ins/s ÷ bare sign-ins/s;\n   by CPU = bare CPU per sign-in ÷ Sekisho's, both with the bench's and the database's)");
  }
  if (r.totals) {
    const x = r.totals.load;
    out.push('');
    out.push(
      `${x.signIns} sign-ins at concurrency ${x.concurrency}: ${round(x.perSecond)}/s (ratio ${round(r.totals.ratio, 2)} to ${round(r.totals.argon2.perSecond)} argon2id/s, ceiling ${round(r.totals.ceiling, 2)}), p50 ${round(x.latency.p50)} ms, p95 ${round(x.latency.p95)} ms, p99 ${round(x.latency.p99)} ms, ${x.errors} errors; ${cpuText(r.totals.cpu)}`,
    );
  }
  out.push('');
  const after = r.totals ? `, after ${r.totals.load.signIns} sign-ins ${round(r.totals.memoryAfter.rssMiB)} MiB` : '';
  out.push(`Server RSS: idle ${round(r.memoryIdle.rssMiB)} MiB${after}, peak ${round(r.memoryPeakMiB)} MiB`);
  if (r.bare) out.push(`Bare server RSS: idle ${round(r.bare.memoryIdle.rssMiB)} MiB, peak ${round(r.bare.memoryPeakMiB)} MiB`);
  out.push('');
  const v = r.verdict;
  out.push(`Throughput: best min(ratio, ceiling) ${round(v.ratio.best, 2)} × raw argon2id (target ≥ ${v.ratio.target}) — ${v.ratio.met ? 'MET' : 'NOT MET'}`);
  out.push('  (ceiling = argon2id CPU per verification ÷ server + PostgreSQL + bench CPU per sign-in: the ratio these costs allow on shared cores;');
  out.push('   a ratio above it means other load on the machine took more from the raw measurement than from the sign-ins)');
  if (v.rss) out.push(`Memory: ${round(v.rss.afterMiB)} MiB after the sign-ins (target ≤ ${v.rss.target} MiB) — ${v.rss.met ? 'MET' : 'NOT MET'}`);
  else out.push('Memory: not judged (the 10 000 sign-in run was skipped)');
  console.log(out.join('\n'));
}
