// Lint: every message key the code and views use exists in both languages, and both languages
// have the same keys.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import en from '../locales/en/index.ts';
import ja from '../locales/ja/index.ts';

const ROOTS = ['app', 'interactions', 'account', 'admin', 'methods', 'provider', 'views'];

function flatten(obj: object, prefix = ''): Set<string> {
  const keys = new Set<string>();
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') flatten(v as object, key).forEach((x) => keys.add(x));
    else keys.add(key);
  }
  return keys;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ts|ejs)$/.test(name))
    .map((name) => join(dir, name));
}

const enKeys = flatten(en);
const jaKeys = flatten(ja);
const problems: string[] = [];
for (const k of enKeys) if (!jaKeys.has(k)) problems.push(`ja is missing ${k}`);
for (const k of jaKeys) if (!enKeys.has(k)) problems.push(`en is missing ${k}`);

// t('a.b'), t("a.b"), and message keys passed to HttpError / error helpers.
const USE = /\bt\(\s*['"]([a-zA-Z][\w.]*)['"]|(?:messageKey|Key|HttpError\(\s*\d+\s*,)\s*:?\s*['"]([a-z][\w]*\.[\w.]+)['"]/g;
for (const file of ROOTS.flatMap(files)) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(USE)) {
    const key = m[1] ?? m[2]!;
    if (!enKeys.has(key)) problems.push(`${file}: unknown message key ${key}`);
  }
}

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`locales: ${enKeys.size} keys in each language, all used keys present`);
