// Refused before anything runs, with what to do: a since-ref whose bad deploy's files are not in
// the checkout (it would report nothing to do), and COPY … FROM stdin (only psql sends its rows).
// And not refused, nor run the wrong way, for what only looks like it inside a string or a body.
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
    ['DO $$ BEGIN IF false THEN COPY p1 FROM stdin; END IF; END $$', false],
  ])('COPY FROM stdin: %s → %s', (sql, expected) => {
    expect(copyFromStdin({ text: sql, standardConformingStrings: true })).toBe(expected);
  });
});

describe('comment markers and COPY inside strings and dollar-quoted bodies', () => {
  const fn = 'CREATE OR REPLACE FUNCTION p1_note() RETURNS text LANGUAGE sql AS $$ SELECT $q$-- not a comment /* nor this$q$ $$;';
  const copyInDo = 'DO $$ BEGIN IF false THEN COPY p1 FROM stdin; END IF; END $$;';

  it('runs a down file whose bodies hold --, /* and COPY … FROM stdin, with its real CREATE INDEX CONCURRENTLY alone', async () => {
    const db = await createTestDatabase('rk_trusttext_bodies');
    const ws = await workspace();
    const steps = five().slice(0, 2);
    steps[1]!.down = [fn, copyInDo, 'CREATE INDEX CONCURRENTLY p1_id ON p1 (id);', 'DROP TABLE p2;'].join('\n');
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    const run = await runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', steps: '1' }, { cwd: ws });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.log).toContain('reverting 002_create_p2.down.sql (non-transactional: statement by statement)');
    expect(await pTables(db)).toEqual(['p1']);
    expect((await db.query("SELECT to_regclass('p1_id') IS NOT NULL AS ok, p1_note() AS note")).rows[0]).toEqual({ ok: true, note: '-- not a comment /* nor this' });
  });

  it('keeps a down file whose strings only mention CONCURRENTLY in one transaction: a failure leaves nothing of it', async () => {
    const db = await createTestDatabase('rk_trusttext_onetx');
    const ws = await workspace();
    const steps = five().slice(0, 2);
    // `--` inside a dollar quote, its closing $$ on the same line, then a later dollar quote.
    steps[1]!.down = ['CREATE TABLE p2_jobs (', '  marker text DEFAULT $$--$$,', '  note text DEFAULT $$ rebuilt concurrently $$', ');', "CREATE TABLE p2_notes (a text DEFAULT E'it\\'s', b text DEFAULT ' concurrently ');", 'DROP TABLE p2;', 'SELECT 1/0;'].join('\n');
    const dir = await writeMigrations(ws, 'plain', steps);
    await applyMigrations(db, 'plain', dir, steps);
    const run = await runAction('run-down-migrations', { 'database-url': db.url, 'require-snapshot': 'false', steps: '1' }, { cwd: ws });
    expect(run.code).not.toBe(0);
    expect(run.log).toContain('reverting 002_create_p2.down.sql');
    expect(run.log).not.toContain('non-transactional');
    expect(run.errors[0]).toContain('division by zero');
    expect(await pTables(db)).toEqual(['p1', 'p2']);
    expect((await db.query("SELECT to_regclass('p2_jobs') IS NULL AND to_regclass('p2_notes') IS NULL AS none")).rows[0]!.none).toBe(true);
  });
});
