// The README's first command: the local sandbox rollback must work end to end.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { adminQuery } from './helpers/pg.js';
import { ROOT } from './helpers/run-action.js';

it('npm run demo undoes a bad migration and restores damaged data, and verifies both', async () => {
  const database = `rk_demo_${process.pid}`;
  try {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts/demo.mjs')], { env: { ...process.env, DEMO_DATABASE: database }, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('The bad deploy ran: {"customers":"500","tickets":"2500","parts_table":"0"}');
    expect(run.stdout).toContain('After the rollback: {"customers":"500","tickets":"5000","parts_table":"1"}');
    expect(run.stdout).toContain('smoke-test says: severity major, decision rollback');
    expect(run.stdout).toContain('run-down-migrations: reverted, reverted ["20251024000000"]');
    expect(run.stdout).toMatch(/\[X\] 20251001000000_phase1\.sql\n\[ \] 20251024000000_phase2_task_templates\.sql/);
    expect(run.stdout).toContain('smoke-test says: severity none, decision none');
    expect(run.stdout).toContain('A. Migration rolled back: smoke checks pass, the data is kept.');
    expect(run.stdout).toContain('B. Rollback verified: every row is back.');
  } finally {
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await adminQuery(`DROP DATABASE IF EXISTS ${database}_migrations WITH (FORCE)`);
  }
});
