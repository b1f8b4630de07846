// A split rollback: the app job rolls Render and Netlify back, which freeze the bad release out
// (Render's auto-deploy off, Netlify's publishing locked) until someone undoes it; the database job
// (a later job, its `timeline` input the app job's rows) said only Vercel's "promote when ready" of
// the earlier job. The others' "To undo" steps were lost there. They now cross jobs with the app
// rows, as Vercel's auto-assign-off does (earlierMoves), and stand in the later job's next steps.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import type { ComponentPlan } from '../../src/pipeline/plan-file.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { earlierMoves, parseTimeline } from '../../src/pipeline/timeline.js';
import { SITE_ID, startFakeNetlify, type FakeNetlify } from '../platforms/fake-netlify.js';
import { SERVICE_ID, startFakeRender, type FakeRender } from '../platforms/fake-render.js';

const RENDER_TOKEN = 'rnd_Zx81secretApiKeyForRender0000';
const NETLIFY_TOKEN = 'nfp_Secret9aXy7PersonalAccessToken';

let render: FakeRender;
let netlify: FakeNetlify;
let workspace: string;
beforeEach(async () => {
  render = await startFakeRender();
  render.addToken(RENDER_TOKEN);
  render.deploy();
  render.deploy();
  netlify = await startFakeNetlify();
  netlify.addToken(NETLIFY_TOKEN);
  netlify.deploy();
  netlify.deploy();
  workspace = await mkdtemp(join(tmpdir(), 'rk-earlier-frozen-'));
});
afterEach(async () => {
  await render.close();
  await netlify.close();
  await rm(workspace, { recursive: true, force: true });
});

const common = { target: 'previous', method: 'rollback' as const, timeoutSeconds: 60 };

function request(scope: string[], earlierTimeline: RollbackRequest['earlierTimeline'] = []): RollbackRequest {
  const components: ComponentPlan[] = [
    { ...common, name: 'backend', provider: 'render', apiUrl: render.url, service: SERVICE_ID },
    { ...common, name: 'front', provider: 'netlify', apiUrl: netlify.url, site: SITE_ID },
    { ...common, name: 'worker', provider: 'command', target: 'worker-v1', apiUrl: '', command: 'true' },
  ];
  return {
    plan: { source: 'inputs', environment: 'production', budgetMinutes: 15, components, labels: [] },
    scope,
    reason: 'checkout returns 500',
    severity: 'critical',
    dryRun: false,
    earlierTimeline,
    secrets: { renderToken: RENDER_TOKEN, netlifyToken: NETLIFY_TOKEN },
    workspace,
    snapshotDir: workspace,
    github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
    commandEnv: { PATH: process.env.PATH },
    pollIntervalMs: 5,
  };
}

it("the app job's Render and Netlify freezes, and how to undo them, stand in the later job's next steps", async () => {
  const app = await runRollback(request(['backend', 'front']), {}, memoryLog());
  expect(app.status).toBe('rolled-back');
  const undo = app.components.map((c) => {
    expect(c.frozen, c.name).toBeDefined();
    return `${c.name}: ${c.frozen!.what}${c.frozen!.undo ? ` To undo: ${c.frozen!.undo}` : ''}`;
  });
  // The app job's own next steps say them.
  for (const step of undo) expect(app.nextSteps).toContain(step);

  // Its timeline output, as the later job's `timeline` input reads it back.
  const rows = parseTimeline(JSON.stringify(app.timeline), (t) => t);
  const byName = (a: [string, unknown], b: [string, unknown]) => a[0].localeCompare(b[0]);
  expect(earlierMoves(rows).map((m): [string, unknown] => [m.name, m.frozen]).sort(byName)).toEqual(app.components.map((c): [string, unknown] => [c.name, c.frozen]).sort(byName));

  const later = await runRollback(request(['worker'], rows), {}, memoryLog());
  expect(later.status).toBe('rolled-back');
  for (const step of undo) expect(later.nextSteps).toContain(step);
});

it('a row that says what was frozen in anything but text is not a timeline; the texts are redacted as they are read', () => {
  const row = { phase: 'app', component: 'backend', started: '2026-12-03T10:00:00.000Z', 'duration-ms': 900, 'budget-ms': 60000, status: 'ok', detail: 'rolled back', to: 'dep_2' };
  expect(() => parseTimeline(JSON.stringify([{ ...row, frozen: true }]), (t) => t)).toThrow(/row 1: frozen must be text when given/);
  expect(() => parseTimeline(JSON.stringify([{ ...row, frozen: 'x', undo: 1 }]), (t) => t)).toThrow(/row 1: undo must be text when given/);
  const [read] = parseTimeline(JSON.stringify([{ ...row, frozen: 'Auto-deploy is off for pw.', undo: 'Turn it on with pw.' }]), (t) => t.replaceAll('pw', '***'));
  expect(earlierMoves([read!])).toEqual([{ name: 'backend', to: 'dep_2', frozen: { what: 'Auto-deploy is off for ***.', undo: 'Turn it on with ***.' } }]);
});
