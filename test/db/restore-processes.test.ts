// restore-db starts psql, the lock watcher and pg_restore's reads while it plans the restore
// (startRestoreProcesses in restore.ts). A restore refused after they started must end every one of
// them, before anything reached the server: no process left behind, no session left open, and the
// database as it was.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot, type RestoreRequest } from '../../src/db/restore.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { schemaDump } from './fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

async function snapshotOf(db: TestDatabase, inputs: Record<string, string> = {}): Promise<string> {
  const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-early-'), ...inputs });
  expect(snap.errors).toEqual([]);
  return snap.outputs.path!;
}

async function request(db: TestDatabase, snapshotPath: string): Promise<RestoreRequest> {
  return {
    target: parseConnectionString(db.url),
    snapshotPath,
    confirm: db.name,
    preRestoreSnapshot: false,
    jobs: 1,
    clean: true,
    preRestoreDir: await tempDir('rk-early-pre-'),
    preRestoreDirInput: 'pre-restore-dir',
    lockTimeoutSeconds: 30,
    tools: { searchPath: process.env.PATH ?? '' },
  };
}

/** The PostgreSQL tools this test process still has running (ps lists itself too). */
function toolsRunning(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((line) => /\b(psql|pg_restore|pg_dump|mkfifo)\b/.test(line));
}

/** Sessions of restore-db's psql still on the server; a backend may take a moment to exit after its client did. */
async function restoreSessions(db: TestDatabase): Promise<{ state: string }[]> {
  const query = () =>
    db.query<{ state: string }>("SELECT coalesce(state, '') AS state FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'rollback-kit-restore-%'", [db.name]);
  for (let i = 0; i < 100; i++) {
    const { rows } = await query();
    if (!rows.length) return [];
    await new Promise((r) => setTimeout(r, 50));
  }
  return (await query()).rows;
}

/** Restores, expecting a refusal after the restore's processes started; checks that nothing of them is left. */
async function expectRefusedCleanly(db: TestDatabase, snapshot: string, refusal: RegExp): Promise<void> {
  const before = await schemaDump(db);
  const rows = (await db.query<{ n: string }>('SELECT count(*) AS n FROM t')).rows[0]!.n;
  const log = memoryLog();
  const err = await restoreSnapshot(await request(db, snapshot), log).then(() => undefined, (e: RollbackKitError) => e);
  expect(`${err?.message} ${err?.hint}`).toMatch(refusal);
  // psql had started, so the refusal came while it waited for its script.
  expect(log.lines.some((l) => l.startsWith('debug: Started psql'))).toBe(true);
  expect(log.lines.some((l) => l.startsWith('Restoring '))).toBe(false);
  expect(toolsRunning()).toEqual([]);
  expect(await restoreSessions(db)).toEqual([]);
  expect(await schemaDump(db)).toBe(before);
  expect((await db.query<{ n: string }>('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(rows);
}

describe('a restore refused after its processes started ends them with nothing applied', () => {
  it('refused by the plan: a kept table uses a type the snapshot re-creates', async () => {
    const db = await createTestDatabase('rk_restore_early');
    await db.query("CREATE TYPE mood AS ENUM ('ok', 'sad'); CREATE TABLE t (id int, m mood); INSERT INTO t VALUES (1, 'ok'), (2, 'sad')");
    const snapshot = await snapshotOf(db);
    await db.query("CREATE TABLE extra (id int, m mood); INSERT INTO extra VALUES (1, 'sad'); DELETE FROM t WHERE id = 1");
    await expectRefusedCleanly(db, snapshot, /column m of table public\.extra uses type public\.mood[\s\S]*Nothing was changed\./);
  });

  it('refused once planned: a plain script with large objects', async () => {
    const db = await createTestDatabase('rk_restore_early_lo');
    await db.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)');
    const snapshot = await snapshotOf(db, { format: 'plain' });
    // snapshot-db now refuses plain with large objects; an older version wrote such a script, as
    // pg_dump does: the script is rewritten with one, and its manifest made to match.
    await db.query("SELECT lo_from_bytea(0, 'blob')");
    execFileSync('pg_dump', ['--format=plain', '--file', snapshot, db.url]);
    const script = await readFile(snapshot);
    const manifestPath = `${snapshot}.manifest.json`;
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    await writeFile(manifestPath, JSON.stringify({ ...manifest, sizeBytes: script.length, sha256: createHash('sha256').update(script).digest('hex') }));
    await db.query('DELETE FROM t WHERE id = 1');
    await expectRefusedCleanly(db, snapshot, /plain SQL script with large objects[\s\S]*Nothing was changed\./);
  });
});
