// CSV import of users: every row is checked, bad rows are reported by line and skipped, good rows
// are upserted by username in batches (one transaction each), so a re-run changes nothing new.
import { UserRepository } from '../../adapters/postgres/users.ts';
import { AdminError, usage } from '../errors.ts';
import { CsvError, parseCsv, type CsvRecord } from '../csv.ts';
import { validEmail, validLocale, validName, validUsername } from '../validate.ts';
import type { OperationContext } from './context.ts';
import { validPhone } from './users.ts';

const IMPORT_COLUMNS = ['username', 'email', 'name', 'locale', 'phone'] as const;
const REQUIRED_COLUMNS = ['username', 'email', 'name'] as const;
type Column = (typeof IMPORT_COLUMNS)[number];

export interface RowProblem {
  line: number;
  field: string;
  /** Message key under cli.errors and its parameters. */
  key: string;
  params: Record<string, unknown>;
}

export interface ImportResult {
  total: number;
  created: number;
  updated: number;
  problems: RowProblem[];
}

export interface ImportOptions {
  batchSize?: number;
  /** Called after each batch with rows done so far and the total (progress bar). */
  onProgress?: (done: number, total: number) => void;
}

interface ValidRow {
  username: string;
  email: string;
  name: string;
  locale: string | null;
  phone: string | null;
}

function columnIndexes(header: CsvRecord): Map<Column, number> {
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const indexes = new Map<Column, number>();
  for (const column of IMPORT_COLUMNS) {
    const i = names.indexOf(column);
    if (i >= 0) indexes.set(column, i);
  }
  for (const column of REQUIRED_COLUMNS) {
    if (!indexes.has(column)) throw usage('csv_missing_column', 'file', { column, line: header.line });
  }
  return indexes;
}

function checkRow(ctx: OperationContext, record: CsvRecord, indexes: Map<Column, number>): ValidRow {
  const cell = (c: Column) => {
    const i = indexes.get(c);
    return i === undefined ? '' : (record.fields[i] ?? '').trim();
  };
  return {
    username: validUsername(cell('username')),
    email: validEmail(cell('email')),
    name: validName(cell('name')),
    locale: cell('locale') ? validLocale(cell('locale')) : null,
    phone: cell('phone') ? validPhone(cell('phone'), ctx.services.config) : null,
  };
}

/** Checks every row first; a file whose header or syntax is wrong changes nothing. */
export async function importUsers(ctx: OperationContext, text: string, options: ImportOptions = {}): Promise<ImportResult> {
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvError) throw usage('csv_syntax', 'file', { line: err.line });
    throw err;
  }
  const [header, ...rows] = records;
  if (!header) throw usage('csv_empty', 'file');
  const indexes = columnIndexes(header);

  const problems: RowProblem[] = [];
  const valid: ValidRow[] = [];
  const seen = new Map<string, number>();
  for (const record of rows) {
    try {
      const row = checkRow(ctx, record, indexes);
      const earlier = seen.get(row.username.toLowerCase());
      if (earlier !== undefined) throw usage('csv_duplicate', 'username', { value: row.username, line: earlier });
      seen.set(row.username.toLowerCase(), record.line);
      valid.push(row);
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      problems.push({ line: record.line, field: err.field ?? 'row', key: err.key, params: err.params });
    }
  }

  const batchSize = options.batchSize ?? 500;
  let created = 0;
  for (let start = 0; start < valid.length; start += batchSize) {
    const batch = valid.slice(start, start + batchSize);
    created += await ctx.services.db.transaction((tx) =>
      new UserRepository(tx).upsertMany(batch.map((row) => ({ username: row.username, email: row.email, name: row.name, locale: row.locale, importedPhone: row.phone }))),
    );
    options.onProgress?.(Math.min(start + batchSize, valid.length), valid.length);
  }
  const result = { total: rows.length, created, updated: valid.length - created, problems };
  await ctx.services.audit.record({
    type: 'user.import',
    actor: ctx.actor,
    outcome: problems.length ? 'failure' : 'success',
    details: { total: result.total, created, updated: result.updated, rejected: problems.length },
  });
  return result;
}
