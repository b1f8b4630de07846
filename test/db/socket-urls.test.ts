// libpq URLs with an empty host, through every consumer of the parsed target: the smoke check's
// session (node-postgres), pg_dump and pg_restore (their PG* variables), the restore's confirmation,
// the command line's prompt and the sandbox's loopback check. Each form must reach the database it
// names, as psql would, over the local Unix socket.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertLoopback } from '../../src/sandbox/postgres.js';
import { runCli } from '../cli/run-cli.js';
import { createTestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

// This machine's local server, as its libpq finds it (Debian: /var/run/postgresql).
const SOCKET_DIR = ['/var/run/postgresql', '/run/postgresql', '/tmp'].find((d) => existsSync(join(d, '.s.PGSQL.5432')));

const forms = (db: string) => [
  `postgres:///${db}?host=${SOCKET_DIR}&user=postgres`,
  `postgresql://${encodeURIComponent(SOCKET_DIR!)}/${db}?user=postgres`,
  `postgres://postgres@/${db}`,
];

describe('a database-url with an empty host or a socket directory as its host', () => {
  it('the test machine has a local server on a Unix socket', () => {
    expect(SOCKET_DIR).toBeDefined();
  });

  it('smoke-test: the SQL check runs in the database the URL names', async () => {
    const db = await createTestDatabase('rk_sock_smoke');
    for (const url of forms(db.name)) {
      const run = await runAction('smoke-test', {
        'database-url': url,
        checks: `- {name: which-db, query: "select current_database()", expect-value: ${db.name}}\n- {name: over-socket, query: "select inet_server_addr() is null", expect-value: true}\n`,
        attempts: 1,
        'fail-step': 'false',
      });
      expect(run.errors, url).toEqual([]);
      expect(run.outputs.decision, url).toBe('none');
      expect(run.outputs.passed, url).toBe('true');
    }
  });

  it('snapshot-db and restore-db: pg_dump and pg_restore reach it, and the confirmation names it', async () => {
    const db = await createTestDatabase('rk_sock_dump');
    await db.query('CREATE TABLE orders (id int PRIMARY KEY)');
    await db.query('INSERT INTO orders SELECT generate_series(1, 3)');
    const [query, encoded, bare] = forms(db.name);
    const outputDir = await tempDir('rk-sock-snap-');
    const snap = await runAction('snapshot-db', { 'database-url': encoded, 'output-dir': outputDir, label: 'socket' });
    expect(snap.errors).toEqual([]);
    expect(JSON.parse(readFileSync(snap.outputs['manifest-path']!, 'utf8'))).toMatchObject({ database: db.name });

    const wrong = await runAction('restore-db', { 'database-url': bare, 'snapshot-path': snap.outputs.path!, confirm: 'postgres' });
    expect(wrong.code).toBe(1);
    expect(wrong.errors.join('\n')).toContain(`"${db.name}"`);

    const restore = await runAction('restore-db', { 'database-url': query, 'snapshot-path': snap.outputs.path!, confirm: db.name, 'pre-restore-snapshot': 'false' });
    expect(restore.errors).toEqual([]);
    expect(restore.code).toBe(0);
  });

  it('the command line: pg_dump through the socket, and the prompt names the database it would change', async () => {
    const db = await createTestDatabase('rk_sock_cli');
    await db.query('CREATE TABLE t (id int)');
    const cwd = await tempDir('rk-sock-cli-');
    const [, encoded, bare] = forms(db.name);
    const dry = await runCli(['snapshot', '--dry-run'], { cwd, env: { DATABASE_URL: bare } });
    expect(dry.stdout).toContain(`would snapshot ${SOCKET_DIR}:5432/${db.name}`);
    const snap = await runCli(['snapshot', '--json'], { cwd, env: { DATABASE_URL: bare } });
    expect(snap.code, snap.stderr).toBe(0);
    const path = (JSON.parse(snap.stdout) as { path: string }).path;
    expect(path).toContain(db.name);
    const restore = await runCli(['restore', '--snapshot-path', path], { cwd, env: { DATABASE_URL: encoded } });
    expect(restore.code).toBe(2);
    expect(restore.stderr).toContain(`This replaces the data of ${SOCKET_DIR}:5432/${db.name} with ${path}: refusing without --yes`);
  });

  it('the sandbox takes a socket as this machine, and still refuses a remote host in the query', () => {
    for (const url of forms('postgres')) expect(() => assertLoopback(url)).not.toThrow();
    expect(() => assertLoopback('postgres:///postgres?host=db.example.com')).toThrow(/only on this machine/);
    expect(() => assertLoopback('postgres://%2Fvar%2Frun%2Fpostgresql/postgres?host=db.example.com')).toThrow(/db\.example\.com:5432\/postgres/);
  });
});
