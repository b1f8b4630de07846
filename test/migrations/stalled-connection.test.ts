// A connection that stops answering without closing (a proxy or NAT box that drops the flow) must
// not hang the step: past statement-timeout-seconds and a margin it fails, saying the migration in
// flight may or may not have committed and that the re-run reads the tracking table; and when it
// stalls after a migration committed, the outputs still list that migration.
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/pg.js';
import { stallingProxy } from '../helpers/stalling-proxy.js';
import { runAction } from '../helpers/run-action.js';
import { existingTables, trackingState, workspace, writeMigrations, applyMigrations, type Step } from './fixtures.js';

describe('run-down-migrations on a stalled connection', () => {
  it('gives up a margin after statement-timeout-seconds, saying the migration may or may not have committed', async () => {
    const db = await createTestDatabase('rk_down_stall');
    const ws = await workspace();
    const steps: Step[] = [1, 2, 3].map((i) => ({ version: `00${i}`, name: `t${i}`, up: `CREATE TABLE t${i} (id int);`, down: `DROP TABLE t${i};` }));
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    // The second migration's query reaches the server, which commits; its answer never comes back.
    const proxy = await stallingProxy(db, { clientSends: 'DROP TABLE t2' });
    try {
      const started = Date.now();
      const run = await runAction(
        'run-down-migrations',
        { 'database-url': proxy.url, 'require-snapshot': 'false', 'to-version': '001', 'statement-timeout-seconds': '1' },
        { cwd: ws, timeoutMs: 40_000 },
      );
      const took = Date.now() - started;
      expect(proxy.stalled()).toBe(true);
      expect(run.code).toBe(1);
      expect(took).toBeLessThan(30_000);
      expect(run.log).toContain('[2/2] reverting 002_t2.down.sql');
      const error = run.errors[0]!;
      expect(error).toContain('Lost the connection to 127.0.0.1');
      expect(error).toContain('while reverting 002_t2.down.sql');
      expect(error).toContain('no answer');
      expect(error).toContain('may or may not have committed');
      expect(error).toContain('the re-run reads rollback_kit.schema_migrations');
      expect(JSON.parse(run.outputs.reverted!)).toEqual(['003']);
    } finally {
      proxy.close();
    }
    // The server did commit: the re-run, straight to the database, finds nothing left to do.
    expect(await existingTables(db)).toEqual(['t1']);
    expect(await trackingState(db, 'plain')).toEqual(['001']);
    const rerun = await runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', 'to-version': '001' }, { cwd: ws });
    expect(rerun.errors).toEqual([]);
    expect(rerun.outputs.status).toBe('nothing-to-do');
  }, 60_000);

  it('stalls while reading the tracking table for the next migration: the one already reverted is still reported, and the re-run resumes', async () => {
    const db = await createTestDatabase('rk_down_stall_next');
    const ws = await workspace();
    const steps: Step[] = [
      { version: '001', name: 't1', up: 'CREATE TABLE t1 (id int);', down: 'DROP TABLE t1;' },
      {
        version: '002',
        name: 't2',
        up: 'CREATE TABLE t2 (id int, email text);\nCREATE INDEX t2_email_idx ON t2 (email);',
        down: 'DROP INDEX CONCURRENTLY t2_email_idx;\nDROP TABLE missing_table;\nDROP TABLE t2;',
      },
      { version: '003', name: 't3', up: 'CREATE TABLE t3 (id int);', down: 'DROP TABLE t3;' },
    ];
    const dir = await writeMigrations(ws, 'plain', steps.slice(0, 2));
    await applyMigrations(db, 'plain', dir, steps.slice(0, 2));
    const direct = (inputs: Record<string, string>) => runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', ...inputs }, { cwd: ws });
    // 002 stops after its first statement, recorded as done; then 003 is applied above it.
    const first = await direct({ steps: '1' });
    expect(first.errors[0]).toContain('1 of 3 statement(s) ran');
    steps[1]!.down = 'DROP INDEX CONCURRENTLY t2_email_idx;\nDROP TABLE IF EXISTS missing_table;\nDROP TABLE t2;';
    await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps.slice(2));

    // 003 is reverted; the query that checks 002's progress against the tracking table stalls.
    const proxy = await stallingProxy(db, { clientSends: 'string_agg(xmin' });
    try {
      const run = await runAction(
        'run-down-migrations',
        { 'database-url': proxy.url, 'require-snapshot': 'false', 'to-version': '001', 'statement-timeout-seconds': '1' },
        { cwd: ws, timeoutMs: 40_000 },
      );
      expect(proxy.stalled()).toBe(true);
      expect(run.code).toBe(1);
      const error = run.errors[0]!;
      expect(error).toContain('Lost the connection to 127.0.0.1');
      expect(error).toContain('while reverting 002_t2.down.sql, before its first statement');
      expect(error).toContain('no answer');
      expect(error).toContain('Nothing of it ran in this run');
      expect(error).toContain('Reverted before the failure: 003_t3.down.sql.');
      expect(run.outputs.status).toBe('failed');
      expect(JSON.parse(run.outputs.reverted!)).toEqual(['003']);
      expect(run.summary).toContain('**Failed** after reverting 1 of 2.');
    } finally {
      proxy.close();
    }
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await trackingState(db, 'plain')).toEqual(['001', '002']);
    const rerun = await runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', 'to-version': '001' }, { cwd: ws });
    expect(rerun.errors).toEqual([]);
    expect(rerun.log).toContain('resuming 002_t2.down.sql at statement 2 of 3');
    expect(JSON.parse(rerun.outputs.reverted!)).toEqual(['002']);
    expect(await existingTables(db)).toEqual(['t1']);
  }, 60_000);

  it('with steps, names the to-version that finishes the plan when the first migration may have committed', async () => {
    const db = await createTestDatabase('rk_down_stall_steps');
    const ws = await workspace();
    const steps: Step[] = [1, 2].map((i) => ({ version: `00${i}`, name: `t${i}`, up: `CREATE TABLE t${i} (id int);`, down: `DROP TABLE t${i};` }));
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    const proxy = await stallingProxy(db, { clientSends: 'DROP TABLE t2' });
    try {
      const run = await runAction('run-down-migrations', { 'database-url': proxy.url, 'require-snapshot': 'false', steps: '1', 'statement-timeout-seconds': '1' }, { cwd: ws, timeoutMs: 40_000 });
      expect(proxy.stalled()).toBe(true);
      expect(run.errors[0]).toContain('may or may not have committed');
      // Nothing is known to be reverted, but `steps: 1` again would revert 001 if 002 did go.
      expect(JSON.parse(run.outputs.reverted!)).toEqual([]);
      expect(run.errors[0]).toContain('`to-version: 001`');
      expect(run.summary).toMatch(/\*\*Stopped in\*\* `002_t2\.down\.sql` \(version 002\): It may or may not have committed/);
    } finally {
      proxy.close();
    }
    expect(await existingTables(db)).toEqual(['t1']);
  }, 60_000);
});
