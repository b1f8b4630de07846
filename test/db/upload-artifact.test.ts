// upload-artifact: the snapshot, manifest and exports go up through @actions/artifact, to a local
// stand-in of GitHub's artifact service, with the retention asked for.
import { mkdtemp } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startArtifactService, type FakeArtifactService } from '../fakes/artifact-service.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { buildShopDatabase } from './fixture.js';

let db: TestDatabase;
let service: FakeArtifactService;

beforeAll(async () => {
  db = await createTestDatabase('rk_upload');
  await buildShopDatabase(db, 200);
  service = await startArtifactService();
});
afterAll(() => service?.close());

it('uploads the snapshot and its manifest as one artifact, kept retention-days', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rk-upload-'));
  const run = await runAction(
    'snapshot-db',
    { 'database-url': db.url, 'output-dir': dir, 'upload-artifact': 'true', 'retention-days': '7', 'export-since': '2026-01-01T00:00:00Z', 'export-tables': 'customers' },
    { env: { ACTIONS_RUNTIME_TOKEN: service.token, ACTIONS_RESULTS_URL: service.url } },
  );
  expect(run.errors).toEqual([]);
  expect(run.code).toBe(0);
  expect(service.artifacts).toHaveLength(1);
  const artifact = service.artifacts[0]!;
  const name = basename(run.outputs.path!);
  expect(artifact.create.name).toBe(name);
  const expires = new Date(String(artifact.create.expires_at)).getTime();
  expect(Math.round((expires - Date.now()) / 86_400_000)).toBe(7);
  expect(artifact.finalize).toMatchObject({ name });
  // The zip's central directory names every file it holds.
  const zip = artifact.content!;
  expect(zip.subarray(0, 2).toString()).toBe('PK');
  for (const file of [name, `${name}.manifest.json`, `${name}.exports/public.customers.csv`]) expect(zip.includes(Buffer.from(file))).toBe(true);
  expect(run.summary).toContain(`Uploaded as artifact \`${name}\` (kept 7 days)`);
});

it('restore-db uploads its pre-restore snapshot before restoring, and says where it is even if the restore then fails', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rk-upload-'));
  const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir });
  expect(snap.errors).toEqual([]);
  // A row the snapshot has not, pointed at by a table it has not: the restore cannot keep both, and fails.
  await db.query("INSERT INTO public.customers (email) VALUES ('late@example.com'); CREATE TABLE public.notes (customer_id int REFERENCES public.customers(id)); INSERT INTO public.notes SELECT max(id) FROM public.customers");
  const before = service.artifacts.length;
  const run = await runAction(
    'restore-db',
    { 'database-url': db.url, 'snapshot-path': snap.outputs.path, confirm: db.name, 'upload-artifact': 'true', 'retention-days': '3' },
    { env: { ACTIONS_RUNTIME_TOKEN: service.token, ACTIONS_RESULTS_URL: service.url } },
  );
  expect(run.code).not.toBe(0);
  expect(run.errors[0]).toContain('so the database is as it was before');
  const pre = run.outputs['pre-restore-snapshot-path']!;
  expect(basename(pre)).toMatch(new RegExp(`^${db.name}-pre-restore-\\d{8}T\\d{9}Z\\.dump$`));
  expect(service.artifacts).toHaveLength(before + 1);
  const artifact = service.artifacts.at(-1)!;
  expect(artifact.create.name).toBe(basename(pre));
  for (const file of [basename(pre), `${basename(pre)}.manifest.json`]) expect(artifact.content!.includes(Buffer.from(file))).toBe(true);
  expect(run.log).toContain(`Uploaded the pre-restore snapshot as artifact ${basename(pre)}, kept 3 days.`);
  expect((await db.query("SELECT count(*)::int AS n FROM public.customers WHERE email = 'late@example.com'")).rows[0]!.n).toBe(1);
});

it('restore-db: upload-artifact with pre-restore-snapshot false is refused before anything is done', async () => {
  const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': '/nonexistent.dump', confirm: db.name, 'upload-artifact': 'true', 'pre-restore-snapshot': 'false' });
  expect(run.code).not.toBe(0);
  expect(run.errors).toEqual(['upload-artifact uploads the pre-restore snapshot, and pre-restore-snapshot is false. Set pre-restore-snapshot: true, or upload-artifact: false. Nothing was changed.']);
});
