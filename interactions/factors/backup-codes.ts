// Backup code challenge ("use a backup code" in the picker). A code is spent on success; when few are
// left the user is told so before the journey goes on.
import { field } from '../../app/http/form.ts';
import { BACKUP_CODES_LOW, countBackupCodes, normaliseBackupCode, verifyBackupCode } from '../../methods/backup-codes/index.ts';
import { interactionPath, render } from '../journey.ts';
import type { FactorHandler } from './types.ts';

export const backupCodesHandler: FactorHandler = {
  kind: 'backup_codes',
  factor: 'backup_codes',
  rank: 10,
  pickerKey: 'backup.picker',
  async available(turn, method) {
    return (await countBackupCodes(turn.deps.services.db, method.userId)) > 0;
  },
  async show(turn, _journey, method, error) {
    await render(turn, 'backup-verify', {
      title: turn.t('backup.verify.title'),
      action: interactionPath(turn, `verify/${method.id}`),
      error,
    }, error ? 400 : 200);
  },
  async verify(turn, journey, _method, fields) {
    const typed = field(fields, 'code', { max: 64, required: true });
    if (!normaliseBackupCode(typed)) return { ok: false, errorKey: 'backup.verify.format' };
    const ok = await verifyBackupCode(turn.deps.services.db, journey.userId, typed, new Date(turn.deps.now()));
    return ok ? { ok: true } : { ok: false, errorKey: 'backup.verify.invalid' };
  },
  async afterVerify(turn, journey) {
    const left = await countBackupCodes(turn.deps.services.db, journey.userId);
    if (left > BACKUP_CODES_LOW) return false;
    await render(turn, 'backup-low', {
      title: turn.t('backup.low.title'),
      message: left > 0 ? turn.t('backup.low.body', { count: left }) : turn.t('backup.low.none'),
      left,
      action: interactionPath(turn, 'continue'),
    });
    return true;
  },
};
