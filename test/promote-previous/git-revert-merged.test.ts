// git-revert after its pull request was merged, through the library: a re-run must not revert the
// revert. Real repositories (a bare origin, a developer clone that merges the way GitHub does, fresh
// checkouts for each run) and the local stand-in for GitHub's pull request API.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { NOT_ROLLED_BACK_AGAIN } from '../../src/platforms/outcome.js';
import { revertWithPullRequest, type GitRevertResult } from '../../src/platforms/git-revert/revert.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';

const GH_TOKEN = 'ghs_Test0Token1For2Merged3Rollbacks45';
const IDENTITY = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...IDENTITY } }).trim();
}

interface Scene {
  root: string;
  bare: string;
  /** The developer's clone, where pull requests are merged and pushed, as GitHub would. */
  dev: string;
  github: FakeGitHub;
  sha: Record<'root' | 'good' | 'bad1' | 'bad2', string>;
}

async function commit(dir: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, name), content);
    git(dir, 'add', name);
  }
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** main: root → good → bad1 → bad2, the last two to roll back. */
async function scene(): Promise<Scene> {
  const root = await mkdtemp(join(tmpdir(), 'rk-git-merged-'));
  const bare = join(root, 'origin.git');
  const dev = join(root, 'dev');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  execFileSync('git', ['init', '-q', '-b', 'main', dev]);
  git(dev, 'remote', 'add', 'origin', bare);
  const sha = {} as Scene['sha'];
  sha.root = await commit(dev, { 'app.txt': 'v1\n' }, 'initial app');
  sha.good = await commit(dev, { 'app.txt': 'v2\n' }, 'feature A');
  sha.bad1 = await commit(dev, { 'pricing.txt': 'new prices\n' }, 'bad one');
  sha.bad2 = await commit(dev, { 'app.txt': 'v3 broken\n' }, 'bad two');
  git(dev, 'push', '-q', 'origin', 'main');
  const github = await startFakeGitHub({ token: GH_TOKEN, owner: 'acme', repo: 'shop', bareRepo: bare });
  cleanups.push(async () => {
    await github.close();
    await rm(root, { recursive: true, force: true });
  });
  return { root, bare, dev, github, sha };
}

let checkouts = 0;
/** A fresh checkout of main, as actions/checkout makes for each run. */
function checkout(s: Scene, ...cloneArgs: string[]): string {
  const dir = join(s.root, `checkout-${++checkouts}`);
  execFileSync('git', ['clone', '-q', ...cloneArgs, cloneArgs.length ? `file://${s.bare}` : s.bare, dir], { stdio: 'ignore' });
  git(dir, 'config', 'user.name', 'Runner');
  git(dir, 'config', 'user.email', 'runner@example.com');
  return dir;
}

async function roll(s: Scene, inputs: { target: string; from?: string; automatic?: boolean }, dir = checkout(s)): Promise<GitRevertResult & { lines: string[] }> {
  const log = memoryLog();
  const result = await revertWithPullRequest(
    { repoDir: dir, ...inputs, reason: 'checkout returns 500', dryRun: false, githubToken: GH_TOKEN, repository: 'acme/shop', apiUrl: s.github.url, baseBranch: 'main', timeoutSeconds: 60 },
    log,
  );
  return { ...result, lines: log.lines };
}

type Method = 'merge' | 'squash' | 'squash-blank' | 'rebase';

/**
 * Merges the rollback pull request into main the way GitHub's button does, and pushes main.
 * merge: a merge commit "Merge pull request #N from acme/<branch>" with the title as its body.
 * squash: one commit, "<title> (#N)" and the list of the branch's commit messages (the default
 * for several commits). squash-blank: the repository setting that leaves the body blank; with one
 * commit the subject is that commit's ("Revert "…" (#N)"). rebase: the commits replayed on main.
 * Then the pull request is closed as merged and its branch deleted ("Automatically delete head
 * branches"), unless keepBranch: a repository without that setting keeps it.
 */
