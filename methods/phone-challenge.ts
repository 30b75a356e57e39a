// What SMS codes and calls share: who may be sent what and when (cool-down, hourly limits,
// allowed countries), the 6-digit code kept only as an HMAC, and using it once.
import { createHmac, randomInt } from 'node:crypto';
import type { ChallengeKind, ChallengeRepository } from '../adapters/postgres/challenges.ts';
import { newId } from '../adapters/postgres/ids.ts';
import type { PhoneChannel, PhoneSendLog } from '../adapters/postgres/phone-sends.ts';
import type { PhoneSender } from '../adapters/twilio/sender.ts';
import { normaliseCode } from './code.ts';
import { parsePhone, PhoneNumberError } from './phone-number.ts';

export interface PhoneSettings {
  allowedCountries: string[];
  defaultCountry: string;
  limits: { perUserPerHour: number; perNumberPerHour: number; perCountryPerHour: number };
  resendSeconds: number;
  voiceMode: 'press' | 'read';
}

export interface PhoneDeps {
  sender: PhoneSender;
  challenges: ChallengeRepository;
  sends: PhoneSendLog;
  /** Server key for the codes' HMAC: a leaked table does not give the codes away. */
  codeKey: string;
  settings: PhoneSettings;
  now: () => number;
}

/** Where a challenge goes. */
export interface PhoneTarget {
  userId: string;
  methodId: string;
  /** E.164 */
  phone: string;
  extension?: string | null;
}

export type PhoneSendErrorCode =
  /** The last code was sent less than the cool-down ago. */
  | 'cooldown'
  /** An hourly limit (user, number or country) is reached; which one is not said. */
  | 'rate_limited'
  | 'country_not_allowed'
  | 'invalid_number';

export class PhoneSendError extends Error {
  readonly code: PhoneSendErrorCode;
  /** Cool-down only: seconds until a new code may be sent. */
  readonly retryAfterSeconds?: number;
  constructor(code: PhoneSendErrorCode, retryAfterSeconds?: number) {
    super(code);
    this.name = 'PhoneSendError';
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export const CODE_DIGITS = 6;
const HOUR_MS = 3600_000;

export function newCode(): string {
  return String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
}

/** Bound to the challenge id, so equal codes of two challenges never share a hash. */
export function hashCode(key: string, challengeId: string, code: string): string {
  return createHmac('sha256', key).update(`${challengeId}:${code}`).digest('base64url');
}

function countryOf(settings: PhoneSettings, phone: string): string {
  try {
    return parsePhone(phone, { defaultCountry: settings.defaultCountry, allowedCountries: settings.allowedCountries }).country;
  } catch (error) {
    if (error instanceof PhoneNumberError) {
      throw new PhoneSendError(error.code === 'country_not_allowed' ? 'country_not_allowed' : 'invalid_number');
    }
    throw error;
  }
}

async function checkCooldown(deps: PhoneDeps, methodId: string): Promise<void> {
  const last = await deps.challenges.lastCreatedAt(methodId);
  if (!last) return;
  const waitMs = last.getTime() + deps.settings.resendSeconds * 1000 - deps.now();
  if (waitMs > 0) throw new PhoneSendError('cooldown', Math.ceil(waitMs / 1000));
}

/**
 * Counts the send first, then checks the counts: parallel sends can only be refused too often,
 * never let through beyond a limit. Returns the record to withdraw when delivery fails.
 */
async function reserveSend(deps: PhoneDeps, target: PhoneTarget, channel: PhoneChannel): Promise<string> {
  const country = countryOf(deps.settings, target.phone);
  const at = new Date(deps.now());
  const sendId = await deps.sends.record({ userId: target.userId, phone: target.phone, country, channel, at });
  const counts = await deps.sends.countsSince({ userId: target.userId, phone: target.phone, country }, new Date(at.getTime() - HOUR_MS));
  const { limits } = deps.settings;
  if (counts.user > limits.perUserPerHour || counts.phone > limits.perNumberPerHour || counts.country > limits.perCountryPerHour) {
    await deps.sends.remove(sendId);
    throw new PhoneSendError('rate_limited');
  }
  return sendId;
}

export interface Issue {
  kind: ChallengeKind;
  channel: PhoneChannel;
  ttlMs: number;
  /** Sends the code (or places the call) and returns the provider's id. */
  deliver(challengeId: string, code: string): Promise<{ id: string }>;
}

/**
 * Creates a challenge and delivers it, within the cool-down and the limits. A failed delivery
 * leaves nothing behind: neither a challenge nor a counted send.
 */
export async function issueChallenge(deps: PhoneDeps, target: PhoneTarget, issue: Issue): Promise<{ challengeId: string; providerId: string }> {
  await checkCooldown(deps, target.methodId);
  const sendId = await reserveSend(deps, target, issue.channel);
  const code = newCode();
  const id = newId('ch');
  const at = new Date(deps.now());
  const challenge = await deps.challenges.create({
    id,
    userId: target.userId,
    methodId: target.methodId,
    kind: issue.kind,
    codeHash: issue.kind === 'voice_press' ? undefined : hashCode(deps.codeKey, id, code),
    at,
    expiresAt: new Date(at.getTime() + issue.ttlMs),
  });
  try {
    const sent = await issue.deliver(challenge.id, code);
    await deps.challenges.voidOthers(target.methodId, challenge.id, at);
    return { challengeId: challenge.id, providerId: sent.id };
  } catch (error) {
    await deps.challenges.remove(challenge.id);
    await deps.sends.remove(sendId);
    throw error;
  }
}

/** True once for the right code typed within its lifetime; the caller charges the failure budget. */
export async function verifyCode(deps: PhoneDeps, challengeId: string, userId: string, input: string): Promise<boolean> {
  const code = normaliseCode(input);
  if (!code || code.length !== CODE_DIGITS) return false;
  return deps.challenges.consumeCode(challengeId, userId, hashCode(deps.codeKey, challengeId, code), new Date(deps.now()));
}

/** After a refused code: true when its challenge has run out, so a new code is needed rather than another try. */
export async function codeExpired(deps: PhoneDeps, challengeId: string): Promise<boolean> {
  const challenge = await deps.challenges.find(challengeId);
  return !challenge || challenge.expiresAt.getTime() <= deps.now();
}
