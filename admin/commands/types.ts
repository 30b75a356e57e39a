// The shape of one `sekisho` command: its flags for node:util parseArgs, and what it does.
import type { ParseArgsOptionsConfig } from 'node:util';
import type { TFunction } from 'i18next';
import type { Config } from '../../config/index.ts';
import type { OperationContext } from '../operations/context.ts';

export interface CommandEnv {
  t: TFunction;
  /** Loads the configuration (for commands that need nothing else). */
  config(): Config;
  /** Opens storage on first use; closed by the CLI when the command ends. */
  context(options?: { migrate?: boolean }): Promise<OperationContext>;
  /** All of standard input as text (passwords, secrets). */
  readStdin(): Promise<string>;
  stderr: NodeJS.WriteStream;
}

export interface CommandArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface CommandOutput {
  /** Printed with --json. */
  json: unknown;
  /** Printed otherwise, one line each. */
  text: string[];
  /** Non-zero when the command did its work but some of the input was refused (import). */
  exitCode?: number;
}

export interface Command {
  /** e.g. ['user', 'add'] */
  path: string[];
  /** Positional arguments, in order, as shown in the usage line. */
  args: string[];
  /** The usage line after `sekisho `; flags are not translated. */
  usage: string;
  options: ParseArgsOptionsConfig;
  /** Operation input fields → how the administrator wrote them (`redirectUris` → `--redirect-uri`). */
  fields?: Record<string, string>;
  run(env: CommandEnv, args: CommandArgs): Promise<CommandOutput>;
}

/** Flags' values as strings (parseArgs typed them by the options config). */
export const str = (args: CommandArgs, name: string): string | undefined => args.values[name] as string | undefined;
export const strs = (args: CommandArgs, name: string): string[] | undefined => args.values[name] as string[] | undefined;
export const flag = (args: CommandArgs, name: string): boolean | undefined => args.values[name] as boolean | undefined;
