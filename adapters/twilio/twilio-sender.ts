// PhoneSender over Twilio's REST API with the official SDK. The SDK is loaded on first use: it is
// large, and only deployments that really send need it.
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type { TwilioConfig } from '../../config/index.ts';
import { PhoneDeliveryError } from './sender.ts';
import type { PhoneSender } from './sender.ts';

type TwilioModule = typeof import('twilio');
type TwilioClient = ReturnType<TwilioModule>;

// Twilio errors that are about the recipient, not about us: the user should try another number or method.
const RECIPIENT_ERRORS: ReadonlySet<number> = new Set([
  21211, // invalid 'To' number
  21214, // 'To' number cannot be reached
  21217, // number does not appear to be valid
  21219, // 'To' number not verified (trial account)
  21215, // geo permissions do not allow calling this number
  21408, // SMS not enabled for the region of 'To'
  21608, // unverified number on a trial account
  21610, // recipient has opted out (STOP)
  21612, // 'To' not reachable by SMS
  21614, // 'To' is not a mobile number
]);

/** The API base with the path and query of an SDK request kept, e.g. for a local fake of Twilio. */
function rebase(uri: string, apiBase: string): string {
  const target = new URL(uri);
  const base = new URL(apiBase);
  const prefix = base.pathname.replace(/\/$/, '');
  return `${base.origin}${prefix}${target.pathname}${target.search}`;
}

function httpClientFor(twilio: TwilioModule, config: TwilioConfig): RequestClient {
  const { apiBase, timeoutMs } = config;
  // The SDK's documented extension point for sending its requests elsewhere.
  class ConfiguredClient extends twilio.RequestClient {
    override request<TData>(opts: RequestClient.RequestOptions<TData>) {
      return super.request(apiBase ? { ...opts, uri: rebase(opts.uri, apiBase) } : opts);
    }
  }
  const client = new ConfiguredClient({ timeout: timeoutMs, autoRetry: false });
  // The SDK's timeout is a socket idle timeout; a server that trickles bytes would outlast it.
  // An abort signal bounds the whole request.
  client.axios.interceptors.request.use((request) => {
    request.signal = AbortSignal.timeout(timeoutMs);
    return request;
  });
  return client;
}

async function createClient(config: TwilioConfig): Promise<{ twilio: TwilioModule; client: TwilioClient }> {
  const { default: twilio } = await import('twilio');
  const client = twilio(config.accountSid, config.authToken, {
    httpClient: httpClientFor(twilio, config),
    autoRetry: false,
  });
  return { twilio, client };
}

function isTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED';
}

function toDeliveryError(twilio: TwilioModule, error: unknown): PhoneDeliveryError {
  if (error instanceof twilio.RestException) {
    const refused = error.code !== undefined && RECIPIENT_ERRORS.has(error.code);
    return new PhoneDeliveryError(refused ? 'refused_number' : 'unavailable', `Twilio ${error.status}: ${error.message}`, {
      providerCode: error.code,
      cause: error,
    });
  }
  if (isTimeout(error)) return new PhoneDeliveryError('timeout', 'Twilio did not answer in time', { cause: error });
  return new PhoneDeliveryError('unavailable', `Twilio unreachable: ${(error as Error).message}`, { cause: error });
}

export function createTwilioSender(config: TwilioConfig): PhoneSender {
  let ready: ReturnType<typeof createClient> | undefined;

  async function call<T>(send: (client: TwilioClient) => Promise<T>): Promise<T> {
    ready ??= createClient(config);
    const { twilio, client } = await ready;
    try {
      return await send(client);
    } catch (error) {
      throw toDeliveryError(twilio, error);
    }
  }

  return {
    async sendSms(to, body) {
      const message = await call((client) => client.messages.create({ to, from: config.from, body }));
      return { id: message.sid };
    },
    async placeCall(to, twiml, statusCallbackUrl) {
      const placed = await call((client) =>
        client.calls.create({
          to,
          from: config.from,
          twiml,
          ...(statusCallbackUrl ? { statusCallback: statusCallbackUrl, statusCallbackMethod: 'POST' } : {}),
        }),
      );
      return { id: placed.sid };
    },
  };
}
