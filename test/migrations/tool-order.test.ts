// Each tool's own order of migrations, which is which one its revert takes as the newest: names
// picked where text order and numeric order part (`9_…` and `10_…`, mixed widths, `-` for `_`).
// node-pg-migrate runs here as the real tool; the others' CLIs are not on npm, so each case cites
// the rule in the tool's source and applies migrations as fixtures.ts does (the tool's rows).
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { golangMigrate } from '../../src/migrations/formats/golang-migrate.js';
import { nodePgMigrate as nodePgMigrateFormat } from '../../src/migrations/formats/node-pg-migrate.js';
import { plain } from '../../src/migrations/formats/plain.js';
import { prisma } from '../../src/migrations/formats/prisma.js';
import { supabase } from '../../src/migrations/formats/supabase.js';
import { revertMigrations, type Choice } from '../../src/migrations/revert.js';
import type { FormatName } from '../../src/migrations/types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, DIRS, nodePgMigrate, trackingState, workspace, writeMigrations, type Step } from './fixtures.js';

function revert(db: TestDatabase, ws: string, format: FormatName, choice: Choice, log = memoryLog()) {
  return revertMigrations(
    { target: parseConnectionString(db.url), root: ws, migrationsDir: DIRS[format], format, choice, dryRun: false, requireSnapshot: false, lockTimeoutSeconds: 5, statementTimeoutSeconds: 60 },
    log,
  );
}

/** t<version>: a table per migration, so what is left shows which ones were reverted. */
const step = (version: string, name: string): Step => ({ version, name, up: `CREATE TABLE t${name.replace(/\W/g, '')} (id int);`, down: `DROP TABLE t${name.replace(/\W/g, '')};` });

async function applied(format: FormatName, steps: Step[]) {
  const ws = await workspace();
  const dir = await writeMigrations(ws, format, steps);
  const db = await createTestDatabase(`rk_order_${format.replace('-', '_')}`);
  await applyMigrations(db, format, dir, steps);
  return { ws, dir, db };
}