function mergePullRequest(s: Scene, method: Method, { keepBranch = false } = {}): string {
  const pr = s.github.pulls.at(-1)!;
  const head = `origin/${pr.head}`;
  git(s.dev, 'fetch', '-q', 'origin');
  git(s.dev, 'checkout', '-q', 'main');
  git(s.dev, 'merge', '-q', '--ff-only', 'origin/main');
  if (method === 'merge') {
    git(s.dev, 'merge', '-q', '--no-ff', '-m', `Merge pull request #${pr.number} from acme/${pr.head}`, '-m', pr.title, head);
  } else if (method === 'rebase') {
    git(s.dev, 'cherry-pick', `main..${head}`);
  } else {
    const commits = git(s.dev, 'log', '-z', '--reverse', '--format=%B', `main..${head}`).split('\0').map((m) => m.trim()).filter(Boolean);
    const message =
      method === 'squash'
        ? `${pr.title} (#${pr.number})\n\n${commits.map((m) => `* ${m}`).join('\n\n')}`
        : `${commits.length === 1 ? commits[0]!.split('\n')[0] : pr.title} (#${pr.number})`;
    git(s.dev, 'merge', '-q', '--squash', head);
    git(s.dev, 'commit', '-q', '-m', message);
  }
  git(s.dev, 'push', '-q', 'origin', 'main', ...(keepBranch ? [] : [`:refs/heads/${pr.head}`]));
  pr.state = 'closed';
  pr.merged_at = new Date().toISOString();
  return git(s.dev, 'rev-parse', 'HEAD');
}

