// What Twilio calls back: the key pressed on an approval call. Outside /interaction, since Twilio
// has no cookies; trusted only with a valid X-Twilio-Signature over our public URL. Also the
// development-only stand-in that "presses a key" on a console call.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Services } from '../app/services.ts';
import { readForm } from '../app/http/body.ts';
import { isLang, translator, type Lang } from '../app/i18n.ts';
import { verifyTwilioSignature } from '../adapters/twilio/signature.ts';
import { sayAndHangUpTwiml } from '../adapters/twilio/twiml.ts';
import type { TwilioConfig } from '../config/index.ts';
import type { Challenge } from '../adapters/postgres/challenges.ts';
import { answerCall, type AnswerResult } from '../methods/voice/index.ts';
import type { PhoneContext } from './phone.ts';

function plain(ctx: Context, status: number, text: string): void {
  ctx.status = status;
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = text;
}

const SPOKEN: Record<'approved' | 'fraud' | 'ignored', string> = {
  approved: 'phone.voice.approved',
  fraud: 'phone.voice.reported',
  ignored: 'phone.voice.ignored',
};

/** A report of fraud: the method is flagged (hidden from the picker until IT clears it) and audited. */
async function reportFraud(services: Services, ctx: Context, challenge: Challenge): Promise<void> {
  await services.methods.flag(challenge.methodId);
  const user = await services.users.findById(challenge.userId);
  await services.audit.record({
    type: 'phone.fraud',
    outcome: 'failure',
    userId: challenge.userId,
    username: user?.username,
    factor: 'voice',
    ip: ctx.ip,
    details: { methodId: challenge.methodId, challengeId: challenge.id, callSid: challenge.callSid },
  });
}

/** Records the key of a request the caller has authenticated; a replay or an unknown call gets a 4xx. */
async function handleKey(
  phone: PhoneContext,
  services: Services,
  ctx: Context,
  key: { challengeId: string; callSid?: string; digits?: string },
): Promise<Extract<AnswerResult, { status: keyof typeof SPOKEN }> | undefined> {
  const result = await answerCall(phone, key.challengeId, key.callSid, key.digits);
  if (result.status === 'unknown') return void plain(ctx, 404, 'unknown call');
  if (result.status === 'closed') return void plain(ctx, 409, 'already answered');
  if (result.status === 'fraud') await reportFraud(services, ctx, result.challenge);
  return result;
}

export function createTwilioWebhookRouter(options: { phone: PhoneContext; services: Services; twilio?: TwilioConfig }): Router {
  const { phone, services, twilio } = options;
  const router = new Router();

  router.post('/webhooks/twilio/voice/:challengeId', async (ctx) => {
    if (!twilio) return plain(ctx, 404, 'not found');
    const fields = await readForm(ctx);
    const url = `${phone.publicUrl}${ctx.originalUrl}`;
    if (!verifyTwilioSignature(twilio.authToken, ctx.get('x-twilio-signature') || undefined, url, fields) || fields.AccountSid !== twilio.accountSid) {
      return plain(ctx, 403, 'forbidden');
    }
    const result = await handleKey(phone, services, ctx, { challengeId: ctx.params.challengeId!, callSid: fields.CallSid, digits: fields.Digits });
    if (!result) return;
    const lang: Lang = isLang(ctx.query.lang) ? ctx.query.lang : 'ja';
    ctx.type = 'text/xml; charset=utf-8';
    ctx.body = sayAndHangUpTwiml({ language: lang, text: translator(lang)(SPOKEN[result.status]) });
  });

  return router;
}

/** Development with the console sender only: answer a console call from the waiting page. */
export function createDevPhoneRouter(options: { phone: PhoneContext; services: Services }): Router {
  const { phone, services } = options;
  const router = new Router();
  router.post('/dev/phone/answer', async (ctx) => {
    const fields = await readForm(ctx);
    const challenge = fields.challenge ? await phone.challenges.find(fields.challenge) : undefined;
    if (!challenge) return plain(ctx, 404, 'unknown call');
    const result = await handleKey(phone, services, ctx, { challengeId: challenge.id, callSid: challenge.callSid ?? undefined, digits: fields.key });
    if (!result) return;
    const back = fields.back ?? '';
    // Only back to a journey page of this server: no open redirect, even in development.
    ctx.status = 303;
    ctx.redirect(back.startsWith('/interaction/') ? back : '/');
  });
  return router;
}
