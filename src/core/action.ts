/**
 * What every action entry point shares: typed input reading, a redacting log on the runner,
 * outputs, and the rule that a failure is one clear `::error::` line and a non-zero exit.
 */
import * as core from '@actions/core';
import { RollbackKitError, errorLine } from './errors.js';
import { createLog, type Log } from './log.js';
import { output } from './output.js';
import { parseBoolean, parseInteger, parseList, parseNumber } from './parse.js';

export function actionLog(): Log {
  return createLog({
    info: (m) => output.info(m),
    warning: (m) => output.annotate('warning', m),
    debug: (m) => output.debug(m),
    mask: (v) => output.mask(v),
  });
}

/** Reads inputs by their public names; every parse error names the input. */
export const input = {
  string(name: string, opts: { required?: boolean; default?: string } = {}): string | undefined {
    const value = core.getInput(name).trim();
    if (value) return value;
    if (opts.required) throw new RollbackKitError(`Input required and not supplied: ${name}.`);
    return opts.default;
  },
  required(name: string): string {
    return input.string(name, { required: true }) as string;
  },
  /** A secret input: masked before anything else can print it. */
  secret(name: string, log: Log, opts: { required?: boolean } = {}): string | undefined {
    const value = input.string(name, opts);
    log.secret(value);
    return value;
  },
  boolean(name: string, fallback: boolean): boolean {
    return parseBoolean(core.getInput(name), name, fallback);
  },
  integer(name: string, opts: { default?: number; min?: number; max?: number } = {}): number | undefined {
    return parseInteger(core.getInput(name), name, opts);
  },
  number(name: string, opts: { default?: number; min?: number; max?: number } = {}): number | undefined {
    return parseNumber(core.getInput(name), name, opts);
  },
  list(name: string): string[] {
    return parseList(core.getInput(name));
  },
};

export function setOutputs(outputs: Record<string, string | number | boolean | undefined>): void {
  for (const [name, value] of Object.entries(outputs)) {
    if (value !== undefined) core.setOutput(name, typeof value === 'string' ? value : String(value));
  }
}

/**
 * Runs an action body. Errors become one redacted `::error::` line; unexpected ones keep their
 * stack in the debug log so a bug report has it without frightening the reader.
 */
export async function runAction(body: (log: Log) => Promise<void>): Promise<void> {
  const log = actionLog();
  try {
    await body(log);
  } catch (err) {
    if (!(err instanceof RollbackKitError) && err instanceof Error && err.stack) log.debug(err.stack);
    output.fail(log.redact(errorLine(err)));
  }
}
