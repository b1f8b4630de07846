// The plan's check that a git-revert component can push (`git push --dry-run`, before anything
// changes) waits on the remote for up to the component's timeout. Stopped (Ctrl-C, a cancelled job)
// while the remote holds it, it used to run on to that timeout; now it ends at the stop, as the
// provider's own git commands do, and says nothing was changed. The remote is a local HTTP server
// that takes git's first request and never answers it.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { checkCanPush } from '../../src/pipeline/git-revert-access.js';

let server: Server | undefined;
let root: string | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  if (root) await rm(root, { recursive: true, force: true });
  server = undefined;
  root = undefined;
});

it('stopped while the remote holds the dry-run push: it ends at the stop, saying nothing was changed', async () => {
  let reached = (): void => undefined;
  const held = new Promise<void>((done) => (reached = done));
  // Takes git's request for the remote's refs and never answers it.
  server = createServer(() => reached());
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', () => done()));
  root = await mkdtemp(join(tmpdir(), 'rk-push-check-stopped-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, env: { ...process.env, GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' } });
  git('init', '-q', '-b', 'main');
  await writeFile(join(root, 'app.txt'), 'v1\n');
  git('add', 'app.txt');
  git('commit', '-q', '-m', 'initial app');
  git('remote', 'add', 'origin', `http://127.0.0.1:${(server.address() as AddressInfo).port}/acme/shop.git`);

  const stop = new AbortController();
  const checking = checkCanPush(root, 'web', 60, memoryLog(), stop.signal).then(
    () => undefined,
    (e: unknown) => e,
  );
  await held;
  stop.abort(new Error('stopped by SIGINT'));
  const err = await checking;
  expect(err).toBeInstanceOf(RollbackKitError);
  expect((err as RollbackKitError).message).toMatch(/^web \(git-revert\): the run was stopped \(SIGINT\) before any request that changes production was sent, so production was not touched/);
  expect((err as RollbackKitError).changed).toBe('no');
});
