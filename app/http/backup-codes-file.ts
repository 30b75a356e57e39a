// The backup codes as a text file to keep: one place for the sign-in offer and the Security info page.
import type { TFunction } from 'i18next';
import type { Context } from 'koa';
import { formatDateTime, type Lang } from '../i18n.ts';

export interface ShownCodes {
  codes: string[];
  /** ISO time the codes were made (kept in a cookie until the page is left). */
  createdAt: string;
}

export function sendBackupCodesFile(ctx: Context, t: TFunction, lang: Lang, account: string, shown: ShownCodes): void {
  const lines = [
    t('backup.codes.fileHeading'),
    t('backup.codes.fileAccount', { account }),
    t('backup.codes.fileCreated', { date: formatDateTime(lang, new Date(shown.createdAt)) }),
    '',
    ...shown.codes.map((c, i) => `${String(i + 1).padStart(2, ' ')}. ${c}`),
    '',
    t('backup.codes.fileNote'),
    '',
  ];
  ctx.set('Content-Disposition', 'attachment; filename="sekisho-backup-codes.txt"');
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'text/plain; charset=utf-8';
  // CRLF: the file is opened in Notepad as often as anywhere else.
  ctx.body = lines.join('\r\n');
}
