// The README's first command: the local sandbox rollback must work end to end.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { adminQuery } from './helpers/pg.js';
import { ROOT } from './helpers/run-action.js';

it('npm run demo rolls a damaged database back and verifies it', async () => {
  const database = `rk_demo_${process.pid}`;
  try {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts/demo.mjs')], { env: { ...process.env, DEMO_DATABASE: database }, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('The bad deploy ran: {"customers":"500","tickets":"2500","parts_table":"0"}');
    expect(run.stdout).toContain('After the rollback: {"customers":"500","tickets":"5000","parts_table":"1"}');
    expect(run.stdout).toContain('Rollback verified: every row is back.');
  } finally {
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
});
