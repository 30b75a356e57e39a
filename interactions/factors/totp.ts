// Authenticator app challenge.
import { field } from '../../app/http/form.ts';
import { verifyTotp } from '../../methods/totp/index.ts';
import { interactionPath, render } from '../journey.ts';
import type { FactorHandler } from './types.ts';

export const totpHandler: FactorHandler = {
  kind: 'totp',
  factor: 'totp',
  rank: 40,
  pickerKey: 'mfa.picker.totp',
  async show(turn, _journey, method, error) {
    await render(turn, 'mfa-totp', {
      title: turn.t('mfa.totp.title'),
      action: interactionPath(turn, `verify/${method.id}`),
      label: method.label,
      digits: turn.deps.totp.settings.digits,
      error,
    }, error ? 400 : 200);
  },
  async verify(turn, _journey, method, fields) {
    const code = field(fields, 'code', { max: 64, required: true });
    const result = await verifyTotp(turn.deps.totp, method, code, turn.deps.now());
    if (result.ok) return { ok: true };
    return { ok: false, errorKey: result.reason === 'clock_skew' ? 'mfa.totp.clockSkew' : 'mfa.invalidCode' };
  },
};
