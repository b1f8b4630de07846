// The whole rollback through dist/rollback, as GitHub runs it: real PostgreSQL and dbmate
// migrations, the fake Vercel API, an app whose health follows production, GitHub issues and a webhook.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findSecret, type ActionRun } from '../helpers/run-action.js';
import { TOKEN } from '../promote-previous/fixture.js';
import { downWebhookUrl } from '../fakes/webhook-receiver.js';
import { applyMigrations, git, tables, writeMigrations } from '../migrations/fixtures.js';
import { ROLLBACK_LOCK_KEY } from '../../src/pipeline/ledger.js';
import { ENVIRONMENT, PROJECT, SERVICE, startFakeRailway } from '../platforms/fake-railway.js';
import { startFakeGitHub, type FakeGitHub } from '../promote-previous/fake-github.js';
import { appliedVersions, DB_PASSWORD, GITHUB_TOKEN, planYaml, rollback, startWorld, writePlan, type World } from './world.js';

let w: World;
beforeEach(async () => {
  w = await startWorld();
});
afterEach(async () => {
  await w.close();
  await rm(w.workspace, { recursive: true, force: true });
});

const json = <T = unknown>(text: string | undefined): T => JSON.parse(text ?? 'null') as T;
type Row = { phase: string; component?: string; status: string; detail: string; 'budget-ms': number };
const phases = (run: ActionRun) => json<Row[]>(run.outputs.timeline).map((r) => `${r.phase}${r.component ? `:${r.component}` : ''}=${r.status}`);
const texts = (w: World) => w.webhook.delivered.map((m) => (m as { text: string }).text);

/** Nothing secret in anything the run produced, sent or filed. */
async function expectNoSecrets(run: ActionRun, w: World): Promise<void> {
  const sent = JSON.stringify(w.webhook.requests.map((r) => r.raw)) + JSON.stringify(w.issues.requests.map((r) => r.body ?? null));
  for (const secret of [TOKEN, GITHUB_TOKEN, DB_PASSWORD, w.webhook.secretPath]) {
    expect(await findSecret(run, secret, [w.workspace]), secret.slice(0, 6)).toEqual([]);
    expect(sent.includes(secret), `${secret.slice(0, 6)} in a message or issue`).toBe(false);
  }
}

