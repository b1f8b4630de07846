// `restore --dry-run` with a manifest written before rowCounts: 'dumped', whose counts took a table
// with its inheritance children (count(*) without ONLY). Counted now with ONLY, a parent was compared
// with a number that held its children's rows: the rows written into it since went unsaid, and the
// total with them. Through the bundle, on real PostgreSQL.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { countTableRows } from '../../src/db/restore-rows.js';
import { connect } from '../../src/db/session.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.drop();
  db = undefined;
});

/** A snapshot of `db` whose manifest reads as an older one: no rowCounts, each table counted with its inheritance children. */
async function oldSnapshot(database: TestDatabase, dir: string, counts: Record<string, number | null>): Promise<string> {
  const { path, manifestPath } = await takeSnapshot(wholeDatabaseSnapshot(parseConnectionString(database.url), { outputDir: dir }), memoryLog());
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  delete manifest.rowCounts;
  for (const t of manifest.tables) if (t.name in counts) t.rows = counts[t.name];
  writeFileSync(manifestPath, JSON.stringify(manifest));
  return path;
}

describe('restore --dry-run, a manifest from before rowCounts', () => {
  it("a parent's own rows are told from its children's: the rows written into it since are counted as discarded", async () => {
    db = await createTestDatabase('rk_dry_old_manifest');
    await db.query(`CREATE TABLE public.events (id int); CREATE TABLE public.clicks () INHERITS (public.events); CREATE TABLE public.taps () INHERITS (public.clicks);
      INSERT INTO public.events SELECT generate_series(1, 3); INSERT INTO public.clicks SELECT generate_series(1, 11); INSERT INTO public.taps SELECT generate_series(1, 2)`);
    const cwd = await tempDir('rk-dry-old-');
    // As the older snapshot counted them: events 3 + 11 + 2, clicks 11 + 2, taps 2.
    const snapshot = await oldSnapshot(db, join(cwd, 'good'), { events: 16, clicks: 13, taps: 2 });
    await db.query('INSERT INTO public.events SELECT generate_series(4, 7); INSERT INTO public.clicks VALUES (12), (13); INSERT INTO public.taps VALUES (3)');

    const run = await runCli(['restore', '--snapshot-path', snapshot, '--dry-run'], { cwd, env: { DATABASE_URL: db.url } });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const start = lines.findIndex((l) => l.startsWith('Dry run: would restore'));
    expect(lines.slice(start + 1, start + 5)).toEqual([
      '  1. public.clicks: 13 now, 11 from the snapshot (2 discarded)',
      '  2. public.events: 7 now, 3 from the snapshot (4 discarded)',
      '  3. public.taps: 3 now, 2 from the snapshot (1 discarded)',
      'It would discard 7 row(s): rows written since the snapshot, net of those deleted since.',
    ]);
  });

  it('a child whose rows the snapshot left out: the parent is counted with its children now as then, and said so', async () => {
    db = await createTestDatabase('rk_dry_old_manifest_excluded');
    await db.query('CREATE TABLE public.events (id int); CREATE TABLE public.clicks () INHERITS (public.events); INSERT INTO public.events VALUES (1); INSERT INTO public.clicks VALUES (1), (2)');
    const session = await connect(parseConnectionString(db.url), {});
    try {
      const manifest = { tables: [{ schema: 'public', name: 'clicks', rows: null }, { schema: 'public', name: 'events', rows: 3 }] };
      await db.query('INSERT INTO public.events VALUES (2)');
      const rows = await countTableRows(session, manifest, 300_000);
      expect(rows).toEqual([
        { table: 'public.clicks', now: 2, snapshot: null, counted: 'yes' },
        { table: 'public.events', now: 4, snapshot: 3, counted: 'yes', withChildren: true },
      ]);
      // A manifest of each table's own rows is read as it is, whatever the tree.
      expect(await countTableRows(session, { ...manifest, rowCounts: 'dumped' }, 300_000)).toEqual([
        { table: 'public.clicks', now: 2, snapshot: null, counted: 'yes' },
        { table: 'public.events', now: 2, snapshot: 3, counted: 'yes' },
      ]);
    } finally {
      await session.end();
    }
  });
});
