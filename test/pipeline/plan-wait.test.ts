// A platform that never answers must not hold the rollback's plan phase past its budget in
// silence: the plan's look-ups are bounded by the plan's share of budget-minutes (not the
// component's timeout-seconds, which is for the app phase's wait), and every retry says so.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cli } from '../../src/cli/context.js';
import { memoryLog } from '../../src/core/log.js';
import { budgets } from '../../src/pipeline/budgets.js';
import type { ComponentPlan } from '../../src/pipeline/plan-file.js';
import { MIN_PLAN_LOOKUP_SECONDS, planRequest, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { OutOfTime } from '../../src/platforms/http/client.js';
import { promoteOnVercel } from '../../src/platforms/vercel/rollback.js';
import { TOKEN } from '../promote-previous/fixture.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of closers.splice(0)) await c();
});

/** A server that takes every request and never answers; counts the requests. */
async function neverAnswers(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer(() => void requests++);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  server.unref();
  closers.push(() => {
    server.closeAllConnections();
    return new Promise<void>((done) => server.close(() => done()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

const web = (timeoutSeconds: number): ComponentPlan => ({ name: 'web', provider: 'vercel', project: 'shop', target: 'previous', method: 'rollback', apiUrl: 'http://127.0.0.1:9', timeoutSeconds });
const request = { reason: 'x', plan: { environment: 'production' }, secrets: { vercelToken: TOKEN }, github: { repository: 'acme/shop', apiUrl: 'https://api.github.com' }, workspace: '.' } as unknown as RollbackRequest;

describe("the plan phase's look-ups", () => {
  it("end with the plan's budget, not the component's timeout-seconds", () => {
    const planned = planRequest(web(300), request, budgets(15));
    expect(planned.timeoutSeconds).toBe(30);
    expect(planned.timeoutInput).toBe("the plan phase's share of budget-minutes");
    // A larger budget gives the plan more, up to timeout-seconds; a shorter timeout-seconds stays.
    expect(planRequest(web(300), request, budgets(120)).timeoutSeconds).toBe(240);
    expect(planRequest(web(300), request, budgets(240)).timeoutSeconds).toBe(300);
    const short = planRequest(web(20), request, budgets(15));
    expect([short.timeoutSeconds, short.timeoutInput]).toEqual([20, undefined]);
    // A one-minute budget leaves the plan 2 s: the floor keeps a slow but healthy API usable.
    expect(planRequest(web(300), request, budgets(1)).timeoutSeconds).toBe(MIN_PLAN_LOOKUP_SECONDS);
  });

  it('against a Vercel that never answers: end at the bound, naming it, and say each retry', async () => {
    const api = await neverAnswers();
    const log = memoryLog();
    const waits: number[] = [];
    // The plan's bound scaled down (1 s), and a request timeout well inside it: the first attempt
    // always times out whole, and the deadline cuts an attempt short before the policy's 4 are spent.
    const err = await promoteOnVercel(
      { token: TOKEN, project: 'shop', apiUrl: api.url, method: 'rollback', target: 'previous', dryRun: true, timeoutSeconds: 1, timeoutInput: "the plan phase's share of budget-minutes", requestTimeoutMs: 400, retry: { jitterMs: 0 }, sleep: async (ms) => void waits.push(ms) },
      log,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutOfTime);
    expect((err as Error).message).toMatch(/^Vercel did not answer GET \/v9\/projects\/shop \(127\.0\.0\.1:\d+\) before the step's deadline: the plan phase's share of budget-minutes \(1 s\) ran out\.$/);
    // Each whole attempt takes its 0.4 s timeout, so no more than ceil(1 / 0.4) = 3 fit in the
    // bound, the last one cut short: fewer than the retry policy's 1 + 3. The bound ended them.
    expect(api.requests()).toBeGreaterThanOrEqual(2);
    expect(api.requests()).toBeLessThanOrEqual(3);
    const retries = log.lines.filter((l) => l.includes('retrying'));
    expect(retries).toHaveLength(api.requests() - 1);
    expect(retries[0]).toBe('Vercel has not answered GET /v9/projects/shop in 0.4 s; retrying in 0.5 s (attempt 2 of 4).');
  });
});

it('a terminal shows the retry line without --verbose, where info lines stay hidden', () => {
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const cli = new Cli('rollback', {}, { env: {}, cwd: '/', stdinIsTTY: false }, { tty: false, color: false, json: false, verbose: false });
  cli.log.info('a detail');
  cli.log.progress('Vercel has not answered GET /v9/projects/shop in 20 s; retrying in 1.0 s (attempt 2 of 4).');
  expect(stderr).toBe('Vercel has not answered GET /v9/projects/shop in 20 s; retrying in 1.0 s (attempt 2 of 4).\n');
});