describe('rollback (root action)', () => {
  it('scope full: app in parallel, snapshot, down migration, environment, verify, incident issue and messages', async () => {
    await writePlan(w, planYaml(w));
    // Changed after the good deployment was built: the next redeploy would pick it up.
    w.shop.vercel.addEnv(w.shop.project, { key: 'PAYMENTS_API_KEY', value: 'sk_live_not_to_be_seen_000', createdAt: w.shop.bad.createdAt });
    w.shop.vercel.addEnv(w.shop.project, { key: 'OLD_FLAG', value: 'on', createdAt: w.shop.history[0]!.createdAt });
    w.shop.vercel.addEnv(w.shop.project, { key: 'PREVIEW_ONLY', value: 'x', target: ['preview'], createdAt: w.shop.bad.createdAt });
    expect(w.app.healthy()).toBe(false);

    const run = await rollback(w, { scope: 'full', from: `web=${w.shop.bad.uid}` });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('rolled-back');
    expect(run.outputs['failed-phase']).toBe('');
    expect(w.shop.vercel.production(w.shop.project)?.uid).toBe(w.shop.good.uid);
    expect(w.app.healthy()).toBe(true);
    expect(await readFile(join(w.workspace, 'api-rollbacks.txt'), 'utf8')).toBe('api-v1\n');
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002']);
    expect(json(run.outputs.reverted)).toEqual(['20240101000003']);
    expect(json(run.outputs.components)).toEqual({
      web: { status: 'rolled-back', from: w.shop.bad.uid, to: w.shop.good.uid },
      api: { status: 'rolled-back', from: null, to: 'api-v1' },
    });
    expect(run.outputs['snapshot-path']).toMatch(/before-rollback.*\.dump$/);
    expect(run.outputs.decision).toBe('none');
    expect(phases(run)).toEqual([
      'plan=ok',
      'notify-start=ok',
      expect.stringMatching(/^app:(web|api)=ok$/),
      expect.stringMatching(/^app:(web|api)=ok$/),
      'snapshot=ok',
      'database=ok',
      'environment=warning',
      'verify=ok',
      'report=ok',
      'notify-end=ok',
    ]);
    // The log has a line for every row, notify-start, report and notify-end too, then how it ended.
    for (const r of json<Row[]>(run.outputs.timeline)) expect(run.log).toContain(`[${r.phase}${r.component ? ` ${r.component}` : ''}] ${r.status} in `);
    expect(run.log).toMatch(/^\[notify-end\] ok in .*told the team how it ended$/m);
    expect(run.log).toMatch(/^Rollback complete: production runs .* again(, with \d+ migrations? reverted)?$/m);
    // It ends with the total in the job summary's words.
    expect(run.log).toMatch(/^Total: .* of 15 min 0 s budget \(within budget\): the whole rollback, all of it in this job.*\.$/m);
    const env = json<Row[]>(run.outputs.timeline).find((r) => r.phase === 'environment')!;
    expect(env.detail).toContain('PAYMENTS_API_KEY');
    expect(env.detail).not.toMatch(/OLD_FLAG|PREVIEW_ONLY/);
    expect(run.log).not.toContain('sk_live_not_to_be_seen_000');
    expect(json<Row[]>(run.outputs.timeline).find((r) => r.phase === 'app')!['budget-ms']).toBe(180_000);

    // The incident issue and the messages.
    expect(w.issues.created()).toHaveLength(1);
    expect(run.outputs['incident-issue-url']).toBe(w.issues.created()[0]!.html_url);
    expect(w.issues.created()[0]!.labels).toEqual(expect.arrayContaining(['incident', 'rollback']));
    const messages = texts(w);
    expect(messages.length).toBeGreaterThanOrEqual(3);
    expect(messages[0]).toMatch(/in progress/i);
    expect(messages.at(-1)).toMatch(/complete/i);
    expect(run.summary).toContain('PAYMENTS_API_KEY');
    await expectNoSecrets(run, w);
  });

  it('scope app (the default) leaves the database alone; a re-run changes nothing and comments on the issue', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const first = await rollback(w, { from: w.shop.bad.uid });
    expect(first.errors).toEqual([]);
    expect(first.outputs.status).toBe('rolled-back');
    expect(await appliedVersions(w.db)).toHaveLength(3);
    expect(phases(first)).toEqual(expect.arrayContaining(['app:web=ok', 'snapshot=skipped', 'database=skipped', 'verify=ok']));
    const rollbackRequests = w.shop.vercel.requestsTo(/^POST .*\/rollback\//).length;

    const again = await rollback(w, { from: w.shop.bad.uid });
    expect(again.errors).toEqual([]);
    expect(again.code).toBe(0);
    expect(again.outputs.status).toBe('nothing-to-do');
    expect(w.shop.vercel.requestsTo(/^POST .*\/rollback\//)).toHaveLength(rollbackRequests);
    expect(w.issues.created().filter((i) => i.title)).toHaveLength(1);
    expect(w.issues.issues[0]!.comments).toHaveLength(1);
    expect(again.outputs['incident-issue-url']).toContain(w.issues.issues[0]!.html_url);
    // Nothing left to roll back, and production is checked again (it passes).
    expect(phases(again)).toEqual(expect.arrayContaining(['plan=ok', 'app:web=skipped', 'verify=ok', 'report=ok']));
  });

  it('scope db with steps: a re-run never reverts one more migration', async () => {
    // The app stays broken (not in scope): verify the database only.
    await writePlan(w, planYaml(w, { verify: '  checks: "- {name: t1 is there, query: SELECT count(*) FROM t1, expect-value: 1}"' }));
    const first = await rollback(w, { scope: 'db' });
    expect(first.errors).toEqual([]);
    expect(first.outputs.status).toBe('rolled-back');
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002']);
    expect(w.shop.vercel.production(w.shop.project)?.uid).toBe(w.shop.bad.uid);
    // Nothing says the app is rolled back: the plan row, the components output and the summary hold the database alone.
    expect(json<{ phase: string; detail: string }[]>(first.outputs.timeline).find((r) => r.phase === 'plan')!.detail).toMatch(/^database: [^;]*; verify: 1 check\(s\); budget/);
    expect(json(first.outputs.components)).toEqual({});
    expect(first.summary).not.toContain('Components: from and to');

    // "Re-run jobs" keeps the run id: the same incident.
    const again = await rollback(w, { scope: 'db' });
    expect(again.errors).toEqual([]);
    expect(again.outputs.status).toBe('nothing-to-do');
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002']);
    expect(json(again.outputs.reverted)).toEqual(['20240101000003']);
  });

  it('the same incident name after its migrations were applied again: refused, not "nothing to do", and nothing changes', async () => {
    await writePlan(w, planYaml(w, { verify: '  checks: "- {name: t1 is there, query: SELECT count(*) FROM t1, expect-value: 1}"' }));
    const first = await rollback(w, { scope: 'db' });
    expect(first.outputs.status).toBe('rolled-back');
    // A fix deployed, then a new bad deploy brings the migration back: a new incident, under the
    // same name when nothing names it (the command line without --from, a re-run of a finished run).
    await applyMigrations(w.db, 'dbmate', join(w.workspace, 'db/migrations'), tables(3));
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002', '20240101000003']);

    const again = await rollback(w, { scope: 'db' });
    expect(again.code).not.toBe(0);
    expect(again.outputs.status).toBe('failed');
    expect(again.outputs['failed-phase']).toBe('plan');
    expect(again.errors.join('\n')).toMatch(/finished rolling the database back \(it reverted 20240101000003\), and 20240101000003 is applied again since/);
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002', '20240101000003']);
    // The earlier run's work is not this run's: the migration is back in place, nothing to remove.
    expect(json(again.outputs.reverted)).toEqual([]);
    expect(again.summary).not.toMatch(/was reverted: remove or fix/);
  });

  it('a re-run of a finished run after the next deploy applied a migration: refused in plan, naming it, and nothing changes', async () => {
    await writePlan(w, planYaml(w, { verify: '  checks: "- {name: t1 is there, query: SELECT count(*) FROM t1, expect-value: 1}"' }));
    const first = await rollback(w, { scope: 'db' });
    expect(first.outputs.status).toBe('rolled-back');
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002']);
    // The fix dropped 003; the next bad deploy applies 004. "Re-run jobs" on the finished run keeps
    // its run id, so its key: finding its row done would leave 004 applied and say rolled back.
    const [, , three, four] = tables(4);
    await rm(join(w.workspace, 'db/migrations', `${three!.version}_${three!.name}.sql`));
    await writeMigrations(w.workspace, 'dbmate', [four!]);
    await applyMigrations(w.db, 'dbmate', join(w.workspace, 'db/migrations'), [four!]);
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002', '20240101000004']);

    const again = await rollback(w, { scope: 'db' });
    expect(again.code).not.toBe(0);
    expect(again.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'plan' });
    const error = again.errors.join('\n');
    expect(error).toMatch(/finished rolling the database back \(it reverted 20240101000003\), and 20240101000004 was applied since, which that plan did not count/);
    expect(error).toContain('Start a new workflow run for the new incident rather than re-running the finished one');
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002', '20240101000004']);
    expect(json(again.outputs.reverted)).toEqual([]);
  });

  it('scope db on a database that cannot be reached: fails in plan, and the summary says nothing changed', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const run = await rollback(w, { scope: 'db', 'database-url': `postgres://app:${DB_PASSWORD}@127.0.0.1:1/shop` });
    expect(run.code).not.toBe(0);
    expect(run.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'plan' });
    expect(run.summary).toContain('**State now**: nothing changed: the run stopped before it touched any app or the database.');
    expect(run.summary).not.toMatch(/\*\*State now\*\*: \./);
    await expectNoSecrets(run, w);
  });

  it('a Vercel token refused while planning: fails in plan, and every component says it never ran, in the output and the summary', async () => {
    await writePlan(w, planYaml(w));
    const run = await rollback(w, { scope: 'full', 'vercel-token': 'vercel_tok_Refused0By0Vercel0000' });
    expect(run.code).not.toBe(0);
    expect(run.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'plan' });
    // The api's preview succeeded and web's was refused: neither ran, so neither is still "planned".
    const components = json<Record<string, { status: string }>>(run.outputs.components);
    expect(Object.fromEntries(Object.entries(components).map(([name, c]) => [name, c.status]))).toEqual({ web: 'skipped', api: 'skipped' });
    expect(run.summary).toMatch(/\*\*State now\*\*: web unchanged[^\n]*; api unchanged/);
    const table = run.summary.split('### Components: from and to')[1]!.split('\n### ')[0]!;
    expect(table).toMatch(/^\| web \| vercel \| skipped \|/m);
    expect(table).toMatch(/^\| api \| command \| skipped \|/m);
    expect(run.summary).not.toMatch(/\| planned/);
    expect(w.shop.vercel.production(w.shop.project)?.uid).toBe(w.shop.bad.uid);
    await expectNoSecrets(run, w);
  });

  it('steps after a failure midway: the re-run reverts only what is left of the first plan', async () => {
    const sqlCheck = '  checks: "- {name: t1 is there, query: SELECT count(*) FROM t1, expect-value: 1}"';
    await writePlan(w, planYaml(w, { verify: sqlCheck, database: '  migrations-dir: db/migrations\n  format: dbmate\n  steps: 2' }));
    const broken = tables(3).map((s) => (s.version.endsWith('2') ? { ...s, down: 'DROP TABLE no_such_table;' } : s));
    await writeMigrations(w.workspace, 'dbmate', broken);
    const first = await rollback(w, { scope: 'db' });
    expect(first.outputs.status).toBe('failed');
    expect(first.outputs['failed-phase']).toBe('database');
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002']);

    await writeMigrations(w.workspace, 'dbmate', tables(3));
    const again = await rollback(w, { scope: 'db' });
    expect(again.errors).toEqual([]);
    expect(again.outputs.status).toBe('rolled-back');
    // steps: 2 of the first plan, not two more.
    expect(await appliedVersions(w.db)).toEqual(['20240101000001']);
    expect(json(again.outputs.reverted)).toEqual(['20240101000003', '20240101000002']);
  });

  describe('a run killed after a migration committed and before the ledger said so', () => {
    // The down SQL ends the session that holds the whole-rollback lock and writes the ledger, as a
    // killed runner would: whatever the run reverts from then on, the row never hears of it.
    const killLedger = `SELECT pg_terminate_backend(l.pid) FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND ((l.classid::bigint << 32) | l.objid::bigint) = ${ROLLBACK_LOCK_KEY} AND l.pid <> pg_backend_pid();`;
    const V = (i: number) => `2024010100000${i}`;
    const noneLeft = '  checks: "- {name: nothing applied, query: SELECT count(*) FROM schema_migrations, expect-value: 0}"';
    const ledgerRow = async () => (await w.db.query('SELECT planned, reverted, status FROM rollback_kit.rollbacks')).rows;
    /** Steps 1…3 applied; the first run reverts 3, then dies in 2 (`dies` makes the down SQL of the given migrations kill the ledger). */
    async function firstRunDies(steps: number, dies: Record<number, string>, ends: 'failed' | 'rolled-back' = 'failed'): Promise<ActionRun> {
      await writePlan(w, planYaml(w, { verify: noneLeft, database: `  migrations-dir: db/migrations\n  format: dbmate\n  steps: ${steps}` }));
      await writeMigrations(w.workspace, 'dbmate', tables(3).map((s, i) => (dies[i + 1] ? { ...s, down: `${killLedger}\n${dies[i + 1]}` } : s)));
      const first = await rollback(w, { scope: 'db' });
      expect(first.outputs.status, first.stdout + first.stderr).toBe(ends);
      if (ends === 'failed') expect(first.outputs['failed-phase']).toBe('database');
      // The down SQL is fixed for the re-run.
      await writeMigrations(w.workspace, 'dbmate', tables(3));
      return first;
    }
    /** A deploy applies 4 while the incident is open. */
    async function applyFour(): Promise<void> {
      const four = tables(4)[3]!;
      await writeMigrations(w.workspace, 'dbmate', [four]);
      await w.db.query(four.up);
      await w.db.query('INSERT INTO schema_migrations (version) VALUES ($1)', [four.version]);
    }

    it('every migration was to go (no version to keep): the re-run reverts exactly what is left of the plan, and says what was reverted', async () => {
      await firstRunDies(3, { 2: 'DROP TABLE no_such_table;' });
      expect(await appliedVersions(w.db)).toEqual([V(1), V(2)]);
      expect(await ledgerRow()).toEqual([{ planned: [V(3), V(2), V(1)], reverted: [], status: 'started' }]);

      const again = await rollback(w, { scope: 'db' });
      expect(again.errors).toEqual([]);
      expect(again.outputs.status).toBe('rolled-back');
      expect(await appliedVersions(w.db)).toEqual([]);
      expect(json(again.outputs.reverted)).toEqual([V(3), V(2), V(1)]);
      const rows = json<Row[]>(again.outputs.timeline);
      expect(rows.find((r) => r.phase === 'plan')!.detail).toContain(`database: revert ${V(2)}, ${V(1)}, what is left of the plan an earlier run for this incident started`);
      expect(rows.find((r) => r.phase === 'database')!.detail).toBe(`reverted ${V(2)}, ${V(1)} (${V(3)} was reverted by an earlier run for this incident); 0 still applied`);
      expect(again.summary).toMatch(new RegExp(`Reverted, in order:\\s+1\\. \`${V(3)}\`\\s+2\\. \`${V(2)}\`\\s+3\\. \`${V(1)}\``));
      expect(await ledgerRow()).toEqual([{ planned: [V(3), V(2), V(1)], reverted: [V(3), V(2), V(1)], status: 'done' }]);
      expect(w.issues.issues[0]!.comments.at(-1)!.body).toContain('- database: reverted, 3 migration(s) reverted for this incident');
    });

    it('killed during the last one: the plan is done, with a warning that the lock was lost, and the re-run finds nothing left', async () => {
      // Whether the lock's session is heard to end before the 'done' write or by it, the same outcome.
      const first = await firstRunDies(3, { 1: 'DROP TABLE t1;' }, 'rolled-back');
      expect(first.log).toContain('::warning::The whole-rollback lock was lost as the last migration of the plan was reverted');
      expect(await appliedVersions(w.db)).toEqual([]);
      expect(json(first.outputs.reverted)).toEqual([V(3), V(2), V(1)]);
      expect(await ledgerRow()).toEqual([{ planned: [V(3), V(2), V(1)], reverted: [], status: 'started' }]);

      const again = await rollback(w, { scope: 'db' });
      expect(again.errors).toEqual([]);
      expect(again.outputs.status).toBe('nothing-to-do');
      expect(json(again.outputs.reverted)).toEqual([V(3), V(2), V(1)]);
      expect(json<Row[]>(again.outputs.timeline).find((r) => r.phase === 'plan')!.detail).toContain(`database: nothing left to do: an earlier run for this incident reverted ${V(3)}, ${V(2)}, ${V(1)}`);
      expect(await appliedVersions(w.db)).toEqual([]);
    });

    it.each([
      ['every migration was to go', 3],
      ['a version to keep', 2],
    ])('%s, and a migration was applied since: the re-run refuses and runs nothing', async (_, steps) => {
      await firstRunDies(steps, { 2: 'DROP TABLE no_such_table;' });
      await applyFour();
      const applied = await appliedVersions(w.db);
      expect(applied).toEqual([V(1), V(2), V(4)]);

      const again = await rollback(w, { scope: 'db' });
      expect(again.code).not.toBe(0);
      expect(again.outputs['failed-phase']).toBe('plan');
      expect(again.errors[0]).toContain(`The whole rollback for incident production:run-4242 planned to revert ${[V(3), V(2), V(1)].slice(0, steps).join(', ')}, but ${V(4)}_create_t4.sql was applied since`);
      expect(again.errors[0]).toContain('Nothing was run.');
      expect(await appliedVersions(w.db)).toEqual(applied);
    });
  });

  it('since-ref choosing a migration below one it keeps: the database phase reverts that one, not the newest', async () => {
    // 2 came from a branch merged after `good`, with an older timestamp than 3, which `good` had.
    await git(w.workspace, 'init', '-q');
    await git(w.workspace, 'add', `db/migrations/20240101000001_create_t1.sql`, `db/migrations/20240101000003_create_t3.sql`);
    await git(w.workspace, 'commit', '-q', '-m', 'good');
    await git(w.workspace, 'tag', 'good');
    await git(w.workspace, 'add', '-A', 'db');
    await git(w.workspace, 'commit', '-q', '-m', 'bad');
    await writePlan(w, planYaml(w, { verify: '  checks: "- {name: t3 is there, query: SELECT count(*) FROM t3, expect-value: 1}"', database: '  migrations-dir: db/migrations\n  format: dbmate\n  since-ref: good' }));
    const run = await rollback(w, { scope: 'db' });
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('rolled-back');
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000003']);
    expect(json(run.outputs.reverted)).toEqual(['20240101000002']);
  });

  it('two runs at once: one reverts, the other waits for it and finds nothing left to do', async () => {
    await writePlan(w, planYaml(w, { verify: '  checks: "- {name: t1 is there, query: SELECT count(*) FROM t1, expect-value: 1}"' }));
    const [a, b] = await Promise.all([rollback(w, { scope: 'db' }), rollback(w, { scope: 'db' })]);
    // The whole-rollback lock is taken before the snapshot: the second run waits for the first
    // (holding no table lock, so neither can give way to the other) and takes no snapshot.
    expect([a.errors, b.errors]).toEqual([[], []]);
    expect([a.outputs.status, b.outputs.status].sort()).toEqual(['nothing-to-do', 'rolled-back']);
    const second = a.outputs.status === 'nothing-to-do' ? a : b;
    expect(second.outputs['snapshot-path']).toBe('');
    expect(phases(second)).toContain('snapshot=skipped');
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002']);
  });

  it('a run that stopped after the app phase goes on with the database when re-run', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const stopped = await rollback(w, { scope: 'full', from: w.shop.bad.uid }, { RUNNER_TEMP: '/dev/null/runner-temp' });
    expect(stopped.outputs['failed-phase']).toBe('snapshot');
    expect(w.shop.vercel.production(w.shop.project)?.uid).toBe(w.shop.good.uid);
    expect(await appliedVersions(w.db)).toHaveLength(3);

    const resumed = await rollback(w, { scope: 'full', from: w.shop.bad.uid });
    expect(resumed.errors).toEqual([]);
    expect(resumed.outputs.status).toBe('rolled-back');
    expect(json(resumed.outputs.components)).toMatchObject({ web: { status: 'already-current' } });
    expect(phases(resumed)).toEqual(expect.arrayContaining(['app:web=nothing-to-do', 'snapshot=ok', 'database=ok', 'verify=ok']));
    expect(await appliedVersions(w.db)).toEqual(['20240101000001', '20240101000002']);
    expect(w.issues.created().filter((i) => i.title)).toHaveLength(1);
  });

  it('dry run resolves everything and changes nothing', async () => {
    await writePlan(w, planYaml(w));
    const run = await rollback(w, { scope: 'full', 'dry-run': true });
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('dry-run');
    expect(phases(run)).toEqual(['plan=dry-run']);
    const plan = json<Row[]>(run.outputs.timeline)[0]!;
    expect(plan.detail).toContain(`web: ${w.shop.bad.uid} → ${w.shop.good.uid}`);
    expect(plan.detail).toContain('database: revert 20240101000003');
    expect(plan.detail).toContain('verify: 1 check(s)');
    expect(w.shop.vercel.production(w.shop.project)?.uid).toBe(w.shop.bad.uid);
    expect(await appliedVersions(w.db)).toHaveLength(3);
    expect(w.shop.vercel.requestsTo(/^POST /)).toEqual([]);
    expect(w.issues.created()).toEqual([]);
    expect(w.webhook.requests).toEqual([]);
    expect(run.summary).toMatch(/dry run/i);
  });

  it('a failing snapshot: no database phase, the incident and the messages still go out', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    // The snapshot folder cannot be created (RUNNER_TEMP is under a file).
    const run = await rollback(w, { scope: 'full' }, { RUNNER_TEMP: '/dev/null/runner-temp' });
    expect(run.code).not.toBe(0);
    expect(run.outputs.status).toBe('failed');
    expect(run.outputs['failed-phase']).toBe('snapshot');
    expect(run.errors[0]).toMatch(/^Rollback failed in snapshot: /);
    expect(phases(run)).toEqual(expect.arrayContaining(['app:web=ok', 'snapshot=failed', 'database=skipped', 'verify=ok', 'report=ok', 'notify-end=ok']));
    expect(await appliedVersions(w.db)).toHaveLength(3);
    expect(w.issues.created()).toHaveLength(1);
    expect(texts(w).at(-1)).toMatch(/failed/i);
    await expectNoSecrets(run, w);
  });

  it('a failing component: the others still roll back, the database is not touched', async () => {
    await writePlan(w, planYaml(w).replace('>> api-rollbacks.txt', '>> api-rollbacks.txt; exit 3'));
    const run = await rollback(w, { scope: 'full' });
    expect(run.code).not.toBe(0);
    expect(run.outputs.status).toBe('failed');
    expect(run.outputs['failed-phase']).toBe('app');
    expect(json(run.outputs.components)).toMatchObject({ web: { status: 'rolled-back' }, api: { status: 'failed' } });
    expect(phases(run)).toEqual(expect.arrayContaining(['app:api=failed', 'app:web=ok', 'snapshot=skipped', 'database=skipped', 'verify=ok']));
    expect(await appliedVersions(w.db)).toHaveLength(3);
    expect(run.errors[0]).toMatch(/Rollback failed in app: api: .*exited with status 3.* web \(now on dpl_\w+.*\) was rolled back all the same\./);
  });

  it('a verify that still fails ends unverified: a person must act now', async () => {
    await writePlan(w, planYaml(w, { api: false, verify: '  checks: "- {name: checkout, url: /api/health, critical: true, status: 204}"' }));
    const run = await rollback(w, {});
    expect(run.code).not.toBe(0);
    expect(run.outputs.status).toBe('unverified');
    expect(run.outputs['failed-phase']).toBe('verify');
    expect(run.outputs.decision).toBe('rollback');
    expect(run.errors[0]).toMatch(/production still looks broken.*a person must act now/);
    expect(texts(w).at(-1)).toMatch(/UNVERIFIED|act now/i);

    // "Re-run failed jobs": nothing is left to roll back, but production still fails its checks. The
    // re-run checks again and stays a failure: never green, never "✅ Nothing to roll back" in the chat.
    const again = await rollback(w, {});
    expect(again.code).not.toBe(0);
    expect(again.outputs).toMatchObject({ status: 'unverified', 'failed-phase': 'verify', decision: 'rollback' });
    expect(phases(again)).toEqual(expect.arrayContaining(['app:web=skipped', 'verify=failed']));
    expect(again.errors[0]).toMatch(/production still looks broken.*a person must act now/);
    expect(texts(w).at(-1)).toMatch(/UNVERIFIED|act now/i);
    expect(texts(w).at(-1)).not.toMatch(/Nothing to roll back/);
    expect(again.summary).not.toMatch(/Nothing to roll back/);
    expect(again.summary).toMatch(/production still fails its checks: a person must act now/);
  });

  it('scope app without database-url: the SQL checks are left out with a warning naming them, the HTTP ones still run', async () => {
    const verify = '  checks: |\n    - {name: health, url: /api/health, critical: true}\n    - {name: orders table, query: "select 1", critical: true}';
    await writePlan(w, planYaml(w, { api: false, verify }));
    const run = await rollback(w, { scope: 'app', 'database-url': undefined }, { DATABASE_URL: undefined });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('rolled-back');
    expect(phases(run)).toEqual(expect.arrayContaining(['plan=ok', 'app:web=ok', 'verify=warning']));
    expect(run.log).toMatch(/::warning::.*SQL checks orders table will not run; the HTTP checks still do/);
    const verifyRow = json<Row[]>(run.outputs.timeline).find((r) => r.phase === 'verify')!;
    expect(verifyRow.detail).toMatch(/1 of 1 checks passed.*SQL checks not run \(no database-url\): orders table/);
    expect(run.summary).toMatch(/Not run \(SQL checks, and no database connection was given\): orders table/);
    expect(run.summary).toMatch(/orders table were not run/);
    expect(w.app.healthy()).toBe(true);
  });

  it('scope app without database-url and only SQL checks: verify is skipped with a warning, the app still rolls back', async () => {
    await writePlan(w, planYaml(w, { api: false, verify: '  checks: "- {name: orders table, query: select 1, critical: true}"' }));
    const run = await rollback(w, { scope: 'app', 'database-url': undefined }, { DATABASE_URL: undefined });
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('rolled-back');
    expect(phases(run)).toEqual(expect.arrayContaining(['plan=ok', 'app:web=ok', 'verify=warning']));
    expect(json<Row[]>(run.outputs.timeline).find((r) => r.phase === 'verify')!.detail).toMatch(/skipped: every check is SQL \(orders table\)/);
    expect(run.summary).toMatch(/Checks: none that can run here/);
  });

  it('a webhook that is down is a warning, never a failure', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const run = await rollback(w, { 'notify-webhook-url': await downWebhookUrl() });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('rolled-back');
    expect(run.stdout).toMatch(/::warning::/);
    // The timeline must not claim the team was told.
    expect(phases(run)).toEqual(expect.arrayContaining(['notify-start=warning', 'notify-end=warning']));
    expect(json<Row[]>(run.outputs.timeline).find((r) => r.phase === 'notify-start')!.detail).toMatch(/not delivered.*tell the team another way/);
    // The summary sends the reader to the log: it has the row, and the warning it speaks of.
    expect(run.log).toMatch(/^\[notify-end\] warning in .*not delivered/m);
  });

  it('without a webhook the notify phases are skipped, not ok', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const run = await rollback(w, { 'notify-webhook-url': '' });
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('rolled-back');
    const rows = json<Row[]>(run.outputs.timeline).filter((r) => r.phase.startsWith('notify-'));
    expect(rows.map((r) => `${r.phase}=${r.status}: ${r.detail}`)).toEqual(['notify-start=skipped: no webhook configured', 'notify-end=skipped: no webhook configured']);
    expect(w.webhook.requests).toEqual([]);
    expect(run.summary).not.toMatch(/told the team/);
  });

  it('hands the timeline from the app job to the database job', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const appJob = await rollback(w, { scope: 'app', from: w.shop.bad.uid });
    expect(appJob.outputs.status).toBe('rolled-back');
    const dbJob = await rollback(w, { scope: 'db', from: w.shop.bad.uid, timeline: appJob.outputs.timeline });
    expect(dbJob.errors).toEqual([]);
    expect(dbJob.outputs.status).toBe('rolled-back');
    const rows = phases(dbJob);
    expect(rows.slice(0, phases(appJob).length)).toEqual(phases(appJob));
    expect(rows.slice(phases(appJob).length)).toEqual(expect.arrayContaining(['plan=ok', 'snapshot=ok', 'database=ok']));
    expect(dbJob.summary).toContain('app');
    // The app job says the database is still to come, not that the rollback is complete.
    expect(appJob.log).toMatch(/^App rolled back; the database was left out of this run's scope: production runs web .* again$/m);
    expect(appJob.summary).not.toMatch(/Rollback complete|Production is back on the previous version/);
    // The database job says where the earlier job put the app, not that production serves what it served before.
    const good = w.shop.good.uid;
    expect(json<Row[]>(appJob.outputs.timeline).find((r) => r.phase === 'app')).toMatchObject({ from: w.shop.bad.uid, to: good });
    expect(dbJob.summary.split('\n')[0]).toBe(`## ✅ Rollback complete: production runs web ${good.replace(/_/g, '\\_')} again (rolled back by the earlier job), with 1 migration reverted`);
    expect(dbJob.summary).not.toMatch(/still serves the release it served before|No application component is in scope\./);
    expect(json(dbJob.outputs.components)).toEqual({ web: { status: 'rolled-back', from: w.shop.bad.uid, to: good } });
    // The earlier job's Vercel step still stands: new pushes stay out of production until a promotion.
    expect(appJob.summary).toContain('promote the fixed deployment when it is ready');
    expect(dbJob.summary).toContain('Vercel will not put new pushes of web live until a deployment is promoted');
    // One incident: the database job comments on the app job's issue.
    expect(w.issues.created().filter((i) => i.title)).toHaveLength(1);
    expect(w.issues.issues[0]!.comments).toHaveLength(1);
  });
});

