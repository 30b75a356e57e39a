// The real Twilio SDK talking to a local fake of Twilio's REST API, and Twilio-signed webhooks
// checked by our own verifier.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { createConsoleSender } from '../../adapters/twilio/console-sender.ts';
import { PhoneDeliveryError } from '../../adapters/twilio/sender.ts';
import type { PhoneSender } from '../../adapters/twilio/sender.ts';
import { signTwilioRequest, verifyTwilioSignature } from '../../adapters/twilio/signature.ts';
import { createTwilioSender } from '../../adapters/twilio/twilio-sender.ts';
import { describeTwiml, pressToApproveTwiml, readCodeTwiml, readPressedKey } from '../../adapters/twilio/twiml.ts';
import { startFakeTwilio } from '../helpers/fake-twilio.ts';
import type { FakeTwilio } from '../helpers/fake-twilio.ts';

const TO = '+819012345678';

let fake: FakeTwilio;
let sender: PhoneSender;

function senderFor(overrides: { authToken?: string; apiBase?: string; timeoutMs?: number } = {}): PhoneSender {
  return createTwilioSender({
    accountSid: fake.accountSid,
    authToken: overrides.authToken ?? fake.authToken,
    from: fake.from,
    apiBase: overrides.apiBase ?? fake.url,
    timeoutMs: overrides.timeoutMs ?? 10_000,
  });
}

async function deliveryError(attempt: Promise<unknown>): Promise<PhoneDeliveryError> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PhoneDeliveryError);
  return error as PhoneDeliveryError;
}

function approveTwiml(action: string): string {
  return pressToApproveTwiml({
    language: 'ja',
    gatherActionUrl: action,
    prompt: 'サインインを承認するには # を押してください。',
    goodbye: 'さようなら。',
  });
}

beforeAll(async () => {
  fake = await startFakeTwilio();
  sender = senderFor();
});

afterAll(async () => {
  await fake.close();
});

describe('createTwilioSender against the fake Twilio API', () => {
  it('sends an SMS with the configured sender number', async () => {
    const { id } = await sender.sendSms(TO, 'Sekisho の確認コード: 123456');
    expect(id).toMatch(/^SM[0-9a-f]{32}$/);
    expect(fake.messages.at(-1)).toMatchObject({ sid: id, to: TO, from: fake.from, body: 'Sekisho の確認コード: 123456' });
    expect(fake.lastCode(TO)).toBe('123456');
  });

  it('places a call running inline TwiML, with a status callback', async () => {
    const twiml = approveTwiml('https://idp.example.ac.jp/voice/answer?c=1');
    const { id } = await sender.placeCall(TO, twiml, 'https://idp.example.ac.jp/voice/status');
    expect(id).toMatch(/^CA[0-9a-f]{32}$/);
    expect(fake.calls.at(-1)).toMatchObject({
      sid: id,
      to: TO,
      from: fake.from,
      twiml,
      statusCallback: 'https://idp.example.ac.jp/voice/status',
    });
  });

  it('reports a wrong auth token as unavailable, not as the number’s fault', async () => {
    const error = await deliveryError(senderFor({ authToken: 'not-the-token' }).sendSms(TO, 'x'));
    expect(error.code).toBe('unavailable');
    expect(error.providerCode).toBe(20003);
  });

  it('reports a server error as unavailable', async () => {
    fake.failNext(500);
    expect((await deliveryError(sender.sendSms(TO, 'x'))).code).toBe('unavailable');
  });

  it('reports an invalid To (21211) as refused_number', async () => {
    fake.failNext(400, 21211);
    const error = await deliveryError(sender.sendSms(TO, 'x'));
    expect(error.code).toBe('refused_number');
    expect(error.providerCode).toBe(21211);
  });

  it('reports a number Twilio will not reach as refused_number, for SMS and calls', async () => {
    const blocked = '+818011112222';
    fake.refuseNumber(blocked);
    expect((await deliveryError(sender.sendSms(blocked, 'x'))).code).toBe('refused_number');
    expect((await deliveryError(sender.placeCall(blocked, approveTwiml('https://idp.example/a')))).code).toBe('refused_number');
  });

  it('rejects a To that is not E.164, as Twilio does', async () => {
    expect((await deliveryError(sender.sendSms('090-1234-5678', 'x'))).code).toBe('refused_number');
  });

  it('gives up on a request that never answers with a timeout error', async () => {
    fake.hangNext();
    expect((await deliveryError(senderFor({ timeoutMs: 500 }).sendSms(TO, 'x'))).code).toBe('timeout');
  });

  it('reports a refused connection as unavailable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await deliveryError(senderFor({ apiBase: `http://127.0.0.1:${port}` }).sendSms(TO, 'x'));
    expect(error.code).toBe('unavailable');
  });
});

