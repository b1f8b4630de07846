// export-since / export-tables through the library, on real PostgreSQL: one CSV file per table whose
// name no other table folds to, never written over anything, and rows ordered by the export column
// (a json first column has no ordering).
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { exportFileName, snapshotBaseName, takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';

const SINCE = new Date('2026-01-01T00:00:00Z');
const TABLES = ['"заказы"', '"платежи"', '"order items"', '"order-items"', 'customers'];

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('rk_exports');
  // Rows before and after SINCE; the first column of "заказы" is json, which has no ordering.
  await db.query(`
    CREATE TABLE "заказы" (doc json, created_at timestamptz NOT NULL);
    CREATE TABLE "платежи" (id int, created_at timestamptz NOT NULL);
    CREATE TABLE "order items" (id int, created_at timestamptz NOT NULL);
    CREATE TABLE "order-items" (id int, created_at timestamptz NOT NULL);
    CREATE TABLE customers (id int, created_at timestamptz NOT NULL);
    INSERT INTO "заказы" SELECT json_build_object('n', g), timestamptz '2025-12-31' + g * interval '1 hour' FROM generate_series(1, 30) g;
    INSERT INTO "платежи" SELECT g, timestamptz '2025-12-31' + g * interval '1 hour' FROM generate_series(1, 40) g;
    INSERT INTO "order items" SELECT g, timestamptz '2025-12-31' + g * interval '1 hour' FROM generate_series(1, 50) g;
    INSERT INTO "order-items" SELECT g, timestamptz '2025-12-31' + g * interval '1 hour' FROM generate_series(1, 60) g;
    INSERT INTO customers SELECT g, timestamptz '2025-12-31' + g * interval '1 hour' FROM generate_series(1, 70) g;`);
});

const snapshot = (outputDir: string, now?: () => Date) =>
  takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir }), exportSince: SINCE, exportTables: TABLES, exportColumn: 'created_at', now }, memoryLog());

describe('CSV exports', () => {
  it('writes one file per table, named so no two tables share one, and the manifest names each', async () => {
    const outputDir = await tempDir('rk-exports-');
    const result = await snapshot(outputDir);
    const exports = result.manifest.exports!;
    const files = (await readdir(result.exportsDir!)).sort();
    expect(files).toHaveLength(TABLES.length);
    expect(exports.tables.map((t) => t.file).sort()).toEqual(files);
    expect(files).toContain('public.customers.csv');
    for (const name of ['заказы', 'платежи', 'order items', 'order-items', 'customers']) {
      const entry = exports.tables.find((t) => t.table === `public.${name}`)!;
      expect(entry.file).toBe(exportFileName({ schema: 'public', name }));
      const expected = Number((await db.query(`SELECT count(*) AS n FROM "${name}" WHERE created_at > $1`, [SINCE])).rows[0]!.n);
      const lines = (await readFile(join(result.exportsDir!, entry.file), 'utf8')).trim().split('\n');
      expect(entry.rows).toBe(expected);
      expect(lines.length - 1).toBe(expected);
    }
    // Ordered by the export column.
    const orders = (await readFile(join(result.exportsDir!, exports.tables.find((t) => t.table === 'public.заказы')!.file), 'utf8')).trim().split('\n');
    expect(orders[0]).toBe('doc,created_at');
    expect(orders[1]).toContain('""n"" : 25');
  });

  it('file names: plain names as they are, any other with a hash of its exact name', () => {
    expect(exportFileName({ schema: 'public', name: 'orders' })).toBe('public.orders.csv');
    const names = [
      { schema: 'public', name: 'заказы' },
      { schema: 'public', name: 'платежи' },
      { schema: 'public', name: 'order items' },
      { schema: 'public', name: 'order-items' },
      { schema: 'public', name: 'Orders' },
      { schema: 'public', name: 'orders.v2' },
      { schema: 'public.orders', name: 'v2' },
    ];
    const files = names.map(exportFileName);
    expect(new Set(files.map((f) => f.toLowerCase())).size).toBe(names.length);
    expect(files[2]).toMatch(/^public\.order-items\.[0-9a-f]{12}\.csv$/);
    for (const f of files) expect(f).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[0-9a-f]{12}\.csv$/);
  });

  it('never writes over what is already in output-dir: a name whose exports folder is there is passed over', async () => {
    const outputDir = await tempDir('rk-exports-');
    const at = new Date('2026-02-03T04:05:06.789Z');
    const first = join(outputDir, `${snapshotBaseName(db.name, undefined, at)}.dump`);
    // What an earlier run left: its exports, whose snapshot was moved away.
    await mkdir(`${first}.exports`);
    await writeFile(join(`${first}.exports`, 'public.customers.csv'), 'KEEP');
    const result = await snapshot(outputDir, () => at);
    expect(result.path).toBe(join(outputDir, `${snapshotBaseName(db.name, undefined, at)}-2.dump`));
    expect(await readFile(join(`${first}.exports`, 'public.customers.csv'), 'utf8')).toBe('KEEP');
    expect(result.exportsDir).toBe(`${result.path}.exports`);
  });
});