describe('rollback (root action): a promotion Vercel queues behind a rolling release', () => {
  it('is not a rollback: the run fails in app, the database is not touched, and production still serves the bad release', async () => {
    w.shop.project.rollingRelease = true;
    try {
      await writePlan(w, planYaml(w, { api: false }).replace('web: { provider: vercel,', 'web: { provider: vercel, method: promote,'));
      const versionsBefore = await appliedVersions(w.db);
      const run = await rollback(w, { scope: 'full', from: w.shop.bad.uid });
      expect(run.code).not.toBe(0);
      expect(run.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'app' });
      expect(run.errors[0]).toMatch(/queued the promotion .* rolling release.*not done until production serves/);
      expect(phases(run)).toEqual(expect.arrayContaining(['app:web=failed', 'snapshot=skipped', 'database=skipped']));
      expect(await appliedVersions(w.db)).toEqual(versionsBefore);
      expect(w.shop.vercel.production(w.shop.project)?.uid).toBe(w.shop.bad.uid);
      expect(run.summary).not.toMatch(/Rollback complete/);
    } finally {
      w.shop.project.rollingRelease = false;
    }
  });
});

describe('rollback (root action) scope verify: the final job of a split rollback', () => {
  it('changes nothing, verifies what the earlier jobs did, and reports the whole timeline on one incident', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const appJob = await rollback(w, { scope: 'app', from: w.shop.bad.uid });
    const dbJob = await rollback(w, { scope: 'db', from: w.shop.bad.uid, timeline: appJob.outputs.timeline });
    expect(dbJob.outputs.status).toBe('rolled-back');
    const vercelBefore = w.shop.vercel.requests.filter((q) => q.method !== 'GET').length;
    const versionsBefore = await appliedVersions(w.db);
    const messagesBefore = texts(w).length;

    const verifyJob = await rollback(w, { scope: 'verify', from: w.shop.bad.uid, timeline: dbJob.outputs.timeline });
    expect(verifyJob.errors).toEqual([]);
    expect(verifyJob.code).toBe(0);
    expect(verifyJob.outputs).toMatchObject({ status: 'rolled-back', decision: 'none' });
    const own = phases(verifyJob).slice(phases(dbJob).length);
    expect(own).toEqual(expect.arrayContaining(['plan=ok', 'notify-start=skipped', 'app=skipped', 'snapshot=skipped', 'database=skipped', 'verify=ok']));
    // Nothing was changed: no request that writes to Vercel, the same migrations applied.
    expect(w.shop.vercel.requests.filter((q) => q.method !== 'GET').length).toBe(vercelBefore);
    expect(await appliedVersions(w.db)).toEqual(versionsBefore);
    // The team hears the end, not a second start; the incident gets a comment, not a second issue.
    expect(texts(w).slice(messagesBefore).map((t) => t.split('\n')[0])).toEqual([expect.stringMatching(/UPDATE .*: verify ok$/), expect.stringMatching(/Rollback complete/)]);
    expect(w.issues.created().filter((i) => i.title)).toHaveLength(1);
    expect(w.issues.issues[0]!.comments).toHaveLength(2);
    await expectNoSecrets(verifyJob, w);
  });

  it('after an earlier job failed (its database phase), it ends failed naming that phase, whatever the checks say', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const appJob = await rollback(w, { scope: 'app', from: w.shop.bad.uid });
    expect(appJob.outputs.status).toBe('rolled-back');
    const earlier = [...json<Row[]>(appJob.outputs.timeline), { phase: 'database', started: new Date().toISOString(), 'duration-ms': 10, 'budget-ms': 1000, status: 'failed', detail: 'Reverting orders.down.sql failed: relation x does not exist.' }];
    const verifyJob = await rollback(w, { scope: 'verify', from: w.shop.bad.uid, timeline: JSON.stringify(earlier) });
    expect(verifyJob.code).not.toBe(0);
    expect(verifyJob.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'database' });
    expect(verifyJob.summary).not.toMatch(/Rollback complete/);
    expect(verifyJob.summary).toContain('An earlier job of this rollback failed in its database phase: Reverting orders.down.sql failed: relation x does not exist. Its job summary says what to do');
    expect(verifyJob.summary).not.toMatch(/The database rollback failed: *\n/);
  });

  it('after an app job left production unverified and a database job fixed it, it ends rolled-back and says so', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const appJob = await rollback(w, { scope: 'app', from: w.shop.bad.uid });
    expect(appJob.outputs.status).toBe('rolled-back');
    // The app job as it ends when the app alone did not fix production, then a database job whose checks pass.
    const row = (phase: string, status: string, detail: string) => ({ phase, started: new Date().toISOString(), 'duration-ms': 10, 'budget-ms': 1000, status, detail });
    const earlier = [
      ...json<Row[]>(appJob.outputs.timeline).map((r) => (r.phase === 'verify' ? { ...r, status: 'failed', detail: '0 of 1 checks passed: production still looks broken after the rollback' } : r)),
      row('plan', 'ok', 'database: revert 003'),
      row('snapshot', 'ok', 'verified snapshot'),
      row('database', 'ok', 'reverted 003'),
      row('verify', 'ok', '1 of 1 checks passed'),
    ];
    const verifyJob = await rollback(w, { scope: 'verify', from: w.shop.bad.uid, timeline: JSON.stringify(earlier) });
    expect(verifyJob.errors).toEqual([]);
    expect(verifyJob.code).toBe(0);
    expect(verifyJob.outputs).toMatchObject({ status: 'rolled-back', 'failed-phase': '', decision: 'none' });
    expect(verifyJob.summary).toMatch(/Rollback complete/);
    expect(verifyJob.summary).toContain('Production is back on the previous version');
    expect(verifyJob.summary).not.toMatch(/the checks could not be run|An earlier job of this rollback failed/);
  });

  it('on a production that is still broken it ends unverified, and still changes nothing', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const run = await rollback(w, { scope: 'verify' });
    expect(run.code).not.toBe(0);
    expect(run.outputs).toMatchObject({ status: 'unverified', 'failed-phase': 'verify', decision: 'rollback' });
    expect(phases(run)).toContain('verify=failed');
    // No earlier job ran: the timeline must not say one told the team.
    expect(json<Row[]>(run.outputs.timeline).find((r) => r.phase === 'notify-start')!.detail).toMatch(/sends no start message \(no earlier job of this rollback is known/);
    expect(run.summary).not.toMatch(/an earlier job of this rollback told the team/);
    expect(w.shop.vercel.requests.filter((q) => q.method !== 'GET')).toEqual([]);
    expect(w.shop.vercel.production(w.shop.project)?.uid).toBe(w.shop.bad.uid);
  });

  it('target overrides the plan file for this run (the Rollback workflow passes it through)', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const older = w.shop.history.at(-2)!;
    const run = await rollback(w, { scope: 'app', target: older.uid });
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('rolled-back');
    expect(w.shop.vercel.production(w.shop.project)?.uid).toBe(older.uid);
  });

  it('verify mixed with other names is refused before anything runs', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const run = await rollback(w, { scope: 'verify, app' });
    expect(run.code).not.toBe(0);
    expect(run.errors).toEqual([expect.stringMatching(/^Input scope "verify, app" mixes verify with other names/)]);
    expect(w.shop.vercel.requests.filter((q) => q.method !== 'GET')).toEqual([]);
  });
});

