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
