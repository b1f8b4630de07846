// A real run plans with each provider's dry run, whose notes say "Dry run: nothing was changed. A
// real run would …". None of that may reach a real run's record (its --json, its incident issue):
// an on-call engineer must never read "dry run" about a run that changed production. A component
// that failed in the app phase says what happened through its error, not through the plan's
// preview of it; one whose run stopped while planning says nothing of a dry run either.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import type { ComponentPlan } from '../../src/pipeline/plan-file.js';
import { runRollback, type RollbackRequest } from '../../src/pipeline/rollback.js';
import { incidentBody } from '../../src/report/incident.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { SERVICE_ID, startFakeRender, type FakeRender } from '../platforms/fake-render.js';

const RENDER_TOKEN = 'rnd_Zx81secretApiKeyForRender0000';
const DRY = /dry.run/i;

let render: FakeRender;
let workspace: string;
beforeEach(async () => {
  render = await startFakeRender();
  render.addToken(RENDER_TOKEN);
  render.deploy();
  render.deploy();
  workspace = await mkdtemp(join(tmpdir(), 'rk-component-notes-'));
});
afterEach(async () => {
  await render.close();
  await rm(workspace, { recursive: true, force: true });
});

const command = (name: string, cmd: string): ComponentPlan => ({ name, provider: 'command', target: `${name}-v1`, method: 'rollback', apiUrl: '', timeoutSeconds: 30, command: cmd });
const backend = (): ComponentPlan => ({ name: 'backend', provider: 'render', target: 'previous', method: 'rollback', apiUrl: render.url, timeoutSeconds: 60, service: SERVICE_ID });

function request(components: ComponentPlan[], extra: Partial<RollbackRequest> = {}): RollbackRequest {
  return {
    plan: { source: 'inputs', environment: 'production', budgetMinutes: 15, components, labels: [] },
    scope: components.map((c) => c.name),
    reason: 'checkout returns 500',
    severity: 'critical',
    dryRun: false,
    earlierTimeline: [],
    secrets: { renderToken: RENDER_TOKEN },
    workspace,
    snapshotDir: workspace,
    github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
    commandEnv: { PATH: process.env.PATH },
    pollIntervalMs: 5,
    ...extra,
  };
}

it('a real run whose app phase fails: the failed components carry no dry-run note, in the record, the summary or the incident', async () => {
  // Render turns auto-deploy off, then its rollback deploy fails: the plan's "Nothing frozen" note would be false too.
  render.rollbackSteps = ['build_in_progress', 'update_failed'];
  const log = memoryLog();
  const record = await runRollback(request([command('api', 'exit 3'), backend(), command('worker', 'true')]), {}, log);
  expect(record).toMatchObject({ status: 'failed', failedPhase: 'app', dryRun: false });
  const [api, back, worker] = record.components;
  expect(api).toMatchObject({ status: 'failed', notes: [] });
  expect(api!.error).toMatch(/exited with status 3/);
  expect(back).toMatchObject({ status: 'failed', notes: [] });
  // What did happen to it is in its error: auto-deploy was turned off and stays off.
  expect(render.service.autoDeploy).toBe('no');
  expect(back!.error).toMatch(/update_failed.*Auto-deploy stays off/);
  // The one that rolled back says what its real run did.
  expect(worker!.status).toBe('rolled-back');
  expect(worker!.notes.length).toBeGreaterThan(0);
  expect(JSON.stringify(record)).not.toMatch(DRY);
  expect(rollbackSummaryMarkdown(record, log)).not.toMatch(DRY);
  expect(incidentBody(record)).not.toMatch(DRY);
});

it('a component the plan found already current that then fails: its notes no longer say "nothing to do"', async () => {
  const gone = { ...backend(), from: 'dep-gone' };
  const progress = {
    // Render stops answering once the app phase reaches it: the plan read it, the real run cannot.
    started: (phase: string, component?: string) => phase === 'app' && component === 'backend' && render.fault(/^GET /, { status: 401, json: { id: 'unauthorized', message: 'unauthorized' } }, 100),
    finished: () => undefined,
  };
  const record = await runRollback(request([command('api', 'true'), gone]), { progress }, memoryLog());
  expect(record).toMatchObject({ status: 'failed', failedPhase: 'app' });
  expect(record.components[1]).toMatchObject({ name: 'backend', status: 'failed', notes: [] });
  expect(record.components[1]!.error).toMatch(/401/);
});

it('a real run that stops while planning, after the components were previewed: no dry-run note either', async () => {
  const plan = request([command('api', 'true')]).plan;
  const record = await runRollback(
    request([], {
      plan: { ...plan, database: { method: 'down-migrations', format: 'dbmate', migrationsDir: 'db/migrations', choice: { steps: 1 }, lockTimeoutSeconds: 5 } },
      scope: ['api', 'database'],
      // Nothing listens there: the plan fails reading the database, after the preview of api.
      database: parseConnectionString('postgres://postgres@127.0.0.1:1/rk_component_notes?connect_timeout=5'),
    }),
    {},
    memoryLog(),
  );
  expect(record).toMatchObject({ status: 'failed', failedPhase: 'plan', dryRun: false });
  // Previewed, then never run: skipped, not still planned.
  expect(record.components).toMatchObject([{ name: 'api', status: 'skipped', notes: [] }]);
  expect(JSON.stringify(record)).not.toMatch(DRY);
});

it('a dry run keeps the preview notes: there they are true', async () => {
  const record = await runRollback(request([command('api', 'exit 3'), backend()], { dryRun: true }), {}, memoryLog());
  expect(record.status).toBe('dry-run');
  expect(record.components.map((c) => [c.status, c.notes[0]])).toEqual([
    ['dry-run', 'Dry run: the command was not run.'],
    ['dry-run', expect.stringMatching(/^Dry run: nothing was changed\. A real run would turn auto-deploy off/)],
  ]);
  expect(render.service.autoDeploy).toBe('yes');
});
