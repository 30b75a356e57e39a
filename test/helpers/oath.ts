// TOTP codes computed by Debian's oathtool: an implementation independent of the one under test,
// so a shared misunderstanding of RFC 6238 cannot make both sides agree.
import { execFileSync } from 'node:child_process';

export interface TotpOptions {
  algorithm?: 'SHA1' | 'SHA256' | 'SHA512';
  digits?: number;
  period?: number;
  /** The moment the code is for; now when omitted. */
  at?: Date;
}

export function totpCode(base32Secret: string, options: TotpOptions = {}): string {
  const { algorithm = 'SHA1', digits = 6, period = 30, at } = options;
  const args = [`--totp=${algorithm}`, '-b', '-d', String(digits), '-s', `${period}s`];
  // "@<seconds>" is an epoch time, so no time zone or locale can shift it.
  if (at) args.push('-N', `@${Math.floor(at.getTime() / 1000)}`);
  args.push(base32Secret);
  return execFileSync('oathtool', args, { encoding: 'utf8' }).trim();
}
