// When a second factor is needed: the client's MFA policy, acr values asked for in the request
// (acr_values or the claims parameter), and the strength the current session already has.
import { errors, interactionPolicy } from 'oidc-provider';
import { ATTAINABLE_STRENGTH, type AcrLadder, type Strength } from './acr.ts';

export interface Requirement {
  strength: Strength;
  /** acr values the client asked for, known ones only, in its order. */
  requested: string[];
  /** An essential acr was asked for and none of its values is known here: no sign-in can meet it. */
  unsatisfiable: boolean;
}

interface AcrClaimRequest {
  essential?: boolean;
  value?: string;
  values?: string[];
}

function acrClaimRequest(params: Record<string, unknown>): AcrClaimRequest | undefined {
  if (typeof params.claims !== 'string') return undefined;
  try {
    const claims = JSON.parse(params.claims) as { id_token?: { acr?: AcrClaimRequest }; userinfo?: { acr?: AcrClaimRequest } };
    return claims.id_token?.acr ?? claims.userinfo?.acr ?? undefined;
  } catch {
    // oidc-provider rejects malformed claims itself.
    return undefined;
  }
}

function valuesOf(acr: AcrClaimRequest | undefined): string[] {
  if (!acr) return [];
  const values: string[] = [];
  if (typeof acr.value === 'string') values.push(acr.value);
  if (Array.isArray(acr.values)) values.push(...acr.values.filter((v): v is string => typeof v === 'string'));
  return values;
}

/** acr values known here that the request asks for: acr_values first, then an acr member of the claims parameter. */
export function requestedAcrValues(params: Record<string, unknown>, ladder: AcrLadder): string[] {
  const values: string[] = [];
  if (typeof params.acr_values === 'string') values.push(...params.acr_values.split(' ').filter(Boolean));
  values.push(...valuesOf(acrClaimRequest(params)));
  return [...new Set(values)].filter((v) => ladder.strengthOf(v) !== undefined);
}

/** A client's MFA policy as stored: 'required', 'optional' or a minimum acr value. */
function policyStrength(policy: string | undefined, ladder: AcrLadder): Strength {
  if (policy === 'optional') return 1;
  if (policy && policy !== 'required') return ladder.strengthOf(policy) ?? 2;
  return 2;
}

export function requirementFor(params: Record<string, unknown>, clientPolicy: string | undefined, ladder: AcrLadder): Requirement {
  const requested = requestedAcrValues(params, ladder);
  let strength = policyStrength(clientPolicy, ladder);
  if (requested.length) {
    // Any one of the requested values satisfies the client, so the weakest of them is what must be reached.
    const weakest = Math.min(...requested.map((v) => ladder.strengthOf(v)!)) as Strength;
    strength = Math.max(strength, weakest) as Strength;
  }
  const acrClaim = acrClaimRequest(params);
  // OIDC Core 5.5.1.1: an essential acr that cannot be met is a failed authentication, never ignored.
  const unsatisfiable = acrClaim?.essential === true && !valuesOf(acrClaim).some((v) => ladder.strengthOf(v) !== undefined);
  return { strength, requested, unsatisfiable };
}

/** True when nothing Sekisho offers can meet the requirement (a phishing-resistant acr, an unknown essential one). */
export function unattainable(need: Requirement): boolean {
  return need.unsatisfiable || need.strength > ATTAINABLE_STRENGTH;
}

/** The acr a session carries for this request: the first requested value it satisfies, else its own. */
export function acrForRequest(sessionAcr: string | undefined, requested: string[], ladder: AcrLadder): string | undefined {
  const have = sessionAcr ? ladder.strengthOf(sessionAcr) ?? 0 : 0;
  return requested.find((v) => (ladder.strengthOf(v) ?? 99) <= have) ?? sessionAcr;
}

type ClientLike = { metadata(): Record<string, unknown> };

/** Sekisho's own client metadata (sekisho_mfa_policy, sekisho_first_party, sekisho_admin). */
export function clientExtension(client: unknown, key: 'sekisho_mfa_policy' | 'sekisho_first_party' | 'sekisho_admin'): unknown {
  return client ? (client as ClientLike).metadata()[key] : undefined;
}

/** A client's sekisho_mfa_policy, when it has one. */
export function clientPolicyOf(client: unknown): string | undefined {
  const policy = clientExtension(client, 'sekisho_mfa_policy');
  return typeof policy === 'string' ? policy : undefined;
}

/**
 * oidc-provider's base policy with the essential-acr checks moved out of `login` (we step up instead
 * of asking for the password again), a first check that answers a request no sign-in here can meet
 * with unmet_authentication_requirements at once (also under prompt=none, and before any password is
 * asked), and an `mfa` prompt after login that fires when the session is weaker than the request needs.
 */
export function buildPolicy(ladder: AcrLadder) {
  const { Prompt, Check, base } = interactionPolicy;
  const policy = base();
  const login = policy.get('login')!;
  login.checks.remove('essential_acr');
  login.checks.remove('essential_acrs');
  login.checks.unshift(
    new Check('acr_unattainable', 'no sign-in method here reaches the requested authentication context', (ctx) => {
      if (unattainable(requirementFor(ctx.oidc.params as Record<string, unknown>, clientPolicyOf(ctx.oidc.client), ladder))) {
        throw new errors.UnmetAuthenticationRequirements('no sign-in method here reaches the requested authentication context');
      }
      return Check.NO_NEED_TO_PROMPT;
    }),
  );

  // Under prompt=none a session too weak for the request is answered with login_required: what is
  // missing is authentication (a further factor), as for a session older than max_age.
  const mfa = new Prompt(
    { name: 'mfa', requestable: false },
    new Check('strength_required', 'the session is weaker than this request needs', 'login_required', (ctx) => {
      const { session, params } = ctx.oidc;
      if (!session?.accountId) return Check.NO_NEED_TO_PROMPT;
      const need = requirementFor(params as Record<string, unknown>, clientPolicyOf(ctx.oidc.client), ladder);
      const have = session.acr ? ladder.strengthOf(session.acr) ?? 0 : 0;
      return have < need.strength ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
  policy.add(mfa, 1);
  return policy;
}
