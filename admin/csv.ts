// RFC 4180 CSV as spreadsheets write it: quoted fields with "" escapes and line breaks inside,
// CRLF or LF line ends, and the byte-order mark Excel puts before UTF-8 files.

export interface CsvRecord {
  /** 1-based line of the file where the record starts (what an editor shows). */
  line: number;
  fields: string[];
}

export class CsvError extends Error {
  readonly code = 'csv_syntax';
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvError';
    this.line = line;
  }
}

/** Parses the whole text; blank lines are skipped. Throws CsvError for an unterminated quote. */
export function parseCsv(text: string): CsvRecord[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let quoteLine = 0;
  let i = 0;

  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
    fields = [];
    field = '';
  };

  while (i < src.length) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\r' && src[i + 1] === '\n') {
      // The \n that follows ends the record.
    } else if (c === '\n' || c === '\r') {
      endRecord();
      line++;
      start = line;
    } else {
      field += c;
    }
    i++;
  }
  if (quoted) throw new CsvError(quoteLine, 'unterminated quoted field');
  if (field !== '' || fields.length) endRecord();
  return records;
}
