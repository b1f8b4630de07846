/**
 * The part of @actions/core every step uses (inputs, outputs, workflow commands, the job summary),
 * without the package's entry module: that one also loads its OIDC client (getIDToken), and through
 * it @actions/http-client and undici, about a third of every bundle's start-up for a call
 * rollback-kit never makes. The workflow commands are @actions/core's own modules (escaping); the
 * few lines below are its entry's, kept the same. Its exports map lists only the entry, hence the
 * relative path: src/ and the build's output folder (.build/, see tsconfig.build.json) sit at the
 * same depth under the repository, so it resolves from both.
 *
 * The file commands (outputs) and the job summary are @actions/core's too, rewritten here line for
 * line with what they load changed: its file-command module loads `node:crypto` and its summary
 * module `node:fs/promises` when the bundle is evaluated, about 10 ms of every action's start
 * (lazy-builtins.ts), for an output's random delimiter and a summary written at the end.
 */
import { access, appendFile, appendFileSync, constants, existsSync } from 'node:fs';
import { EOL } from 'node:os';
import { issueCommand } from '../../node_modules/@actions/core/lib/command.js';
import { toCommandProperties, toCommandValue } from '../../node_modules/@actions/core/lib/utils.js';
import { nodeCrypto } from './lazy-builtins.js';

/* eslint-disable no-restricted-properties -- the runner's own protocol: file commands live in the environment */
/** @actions/core's issueFileCommand: one line appended to the file GITHUB_<command> names. */
function issueFileCommand(command: string, message: string): void {
  const filePath = process.env[`GITHUB_${command}`];
  if (!filePath) throw new Error(`Unable to find environment variable for file command ${command}`);
  if (!existsSync(filePath)) throw new Error(`Missing file at path: ${filePath}`);
  appendFileSync(filePath, `${toCommandValue(message)}${EOL}`, { encoding: 'utf8' });
}

/** @actions/core's prepareKeyValueMessage: a heredoc whose random delimiter neither the name nor the value contains. */
function prepareKeyValueMessage(key: string, value: string): string {
  const delimiter = `ghadelimiter_${nodeCrypto().randomUUID()}`;
  const convertedValue = toCommandValue(value);
  if (key.includes(delimiter)) throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
  if (convertedValue.includes(delimiter)) throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
  return `${key}<<${delimiter}${EOL}${convertedValue}${EOL}${delimiter}`;
}

const SUMMARY_ENV_VAR = 'GITHUB_STEP_SUMMARY';

/** @actions/core's summary, the part we use: text added to a buffer, appended to GITHUB_STEP_SUMMARY by write(). */
class Summary {
  private buffer = '';
  private filePath: string | undefined;

  private async path(): Promise<string> {
    if (this.filePath) return this.filePath;
    const fromEnv = process.env[SUMMARY_ENV_VAR];
    if (!fromEnv) throw new Error(`Unable to find environment variable for $${SUMMARY_ENV_VAR}. Check if your runtime environment supports job summaries.`);
    const readable = await new Promise<boolean>((resolve) => access(fromEnv, constants.R_OK | constants.W_OK, (err) => resolve(!err)));
    if (!readable) throw new Error(`Unable to access summary file: '${fromEnv}'. Check if the file has correct read/write permissions.`);
    return (this.filePath = fromEnv);
  }

  addRaw(text: string): this {
    this.buffer += text;
    return this;
  }

  async write(): Promise<this> {
    const path = await this.path();
    await new Promise<void>((resolve, reject) => appendFile(path, this.buffer, { encoding: 'utf8' }, (err) => (err ? reject(err) : resolve())));
    return this.emptyBuffer();
  }

  emptyBuffer(): this {
    this.buffer = '';
    return this;
  }
}
/* eslint-enable no-restricted-properties */

const summary = new Summary();

export interface AnnotationProperties {
  title?: string;
}

/* eslint-disable no-restricted-properties -- the runner's own protocol: inputs and file commands live in the environment */
export const core = {
  getInput(name: string): string {
    return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim();
  },
  setOutput(name: string, value: string): void {
    if (process.env.GITHUB_OUTPUT) return issueFileCommand('OUTPUT', prepareKeyValueMessage(name, value));
    // Without the file command (an old runner): the deprecated command, on a line of its own.
    process.stdout.write(EOL);
    issueCommand('set-output', { name }, toCommandValue(value));
  },
  setSecret(secret: string): void {
    issueCommand('add-mask', {}, secret);
  },
  debug(message: string): void {
    issueCommand('debug', {}, message);
  },
  error(message: string, properties: AnnotationProperties = {}): void {
    issueCommand('error', toCommandProperties(properties), message);
  },
  warning(message: string, properties: AnnotationProperties = {}): void {
    issueCommand('warning', toCommandProperties(properties), message);
  },
  notice(message: string, properties: AnnotationProperties = {}): void {
    issueCommand('notice', toCommandProperties(properties), message);
  },
  setFailed(message: string): void {
    process.exitCode = 1;
    core.error(message);
  },
  summary,
};
/* eslint-enable no-restricted-properties */
