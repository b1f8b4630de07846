// A snapshot is a way back only for the database it was taken of: the same name on another server
// is refused, the same server reached by another host name is accepted, and restore-db follows the
// same rule (unless from-another-database says the other database is meant).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { dbmatePath } from '../../scripts/dbmate-path.mjs';
import { runProcess } from '../../src/core/process.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import { applyMigrations, existingTables, tables, trackingState, workspace, writeMigrations } from './fixtures.js';

function viaLocalhost(url: string): string {
  const u = new URL(url);
  u.hostname = 'localhost';
  return u.toString();
}

async function setup(): Promise<{ db: TestDatabase; ws: string; snapshot: string; manifest: string }> {
  const db = await createTestDatabase('rk_src');
  const ws = await workspace();
  const steps = tables(2);
  const dir = await writeMigrations(ws, 'dbmate', steps);
  await applyMigrations(db, 'dbmate', dir, steps);
  const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': join(ws, 'snapshots') });
  expect(snap.errors).toEqual([]);
  return { db, ws, snapshot: snap.outputs.path!, manifest: snap.outputs['manifest-path']! };
}

async function editManifest(path: string, edit: (m: { server: Record<string, unknown> }) => void): Promise<void> {
  const m = JSON.parse(await readFile(path, 'utf8'));
  edit(m);
  await writeFile(path, JSON.stringify(m, null, 2));
}

const down = (url: string, ws: string, snapshot: string) => runAction('run-down-migrations', { 'database-url': url, steps: '1', 'snapshot-path': snapshot }, { cwd: ws });

function refusedBeforeChanging(run: ActionRun): void {
  expect(run.code).not.toBe(0);
  expect(run.errors).toHaveLength(1);
  expect(run.outputs.status).toBe('failed');
  expect(run.summary).toContain('Failed before changing anything');
}

describe('the snapshot must be of the database run-down-migrations changes', () => {
  it('records host, port, database and the system identifier in the manifest', async () => {
    const { db, manifest } = await setup();
    const m = JSON.parse(await readFile(manifest, 'utf8'));
    const id = (await db.query('SELECT system_identifier::text AS id FROM pg_control_system()')).rows[0]?.id;
    expect(m.server).toMatchObject({ host: '127.0.0.1', port: 5432, systemIdentifier: id });
    expect(m.database).toBe(db.name);
  });

  it('accepts the same database reached by another host name (localhost for 127.0.0.1): the identifier decides', async () => {
    const { db, ws, snapshot } = await setup();
    const run = await down(viaLocalhost(db.url), ws, snapshot);
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('reverted');
    expect(run.log).not.toContain('::warning::');
    expect(await existingTables(db)).toEqual(['t1']);
  });

  it('refuses a snapshot of the same database name on another server, naming both sides', async () => {
    const { db, ws, snapshot, manifest } = await setup();
    await editManifest(manifest, (m) => {
      m.server.host = 'db-staging.internal';
      m.server.systemIdentifier = '7000000000000000001';
    });
    const run = await down(db.url, ws, snapshot);
    refusedBeforeChanging(run);
    expect(run.errors[0]).toMatch(/same name on another server \(snapshot: db-staging\.internal:5432\/rk_src_[0-9a-f]+ \(system identifier 7000000000000000001\); target: 127\.0\.0\.1:5432\/rk_src_[0-9a-f]+ \(system identifier \d+\)\)/);
    expect(await existingTables(db)).toEqual(['t1', 't2']);
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);

    // Only the identifier differs (same host and port in the URL): still another server.
    await editManifest(manifest, (m) => {
      m.server.host = '127.0.0.1';
    });
    refusedBeforeChanging(await down(db.url, ws, snapshot));
    expect(await existingTables(db)).toEqual(['t1', 't2']);
  });

  it('compares host, port and database for a manifest without an identifier, with a warning; another host is refused', async () => {
    const { db, ws, snapshot, manifest } = await setup();
    // As manifests were written before the server was recorded: only target "host:port/db".
    await editManifest(manifest, (m) => {
      delete m.server.host;
      delete m.server.port;
      delete m.server.systemIdentifier;
    });
    const other = await down(viaLocalhost(db.url), ws, snapshot);
    refusedBeforeChanging(other);
    expect(other.errors[0]).toMatch(/cannot be shown to be of this database: host or port differ, and the manifest records no system identifier/);
    expect(other.errors[0]).toMatch(/same host and port as database-url/);
    expect(await existingTables(db)).toEqual(['t1', 't2']);

    const same = await down(db.url, ws, snapshot);
    expect(same.errors).toEqual([]);
    expect(same.log).toMatch(/::warning::The snapshot is taken to be of this database by host, port and name, because the manifest records no system identifier/);
    expect(await existingTables(db)).toEqual(['t1']);
  });
});