async function tableNames(db: TestDatabase): Promise<string[]> {
  const r = await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't%' ORDER BY 1`);
  return r.rows.map((row) => row.tablename as string);
}

describe("Supabase CLI: file names in Go's byte order", () => {
  // supabase/cli pkg/migration/list.go, ListLocalMigrations: the migrations are fs.ReadDir's
  // entries, which Go returns sorted by file name (byte by byte), filtered by ^([0-9]+)_(.*)\.sql$.
  it('10_ten.sql comes before 9_nine.sql, so steps: 1 reverts 9, and says the orders differ', async () => {
    const steps = [step('9', 'nine'), step('10', 'ten')];
    const { ws, dir, db } = await applied('supabase', steps);
    expect((await supabase.load(dir)).map((f) => f.name)).toEqual(['10_ten.sql', '9_nine.sql']);
    const log = memoryLog();
    const result = await revert(db, ws, 'supabase', { steps: 1 }, log);
    expect(result.reverted.map((r) => r.version)).toEqual(['9']);
    expect(await tableNames(db)).toEqual(['tten']);
    expect(await trackingState(db, 'supabase')).toEqual(['10']);
    expect(log.lines.join('\n')).toContain('The Supabase CLI orders migrations by file name compared as text, not by version number: 10_ten.sql comes before 9_nine.sql');
    await db.drop();
  });
});

describe("Prisma: folder names in Rust's byte order", () => {
  // prisma-engines, schema-connector migrations_directory.rs, list_migrations:
  // entries.sort_by(|a, b| a.migration_name().cmp(b.migration_name())), the folder names as &str.
  it('10_ten before 9_nine, and a folder before its name with a suffix (…_a before …_a-b): the last of each is reverted first', async () => {
    const steps = [step('9', 'nine'), step('10', 'ten'), step('20240101000000', 'a'), step('20240101000000', 'a-b')];
    const { ws, dir, db } = await applied('prisma', steps);
    expect((await prisma.load(dir)).map((f) => f.id)).toEqual(['10_ten', '20240101000000_a', '20240101000000_a-b', '9_nine']);
    const log = memoryLog();
    const first = await revert(db, ws, 'prisma', { steps: 2 }, log);
    expect(first.reverted.map((r) => r.file)).toEqual(['9_nine/down.sql', '20240101000000_a-b/down.sql']);
    expect(await tableNames(db)).toEqual(['ta', 'tten']);
    expect(log.lines.join('\n')).toContain('Prisma orders migrations by folder name compared as text, not by version number: 20240101000000_a-b/migration.sql comes before 9_nine/migration.sql');
    await db.drop();
  });
});

describe('golang-migrate: versions as numbers (already right)', () => {
  // golang-migrate source/parse.go Parse: strconv.ParseUint(version, 10, 64); source/migration.go
  // Migrations.buildIndex sorts those uint64s numerically. 9 comes before 10, whatever the names.
  it('10_ten is newer than 9_nine: steps: 1 reverts 10, and no warning', async () => {
    const steps = [step('9', 'nine'), step('10', 'ten')];
    const { ws, dir, db } = await applied('golang-migrate', steps);
    expect((await golangMigrate.load(dir)).map((f) => f.id)).toEqual(['9', '10']);
    const log = memoryLog();
    const result = await revert(db, ws, 'golang-migrate', { steps: 1 }, log);
    expect(result.reverted.map((r) => r.version)).toEqual(['10']);
    expect(await tableNames(db)).toEqual(['tnine']);
    expect(log.lines.join('\n')).not.toContain('orders migrations by');
    await db.drop();
  });
});

describe('plain: our own format, versions as numbers (already right)', () => {
  // No tool but ours: the deploy records versions, and their order is the numbers' (README, plain).
  it('10_ten is newer than 9_nine: steps: 1 reverts 10', async () => {
    const steps = [step('9', 'nine'), step('10', 'ten')];
    const { ws, dir, db } = await applied('plain', steps);
    expect((await plain.load(dir)).map((f) => f.id)).toEqual(['9', '10']);
    const result = await revert(db, ws, 'plain', { steps: 1 });
    expect(result.reverted.map((r) => r.version)).toEqual(['10']);
    expect(await tableNames(db)).toEqual(['tnine']);
    await db.drop();
  });
});

describe("node-pg-migrate: the real tool's order", () => {
  // The tool's getNumericPrefix (src/migration.ts) reads the name up to the first `_`: 13 digits are
  // milliseconds, 17 digits a UTC time, anything else (here `1704067200002-c`, a dash for the
  // underscore) is 0. So by the tool: c (0), a (2024-01-01T00:00:00.000Z), b (….001Z).
  const steps: Step[] = [
    { version: '20240101000000000', name: 'a', up: 'CREATE TABLE ta (id int);', down: 'DROP TABLE ta;' },
    { version: '1704067200001', name: 'b', up: 'CREATE TABLE tb (id int);', down: 'DROP TABLE tb;' },
  ];

  it('loads the files in the order the tool applies them, warns, and reverts as `node-pg-migrate down` does', async () => {
    const ws = await workspace();
    const dir = await writeMigrations(ws, 'node-pg-migrate', steps);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/1704067200002-c.sql`, '-- Up Migration\nCREATE TABLE tc (id int);\n-- Down Migration\nDROP TABLE tc;\n');
    const ours = await createTestDatabase('rk_order_npm_ours');
    const theirs = await createTestDatabase('rk_order_npm_theirs');
    for (const db of [ours, theirs]) await nodePgMigrate(db, dir, 'up');
    const toolOrder = await trackingState(theirs, 'node-pg-migrate');
    expect(toolOrder).toEqual(['1704067200002-c', '20240101000000000_a', '1704067200001_b']);
    expect((await nodePgMigrateFormat.load(dir)).map((f) => f.id)).toEqual(toolOrder);
    for (let i = 0; i < 3; i++) {
      const log = memoryLog();
      await revert(ours, ws, 'node-pg-migrate', { steps: 1 }, log);
      await nodePgMigrate(theirs, dir, 'down');
      expect(await tableNames(ours)).toEqual(await tableNames(theirs));
      expect(await trackingState(ours, 'node-pg-migrate')).toEqual(await trackingState(theirs, 'node-pg-migrate'));
      if (i === 0) expect(log.lines.join('\n')).toContain('node-pg-migrate orders migrations by the timestamp before the first "_"');
    }
    expect(await tableNames(ours)).toEqual([]);
    await ours.drop();
    await theirs.drop();
  });
});
