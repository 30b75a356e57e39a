// Authenticator apps (RFC 6238). A code accepted once is never accepted again: the used step is
// recorded under a primary key, so a replay — also a parallel one — finds the row taken.
import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';
import type { SecretBox } from '../../adapters/crypto/secret-box.ts';
import type { Method, MethodRepository } from '../../adapters/postgres/methods.ts';
import { normaliseCode } from '../code.ts';

export interface TotpSettings {
  algorithm: 'SHA1' | 'SHA256' | 'SHA512';
  digits: number;
  period: number;
  issuer: string;
}

export interface TotpDeps {
  settings: TotpSettings;
  methods: MethodRepository;
  box: SecretBox;
}

export type TotpResult = { ok: true } | { ok: false; reason: 'invalid' | 'clock_skew' | 'replayed' };

export interface TotpEnrolment {
  methodId: string;
  /** otpauth:// URI for "set up on this phone" and for the QR code. */
  uri: string;
  /** The key in groups of four for typing by hand. */
  groupedKey: string;
  qrSvg: string;
}

/** How far outside the accepted window a right code still tells us the device clock is off. */
const SKEW_STEPS = 10;

function totpFor(settings: TotpSettings, secret: OTPAuth.Secret, label: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: settings.issuer, label, algorithm: settings.algorithm, digits: settings.digits, period: settings.period, secret });
}

const sealContext = (methodId: string) => `totp:${methodId}`;

export async function beginTotpEnrolment(deps: TotpDeps, userId: string, accountName: string): Promise<TotpEnrolment> {
  await deps.methods.removePending(userId, 'totp');
  const secret = new OTPAuth.Secret({ size: 20 });
  const id = `m_${crypto.randomUUID().replaceAll('-', '')}`;
  await deps.methods.create({ id, userId, kind: 'totp', status: 'pending', secretEnc: deps.box.seal(secret.base32, sealContext(id)) });
  return describeEnrolment(deps, id, secret, accountName);
}

/** The enrolment page again (after a wrong code), from the pending method's sealed key. */
export async function resumeTotpEnrolment(deps: TotpDeps, method: Method, accountName: string): Promise<TotpEnrolment> {
  const secret = OTPAuth.Secret.fromBase32(deps.box.open(method.secretEnc!, sealContext(method.id)));
  return describeEnrolment(deps, method.id, secret, accountName);
}

async function describeEnrolment(deps: TotpDeps, methodId: string, secret: OTPAuth.Secret, accountName: string): Promise<TotpEnrolment> {
  const uri = totpFor(deps.settings, secret, accountName).toString();
  return {
    methodId,
    uri,
    groupedKey: secret.base32.match(/.{1,4}/g)!.join(' '),
    qrSvg: await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 }),
  };
}

/** Checks a code against a method's key; on success the step is spent for good. */
export async function verifyTotp(deps: TotpDeps, method: Method, typed: string, now: number): Promise<TotpResult> {
  const code = normaliseCode(typed);
  if (!code || code.length !== deps.settings.digits || !method.secretEnc) return { ok: false, reason: 'invalid' };
  const secret = OTPAuth.Secret.fromBase32(deps.box.open(method.secretEnc, sealContext(method.id)));
  const totp = totpFor(deps.settings, secret, 'x');
  const delta = totp.validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) {
    const far = totp.validate({ token: code, timestamp: now, window: SKEW_STEPS });
    return { ok: false, reason: far === null ? 'invalid' : 'clock_skew' };
  }
  const step = totp.counter({ timestamp: now }) + delta;
  if (!(await deps.methods.useTotpStep(method.id, step))) return { ok: false, reason: 'replayed' };
  // Sign-in marks the method used for every factor kind alike (interactions/steps/second-factor.ts).
  return { ok: true };
}

/** Activates a pending authenticator once a correct code proves it was set up. */
export async function finishTotpEnrolment(deps: TotpDeps, method: Method, typed: string, now: number): Promise<TotpResult> {
  const result = await verifyTotp(deps, method, typed, now);
  if (result.ok) {
    await deps.methods.activate(method.id);
    await deps.methods.markUsed(method.id);
  }
  return result;
}
