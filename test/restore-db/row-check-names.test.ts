// restore-db's row-count mismatch, through the bundles, with a schema whose name holds a newline and
// a workflow command: every table and count reaches the ::error:: line and the summary, the name
// with its newline written out, never cut at it ("…before the commit: "sch. The restore ran…").
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';

describe('restore-db row check, a name holding a newline', () => {
  it('names every table and count', async () => {
    const db = await createTestDatabase('rk_restore_names');
    await db.query(`
      CREATE SCHEMA "sch${'\n'}::add-mask::x"; CREATE TABLE "sch${'\n'}::add-mask::x".t (x int);
      CREATE TABLE public."::error::forged title" (x int); INSERT INTO public."::error::forged title" SELECT generate_series(1, 5);
      CREATE TABLE public.plain (x int); INSERT INTO public.plain VALUES (1), (2);`);
    const dir = await mkdtemp(join(tmpdir(), 'rk-restore-names-'));
    try {
      const snap = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir });
      expect(snap.code, snap.stdout + snap.stderr).toBe(0);
      const path = snap.outputs['manifest-path']!;
      const manifest = JSON.parse(readFileSync(path, 'utf8'));
      for (const t of manifest.tables as { schema: string; rows: number }[]) if (t.schema !== 'public') t.rows += 7;
      manifest.tables.find((t: { name: string }) => t.name === '::error::forged title').rows += 7;
      await writeFile(path, JSON.stringify(manifest));

      const restore = await runAction('restore-db', { 'database-url': db.url, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
      expect(restore.code).not.toBe(0);
      const listed = '"sch\\n::add-mask::x".t (7 expected, 0 restored), public."::error::forged title" (12 expected, 5 restored). The restore ran';
      expect(restore.errors[0]).toContain(`the tables did not hold the rows the snapshot holds before the commit: ${listed}`);
      // Markdown: the backslash escaped, so it shows as one.
      expect(restore.summary).toContain('"sch\\\\n::add-mask::x".t (7 expected, 0 restored), public."::error::forged title" (12 expected, 5 restored).');
      // Nothing the names hold starts a workflow command of its own.
      expect(restore.stdout).not.toMatch(/^::add-mask::x/m);
      expect(restore.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
