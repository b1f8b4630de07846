// upload-artifact: the snapshot, manifest and exports go up through @actions/artifact, to a local
// stand-in of GitHub's artifact service, with the retention asked for.
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArtifactService, type FakeArtifactService } from '../fakes/artifact-service.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { buildShopDatabase } from './fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

let db: TestDatabase;
let service: FakeArtifactService;

beforeAll(async () => {
  db = await createTestDatabase('rk_upload');
  await buildShopDatabase(db, 200);
  service = await startArtifactService();
});
afterAll(() => service?.close());

it('uploads the snapshot and its manifest as one artifact, kept retention-days', async () => {
  const dir = await tempDir('rk-upload-');
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

it('snapshot-db: not uploaded, its snapshot in RUNNER_TEMP (the default output-dir) is said to go with the job, as restore-db says it', async () => {
  const run = await runAction('snapshot-db', { 'database-url': db.url });
  expect(run.errors).toEqual([]);
  const path = run.outputs.path!;
  expect(path.startsWith(run.runnerTemp)).toBe(true);
  const warning = `The snapshot ${path} is the only copy of the database as this snapshot took it, and it is in RUNNER_TEMP, which GitHub deletes when this job ends. To keep it, set upload-artifact: true, or output-dir to a lasting place, or copy it in a later step of this job with if: always().`;
  expect(run.log).toContain(`::warning::${warning}`);
  expect(run.summary).toContain('> **Warning:** The snapshot ');
  expect(run.summary).toContain('which GitHub deletes when this job ends');
  // Uploaded, or written elsewhere: no warning.
  const uploaded = await runAction('snapshot-db', { 'database-url': db.url, 'upload-artifact': 'true' }, { env: { ACTIONS_RUNTIME_TOKEN: service.token, ACTIONS_RESULTS_URL: service.url } });
  expect(uploaded.errors).toEqual([]);
  expect(uploaded.log).not.toContain('GitHub deletes');
  const elsewhere = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-upload-') });
  expect(elsewhere.log).not.toContain('GitHub deletes');
});

it('restore-db uploads its pre-restore snapshot before restoring, and says where it is even if the restore then fails', async () => {
  const dir = await tempDir('rk-upload-');
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

describe('restore-db keeps its pre-restore snapshot past the job by default', () => {
  async function changedSinceSnapshot(): Promise<string> {
    const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': await tempDir('rk-upload-') });
    expect(snap.errors).toEqual([]);
    await db.query("INSERT INTO public.audit_log (message) SELECT 'late ' || g FROM generate_series(1, 25) g");
    return snap.outputs.path!;
  }

  it('on GitHub (the artifact runtime is there) it uploads it without being asked, before the restore commits', async () => {
    const snapshot = await changedSinceSnapshot();
    const before = service.artifacts.length;
    const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snapshot, confirm: db.name }, { env: { ACTIONS_RUNTIME_TOKEN: service.token, ACTIONS_RESULTS_URL: service.url } });
    expect(run.errors).toEqual([]);
    const pre = basename(run.outputs['pre-restore-snapshot-path']!);
    expect(service.artifacts).toHaveLength(before + 1);
    expect(service.artifacts.at(-1)!.create.name).toBe(pre);
    expect(run.log).toContain(`Uploaded the pre-restore snapshot as artifact ${pre}.`);
    expect(run.log.indexOf(`Uploaded the pre-restore snapshot`)).toBeLessThan(run.log.indexOf('Restore verified'));
    expect(run.summary).toContain(`uploaded as artifact \`${pre}\``);
    expect(run.summary).toContain(`To undo this restore, restore \`${run.outputs['pre-restore-snapshot-path']}\` (artifact \`${pre}\`) the same way.`);
    expect(run.summary).not.toContain('deleted when this job ends');
    // What the restore discarded, and where it is.
    expect(run.summary).toContain('### Rows the restore discarded\n\n- `public.audit_log`: 25 row(s) discarded (525 before, 500 restored)');
  });

  it('an upload that fails rolls the restore back: nothing committed without its way back kept', async () => {
    const snapshot = await changedSinceSnapshot();
    const rows = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.audit_log')).rows[0]!.n;
    // A token the artifact client cannot read: its upload fails at once.
    const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snapshot, confirm: db.name }, { env: { ACTIONS_RUNTIME_TOKEN: 'not-a-token', ACTIONS_RESULTS_URL: service.url } });
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^Uploading artifact .+-pre-restore-\d{8}T\d{9}Z\.dump failed: .+ Run the step again, or set upload-artifact: false to restore without keeping it past the job \(a warning then says where it is\)\. The restore ran in one transaction, so the database is as it was before\./);
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.audit_log')).rows[0]!.n).toBe(rows);
  });

  it('not uploaded (upload-artifact: false), a snapshot in RUNNER_TEMP is said, loudly, to go with the job', async () => {
    const snapshot = await changedSinceSnapshot();
    const before = service.artifacts.length;
    const run = await runAction(
      'restore-db',
      { 'database-url': db.url, 'snapshot-path': snapshot, confirm: db.name, 'upload-artifact': 'false' },
      { env: { ACTIONS_RUNTIME_TOKEN: service.token, ACTIONS_RESULTS_URL: service.url } },
    );
    expect(run.errors).toEqual([]);
    expect(service.artifacts).toHaveLength(before);
    const pre = run.outputs['pre-restore-snapshot-path']!;
    expect(pre.startsWith(run.runnerTemp)).toBe(true);
    const warning = `The pre-restore snapshot ${pre} is the only copy of the database as it was before this restore, and it is in RUNNER_TEMP, which GitHub deletes when this job ends.`;
    expect(run.log).toContain(`::warning::${warning}`);
    expect(run.summary).toContain('on this runner only: **deleted when this job ends**');
    expect(run.summary).toContain(`> **Warning:** ${warning}`);
  });

  it('off GitHub (no artifact runtime) auto uploads nothing; a pre-restore-dir outside RUNNER_TEMP draws no warning', async () => {
    const snapshot = await changedSinceSnapshot();
    const before = service.artifacts.length;
    const run = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snapshot, confirm: db.name, 'pre-restore-dir': await tempDir('rk-upload-kept-') });
    expect(run.errors).toEqual([]);
    expect(service.artifacts).toHaveLength(before);
    expect(run.log).not.toContain('deleted when this job ends');
  });
});
