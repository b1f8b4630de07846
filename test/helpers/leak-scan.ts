/**
 * Searches everything an action run produced for secrets: the log the runner shows (less the
 * `::add-mask::` commands it consumes), stderr, the decoded `::error::` lines, GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY, GITHUB_ENV, GITHUB_STATE, and the names and contents of every file under the
 * run's work dir, RUNNER_TEMP (smoke-test's report.json and junit.xml live there) and any output
 * dirs the test names. A hit names the channel, so a failure says where the secret went.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActionRun } from './run-action.js';

export interface Leak {
  /** Which secret, labelled without repeating it whole. */
  secret: string;
  channel: string;
}

const label = (s: string) => (s.length > 8 ? `${s.slice(0, 4)}…(${s.length} chars)` : `"${s}"`);

/** Every place in `run` (and under `extraDirs`) where one of `secrets` appears, exactly as given. */
export async function findLeaks(run: ActionRun, secrets: string[], extraDirs: string[] = []): Promise<Leak[]> {
  const leaks: Leak[] = [];
  const search = (channel: string, text: string | Buffer) => {
    for (const s of secrets) if (s && text.includes(s)) leaks.push({ secret: label(s), channel });
  };
  search('log', run.log);
  search('stderr', run.stderr);
  search('::error:: lines (decoded)', run.errors.join('\n'));
  search('GITHUB_OUTPUT (values)', Object.values(run.outputs).join('\n'));
  search('GITHUB_STEP_SUMMARY', run.summary);
  search('GITHUB_ENV', run.env);
  search('GITHUB_STATE', run.state);
  for (const dir of new Set([run.workDir, run.runnerTemp, ...extraDirs])) {
    for (const path of await listTree(dir)) {
      search(`file name ${path}`, path.slice(dir.length));
      const info = await stat(path);
      if (info.isFile() && info.size < 50 * 1024 * 1024) search(`file ${path}`, await readFile(path));
    }
  }
  return leaks;
}

/** Every file path below `dir` (for searching names and contents for secrets). */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, entry.name);
    out.push(p);
    if (entry.isDirectory()) out.push(...(await listTree(p)));
  }
  return out;
}

/** Fails naming each channel and secret found; `secrets` should list every form to look for. */
export async function expectNoLeaks(run: ActionRun, secrets: string[], extraDirs: string[] = []): Promise<void> {
  const leaks = await findLeaks(run, secrets, extraDirs);
  if (leaks.length) throw new Error(`Secrets leaked:\n${leaks.map((l) => `  ${l.secret} in ${l.channel}`).join('\n')}`);
}

/** Where one secret (as given or percent-encoded) shows up: the channels, for `toEqual([])`. */
export async function findSecret(run: ActionRun, secret: string, extraDirs: string[] = []): Promise<string[]> {
  const leaks = await findLeaks(run, [...new Set([secret, encodeURIComponent(secret)])], extraDirs);
  return [...new Set(leaks.map((l) => l.channel))];
}

/**
 * The prefixes of `min` characters or more of each secret found in `text`: what a cut through a
 * secret leaves behind, which no redactor recognises once the secret is no longer whole.
 */
export function prefixLeaks(text: string, secrets: string[], min = 6): string[] {
  const found: string[] = [];
  for (const s of secrets) {
    for (let n = s.length; n >= min; n--) {
      if (text.includes(s.slice(0, n))) {
        found.push(s.slice(0, n));
        break;
      }
    }
  }
  return found;
}
