// The sandbox takes DATABASE_URL in every form the rest of rollback-kit does: libpq key=value
// (with a password, which reaches dbmate, the app and pg_dump and nothing it prints), and a URL to
// the local server's Unix socket. Each run is the whole rollback, and leaves no database behind.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { listTree } from '../helpers/leak-scan.js';
import { startPasswordServer, type PasswordServer } from '../helpers/password-pg.js';
import { adminQuery } from '../helpers/pg.js';

const dirs: string[] = [];
let passwords: PasswordServer | undefined;
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  await passwords?.stop();
});

interface Doc {
  status: string;
  started: { database: string };
  record: { status: string; timeline: { phase: string; status: string; detail: string }[] };
}

async function sandbox(databaseUrl: string): Promise<{ doc: Doc; written: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-sandbox-url-'));
  dirs.push(dir);
  const run = await runCli(['sandbox', '--json', '--report-dir', 'report'], { cwd: dir, env: { DATABASE_URL: databaseUrl }, timeoutMs: 170_000 });
  expect(run.stderr).not.toMatch(/Invalid URL|Unexpected error/);
  expect(run.code, run.stderr).toBe(0);
  const doc = JSON.parse(run.stdout) as Doc;
  expect(doc.record.status).toBe('rolled-back');
  expect((await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [doc.started.database])).rowCount).toBe(0);
  const files = await Promise.all((await listTree(dir)).map((p) => readFile(p, 'latin1').catch(() => '')));
  return { doc, written: [run.stdout, run.stderr, ...files].join('\n') };
}

describe('rollback-kit sandbox: DATABASE_URL as key=value or a Unix socket', () => {
  it('key=value with a password: the whole rollback, the password nowhere', async () => {
    passwords = await startPasswordServer();
    const u = new URL(passwords.url);
    const password = decodeURIComponent(u.password);
    const { doc, written } = await sandbox(`host=${u.hostname} port=${u.port || 5432} user=${decodeURIComponent(u.username)} password='${password}' dbname=postgres`);
    expect(doc.record.timeline.find((e) => e.phase === 'database')?.status).toBe('ok');
    if (password) expect(written).not.toContain(password);
  });

  it('a URL to the local server\'s Unix socket', async () => {
    const socketDir = ['/var/run/postgresql', '/run/postgresql', '/tmp'].find((d) => existsSync(join(d, '.s.PGSQL.5432')));
    expect(socketDir).toBeDefined();
    const { doc } = await sandbox('postgres://postgres@/postgres');
    expect(doc.record.timeline.find((e) => e.phase === 'snapshot')?.detail).toContain(`verified snapshot of ${socketDir}:5432/${doc.started.database}`);
  });
});
