// git-revert stopped (Ctrl-C, a cancelled job: the AbortSignal). Its GitHub requests (up to 20 s
// each) and its git commands used to run on after the stop, and a stop then ended with whatever they
// made of it. Now they end at the stop, as the other providers' reads do (change-guard.ts), and the
// error says what the repository is in: nothing pushed, "not touched"; a push or a pull request
// already started, "sent, not confirmed". The stop lands at a known point: the fake GitHub holds a
// request unanswered, and the bare repository's pre-receive hook holds the push, until the test has
// stopped the run.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { promotePrevious, type GitRevertPromoteRequest } from '../../src/platforms/promote.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';

const GH_TOKEN = 'ghs_StoppedRevertTok3nQ9wX2mR7pL4kN8';

interface Repo {
  root: string;
  bare: string;
  checkout: string;
  github: FakeGitHub;
  good: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const IDENTITY = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...IDENTITY } }).trim();
}

/** main: root → good → bad, pushed to a bare repository, cloned as the checkout the step runs in. */
async function makeRepo(): Promise<Repo> {
  const root = await mkdtemp(join(tmpdir(), 'rk-git-revert-stopped-'));
  const bare = join(root, 'origin.git');
  const dev = join(root, 'dev');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  execFileSync('git', ['init', '-q', '-b', 'main', dev]);
  const commit = async (content: string, message: string) => {
    await writeFile(join(dev, 'app.txt'), content);
    git(dev, 'add', 'app.txt');
    git(dev, 'commit', '-q', '-m', message);
    return git(dev, 'rev-parse', 'HEAD');
  };
  await commit('v1\n', 'initial app');
  const good = await commit('v2\n', 'feature A');
  await commit('v3 broken\n', 'break checkout');
  git(dev, 'push', '-q', bare, 'main');
  const checkout = join(root, 'checkout');
  execFileSync('git', ['clone', '-q', bare, checkout]);
  git(checkout, 'config', 'user.email', 'dev@example.com');
  git(checkout, 'config', 'user.name', 'Dev');
  const github = await startFakeGitHub({ token: GH_TOKEN, owner: 'acme', repo: 'shop', bareRepo: bare });
  cleanups.push(async () => {
    await github.close();
    await rm(root, { recursive: true, force: true });
  });
  return { root, bare, checkout, github, good };
}

/**
 * Holds every push to the bare repository in its pre-receive hook (before any ref is updated) until
 * `release()`; `reached` settles once a push is held.
 */
async function holdPushes(repo: Repo): Promise<{ reached: Promise<void>; release(): Promise<void> }> {
  const reachedFile = join(repo.root, 'push-reached');
  const releaseFile = join(repo.root, 'push-release');
  const hook = join(repo.bare, 'hooks', 'pre-receive');
  await writeFile(hook, `#!/bin/sh\ncat >/dev/null\n: > '${reachedFile}'\nwhile [ ! -e '${releaseFile}' ]; do sleep 0.05; done\n`);
  await chmod(hook, 0o755);
  const reached = (async () => {
    // Polled a bounded number of times: a run that never pushes fails the test rather than hanging it.
    for (let i = 0; i < 1200 && !existsSync(reachedFile); i++) await sleep(50);
    expect(existsSync(reachedFile), 'no push reached the remote').toBe(true);
  })();
  return { reached, release: () => writeFile(releaseFile, '') };
}

function request(repo: Repo, signal: AbortSignal): GitRevertPromoteRequest {
  return { provider: 'git-revert', githubToken: GH_TOKEN, repoDir: repo.checkout, repository: 'acme/shop', apiUrl: repo.github.url, baseBranch: 'main', target: repo.good, timeoutSeconds: 60, dryRun: false, signal };
}

/** The error `work` failed with. */
async function failure(work: Promise<unknown>): Promise<RollbackKitError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RollbackKitError);
  return err as RollbackKitError;
}

const remoteBranches = (repo: Repo) => git(repo.bare, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/').split('\n').filter(Boolean).sort();
const localBranches = (repo: Repo) => git(repo.checkout, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/').split('\n').filter(Boolean).sort();

describe('promote-previous on git-revert, stopped', () => {
  it('while GitHub holds the access check: it ends at the stop, nothing is pushed, and the repository was not touched', async () => {
    const repo = await makeRepo();
    const held = repo.github.hold(/^GET \/repos\/acme\/shop$/);
    const stop = new AbortController();
    const running = promotePrevious(request(repo, stop.signal), memoryLog());
    await held.reached;
    stop.abort(new Error('stopped by SIGINT'));
    // Released only once the run has ended: had it waited for GitHub's answer, it would never end.
    const err = await failure(running);
    held.release();
    expect(err.message).toMatch(/^repository acme\/shop: the run was stopped \(SIGINT\) before any request that changes production was sent, so production was not touched/);
    expect(err.changed).toBe('no');
    expect(err.stopped).toBe(true);
    expect(remoteBranches(repo)).toEqual(['main']);
    expect(repo.github.pulls).toEqual([]);
    expect(localBranches(repo)).toEqual(['main']);
  });

  it('while the push is held by the remote: the push is ended, the error says it was sent and not confirmed, and the checkout is back on main', async () => {
    const repo = await makeRepo();
    const push = await holdPushes(repo);
    const stop = new AbortController();
    const running = promotePrevious(request(repo, stop.signal), memoryLog());
    try {
      await push.reached;
      stop.abort(new Error('stopped by SIGTERM'));
      const err = await failure(running);
      const branch = `rollback/${repo.good.slice(0, 7)}`;
      expect(err.message).toMatch(new RegExp(`^repository acme/shop: the run was stopped \\(SIGTERM\\) after git push of ${branch} to origin was sent, before the rollback was confirmed live: .*\\(sent, not confirmed\\)\\.`));
      expect(err.hint).toContain('Check what production serves in acme/shop (a rollback/… branch pushed, a revert pull request opened: production changes only once that pull request is merged)');
      expect(err.changed).toBe('unknown');
      expect(err.stopped).toBe(true);
      // The push was ended before the remote took it; no pull request was asked for.
      expect(remoteBranches(repo)).toEqual(['main']);
      expect(repo.github.requests.filter((r) => r.method === 'POST')).toEqual([]);
      expect(git(repo.checkout, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
      expect(localBranches(repo)).toEqual(['main']);
    } finally {
      await push.release();
    }
  });

  it('after the push, while GitHub holds the pull request: sent, not confirmed, naming both, and the pushed branch is kept for a re-run', async () => {
    const repo = await makeRepo();
    const held = repo.github.hold(/^POST \/repos\/acme\/shop\/pulls$/);
    const stop = new AbortController();
    const running = promotePrevious(request(repo, stop.signal), memoryLog());
    await held.reached;
    stop.abort(new Error('stopped by SIGTERM'));
    const err = await failure(running);
    held.release();
    const branch = `rollback/${repo.good.slice(0, 7)}`;
    expect(err.message).toMatch(
      new RegExp(`^repository acme/shop: the run was stopped \\(SIGTERM\\) after git push of ${branch} to origin, then POST pull request from ${branch} to GitHub was sent, before the rollback was confirmed live: .*\\(sent, not confirmed\\)\\.`),
    );
    expect(err.changed).toBe('unknown');
    // Nothing more is pushed after the stop (no delete of the branch): a re-run finds it and opens its pull request.
    expect(remoteBranches(repo)).toEqual(['main', branch]);
    expect(git(repo.checkout, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
  });
});
