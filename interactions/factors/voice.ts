// Voice call challenge: "call me" first; then either the page waiting for # (press mode), or the
// code form for a code read aloud (read mode).
import { interactionPath, type Turn } from '../journey.ts';
import type { Method } from '../../adapters/postgres/methods.ts';
import { modeFor, pendingOf, phoneOf, pickerPath, renderCall, renderCode, renderStart } from '../phone.ts';
import { SIGNIN_PENDING, sendPath, verifyTypedCode } from './sms.ts';
import type { FactorHandler } from './types.ts';

export function callStatusPath(turn: Turn, method: Method): string {
  return interactionPath(turn, `phone/${encodeURIComponent(method.id)}/status`);
}

export const voiceHandler: FactorHandler = {
  kind: 'voice',
  factor: 'voice',
  rank: 30,
  pickerKey: 'phone.picker.voice',
  async show(turn, journey, method, error) {
    const pending = pendingOf(journey, SIGNIN_PENDING, method.id);
    const page = { method, otherWay: pickerPath(turn), error };
    if (!pending) return renderStart(turn, { ...page, mode: modeFor(phoneOf(turn), 'voice'), action: sendPath(turn, method) });
    if (pending.mode === 'voice_press') {
      const call = { ...page, mode: pending.mode, action: callStatusPath(turn, method), resend: sendPath(turn, method) };
      // With an error (say "call again" during the cool-down) the message is shown; else the waiting page polls.
      if (error) return renderCall(turn, call);
      turn.ctx.status = 303;
      return turn.ctx.redirect(call.action);
    }
    await renderCode(turn, { ...page, mode: pending.mode, action: interactionPath(turn, `verify/${method.id}`), resend: sendPath(turn, method) });
  },
  verify: verifyTypedCode,
};
