// runDrill as the CLI calls it: the library with its deps, against the same staging world.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { runDrill, type DrillRequest } from '../../src/pipeline/drill.js';
import { formatDuration } from '../../src/core/duration.js';
import { parsePlanFile } from '../../src/pipeline/plan-file.js';
import { resolvePlan } from '../../src/pipeline/plan-inputs.js';
import { DB_PASSWORD, startDrillWorld, TOKEN, writeDrillPlan, type DrillWorld } from './world.js';

let w: DrillWorld;
let bin: string;
beforeEach(async () => {
  w = await startDrillWorld();
  await writeDrillPlan(w);
  bin = await mkdtemp(join(tmpdir(), 'rk-drill-bin-'));
});
afterEach(async () => {
  await w.close();
  await rm(bin, { recursive: true, force: true });
});

async function request(over: Partial<DrillRequest> = {}): Promise<DrillRequest> {
  const log = memoryLog();
  const plan = resolvePlan(parsePlanFile(await readFile(join(w.workspace, 'rollback-kit.yml'), 'utf8'), 'rollback-kit.yml'), {}, { hasDatabaseUrl: true });
  return {
    plan,
    reason: 'drill',
    dryRun: false,
    secrets: { vercelToken: TOKEN },
    database: parseConnectionString(w.databaseUrl, log),
    workspace: w.workspace,
    snapshotDir: join(bin, 'snapshots'),
    github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
    commandEnv: {},
    vercelPollIntervalMs: 10,
    ...over,
  };
}

