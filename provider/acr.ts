// Authentication context classes and the strength each stands for. Strength is a small ladder:
// 1 = one factor, 2 = two factors, 3 = phishing-resistant two factors.

export type Strength = 1 | 2 | 3;

/** The strongest level any factor offered here reaches (no WebAuthn yet, so not phishing-resistant). */
export const ATTAINABLE_STRENGTH: Strength = 2;

export const ACR = {
  sfa: 'https://refeds.org/profile/sfa',
  mfa: 'https://refeds.org/profile/mfa',
  gakuninAal2: 'https://www.gakunin.jp/profile/AAL2',
  papeMfa: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
} as const;

export interface AcrLadder {
  /** Every value advertised in discovery, strongest last. */
  values: string[];
  strengthOf(acr: string): Strength | undefined;
  /** The value a session of that strength carries when nothing in particular was asked for. */
  canonical(strength: Strength): string;
}

export function createAcrLadder(phishingResistant: string): AcrLadder {
  const strengths = new Map<string, Strength>([
    [ACR.sfa, 1],
    [ACR.mfa, 2],
    [ACR.gakuninAal2, 2],
    [ACR.papeMfa, 2],
    [phishingResistant, 3],
  ]);
  return {
    values: [...strengths.keys()],
    strengthOf: (acr) => strengths.get(acr),
    canonical: (strength) => (strength === 1 ? ACR.sfa : strength === 2 ? ACR.mfa : phishingResistant),
  };
}

/** RFC 8176 amr values for each factor, and whether the factor resists phishing. */
export const FACTOR_AMR = {
  password: 'pwd',
  totp: 'otp',
  sms: 'sms',
  voice: 'tel',
  backup_codes: 'otp',
  tap: 'otp',
} as const;

export type Factor = keyof typeof FACTOR_AMR;

/** The strength a set of proven factors reaches. */
export function strengthOfFactors(factors: readonly Factor[]): Strength {
  const distinct = new Set(factors);
  if (distinct.size >= 2) return 2;
  return 1;
}

export function amrOf(factors: readonly Factor[]): string[] {
  const amr: string[] = [...new Set(factors.map((f) => FACTOR_AMR[f]))];
  if (strengthOfFactors(factors) >= 2) amr.push('mfa');
  return amr;
}
