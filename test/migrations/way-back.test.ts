// The snapshot run-down-migrations requires is the only place the rows a down migration drops are
// still kept. One taken without some table's rows (exclude-table-data, a schemas filter,
// exclude-schemas) is refused before anything changes, naming what it lacks; every run says when
// its snapshot was taken, and warns when the migrations it reverts were applied after that. One
// taken before a table that holds rows now is refused too, naming it (snapshot-cover.test.ts runs
// the bundles). Real snapshots by snapshot-db's own code, real dbmate and node-pg-migrate, the real server.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { takeSnapshot, wholeDatabaseSnapshot, type SnapshotRequest } from '../../src/db/snapshot.js';
import { revertMigrations, type RevertOptions } from '../../src/migrations/revert.js';
import type { FormatName } from '../../src/migrations/types.js';
import { ageText } from '../../src/migrations/way-back.js';
import { revertSummary } from '../../src/report/run-down-migrations-summary.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, trackingState, VERSION_STYLE, workspace, writeMigrations, type Step } from './fixtures.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The sandbox's incident: v1 brings orders, v2 brings discount_codes; both have rows. */
const SHOP: Step[] = [
  { version: '20240101000001', name: 'orders', up: "CREATE TABLE orders (id int PRIMARY KEY, email text);\nINSERT INTO orders VALUES (1, 'a@example.com');", down: 'DROP TABLE orders;' },
  { version: '20240101000002', name: 'discount_codes', up: "CREATE TABLE discount_codes (code text PRIMARY KEY);\nINSERT INTO discount_codes VALUES ('SPRING'), ('VIP');", down: 'DROP TABLE discount_codes;' },
];

async function shop(prefix: string): Promise<{ db: TestDatabase; ws: string }> {
  const db = await createTestDatabase(prefix);
  const ws = await workspace();
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', SHOP), SHOP);
  return { db, ws };
}

async function snapshot(db: TestDatabase, change: Partial<SnapshotRequest> = {}): Promise<string> {
  const target = parseConnectionString(db.url);
  const request = wholeDatabaseSnapshot(target, { outputDir: await tempDir('rk-wayback-'), label: 'before-rollback' });
  return (await takeSnapshot({ ...request, ...change }, memoryLog())).path;
}

function options(db: TestDatabase, ws: string, change: Partial<RevertOptions>): RevertOptions {
  return {
    target: parseConnectionString(db.url),
    root: ws,
    format: 'dbmate',
    choice: { steps: 2 },
    dryRun: false,
    requireSnapshot: true,
    lockTimeoutSeconds: 5,
    statementTimeoutSeconds: 30,
    ...change,
  };
}

async function refusal(db: TestDatabase, ws: string, snapshotPath: string): Promise<RollbackKitError> {
  const err = await revertMigrations(options(db, ws, { snapshotPath }), memoryLog()).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RollbackKitError);
  return err as RollbackKitError;
}

async function unchanged(db: TestDatabase): Promise<void> {
  expect((await db.query('SELECT count(*)::int AS n FROM discount_codes')).rows[0]?.n).toBe(2);
  expect((await db.query('SELECT count(*)::int AS n FROM orders')).rows[0]?.n).toBe(1);
  expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);
}