const remoteBranches = (s: Scene) => git(s.bare, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/').split('\n').filter(Boolean).sort();
const short = (sha: string) => sha.slice(0, 7);

describe('git-revert after its pull request was merged', () => {
  for (const method of ['merge', 'squash', 'rebase'] as const) {
    it(`${method}: target previous is already-current, names the rollback, and opens nothing`, async () => {
      const s = await scene();
      const first = await roll(s, { target: s.sha.good });
      expect(first.status).toBe('rolled-back');
      const branch = `rollback/${short(s.sha.good)}`;
      const reverts = git(s.bare, 'rev-parse', branch);
      const merged = mergePullRequest(s, method);
      expect(git(s.dev, 'diff', '--stat', s.sha.good, merged)).toBe('');

      const again = await roll(s, { target: 'previous' });
      // What main ran when the rollback was made: what the run that made it named the incident by.
      expect(again).toMatchObject({ status: 'already-current', fromSha: merged, toSha: s.sha.good, reverted: [], rolledBackFrom: s.sha.bad2 });
      expect(again.notes[0]).toBe(
        `main already holds the rollback to ${short(s.sha.good)} (merged as ${short(merged)}): going back one commit from there would undo the rollback and ship the rolled-back code again, so target previous changes nothing. To go further back, give target: <SHA of the commit to go back to>.`,
      );
      expect(s.github.pulls).toHaveLength(1);
      expect(remoteBranches(s)).toEqual(['main']);
      expect(git(s.bare, 'rev-parse', 'main')).toBe(merged);
      // Each revert names the target and the HEAD it was made from in trailers (what a rebase merge keeps of the rollback).
      const trailers = (key: string) => git(s.bare, 'log', `--format=%(trailers:key=${key},valueonly)`, `${s.sha.bad2}..${reverts}`).split('\n').filter(Boolean);
      expect(trailers('Rollback-kit-target')).toEqual([s.sha.good, s.sha.good]);
      expect(trailers('Rollback-kit-from')).toEqual([s.sha.bad2, s.sha.bad2]);
    });
  }

  it('squash with a blank message: HEAD restores an older commit exactly, and that is the rollback', async () => {
    const s = await scene();
    // One commit to revert, so GitHub's squash subject is the revert's own: no title, no trailer.
    expect((await roll(s, { target: 'previous' })).status).toBe('rolled-back');
    const merged = mergePullRequest(s, 'squash-blank');
    expect(git(s.dev, 'log', '-1', '--format=%B', merged)).toBe('Revert "bad two" (#1)');
    const again = await roll(s, { target: 'previous' });
    // No trailer left: the squash's parent is what main ran when the rollback was made.
    expect(again).toMatchObject({ status: 'already-current', toSha: s.sha.bad1, rolledBackFrom: s.sha.bad2 });
    expect(again.notes[0]).toContain(`already holds the rollback to ${short(s.sha.bad1)} (merged as ${short(merged)})`);
    expect(s.github.pulls).toHaveLength(1);
  });

  for (const method of ['merge', 'squash', 'rebase'] as const) {
    it(`${method} after main moved on: HEAD's files are not the target's, its messages still name the rollback`, async () => {
      const s = await scene();
      expect((await roll(s, { target: s.sha.good })).status).toBe('rolled-back');
      await commit(s.dev, { 'docs.txt': 'runbook\n' }, 'docs while the rollback waited');
      git(s.dev, 'push', '-q', 'origin', 'main');
      const merged = mergePullRequest(s, method);
      expect(git(s.dev, 'diff', '--name-only', s.sha.good, merged)).toBe('docs.txt');
      const again = await roll(s, { target: 'previous' });
      expect(again).toMatchObject({ status: 'already-current', fromSha: merged, toSha: s.sha.good });
      expect(s.github.pulls).toHaveLength(1);
    });
  }

  it('a rollback that was itself reverted (the bad code re-landed) is not taken for one: previous goes back again', async () => {
    const s = await scene();
    expect((await roll(s, { target: s.sha.good })).status).toBe('rolled-back');
    const rollback = mergePullRequest(s, 'merge');
    // GitHub's Revert button: a branch revert-1-rollback/<short> with the revert of the merge, merged.
    git(s.dev, 'checkout', '-q', '-b', `revert-1-rollback/${short(s.sha.good)}`);
    git(s.dev, 'revert', '--no-edit', '-m', '1', rollback);
    git(s.dev, 'checkout', '-q', 'main');
    git(s.dev, 'merge', '-q', '--no-ff', '-m', `Merge pull request #2 from acme/revert-1-rollback/${short(s.sha.good)}`, '-m', `Revert "${s.github.pulls[0]!.title}"`, `revert-1-rollback/${short(s.sha.good)}`);
    git(s.dev, 'push', '-q', 'origin', 'main');
    const reland = git(s.dev, 'rev-parse', 'HEAD');
    expect(git(s.dev, 'diff', '--stat', s.sha.bad2, reland)).toBe('');

    const again = await roll(s, { target: 'previous' });
    expect(again).toMatchObject({ status: 'rolled-back', fromSha: reland, toSha: rollback });
    expect(git(s.bare, 'diff', '--stat', s.sha.good, `rollback/${short(rollback)}`)).toBe('');
  });

  it('a checkout too shallow to hold the rollback target is refused rather than reverting the rollback', async () => {
    const s = await scene();
    expect((await roll(s, { target: s.sha.good })).status).toBe('rolled-back');
    const merged = mergePullRequest(s, 'squash');
    const shallow = checkout(s, '--depth', '2');
    await expect(roll(s, { target: 'previous' }, shallow)).rejects.toThrow(
      new RegExp(`main \\(${short(merged)}\\) is the merge of a rollback to ${short(s.sha.good)} made by rollback-kit, but that commit is not among .*Nothing was changed`),
    );
    expect(s.github.pulls).toHaveLength(1);
  });

  it('an explicit target still goes further back after the merge', async () => {
    const s = await scene();
    expect((await roll(s, { target: s.sha.good })).status).toBe('rolled-back');
    mergePullRequest(s, 'rebase');
    const further = await roll(s, { target: s.sha.root });
    expect(further).toMatchObject({ status: 'rolled-back', toSha: s.sha.root });
    expect(git(s.bare, 'diff', '--stat', s.sha.root, `rollback/${short(s.sha.root)}`)).toBe('');
  });
});

describe('git-revert started by a deployment event: the rollback cascade', () => {
  for (const method of ['merge', 'squash', 'rebase', 'squash-blank'] as const) {
    it(`${method}: the merged rollback's deploy failing its checks is not reverted again, whatever the target; a person still can with a target`, async () => {
      const s = await scene();
      expect((await roll(s, { target: 'previous', from: s.sha.bad2, automatic: true })).status).toBe('rolled-back');
      const merged = mergePullRequest(s, method);
      // The deploy of the merge fails its checks too (the database is down): the event names that commit.
      for (const target of ['previous', s.sha.root]) {
        const again = await roll(s, { target, from: merged, automatic: true });
        expect(again).toMatchObject({ status: 'already-current', putThereByRollback: true, fromSha: merged, toSha: s.sha.bad1, rolledBackFrom: s.sha.bad2, reverted: [] });
        const how =
          method === 'squash-blank'
            ? `main has exactly the files of ${short(s.sha.bad1)} again, which only a rollback (or a revert by hand) makes`
            : `main is the merge of rollback-kit's rollback to ${short(s.sha.bad1)}, made from ${short(s.sha.bad2)}`;
        expect(again.notes).toEqual([
          `${NOT_ROLLED_BACK_AGAIN} (${short(merged)}: ${how}); the outage is likely not the deploy's — check the database, third-party services (payments, auth, email) and your hosting platform's status page first. A person decides whether to go further back: run the rollback by hand naming the release to go back to in target.`,
        ]);
        expect(again.lines).toContain(`warning: ${again.notes[0]}`);
      }
      expect(s.github.pulls).toHaveLength(1);
      expect(remoteBranches(s)).toEqual(['main']);
      // A person's run: previous stops at the re-run guard, a target goes further back.
      const person = await roll(s, { target: 'previous', from: merged });
      expect(person.status).toBe('already-current');
      expect(person.putThereByRollback).toBeUndefined();
      expect(await roll(s, { target: s.sha.root, from: merged })).toMatchObject({ status: 'rolled-back', toSha: s.sha.root });
      expect(s.github.pulls).toHaveLength(2);
    });
  }

  it('a HEAD that is no rollback is reverted automatically, as before', async () => {
    const s = await scene();
    const run = await roll(s, { target: 'previous', from: s.sha.bad2, automatic: true });
    expect(run).toMatchObject({ status: 'rolled-back', toSha: s.sha.bad1 });
    expect(run.putThereByRollback).toBeUndefined();
  });
});

describe('git-revert with from: the bad commit already undone on main', () => {
  it('reverted by the merged rollback, with more commits since: already-current, not a second revert', async () => {
    const s = await scene();
    expect((await roll(s, { target: s.sha.good, from: s.sha.bad2 })).status).toBe('rolled-back');
    mergePullRequest(s, 'merge');
    const later = await commit(s.dev, { 'docs.txt': 'runbook\n' }, 'docs');
    git(s.dev, 'push', '-q', 'origin', 'main');
    const again = await roll(s, { target: s.sha.good, from: s.sha.bad2 });
    const revert = git(s.bare, 'log', '--format=%H', '--grep', `This reverts commit ${s.sha.bad2}`, 'main');
    expect(again).toMatchObject({ status: 'already-current', fromSha: later, toSha: later });
    expect(again.notes[0]).toBe(`main (${short(later)}) no longer has the changes of ${short(s.sha.bad2)}: ${short(revert)} reverted it. Nothing to revert.`);
    expect(s.github.pulls).toHaveLength(1);
  });

  it('main has the files from before it (a squash with a blank message says nothing): already-current', async () => {
    const s = await scene();
    expect((await roll(s, { target: 'previous', from: s.sha.bad2 })).status).toBe('rolled-back');
    const merged = mergePullRequest(s, 'squash-blank');
    const again = await roll(s, { target: s.sha.good, from: s.sha.bad2 });
    expect(again).toMatchObject({ status: 'already-current', toSha: merged });
    expect(again.notes[0]).toBe(`main (${short(merged)}) no longer has the changes of ${short(s.sha.bad2)}: its files are those from before ${short(s.sha.bad2)}. Nothing to revert.`);
    expect(s.github.pulls).toHaveLength(1);
  });

  it('a revert that was reverted again (re-landed) does not count: the bad commit is rolled back', async () => {
    const s = await scene();
    git(s.dev, 'revert', '--no-edit', s.sha.bad2);
    git(s.dev, 'revert', '--no-edit', 'HEAD');
    const reland = git(s.dev, 'rev-parse', 'HEAD');
    git(s.dev, 'push', '-q', 'origin', 'main');
    const r = await roll(s, { target: s.sha.good, from: s.sha.bad2 });
    expect(r).toMatchObject({ status: 'rolled-back', fromSha: reland, toSha: s.sha.good });
  });
});

describe('git-revert when an earlier rollback branch is still on GitHub (no "Automatically delete head branches")', () => {
  for (const method of ['merge', 'squash', 'rebase'] as const) {
    it(`${method}, main moved on before the merge: the same explicit target is already-current, and no pull request is opened`, async () => {
      const s = await scene();
      expect((await roll(s, { target: s.sha.good })).status).toBe('rolled-back');
      await commit(s.dev, { 'docs.txt': 'runbook\n' }, 'docs while the rollback waited');
      git(s.dev, 'push', '-q', 'origin', 'main');
      const merged = mergePullRequest(s, method, { keepBranch: true });
      const branch = `rollback/${short(s.sha.good)}`;
      const kept = git(s.bare, 'rev-parse', branch);

      const again = await roll(s, { target: s.sha.good });
      expect(again).toMatchObject({ status: 'already-current', fromSha: merged, toSha: s.sha.good, rolledBackFrom: s.sha.bad2, reverted: [] });
      expect(again.notes[0]).toBe(`main already holds the rollback to ${short(s.sha.good)} (merged as ${short(merged)}): nothing to revert.`);
      expect(s.github.pulls).toHaveLength(1);
      expect(remoteBranches(s)).toEqual(['main', branch]);
      expect(git(s.bare, 'rev-parse', branch)).toBe(kept);
    });
  }

  for (const method of ['merge', 'squash'] as const) {
    it(`${method}, then a new bad commit: a new rollback to the same commit goes on a branch of its own, the old one left as it was`, async () => {
      const s = await scene();
      expect((await roll(s, { target: s.sha.good })).status).toBe('rolled-back');
      mergePullRequest(s, method, { keepBranch: true });
      const stale = `rollback/${short(s.sha.good)}`;
      const kept = git(s.bare, 'rev-parse', stale);
      const bad3 = await commit(s.dev, { 'app.txt': 'v4 broken again\n' }, 'bad three');
      git(s.dev, 'push', '-q', 'origin', 'main');

      const again = await roll(s, { target: s.sha.good });
      const fresh = `rollback/${short(s.sha.good)}-from-${short(bad3)}`;
      expect(again).toMatchObject({ status: 'rolled-back', fromSha: bad3, toSha: s.sha.good, branch: fresh, pullRequestUrl: 'https://github.com/acme/shop/pull/2' });
      expect(again.notes).toContain(`${stale} on origin is not this rollback's (an earlier rollback's, already merged or closed, or made from another commit of main): it is left as it is, and this rollback uses ${fresh}.`);
      expect(git(s.bare, 'rev-parse', stale)).toBe(kept);
      expect(s.github.pulls.map((p) => p.head)).toEqual([stale, fresh]);
      expect(git(s.bare, 'diff', '--stat', s.sha.good, fresh)).toBe('');

      // Its own re-run finds it and its pull request.
      const third = await roll(s, { target: s.sha.good });
      expect(third).toMatchObject({ status: 'already-current', branch: fresh, pullRequestUrl: 'https://github.com/acme/shop/pull/2' });
      expect(s.github.pulls).toHaveLength(2);
    });
  }

  it('a branch of that name that someone else pushed is neither adopted nor overwritten', async () => {
    const s = await scene();
    git(s.dev, 'checkout', '-q', '-b', `rollback/${short(s.sha.good)}`);
    const theirs = await commit(s.dev, { 'app.txt': 'hand-made fix\n' }, 'hand-made rollback');
    git(s.dev, 'push', '-q', 'origin', `rollback/${short(s.sha.good)}`);
    git(s.dev, 'checkout', '-q', 'main');

    const r = await roll(s, { target: s.sha.good });
    const fresh = `rollback/${short(s.sha.good)}-from-${short(s.sha.bad2)}`;
    expect(r).toMatchObject({ status: 'rolled-back', branch: fresh });
    expect(git(s.bare, 'rev-parse', `rollback/${short(s.sha.good)}`)).toBe(theirs);
    expect(s.github.pulls.map((p) => p.head)).toEqual([fresh]);
    expect(git(s.bare, 'diff', '--stat', s.sha.good, fresh)).toBe('');
  });

  it('both names taken by branches not its own: refused, nothing pushed or opened', async () => {
    const s = await scene();
    for (const name of [`rollback/${short(s.sha.good)}`, `rollback/${short(s.sha.good)}-from-${short(s.sha.bad2)}`]) git(s.dev, 'push', '-q', 'origin', `${s.sha.root}:refs/heads/${name}`);
    await expect(roll(s, { target: s.sha.good })).rejects.toThrow(
      new RegExp(`rollback/${short(s.sha.good)} and rollback/${short(s.sha.good)}-from-${short(s.sha.bad2)} are already on origin and neither is this rollback's .*Nothing was pushed`),
    );
    expect(s.github.pulls).toEqual([]);
    expect(git(s.bare, 'rev-parse', `rollback/${short(s.sha.good)}`)).toBe(s.sha.root);
  });

  it('a pull request closed without merging: the re-run opens it again and says the earlier one was closed', async () => {
    const s = await scene();
    expect((await roll(s, { target: s.sha.good })).status).toBe('rolled-back');
    s.github.pulls[0]!.state = 'closed';
    const again = await roll(s, { target: s.sha.good });
    const branch = `rollback/${short(s.sha.good)}`;
    expect(again).toMatchObject({ status: 'rolled-back', branch, pullRequestUrl: 'https://github.com/acme/shop/pull/2' });
    expect(again.notes[0]).toBe(
      `Branch ${branch} was already pushed by an earlier run; its pull request https://github.com/acme/shop/pull/1 was closed without merging, so this run opened https://github.com/acme/shop/pull/2. If the rollback was closed on purpose, close this one too.`,
    );
  });

  it('a pushed branch whose pull request was never opened (the earlier run stopped): the re-run opens it', async () => {
    const s = await scene();
    s.github.failCreate = 502;
    await expect(roll(s, { target: s.sha.good })).rejects.toThrow(/502/);
    // The failed run deletes its branch; one that could not (the runner stopped) leaves it: push it back.
    expect(remoteBranches(s)).toEqual(['main']);
    const dir = checkout(s);
    git(dir, 'checkout', '-q', '-b', 'tmp');
    git(dir, 'revert', '--no-edit', s.sha.bad2);
    git(dir, 'commit', '--amend', '-q', '-m', `${git(dir, 'log', '-1', '--format=%B')}\n\nRollback-kit-target: ${s.sha.good}`);
    git(dir, 'revert', '--no-edit', s.sha.bad1);
    git(dir, 'commit', '--amend', '-q', '-m', `${git(dir, 'log', '-1', '--format=%B')}\n\nRollback-kit-target: ${s.sha.good}`);
    git(dir, 'push', '-q', 'origin', `tmp:refs/heads/rollback/${short(s.sha.good)}`);
    s.github.failCreate = undefined;

    const again = await roll(s, { target: s.sha.good });
    expect(again).toMatchObject({ status: 'rolled-back', branch: `rollback/${short(s.sha.good)}`, pullRequestUrl: 'https://github.com/acme/shop/pull/1' });
    expect(again.notes[0]).toBe(`Branch rollback/${short(s.sha.good)} was already pushed by an earlier run; opened its pull request https://github.com/acme/shop/pull/1.`);
  });
});

describe('git-revert while an earlier rollback pull request is still open', () => {
  it('made from an older HEAD (a bad commit landed since): a new one on its own branch, and the note says which to merge', async () => {
    const s = await scene();
    expect((await roll(s, { target: s.sha.good })).status).toBe('rolled-back');
    const bad3 = await commit(s.dev, { 'app.txt': 'v4 broken again\n' }, 'bad three');
    git(s.dev, 'push', '-q', 'origin', 'main');

    const again = await roll(s, { target: s.sha.good });
    const stale = `rollback/${short(s.sha.good)}`;
    const fresh = `rollback/${short(s.sha.good)}-from-${short(bad3)}`;
    expect(again).toMatchObject({ status: 'rolled-back', branch: fresh, pullRequestUrl: 'https://github.com/acme/shop/pull/2' });
    expect(again.notes).toContain(
      `${stale} on origin is not this rollback's (it was made from another commit of main, or by hand), and its pull request https://github.com/acme/shop/pull/1 is still open: it is left as it is, and this rollback uses ${fresh}. Merge this rollback's pull request, not https://github.com/acme/shop/pull/1, and close that one.`,
    );
    expect(git(s.bare, 'diff', '--stat', s.sha.good, fresh)).toBe('');
  });
});
