/** Uploading a snapshot as a workflow artifact, so it outlives the runner that took it. */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RollbackKitError } from '../core/errors.js';

export interface UploadedArtifact {
  name: string;
  id?: number;
  size?: number;
}

async function filesOf(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of await readdir(path)) out.push(...(await filesOf(join(path, entry))));
  return out;
}

/**
 * An `upload-artifact` input that may be `auto`: `asked` (true: upload, and fail without the
 * runtime), `auto` (upload, since the step runs on GitHub Actions with its artifact runtime), or
 * `no` (false, or auto anywhere else).
 */
export function readUploadChoice(raw: string | undefined, onGitHub: boolean): 'asked' | 'auto' | 'no' {
  const value = (raw ?? '').trim().toLowerCase();
  if (value === '' || value === 'auto') return onGitHub ? 'auto' : 'no';
  if (value === 'true') return 'asked';
  if (value === 'false') return 'no';
  throw new RollbackKitError(`Input upload-artifact must be true, false or auto, got "${raw}".`, 'auto (the default) uploads when the step runs on GitHub Actions.');
}

/**
 * Checked before any work: an upload that cannot happen should not wait for a long dump to say so.
 * `step` says what was not done in its words: snapshot-db dumped nothing; restore-db (whose input
 * may also be `auto`) changed nothing.
 */
export function requireArtifactRuntime(available: boolean, step: 'snapshot' | 'restore'): void {
  if (available) return;
  const what = 'upload-artifact needs the GitHub Actions runtime (ACTIONS_RUNTIME_TOKEN), which this run does not have.';
  if (step === 'snapshot') throw new RollbackKitError(what, 'Run inside a GitHub Actions job, or set upload-artifact: false. Nothing was dumped.');
  throw new RollbackKitError(
    what,
    'Run inside a GitHub Actions job, or set upload-artifact: auto (uploads only when the step runs on GitHub Actions) or false. Nothing was changed: the restore did not start.',
    { changed: 'no' },
  );
}

/**
 * Uploads the snapshot, its manifest and any exports under one artifact named after the snapshot.
 * No blocked-port check (core/blocked-port.ts) here: @actions/artifact sends through node:http,
 * which connects to the ports fetch refuses (test/db/upload-artifact-port.test.ts).
 */
export async function uploadSnapshotArtifact(paths: string[], retentionDays: number | undefined): Promise<UploadedArtifact> {
  const name = basename(paths[0]!);
  const files = (await Promise.all(paths.map(filesOf))).flat();
  try {
    // Loaded only when asked for: it is most of the bundle and slows every cold start.
    const { DefaultArtifactClient } = await import('@actions/artifact');
    const { id, size } = await new DefaultArtifactClient().uploadArtifact(name, files, dirname(paths[0]!), retentionDays ? { retentionDays } : {});
    return { name, id, size };
  } catch (err) {
    throw new RollbackKitError(`Uploading artifact ${name} failed: ${(err as Error).message}; the snapshot is kept at ${paths[0]}.`, 'Retry the job, or download nothing and use the path on this runner.');
  }
}
