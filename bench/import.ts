// `node bench/import.ts`: how fast `sekisho user import` takes a staff list. Generates a CSV of
// 10 000 users (Japanese names, phones, a BOM and CRLF as Excel writes it), imports it with the real
// CLI on PGlite and on PostgreSQL, then imports it again (the idempotent re-run), and prints rows/s.
// A benchmark, not a test: it fails only when an import fails.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'bin', 'sekisho');

const { values: flags } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000' },
    db: { type: 'string', default: 'pglite,postgres' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});

const FAMILY = ['佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '山本', '中村', '小林', '加藤'];
const GIVEN = ['太郎', '花子', '健', '美咲', '翔太', '陽菜', '大輔', '結衣', '蓮', 'さくら'];

function staffCsv(rows: number): string {
  const lines = ['username,name,email,locale,phone,department'];
  for (let i = 0; i < rows; i++) {
    const name = `${FAMILY[i % 10]} ${GIVEN[Math.floor(i / 10) % 10]}`;
    const phone = i % 3 === 0 ? `090-${String(1000 + (i % 9000)).padStart(4, '0')}-${String(i % 10000).padStart(4, '0')}` : '';
    lines.push(`staff${i},"${name}",staff${i}@example.ac.jp,${i % 5 ? 'ja' : 'en'},${phone},"総務部, 第${i % 7}課"`);
  }
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

function importOnce(file: string, env: Record<string, string>): { seconds: number; summary: string } {
  const start = performance.now();
  const r = spawnSync(BIN, ['user', 'import', file, '--json'], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`import failed (${r.status}): ${r.stderr}`);
  const result = JSON.parse(r.stdout) as { created: number; updated: number; problems: unknown[] };
  return { seconds, summary: `${result.created} created, ${result.updated} updated, ${result.problems.length} refused` };
}

async function withDatabase<T>(kind: string, fn: (env: Record<string, string>) => T): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sekisho-bench-import-'));
  const env: Record<string, string> = { NODE_ENV: 'test', SEKISHO_DATA_DIR: dataDir, SEKISHO_LOG_LEVEL: 'silent' };
  const admin = new pg.Client({ connectionString: flags['database-url'] });
  const database = `sekisho_bench_import_${randomBytes(4).toString('hex')}`;
  if (kind === 'postgres') {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    env.DATABASE_URL = flags['database-url'].replace(/\/[^/]*$/, `/${database}`);
  }
  try {
    const migrated = spawnSync(BIN, ['db', 'migrate'], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
    if (migrated.status !== 0) throw new Error(migrated.stderr);
    return fn(env);
  } finally {
    if (kind === 'postgres') {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const rows = Number(flags.rows);
const dir = mkdtempSync(join(tmpdir(), 'sekisho-bench-csv-'));
const file = join(dir, 'staff.csv');
writeFileSync(file, staffCsv(rows));
console.log(`sekisho user import: ${rows} rows (${file})`);
try {
  for (const kind of flags.db.split(',')) {
    await withDatabase(kind, (env) => {
      for (const run of ['first import', 're-run (idempotent)']) {
        const { seconds, summary } = importOnce(file, env);
        console.log(`  ${kind.padEnd(8)} ${run.padEnd(20)} ${seconds.toFixed(1).padStart(6)} s  ${Math.round(rows / seconds).toString().padStart(6)} rows/s  (${summary})`);
      }
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
