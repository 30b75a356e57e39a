// The phone methods' part of the server: the "phone" enrolment choice, the journey routes behind
// it and the sign-in with a phone, the Twilio webhook, and the wiring of one app's phone services.
import type Router from '@koa/router';
import { ChallengeRepository } from '../adapters/postgres/challenges.ts';
import { PhoneSendLog } from '../adapters/postgres/phone-sends.ts';
import { loadOrCreateSecret } from '../adapters/postgres/server-secrets.ts';
import { createConsoleSender } from '../adapters/twilio/console-sender.ts';
import type { PhoneSender } from '../adapters/twilio/sender.ts';
import { createTwilioSender } from '../adapters/twilio/twilio-sender.ts';
import type { Logger } from '../app/logger.ts';
import type { Services } from '../app/services.ts';
import type { Config } from '../config/index.ts';
import { formStep, type InteractionDeps } from './journey.ts';
import { attachPhone, type PhoneContext } from './phone.ts';
import type { JourneyExtensions } from './router.ts';
import { callStatus, sendChallenge } from './steps/phone-signin.ts';
import {
  PHONE_ENROL_CHOICE,
  resendPhoneProof,
  showPhoneEnrolment,
  showPhoneProof,
  submitPhoneEnrolment,
  submitPhoneProof,
} from './steps/phone-enrol.ts';
import { createDevPhoneRouter, createTwilioWebhookRouter } from './webhooks.ts';

function phoneExtension(phone: PhoneContext): JourneyExtensions {
  if (!phone.enabled.length) return {};
  return {
    enrolChoices: [PHONE_ENROL_CHOICE],
    routes(router, { withJourney, enrolling }) {
      router.post('/interaction/:uid/phone/:methodId/send', withJourney(formStep((t, journey) => sendChallenge(t, journey, t.ctx.params.methodId!))));
      router.get('/interaction/:uid/phone/:methodId/status', withJourney((t, journey, user) => callStatus(t, journey, user, t.ctx.params.methodId!)));
      router.get('/interaction/:uid/enrol/phone', enrolling((t, journey, user) => showPhoneEnrolment(t, journey, user)));
      router.post('/interaction/:uid/enrol/phone', enrolling(formStep(submitPhoneEnrolment)));
      router.get('/interaction/:uid/enrol/phone/verify', withJourney(showPhoneProof));
      router.post('/interaction/:uid/enrol/phone/verify', withJourney(formStep(submitPhoneProof)));
      router.post('/interaction/:uid/enrol/phone/resend', withJourney(formStep((t, journey) => resendPhoneProof(t, journey))));
    },
  };
}

export interface PhoneWiring {
  extension: JourneyExtensions;
  /** The Twilio webhook, and in development with the console sender the stand-in for a call. */
  routers: Router[];
}

function defaultSender(config: Config, log: Logger): PhoneSender {
  if (config.phone.sender === 'twilio') return createTwilioSender(config.phone.twilio!);
  return createConsoleSender((line) => log.warn('console phone sender (nothing was sent)', { line }));
}

/** Builds the phone methods of one app: storage, code key, sender, journey extension and webhooks. */
export async function createPhoneWiring(options: { services: Services; deps: InteractionDeps; log: Logger; sender?: PhoneSender }): Promise<PhoneWiring> {
  const { services, deps, log } = options;
  const { config } = services;
  const devAnswer = config.env === 'development' && config.phone.sender === 'console';
  const phone: PhoneContext = {
    sender: options.sender ?? defaultSender(config, log),
    challenges: new ChallengeRepository(services.db),
    sends: new PhoneSendLog(services.db),
    codeKey: await loadOrCreateSecret(services.db, services.box, 'phone-code-key'),
    settings: config.phone,
    now: deps.now,
    enabled: config.phone.methods,
    publicUrl: config.publicUrl,
    devAnswer,
  };
  attachPhone(deps, phone);
  const routers = [createTwilioWebhookRouter({ phone, services, twilio: config.phone.twilio })];
  if (devAnswer) routers.push(createDevPhoneRouter({ phone, services }));
  return { extension: phoneExtension(phone), routers };
}
