// A restore says its snapshot is verified once, after the last check that can still refuse it.
// A truncated dump whose manifest's sha256 was edited to match passes the hash: the log once said
// "Snapshot … verified: … as it was when it was read back in full." and then refused the same
// snapshot as corrupt or truncated. Through the library on real PostgreSQL.
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { previewRestore, restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from './request.js';

let db: TestDatabase;
let dir: string;
let snapshot: string;

beforeAll(async () => {
  db = await createTestDatabase('rk_said_once');
  await db.query("CREATE TABLE public.orders (id int PRIMARY KEY, note text); INSERT INTO public.orders SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 5000) g");
  dir = await mkdtemp(join(tmpdir(), 'rk-said-once-'));
  snapshot = (await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir: dir }), memoryLog())).path;
});

afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A copy cut to `share` of its size, its manifest's sha256 rewritten to match. */
function truncatedCopy(name: string, share: number): string {
  const path = join(dir, name);
  copyFileSync(snapshot, path);
  truncateSync(path, Math.floor(statSync(path).size * share));
  const manifest = JSON.parse(readFileSync(`${snapshot}.manifest.json`, 'utf8'));
  manifest.sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  writeFileSync(`${path}.manifest.json`, JSON.stringify(manifest));
  return path;
}

const verifiedLines = (lines: string[]) => lines.filter((l) => /\bverified\b/.test(l));

it.each([
  ['its table of contents', 0.6],
  ['its last data', 0.97],
])('a truncated snapshot whose manifest matches, cut in %s: refused as corrupt, never said verified', async (_where, share) => {
  const path = truncatedCopy(`cut-${share}.dump`, share);
  const log = memoryLog();
  await expect(restoreSnapshot(await restoreRequest(db.url, path, { preRestoreSnapshot: false, preRestoreDir: dir }), log)).rejects.toThrow(/is corrupt or truncated/);
  expect(verifiedLines(log.lines)).toEqual([]);
  expect((await db.query('SELECT count(*)::int AS n FROM public.orders')).rows[0]).toEqual({ n: 5000 });
});

it('a good snapshot is said verified once, after the restore has read it in full; its dry run claims only the hash', async () => {
  const preview = memoryLog();
  await previewRestore(await restoreRequest(db.url, snapshot, { preRestoreSnapshot: false, preRestoreDir: dir }), preview);
  expect(verifiedLines(preview.lines)).toEqual([]);
  expect(preview.lines.join('\n')).toMatch(/sha256 [0-9a-f]{12}…, \d+ bytes, as its manifest records, and its table of contents read; its data is read in full only by the restore\./);

  const log = memoryLog();
  await restoreSnapshot(await restoreRequest(db.url, snapshot, { preRestoreSnapshot: false, preRestoreDir: dir }), log);
  const said = verifiedLines(log.lines).filter((l) => l.startsWith(`Snapshot ${snapshot}`));
  expect(said).toHaveLength(1);
  expect(said[0]).toMatch(/verified: sha256 [0-9a-f]{12}…, \d+ bytes, as it was when it was read back in full, and read in full by the restore\./);
  expect(log.lines.findIndex((l) => l.startsWith('Restoring '))).toBeLessThan(log.lines.indexOf(said[0]!));
});
