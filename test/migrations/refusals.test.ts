// Refused before anything runs, with what to do: a since-ref whose bad deploy's files are not in
// the checkout (it would report nothing to do), and COPY … FROM stdin (only psql sends its rows).
import { describe, expect, it } from 'vitest';
import { copyFromStdin } from '../../src/migrations/sql-split.js';
import { createTestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { applyMigrations, five, git, pTables, workspace, writeMigrations } from './fixtures.js';

describe('since-ref when the bad deploy’s files are gone from the checkout', () => {
  it('fails naming the applied migrations that have no file, instead of reporting nothing to do', async () => {
    const db = await createTestDatabase('rk_since_gone');
    const ws = await workspace();
    const steps = five().map((s) => ({ ...s, down: `DROP TABLE p${s.version.slice(-1)};` }));
    await git(ws, 'init', '-q');
    const dir = await writeMigrations(ws, 'plain', steps.slice(0, 3));
    await git(ws, 'add', '.');
    await git(ws, 'commit', '-q', '-m', 'good');
    await git(ws, 'tag', 'good');
    await writeMigrations(ws, 'plain', steps);
    await git(ws, 'add', '.');
    await git(ws, 'commit', '-q', '-m', 'bad');
    await applyMigrations(db, 'plain', dir, steps);
    // `git revert` of the bad commit: its migrations are still applied, their files are gone.
    await git(ws, 'revert', '--no-edit', 'HEAD');

    const run = await runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', 'since-ref': 'good' }, { cwd: ws });
    expect(run.code).not.toBe(0);
    expect(run.outputs.status).toBe('failed');
    expect(run.errors[0]).toContain('004, 005');
    expect(run.errors[0]).toMatch(/no file/);
    expect(run.errors[0]).toMatch(/[Cc]heck out/);
    expect(await pTables(db)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  });
});

describe('COPY … FROM stdin in a down file', () => {
  it('is refused before anything runs, with what to write instead (not the statement-timeout hint)', async () => {
    const db = await createTestDatabase('rk_down_copy');
    const ws = await workspace();
    const steps = five().slice(0, 2);
    steps[1]!.down = 'DELETE FROM p1;\nCOPY p1 (id) FROM stdin;\nDROP TABLE p2;';
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    const run = await runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', steps: '2' }, { cwd: ws });
    expect(run.code).not.toBe(0);
    expect(run.errors[0]).toContain('002_create_p2.down.sql line 2');
    expect(run.errors[0]).toContain('COPY p1 (id) FROM stdin');
    expect(run.errors[0]).toContain('psql');
    expect(run.errors[0]).toContain('INSERT');
    expect(run.errors[0]).not.toContain('statement-timeout-seconds');
    expect(await pTables(db)).toEqual(['p1', 'p2']);
    expect((await db.query('SELECT count(*)::int AS n FROM p1')).rows[0]!.n).toBe(1);
  });

  it.each([
    ['COPY p1 (id) FROM stdin', true],
    ['copy p1 from STDIN with (format csv)', true],
    ['-- rows follow\nCOPY p1 FROM stdin', true],
    ["COPY p1 FROM '/var/lib/postgresql/p1.csv'", false],
    ['COPY p1 TO stdout', false],
    ["SELECT 'COPY p1 FROM stdin'", false],
    ["DO $$ BEGIN PERFORM 1; END $$ -- COPY x FROM stdin", false],
  ])('COPY FROM stdin: %s → %s', (sql, expected) => {
    expect(copyFromStdin(sql)).toBe(expected);
  });
});
