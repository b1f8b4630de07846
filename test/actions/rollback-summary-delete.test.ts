// The root action (its bundle as the runner runs it, and its source; with its job summary file)
// refusing an incident that is finished while a migration was applied again since: the `::error::`
// line and the job summary both give the DELETE that forgets the incident, with its key. The
// summary once showed `incident\_key = '***'`: its last redaction read the Markdown escape `\_key`
// as a secret's name, so a copy from the summary deleted nothing.
// Real PostgreSQL (dbmate), the stand-in Vercel.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { shopFixture, vercelInputs, type ShopFixture } from '../promote-previous/fixture.js';

let shop: ShopFixture | undefined;
let ws: string | undefined;
let db: TestDatabase | undefined;
afterEach(async () => {
  await Promise.all([shop?.vercel.close(), db?.drop()]);
  if (ws) await rm(ws, { recursive: true, force: true });
});

it.each([
  ['bundle', false],
  ['source', true],
])('the DELETE of a refusal reads the same in the error line and in the job summary (%s)', async (_how, source) => {
  shop = await shopFixture({ historySize: 3 });
  db = await createTestDatabase('rk_summary_delete');
  ws = await mkdtemp(join(tmpdir(), 'rk-summary-delete-'));
  const dir = await writeMigrations(ws, 'dbmate', tables(3));
  await applyMigrations(db, 'dbmate', dir, tables(3));
  const run = (id: string) =>
    runAction('rollback', vercelInputs(shop!, { reason: 'checkout returns 500', scope: 'db', 'database-url': db!.url, 'migrations-dir': 'db/migrations', steps: '1' }), {
      cwd: ws,
      source,
      env: { GITHUB_RUN_ID: id, GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'database' },
    });

  const first = await run('7100');
  expect(first.errors).toEqual([]);
  expect(first.outputs.status).toBe('rolled-back');
  // A redeploy applies the migration again: the next run under the same key is refused.
  await applyMigrations(db, 'dbmate', dir, tables(3));
  const second = await run('7101');
  const key = `production:shop@${shop.bad.uid}`;
  const statement = `DELETE FROM rollback_kit.rollbacks WHERE incident_key = '${key}'`;
  expect(second.code).not.toBe(0);
  expect(second.errors.join('\n')).toContain(statement);
  // In the summary the key is a code span (it holds an `@`), which the reader copies as the key.
  expect(second.summary).toContain(`DELETE FROM rollback\\_kit.rollbacks WHERE incident\\_key = '\`${key}\`'`);
  expect(second.summary).not.toContain("incident\\_key = '***'");
});
