// What commands read besides their flags: a secret on standard input, a file named on the command line.
import { readFile } from 'node:fs/promises';
import { usage } from '../errors.ts';
import type { CommandEnv } from './types.ts';

/** The password or secret typed on stdin: one trailing line break (from echo or a pipe) is not part of it. */
export async function readSecretFromStdin(env: CommandEnv, field: string): Promise<string> {
  const value = (await env.readStdin()).replace(/\r?\n$/, '');
  if (!value) throw usage('empty_stdin', field);
  return value;
}

/** The file's text; a missing file or one that is not UTF-8 is a usage error naming `field`. */
export async function readUtf8File(path: string, field: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw usage('file_unreadable', field, { path });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw usage('not_utf8', field, { path });
  }
}