describe('runDrill (library)', () => {
  it('fails readiness, changing nothing, when the only pg_dump is older than the server', async () => {
    // A pg_dump 14 alone on PATH, no versioned installs: a snapshot of a PostgreSQL 15+ server would abort.
    await writeFile(join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 14.11"\n');
    await chmod(join(bin, 'pg_dump'), 0o755);
    const log = memoryLog();
    const record = await runDrill(await request({ tools: { searchPath: bin, versionedRoot: join(bin, 'none') } }), {}, log);
    expect(record.status).toBe('failed');
    expect(record.failedPhase).toBe('readiness');
    const snapshot = record.readiness.find((r) => r.check === 'snapshot')!;
    expect(snapshot.status).toBe('failed');
    expect(snapshot.detail).toMatch(/^No pg_dump of version (1[5-9]|[2-9]\d) or newer: found only 14\.11 \(.*\)\. Install the client for PostgreSQL/);
    expect(w.vercel.requestsTo(/^POST /)).toEqual([]);
    expect(record.timeline.map((e) => `${e.phase}=${e.status}`)).toEqual(['readiness=failed', 'snapshot=skipped', 'back=skipped', 'verify-back=skipped', 'forward=skipped', 'verify-forward=skipped', 'report=skipped']);
    expect(log.lines.join('\n')).not.toContain(DB_PASSWORD);
  });

  it('hands the finished record to deps.report and keeps the trend it returns', async () => {
    const seen: string[] = [];
    const record = await runDrill(await request(), { report: async (r) => (seen.push(r.status), { url: 'https://github.com/acme/shop/issues/7', trend: [] }) }, memoryLog());
    expect(record.status).toBe('passed');
    expect(seen).toEqual(['passed']);
    expect(record.issueUrl).toBe('https://github.com/acme/shop/issues/7');
    expect(record.wayBackMs).toBeGreaterThan(0);
    expect(record.forwardMs).toBeGreaterThan(0);
    expect(record.components[0]).toMatchObject({ name: 'web', back: 'rolled-back', forward: 'promoted', original: { id: w.current.uid }, previous: { id: w.previous.uid } });
  });

  it('says the environment it ran on: staging now serves the deployment, not production', async () => {
    const log = memoryLog();
    const record = await runDrill(await request(), {}, log);
    expect(record.status).toBe('passed');
    const back = record.timeline.find((e) => e.phase === 'back')!;
    const forward = record.timeline.find((e) => e.phase === 'forward')!;
    expect(back.detail).toContain(`Staging of shop-staging now serves ${w.previous.uid}`);
    expect(forward.detail).toContain(`Staging of shop-staging now serves ${w.current.uid}`);
    // (The token check's "promote production of the project" is Vercel's permission, of any project.)
    expect(log.lines.filter((l) => l.includes('Production of'))).toEqual([]);
    expect(JSON.stringify(record)).not.toContain('Production of');
  });

  it('logs the way back\'s plan block once: at readiness, not again when it goes back', async () => {
    const log = memoryLog();
    const record = await runDrill(await request(), {}, log);
    expect(record.status).toBe('passed');
    const plans = log.lines.filter((l) => l.startsWith('Plan: '));
    // The way back's, then the roll-forward's (a plan of its own: promote what staging started on).
    expect(plans).toEqual(['Plan: rollback project shop-staging', 'Plan: promote project shop-staging']);
  });

  it('does not claim the whole way back works when the database part of it was only planned', async () => {
    const record = await runDrill(await request(), {}, memoryLog());
    expect(record.status).toBe('passed');
    // The budget in the words every report and the command line's own line give it ("7 min 30 s", not "450.0 s").
    expect(record.wayBackBudgetMs).toBeGreaterThanOrEqual(60_000);
    expect(record.nextSteps[0]).toContain(`of its ${formatDuration(record.wayBackBudgetMs)} budget`);
    expect(record.nextSteps[0]).toMatch(/^The way back of web works and took .* of its .* budget\. The database's was snapshotted and its down migrations checked, but they were not run or timed: the drill never changes staging's schema\.$/);
    // What the check did, in words true of any connection: the sandbox's drill is given none by
    // database-url (it said "the --database-url connects" there).
    const snapshot = record.readiness.find((r) => r.check === 'snapshot')!;
    expect(snapshot.detail).toMatch(new RegExp(`^connected to 127\\.0\\.0\\.1:5432/${w.db.name}, PostgreSQL \\d+: pg_dump \\S+ and pg_restore \\S+ fit$`));
  });
});

describe('runDrill (library): waits that cannot fit the budget', () => {
  it('warns at readiness about a wait longer than its phase\'s budget: in an incident it alone could overrun the runbook', async () => {
    const req = await request({ dryRun: true });
    req.plan.components[0]!.timeoutSeconds = 600;
    req.plan.verify!.deadlineSeconds = 300;
    const record = await runDrill(req, {}, memoryLog());
    expect(record.status).toBe('dry-run');
    // A dry run is readiness only: its warnings are all it has to say, so they are next steps too.
    expect(record.nextSteps.join('\n')).toContain("waits longer than their phase's budget");
    const budget = record.readiness.find((r) => r.check === 'budget');
    expect(budget).toMatchObject({
      status: 'warning',
      detail:
        'waits longer than their phase\'s budget (budget-minutes 15): rollback-kit.yml\'s components.web.timeout-seconds 600 s > app\'s 180 s; rollback-kit.yml\'s verify.deadline-seconds 300 s > verify\'s 120 s. In an incident each alone could overrun the runbook: shorten them, or raise budget-minutes deliberately',
    });
  });

  it('names a wait of a plan made from the inputs by its input: there is no file to point at', async () => {
    const req = await request({ dryRun: true });
    req.plan = { ...req.plan, source: 'inputs', components: [{ ...req.plan.components[0]!, timeoutSeconds: 600 }] };
    const record = await runDrill(req, {}, memoryLog());
    expect(record.readiness.find((r) => r.check === 'budget')?.detail).toContain(": web timeout-seconds 600 s > app's 180 s.");
  });

  it('adds no budget row when every wait fits', async () => {
    const record = await runDrill(await request({ dryRun: true }), {}, memoryLog());
    expect(record.readiness.map((r) => r.check)).not.toContain('budget');
  });
});

describe('runDrill (library): what a failed drill asks a person to do', () => {
  it('says the deployment a rollback would go back to does not pass the checks', async () => {
    await w.close();
    w = await startDrillWorld({ unhealthy: 'previous' });
    await writeDrillPlan(w);
    const record = await runDrill(await request(), {}, memoryLog());
    expect(record.failedPhase).toBe('verify-back');
    expect(record.nextSteps).toContain(
      `In an incident, rolling back would land on a deployment that fails the smoke checks (web: ${w.previous.uid}): fix what the failing checks say on it, or point the component's target at a deployment that passes, before you need it.`,
    );
  });
});
