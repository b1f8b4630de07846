// The command line's database commands stopped by a signal (Ctrl-C, SIGTERM), from their source:
// the stop reaches the work as in the actions (stoppable.ts), so `rollback-kit snapshot` ends
// pg_dump, keeps nothing and says no snapshot was made, exit 143 (SIGINT: 130, as the sandbox), where Node's default used to kill
// the command with pg_dump left running. The signal is emitted in this process, as the handlers
// installed for the command receive it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { heldProcessGroups } from '../../src/core/process.js';
import { adminQuery, createTestDatabase } from '../helpers/pg.js';
import { runMain } from './run-main.js';
import { tempDir } from '../helpers/temp-dir.js';

it('rollback-kit snapshot, SIGTERM mid-dump: pg_dump ended, nothing kept, exit 143 saying no snapshot was made', async () => {
  const db = await createTestDatabase('rk_cli_stopped');
  // About 500 MB of COPY output from a small (compressed) table: the dump is busy long enough to be stopped.
  await db.query('CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 160) AS pad FROM generate_series(1, 100000) g');
  const cwd = await tempDir('rk-cli-stopped-');
  const outputDir = join(cwd, 'snaps');
  const running = runMain(['snapshot', '--output-dir', outputDir], { cwd, env: { DATABASE_URL: db.url } });
  for (;;) {
    const { rowCount } = await adminQuery("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY public.big%' AND state = 'active'", [db.name]);
    if (rowCount) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const listening = process.listenerCount('SIGTERM');
  process.emit('SIGTERM', 'SIGTERM');
  const run = await running;
  // The command's stop handler, and runProcess's forwarder to pg_dump's process group (which leaves
  // pg_dump to the stop handler's abort while one is installed: process.ts).
  expect(listening).toBe(2);
  expect(run.code).toBe(143);
  expect(run.stderr).toContain('SIGTERM: stopping; waiting up to 5 s for the work under way to end');
  expect(run.stderr).toMatch(/rollback-kit snapshot was stopped by SIGTERM: Snapshot of 127\.0\.0\.1:5432\/rk_cli_stopped_[0-9a-f]+ was stopped before it was verified, so no snapshot was made/);
  // The folder it created, and the .gitignore it wrote there (snapshot.ts prepareSnapshotFolder), are gone with the dump.
  expect(existsSync(outputDir)).toBe(false);
  // The command's handlers are gone with it: a later signal is not taken for this command's.
  // (runProcess holds pg_dump's ended group until its kill grace is over, and forwards signals to it till then.)
  expect(process.listenerCount('SIGTERM')).toBe(heldProcessGroups().length ? 1 : 0);
});
