// Consent for third-party clients: what the client asks for, allow or deny.
import { HttpError } from '../../app/http/errors.ts';
import { field } from '../../app/http/form.ts';
import { finishWithError, interactionPath, redirectToResult, render, type Turn } from '../journey.ts';

interface ConsentDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
}

export async function showConsent(turn: Turn): Promise<void> {
  const details = turn.details.prompt.details as ConsentDetails;
  const scopes = (details.missingOIDCScope ?? []).filter((s) => s !== 'openid' && s !== 'offline_access');
  await render(turn, 'consent', {
    title: turn.t('consent.title', { client: turn.clientName }),
    scopes: scopes.map((s) => turn.t(`consent.scope.${s}`, { defaultValue: s })),
    offline: (details.missingOIDCScope ?? []).includes('offline_access'),
    action: interactionPath(turn, 'consent'),
  });
}

export async function submitConsent(turn: Turn, fields: Record<string, string>): Promise<void> {
  turn.deps.csrf.verify(turn.ctx, turn.uid, fields.csrf);
  // Only the two buttons' values count; anything else is a broken or forged form, not a "deny".
  const decision = field(fields, 'decision', { max: 64, required: true });
  if (decision !== 'allow' && decision !== 'deny') throw new HttpError(400, 'errors.badRequest', `decision ${decision}`);
  if (decision === 'deny') return finishWithError(turn, 'access_denied', 'the user did not allow access');
  const { provider } = turn.deps;
  const { details } = turn;
  const accountId = details.session!.accountId;
  const clientId = String(details.params.client_id);
  const grant = (details.grantId && (await provider.Grant.find(details.grantId))) || new provider.Grant({ accountId, clientId });
  const missing = details.prompt.details as ConsentDetails;
  if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
  const grantId = await grant.save();
  await turn.deps.services.audit.record({ type: 'consent.granted', userId: accountId, clientId, details: { scopes: missing.missingOIDCScope ?? [] } });
  // Merged with the login of this authorization request: without it, prompt=login would ask again.
  await redirectToResult(turn, { consent: { grantId } }, true);
}
