// A drill may only move what it can put back: the roll-forward promotes what served by its id or
// commit SHA. Fly machines running an image that matches no release (a hand-made `fly machine
// update`) have neither: with a named target the drill used to roll them back and then fail
// forward, leaving staging rolled back. Readiness now refuses, before anything changes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { runDrill } from '../../src/pipeline/drill.js';
import { parsePlanFile } from '../../src/pipeline/plan-file.js';
import { resolvePlan } from '../../src/pipeline/plan-inputs.js';
import { startFakeFly, type FakeFly } from '../platforms/fake-fly.js';

const TOKEN = 'FlyV1 fm2_lJPECAAAAAAAAdrillunnamedtoken==';
let fly: FakeFly | undefined;
let app: Server | undefined;
let dir: string | undefined;
afterEach(async () => {
  await fly?.close();
  if (app) await new Promise((resolve) => app!.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('refuses in readiness a component whose current deployment has no id to roll forward to, and changes nothing', async () => {
  fly = await startFakeFly();
  fly.addToken(TOKEN, ['hotdash']);
  fly.release({});
  const good = fly.release({});
  fly.release({});
  const handMade = 'registry.fly.io/hotdash:hand-made-01';
  fly.registry.add(handMade);
  for (let i = 0; i < 2; i++) fly.machine(handMade);
  app = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => app!.listen(0, '127.0.0.1', resolve));
  dir = await mkdtemp(join(tmpdir(), 'rk-drill-unnamed-'));
  const text = [
    'environment: staging',
    'components:',
    `  api: { provider: fly, app: hotdash, target: v${good.version}, api-url: "${fly.url}", machines-api-url: "${fly.url}", registry-url: "${fly.url}" }`,
    'verify:',
    `  base-url: http://127.0.0.1:${(app.address() as AddressInfo).port}`,
    '  checks: "- {name: health, url: /}"',
    '  attempts: 1',
    '  interval-seconds: 0',
    '',
  ].join('\n');
  const plan = resolvePlan(parsePlanFile(text, 'rollback-kit.staging.yml'), {}, { hasDatabaseUrl: false });
  const log = memoryLog();
  const record = await runDrill(
    { plan, reason: 'drill', dryRun: false, secrets: { flyToken: TOKEN }, workspace: dir, snapshotDir: join(dir, 'snapshots'), github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' }, commandEnv: {} },
    {},
    log,
  );
  const target = record.readiness.find((r) => r.check === 'target' && r.component === 'api');
  expect(target?.status, JSON.stringify(record.readiness)).toBe('failed');
  expect(target?.detail).toMatch(/^what serves now has no id or commit SHA to promote back by \(fly named none\): the drill could roll it back, but not forward again/);
  expect(record.failedPhase).toBe('readiness');
  expect(fly.images()).toEqual([handMade, handMade]);
  expect(fly.requestsTo(/^POST \/v1\/apps\/hotdash\/machines\//)).toEqual([]);
  expect(log.lines.join('\n')).not.toContain('fm2_lJPECAAAAAAAAdrillunnamedtoken');
});
