// `rollback-kit smoke` as the action's twin: confirm-after-seconds tells a blip from an outage, and
// verified-sha records a pass as the rollback-kit/verified commit status, with the token nowhere in
// what the command printed.
import { afterEach, describe, expect, it } from 'vitest';
import { startGitHubStatuses, type GitHubStatusesFake } from '../fakes/github-statuses.js';
import { startServer } from '../smoke/servers.js';
import { runCli } from './run-cli.js';

const GH_TOKEN = 'ghs_CliVerif1edTok3nZ8yX7wV6uT5sR4qP3';
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

let github: GitHubStatusesFake | undefined;
afterEach(async () => {
  await github?.close();
  github = undefined;
});

describe('rollback-kit smoke --confirm-after-seconds', () => {
  it('a blip that recovers is inconclusive and names the flapped check', async () => {
    const site = await startServer();
    const run = await runCli(['smoke', '--base-url', site.url, '--checks', '- {name: warmup, url: /flaky/cli, critical: true}', '--attempts', '2', '--interval-seconds', '0.05', '--confirm-after-seconds', '0.2', '--json']);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ decision: 'inconclusive', flapped: ['warmup'] });
    expect(run.code).toBe(1);
  });

  it('an outage in both runs is a confirmed rollback', async () => {
    const site = await startServer();
    const run = await runCli(['smoke', '--base-url', site.url, '--checks', '- {name: down, url: /status/503, critical: true}', '--attempts', '1', '--confirm-after-seconds', '0.1', '--json']);
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: 'rollback', flapped: [] });
    expect(run.code).toBe(1);
  });
});

describe('rollback-kit smoke --verified-sha', () => {
  it('a pass sets rollback-kit/verified on the commit; the token is never printed', async () => {
    const site = await startServer();
    github = await startGitHubStatuses({ owner: 'acme', repo: 'shop', token: GH_TOKEN });
    github.addCommit(SHA);
    const run = await runCli(['smoke', '--base-url', site.url, '--checks', '- {name: health, url: /health}', '--attempts', '1', '--verified-sha', SHA, '--json'], {
      env: { GITHUB_TOKEN: GH_TOKEN, GITHUB_REPOSITORY: 'acme/shop', GITHUB_API_URL: github.url },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'passed', verified: true });
    expect(github.latest(SHA, 'rollback-kit/verified')).toMatchObject({ state: 'success' });
    expect(run.stdout + run.stderr).not.toContain(GH_TOKEN);
  });

  it('without a GitHub token it refuses before running any check', async () => {
    const site = await startServer();
    const run = await runCli(['smoke', '--base-url', site.url, '--checks', '- {name: health, url: /health}', '--verified-sha', SHA], { env: { GITHUB_REPOSITORY: 'acme/shop' } });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--github-token is required with --verified-sha');
    expect(site.requests).toEqual([]);
  });
});
