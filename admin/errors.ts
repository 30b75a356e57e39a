// Errors the admin operations raise. Each kind maps to one CLI exit code and one HTTP status, so the
// CLI and the admin API report the same problem the same way.

export type AdminErrorKind = 'usage' | 'not_found' | 'conflict';

/** Exit codes of `sekisho`, documented in `sekisho --help`. */
export const EXIT_CODES = { ok: 0, failure: 1, usage: 2, not_found: 3, conflict: 4 } as const;

export const HTTP_STATUS: Record<AdminErrorKind, number> = { usage: 400, not_found: 404, conflict: 409 };

/**
 * A problem with what the administrator asked for. `key` names a message under `cli.errors`;
 * `field` names the input at fault (an operation input field; the CLI maps it to its flag).
 */
export class AdminError extends Error {
  readonly code: AdminErrorKind;
  readonly key: string;
  readonly params: Record<string, unknown>;
  readonly field: string | undefined;

  constructor(code: AdminErrorKind, key: string, params: Record<string, unknown> = {}, field?: string) {
    super(`${field ? `${field}: ` : ''}${key}`);
    this.name = 'AdminError';
    this.code = code;
    this.key = key;
    this.params = params;
    this.field = field;
  }
}

export const usage = (key: string, field?: string, params: Record<string, unknown> = {}) => new AdminError('usage', key, params, field);
export const notFound = (key: string, params: Record<string, unknown> = {}) => new AdminError('not_found', key, params);
export const conflict = (key: string, params: Record<string, unknown> = {}, field?: string) => new AdminError('conflict', key, params, field);
