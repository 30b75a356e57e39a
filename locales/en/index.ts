// English messages, one file per area; each area file owns one top-level key.
import cli from './cli.ts';
import common from './common.ts';

const en = { ...common, ...cli };
export default en;
export type Messages = typeof en;