describe('a snapshot that does not hold every table\'s rows is no way back', () => {
  it('refuses one taken with exclude-table-data before the down SQL drops that table, naming it and what to do', async () => {
    const { db, ws } = await shop('rk_wayback_data');
    const path = await snapshot(db, { excludeTableData: ['discount_codes'] });
    const err = await refusal(db, ws, path);
    expect(err.message).toBe(
      `Snapshot ${path} does not hold every table's rows: it has no rows of table public.discount_codes (taken with exclude-table-data). A down migration that drops them would leave those rows nowhere.`,
    );
    expect(err.hint).toContain('Take a snapshot of the whole database with snapshot-db (no schemas, exclude-schemas or exclude-table-data)');
    expect(err.hint).toContain('set require-snapshot: false to revert without a snapshot. Nothing was changed.');
    await unchanged(db);
  });

  it('refuses one filtered by schemas, or taken with exclude-schemas, naming the schemas it lacks', async () => {
    const { db, ws } = await shop('rk_wayback_schemas');
    await db.query("CREATE SCHEMA audit; CREATE TABLE audit.events (id int); INSERT INTO audit.events VALUES (1); CREATE SCHEMA \"Billing\"");

    const filtered = await refusal(db, ws, await snapshot(db, { filter: { schemas: ['public'], excludeSchemas: [] } }));
    expect(filtered.message).toContain('it has nothing of schemas Billing, audit (outside its schemas filter, or created since it was taken)');
    await unchanged(db);

    const excluded = await refusal(db, ws, await snapshot(db, { filter: { schemas: [], excludeSchemas: ['audit'] }, excludeTableData: ['public.discount_codes'] }));
    expect(excluded.message).toContain('it has no rows of table public.discount_codes (taken with exclude-table-data), and nothing of schema audit (left out with exclude-schemas)');
    await unchanged(db);
  });

  it('accepts a schemas filter that names every schema there is: it holds every row', async () => {
    const { db, ws } = await shop('rk_wayback_every');
    const result = await revertMigrations(options(db, ws, { snapshotPath: await snapshot(db, { filter: { schemas: ['public'], excludeSchemas: [] } }) }), memoryLog());
    expect(result.reverted.map((r) => r.version)).toEqual(['20240101000002', '20240101000001']);
  });

  it('goes on with require-snapshot: false, as that input says: no snapshot is read, and the summary says none was required', async () => {
    const { db, ws } = await shop('rk_wayback_without');
    const log = memoryLog();
    const result = await revertMigrations(options(db, ws, { snapshotPath: await snapshot(db, { excludeTableData: ['discount_codes'] }), requireSnapshot: false }), log);
    expect(result.status).toBe('reverted');
    expect(result.snapshot).toBeUndefined();
    expect(log.lines).toContain('warning: require-snapshot is false: reverting without a verified snapshot to go back to.');
    expect(revertSummary(result)).toContain('No snapshot was required (require-snapshot: false).');
  });
});

describe('when the snapshot was taken', () => {
  it('is in the log and the summary, with its age', async () => {
    const { db, ws } = await shop('rk_wayback_taken');
    const path = await snapshot(db);
    const log = memoryLog();
    const result = await revertMigrations(options(db, ws, { snapshotPath: path }), log);
    const takenAt = result.snapshot!.takenAt;
    expect(Date.parse(takenAt)).toBeLessThanOrEqual(Date.now());
    expect(result.snapshot!.ageMs).toBeGreaterThanOrEqual(0);
    const when = `${takenAt.slice(0, 10)} ${takenAt.slice(11, 19)} UTC`;
    expect(log.lines).toContainEqual(expect.stringMatching(new RegExp(`^Way back: snapshot .+, taken ${when}, \\d+ s before this run; it holds every table's rows\\.$`)));
    expect(revertSummary(result)).toMatch(new RegExp(`Way back: snapshot \`[^\`]+\` \\(sha256 [0-9a-f]{12}…\\), taken ${when}, \\d+ s before this run, verified before the run; it holds every table's rows\\.`));
    // dbmate records no time: nothing to compare with, and the log says so.
    expect(log.lines).toContain('public.schema_migrations records no time a migration was applied, so whether the snapshot is older than the migrations reverted cannot be told.');
  });

  it('reads as a person reads an age', () => {
    expect([42_000, 12 * 60_000, (3 * 60 + 4) * 60_000, (5 * 24 + 2) * 3_600_000, -5].map(ageText)).toEqual(['42 s', '12 min', '3 h 4 min', '5 days 2 h', '0 s']);
  });
});

