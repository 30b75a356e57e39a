// What the SMS and voice methods need from a telephony provider; Twilio in production, the console
// in development, the fake Twilio API in tests.

export interface PhoneSender {
  /** Sends a text message; resolves with the provider's message id. */
  sendSms(to: string, body: string): Promise<{ id: string }>;
  /** Places a call that runs `twiml`; resolves with the provider's call id. */
  placeCall(to: string, twiml: string, statusCallbackUrl?: string): Promise<{ id: string }>;
}

export type PhoneDeliveryErrorCode =
  /** The provider is down, unreachable or misconfigured (5xx, network, bad credentials): try later or another method. */
  | 'unavailable'
  /** No answer within the configured time; the message may or may not have been sent. */
  | 'timeout'
  /** The provider will not deliver to this number (invalid, unreachable, opted out, region not permitted). */
  | 'refused_number';

export class PhoneDeliveryError extends Error {
  readonly code: PhoneDeliveryErrorCode;
  /** The provider's own error code (Twilio's 21211 and so on), for logs. */
  readonly providerCode?: number;
  constructor(code: PhoneDeliveryErrorCode, message: string, options: { providerCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PhoneDeliveryError';
    this.code = code;
    this.providerCode = options.providerCode;
  }
}
