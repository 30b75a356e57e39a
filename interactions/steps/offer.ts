// After the first method is enrolled: the offer of a second one (backup codes, a phone), so that nobody
// ends up with a single method by default. Backup codes generated here are shown once; until the user
// continues they stay sealed in the journey, so the page, the download and the print view can show them.
import type Router from '@koa/router';
import { sendBackupCodesFile, type ShownCodes } from '../../app/http/backup-codes-file.ts';
import { formatDateTime } from '../../app/i18n.ts';
import type { User } from '../../adapters/postgres/users.ts';
import { notFound } from '../../app/http/errors.ts';
import { generateBackupCodes, type BackupCodeFormat } from '../../methods/backup-codes/index.ts';
import { accountLabel, auditContext, formStep, interactionPath, render, saveJourney, type Journey, type Turn } from '../journey.ts';
import type { JourneyExtensions, JourneyRouteHelpers } from '../router.ts';

export interface BackupCodesExtensionDeps {
  /** Format of newly generated codes (config.backupCodeFormat); either is accepted at sign-in. */
  format: BackupCodeFormat;
  /** Enabled phone methods (config.phone.methods): the offer links to phone enrolment when any. */
  phoneMethods: readonly string[];
}

const PHONE_METHOD_KINDS = new Set(['sms', 'voice']);
const sealContext = (turn: Turn) => `backup-codes:${turn.uid}`;

/** Only a journey that has just proven a newly enrolled method may add more. */
function mayAdd(journey: Journey): boolean {
  return Boolean(journey.enrolled?.length) && !journey.viaAccessPass;
}

/** What is still worth offering: backup codes unless the user has them, a phone unless they have one. */
async function whatIsLeft(deps: BackupCodesExtensionDeps, turn: Turn, journey: Journey, user: User) {
  const have = new Set<string>(journey.enrolled ?? []);
  for (const m of await turn.deps.services.methods.listForUser(user.id, { activeOnly: true })) have.add(m.kind);
  return {
    codes: !have.has('backup_codes'),
    phone: deps.phoneMethods.length > 0 && ![...have].some((k) => PHONE_METHOD_KINDS.has(k)),
  };
}

export async function showOffer(deps: BackupCodesExtensionDeps, turn: Turn, journey: Journey, user: User): Promise<boolean> {
  if (!mayAdd(journey)) return false;
  const left = await whatIsLeft(deps, turn, journey, user);
  if (!left.codes && !left.phone) return false;
  await render(turn, 'offer', {
    title: turn.t('backup.offer.title'),
    codesAction: left.codes ? interactionPath(turn, 'backup-codes') : undefined,
    phoneHref: left.phone ? interactionPath(turn, 'enrol/phone') : undefined,
    skipAction: interactionPath(turn, 'continue'),
  });
  return true;
}

function shownCodes(turn: Turn, journey: Journey): ShownCodes | undefined {
  const sealed = journey.data?.backupCodes;
  return typeof sealed === 'string' ? (JSON.parse(turn.deps.services.box.open(sealed, sealContext(turn))) as ShownCodes) : undefined;
}

function toAfterEnrol(turn: Turn): void {
  turn.ctx.status = 303;
  turn.ctx.redirect(interactionPath(turn, 'after-enrol'));
}

/** "Save backup codes": makes the set once per journey, then shows it (POST, then a redirect to GET). */
async function generateInJourney(deps: BackupCodesExtensionDeps, turn: Turn, journey: Journey, user: User): Promise<void> {
  if (!mayAdd(journey) || !(await whatIsLeft(deps, turn, journey, user)).codes) return toAfterEnrol(turn);
  const { methodId, codes } = await generateBackupCodes(turn.deps.services.db, user.id, deps.format);
  const shown: ShownCodes = { codes, createdAt: new Date(turn.deps.now()).toISOString() };
  await saveJourney(turn, {
    ...journey,
    enrolled: [...(journey.enrolled ?? []), 'backup_codes'],
    data: { ...journey.data, backupCodes: turn.deps.services.box.seal(JSON.stringify(shown), sealContext(turn)) },
  });
  await turn.deps.services.audit.record({
    type: 'method.add',
    userId: user.id,
    username: user.username,
    factor: 'backup_codes',
    details: { methodId, during: 'signin', count: codes.length, format: deps.format },
    ...auditContext(turn),
  });
  turn.ctx.status = 303;
  turn.ctx.redirect(interactionPath(turn, 'backup-codes'));
}

async function showCodes(turn: Turn, journey: Journey): Promise<void> {
  const shown = shownCodes(turn, journey);
  if (!shown) return toAfterEnrol(turn);
  await render(turn, 'backup-codes', {
    title: turn.t('backup.codes.title'),
    codes: shown.codes,
    count: shown.codes.length,
    downloadHref: interactionPath(turn, 'backup-codes/download'),
    printHref: interactionPath(turn, 'backup-codes/print'),
    doneAction: interactionPath(turn, 'backup-codes/done'),
  });
}

/** The codes as a text file; only while they are still being shown. */
async function downloadCodes(turn: Turn, journey: Journey, user: User): Promise<void> {
  const shown = shownCodes(turn, journey);
  if (!shown) throw notFound();
  sendBackupCodesFile(turn.ctx, turn.t, turn.lang, accountLabel(user), shown);
}

async function printCodes(turn: Turn, journey: Journey, user: User): Promise<void> {
  const shown = shownCodes(turn, journey);
  if (!shown) throw notFound();
  await render(turn, 'backup-print', {
    title: turn.t('backup.print.title'),
    codes: shown.codes,
    account: accountLabel(user),
    createdAt: formatDateTime(turn.lang, new Date(shown.createdAt)),
    back: interactionPath(turn, 'backup-codes'),
  });
}

/** "I have saved my codes": they leave the journey for good, then whatever is left is offered. */
async function codesSaved(turn: Turn, journey: Journey): Promise<void> {
  const data = { ...journey.data };
  delete data.backupCodes;
  await saveJourney(turn, { ...journey, data });
  toAfterEnrol(turn);
}

export function backupCodesExtension(deps: BackupCodesExtensionDeps): Partial<JourneyExtensions> {
  return {
    offerAfterEnrol: (turn, journey, user) => showOffer(deps, turn, journey, user),
    routes(router: Router, { withJourney }: JourneyRouteHelpers) {
      router.post('/interaction/:uid/backup-codes', withJourney(formStep((t, j, u) => generateInJourney(deps, t, j, u))));
      router.get('/interaction/:uid/backup-codes', withJourney(showCodes));
      router.get('/interaction/:uid/backup-codes/download', withJourney(downloadCodes));
      router.get('/interaction/:uid/backup-codes/print', withJourney(printCodes));
      router.post('/interaction/:uid/backup-codes/done', withJourney(formStep(codesSaved)));
    },
  };
}
