// Registering a phone during sign-in: as the first method, or as a second one offered after it.
// The number is proven (code by SMS, or a call) before the method becomes active.
import type { Method, MethodKind } from '../../adapters/postgres/methods.ts';
import type { User } from '../../adapters/postgres/users.ts';
import { field } from '../../app/http/form.ts';
import { parsePhone } from '../../methods/phone-number.ts';
import { codeExpired, verifyCode } from '../../methods/phone-challenge.ts';
import { takeCallState } from '../../methods/voice/index.ts';
import { auditContext, finishWithError, interactionPath, render, saveJourney, withData, type Journey, type Turn } from '../journey.ts';
import { countryLabelFor, deliver, modeFor, pendingOf, phoneOf, renderCall, renderCode, targetOf, type PendingChallenge } from '../phone.ts';
import { blankPhoneForm, extensionValid, PHONE_KINDS, phoneErrorMessage, readPhoneForm, type PhoneFormValues } from '../phone-form.ts';
import type { EnrolChoice } from './enrol.ts';
import { enrolled } from './enrol.ts';

export const PHONE_ENROL_CHOICE: EnrolChoice = { step: 'enrol/phone', labelKey: 'phone.enrol.choice', hintKey: 'phone.enrol.choiceHint' };

const ENROL_PENDING = 'phoneEnrol';

function countryLabel(turn: Turn): string {
  return countryLabelFor(phoneOf(turn).settings.defaultCountry, turn.lang);
}

export async function showPhoneEnrolment(turn: Turn, journey: Journey, user: User, error?: string, submitted?: PhoneFormValues): Promise<void> {
  const vias = phoneOf(turn).enabled;
  const imported = !submitted && Boolean(user.importedPhone);
  const values = submitted ?? blankPhoneForm(user.importedPhone, vias);
  await render(turn, 'phone-enrol', {
    title: turn.t('phone.enrol.title'),
    action: interactionPath(turn, 'enrol/phone'),
    back: interactionPath(turn, journey.enrolled?.length ? 'after-enrol' : 'enrol'),
    kinds: PHONE_KINDS.map((k) => ({ value: k, label: turn.t(`phone.kind.${k}`) })),
    country: countryLabel(turn),
    vias,
    values,
    imported,
    error,
  }, error ? 400 : 200);
}

/** POST …/enrol/phone — checks the number, keeps it as a pending method and sends the proof. */
export async function submitPhoneEnrolment(turn: Turn, journey: Journey, user: User, fields: Record<string, string>): Promise<void> {
  const { settings, enabled } = phoneOf(turn);
  const values = readPhoneForm(fields, enabled);
  let e164: string;
  try {
    e164 = parsePhone(values.number, { defaultCountry: settings.defaultCountry, allowedCountries: settings.allowedCountries, requireSms: values.via === 'sms' }).e164;
  } catch (error) {
    return showPhoneEnrolment(turn, journey, user, phoneErrorMessage(turn.t, error), values);
  }
  if (!extensionValid(values)) return showPhoneEnrolment(turn, journey, user, turn.t('phone.errors.extensionInvalid'), values);
  const { methods } = turn.deps.services;
  await methods.removePending(user.id, values.via);
  const method = await methods.create({ userId: user.id, kind: values.via, phone: e164, phoneKind: values.kind, extension: values.extension || null });
  const mode = modeFor(phoneOf(turn), values.via);
  try {
    const challengeId = await deliver(turn, targetOf(method), mode);
    await saveJourney(turn, withEnrolPending(journey, { methodId: method.id, challengeId, mode }));
  } catch (error) {
    await methods.remove(user.id, method.id);
    return showPhoneEnrolment(turn, journey, user, phoneErrorMessage(turn.t, error), values);
  }
  turn.ctx.status = 303;
  turn.ctx.redirect(interactionPath(turn, 'enrol/phone/verify'));
}

function withEnrolPending(journey: Journey, pending: PendingChallenge | undefined): Journey {
  return withData(journey, ENROL_PENDING, pending);
}

async function pendingMethod(turn: Turn, journey: Journey): Promise<{ pending: PendingChallenge; method: Method } | undefined> {
  const pending = pendingOf(journey, ENROL_PENDING);
  const method = pending && (await turn.deps.services.methods.find(pending.methodId));
  if (!pending || !method || method.userId !== journey.userId || method.status !== 'pending') return undefined;
  return { pending, method };
}

