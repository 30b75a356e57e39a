import { describe, expect, it } from '@jest/globals';
import { CsvError, parseCsv } from '../../admin/csv.ts';

describe('parseCsv', () => {
  it('reads quoted fields, doubled quotes, commas and line breaks inside quotes', () => {
    const text = 'a,b,c\n"x, y","say ""hi""","two\nlines"\nplain,,end\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'say "hi"', 'two\nlines'] },
      { line: 4, fields: ['plain', '', 'end'] },
    ]);
  });

  it('accepts CRLF, a BOM, Japanese text, a missing final line break and skips blank lines', () => {
    const text = '\ufeffusername,name\r\nsato,佐藤 花子\r\n\r\n"yamada","山田\r\n太郎"';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['username', 'name'] },
      { line: 2, fields: ['sato', '佐藤 花子'] },
      { line: 4, fields: ['yamada', '山田\r\n太郎'] },
    ]);
  });

  it('keeps empty trailing fields', () => {
    expect(parseCsv('a,b,\n')).toEqual([{ line: 1, fields: ['a', 'b', ''] }]);
  });

  it('names the line of an unterminated quote', () => {
    expect(() => parseCsv('a,b\nc,"open\nmore\n')).toThrow(CsvError);
    try {
      parseCsv('a,b\nc,"open\nmore\n');
    } catch (err) {
      expect((err as CsvError).line).toBe(2);
    }
  });

  it('returns nothing for an empty file', () => {
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\ufeff')).toEqual([]);
  });
});
