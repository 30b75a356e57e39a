// Plain aligned columns for terminal listings. East Asian wide characters count double so that
// Japanese names line up.

const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

function width(s: string): number {
  let w = 0;
  for (const ch of s) w += WIDE.test(ch) ? 2 : 1;
  return w;
}

function table(header: string[], rows: (string | number | null | undefined)[][]): string[] {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => width(r[i] ?? ''))));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - width(c)))).join('  ').trimEnd());
}

/** The table, or the one line saying there is nothing to list. */
export function tableOr(none: string, header: string[], rows: (string | number | null | undefined)[][]): string[] {
  return rows.length ? table(header, rows) : [none];
}

/** A time as a table cell or field; blank when there is none. */
export const iso = (d: Date | null) => (d ? d.toISOString() : '');