describe('rollback (root action) with a git-revert component', () => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' } }).trim();
  let root: string;
  let github: FakeGitHub;
  let env: Record<string, string>;
  beforeEach(async () => {
    // The workspace becomes the checkout of main (good, then bad), cloned from a local bare repository.
    root = await mkdtemp(join(tmpdir(), 'rk-pipeline-git-'));
    const bare = join(root, 'origin.git');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
    git(w.workspace, 'init', '-q', '-b', 'main');
    await writeFile(join(w.workspace, 'app.txt'), 'good\n');
    git(w.workspace, 'add', 'app.txt');
    git(w.workspace, 'commit', '-q', '-m', 'good');
    await writeFile(join(w.workspace, 'app.txt'), 'bad\n');
    git(w.workspace, 'commit', '-q', '-am', 'break checkout');
    git(w.workspace, 'remote', 'add', 'origin', bare);
    git(w.workspace, 'push', '-q', '-u', 'origin', 'main');
    github = await startFakeGitHub({ token: GITHUB_TOKEN, owner: 'acme', repo: 'shop', bareRepo: bare });
    await writeFile(join(root, 'gitconfig'), '');
    env = { GITHUB_API_URL: github.url, GIT_CONFIG_GLOBAL: join(root, 'gitconfig'), GITHUB_REF_NAME: 'main' };
    await writePlan(w, planYaml(w, { api: false }).replace(/ {2}web: \{ provider: vercel[^\n]*/, '  web: { provider: git-revert }'));
  });
  afterEach(async () => {
    await github.close();
    await rm(root, { recursive: true, force: true });
  });

  it('an opened pull request is not a rollback: the run fails in app, names the pull request to merge, and the database waits', async () => {
    const versionsBefore = await appliedVersions(w.db);
    for (const attempt of ['first run', 're-run']) {
      const run = await rollback(w, { scope: 'full', 'incident-issue': false }, env);
      expect(run.code, attempt).not.toBe(0);
      expect(run.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'app' });
      expect(json<Record<string, { status: string }>>(run.outputs.components).web!.status).toBe('pending');
      expect(run.errors[0]).toMatch(/web is not rolled back yet: pull request https:\/\/github.com\/acme\/shop\/pull\/1 reverts it .*until that pull request is merged and deployed/);
      expect(phases(run)).toEqual(expect.arrayContaining(['app:web=failed', 'snapshot=skipped', 'database=skipped', 'verify=skipped']));
      expect(run.summary).not.toMatch(/Rollback complete|Production is back on the previous version/);
      expect(run.summary).toContain('Merge `https://github.com/acme/shop/pull/1` and wait for its deploy');
      expect(run.summary).toContain('start a new run with scope db');
      expect(await appliedVersions(w.db)).toEqual(versionsBefore);
      expect(github.pulls).toHaveLength(1);
    }
  });

  it('a checkout that cannot push (no credentials, as rollback.yml checks out) is refused at plan, with what the job needs', async () => {
    const refusing = createServer((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' });
      res.end();
    });
    await new Promise<void>((done) => refusing.listen(0, '127.0.0.1', done));
    try {
      git(w.workspace, 'remote', 'set-url', 'origin', `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/acme/shop.git`);
      const run = await rollback(w, { scope: 'app', 'incident-issue': false }, env);
      expect(run.code).not.toBe(0);
      expect(run.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'plan' });
      expect(run.errors[0]).toMatch(/web \(git-revert\) could not push its revert branch from this checkout: .*Nothing was changed\. A git-revert component needs.*contents: write and pull-requests: write.*persist-credentials: true/);
      expect(phases(run)).toEqual(expect.arrayContaining(['plan=failed', 'app=skipped']));
      expect(github.pulls).toEqual([]);
      expect(git(w.workspace, 'branch', '--list')).toBe('* main');
    } finally {
      refusing.closeAllConnections();
      await new Promise<void>((done) => refusing.close(() => done()));
    }
  });
});

