// What the server answers at startup decides between "database-url is wrong" and "the database is
// down". A server that answers and refuses what the URL asks for (an unknown setting in options,
// SSL it does not have, a pg_hba rule, a password it wants) is up: a configuration error, which
// never decides a rollback. A server that is shutting down, starting up or out of connections, and
// one that does not answer at all, is an outage, as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionString } from '../../src/db/connection.js';
import { connect, ConnectionError } from '../../src/db/session.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { startRefusingServer, type RefusingServer } from '../helpers/refusing-pg.js';
import { runAction } from '../helpers/run-action.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('rk_startup');
  // The repro's premise: this server has no SSL, so sslmode=require is a mistake against it.
  expect((await db.query<{ ssl: string }>('SHOW ssl')).rows[0]!.ssl).toBe('off');
});

const servers: RefusingServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});
async function refusing(code: string, message: string): Promise<string> {
  const s = await startRefusingServer(code, message);
  servers.push(s);
  return s.url;
}

const withParams = (url: string, query: string) => `${url}${url.includes('?') ? '&' : '?'}${query}`;

async function connectionError(url: string): Promise<ConnectionError> {
  try {
    const session = await connect(parseConnectionString(url), { connectTimeoutMs: 3000 });
    await session.end();
  } catch (err) {
    if (err instanceof ConnectionError) return err;
    throw err;
  }
  throw new Error(`${url} connected`);
}

describe('ConnectionError.isConfiguration: the server answered and refused the URL', () => {
  it.each([
    ['an unknown setting in options', () => withParams(db.url, 'options=-c%20no_such_guc%3D1'), /refused the connection: unrecognized configuration parameter "no_such_guc" \(SQLSTATE 42704\)/],
    ['a bad value in options', () => withParams(db.url, 'options=-c%20statement_timeout%3Dabc'), /invalid value for parameter "statement_timeout"/],
    ['sslmode=require, and the server has no SSL', () => withParams(db.url, 'sslmode=require'), /does not accept SSL, and database-url requires it \(sslmode=require\)/],
    ['a pg_hba rule with no entry for the client (28000)', () => refusing('28000', 'no pg_hba.conf entry for host "10.1.2.3", user "app", database "shop", no encryption'), /refused user "postgres": no pg_hba\.conf entry/],
    ['a pooler refusing a parameter (08P01)', () => refusing('08P01', 'unsupported startup parameter: search_path'), /unsupported startup parameter: search_path \(SQLSTATE 08P01\)/],
    ['a database that does not exist (3D000)', () => withParams(db.url.replace(/\/[^/?]+$/, '/rk_startup_nosuchdb'), 'x=1'), /Database "rk_startup_nosuchdb" does not exist/],
  ])('%s', async (_what, url, message) => {
    const err = await connectionError(await url());
    expect(err.message).toMatch(message);
    expect(err.isConfiguration).toBe(true);
  });

  it.each([
    ['shutting down (57P01)', '57P01', 'terminating connection due to administrator command'],
    ['starting up (57P03)', '57P03', 'the database system is starting up'],
    ['in recovery, not yet accepting connections (57P03)', '57P03', 'the database system is not yet accepting connections'],
    ['out of connection slots (53300)', '53300', 'sorry, too many clients already'],
  ])('an outage: a server %s', async (_what, code, text) => {
    const err = await connectionError(await refusing(code, text));
    expect(err.code).toBe(code);
    expect(err.isConfiguration).toBe(false);
  });

  it('an outage: nothing listening', async () => {
    const err = await connectionError('postgres://postgres@127.0.0.1:1/postgres');
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.isConfiguration).toBe(false);
  });

  it('an sslmode libpq does not know never reaches the server', () => {
    expect(() => parseConnectionString(withParams(db.url, 'sslmode=bogus'))).toThrow(/invalid sslmode "bogus"/);
  });
});

const CHECKS = `- {name: orders, query: select 1, critical: true}\n`;
const inputs = (url: string) => ({ 'database-url': url, checks: CHECKS, attempts: 2, 'interval-seconds': 0.05, 'timeout-seconds': 3, 'fail-step': 'false' });

describe('smoke-test: a mistake in database-url is no verdict, an outage still decides', () => {
  it.each([
    ['options=-c%20no_such_guc%3D1', /unrecognized configuration parameter "no_such_guc"/],
    ['sslmode=require', /does not accept SSL/],
  ])('?%s: configuration error, no outputs, even with fail-step false', async (query, problem) => {
    const run = await runAction('smoke-test', inputs(withParams(db.url, query)));
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^The SQL checks cannot run because database-url is wrong: /);
    expect(run.errors[0]).toMatch(problem);
    expect(run.errors[0]).toContain('This is a configuration error, not an outage');
    expect(run.outputs).toEqual({});
    expect(run.log).not.toMatch(/unreachable/);
  });

  it('?sslmode=bogus: refused as an input, nothing decided', async () => {
    const run = await runAction('smoke-test', inputs(withParams(db.url, 'sslmode=bogus')));
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toMatch(/invalid sslmode "bogus"/);
    expect(run.outputs.decision).toBeUndefined();
  });

  it.each([
    ['57P03', 'the database system is starting up'],
    ['57P01', 'terminating connection due to administrator command'],
  ])('a server answering %s is unreachable: critical, rollback', async (code, text) => {
    const run = await runAction('smoke-test', inputs(await refusing(code, text)));
    expect(run.errors.join('\n')).not.toMatch(/configuration error|database-url is wrong/);
    expect(run.errors.join('\n')).toContain(text);
    expect(run.outputs).toMatchObject({ passed: 'false', severity: 'critical', decision: 'rollback' });
  });
});

describe('the root action: verify with a wrong database-url fails the phase as configuration, not "production still broken"', () => {
  it('options with an unknown setting', async () => {
    const run = await runAction('rollback', {
      reason: 'checkout 500s',
      provider: 'command',
      command: 'true',
      'incident-issue': 'false',
      'database-url': withParams(db.url, 'options=-c%20no_such_guc%3D1'),
      checks: CHECKS,
    });
    expect(run.outputs.status).toBe('failed');
    expect(run.outputs['failed-phase']).toBe('verify');
    const verify = (JSON.parse(run.outputs.timeline!) as { phase: string; detail: string }[]).find((e) => e.phase === 'verify')!;
    expect(verify.detail).toMatch(/database-url is wrong: .*no_such_guc/);
    expect(run.outputs.decision).not.toBe('rollback');
  });
});
