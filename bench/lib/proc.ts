// Memory and CPU of processes read from /proc (Linux), so the server is measured from outside.
import { readdirSync, readFileSync } from 'node:fs';

export interface Memory {
  /** Resident set now, MiB. */
  rssMiB: number;
  /** Highest resident set so far (VmHWM), MiB. */
  peakMiB: number;
}

function statusField(status: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!m) throw new Error(`no ${name} in /proc status`);
  return Number(m[1]) / 1024;
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssMiB: statusField(status, 'VmRSS'), peakMiB: statusField(status, 'VmHWM') };
}

// USER_HZ: 100 on every Linux this runs on.
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process has used, all its threads included. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name is in parentheses and may hold spaces; fields 14 and 15 are utime and stime.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds of each PostgreSQL backend serving one database (their command line names it), by pid. */
export function cpuSecondsOfBackends(database: string): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.startsWith('postgres:') && cmdline.includes(` ${database} `)) byPid.set(Number(name), cpuSecondsOf(Number(name)));
    } catch {
      // The process ended while we looked.
    }
  }
  return byPid;
}

/** CPU the backends used between two snapshots; a backend that ended in between is not counted. */
export function backendCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** CPU seconds this process has used. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
