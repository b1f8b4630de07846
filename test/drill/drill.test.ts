// The rollback drill through dist/rollback (mode drill), as GitHub runs it: the fake Vercel API,
// real PostgreSQL with dbmate migrations in a git checkout, a staging app and GitHub's issues API.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leak-scan.js';
import type { ActionRun } from '../helpers/run-action.js';
import { DB_PASSWORD, drill, GITHUB_TOKEN, startDrillWorld, TOKEN, writeDrillPlan, type DrillWorld } from './world.js';

type Row = { phase: string; component?: string; status: string; detail: string; 'duration-ms': number; 'budget-ms': number };
type Check = { check: string; component?: string; status: string; detail: string; unproven?: string[] };
const json = <T>(text: string | undefined): T => JSON.parse(text ?? 'null') as T;
const phases = (run: ActionRun) => json<Row[]>(run.outputs.timeline).map((r) => `${r.phase}${r.component ? `:${r.component}` : ''}=${r.status}`);
const readiness = (run: ActionRun) => Object.fromEntries(json<Check[]>(run.outputs.readiness).map((c) => [c.check, c]));
const changes = (w: DrillWorld) => w.vercel.requestsTo(/^POST /).map((r) => r.path.replace(/\/projects\/[^/]+/, '/projects/:id'));

/** Nothing secret in the run's outputs, log, summary or files, nor in what it filed on GitHub. */
async function expectNothingLeaked(run: ActionRun, w: DrillWorld): Promise<void> {
  await expectNoLeaks(run, [TOKEN, GITHUB_TOKEN, DB_PASSWORD], [w.workspace]);
  const filed = JSON.stringify(w.issues.requests.map((r) => r.body ?? null));
  for (const s of [TOKEN, GITHUB_TOKEN, DB_PASSWORD]) expect(filed.includes(s), `${s.slice(0, 6)} filed on GitHub`).toBe(false);
}

let w: DrillWorld;
afterEach(async () => {
  await w.close();
});

