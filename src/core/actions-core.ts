/**
 * The part of @actions/core every step uses (inputs, outputs, workflow commands, the job summary),
 * without the package's entry module: that one also loads its OIDC client (getIDToken), and through
 * it @actions/http-client and undici, about a third of every bundle's start-up for a call
 * rollback-kit never makes. The commands are @actions/core's own modules (escaping, file commands,
 * summary); the few lines below are its entry's, kept the same. Its exports map lists only the
 * entry, hence the relative path: src/ and the build's output folder (.build/, see
 * tsconfig.build.json) sit at the same depth under the repository, so it resolves from both.
 */
import { EOL } from 'node:os';
import { issueCommand } from '../../node_modules/@actions/core/lib/command.js';
import { issueFileCommand, prepareKeyValueMessage } from '../../node_modules/@actions/core/lib/file-command.js';
import { summary } from '../../node_modules/@actions/core/lib/summary.js';
import { toCommandProperties, toCommandValue } from '../../node_modules/@actions/core/lib/utils.js';

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
