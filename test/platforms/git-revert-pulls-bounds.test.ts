// git-revert's pull request calls (Octokit) are bounded like every other API call of the project:
// a GitHub that takes the request and never answers, or answers with a body that never ends, fails
// the call with a message that says so, instead of holding the step (undici waits 300 s for the
// headers, and for a body forever) or filling the runner's memory.
import { afterEach, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { pullRequests } from '../../src/platforms/git-revert/pulls.js';
import { startFakeGitHub, type FakeGitHub } from '../promote-previous/fake-github.js';

const TOKEN = 'ghs_PullBounds0Token1234567890abcdef';
const repo = { owner: 'acme', repo: 'shop' };

let github: FakeGitHub | undefined;
afterEach(async () => {
  await github?.close();
  github = undefined;
});

// No pull request is created here: the bare repository is never looked at.
const start = () => startFakeGitHub({ token: TOKEN, ...repo, bareRepo: '/nonexistent' });

describe('git-revert pull requests against a GitHub that misbehaves', () => {
  it('a GitHub that never answers fails the call, saying it did not answer in time', async () => {
    github = await start();
    github.stall = true;
    const err = await pullRequests(TOKEN, github.url, repo, { timeoutMs: 1000 })
      .checkAccess()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as Error).message).toBe('GitHub did not answer while checking access to the repository in acme/shop: no answer within 1 s.');
    expect(github.requests).toHaveLength(1);
  });

  it('an endless answer is read up to the cap, then refused', async () => {
    github = await start();
    github.endlessBody = true;
    const err = await pullRequests(TOKEN, github.url, repo, { maxBytes: 256 * 1024 })
      .latest('rollback/abc1234')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as Error).message).toBe('The answer to GET /repos/acme/shop/pulls was larger than 262144 bytes, so it was not read further.');
  });

  it('a GitHub that answers is still read as before', async () => {
    github = await start();
    github.pulls.push({ number: 3, title: 't', body: '', head: 'rollback/abc1234', base: 'main', state: 'open', merged_at: null, html_url: 'https://github.com/acme/shop/pull/3' });
    const prs = pullRequests(TOKEN, github.url, repo, { timeoutMs: 5000, maxBytes: 64 * 1024 });
    await prs.checkAccess();
    expect(await prs.latest('rollback/abc1234')).toEqual({ number: 3, url: 'https://github.com/acme/shop/pull/3', state: 'open' });
  });
});
