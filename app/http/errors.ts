// Errors that end a request with a 4xx and a localized message, never a 500.

export class HttpError extends Error {
  readonly status: number;
  /** i18n key of the message shown to the user. */
  readonly messageKey: string;
  constructor(status: number, messageKey: string, detail?: string) {
    super(detail ?? messageKey);
    this.name = 'HttpError';
    this.status = status;
    this.messageKey = messageKey;
  }
}

export const badRequest = (key = 'errors.badRequest', detail?: string) => new HttpError(400, key, detail);
export const forbidden = (key = 'errors.forbidden', detail?: string) => new HttpError(403, key, detail);
export const notFound = (key = 'errors.notFound') => new HttpError(404, key);
