// 日本語のメッセージ。英語と同じキーを持つことを型で確かめる。
import type { Messages } from '../en/index.ts';
import account from './account.ts';
import backup from './backup.ts';
import cli from './cli.ts';
import common from './common.ts';
import config from './config.ts';
import journey from './journey.ts';
import phone from './phone.ts';

const ja = { ...common, ...journey, ...cli, ...config, ...backup, ...account, ...phone } satisfies Messages;
export default ja;
