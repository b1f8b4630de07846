// `rollback-kit snapshot --dry-run` checks what the snapshot would check before it writes anything:
// it connects, finds a pg_dump that fits the server, and lists the tables it would dump; it writes
// nothing (no folder, no file). Once it contacted nothing and said "would snapshot … Nothing was
// done." with exit 0 even for a server on port 1, while restore and down --dry-run connect and check.
// From the command's source, on real PostgreSQL.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runMain } from './run-main.js';

let db: TestDatabase;
let cwd: string;
const names = Array.from({ length: 25 }, (_, i) => `t${String(i + 1).padStart(2, '0')}`);

beforeAll(async () => {
  db = await createTestDatabase('rk_snapshot_dry');
  await db.query(names.map((n) => `CREATE TABLE ${n} (id int, created_at timestamptz)`).join('; '));
  cwd = await mkdtemp(join(tmpdir(), 'rk-snapshot-dry-'));
});

afterAll(async () => {
  await db?.drop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('rollback-kit snapshot --dry-run', () => {
  it('fails clearly when the database cannot be reached, and does not say what it would do', async () => {
    const run = await runMain(['snapshot', '--dry-run'], { cwd, env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/zz' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Cannot reach PostgreSQL at 127.0.0.1:1/zz: connection refused');
    expect(run.stdout + run.stderr).not.toMatch(/would snapshot|Nothing was done/);
    expect(existsSync(join(cwd, 'rollback-kit-snapshots'))).toBe(false);
  });

  it('names the server, the pg_dump and the tables it would dump, and writes nothing', async () => {
    const run = await runMain(['snapshot', '--dry-run'], { cwd, env: { DATABASE_URL: db.url } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`Dry run: would snapshot 127\\.0\\.0\\.1:5432/${db.name} \\(PostgreSQL \\d+\\.\\d+, pg_dump \\d+\\.\\d+, custom format\\) into .*: 25 table\\(s\\), public\\.t01, .*public\\.t20 and 5 more\\.`));
    expect(run.stdout).toContain('Nothing was done.');
    const json = JSON.parse((await runMain(['snapshot', '--dry-run', '--json'], { cwd, env: { DATABASE_URL: db.url } })).stdout);
    expect(json).toMatchObject({ status: 'dry-run', tableCount: 25, schemas: ['public'] });
    expect(json.tables).toEqual(names.map((n) => `public.${n}`));
    expect(existsSync(join(cwd, 'rollback-kit-snapshots'))).toBe(false);
  });
});
