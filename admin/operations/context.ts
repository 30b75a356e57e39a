// What every admin operation receives: the storage services and who is acting.
import type { Services } from '../../app/services.ts';

/** Checks client metadata the way oidc-provider will (throws with its error_description). */
export type ClientMetadataValidator = (metadata: Record<string, unknown>) => Promise<void>;

export interface OperationContext {
  services: Services;
  /** `cli` or `client:<id>`; written to every audit row. */
  actor: string;
  validateClient: ClientMetadataValidator;
  now?: () => Date;
}

export const nowOf = (ctx: OperationContext): Date => (ctx.now ? ctx.now() : new Date());