function proofPage(turn: Turn, method: Method, pending: PendingChallenge, error?: string) {
  const page = {
    method,
    mode: pending.mode,
    title: turn.t('phone.enrol.codeTitle'),
    action: interactionPath(turn, 'enrol/phone/verify'),
    resend: interactionPath(turn, 'enrol/phone/resend'),
    challengeId: pending.challengeId,
    error,
  };
  return pending.mode === 'voice_press' ? renderCall(turn, page) : renderCode(turn, page);
}

/** GET …/enrol/phone/verify — the code form, or the page waiting for # (which polls here). */
export async function showPhoneProof(turn: Turn, journey: Journey, user: User): Promise<void> {
  const found = await pendingMethod(turn, journey);
  if (!found) return turn.ctx.redirect(interactionPath(turn, 'enrol/phone'));
  const { pending, method } = found;
  if (pending.mode !== 'voice_press') return proofPage(turn, method, pending);
  const state = await takeCallState(phoneOf(turn), pending.challengeId, user.id);
  if (state === 'approved') return activate(turn, journey, user, method);
  if (state === 'fraud') {
    await turn.deps.services.methods.remove(user.id, method.id);
    return finishWithError(turn, 'access_denied', 'the user reported on the phone that they did not start this enrolment');
  }
  await proofPage(turn, method, pending, state === 'expired' ? turn.t('phone.errors.callExpired') : undefined);
}

/** POST …/enrol/phone/verify — a typed code, charged against the enrolment budget. */
export async function submitPhoneProof(turn: Turn, journey: Journey, user: User, fields: Record<string, string>): Promise<void> {
  const code = field(fields, 'code', { max: 64, required: true });
  const found = await pendingMethod(turn, journey);
  if (!found || found.pending.mode === 'voice_press') return turn.ctx.redirect(interactionPath(turn, 'enrol/phone'));
  const { pending, method } = found;
  const phone = phoneOf(turn);
  let errorKey = 'mfa.invalidCode';
  const outcome = await turn.deps.regulator.attempt(`enrol:${method.kind}`, user.id, async () => {
    const ok = await verifyCode(phone, pending.challengeId, user.id, code);
    if (!ok && (await codeExpired(phone, pending.challengeId))) errorKey = 'phone.errors.codeExpired';
    return ok;
  });
  // Locked or wrong, the same message: the budget's state is not something to reveal.
  if (outcome !== 'ok') return proofPage(turn, method, pending, turn.t(outcome === 'locked' ? 'mfa.invalidCode' : errorKey));
  await activate(turn, journey, user, method);
}

/** POST …/enrol/phone/resend */
export async function resendPhoneProof(turn: Turn, journey: Journey): Promise<void> {
  const found = await pendingMethod(turn, journey);
  if (!found) return turn.ctx.redirect(interactionPath(turn, 'enrol/phone'));
  const { pending, method } = found;
  try {
    const challengeId = await deliver(turn, targetOf(method), pending.mode);
    await saveJourney(turn, withEnrolPending(journey, { ...pending, challengeId }));
  } catch (error) {
    return proofPage(turn, method, pending, phoneErrorMessage(turn.t, error));
  }
  turn.ctx.status = 303;
  turn.ctx.redirect(interactionPath(turn, 'enrol/phone/verify'));
}

/** The number is proven: the method becomes active; as a first method it also counts as a factor. */
async function activate(turn: Turn, journey: Journey, user: User, method: Method): Promise<void> {
  const { services } = turn.deps;
  await services.methods.activate(method.id);
  await services.audit.record({
    type: 'method.add',
    userId: user.id,
    username: user.username,
    factor: method.kind,
    details: { methodId: method.id, phoneKind: method.phoneKind, during: 'signin' },
    ...auditContext(turn),
  });
  const next = withEnrolPending(journey, undefined);
  const kind = method.kind as Extract<MethodKind, 'sms' | 'voice'>;
  if (!journey.enrolled?.length) return enrolled(turn, next, kind);
  // A second method: the journey has its factor already; back to the offer of further methods.
  await saveJourney(turn, { ...next, enrolled: [...journey.enrolled, kind] });
  turn.ctx.status = 303;
  turn.ctx.redirect(interactionPath(turn, 'after-enrol'));
}
