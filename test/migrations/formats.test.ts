// Every format, through the bundle on real PostgreSQL: revert by steps, by version and by git ref,
// and check the schema and the tool's tracking table after each.
import { describe, expect, it } from 'vitest';
import type { FormatName } from '../../src/migrations/types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { applyMigrations, DIRS, existingTables, git, tables, trackingState, VERSION_STYLE, workspace, writeMigrations, type Step } from './fixtures.js';

const FORMATS: FormatName[] = ['dbmate', 'golang-migrate', 'node-pg-migrate', 'supabase', 'prisma', 'plain'];

/** What the tool's tracking table holds when the first `k` steps are applied. */
function expectedTracking(format: FormatName, steps: Step[], k: number): unknown {
  const kept = steps.slice(0, k);
  switch (format) {
    case 'golang-migrate':
      return k === 0 ? [] : [{ version: kept.at(-1)!.version, dirty: false }];
    case 'node-pg-migrate':
    case 'prisma':
      return kept.map((s) => `${s.version}_${s.name}`);
    default:
      return kept.map((s) => s.version);
  }
}

const down = (db: TestDatabase, ws: string, inputs: Record<string, string>) =>
  runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', ...inputs }, { cwd: ws });

describe.each(FORMATS)('run-down-migrations, %s', (format) => {
  const steps = tables(5, VERSION_STYLE[format]);

  it('reverts by steps, then by version, newest first, and then has nothing to do', async () => {
    const db = await createTestDatabase('rk_down_fmt');
    const ws = await workspace();
    const dir = await writeMigrations(ws, format, steps);
    await applyMigrations(db, format, dir, steps);
    expect(await trackingState(db, format)).toEqual(expectedTracking(format, steps, 5));

    // Auto-detection finds the folder and the format on its own.
    const bySteps = await down(db, ws, { steps: '2' });
    expect(bySteps.errors).toEqual([]);
    expect(bySteps.code).toBe(0);
    expect(bySteps.outputs.status).toBe('reverted');
    expect(JSON.parse(bySteps.outputs.reverted!)).toEqual([steps[4]!.version, steps[3]!.version]);
    expect(bySteps.outputs.count).toBe('2');
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3']);
    expect(await trackingState(db, format)).toEqual(expectedTracking(format, steps, 3));
    expect(bySteps.summary).toContain('Still applied');

    const byVersion = await down(db, ws, { 'to-version': steps[0]!.version, format, 'migrations-dir': DIRS[format] });
    expect(byVersion.code).toBe(0);
    expect(JSON.parse(byVersion.outputs.reverted!)).toEqual([steps[2]!.version, steps[1]!.version]);
    expect(await existingTables(db)).toEqual(['t1']);
    expect(await trackingState(db, format)).toEqual(expectedTracking(format, steps, 1));
    // The data of what stays is kept.
    expect((await db.query('SELECT id FROM t1')).rows).toEqual([{ id: 1 }]);

    const again = await down(db, ws, { 'to-version': steps[0]!.version });
    expect(again.code).toBe(0);
    expect(again.outputs.status).toBe('nothing-to-do');
    expect(again.outputs.count).toBe('0');
    expect(await trackingState(db, format)).toEqual(expectedTracking(format, steps, 1));
  });

  it('reverts the migrations a deploy added since a git ref', async () => {
    const db = await createTestDatabase('rk_down_ref');
    const ws = await workspace();
    await git(ws, 'init', '-q', '-b', 'main');
    const dir = await writeMigrations(ws, format, steps.slice(0, 3));
    await git(ws, 'add', '.');
    await git(ws, 'commit', '-q', '-m', 'good deploy');
    await git(ws, 'tag', 'good');
    // The down SQL of old migrations is often written later: that must not count as "added".
    await writeMigrations(ws, format, steps);
    await git(ws, 'add', '.');
    await git(ws, 'commit', '-q', '-m', 'bad deploy');
    await applyMigrations(db, format, dir, steps);

    const dry = await down(db, ws, { 'since-ref': 'good', 'dry-run': 'true' });
    expect(dry.code).toBe(0);
    expect(dry.outputs.status).toBe('dry-run');
    expect(JSON.parse(dry.outputs.plan!).map((p: { version: string }) => p.version)).toEqual([steps[4]!.version, steps[3]!.version]);
    expect(dry.log).toContain('DROP TABLE t5');
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(await trackingState(db, format)).toEqual(expectedTracking(format, steps, 5));

    const run = await down(db, ws, { 'since-ref': 'good' });
    expect(run.errors).toEqual([]);
    expect(JSON.parse(run.outputs.reverted!)).toEqual([steps[4]!.version, steps[3]!.version]);
    expect(await existingTables(db)).toEqual(['t1', 't2', 't3']);
    expect(await trackingState(db, format)).toEqual(expectedTracking(format, steps, 3));

    const again = await down(db, ws, { 'since-ref': 'good' });
    expect(again.outputs.status).toBe('nothing-to-do');
  });
});
