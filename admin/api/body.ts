// A small JSON body reader for the admin API: only application/json, at most 64 KiB, an object.
import type { Context } from 'koa';
import { readRawBody } from '../../app/http/body.ts';
import { HttpError } from '../../app/http/errors.ts';
import { AdminError } from '../errors.ts';

const BODY_LIMIT = 64 * 1024;

/** A request the API refuses before any operation runs; `status` is the HTTP status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly key: string;
  constructor(status: number, code: string, key: string) {
    super(key);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.key = key;
  }
}

function hasBody(ctx: Context): boolean {
  return Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
}

export async function readJsonBody(ctx: Context, limit = BODY_LIMIT): Promise<Record<string, unknown>> {
  if (!hasBody(ctx)) return {};
  if (!ctx.is('application/json')) throw new ApiError(415, 'unsupported_media_type', 'unsupported_media_type');
  let raw: string;
  try {
    raw = await readRawBody(ctx, limit);
  } catch (err) {
    if (err instanceof HttpError && err.status === 413) throw new ApiError(413, 'payload_too_large', 'body_too_large');
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'invalid_request', 'malformed_json');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError(400, 'invalid_request', 'invalid_body');
  return parsed as Record<string, unknown>;
}

/** A query parameter given once, as a string; repeated parameters are refused. */
export function queryParam(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw new AdminError('usage', 'not_a_string', {}, name);
  return value;
}