describe('rollback drill (root action, mode drill)', () => {
  beforeEach(async () => {
    w = await startDrillWorld();
    await writeDrillPlan(w);
  });

  it('goes back to the previous deployment and forward to the original, verifies both, and keeps one drill issue with the trend', async () => {
    const run = await drill(w);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('passed');
    expect(phases(run)).toEqual(['readiness=ok', 'snapshot=ok', 'back:web=ok', 'verify-back=ok', 'forward:web=ok', 'verify-forward=ok', 'report=ok']);
    // Back by instant rollback, forward by promoting the original by id: staging ends as it began.
    expect(changes(w)).toEqual([`/v1/projects/:id/rollback/${w.previous.uid}`, `/v10/projects/:id/promote/${w.current.uid}`]);
    expect(w.vercel.production(w.project)?.uid).toBe(w.current.uid);
    expect(w.project.autoAssignCustomDomains).toBe(true);
    // The way back's freeze was undone by the roll-forward: no warning that new pushes will not go live.
    expect(run.log).not.toMatch(/::warning::.*automatic domain assignment/);
    expect(run.log).toContain('web: the roll-forward undid the way back\'s freeze.');
    // A log line for every row, the report's too (it used to stop at verify-forward).
    for (const r of json<Row[]>(run.outputs.timeline)) expect(run.log).toContain(`[drill ${r.phase}${r.component ? ` ${r.component}` : ''}] ${r.status} in `);
    // Each verify saw the deployment it was meant to verify.
    expect(w.served).toEqual([w.previous.uid, w.current.uid]);
    expect(json(run.outputs.components)).toEqual({ web: { status: 'promoted', from: w.current.uid, to: w.previous.uid } });
    expect(run.outputs['snapshot-path']).toMatch(/drill.*\.dump$/);
    expect(existsSync(run.outputs['snapshot-path']!)).toBe(true);
    // Budgets are the rollback's, scaled the same way: back is timed as the app phase (3 of 15 min).
    const rows = json<Row[]>(run.outputs.timeline);
    expect(rows.find((r) => r.phase === 'back')!['budget-ms']).toBe(180_000);
    expect(rows.find((r) => r.phase === 'verify-forward')!['budget-ms']).toBe(120_000);
    expect(Number(run.outputs['way-back-ms'])).toBeGreaterThan(0);
    // Said of the environment the drill ran on: staging, not production.
    expect(rows.find((r) => r.phase === 'back')!.detail).toContain(`Staging of shop-staging now serves ${w.previous.uid}`);
    expect(run.log).not.toContain('Production of');
    expect(run.summary).not.toContain('Production of');

    const ready = readiness(run);
    expect(ready.target!.status).toBe('ok');
    expect(ready.target!.detail).toContain(`${w.current.uid} can go back to ${w.previous.uid}`);
    expect(ready['down-migrations']!.detail).toContain('20240101000003');
    expect(ready.snapshot!.detail).toMatch(/^connected to 127\.0\.0\.1:5432\/rk_drill_\w+, PostgreSQL \d+: pg_dump [\d.]+ and pg_restore [\d.]+ fit$/);
    expect(ready.token!.unproven!.join(' ')).toMatch(/roll back and promote/);

    // One issue, labelled, with a comment whose trend has this drill.
    expect(w.issues.created()).toHaveLength(1);
    const issue = w.issues.issues[0]!;
    expect(issue.title).toBe('Rollback drill (staging)');
    expect(issue.labels).toEqual(['rollback-drill']);
    expect(run.outputs['drill-issue-url']).toBe(issue.html_url);
    expect(issue.comments).toHaveLength(1);
    const first = issue.comments[0]!.body;
    expect(first).toContain('Rollback drill');
    expect(first).toContain('**Trend** (last 1 drill)');
    expect(first).toMatch(/<!-- rollback-kit:drill-result at=\S+ status=passed back=\d+ forward=\d+ total=\d+ budget=\d+ -->/);
    expect(run.summary).toContain('### rollback-kit drill (staging)');
    expect(run.summary).toContain('| Phase | Component | Took / budget | Status | Detail |');
    await expectNothingLeaked(run, w);

    // A second drill comments on the same issue, and its trend reads the first back.
    const again = await drill(w);
    expect(again.code).toBe(0);
    expect(w.issues.created()).toHaveLength(1);
    expect(issue.comments).toHaveLength(2);
    const second = issue.comments[1]!.body;
    expect(second).toContain('**Trend** (last 2 drills)');
    const trend = second.slice(second.indexOf('**Trend**'));
    expect(trend.match(/✅ passed/g)).toHaveLength(2);
    expect(trend).toContain('(this one)');
    expect(w.issues.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/issues/${issue.number}/comments`))).toBe(true);
    expect(w.vercel.production(w.project)?.uid).toBe(w.current.uid);
    await expectNothingLeaked(again, w);
  });

  it('fails over budget, and still leaves staging on the deployment it started on', async () => {
    // 0.001 minutes: every phase's share is a few milliseconds, which no real phase meets.
    const run = await drill(w, { 'budget-minutes': 0.001 });
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('failed');
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^Rollback drill failed in readiness: readiness took .* over its budget of \d+ ms/);
    expect(phases(run)).toEqual(['readiness=ok', 'snapshot=ok', 'back:web=ok', 'verify-back=ok', 'forward:web=ok', 'verify-forward=ok', 'report=ok']);
    expect(w.vercel.production(w.project)?.uid).toBe(w.current.uid);
    const comment = w.issues.issues[0]!.comments[0]!.body;
    expect(comment).toContain('❌ failed');
    expect(comment).toContain('**Why it failed**');
    expect(comment).toMatch(/back took .* over its budget/);
    expect(run.summary).toContain('Over budget');
    await expectNothingLeaked(run, w);
  });

  it('dry-run: readiness only, nothing changed, and says what the token check could not prove', async () => {
    const run = await drill(w, { 'dry-run': true });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('dry-run');
    expect(phases(run)).toEqual(['readiness=dry-run']);
    expect(json<Record<string, { status: string }>>(run.outputs.components).web!.status).toBe('dry-run');
    expect(changes(w)).toEqual([]);
    expect(w.vercel.requestsTo(/^GET \/v5\/user\/tokens\/current$/)).toHaveLength(1);
    expect(run.outputs['snapshot-path']).toBe('');
    expect(w.issues.requests).toEqual([]);
    const ready = readiness(run);
    expect(Object.keys(ready).sort()).toEqual(['checks', 'down-migrations', 'snapshot', 'target', 'token']);
    for (const c of Object.values(ready)) expect(c.status, `${c.check}: ${c.detail}`).toBe('ok');
    expect(ready.token!.detail).toContain(`the token is scoped to team`);
    expect(ready.token!.detail).toContain('the token does not expire');
    expect(run.summary).toContain('not proven:');
    expect(run.summary).toContain('dry run: readiness only');
    await expectNothingLeaked(run, w);
  });

  it('refuses to drill a plan that describes production unless told so, and changes nothing', async () => {
    await writeFile(join(w.workspace, 'rollback-kit.yml'), (await readFile(join(w.workspace, 'rollback-kit.yml'), 'utf8')).replace('environment: staging\n', ''));
    const run = await drill(w);
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/^The drill would roll back production: rollback-kit\.yml describes environment production\. Nothing was changed\. .*environment input/)]);
    // Its summary says the drill, not a rollback, stopped before it started (needs dist rebuilt).
    expect(run.summary).toContain('The drill stopped before it started. Nothing was changed.');
    expect(run.summary).not.toContain('The rollback stopped before it started');
    expect(changes(w)).toEqual([]);
    expect(w.issues.requests).toEqual([]);
  });

  it('refuses a production plan given as staging: the environment input cannot relabel the plan file', async () => {
    await writeFile(join(w.workspace, 'rollback-kit.yml'), (await readFile(join(w.workspace, 'rollback-kit.yml'), 'utf8')).replace('environment: staging\n', 'environment: production\n'));
    const run = await drill(w, { environment: 'staging' });
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/^Input environment is "staging", but the rollback plan rollback-kit\.yml describes environment production .*Nothing was changed\./)]);
    expect(changes(w)).toEqual([]);
    expect(w.issues.requests).toEqual([]);
  });

  it('refuses a git-revert component in readiness: its rollback would be a real pull request', async () => {
    const plan = await readFile(join(w.workspace, 'rollback-kit.yml'), 'utf8');
    await writeFile(join(w.workspace, 'rollback-kit.yml'), plan.replace('components:\n', 'components:\n  api: { provider: git-revert }\n'));
    const run = await drill(w);
    expect(run.code).toBe(1);
    const api = json<Check[]>(run.outputs.readiness).find((c) => c.check === 'target' && c.component === 'api');
    expect(api?.status).toBe('failed');
    expect(api?.detail).toContain('a git-revert component cannot be drilled');
    expect(changes(w)).toEqual([]);
  });

  it('refuses a command component in readiness, even with a from: it could run the command back but not forward', async () => {
    const plan = await readFile(join(w.workspace, 'rollback-kit.yml'), 'utf8');
    const api = '  api:\n    provider: command\n    command: echo rolling to "$ROLLBACK_TARGET" >> ran.txt\n    target: v1\n    from: v2\n';
    await writeFile(join(w.workspace, 'rollback-kit.yml'), plan.replace('components:\n', `components:\n${api}`));
    const run = await drill(w);
    expect(run.code).toBe(1);
    expect(run.outputs['failed-phase']).toBe('readiness');
    const check = json<Check[]>(run.outputs.readiness).find((c) => c.check === 'target' && c.component === 'api');
    expect(check?.status).toBe('failed');
    expect(check?.detail).toContain('a command component cannot be drilled');
    // The refusal ends in a bracket; its sentence still ends before the next one starts.
    expect(run.errors).toEqual([expect.stringMatching(/naming only the platform components and the database\)\. Nothing was changed\. Fix /)]);
    expect(existsSync(join(w.workspace, 'ran.txt'))).toBe(false);
    expect(changes(w)).toEqual([]);
  });

  it('refuses an unknown mode with one error line and changes nothing', async () => {
    const run = await drill(w, { mode: 'drlil' });
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/^Input mode must be rollback or drill, got "drlil"\./)]);
    expect(changes(w)).toEqual([]);
    expect(w.issues.requests).toEqual([]);
  });
});

describe('rollback drill: a broken way back', () => {
  it('fails readiness on a migration the last deploy added without down SQL, and changes nothing', async () => {
    w = await startDrillWorld({ lastMigration: { down: undefined } });
    await writeDrillPlan(w);
    const run = await drill(w);
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('failed');
    expect(run.outputs['failed-phase']).toBe('readiness');
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^Rollback drill failed in readiness: The way back is broken: down-migrations: Cannot revert 20240101000003_create_t3\.sql \(no down SQL\)/);
    expect(readiness(run)['down-migrations']!.status).toBe('failed');
    expect(phases(run)).toEqual(['readiness=failed', 'snapshot=skipped', 'back=skipped', 'verify-back=skipped', 'forward=skipped', 'verify-forward=skipped', 'report=ok']);
    // Never tried, and the drill has ended: not `planned`, which reads as still to come.
    expect(json<Record<string, { status: string }>>(run.outputs.components).web!.status).toBe('skipped');
    expect(changes(w)).toEqual([]);
    expect(w.vercel.production(w.project)?.uid).toBe(w.current.uid);
    expect(w.issues.issues[0]!.comments[0]!.body).toContain('❌ down-migrations');
    await expectNothingLeaked(run, w);
  });

  it('warns in readiness when the token expires before the next quarterly drill', async () => {
    w = await startDrillWorld({ tokenExpiresAt: Date.now() + 20 * 86_400_000 });
    await writeDrillPlan(w);
    const run = await drill(w, { 'dry-run': true });
    expect(run.code).toBe(0);
    const token = readiness(run).token!;
    expect(token.status).toBe('warning');
    expect(token.detail).toMatch(/the token expires on \d{4}-\d\d-\d\d, within 100 days/);
  });
});