describe('webhook signatures', () => {
  const token = '12345678901234567890123456789012';
  const url = 'https://idp.example.ac.jp/interaction/abc/voice?challenge=x1&lang=ja';
  const params = { CallSid: 'CA0123', Digits: '#', From: '+815012340000', To: TO, AccountSid: 'AC1' };

  it('signs exactly as the Twilio SDK does', () => {
    expect(signTwilioRequest(token, url, params)).toBe(twilio.getExpectedTwilioSignature(token, url, params));
  });

  it('verifies its own signature and the SDK’s', () => {
    expect(verifyTwilioSignature(token, signTwilioRequest(token, url, params), url, params)).toBe(true);
    expect(verifyTwilioSignature(token, twilio.getExpectedTwilioSignature(token, url, params), url, params)).toBe(true);
  });

  it('fails when a parameter, the URL or the token differ, or the header is missing', () => {
    const signature = signTwilioRequest(token, url, params);
    expect(verifyTwilioSignature(token, signature, url, { ...params, Digits: '0' })).toBe(false);
    expect(verifyTwilioSignature(token, signature, url, { ...params, Extra: '' })).toBe(false);
    expect(verifyTwilioSignature(token, signature, url.replace('x1', 'x2'), params)).toBe(false);
    expect(verifyTwilioSignature(`${token}x`, signature, url, params)).toBe(false);
    expect(verifyTwilioSignature(token, undefined, url, params)).toBe(false);
    expect(verifyTwilioSignature(token, 'short', url, params)).toBe(false);
  });

  it('accepts the URL with or without the default port, as Twilio may sign either', () => {
    const withPort = 'https://idp.example.ac.jp:443/interaction/abc/voice?challenge=x1&lang=ja';
    expect(verifyTwilioSignature(token, signTwilioRequest(token, withPort, params), url, params)).toBe(true);
    expect(verifyTwilioSignature(token, signTwilioRequest(token, url, params), withPort, params)).toBe(true);
  });
});

