// What the SMS and voice steps share: the phone services of this server, sending a code or placing
// a call with texts in the user's language, and the pages that wait for either (the form to add a
// phone and its error messages are in phone-form.ts).
import { getCountryCallingCode, type CountryCode } from 'libphonenumber-js/max';
import type { Method } from '../adapters/postgres/methods.ts';
import type { ChallengeKind } from '../adapters/postgres/challenges.ts';
import type { Config } from '../config/index.ts';
import type { PhoneDeps, PhoneTarget } from '../methods/phone-challenge.ts';
import { maskPhone } from '../methods/phone-number.ts';
import { sendSmsCode } from '../methods/sms/index.ts';
import { placeApprovalCall, placeCodeCall } from '../methods/voice/index.ts';
import { interactionPath, render, type InteractionDeps, type Journey, type Turn } from './journey.ts';

export interface PhoneContext extends PhoneDeps {
  enabled: Config['phone']['methods'];
  /** Base of the webhook URLs Twilio calls (config.publicUrl). */
  publicUrl: string;
  /** Development with the console sender: calls can be answered from the waiting page. */
  devAnswer: boolean;
}

// Keyed by the app's deps: several apps (tests) can live in one process, each with its own sender.
const contexts = new WeakMap<InteractionDeps, PhoneContext>();

export function attachPhone(deps: InteractionDeps, phone: PhoneContext): void {
  contexts.set(deps, phone);
}

/** The phone services of an app, outside a sign-in (the Security info page); undefined when not wired. */
export function phoneContextOf(deps: InteractionDeps): PhoneContext | undefined {
  return contexts.get(deps);
}

export function phoneOf(turn: Turn): PhoneContext {
  const phone = contexts.get(turn.deps);
  if (!phone) throw new Error('phone methods are not wired into this app');
  return phone;
}

/** How a challenge reaches the user: SMS code, approval call, or code read aloud. */
export type PhoneMode = ChallengeKind;

export function modeFor(phone: PhoneContext, kind: 'sms' | 'voice'): PhoneMode {
  if (kind === 'sms') return 'sms';
  return phone.settings.voiceMode === 'read' ? 'voice_code' : 'voice_press';
}

/** The challenge a journey is waiting on, kept in journey.data under `key`. */
export interface PendingChallenge {
  methodId: string;
  challengeId: string;
  mode: PhoneMode;
}

export function pendingOf(journey: Journey, key: string, methodId?: string): PendingChallenge | undefined {
  const pending = journey.data?.[key] as PendingChallenge | undefined;
  if (!pending || (methodId && pending.methodId !== methodId)) return undefined;
  return pending;
}

/** "日本 (+81)": numbers typed without a country code are read as this country's. */
export function countryLabelFor(code: string, lang: string): string {
  const name = new Intl.DisplayNames([lang], { type: 'region' }).of(code) ?? code;
  return `${name} (+${getCountryCallingCode(code as CountryCode)})`;
}

function webhookPath(challengeId: string): string {
  return `/webhooks/twilio/voice/${encodeURIComponent(challengeId)}`;
}

export function targetOf(method: Method): PhoneTarget {
  return { userId: method.userId, methodId: method.id, phone: method.phone!, extension: method.extension };
}

/** Sends the code or places the call; throws PhoneSendError or PhoneDeliveryError. */
export async function deliver(turn: Turn, target: PhoneTarget, mode: PhoneMode): Promise<string> {
  const phone = phoneOf(turn);
  const { t, lang } = turn;
  if (mode === 'sms') return sendSmsCode(phone, target, (code) => t('phone.sms.message', { code }));
  if (mode === 'voice_code') return placeCodeCall(phone, target, { language: lang, prompt: t('phone.voice.readPrompt') });
  return placeApprovalCall(
    phone,
    target,
    { language: lang, prompt: t('phone.voice.prompt'), goodbye: t('phone.voice.goodbye') },
    (id) => `${phone.publicUrl}${webhookPath(id)}?lang=${lang}`,
  );
}

export interface PhonePage {
  method: Method;
  mode: PhoneMode;
  /** Where the code is posted, or where the waiting page refreshes to. */
  action: string;
  /** Where "resend code" / "call again" posts. */
  resend: string;
  /** The picker of other methods, when there are others to pick (sign-in). */
  otherWay?: string;
  challengeId?: string;
  error?: string;
  notice?: string;
  title?: string;
}

/** "We will text / call {{phone}}" with one button. */
export function renderStart(turn: Turn, page: Omit<PhonePage, 'resend'>): Promise<void> {
  const sms = page.mode === 'sms';
  return render(turn, 'phone-start', {
    title: turn.t(sms ? 'phone.start.smsTitle' : 'phone.start.voiceTitle'),
    intro: turn.t(sms ? 'phone.start.smsIntro' : 'phone.start.voiceIntro', { phone: maskPhone(page.method.phone!) }),
    button: turn.t(sms ? 'phone.start.smsButton' : 'phone.start.voiceButton'),
    charges: sms,
    action: page.action,
    otherWay: page.otherWay,
    error: page.error,
  }, page.error ? 400 : 200);
}

/** The code form (SMS, or a call that reads the code) with "resend". */
export function renderCode(turn: Turn, page: PhonePage): Promise<void> {
  const sms = page.mode === 'sms';
  return render(turn, 'phone-code', {
    title: page.title ?? turn.t('phone.code.title'),
    intro: turn.t(sms ? 'phone.code.smsIntro' : 'phone.code.voiceIntro', { phone: maskPhone(page.method.phone!) }),
    resendLabel: turn.t(sms ? 'phone.code.resend' : 'phone.code.callAgain'),
    action: page.action,
    resend: page.resend,
    otherWay: page.otherWay,
    error: page.error,
    notice: page.notice,
  }, page.error ? 400 : 200);
}

/** Waiting for # on an approval call; refreshes itself (no script: the CSP forbids inline code). */
export function renderCall(turn: Turn, page: PhonePage): Promise<void> {
  const phone = phoneOf(turn);
  return render(turn, 'phone-call', {
    title: page.title ?? turn.t('phone.call.title'),
    refresh: page.error ? undefined : `3; url=${page.action}`,
    intro: turn.t('phone.call.intro', { phone: maskPhone(page.method.phone!) }),
    action: page.action,
    resend: page.resend,
    otherWay: page.otherWay,
    error: page.error,
    dev: phone.devAnswer && page.challengeId ? { challengeId: page.challengeId, back: page.action } : undefined,
  }, page.error ? 400 : 200);
}

export function pickerPath(turn: Turn): string {
  return interactionPath(turn, 'methods');
}

/** The account's methods were flagged by a fraud report and nothing usable is left (see methodsOf). */
export function showFraudBlock(turn: Turn): Promise<void> {
  return render(turn, 'message', { title: turn.t('errors.title'), message: turn.t('phone.errors.flagged') }, 403);
}
