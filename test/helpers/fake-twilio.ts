// A local stand-in for Twilio's REST API (Messages and Calls), strict about what it accepts the way
// Twilio is, with controls for failures and a way to "answer" a call by pressing keys, which posts a
// Twilio-signed webhook to the call's gather action.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { describeTwiml } from '../../adapters/twilio/twiml.ts';

export interface FakeTwilioOptions {
  accountSid: string;
  authToken: string;
  /** The only number accepted as `From`. */
  from: string;
}

export interface FakeMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  params: Record<string, string>;
}

export interface FakeCall {
  sid: string;
  to: string;
  from: string;
  twiml?: string;
  url?: string;
  statusCallback?: string;
  params: Record<string, string>;
}

export interface WebhookAnswer {
  /** False when Twilio would not call the action (no key pressed and actionOnEmptyResult off). */
  posted: boolean;
  params?: Record<string, string>;
  status?: number;
  body?: string;
}

export interface FakeTwilio extends FakeTwilioOptions {
  /** The base URL to give the sender as `apiBase`. */
  url: string;
  messages: FakeMessage[];
  calls: FakeCall[];
  /** The next request gets this HTTP status with a Twilio-style error (code defaults by status). */
  failNext(status: number, code?: number): void;
  /** The next request is never answered. */
  hangNext(): void;
  /** Requests to this number are refused as Twilio refuses an unreachable or opted-out recipient. */
  refuseNumber(e164: string): void;
  /** The 6-digit code in the last SMS to `to`. */
  lastCode(to: string): string | undefined;
  /**
   * The callee presses `keys` (e.g. `#`, `0#`, `123456#`). The call's gather decides, as Twilio's
   * does, which of them become `Digits`; then the action URL gets the webhook. `signature: false`
   * sends none, a string sends that (forged) value instead of the correct one.
   */
  answerCall(callSid: string, keys: string, options?: { signature?: string | false }): Promise<WebhookAnswer>;
  answerCallUnsigned(callSid: string, keys: string): Promise<WebhookAnswer>;
  close(): Promise<void>;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const API_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/;

class TwilioApiError extends Error {
  readonly status: number;
  readonly code: number;
  constructor(status: number, code: number, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function defaultCode(status: number): number {
  if (status === 400) return 21211;
  if (status === 401) return 20003;
  if (status === 404) return 20404;
  if (status === 429) return 20429;
  return 20500;
}

function sid(prefix: 'SM' | 'CA'): string {
  return prefix + randomBytes(16).toString('hex');
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sendError(res: ServerResponse, error: TwilioApiError): void {
  sendJson(res, error.status, {
    code: error.code,
    message: error.message,
    more_info: `https://www.twilio.com/docs/errors/${error.code}`,
    status: error.status,
  });
}

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

/** Which pressed keys the gather hands to its action, as Twilio documents `numDigits` and `finishOnKey`. */
function gatheredDigits(keys: string, gather: { numDigits?: number; finishOnKey: string }): string {
  let digits = '';
  for (const key of keys) {
    if (gather.finishOnKey !== '' && key === gather.finishOnKey) break;
    digits += key;
    if (gather.numDigits !== undefined && digits.length >= gather.numDigits) break;
  }
  return digits;
}

export async function startFakeTwilio(options: Partial<FakeTwilioOptions> = {}): Promise<FakeTwilio> {
  const accountSid = options.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  const from = options.from ?? '+815012340000';
  const messages: FakeMessage[] = [];
  const calls: FakeCall[] = [];
  const refused = new Set<string>();
  const hung: ServerResponse[] = [];
  let next: { hang: true } | { status: number; code: number } | undefined;

  function authorise(req: IncomingMessage, pathSid: string): void {
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) throw new TwilioApiError(401, 20003, 'Authenticate');
    if (pathSid !== accountSid) {
      throw new TwilioApiError(404, 20404, `The requested resource /2010-04-01/Accounts/${pathSid} was not found`);
    }
  }

  function checkParties(params: Record<string, string>, resource: 'Messages' | 'Calls'): void {
    const to = params.To ?? '';
    if (!E164.test(to)) throw new TwilioApiError(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if (params.From !== from) throw new TwilioApiError(400, 21212, `Invalid From Number (caller ID): ${params.From ?? ''}`);
    if (refused.has(to)) {
      throw resource === 'Messages'
        ? new TwilioApiError(400, 21612, `The 'To' phone number: ${to}, is not currently reachable via SMS`)
        : new TwilioApiError(400, 21214, `'To' phone number cannot be reached`);
    }
  }

  function create(resource: 'Messages' | 'Calls', params: Record<string, string>): object {
    checkParties(params, resource);
    const common = {
      account_sid: accountSid,
      api_version: '2010-04-01',
      to: params.To,
      from: params.From,
      status: 'queued',
      direction: 'outbound-api',
      date_created: new Date().toUTCString(),
    };
    if (resource === 'Messages') {
      if (!params.Body) throw new TwilioApiError(400, 21602, 'Message body is required.');
      const message: FakeMessage = { sid: sid('SM'), to: params.To!, from: params.From!, body: params.Body, params };
      messages.push(message);
      return { ...common, sid: message.sid, body: message.body, num_segments: '1', uri: `/2010-04-01/Accounts/${accountSid}/Messages/${message.sid}.json` };
    }
    if (!params.Twiml && !params.Url) throw new TwilioApiError(400, 21205, 'Url parameter is required.');
    const call: FakeCall = {
      sid: sid('CA'),
      to: params.To!,
      from: params.From!,
      twiml: params.Twiml,
      url: params.Url,
      statusCallback: params.StatusCallback,
      params,
    };
    calls.push(call);
    return { ...common, sid: call.sid, uri: `/2010-04-01/Accounts/${accountSid}/Calls/${call.sid}.json` };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const control = next;
    next = undefined;
    if (control && 'hang' in control) {
      hung.push(res);
      return;
    }
    if (control) throw new TwilioApiError(control.status, control.code, `Simulated failure ${control.status}`);
    const match = API_PATH.exec(new URL(req.url ?? '/', 'http://fake').pathname);
    if (!match) throw new TwilioApiError(404, 20404, `The requested resource ${req.url ?? ''} was not found`);
    if (req.method !== 'POST') throw new TwilioApiError(405, 20004, 'Method not allowed');
    authorise(req, match[1]!);
    const params = await readForm(req);
    sendJson(res, 201, create(match[2] as 'Messages' | 'Calls', params));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof TwilioApiError) sendError(res, error);
      else sendError(res, new TwilioApiError(500, 20500, String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  async function answerCall(callSid: string, keys: string, answer: { signature?: string | false } = {}): Promise<WebhookAnswer> {
    const call = calls.find((c) => c.sid === callSid);
    if (!call?.twiml) throw new Error(`no call ${callSid} with inline TwiML`);
    const gather = describeTwiml(call.twiml).gather;
    if (!gather?.action) throw new Error(`call ${callSid} gathers no keys`);
    const digits = gatheredDigits(keys, gather);
    if (digits === '' && !gather.actionOnEmptyResult) return { posted: false };
    const params = {
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      CallSid: call.sid,
      CallStatus: 'in-progress',
      Digits: digits,
      Direction: 'outbound-api',
      From: call.from,
      To: call.to,
    };
    const signature =
      answer.signature === undefined ? twilio.getExpectedTwilioSignature(authToken, gather.action, params) : answer.signature;
    const response = await fetch(gather.action, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(signature === false ? {} : { 'x-twilio-signature': signature }),
      },
      body: new URLSearchParams(params),
    });
    return { posted: true, params, status: response.status, body: await response.text() };
  }

  return {
    accountSid,
    authToken,
    from,
    url: `http://127.0.0.1:${port}`,
    messages,
    calls,
    failNext(status, code = defaultCode(status)) {
      next = { status, code };
    },
    hangNext() {
      next = { hang: true };
    },
    refuseNumber(e164) {
      refused.add(e164);
    },
    lastCode(to) {
      const body = messages.findLast((m) => m.to === to)?.body;
      return body ? /(?<!\d)\d{6}(?!\d)/.exec(body)?.[0] : undefined;
    },
    answerCall,
    answerCallUnsigned: (callSid, keys) => answerCall(callSid, keys, { signature: false }),
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
