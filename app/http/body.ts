// Reads an application/x-www-form-urlencoded body with a size limit.
import type { Context } from 'koa';
import { HttpError } from './errors.ts';

export const FORM_LIMIT_BYTES = 16 * 1024;

export async function readRawBody(ctx: Context, limit: number): Promise<string> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw new HttpError(413, 'errors.tooLarge');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'errors.tooLarge');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The form's fields; a field sent twice is refused rather than silently picking one. */
export async function readForm(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new HttpError(415, 'errors.unsupportedType');
  const raw = await readRawBody(ctx, FORM_LIMIT_BYTES);
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(raw)) {
    if (key in fields) throw new HttpError(400, 'errors.badRequest', `field ${key} sent twice`);
    fields[key] = value;
  }
  return fields;
}
