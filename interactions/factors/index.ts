// Every second-factor kind the journey knows, by method kind.
import type { MethodKind } from '../../adapters/postgres/methods.ts';
import { backupCodesHandler } from './backup-codes.ts';
import { smsHandler } from './sms.ts';
import { totpHandler } from './totp.ts';
import type { FactorHandler } from './types.ts';
import { voiceHandler } from './voice.ts';

const handlers = new Map<MethodKind, FactorHandler>([
  [totpHandler.kind, totpHandler],
  [voiceHandler.kind, voiceHandler],
  [smsHandler.kind, smsHandler],
  [backupCodesHandler.kind, backupCodesHandler],
]);

export function handlerFor(kind: MethodKind): FactorHandler | undefined {
  return handlers.get(kind);
}

/** Strongest first, as the picker lists them. */
export function byStrength<T extends { kind: MethodKind }>(methods: T[]): T[] {
  return [...methods].sort((a, b) => (handlers.get(b.kind)?.rank ?? 0) - (handlers.get(a.kind)?.rank ?? 0));
}