describe('a snapshot older than the migrations it reverts', () => {
  // Tools whose tracking table records when each migration was applied. Tokyo's zone makes a
  // timestamp without time zone (node-pg-migrate's run_on) read 9 hours off if read as UTC.
  const formats: FormatName[] = ['plain', 'node-pg-migrate', 'prisma'];
  // The second deploy writes rows into a table the snapshot has: it holds that table, not those rows.
  // (One that made a table the snapshot lacks, holding rows, is refused: the describe below.)
  const DEPLOYS: Step[] = [
    SHOP[0]!,
    { version: '', name: 'discount_codes', up: "ALTER TABLE orders ADD COLUMN discount_code text;\nUPDATE orders SET discount_code = 'SPRING';", down: 'ALTER TABLE orders DROP COLUMN discount_code;' },
  ];

  async function twoDeploys(format: FormatName) {
    const db = await createTestDatabase('rk_wayback_stale');
    await db.query(`ALTER DATABASE "${db.name}" SET timezone = 'Asia/Tokyo'`);
    const ws = await workspace();
    const steps = DEPLOYS.map((s, i) => ({ ...s, version: VERSION_STYLE[format](i + 1) }));
    const dir = await writeMigrations(ws, format, steps);
    // One file at a time, as two deploys apply them (node-pg-migrate applies what it finds).
    const firstOnly = await writeMigrations(await workspace(), format, steps.slice(0, 1));
    await applyMigrations(db, format, firstOnly, steps.slice(0, 1));
    return { db, ws, dir, steps };
  }

  it.each(formats)('%s: warns, naming the migration applied since, and the summary says it; a snapshot taken after it does not', async (format) => {
    const { db, ws, dir, steps } = await twoDeploys(format);
    const before = await snapshot(db);
    await applyMigrations(db, format, dir, format === 'node-pg-migrate' ? steps : steps.slice(1));
    const after = await snapshot(db);

    const fresh = memoryLog();
    const kept = await revertMigrations(options(db, ws, { format, choice: { steps: 1 }, snapshotPath: after, dryRun: false }), fresh);
    expect(kept.status).toBe('reverted');
    expect(kept.snapshot!.appliedSince).toBeUndefined();
    expect(fresh.lines.filter((l) => l.startsWith('warning:'))).toEqual([]);
    expect(revertSummary(kept)).not.toContain('Older than the migrations reverted');

    // The second deploy again, then the rollback with the snapshot from before it.
    await applyMigrations(db, format, dir, format === 'node-pg-migrate' ? steps : steps.slice(1));
    const stale = memoryLog();
    const result = await revertMigrations(options(db, ws, { format, choice: { steps: 1 }, snapshotPath: before }), stale);
    expect(result.status).toBe('reverted');
    const since = result.snapshot!.appliedSince!;
    expect(since.version).toBe(steps[1]!.version);
    expect(Date.parse(since.appliedAt)).toBeGreaterThan(Date.parse(result.snapshot!.takenAt));
    expect(Date.parse(since.appliedAt)).toBeLessThanOrEqual(Date.now());
    const warnings = stale.lines.filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`Snapshot ${before} was taken `);
    expect(warnings[0]).toContain(`, and migration ${steps[1]!.version} (${since.file}) was applied `);
    expect(warnings[0]).toContain(', after the snapshot was taken, so rows written since then are not in it: any of them the down SQL drops has no way back.');
    expect(since.file).toMatch(/discount_codes/);
    expect(since.file).not.toMatch(/down/);
    expect(revertSummary(result)).toMatch(/\*\*Older than the migrations reverted:\*\* migration \S+ \(.+\) was applied .+ UTC, after the snapshot was taken, so rows written since then are not in it; any of them the down SQL dropped has no way back\./);
  });
});

describe('a snapshot taken before tables that hold rows now', () => {
  it('refuses one that predates a schema made since, naming its table and rows; says nothing of every row when nothing is reverted', async () => {
    const { db, ws } = await shop('rk_snapshot_cover_lib');
    const path = await snapshot(db);
    await db.query('CREATE SCHEMA audit; CREATE TABLE audit.events (id int); INSERT INTO audit.events VALUES (1), (2), (3)');
    const err = await refusal(db, ws, path);
    expect(err.message).toContain('is no way back for table audit.events (3 rows): its manifest does not list it, so the snapshot predates it and holds none of its rows.');
    await unchanged(db);

    // Nothing to revert: no table was compared, and the summary does not claim any were.
    const nothing = await revertMigrations(options(db, ws, { snapshotPath: path, choice: { toVersion: '20240101000002' } }), memoryLog());
    expect(nothing.status).toBe('nothing-to-do');
    expect(revertSummary(nothing)).toContain("verified before the run; its tables were not compared with the database's, as nothing was reverted.");
    expect(revertSummary(nothing)).not.toContain("every table's rows");
  });
});

