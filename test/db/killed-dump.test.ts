// A pg_dump whose server connection is terminated mid-COPY (an administrator, a failover, an OOM
// kill): the error keeps the server's reason, not just "PQgetCopyData() failed".
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { toolErrorLine } from '../../src/db/pg-tools.js';
import { adminQuery, createTestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';

describe('a pg_dump killed mid-dump', () => {
  it('reports the reason the server gave, and keeps nothing', async () => {
    const db = await createTestDatabase('rk_killed');
    // About 500 MB of COPY output from a small (compressed) table: the dump is busy long enough to be stopped.
    await db.query(`CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 160) AS pad FROM generate_series(1, 100000) g`);
    let done = false;
    let terminated = 0;
    const stopper = (async () => {
      while (!done && terminated === 0) {
        const r = await adminQuery<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY public.big%' AND state = 'active'`,
          [db.name],
        );
        terminated = r.rows[0]!.n;
      }
    })();
    const run = await runAction('snapshot-db', { 'database-url': db.url });
    done = true;
    await stopper;
    expect(terminated).toBe(1);
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    // Whether the server's FATAL reaches pg_dump before the socket closes is a race on a loaded
    // machine; either way the line carries what pg_dump was told after the bare "PQget…() failed".
    expect(run.errors[0]).toMatch(
      /pg_dump of .* failed: Dumping the contents of table "big" failed: PQget\w+\(\) failed; (FATAL: terminating connection due to administrator command|server closed the connection unexpectedly)\. Nothing was kept/,
    );
    // Only the .gitignore written in the folder the action created.
    expect(await readdir(`${run.runnerTemp}/rollback-kit/snapshots`)).toEqual(['.gitignore']);
  });

  it('keeps server DETAIL and HINT lines and drops the command text', () => {
    const stderr = [
      'pg_restore: error: could not execute query: ERROR:  out of shared memory',
      'HINT:  You might need to increase max_locks_per_transaction.',
      'Command was: DROP TABLE public.t1;',
      'pg_restore: error: another one',
    ].join('\n');
    expect(toolErrorLine(stderr)).toBe('could not execute query: ERROR: out of shared memory; HINT: You might need to increase max_locks_per_transaction');
  });

  // The server quotes the name as it is: the lines after its newline are the message, not dropped.
  it('keeps a message that runs over lines (a name holding a newline), with the newline written out', () => {
    const stderr = [
      'pg_dump: error: query failed: ERROR:  permission denied for table "sch',
      '::add-mask::x".t',
      'pg_dump: detail: Query was: LOCK TABLE "sch',
      '::add-mask::x".t IN ACCESS SHARE MODE',
    ].join('\n');
    expect(toolErrorLine(stderr)).toBe('query failed: ERROR: permission denied for table "sch\\n::add-mask::x".t');
  });

  // libpq's hint after a failed connection is a line of its own, indented with a tab, and with more
  // than one host each host's failure is another line: they were read as the message running on
  // ("…failed: No such file or directory\nIs the server running…").
  it("says libpq's hint in brackets, and leaves another host's failure out of the message", () => {
    const socket = [
      'pg_dump: error: connection to server on socket "/tmp/.s.PGSQL.5432" failed: No such file or directory',
      '\tIs the server running locally and accepting connections on that socket?',
    ].join('\n');
    expect(toolErrorLine(socket)).toBe('connection to server on socket "/tmp/.s.PGSQL.5432" failed: No such file or directory (is the server running locally and accepting connections on that socket?)');
    const hosts = [
      'psql: error: connection to server at "localhost" (::1), port 5433 failed: Connection refused',
      '\tIs the server running on that host and accepting TCP/IP connections?',
      'connection to server at "localhost" (127.0.0.1), port 5433 failed: Connection refused',
      '\tIs the server running on that host and accepting TCP/IP connections?',
    ].join('\n');
    expect(toolErrorLine(hosts)).toBe('connection to server at "localhost" (::1), port 5433 failed: Connection refused (is the server running on that host and accepting TCP/IP connections?)');
  });
});
