// A wrong database-url is a configuration error, not an outage: PostgreSQL answered and said the
// password or the database name is wrong. A typo in a secret must never decide a production
// rollback, so the step fails with no verdict, even with fail-step false, as an invalid spec does.
// A database that does not answer (refused, timeout) stays "unreachable": that can be a real outage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPasswordServer, type PasswordServer } from '../helpers/password-pg.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { findSecret, runAction, type ActionRun } from '../helpers/run-action.js';
import { startServer, type ScriptedServer } from './servers.js';

let server: ScriptedServer;
let db: TestDatabase;
let passwords: PasswordServer;
beforeAll(async () => {
  server = await startServer();
  db = await createTestDatabase('rk_smoke_dburl');
  passwords = await startPasswordServer();
});
afterAll(async () => {
  await server?.close();
  await passwords?.stop();
});

const CHECKS = `
- {name: health, url: /health, critical: true}
- {name: tickets, query: select 1, critical: true}
`;
const fast = { attempts: 3, 'interval-seconds': 0.05, 'timeout-seconds': 5 };

async function expectNoVerdict(run: ActionRun, problem: RegExp): Promise<void> {
  expect(run.code).toBe(1);
  expect(run.errors).toHaveLength(1);
  const error = run.errors[0]!;
  expect(error).toMatch(/^The SQL checks cannot run because database-url is wrong: /);
  expect(error).toMatch(problem);
  expect(error).toContain('This is a configuration error, not an outage: nothing was decided');
  expect(error).not.toMatch(/unreachable|rollback|critical/);
  // No verdict: none of the outputs a later step acts on.
  expect(run.outputs).toEqual({});
  expect(run.summary).toContain('nothing was decided');
  expect(run.summary).not.toMatch(/decision \*\*rollback\*\*/);
  // The first answer settles it: no further attempts.
  expect(run.log).not.toMatch(/attempt \d\/3 failed/);
}

describe('smoke-test: a wrong database-url fails the step with no verdict, even with fail-step false', () => {
  it('a database that does not exist (3D000)', async () => {
    const url = new URL(db.url);
    url.pathname = '/nosuchdb';
    url.password = 'pw-Zr81Lk3Nq';
    const run = await runAction('smoke-test', { 'base-url': server.url, 'database-url': url.toString(), checks: CHECKS, 'fail-step': false, ...fast });
    await expectNoVerdict(run, /Database "nosuchdb" does not exist on [^ ]+:\d+\. This is/);
    expect(run.errors[0]).toContain('Check the database name in database-url.');
    expect(await findSecret(run, 'pw-Zr81Lk3Nq')).toEqual([]);
  });

  it('a wrong password (28P01)', async () => {
    const wrong = 'Wr0ng-Secret-Typo';
    const run = await runAction('smoke-test', { 'base-url': server.url, 'database-url': passwords.urlWithPassword(wrong), checks: CHECKS, 'fail-step': false, ...fast });
    await expectNoVerdict(run, /PostgreSQL at 127\.0\.0\.1:\d+\/postgres rejected the password for user "postgres"\. This is/);
    expect(run.errors[0]).toContain('Check the password in database-url');
    expect(await findSecret(run, wrong)).toEqual([]);
  });

  it('the right password still measures and decides', async () => {
    const run = await runAction('smoke-test', { 'base-url': server.url, 'database-url': passwords.url, checks: CHECKS, 'fail-step': false, ...fast });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({ passed: 'true', severity: 'none', decision: 'none' });
  });
});
