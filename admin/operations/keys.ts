// Signing keys: listing and the two-phase rotation, one phase per call.
import { ensureSigningKeys, rotateSigningKeys, type RotationStep } from '../../provider/keys.ts';
import { RETIRED_KEY_GRACE_SECONDS } from '../../provider/lifetimes.ts';
import { nowOf, type OperationContext } from './context.ts';

export interface KeyView {
  kid: string;
  alg: string;
  status: string;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
}

export interface RotationResult {
  step: RotationStep;
  kids: string[];
  /** What the next call will do. */
  next: 'activate' | 'publish';
  pruned: number;
}

export async function listKeys(ctx: OperationContext): Promise<KeyView[]> {
  return (await ctx.services.keys.list()).map(({ kid, alg, status, createdAt, activatedAt, retiredAt }) => ({ kid, alg, status, createdAt, activatedAt, retiredAt }));
}

export async function rotateKeys(ctx: OperationContext): Promise<RotationResult> {
  const { keys, box, audit } = ctx.services;
  await ensureSigningKeys(keys, box);
  const { step, kids } = await rotateSigningKeys(keys, box);
  const pruned = await keys.dropRetiredBefore(new Date(nowOf(ctx).getTime() - RETIRED_KEY_GRACE_SECONDS * 1000));
  await audit.record({ type: 'keys.rotate', actor: ctx.actor, details: { step, kids, pruned } });
  return { step, kids, next: step === 'published' ? 'activate' : 'publish', pruned };
}
