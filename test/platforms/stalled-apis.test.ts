// Every platform call ends within the step's deadline, also when the API takes the request and
// never answers: smoke-test's verified-sha record (within deadline-seconds), and the Vercel
// environment-variable listing and token check (within the component's timeout-seconds). Each one
// says that the deadline ran out, naming the input that sets it. The servers stall for a minute; a
// call that waited for them, or for its request timeout, would not say so.
import { afterEach, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { changedProductionEnv } from '../../src/platforms/vercel/env.js';
import { vercelTokenReadiness } from '../../src/platforms/vercel/token.js';
import { recordVerified, verifiedRequest } from '../../src/smoke/record-verified.js';
import { decide } from '../../src/smoke/verdict.js';
import { startGitHubStatuses, type GitHubStatusesFake } from '../fakes/github-statuses.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';

const GH_TOKEN = 'ghs_StalledApiTok3nQ9wE8rT7yU6iO5pA4s';
const SHA = 'c0ffee0000000000000000000000000000000001';
const STALL_MS = 60_000;

let github: GitHubStatusesFake | undefined;
let vercel: ShopFixture | undefined;
afterEach(async () => {
  await github?.close();
  await vercel?.vercel.close();
  github = undefined;
  vercel = undefined;
});

describe('smoke-test verified-sha against a GitHub that never answers', () => {
  it('gives up when deadline-seconds runs out, with a warning that says so; the checks still passed', async () => {
    github = await startGitHubStatuses({ owner: 'acme', repo: 'shop', token: GH_TOKEN });
    github.addCommit(SHA);
    github.stall(100);
    const request = verifiedRequest(SHA, GH_TOKEN, { GITHUB_REPOSITORY: 'acme/shop', GITHUB_API_URL: github.url })!;
    const log = memoryLog();

    // Fractional, as deadline-seconds may be: 1.0005 s leaves 1000.5 ms, which no timer takes.
    const recorded = await recordVerified(request, decide([]), 1, 1.0005, log);

    expect(recorded).toBe(false);
    const warning = log.lines.find((l) => l.startsWith('warning: '));
    expect(warning).toContain(`commit ${SHA.slice(0, 12)} could not be recorded as verified`);
    expect(warning).toContain(`GitHub did not answer POST /repos/acme/shop/statuses/${SHA} (${new URL(github.url).host}) before the step's deadline: deadline-seconds (1.0005 s) ran out.`);
    expect(warning).toContain('or raise deadline-seconds');
    // Nothing was tried again after the deadline.
    expect(github.requests).toHaveLength(1);
    expect(log.lines.join('\n')).not.toContain(GH_TOKEN);
  });
});

describe('the Vercel calls after the app phase, against a Vercel that never answers', () => {
  async function stalledVercel(): Promise<ShopFixture> {
    vercel = await shopFixture({ historySize: 2 });
    vercel.vercel.latencyMs = STALL_MS;
    return vercel;
  }

  it('the environment-variable listing fails when timeout-seconds runs out, naming the request', async () => {
    const f = await stalledVercel();
    const err = await changedProductionEnv({ token: TOKEN, project: 'shop', team: TEAM_ID, apiUrl: f.vercel.url, since: new Date().toISOString(), timeoutSeconds: 1 }, memoryLog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).message).toBe(`Vercel did not answer GET /v10/projects/shop/env (${new URL(f.vercel.url).host}) before the step's deadline: timeout-seconds (1 s) ran out.`);
    expect((err as RollbackKitError).hint).toContain('or raise timeout-seconds');
  });

  it("the drill's token check reports the token's scope and expiry unproven, saying the deadline ran out", async () => {
    const f = await stalledVercel();
    const readiness = await vercelTokenReadiness({ token: TOKEN, apiUrl: f.vercel.url, team: TEAM_ID, project: 'shop', warnDays: 30, now: Date.now(), timeoutSeconds: 1 }, memoryLog());
    expect(readiness.problems).toEqual([]);
    expect(readiness.unproven[0]).toContain("the token's scope and expiry (Vercel did not describe the token: Vercel did not answer GET /v5/user/tokens/current");
    expect(readiness.unproven[0]).toContain('timeout-seconds (1 s) ran out');
  });
});