describe('a server that does not let the user read its system identifier', () => {
  it('snapshot-db records null and says so; run-down-migrations then needs host and port to match', async () => {
    const db = await createTestDatabase('rk_src_noid');
    const role = `rk_noid_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${role} LOGIN`);
    try {
      await adminQuery(`ALTER DATABASE "${db.name}" OWNER TO ${role}`);
      // As a managed service may do: only in this database, so the shared server is untouched.
      await db.query('REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC');
      const u = new URL(db.url);
      u.username = role;
      const url = u.toString();
      const ws = await workspace();
      const steps = tables(2);
      const dir = await writeMigrations(ws, 'dbmate', steps);
      const up = await runProcess(dbmatePath(), ['--no-dump-schema', '--migrations-dir', dir, 'up'], { env: { DATABASE_URL: `${url}?sslmode=disable` } });
      expect(up.code, up.stderr).toBe(0);

      const snap = await runAction('snapshot-db', { 'database-url': url, 'output-dir': join(ws, 'snapshots') });
      expect(snap.errors).toEqual([]);
      expect(snap.log).toContain(`::warning::127.0.0.1:5432/${db.name} does not let user "${role}" read its system identifier`);
      const manifest = JSON.parse(await readFile(snap.outputs['manifest-path']!, 'utf8'));
      expect(manifest.server).toMatchObject({ host: '127.0.0.1', port: 5432, systemIdentifier: null });

      refusedBeforeChanging(await down(viaLocalhost(url), ws, snap.outputs.path!));
      expect(await existingTables(db)).toEqual(['t1', 't2']);
      const same = await down(url, ws, snap.outputs.path!);
      expect(same.errors).toEqual([]);
      expect(same.log).toMatch(/::warning::The snapshot is taken to be of this database by host, port and name/);
      expect(await existingTables(db)).toEqual(['t1']);
    } finally {
      await db.drop();
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});

describe('restore-db refuses a snapshot of another database unless told it is meant', () => {
  const restore = (url: string, snapshot: string, database: string, more: Record<string, string> = {}) =>
    runAction('restore-db', { 'database-url': url, 'snapshot-path': snapshot, confirm: database, 'pre-restore-snapshot': 'false', ...more });

  it('same server by another host name: restored, and the summary names the source and the target', async () => {
    const { db, snapshot } = await setup();
    const same = await restore(viaLocalhost(db.url), snapshot, db.name);
    expect(same.errors).toEqual([]);
    expect(same.log).not.toMatch(/::warning::The snapshot/);
    const id = (await db.query('SELECT system_identifier::text AS id FROM pg_control_system()')).rows[0]!.id;
    expect(same.summary).toContain(`| Snapshot of | 127.0.0.1:5432/${db.name} (system identifier ${id}) |`);
    expect(same.summary).toContain(`| Restored into | localhost:5432/${db.name} (system identifier ${id}) |`);
  });

  it('another server: refused, naming both sides, nothing changed; restored with from-another-database: true, said in the summary', async () => {
    const { db, snapshot, manifest } = await setup();
    await editManifest(manifest, (m) => {
      m.server.systemIdentifier = '7000000000000000001';
    });
    await db.query('DROP TABLE t2');
    const refused = await restore(db.url, snapshot, db.name);
    expect(refused.code).not.toBe(0);
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors[0]).toMatch(
      /^restore-db refuses to restore .+\.dump into 127\.0\.0\.1:5432\/rk_src_[0-9a-f]+: the snapshot is of a database of the same name on another server \(snapshot: 127\.0\.0\.1:5432\/rk_src_[0-9a-f]+ \(system identifier 7000000000000000001\); target: 127\.0\.0\.1:5432\/rk_src_[0-9a-f]+ \(system identifier \d+\)\)\. If that is what you mean .+ set from-another-database: true\. .+Nothing was changed\.$/,
    );
    expect(refused.log).not.toContain('Restoring ');
    expect(await existingTables(db)).not.toContain('t2');

    const meant = await restore(db.url, snapshot, db.name, { 'from-another-database': 'true' });
    expect(meant.errors).toEqual([]);
    expect(meant.log).toMatch(/::warning::The snapshot is of a database of the same name on another server \(snapshot: 127\.0\.0\.1:5432\/rk_src_[0-9a-f]+ \(system identifier 7000000000000000001\); target: .+\)\. It is restored into the target all the same: from-another-database is true\./);
    expect(meant.summary).toContain('(system identifier 7000000000000000001) — **another database** (from-another-database: true) |');
    expect(await existingTables(db)).toContain('t2');
  });

  it('another database of the same server: refused the same way', async () => {
    const { snapshot } = await setup();
    const other = await createTestDatabase('rk_src_other');
    const refused = await restore(other.url, snapshot, other.name);
    expect(refused.errors[0]).toMatch(/the snapshot is of another database \(snapshot: 127\.0\.0\.1:5432\/rk_src_[0-9a-f]+ .+; target: 127\.0\.0\.1:5432\/rk_src_other_[0-9a-f]+ .+\)\. If that is what you mean/);
  });
});
