// Adding a phone on the Security info page: the number is checked, kept as a pending method, and
// proven by a code (a text message, or a call that reads it aloud) before it can be used.
import type { Method } from '../adapters/postgres/methods.ts';
import { verifyCode, type PhoneDeps } from '../methods/phone-challenge.ts';
import { parsePhone } from '../methods/phone-number.ts';
import { sendSmsCode } from '../methods/sms/index.ts';
import { placeCodeCall } from '../methods/voice/index.ts';
import type { PhoneFormValues } from '../interactions/phone-form.ts';
import { audit, pendingMethod, type AccountDeps, type Actor } from './methods.ts';

export interface ProofTexts {
  language: 'ja' | 'en';
  sms: (code: string) => string;
  voicePrompt: string;
}

/** Creates the pending method and sends its proof; throws PhoneNumberError, PhoneSendError or PhoneDeliveryError. */
export async function beginAddPhone(
  deps: AccountDeps,
  phone: PhoneDeps,
  actor: Actor,
  input: PhoneFormValues,
  texts: ProofTexts,
): Promise<{ method: Method; challengeId: string }> {
  const { defaultCountry, allowedCountries } = phone.settings;
  const { e164 } = parsePhone(input.number, { defaultCountry, allowedCountries, requireSms: input.via === 'sms' });
  const { methods } = deps.services;
  await methods.removePending(actor.user.id, input.via);
  const method = await methods.create({
    userId: actor.user.id,
    kind: input.via,
    phone: e164,
    phoneKind: input.kind,
    extension: input.via === 'voice' && input.extension ? input.extension : null,
  });
  const target = { userId: actor.user.id, methodId: method.id, phone: e164, extension: method.extension };
  try {
    const challengeId =
      input.via === 'sms'
        ? await sendSmsCode(phone, target, texts.sms)
        : await placeCodeCall(phone, target, { language: texts.language, prompt: texts.voicePrompt });
    return { method, challengeId };
  } catch (err) {
    await methods.remove(actor.user.id, method.id);
    throw err;
  }
}

export function pendingPhone(deps: AccountDeps, actor: Actor, methodId: string): Promise<Method | undefined> {
  return pendingMethod(deps, actor.user, methodId, ['sms', 'voice']);
}

/** Activates the phone when the code is right, within the same failure budget as enrolment at sign-in. */
export async function finishAddPhone(
  deps: AccountDeps,
  phone: PhoneDeps,
  actor: Actor,
  method: Method,
  challengeId: string,
  code: string,
): Promise<'ok' | 'invalid' | 'locked'> {
  const outcome = await deps.regulator.attempt(`enrol:${method.kind}`, actor.user.id, () => verifyCode(phone, challengeId, actor.user.id, code));
  if (outcome !== 'ok') return outcome === 'locked' ? 'locked' : 'invalid';
  await deps.services.methods.activate(method.id);
  await audit(deps, actor, 'method.add', method.kind, { methodId: method.id });
  return 'ok';
}
