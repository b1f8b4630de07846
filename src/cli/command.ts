/** The shape every command has: its flags come from flags.ts, its work from the library. */
import type { Cli } from './context.js';
import type { COMMAND_FLAGS } from './flags.js';

export interface CommandResult {
  /** Exit 0 when true, 1 when false. */
  ok: boolean;
  status: string;
  [key: string]: unknown;
}

export interface CommandSpec {
  name: keyof typeof COMMAND_FLAGS;
  summary: string;
  argument?: { name: string; help: string };
  examples: string[];
  /** It asks before changing a database (Cli.confirm), so it takes -y/--yes; no other command does. */
  asks?: boolean;
  /** Extra flags only this command has (not an action input). */
  extra?: { flags: string; help: string }[];
  run(cli: Cli, argument: string | undefined, extra: Record<string, unknown>): Promise<CommandResult>;
}
