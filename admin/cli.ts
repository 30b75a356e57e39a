// `sekisho`: the command line for IT. Commands share their operations with the admin API; this
// file only parses arguments, prints results and turns errors into exit codes.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { TFunction } from 'i18next';
import type { Services } from '../app/services.ts';
import { DatabaseInUseError } from '../adapters/postgres/database.ts';
import { describeConfigProblem, isLang, translator, type Lang } from '../app/i18n.ts';
import { ConfigError, loadConfig, type Config } from '../config/index.ts';
import { AdminError, EXIT_CODES, usage } from './errors.ts';
import { clientCommands } from './commands/client.ts';
import { dbCommands, operationsCommands } from './commands/misc.ts';
import type { Command, CommandEnv, CommandOutput } from './commands/types.ts';
import { userCommands } from './commands/user.ts';
import type { OperationContext } from './operations/context.ts';
import { standaloneValidator } from './operations/validator.ts';

const COMMANDS: Command[] = [...dbCommands, ...userCommands, ...clientCommands, ...operationsCommands];

const GLOBAL_OPTIONS: ParseArgsOptionsConfig = {
  json: { type: 'boolean' },
  lang: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

const commandKey = (c: Command) => `cli.commands.${c.path.join('_').replace(/-/g, '_')}`;

/** The language asked for with --lang (looked up before parsing, so parse errors are translated too). */
function langOf(argv: string[]): Lang {
  const i = argv.findIndex((a) => a === '--lang' || a.startsWith('--lang='));
  if (i < 0) return 'en';
  const value = argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  return isLang(value) ? value : 'en';
}

function generalHelp(t: TFunction): string[] {
  const width = Math.max(...COMMANDS.map((c) => c.path.join(' ').length)) + 2;
  return [
    t('cli.help.title'),
    '',
    t('cli.help.usage'),
    '',
    t('cli.help.commands'),
    ...COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(width)}${t(commandKey(c))}`),
    '',
    t('cli.help.globalOptions'),
    `  --json          ${t('cli.help.json')}`,
    `  --lang ja|en    ${t('cli.help.lang')}`,
    `  -h, --help      ${t('cli.help.help')}`,
    '',
    t('cli.help.exitCodes'),
    ...(Object.entries(EXIT_CODES) as [string, number][]).map(([name, code]) => `  ${code}  ${t(`cli.help.exit_${name}`)}`),
    '',
    t('cli.help.environment'),
    t('cli.help.embedded'),
  ];
}

function groupHelp(t: TFunction, group: string): string[] {
  return [t('cli.help.group', { group }), ...COMMANDS.filter((c) => c.path[0] === group).map((c) => `  sekisho ${c.usage}\n      ${t(commandKey(c))}`)];
}

function commandHelp(t: TFunction, c: Command): string[] {
  return [`sekisho ${c.usage}`, '', `  ${t(commandKey(c))}`, '', t('cli.help.seeGlobal')];
}

/** Strips leading global flags, then finds the command named by the next one or two words. */
function locate(argv: string[]): { command?: Command; group?: string; rest: string[]; leading: string[] } {
  let i = 0;
  const leading: string[] = [];
  while (i < argv.length && argv[i]!.startsWith('-')) {
    leading.push(argv[i]!);
    if (argv[i] === '--lang') leading.push(argv[++i] ?? '');
    i++;
  }
  const words = argv.slice(i);
  const command = COMMANDS.find((c) => c.path.every((p, k) => words[k] === p));
  if (command) return { command, rest: [...leading, ...words.slice(command.path.length)], leading };
  const group = COMMANDS.some((c) => c.path[0] === words[0]) ? words[0] : undefined;
  if (words[0] !== undefined && !group) throw usage('unknown_command', undefined, { command: words.join(' ') });
  if (group && words[1] !== undefined && !words[1].startsWith('-')) throw usage('unknown_command', undefined, { command: words.slice(0, 2).join(' ') });
  return { group, rest: [...leading, ...words.slice(group ? 1 : 0)], leading };
}

function parse(options: ParseArgsOptionsConfig, args: string[]) {
  try {
    return parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, allowNegative: true, strict: true });
  } catch (err) {
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      throw usage('bad_arguments', undefined, { detail: err.message });
    }
    throw err;
  }
}

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function print(stream: NodeJS.WriteStream, lines: string[]): void {
  if (lines.length) stream.write(lines.join('\n') + '\n');
}

function renderError(t: TFunction, err: unknown, command: Command | undefined, json: boolean): { lines: string[]; code: number } {
  if (err instanceof AdminError) {
    const arg = err.field ? (command?.fields?.[err.field] ?? err.field) : undefined;
    const message = t(`cli.errors.${err.key}`, { ...err.params, arg });
    const text = `sekisho: ${arg ? `${arg}: ` : ''}${message}`;
    return { lines: [json ? JSON.stringify({ error: err.code, key: err.key, field: arg ?? null, message }) : text], code: EXIT_CODES[err.code] };
  }
  if (err instanceof ConfigError) {
    const problems = err.problems.map((p) => ({ ...p, message: describeConfigProblem(t, p) }));
    return {
      lines: json ? [JSON.stringify({ error: 'config', problems })] : [t('cli.errors.config'), ...problems.map((p) => `  ${p.key}: ${p.message}`)],
      code: EXIT_CODES.usage,
    };
  }
  if (err instanceof DatabaseInUseError) {
    const message = t('cli.errors.database_in_use', { dir: err.dir });
    return { lines: [json ? JSON.stringify({ error: err.code, message }) : `sekisho: ${message}`], code: EXIT_CODES.failure };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { lines: [json ? JSON.stringify({ error: 'failure', message }) : `sekisho: ${t('cli.errors.failure', { message })}`], code: EXIT_CODES.failure };
}

/** Runs one command line; returns the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const t = translator(langOf(argv));
  const json = argv.includes('--json');
  let command: Command | undefined;
  let services: Services | undefined;
  try {
    const located = locate(argv);
    command = located.command;
    const { values, positionals } = parse(command?.options ?? {}, located.rest);
    if (values.lang !== undefined && !isLang(values.lang)) throw usage('invalid_lang', '--lang', { value: values.lang });
    if (!command) {
      if (located.group) print(io.stdout, groupHelp(t, located.group));
      else print(io.stdout, generalHelp(t));
      return values.help || located.group || argv.length === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    if (values.help) {
      print(io.stdout, commandHelp(t, command));
      return EXIT_CODES.ok;
    }
    const missing = command.args[positionals.length];
    if (missing !== undefined) throw usage('missing_argument', undefined, { name: `<${missing}>` });
    if (positionals.length > command.args.length) throw usage('unexpected_argument', undefined, { value: positionals[command.args.length] });

    let config: Config | undefined;
    const getConfig = () => (config ??= loadConfig());
    let context: OperationContext | undefined;
    const env: CommandEnv = {
      t,
      config: getConfig,
      async context(options = {}) {
        if (context) return context;
        const { openServices } = await import('../app/services.ts');
        services = await openServices(getConfig(), { migrate: options.migrate ?? true });
        context = { services, actor: 'cli', validateClient: standaloneValidator(services) };
        return context;
      },
      async readStdin() {
        if (io.stdin.isTTY) io.stderr.write(t('cli.stdinPrompt') + '\n');
        return readAll(io.stdin);
      },
      stderr: io.stderr,
    };
    const output: CommandOutput = await command.run(env, { values, positionals });
    if (json) io.stdout.write(JSON.stringify(output.json, null, 2) + '\n');
    else print(io.stdout, output.text);
    return output.exitCode ?? EXIT_CODES.ok;
  } catch (err) {
    const { lines, code } = renderError(t, err, command, json);
    print(io.stderr, lines);
    return code;
  } finally {
    await services?.close();
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
}
