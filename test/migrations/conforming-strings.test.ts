// A database with the legacy standard_conforming_strings = off: there a backslash escapes a quote in
// '…' strings ('a\';b' is one string), so the runner must split and send the down SQL as that
// session reads it, follow the down SQL's own SET of it, and read each migration from the value the
// session is reset to, whatever the migration before left.
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { RevertFailed, revertMigrations, type RevertOptions } from '../../src/migrations/revert.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, trackingState, VERSION_STYLE, workspace, writeMigrations, type Step } from './fixtures.js';

const version = VERSION_STYLE.plain;

async function legacyDatabase(steps: Step[]): Promise<{ db: TestDatabase; options: RevertOptions }> {
  const db = await createTestDatabase('rk_scs_off');
  await adminQuery(`ALTER DATABASE "${db.name}" SET standard_conforming_strings = off`);
  const ws = await workspace();
  const dir = await writeMigrations(ws, 'plain', steps);
  await applyMigrations(db, 'plain', dir, steps);
  const options: RevertOptions = { target: parseConnectionString(db.url), root: ws, migrationsDir: 'migrations', format: 'plain', choice: { toVersion: version(1) }, dryRun: false, requireSnapshot: false, lockTimeoutSeconds: 5, statementTimeoutSeconds: 60 };
  return { db, options };
}

const NOTES: Step = { version: version(1), name: 'notes', up: 'CREATE TABLE notes (id int PRIMARY KEY, body text);' };

describe('down migrations on a database with standard_conforming_strings = off', () => {
  it("reverts down SQL holding 'a\\';b' literals, statement by statement and in one transaction, and follows its SET of the setting", async () => {
    const { db, options } = await legacyDatabase([
      NOTES,
      // Read with the setting off: the string holds a quote and a semicolon, and '\\' is one backslash.
      { version: version(2), name: 't2', up: 'CREATE TABLE t2 ();', down: "INSERT INTO notes VALUES (2, 'a\\';b');\nINSERT INTO notes VALUES (5, 'back\\\\slash');\nDROP TABLE t2;" },
      // Its own SET: from the next statement on, a backslash is an ordinary character. The setting
      // stays on in the session: the next migration is still read from the database's value.
      { version: version(3), name: 't3', up: 'CREATE TABLE t3 ();', down: "SET standard_conforming_strings = on;\nINSERT INTO notes VALUES (3, 'C:\\new');\nDROP TABLE t3;" },
      // CONCURRENTLY: run statement by statement, each its own query.
      { version: version(4), name: 'notes_body', up: 'CREATE INDEX notes_body ON notes (body);', down: "DROP INDEX CONCURRENTLY notes_body;\nINSERT INTO notes VALUES (4, 'd\\';e');" },
    ]);

    const result = await revertMigrations(options, memoryLog());

    expect(result.status).toBe('reverted');
    expect(result.plan.map((p) => [p.version, p.transactional, p.statements])).toEqual([
      [version(4), false, 2],
      [version(3), true, 3],
      [version(2), true, 3],
    ]);
    const { rows } = await db.query<{ id: number; body: string }>('SELECT id, body FROM notes ORDER BY id');
    expect(rows).toEqual([
      { id: 2, body: "a';b" },
      { id: 3, body: 'C:\\new' },
      { id: 4, body: "d';e" },
      { id: 5, body: 'back\\slash' },
    ]);
    expect(await trackingState(db, 'plain')).toEqual([version(1)]);
    const { rows: left } = await db.query("SELECT count(*)::int AS n FROM pg_class WHERE relname IN ('t2', 't3', 'notes_body')");
    expect(left[0]!.n).toBe(0);
  });

  it('sends no statement the session would read otherwise than it was split: set_config() of the setting is not followed', async () => {
    const { db, options } = await legacyDatabase([
      NOTES,
      {
        version: version(2),
        name: 'notes_body',
        up: 'CREATE INDEX notes_body ON notes (body);',
        down: "DROP INDEX CONCURRENTLY notes_body;\nSELECT set_config('standard_conforming_strings', 'on', false);\nINSERT INTO notes VALUES (6, 'e\\';f');",
      },
    ]);

    const err = await revertMigrations(options, memoryLog()).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RevertFailed);
    expect((err as RevertFailed).message).toContain(
      `line 3, statement "INSERT INTO notes VALUES (6, 'e\\';f')": not sent: standard_conforming_strings is on in the session here, but the down SQL was read with it off at this statement`,
    );
    expect((err as RevertFailed).partial.stoppedIn).toMatchObject({ ran: 2, resumeAt: 3 });
    expect((await db.query('SELECT count(*)::int AS n FROM notes')).rows[0]!.n).toBe(0);
  });
});
