// snapshot-db and restore-db through their bundles, as the runner runs them, on real PostgreSQL.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { findSecret, runAction } from '../helpers/run-action.js';
import { buildShopDatabase, fingerprintDatabase } from './fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

const PASSWORD = 'Sn4p-s3cret!pw';

/** The test database's URL with a password in it: the server trusts local connections, so it connects and must never show. */
function withPassword(url: string): string {
  const u = new URL(url);
  u.username = 'postgres';
  u.password = encodeURIComponent(PASSWORD);
  return u.toString();
}

let db: TestDatabase;
let original: Record<string, unknown>;

beforeAll(async () => {
  db = await createTestDatabase('rk_snap');
  await buildShopDatabase(db);
  original = await fingerprintDatabase(db);
});

async function damage(): Promise<void> {
  await db.query(`
    DROP TABLE inventory.parts CASCADE;
    DELETE FROM public.service_tickets WHERE id % 2 = 0;
    UPDATE public.customers SET email = 'x' || email WHERE id < 10;
    DROP POLICY tickets_owner ON public.service_tickets;
    DROP VIEW public.open_tickets;
    SELECT setval('public.invoice_no', 5000);`);
}

describe.each(['custom', 'directory', 'plain'] as const)('%s format', (format) => {
  it('snapshots, survives damage and restores the exact catalogue and data', async () => {
    const outputDir = await tempDir('rk-snaps-');
    const snap = await runAction('snapshot-db', {
      'database-url': withPassword(db.url),
      format,
      jobs: format === 'directory' ? 2 : undefined,
      'output-dir': outputDir,
      label: 'before-deploy',
    });
    expect(snap.errors).toEqual([]);
    expect(snap.code).toBe(0);
    const { outputs } = snap;
    expect(outputs.format).toBe(format);
    expect(outputs.path).toMatch(new RegExp(`${db.name}-before-deploy-\\d{8}T\\d{9}Z`));
    expect(existsSync(outputs.path!)).toBe(true);
    expect(Number(outputs['size-bytes'])).toBeGreaterThan(10_000);
    expect(outputs.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(outputs['server-version']).toMatch(/^\d+\.\d+/);
    expect(Number(outputs['duration-ms'])).toBeGreaterThan(0);

    const manifest = JSON.parse(readFileSync(outputs['manifest-path']!, 'utf8'));
    expect(manifest).toMatchObject({ tool: 'rollback-kit', database: db.name, format, sha256: outputs.sha256, label: 'before-deploy' });
    const rows = Object.fromEntries(manifest.tables.map((t: { schema: string; name: string; rows: number }) => [`${t.schema}.${t.name}`, t.rows]));
    expect(rows).toMatchObject({ 'public.service_tickets': 3000, 'public.customers': 300, 'inventory.parts': 600, 'public.audit_log': 500, 'supabase_migrations.schema_migrations': 1 });
    expect(manifest.objects).toMatchObject({ views: 1, materializedViews: 1, functions: 2, triggers: 1, policies: 2, schemas: 3 });
    expect(manifest.objects.sequences).toBeGreaterThanOrEqual(4);
    expect(snap.summary).toContain('verified');
    expect(snap.summary).toContain(outputs.path);

    await damage();
    expect(await fingerprintDatabase(db)).not.toEqual(original);

    const restore = await runAction('restore-db', {
      'database-url': withPassword(db.url),
      'snapshot-path': outputs.path,
      confirm: db.name,
      jobs: format === 'directory' ? 2 : undefined,
    });
    expect(restore.errors).toEqual([]);
    expect(restore.code).toBe(0);
    expect(restore.outputs.verified).toBe('true');
    expect(restore.outputs['tables-restored']).toBe(String(manifest.tables.length));
    expect(existsSync(restore.outputs['pre-restore-snapshot-path']!)).toBe(true);
    expect(await fingerprintDatabase(db)).toEqual(original);

    for (const run of [snap, restore]) {
      expect(await findSecret(run, PASSWORD, [outputDir])).toEqual([]);
      expect(run.masked).toContain(PASSWORD);
    }
  });
});

describe('snapshot-db options', () => {
  it('exports rows newer than export-since to CSV in the same snapshot', async () => {
    const outputDir = await tempDir('rk-snaps-');
    const run = await runAction('snapshot-db', {
      'database-url': db.url,
      'output-dir': outputDir,
      'export-since': '2026-01-03T00:00:00Z',
      'export-tables': 'service_tickets\npublic.customers',
    });
    expect(run.errors).toEqual([]);
    const dir = run.outputs['exports-dir']!;
    expect(readdirSync(dir).sort()).toEqual(['public.customers.csv', 'public.service_tickets.csv']);
    const tickets = readFileSync(join(dir, 'public.service_tickets.csv'), 'utf8').trim().split('\n');
    const expected = await db.query<{ n: string }>("SELECT count(*) AS n FROM public.service_tickets WHERE created_at > '2026-01-03T00:00:00Z'");
    expect(tickets[0]).toBe('id,customer_id,title,status,updated_at,created_at');
    expect(tickets.length - 1).toBe(Number(expected.rows[0]!.n));
    expect(tickets.length - 1).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(run.outputs['manifest-path']!, 'utf8'));
    expect(manifest.exports.tables).toContainEqual({ table: 'public.service_tickets', file: 'public.service_tickets.csv', rows: tickets.length - 1 });
    expect(run.summary).toContain('Rows newer than 2026-01-03T00:00:00.000Z');
  });

  it('accepts a libpq key=value connection string and keeps its password out of everything', async () => {
    const outputDir = await tempDir('rk-snaps-');
    const u = new URL(db.url);
    const run = await runAction('snapshot-db', { 'database-url': `host=${u.hostname} port=${u.port || 5432} dbname=${db.name} user=postgres password='${PASSWORD}'`, 'output-dir': outputDir });
    expect(run.errors).toEqual([]);
    expect(run.outputs.path).toContain(db.name);
    expect(await findSecret(run, PASSWORD, [outputDir])).toEqual([]);
  });

  it('keeps migration history when only some schemas are dumped, and honours exclude-table-data', async () => {
    const outputDir = await tempDir('rk-snaps-');
    const run = await runAction('snapshot-db', {
      'database-url': db.url,
      'output-dir': outputDir,
      schemas: 'public',
      'exclude-table-data': 'public.audit_log',
    });
    expect(run.errors).toEqual([]);
    expect(run.log).toContain('supabase_migrations');
    const manifest = JSON.parse(readFileSync(run.outputs['manifest-path']!, 'utf8'));
    const names = manifest.tables.map((t: { schema: string; name: string }) => `${t.schema}.${t.name}`);
    expect(names).toContain('supabase_migrations.schema_migrations');
    expect(names).not.toContain('inventory.parts');
    expect(manifest.tables.find((t: { name: string }) => t.name === 'audit_log').rows).toBeNull();
  });

  it('restores over a database that changed after the snapshot, and leaves new tables named in the summary', async () => {
    const target = await createTestDatabase('rk_snap2');
    await buildShopDatabase(target, 200);
    const outputDir = await tempDir('rk-snaps-');
    const snap = await runAction('snapshot-db', { 'database-url': target.url, 'output-dir': outputDir });
    await target.query("CREATE TABLE public.task_templates (id int); INSERT INTO public.customers (email) VALUES ('late@example.com')");
    const restore = await runAction('restore-db', { 'database-url': target.url, 'snapshot-path': snap.outputs.path, confirm: target.name, 'pre-restore-snapshot': 'false' });
    expect(restore.code).toBe(0);
    expect(restore.outputs.verified).toBe('true');
    expect(restore.outputs['pre-restore-snapshot-path']).toBe('');
    expect(restore.summary).toContain('public.task_templates');
    expect((await target.query("SELECT count(*)::int AS n FROM public.customers WHERE email = 'late@example.com'")).rows[0]!.n).toBe(0);
  });
});
