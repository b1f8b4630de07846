// Ctrl-C while the sandbox's rollback takes its snapshot: the stop reaches the pipeline (as it does
// in the action and the CLI's rollback), so the snapshot is ended and the database is left as it
// was, rather than the rollback going on to revert the migration while the cleanup waits for it.
// Through the library (runSandbox), on the local server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { Cleanup } from '../../src/sandbox/cleanup.js';
import { runSandbox } from '../../src/sandbox/run.js';
import { ADMIN_URL } from '../helpers/pg-env.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

it('stopped at the snapshot: the migration is still applied when the cleanup starts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rk-sandbox-stopped-'));
  dirs.push(dir);
  const cleanup = new Cleanup();
  const log = memoryLog();
  const phases: string[] = [];
  const steps: string[] = [];
  const outcome = await runSandbox(
    {
      databaseUrl: ADMIN_URL,
      searchPath: process.env.PATH ?? '',
      cwd: dir,
      reportDir: join(dir, 'report'),
      dryRun: false,
      progress: {
        step: (text) => steps.push(text),
        started: (phase) => {
          phases.push(phase);
          if (phase === 'snapshot') cleanup.stop();
        },
        finished: () => undefined,
      },
    },
    cleanup,
    log,
  ).then(
    () => 'finished',
    (e: unknown) => e,
  );
  try {
    expect(phases).toContain('snapshot');
    expect(outcome).not.toBe('finished');
    // Before the cleanup drops it: the sandbox's database still has both releases' migrations applied.
    const dbName = /database (rollback_kit_sandbox_[0-9a-f]+)/.exec([...steps, ...log.lines].join('\n'))?.[1];
    expect(dbName).toBeDefined();
    const url = new URL(ADMIN_URL);
    url.pathname = `/${dbName}`;
    const client = new pg.Client({ connectionString: url.href });
    await client.connect();
    try {
      expect((await client.query('SELECT count(*)::int AS n FROM schema_migrations')).rows[0]).toEqual({ n: 2 });
    } finally {
      await client.end();
    }
  } finally {
    await cleanup.run();
  }
});