describe('answering a call through the fake', () => {
  let receiver: Server;
  let action: string;
  const seen: { params: Record<string, string>; valid: boolean }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(body));
        const header = req.headers['x-twilio-signature'];
        const fullUrl = `http://${req.headers.host}${req.url}`;
        const valid = verifyTwilioSignature(fake.authToken, typeof header === 'string' ? header : undefined, fullUrl, params);
        seen.push({ params, valid });
        res.writeHead(valid ? 200 : 403, { 'content-type': 'text/xml' }).end('<Response><Hangup/></Response>');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    action = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/interaction/u1/voice?challenge=c1&lang=ja`;
  });

  afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  async function call(): Promise<string> {
    return (await sender.placeCall(TO, approveTwiml(action))).id;
  }

  it('posts a correctly signed webhook with Digits "#" when the callee presses #', async () => {
    const callSid = await call();
    const answer = await fake.answerCall(callSid, '#');
    expect(answer).toMatchObject({ posted: true, status: 200 });
    expect(seen.at(-1)).toEqual({
      valid: true,
      params: expect.objectContaining({ CallSid: callSid, AccountSid: fake.accountSid, From: fake.from, To: TO, Digits: '#' }),
    });
    expect(readPressedKey(seen.at(-1)!.params.Digits)).toBe('approve');
  });

  it('hands over only the first key, so 0# reports fraud', async () => {
    await fake.answerCall(await call(), '0#');
    expect(seen.at(-1)).toMatchObject({ valid: true, params: { Digits: '0' } });
    expect(readPressedKey(seen.at(-1)!.params.Digits)).toBe('fraud');
  });

  it('never calls the action when no key is pressed (voicemail cannot approve)', async () => {
    const before = seen.length;
    expect(await fake.answerCall(await call(), '')).toEqual({ posted: false });
    expect(seen.length).toBe(before);
  });

  it('sends webhooks without a signature or with a forged one on request, and both fail verification', async () => {
    const callSid = await call();
    expect(await fake.answerCallUnsigned(callSid, '#')).toMatchObject({ posted: true, status: 403 });
    expect(seen.at(-1)!.valid).toBe(false);
    const forged = signTwilioRequest('wrong-token', action, { Digits: '#' });
    expect(await fake.answerCall(callSid, '#', { signature: forged })).toMatchObject({ posted: true, status: 403 });
    expect(seen.at(-1)!.valid).toBe(false);
  });
});

describe('TwiML builders', () => {
  it('builds the press-# call with a one-key gather that ignores silence', () => {
    const twiml = approveTwiml('https://idp.example.ac.jp/v?a=1&b=<2>');
    expect(twiml).toContain('language="ja-JP"');
    expect(describeTwiml(twiml)).toEqual({
      says: ['サインインを承認するには # を押してください。', 'さようなら。'],
      gather: { action: 'https://idp.example.ac.jp/v?a=1&b=<2>', numDigits: 1, finishOnKey: '', actionOnEmptyResult: false },
    });
  });

  it('escapes prompts that look like markup', () => {
    const twiml = pressToApproveTwiml({ language: 'en', gatherActionUrl: 'https://x/a', prompt: '</Say><Hangup/>', goodbye: 'Bye & thanks' });
    expect(twiml).not.toContain('<Hangup/></Say>');
    expect(twiml).toContain('language="en-US"');
    expect(describeTwiml(twiml).says).toEqual(['</Say><Hangup/>', 'Bye & thanks']);
  });

  it('reads a code digit by digit, repeated', () => {
    const ja = describeTwiml(readCodeTwiml({ language: 'ja', code: '123456', prompt: '確認コードは', repeat: 2 }));
    expect(ja).toEqual({ says: ['確認コードは', '1、2、3、4、5、6', '確認コードは', '1、2、3、4、5、6'] });
    const en = describeTwiml(readCodeTwiml({ language: 'en', code: '905', prompt: 'Your code is', repeat: 1 }));
    expect(en.says).toEqual(['Your code is', '9, 0, 5']);
  });

  it('maps keys other than # and 0 to nothing', () => {
    expect(readPressedKey('1')).toBe('other');
    expect(readPressedKey('')).toBe('other');
    expect(readPressedKey(undefined)).toBe('other');
  });
});

describe('createConsoleSender', () => {
  it('prints marked lines and keeps the last message per number', async () => {
    const lines: string[] = [];
    const console = createConsoleSender((line) => lines.push(line));
    const sms = await console.sendSms(TO, 'code 654321');
    const call = await console.placeCall(TO, approveTwiml('https://idp.example/v'));
    expect(sms.id).toMatch(/^dev-SM[0-9a-f]{32}$/);
    expect(call.id).toMatch(/^dev-CA[0-9a-f]{32}$/);
    expect(lines[0]).toBe(`[dev SMS → ${TO}] code 654321`);
    expect(lines[1]).toBe(`[dev CALL → ${TO}] サインインを承認するには # を押してください。 / さようなら。 [waits for a key → https://idp.example/v]`);
    expect(console.lastMessage(TO)).toMatchObject({ id: call.id, kind: 'call' });
    expect(console.lastMessage('+819000000000')).toBeUndefined();
  });
});
