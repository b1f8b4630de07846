// promote-previous with provider git-revert, through the bundle: a real git checkout cloned from a
// local bare repository, and a local stand-in for GitHub's pull request API.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prefixLeaks } from '../helpers/leak-scan.js';
import { findSecret, runAction, type ActionRun } from '../helpers/run-action.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';

const GH_TOKEN = 'ghs_Test0Token1For2Pull3Requests4567';

interface Repo {
  root: string;
  bare: string;
  checkout: string;
  github: FakeGitHub;
  /** Commit SHAs by name. */
  sha: Record<'root' | 'good' | 'bad' | 'merge' | 'empty', string>;
  /** An empty global git config: a fresh runner has no identity configured. */
  env: Record<string, string>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' },
  }).trim();
}

async function commit(dir: string, files: Record<string, string | null>, message: string): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    if (content === null) git(dir, 'rm', '-q', name);
    else {
      await writeFile(join(dir, name), content);
      git(dir, 'add', name);
    }
  }
  git(dir, 'commit', '-q', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** main: root → good → bad → merge of feature/pricing → empty "redeploy" commit. */
async function makeRepo(): Promise<Repo> {
  const root = await mkdtemp(join(tmpdir(), 'rk-git-revert-'));
  const bare = join(root, 'origin.git');
  const dev = join(root, 'dev');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  execFileSync('git', ['init', '-q', '-b', 'main', dev]);
  const sha = {} as Repo['sha'];
  sha.root = await commit(dev, { 'app.txt': 'v1\n', 'legacy.txt': 'old code\n' }, 'initial app');
  sha.good = await commit(dev, { 'app.txt': 'v2\n' }, 'feature A');
  sha.bad = await commit(dev, { 'app.txt': 'v3 broken\n', 'legacy.txt': null }, 'break checkout');
  git(dev, 'checkout', '-q', '-b', 'feature/pricing');
  await commit(dev, { 'pricing.txt': 'new prices\n' }, 'new pricing');
  git(dev, 'checkout', '-q', 'main');
  git(dev, 'merge', '-q', '--no-ff', '-m', 'Merge pull request #7 from feature/pricing', 'feature/pricing');
  sha.merge = git(dev, 'rev-parse', 'HEAD');
  sha.empty = await commit(dev, {}, 'redeploy');
  git(dev, 'push', '-q', bare, 'main');
  const checkout = join(root, 'checkout');
  execFileSync('git', ['clone', '-q', bare, checkout]);
  const globalConfig = join(root, 'gitconfig');
  await writeFile(globalConfig, '');
  const github = await startFakeGitHub({ token: GH_TOKEN, owner: 'acme', repo: 'shop', bareRepo: bare });
  cleanups.push(async () => {
    await github.close();
    await rm(root, { recursive: true, force: true });
  });
  return { root, bare, checkout, github, sha, env: { GITHUB_API_URL: github.url, GIT_CONFIG_GLOBAL: globalConfig, GITHUB_REF_NAME: 'main' } };
}

async function run(repo: Repo, inputs: Record<string, string | undefined>, checkout = repo.checkout, source = false): Promise<ActionRun> {
  const r = await runAction('promote-previous', { provider: 'git-revert', 'github-token': GH_TOKEN, ...inputs }, { cwd: checkout, env: repo.env, source });
  expect(await findSecret(r, GH_TOKEN, [repo.root])).toEqual([]);
  return r;
}

const remoteBranches = (repo: Repo) => git(repo.bare, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/').split('\n').filter(Boolean).sort();

describe('promote-previous (git-revert)', () => {
  it('reverts everything after the good commit on rollback/<sha>, pushes it and opens a pull request', async () => {
    const repo = await makeRepo();
    const r = await run(repo, { target: repo.sha.good, reason: 'checkout returns 500\nsee incident #12' });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    const branch = `rollback/${repo.sha.good.slice(0, 7)}`;
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'from-commit-sha': repo.sha.empty, 'to-commit-sha': repo.sha.good, 'to-url': 'https://github.com/acme/shop/pull/1' });
    expect(remoteBranches(repo)).toEqual(['main', branch]);
    // The pushed branch has exactly the good commit's files, made by reverts on top of main.
    expect(git(repo.bare, 'diff', '--stat', repo.sha.good, branch)).toBe('');
    expect(git(repo.bare, 'merge-base', '--is-ancestor', repo.sha.empty, branch)).toBe('');
    const subjects = git(repo.bare, 'log', '--format=%s', `${repo.sha.empty}..${branch}`).split('\n');
    expect(subjects).toEqual(['Revert "break checkout"', 'Revert "Merge pull request #7 from feature/pricing"']);
    // A runner without a configured identity commits as the Actions bot.
    expect(git(repo.bare, 'log', '-1', '--format=%ae', branch)).toBe('41898283+github-actions[bot]@users.noreply.github.com');
    const pr = repo.github.pulls[0]!;
    expect(pr).toMatchObject({ head: branch, base: 'main', title: `Rollback to ${repo.sha.good.slice(0, 7)}: checkout returns 500` });
    // Outside text, on one line and inert in Markdown (inlineText).
    expect(pr.body).toContain('checkout returns 500 see incident \\#12');
    for (const sha of [repo.sha.bad, repo.sha.merge, repo.sha.empty]) expect(pr.body).toContain(sha);
    expect(repo.github.requests.every((q) => q.authorization === `token ${GH_TOKEN}`)).toBe(true);
    // main itself is untouched and the checkout is back on it.
    expect(git(repo.bare, 'rev-parse', 'main')).toBe(repo.sha.empty);
    expect(git(repo.checkout, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(r.summary).toContain('reverted commit');
    expect(r.summary).toContain(repo.sha.bad);
  });

  it('puts the reason in the pull request redacted, its title cut only after the redaction', async () => {
    const repo = await makeRepo();
    // The token in the reason's first line across the title's cut (100 characters), and in the body.
    const reason = `${'x'.repeat(99 - 12)}${GH_TOKEN}\nthe deploy job printed ${GH_TOKEN}`;
    const r = await run(repo, { target: repo.sha.good, reason });
    expect(r.outputs.status).toBe('rolled-back');
    const pr = repo.github.pulls[0]!;
    // Redacted, the line is short enough to need no cut at all.
    expect(pr.title).toBe(`Rollback to ${repo.sha.good.slice(0, 7)}: ${'x'.repeat(99 - 12)}***`);
    expect(pr.body).toContain('the deploy job printed \\*\\*\\*');
    expect(prefixLeaks(JSON.stringify(repo.github.pulls), [GH_TOKEN])).toEqual([]);
  });

  it('writes the reason and the commit subjects in the pull request body inert: no mention pings, no Markdown renders', async () => {
    const repo = await makeRepo();
    // A commit subject that mentions a person and a team and carries Markdown, as anyone with push access can write.
    await writeFile(join(repo.checkout, 'app.txt'), 'v5\n');
    git(repo.checkout, 'commit', '-q', '-am', 'Fix for @octocat and @acme/payments: **urgent** [docs](https://evil.example/x) <img src=x>');
    git(repo.checkout, 'push', '-q', 'origin', 'main');
    const reason = 'cc @someone and @acme/oncall: _checkout_ broken, see [runbook](https://evil.example/r) <b>now</b> | `x`';
    // From the source: the bundle in dist/ is rebuilt last.
    const r = await run(repo, { target: repo.sha.good, reason }, repo.checkout, true);
    expect(r.errors).toEqual([]);
    expect(r.outputs.status).toBe('rolled-back');
    const body = repo.github.pulls[0]!.body;
    // Every mention is a code span, which GitHub neither links nor notifies.
    for (const mention of ['@someone', '@acme/oncall:', '@octocat', '@acme/payments:']) expect(body).toContain(`\`${mention.replace(/:$/, '')}\``);
    expect(body).not.toMatch(/(?<!`)@/);
    // Markdown and HTML in them are shown as written, not rendered.
    expect(body).toContain('\\_checkout\\_');
    expect(body).toContain('\\*\\*urgent\\*\\*');
    expect(body).toContain('&lt;b&gt;now&lt;/b&gt;');
    expect(body).toContain('&lt;img src=x&gt;');
    // A link is no link: its URL sits in a code span.
    expect(body).toContain('\\[`runbook](https://evil.example/r`)');
    expect(body).toContain('\\[`docs](https://evil.example/x`)');
    // The body's own Markdown is still there.
    expect(body).toContain('**Reason:** cc ');
    expect(body).toMatch(/^- [0-9a-f]{40} Fix for /m);
  });

  it('is idempotent: a re-run finds the pushed branch and its pull request; after the merge it is already-current', async () => {
    const repo = await makeRepo();
    expect((await run(repo, { target: repo.sha.good })).outputs.status).toBe('rolled-back');
    const again = await run(repo, { target: repo.sha.good });
    expect(again.outputs).toMatchObject({ status: 'already-current', 'to-url': 'https://github.com/acme/shop/pull/1' });
    expect(repo.github.pulls).toHaveLength(1);
    // The pull request is merged (fast-forward) and a fresh checkout of main runs the step again.
    const branch = `rollback/${repo.sha.good.slice(0, 7)}`;
    git(repo.bare, 'update-ref', 'refs/heads/main', `refs/heads/${branch}`);
    const fresh = join(repo.root, 'fresh');
    execFileSync('git', ['clone', '-q', repo.bare, fresh]);
    const merged = await run(repo, { target: repo.sha.good, from: repo.sha.bad }, fresh);
    expect(merged.code).toBe(0);
    expect(merged.outputs.status).toBe('already-current');
    // The merged branch holds the revert of `from` and so the files from before it: either
    // finding says nothing is reverted twice.
    expect(merged.log).toMatch(new RegExp(`no longer has the changes of ${repo.sha.bad.slice(0, 7)}: ([0-9a-f]{7} reverted it|its files are those from before)`));
    expect(repo.github.pulls).toHaveLength(1);
  });

  it('does nothing when from is not in the deployed history', async () => {
    const repo = await makeRepo();
    const other = await commit(join(repo.root, 'dev'), { 'x.txt': 'x\n' }, 'never pushed');
    git(repo.checkout, 'fetch', '-q', join(repo.root, 'dev'), 'main:refs/dev-main');
    const r = await run(repo, { target: repo.sha.good, from: other });
    expect(r.outputs.status).toBe('already-current');
    expect(remoteBranches(repo)).toEqual(['main']);
  });

  it('dry-run lists the commits and changes nothing', async () => {
    const repo = await makeRepo();
    const r = await run(repo, { target: repo.sha.good, 'dry-run': 'true' });
    expect(r.outputs.status).toBe('dry-run');
    expect(r.log).toContain(`revert ${repo.sha.bad.slice(0, 7)} break checkout`);
    expect(r.log).toContain(`revert ${repo.sha.merge.slice(0, 7)} Merge pull request #7`);
    expect(remoteBranches(repo)).toEqual(['main']);
    expect(repo.github.pulls).toEqual([]);
    expect(git(repo.checkout, 'branch', '--list')).toBe('* main');
  });

  it('target previous reverts only the last commit that changed something', async () => {
    const repo = await makeRepo();
    const r = await run(repo, { target: 'previous' });
    // HEAD^ differs from HEAD by nothing (the empty commit): already current.
    expect(r.outputs.status).toBe('already-current');
    const dev = join(repo.root, 'dev');
    await commit(dev, { 'app.txt': 'v4 also broken\n' }, 'tweak');
    git(dev, 'push', '-q', repo.bare, 'main');
    git(repo.checkout, 'pull', '-q', '--ff-only');
    const again = await run(repo, { target: 'previous' });
    expect(again.outputs).toMatchObject({ status: 'rolled-back', 'to-commit-sha': repo.sha.empty });
    expect(git(repo.bare, 'log', '--format=%s', `main..rollback/${repo.sha.empty.slice(0, 7)}`)).toBe('Revert "tweak"');
  });

  it('stops on a revert that git refuses, names the commit, and pushes nothing', async () => {
    const repo = await makeRepo();
    // A file in the way of the revert (bad deleted legacy.txt; something regenerated it untracked).
    await writeFile(join(repo.checkout, 'legacy.txt'), 'generated\n');
    const r = await run(repo, { target: repo.sha.good });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(new RegExp(`Reverting ${repo.sha.bad.slice(0, 7)} \\("break checkout"\\) failed: .*legacy.txt.*Nothing was pushed and the checkout is back on main`));
    expect(remoteBranches(repo)).toEqual(['main']);
    expect(repo.github.pulls).toEqual([]);
    expect(git(repo.checkout, 'branch', '--list')).toBe('* main');
    expect(git(repo.checkout, 'status', '--porcelain')).toBe('?? legacy.txt');
  });

  it('removes the pushed branch when the pull request cannot be opened', async () => {
    const repo = await makeRepo();
    repo.github.failCreate = 403;
    const r = await run(repo, { target: repo.sha.good });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/GitHub refused \(403\) opening the pull request in acme\/shop.*pull-requests: write/);
    expect(remoteBranches(repo)).toEqual(['main']);
    expect(git(repo.checkout, 'branch', '--list')).toBe('* main');
  });

  it('tells a 403 rate limit from a missing permission when opening the pull request', async () => {
    const repo = await makeRepo();
    repo.github.rateLimitCreate = true;
    const r = await run(repo, { target: repo.sha.good });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/GitHub rate-limited the requests \(403\) while opening the pull request in acme\/shop\. Wait for the limit to reset/);
    expect(r.errors[0]).not.toMatch(/pull-requests: write/);
    expect(remoteBranches(repo)).toEqual(['main']);
  });

  const refusals: [string, (repo: Repo) => Record<string, string | undefined>, RegExp][] = [
    ['missing github-token', (repo) => ({ target: repo.sha.good, 'github-token': undefined }), /github-token is required when provider is git-revert/],
    ['bad github-token', (repo) => ({ target: repo.sha.good, 'github-token': 'ghs_not_the_right_token_000' }), /GitHub rejected the github-token \(401\) while checking access/],
    ['unknown commit', () => ({ target: 'deadbeef' }), /Commit deadbeef \(input target\) is not in the checkout.*fetch-depth: 0/],
    ['option-like target', () => ({ target: '--upload-pack=touch' }), /Input target must be a commit SHA or tag for provider git-revert/],
    ['range as target', (repo) => ({ target: `${repo.sha.root}..HEAD` }), /Input target must be a commit SHA or tag/],
    ['target not in history', () => ({ target: 'feature-only' }), /is not an ancestor of main/],
  ];
  for (const [name, inputs, message] of refusals) {
    it(`refuses: ${name}`, async () => {
      const repo = await makeRepo();
      if (name === 'target not in history') {
        const dev = join(repo.root, 'dev');
        git(dev, 'checkout', '-q', '-b', 'side', repo.sha.root);
        await commit(dev, { 'side.txt': 's\n' }, 'side');
        git(dev, 'tag', 'feature-only');
        git(dev, 'push', '-q', repo.bare, 'feature-only');
        git(repo.checkout, 'fetch', '-q', '--tags');
      }
      const r = await run(repo, inputs(repo));
      expect(r.code).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(message);
      expect(remoteBranches(repo)).toEqual(['main']);
      expect(repo.github.pulls).toEqual([]);
    });
  }

  it('refuses outside a git checkout', async () => {
    const repo = await makeRepo();
    const empty = await mkdtemp(join(tmpdir(), 'rk-not-git-'));
    cleanups.push(() => rm(empty, { recursive: true, force: true }));
    const r = await run(repo, { target: repo.sha.good }, empty);
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/is not a git checkout.*actions\/checkout with fetch-depth: 0/);
  });
});
