// Vercel error words read by a person on call: no empty "Passed over:" list, no "project shop for
// project shop", a finished job whose production did not switch said as that (not as a timeout), and a
// 403 that says what is known (Vercel did not call the token invalid), not that the token is valid.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { getProject } from '../../src/platforms/vercel/api.js';
import { VercelApiError, VercelClient } from '../../src/platforms/vercel/client.js';
import { vercelError } from '../../src/platforms/vercel/errors.js';
import { promoteOnVercel } from '../../src/platforms/vercel/rollback.js';
import { waitForAliasJob } from '../../src/platforms/vercel/wait.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from './fixture.js';

let fixture: ShopFixture | undefined;
afterEach(async () => {
  await fixture?.vercel.close();
  fixture = undefined;
});

it('no eligible deployment and none counted as passed over: no empty "Passed over: ." list', async () => {
  const f = (fixture = await shopFixture({ historySize: 0 }));
  // In front of the fake: the production list holds only the deployment in production (as a listing
  // whose `until` takes it in, a millisecond apart): read, never passed over, so no reasons to list.
  const proxy = createServer((req, res) => {
    void (async () => {
      const upstream = await fetch(`${f.vercel.url}${req.url}`, { method: req.method, headers: { authorization: req.headers.authorization ?? '' } });
      let body = await upstream.text();
      if (req.url?.startsWith('/v6/deployments')) {
        const all = await (await fetch(`${f.vercel.url}${req.url.replace(/&until=\d+/, '')}`, { headers: { authorization: req.headers.authorization ?? '' } })).json() as { deployments: { uid: string }[]; pagination: unknown };
        body = JSON.stringify({ ...all, deployments: all.deployments.filter((d) => d.uid === f.bad.uid).map((d) => ({ ...d, created: f.bad.createdAt - 1, createdAt: f.bad.createdAt - 1 })), pagination: { count: 1, next: null, prev: null } });
      }
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(body);
    })();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const apiUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const err = await promoteOnVercel({ token: TOKEN, project: 'shop', team: TEAM_ID, apiUrl, target: 'previous', method: 'rollback', timeoutSeconds: 60, dryRun: false, pollIntervalMs: 1, sleep: async () => undefined }, memoryLog()).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^No earlier production deployment of project shop can take over .*checked 1 older production deployment/);
    expect(err?.message).not.toContain('Passed over');
  } finally {
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  }
});

it('names the project once when what it was doing names it already', () => {
  const e = vercelError(new VercelApiError(502, undefined, 'bad gateway', false, 'GET /v9/projects/shop'), { doing: 'looking up project shop', project: 'shop' });
  expect(e.message).toBe('Vercel failed with 502 while looking up project shop, after retries. Vercel said: "bad gateway".');
  expect(vercelError(new VercelApiError(502, undefined, 'bad gateway', false, 'GET /v9/projects/shop'), { doing: 'listing deployments', project: 'shop' }).message).toContain('while listing deployments for project shop, after retries');
});

it('a 403 without invalidToken says Vercel did not call the token invalid, not that it is valid', () => {
  const e = vercelError(new VercelApiError(403, 'forbidden', 'Not authorized', false, 'GET /v9/projects/shop'), { doing: 'looking up project shop', project: 'shop', team: 'team_x' }) as RollbackKitError;
  expect(e.message).not.toContain('the token is valid');
  expect(e.message).toContain('Vercel did not call the token invalid, so most likely it has no access to that scope, or the team input names another team.');
});

it('a job that ended as succeeded while production stayed put says production did not switch, not that time ran out', async () => {
  const f = (fixture = await shopFixture({ historySize: 3 }));
  const requestedAt = Date.now();
  f.project.lastAliasRequest = { fromDeploymentId: f.bad.uid, toDeploymentId: f.good.uid, jobStatus: 'succeeded', requestedAt, type: 'rollback' };
  const client = new VercelClient({ token: TOKEN, apiUrl: f.vercel.url, team: TEAM_ID, log: memoryLog(), random: () => 0 });
  const project = await getProject(client, 'shop', true);
  const target = { id: f.good.uid } as Parameters<typeof waitForAliasJob>[2];
  let clock = 0;
  const err = await waitForAliasJob(client, project, target, { kind: 'rollback', requestedAt, deadline: 3, pollIntervalMs: 1, sleep: async () => void clock++, now: () => clock }, memoryLog()).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err?.message).toBe(`Vercel's rollback job for project shop ended as succeeded, but production did not switch to ${f.good.uid}: it still serves ${f.bad.uid}.`);
  expect(err?.message).not.toContain('did not finish within the time limit');
});