describe('counting the rows of a table the snapshot lacks', () => {
  it('waits no longer than lock-timeout-seconds for a session holding it, and changes nothing', async () => {
    const { db, ws } = await shop('rk_snapshot_cover_held');
    const path = await snapshot(db);
    await db.query('CREATE TABLE promo (id int)');
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE promo IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const err = await revertMigrations(options(db, ws, { snapshotPath: path, lockTimeoutSeconds: 1 }), memoryLog()).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(err).toBeInstanceOf(RollbackKitError);
      expect((err as RollbackKitError).message).toMatch(/^Could not compare the tables of snapshot .+ with the database's: .*lock timeout/);
      expect((err as RollbackKitError).hint).toContain('Nothing was changed.');
    } finally {
      await holder.end();
    }
    await unchanged(db);
  });

  it('stops at a bound: a table with more rows than it reads as "more than 1,000 rows"', async () => {
    const { db, ws } = await shop('rk_fix_cover_many');
    const path = await snapshot(db);
    await db.query('CREATE TABLE promo (id int); INSERT INTO promo SELECT generate_series(1, 1500)');
    const err = await refusal(db, ws, path);
    expect(err.message).toContain('is no way back for table public.promo (more than 1,000 rows): its manifest does not list it');
    await unchanged(db);
  });

  it('refuses, naming the table and the grant, when the user may not read it, and changes nothing', async () => {
    const { db, ws } = await shop('rk_fix_cover_denied');
    const role = `rk_fix_cover_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${role} LOGIN`);
    try {
      await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
      const path = await snapshot(db);
      // Made since the snapshot by another role (a runtime table, a partition), with no grant to this one.
      await db.query('CREATE TABLE promo (id int); INSERT INTO promo VALUES (1)');
      const target = parseConnectionString(db.url);
      const err = await revertMigrations(options(db, ws, { snapshotPath: path, target: { ...target, user: role } }), memoryLog()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RollbackKitError);
      const { message, hint } = err as RollbackKitError;
      expect(message).toContain(`does not list table public.promo (made since it was taken), and user ${role} may not read it, so whether it holds rows the snapshot lacks cannot be told.`);
      expect(message).not.toMatch(/timeout/);
      expect(hint).toBe(
        `Let the user read it (GRANT SELECT ON "public"."promo" TO ${role};) and run again; or take a fresh snapshot now with the snapshot-db action and pass its path as snapshot-path; or, if those rows may be lost, set require-snapshot: false to revert without a snapshot. Nothing was changed.`,
      );
      await unchanged(db);
      expect((await db.query("SELECT to_regclass('rollback_kit.rollbacks') AS t")).rows[0]?.t).toBeNull();
    } finally {
      await db.drop();
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});

describe('a table the snapshot lacks whose rows row-level security hides from the user', () => {
  it('is refused, naming the table and what lets the user see its rows; the old count read it as empty and dropped its rows', async () => {
    const { db, ws } = await shop('rk_coverage_rls_run');
    const role = `rk_coverage_rls_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE ROLE ${role} LOGIN`);
    try {
      await db.query(`GRANT CREATE ON DATABASE "${db.name}" TO ${role}; GRANT ALL ON SCHEMA public TO ${role}; GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}`);
      const path = await snapshot(db);
      // The deploy after the snapshot: a tenant table its owner (the migrations' role) sees through
      // its policies too (FORCE), as a multi-tenant app sets it, and rows no policy shows this session.
      const PROMO: Step = { version: '20240101000003', name: 'promo', up: 'CREATE TABLE promo (id int, tenant text);', down: 'DROP TABLE promo;' };
      await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', [...SHOP, PROMO]), [...SHOP, PROMO]);
      await db.query(`ALTER TABLE promo OWNER TO ${role}; ALTER TABLE promo ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
        CREATE POLICY by_tenant ON promo USING (tenant = current_setting('app.tenant', true));
        INSERT INTO promo VALUES (1, 'a'), (2, 'b'), (3, 'c')`);
      const target = parseConnectionString(db.url);
      const err = await revertMigrations(options(db, ws, { snapshotPath: path, choice: { steps: 1 }, target: { ...target, user: role } }), memoryLog()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RollbackKitError);
      const { message, hint } = err as RollbackKitError;
      expect(message).toContain(`does not list table public.promo (made since it was taken), and row-level security hides its rows from user ${role}, so whether it holds rows the snapshot lacks cannot be told.`);
      // Its owner is subject to it (FORCE): only BYPASSRLS helps.
      expect(hint).toBe(
        `To count them, let user ${role} bypass row-level security (ALTER ROLE ${role} BYPASSRLS;), and run again; or take a fresh snapshot now with the snapshot-db action and pass its path as snapshot-path; or, if those rows may be lost, set require-snapshot: false to revert without a snapshot. Nothing was changed.`,
      );
      expect((await db.query('SELECT count(*)::int AS n FROM promo')).rows[0]?.n).toBe(3);
      expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002', '20240101000003']);

      // With BYPASSRLS its count is the table's: three rows the snapshot lacks, refused as any such table.
      await adminQuery(`ALTER ROLE ${role} BYPASSRLS`);
      const counted = await revertMigrations(options(db, ws, { snapshotPath: path, choice: { steps: 1 }, target: { ...target, user: role } }), memoryLog()).catch((e: unknown) => e);
      expect((counted as RollbackKitError).message).toContain('is no way back for table public.promo (3 rows)');
      expect((await db.query('SELECT count(*)::int AS n FROM promo')).rows[0]?.n).toBe(3);
    } finally {
      await db.drop();
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});

describe('a table renamed since the snapshot', () => {
  it('is refused, saying the name it had then, not that the snapshot predates it; an older manifest claims neither', async () => {
    const { db, ws } = await shop('rk_coverage_rls_renamed');
    const path = await snapshot(db);
    await db.query('ALTER TABLE discount_codes RENAME TO vouchers');
    const err = await refusal(db, ws, path);
    expect(err.message).toContain(
      'is no way back for table public.vouchers (2 rows; renamed since the snapshot from public.discount_codes): its manifest does not list it under this name, so the snapshot may not hold its rows as they are now. A down migration that drops it would leave those rows nowhere.',
    );
    expect(err.message).not.toContain('predates');
    expect(err.hint).toContain('Take a fresh snapshot now with the snapshot-db action');

    // A manifest written before OIDs were recorded cannot tell a rename from a new table.
    const manifestPath = `${path}.manifest.json`;
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    for (const t of manifest.tables) delete t.oid;
    await writeFile(manifestPath, JSON.stringify(manifest));
    const older = await refusal(db, ws, path);
    expect(older.message).toContain('is no way back for table public.vouchers (2 rows): its manifest does not list it under this name (made or renamed since it was taken), so the snapshot may not hold its rows as they are now.');
    expect((await db.query('SELECT count(*)::int AS n FROM vouchers')).rows[0]?.n).toBe(2);
  });
});

describe('an empty table renamed since the snapshot', () => {
  it('is allowed, and the "Way back" line and the summary say it was renamed (old name → new name), never that it was made since', async () => {
    const { db, ws } = await shop('rk_coverage_renamed_empty');
    const path = await snapshot(db);
    // Renamed and emptied since: the snapshot holds its rows of then, under the name it had.
    await db.query('ALTER TABLE orders RENAME TO purchases; DELETE FROM purchases');
    const log = memoryLog();
    const result = await revertMigrations(options(db, ws, { snapshotPath: path, choice: { steps: 1 } }), log);
    expect(result.status).toBe('reverted');
    const says = "it holds every table's rows; table public.purchases was renamed since it was taken (public.orders → public.purchases), so it holds that table under its old name, and it was empty before this run changed anything";
    expect(log.lines).toContainEqual(expect.stringMatching(/^Way back: snapshot /));
    expect(log.lines.find((l) => l.startsWith('Way back: snapshot '))).toContain(`; ${says}.`);
    expect(revertSummary(result)).toContain(`, verified before the run; ${says}.`);
    expect(`${log.lines.join('\n')}\n${revertSummary(result)}`).not.toMatch(/created since|made since|does not have/);
  });

  it('a table made since under the name of one renamed away is not taken for the one the snapshot holds: holding rows, it is refused', async () => {
    const { db, ws } = await shop('rk_coverage_renamed_swap');
    const path = await snapshot(db);
    // The deploy renamed the old table away and made a new one in its place, which has rows now.
    await db.query("ALTER TABLE discount_codes RENAME TO discount_codes_old; TRUNCATE discount_codes_old; CREATE TABLE discount_codes (code text PRIMARY KEY); INSERT INTO discount_codes VALUES ('A'), ('B'), ('C')");
    const err = await refusal(db, ws, path);
    expect(err.message).toContain(
      'is no way back for table public.discount_codes (3 rows; made since the snapshot, whose public.discount_codes is the table now named public.discount_codes_old): its manifest does not list it, so the snapshot predates it and holds none of its rows.',
    );
    expect((await db.query('SELECT count(*)::int AS n FROM discount_codes')).rows[0]?.n).toBe(3);
    expect(await trackingState(db, 'dbmate')).toEqual(['20240101000001', '20240101000002']);

    // Emptied, it loses nothing: allowed, and the line says which is which.
    await db.query('TRUNCATE discount_codes');
    const log = memoryLog();
    const result = await revertMigrations(options(db, ws, { snapshotPath: path, choice: { steps: 1 } }), log);
    expect(result.status).toBe('reverted');
    expect(log.lines.find((l) => l.startsWith('Way back: snapshot '))).toContain(
      "it holds every table's rows but that of table public.discount_codes, which it does not have (made since it was taken) and which was empty before this run changed anything; table public.discount_codes_old was renamed since it was taken (public.discount_codes → public.discount_codes_old), so it holds that table under its old name, and it was empty before this run changed anything.",
    );
  });
});

describe('a re-run whose first attempt\'s down SQL made and filled a table, with the same snapshot', () => {
  it('is refused, saying what that attempt reverted and that a fresh snapshot in a new run is the way on', async () => {
    // v2's down SQL moves the codes into a table of their own: made and filled after the snapshot.
    const steps: Step[] = [
      { ...SHOP[0]!, down: 'DROP TABLE orders;\nSELECT 1/0;' },
      { ...SHOP[1]!, down: 'CREATE TABLE legacy_codes AS SELECT code FROM discount_codes;\nDROP TABLE discount_codes;' },
    ];
    const db = await createTestDatabase('rk_coverage_rls_rerun');
    const ws = await workspace();
    await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', steps), steps);
    const path = await snapshot(db);
    const run = (attempt: number) => ({ id: '99', attempt, job: 'rollback', step: 'down' });
    const first = await revertMigrations(options(db, ws, { snapshotPath: path, run: run(1) }), memoryLog()).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RollbackKitError);
    expect((await db.query('SELECT count(*)::int AS n FROM legacy_codes')).rows[0]?.n).toBe(2);

    const err = await revertMigrations(options(db, ws, { snapshotPath: path, run: run(2) }), memoryLog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    const { message, hint } = err as RollbackKitError;
    expect(message).toContain('is no way back for table public.legacy_codes (2 rows): its manifest does not list it, so the snapshot predates it');
    expect(message).toContain('An earlier attempt of this step already reverted 20240101000002 after the snapshot was taken: a table its down SQL made and filled is not in the snapshot either.');
    // One way on, said once: a new run with a fresh snapshot and what is left of the plan. Never that
    // a re-run of this job finishes it: it passes the same snapshot, and is refused again.
    expect(hint).toBe(
      'Take a fresh snapshot now with the snapshot-db action (it holds what that attempt wrote) and pass its path as snapshot-path in a new run: Re-run jobs passes the same snapshot and is refused again. Or, if those rows may be lost, set require-snapshot: false in a new run to revert without a snapshot. Nothing was changed. With steps, finish this plan with `steps: 1`, what is left of it (everything still applied).',
    );
    expect((await db.query('SELECT count(*)::int AS n FROM orders')).rows[0]?.n).toBe(1);
  });
});
