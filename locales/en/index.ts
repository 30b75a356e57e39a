// English messages, one file per area; each area file owns one top-level key.
import account from './account.ts';
import backup from './backup.ts';
import cli from './cli.ts';
import common from './common.ts';
import config from './config.ts';
import journey from './journey.ts';
import phone from './phone.ts';

const en = { ...common, ...journey, ...cli, ...config, ...backup, ...account, ...phone };
export default en;
export type Messages = typeof en;