describe('rollback (root action) with a Railway backend', () => {
  it('rolls back a Vercel frontend and a Railway backend in parallel, the Railway token from RAILWAY_TOKEN', async () => {
    const railwayToken = 'rwy-proj-' + 'root-action-9c41d2e0-secret';
    const railway = await startFakeRailway();
    try {
      railway.addProjectToken(railwayToken, PROJECT, ENVIRONMENT);
      railway.rollbackSteps = ['DEPLOYING', 'SUCCESS'];
      const good = railway.deploy({});
      railway.deploy({ status: 'CRASHED' });
      const bad = railway.deploy({});
      await writePlan(
        w,
        planYaml(w, { api: false }).replace(
          'database:',
          `  api: { provider: railway, project: ${PROJECT}, environment: ${ENVIRONMENT}, service: ${SERVICE}, api-url: "${railway.url}" }\ndatabase:`,
        ),
      );
      const run = await rollback(w, { scope: 'app' }, { RAILWAY_TOKEN: railwayToken });
      expect(run.errors).toEqual([]);
      expect(run.code).toBe(0);
      expect(run.outputs.status).toBe('rolled-back');
      expect(json(run.outputs.components)).toEqual({
        web: { status: 'rolled-back', from: w.shop.bad.uid, to: w.shop.good.uid },
        api: { status: 'rolled-back', from: bad.id, to: good.id },
      });
      expect(w.shop.vercel.production(w.shop.project)?.uid).toBe(w.shop.good.uid);
      expect(railway.live()?.meta.commitHash).toBe(good.meta.commitHash);
      expect(bad.status).toBe('REMOVED');
      // Both components ran in the same app phase, at the same time.
      const rows = json<(Row & { started: string; 'duration-ms': number })[]>(run.outputs.timeline).filter((r) => r.phase === 'app');
      expect(rows.map((r) => `${r.component}=${r.status}`).sort()).toEqual(['api=ok', 'web=ok']);
      const [a, b] = rows.map((r) => ({ start: Date.parse(r.started), end: Date.parse(r.started) + r['duration-ms'] }));
      expect(a!.start).toBeLessThanOrEqual(b!.end);
      expect(b!.start).toBeLessThanOrEqual(a!.end);
      expect(phases(run)).toContain('verify=ok');
      expect(run.masked).toContain(railwayToken);
      expect(railway.requestsTo(/^deploymentRollback$/)).toHaveLength(1);
      // Each plan block logged once, at plan: the app phase carries it out without saying it again.
      const planLines = run.log.split('\n').filter((l) => /^Plan: /.test(l));
      expect(planLines).toEqual(expect.arrayContaining(['Plan: rollback project shop', expect.stringMatching(/^Plan: roll back the /)]));
      expect(planLines.filter((l) => l.startsWith('Plan: roll'))).toHaveLength(2);
      await expectNoSecrets(run, w);
      expect(await findSecret(run, railwayToken, [w.workspace])).toEqual([]);
      const sent = JSON.stringify(w.webhook.requests.map((r) => r.raw)) + JSON.stringify(w.issues.requests.map((r) => r.body ?? null));
      expect(sent).not.toContain(railwayToken);
    } finally {
      await railway.close();
    }
  });
});

