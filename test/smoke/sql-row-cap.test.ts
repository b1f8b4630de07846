// An SQL check judges a row count and the first value, yet every row of its result was sent to the
// runner and held in memory: `SELECT * FROM events` on a large table, within the statement timeout,
// could take gigabytes and end the step with no verdict. A query that reads now runs as a cursor:
// its first rows fetched, the rest counted on the server (MOVE ALL sends no rows), counts exact.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString, type ConnectionTarget } from '../../src/db/connection.js';
import { CheckConfigError } from '../../src/smoke/config-error.js';
import { FETCHED_ROWS, probeSql } from '../../src/smoke/sql-probe.js';
import type { SqlCheck } from '../../src/smoke/spec.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let direct: ConnectionTarget;
let proxied: ConnectionTarget;
let server: Server;
const sockets = new Set<Socket>();
/** Bytes the server sent through the proxy. */
let fromServer = 0;

beforeAll(async () => {
  db = await createTestDatabase('rk_smoke_rows');
  await db.query('CREATE TABLE events (id int PRIMARY KEY, body text); INSERT INTO events SELECT g, repeat(\'x\', 1000) FROM generate_series(1, 20000) g');
  direct = parseConnectionString(db.url);
  const pg = new URL(db.url);
  server = createServer((client) => {
    const upstream = connect(Number(pg.port || 5432), pg.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      fromServer += d.length;
      client.write(d);
    });
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      a.on('close', () => b.destroy());
      a.on('error', () => b.destroy());
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxied = { ...direct, host: '127.0.0.1', port: (server.address() as { port: number }).port };
});

afterAll(() => {
  for (const s of sockets) s.destroy();
  server?.close();
});

const check = (query: string, more: Partial<SqlCheck> = {}): SqlCheck => ({ kind: 'sql', name: 'events', critical: true, query, ...more });
const probe = (c: SqlCheck, target = direct, timeoutMs = 10_000) => probeSql(c, target, { timeoutMs, log: memoryLog() });

describe('SQL checks hold only the rows they judge', () => {
  it('20 MB of rows: the count is exact, the first value read, and well under 1 MB crosses the wire', async () => {
    fromServer = 0;
    const outcome = await probe(check('SELECT id, body FROM events ORDER BY id', { expectRows: { min: 20000, max: 20000 }, expectValue: { value: 1 } }), proxied);
    expect(outcome).toMatchObject({ ok: true, failures: [] });
    expect(fromServer).toBeLessThan(FETCHED_ROWS * 1100 + 100_000);
  });

  it('a count past the rows fetched is still exact in a failure', async () => {
    expect((await probe(check('TABLE events', { expectRows: { max: 5 } }))).failures).toEqual(['20000 rows, expected ..5']);
    expect((await probe(check('VALUES (1), (2)', { expectRows: { min: 3 } }))).failures).toEqual(['2 rows, expected 3..']);
    expect((await probe(check('(SELECT id FROM events)', { expectError: true }))).failures).toEqual(['the query succeeded (20000 rows), expected an error']);
  });

  it('SHOW and EXPLAIN, which no cursor runs, still answer', async () => {
    expect(await probe(check('SHOW transaction_read_only', { expectValue: { value: 'on' } }))).toMatchObject({ ok: true });
    expect(await probe(check('EXPLAIN SELECT * FROM events', { expectRows: { min: 1 } }))).toMatchObject({ ok: true });
  });

  it('rows counted past the fetch are held to the statement timeout', async () => {
    const slowTail = check(`SELECT id, CASE WHEN id > ${FETCHED_ROWS} THEN pg_sleep(0.01) END FROM events`);
    const outcome = await probe(slowTail, direct, 1000);
    expect(outcome.failures).toEqual(['the query failed: cancelled by 1 s (timeout-seconds)']);
    expect(outcome.unreachable).toBeFalsy();
  });

  it('a write inside WITH is still a configuration error naming the check\'s own text, and nothing is deleted', async () => {
    const err = await probe(check('WITH gone AS (DELETE FROM events RETURNING id) SELECT count(*) FROM gone')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckConfigError);
    expect((err as Error).message).toMatch(/^The SQL check "events" is not a read-only query: its WITH holds a statement that writes \(INSERT, UPDATE, DELETE or MERGE\) \(SQLSTATE 0A000\); nothing was changed/);
    expect((await db.query('SELECT count(*)::int AS n FROM events')).rows[0]!.n).toBe(20000);
  });
});
