// The incident a git-revert rollback belongs to, through the whole rollback from the library as the
// command line runs it: no GITHUB_RUN_ID and no `from`, so the incident is named by what production
// served. The run that opens the pull request and the re-run after its merge must name the same
// incident: one incident issue (the re-run comments on it) and one ledger row, not two. Real
// repositories, the local stand-ins for GitHub's pull request and issues APIs.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import type { RollbackPlan } from '../../src/pipeline/plan-file.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { tellingDeps } from '../../src/report/rollback-deps.js';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';

const GH_TOKEN = 'ghs_Test0Token1For2Incident3Keys456789';
const IDENTITY = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...IDENTITY } }).trim();

async function commit(dir: string, content: string, message: string): Promise<string> {
  await writeFile(join(dir, 'app.txt'), content);
  git(dir, 'add', 'app.txt');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

const plan: RollbackPlan = {
  source: 'rollback-kit.yml',
  environment: 'production',
  budgetMinutes: 15,
  components: [{ name: 'web', provider: 'git-revert', target: 'previous', method: 'rollback', apiUrl: '', timeoutSeconds: 60 }],
  labels: ['incident'],
};

describe('git-revert in the whole rollback, from the command line', () => {
  it('the re-run after the merge names the same incident: it comments on the issue the first run opened', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rk-git-incident-'));
    const bare = join(root, 'origin.git');
    const dev = join(root, 'dev');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
    execFileSync('git', ['init', '-q', '-b', 'main', dev]);
    git(dev, 'remote', 'add', 'origin', bare);
    const good = await commit(dev, 'good\n', 'feature A');
    const bad = await commit(dev, 'broken\n', 'break checkout');
    git(dev, 'push', '-q', 'origin', 'main');
    const pulls: FakeGitHub = await startFakeGitHub({ token: GH_TOKEN, owner: 'acme', repo: 'shop', bareRepo: bare });
    const issues: GitHubIssuesFake = await startGitHubIssues({ token: GH_TOKEN, repository: 'acme/shop' });
    cleanups.push(async () => {
      await Promise.all([pulls.close(), issues.close()]);
      await rm(root, { recursive: true, force: true });
    });

    let checkouts = 0;
    const run = async () => {
      const workspace = join(root, `checkout-${++checkouts}`);
      execFileSync('git', ['clone', '-q', bare, workspace], { stdio: 'ignore' });
      git(workspace, 'config', 'user.name', 'Runner');
      git(workspace, 'config', 'user.email', 'runner@example.com');
      const request: RollbackRequest = {
        plan,
        scope: ['web'],
        reason: 'checkout returns 500',
        severity: 'critical',
        dryRun: false,
        earlierTimeline: [],
        secrets: { githubToken: GH_TOKEN },
        workspace,
        snapshotDir: join(workspace, 'rollback-kit-snapshots'),
        // As the command line fills it: no run id.
        github: { repository: 'acme/shop', apiUrl: pulls.url, baseBranch: 'main' },
        commandEnv: {},
      };
      const log = memoryLog();
      return runRollback(request, tellingDeps({ githubToken: GH_TOKEN, repository: 'acme/shop', githubApiUrl: issues.url }, log), log);
    };

    const first = await run();
    expect(first).toMatchObject({ status: 'failed', failedPhase: 'app', incidentKey: `production:web@${bad}` });
    expect(pulls.pulls).toHaveLength(1);
    expect(issues.issues).toHaveLength(1);

    // The pull request is merged with a merge commit, as GitHub's button makes it.
    git(dev, 'fetch', '-q', 'origin');
    const branch = pulls.pulls[0]!.head;
    git(dev, 'merge', '-q', '--no-ff', '-m', `Merge pull request #1 from acme/${branch}`, '-m', pulls.pulls[0]!.title, `origin/${branch}`);
    git(dev, 'push', '-q', 'origin', 'main', `:refs/heads/${branch}`);
    pulls.pulls[0]!.state = 'closed';
    pulls.pulls[0]!.merged_at = new Date().toISOString();
    expect(git(dev, 'diff', '--stat', good, 'HEAD')).toBe('');

    const again = await run();
    expect(again.components[0]).toMatchObject({ status: 'already-current' });
    expect(again.incidentKey).toBe(first.incidentKey);
    expect(issues.issues).toHaveLength(1);
    expect(issues.issues[0]!.comments).toHaveLength(1);
    expect(pulls.pulls).toHaveLength(1);
  });
});