describe('rollback: bad plans and inputs', () => {
  it('names every bad field of the plan with its place, and changes nothing', async () => {
    await writePlan(w, `components:\n  web: { provider: vercel }\n  api: { provider: fly }\ndatabase:\n  steps: 0\nverify:\n  base-url: shop\n`);
    const run = await rollback(w, { scope: 'full' });
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toMatch(/rollback plan \(rollback-kit\.yml\) has 4 problems, so nothing was run/);
    expect(run.errors[0]).toContain('line 2, components.web: project is required');
    expect(run.errors[0]).toContain('line 3, components.api: app is required for provider fly');
    expect(run.errors[0]).toContain('line 5, database.steps: must be between 1 and 1000, got 0');
    expect(run.errors[0]).toContain('line 7, verify.base-url: must be an absolute http(s) URL');
    expect(run.summary).toContain('Nothing was changed');
    expect(w.shop.vercel.requests).toEqual([]);
    expect(w.webhook.requests).toEqual([]);
  });

  it('refuses a secret in the plan without echoing it', async () => {
    const leaked = 'vercel_' + 'AbCdEf0123456789XyZ';
    await writePlan(w, planYaml(w).replace('team: ', `token: ${leaked}, team: `));
    const run = await rollback(w, {});
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toMatch(/components\.web\.token: looks like a Vercel token\. Secrets never go in the rollback plan/);
    expect(await findSecret(run, leaked)).toEqual([]);
    expect(w.shop.vercel.requests).toEqual([]);
  });

  it('an environment input that is not the plan file\'s (a typo) stops before anything runs, in every scope', async () => {
    await writePlan(w, planYaml(w, { api: false }));
    const versionsBefore = await appliedVersions(w.db);
    for (const scope of ['app', 'db', 'verify']) {
      const run = await rollback(w, { scope, environment: 'prodution', from: w.shop.bad.uid });
      expect(run.code, scope).not.toBe(0);
      expect(run.errors, scope).toEqual([expect.stringMatching(/^Input environment is "prodution", but the rollback plan rollback-kit.yml describes environment production .*Nothing was changed\./)]);
    }
    expect(w.shop.vercel.requests.filter((q) => q.method !== 'GET')).toEqual([]);
    expect(await appliedVersions(w.db)).toEqual(versionsBefore);
    expect(w.webhook.delivered).toEqual([]);
    expect(w.issues.created()).toEqual([]);
  });

  it('names the valid scopes for an unknown one', async () => {
    await writePlan(w, planYaml(w));
    const run = await rollback(w, { scope: 'frontend' });
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toContain('Input scope names "frontend", which the rollback plan (rollback-kit.yml) does not have; valid: app, db, full, verify, web, api, database.');
  });

  it.each([
    ['fly', 'fly-token', 'app: <the Fly app name, as in fly.toml>'],
    ['railway', 'railway-token', 'project: <the Railway project id>, environment: <the Railway environment id>, service: <the Railway service id>'],
    ['render', 'render-token', 'service: <the Render service id, srv-…>'],
    ['netlify', 'netlify-token', 'site: <the Netlify site id or its name.netlify.app domain>'],
  ])('without a plan file, provider %s is sent to the plan file with the keys it needs, and nothing runs', async (provider, tokenInput, keys) => {
    const token = `${provider}-root-token-` + '5f0e1d2c3b4a';
    const run = await rollback(w, { provider, [tokenInput]: token, scope: 'app' });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`input provider: ${provider} components are described in the rollback plan file: add components.<name>: { provider: ${provider}, ${keys} } to rollback-kit.yml`);
    expect(run.errors[0]).toContain('the single-component inputs describe vercel, git-revert, command only');
    expect(run.outputs.status).not.toBe('rolled-back');
    expect(w.shop.vercel.requests).toEqual([]);
    expect(w.webhook.requests).toEqual([]);
    expect(w.issues.created()).toEqual([]);
    expect(await findSecret(run, token, [w.workspace])).toEqual([]);
    await expectNoSecrets(run, w);
  });

  it('without a plan file, the inputs describe one component and the database', async () => {
    const run = await rollback(w, {
      provider: 'vercel',
      project: 'shop',
      team: 'team_acme0123456789',
      'api-url': w.shop.vercel.url,
      scope: 'full',
      steps: 2,
      'migrations-dir': 'db/migrations',
      'base-url': w.app.url,
      checks: '- {name: health, url: /api/health}',
      'github-token': '',
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('rolled-back');
    expect(json(run.outputs.components)).toMatchObject({ shop: { status: 'rolled-back' } });
    expect(await appliedVersions(w.db)).toEqual(['20240101000001']);
    expect(run.outputs['incident-issue-url']).toBe('');
    expect(w.issues.requests).toEqual([]);
  });
});
