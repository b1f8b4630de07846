// Ctrl-C at any moment of `rollback-kit sandbox` leaves nothing behind: not while its database is
// being created (the moment a DROP DATABASE IF EXISTS cannot see it yet), not between its steps, not
// while its throwaway cluster starts. And once stopped, the sandbox starts nothing new.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../src/core/process.js';
import { DROP_LOCK_TIMEOUT_MS } from '../../src/sandbox/admin.js';
import { runCli, type CliRun } from '../cli/run-cli.js';
import { adminQuery, ADMIN_URL } from '../helpers/pg.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function databaseExists(name: string): Promise<boolean> {
  return (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
}

const NOTE = 'SIGINT: stopping the sandbox and removing what it started';

/**
 * Runs the sandbox and sends SIGINT (`times` times) once `ready(stderr)` says so, asked every 50 ms (also while
 * it prints nothing, as in a CREATE DATABASE that waits); what it printed after the signal is
 * returned apart.
 */
async function interrupted(ready: (stderr: string, pid: number) => boolean | Promise<boolean>, args: string[] = [], times = 1): Promise<{ run: CliRun; after: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-sandbox-sigint-'));
  dirs.push(dir);
  let sent = false;
  let ended = false;
  let poller: Promise<void> | undefined;
  let latest = '';
  const running = runCli(['sandbox', '--report-dir', 'report', ...args], {
    cwd: dir,
    env: { DATABASE_URL: ADMIN_URL },
    timeoutMs: 170_000,
    onStderr: (text) => (latest = text),
    onSpawn: (child) => {
      poller = (async () => {
        while (!sent && !ended) {
          if (await ready(latest, child.pid!)) {
            sent = true;
            child.kill('SIGINT');
            // Pressed again once the first was taken (signals sent at once may arrive as one), as a
            // person in a hurry does: each must find the handler.
            for (let i = 1; i < times && !ended; i++) {
              while (!ended && !latest.includes(NOTE)) await new Promise((r) => setTimeout(r, 20));
              child.kill('SIGINT');
            }
          } else await new Promise((r) => setTimeout(r, 50));
        }
      })();
    },
  });
  const run = await running.finally(() => (ended = true));
  await poller;
  expect(sent).toBe(true);
  expect(run.code).toBe(130);
  expect(run.stderr).toContain(NOTE);
  return { run, after: run.stderr.slice(run.stderr.indexOf(NOTE) + NOTE.length) };
}

/** The local TCP ports of process `pid`'s sockets (/proc): its sessions' client_port on the server. */
function localPorts(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of (() => {
    try {
      return readdirSync(`/proc/${pid}/fd`);
    } catch {
      return [];
    }
  })()) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/**
 * The sandbox database this run (process `pid`) waits to create, if it waits: its own session's,
 * by the client port, not another test's sandbox waiting behind the same lock at the same time.
 */
async function waitingToCreate(pid: number): Promise<string | undefined> {
  const ports = localPorts(pid);
  const { rows } = await adminQuery<{ query: string; client_port: number }>(
    "SELECT query, client_port FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'CREATE DATABASE rollback_kit_sandbox_%'",
  );
  const mine = rows.find((r) => ports.has(r.client_port));
  return /rollback_kit_sandbox_[0-9a-f]+/.exec(mine?.query ?? '')?.[0];
}

const sandboxDatabase = (stderr: string) => /database (rollback_kit_sandbox_[0-9a-f]+)/.exec(stderr)?.[1];

describe('rollback-kit sandbox: Ctrl-C', () => {
  it('while its database is being created: the database is dropped once it exists', async () => {
    // CREATE DATABASE writes pg_database: holding it locked keeps the sandbox inside that statement.
    const holder = new pg.Client({ connectionString: ADMIN_URL });
    await holder.connect();
    let creating: string | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE pg_catalog.pg_database IN EXCLUSIVE MODE');
      const { after } = await interrupted(async (_stderr, pid) => {
        creating = await waitingToCreate(pid);
        // Let go soon after, unless the run has ended by then (the stop cancels the statement) and the holder with it.
        if (creating) setTimeout(() => void holder.query('COMMIT').catch(() => undefined), 300);
        return Boolean(creating);
      });
      expect(after).not.toContain('›');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    expect(creating).toBeDefined();
    // The server finishes a CREATE DATABASE whose client is gone: wait until no session runs it any more.
    for (let i = 0; i < 200; i++) {
      const busy = await adminQuery("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'CREATE DATABASE ' || $1::text AND state = 'active'", [creating]);
      if (!busy.rowCount) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await databaseExists(creating!)).toBe(false);
  });

  it('while its CREATE DATABASE waits for a lock that is not let go: the stop cancels it on the server, and the sandbox ends with nothing left', async () => {
    // Before, the stop was not honoured until the statement ended: the sandbox waited out its 10 s,
    // then its cleanup's DROP DATABASE waited behind the same lock, for as long as it was held.
    const holder = new pg.Client({ connectionString: ADMIN_URL });
    await holder.connect();
    let creating: string | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE pg_catalog.pg_database IN EXCLUSIVE MODE');
      const { run, after } = await interrupted(async (_stderr, pid) => {
        creating = await waitingToCreate(pid);
        return Boolean(creating);
      });
      // Ended with the lock still held: the statement is gone from the server, not left waiting to
      // create the database once the lock is let go.
      expect(await adminQuery("SELECT 1 FROM pg_stat_activity WHERE query = 'CREATE DATABASE ' || $1::text AND state = 'active'", [creating])).toMatchObject({ rowCount: 0 });
      expect(after).not.toContain('›');
      expect(run.stderr).not.toContain('could not clean up');
      expect(run.stderr.trim().split('\n').at(-1)).toBe('Stopped (SIGINT) while the sandbox was being set up, before the rollback started: everything it started is removed. No report was written.');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    expect(creating).toBeDefined();
    expect(await databaseExists(creating!)).toBe(false);
  });

  it('a cleanup whose DROP DATABASE waits for a lock: it gives up after its lock timeout, and says what is left and how to drop it', async () => {
    const holder = new pg.Client({ connectionString: ADMIN_URL });
    await holder.connect();
    let database: string | undefined;
    try {
      await holder.query('BEGIN');
      // Taken once the database exists, before the stop: the cleanup's drop then waits for it.
      const { run } = await interrupted(async (text) => {
        database = sandboxDatabase(text);
        if (!database) return false;
        await holder.query('LOCK TABLE pg_catalog.pg_database IN EXCLUSIVE MODE');
        return true;
      });
      expect(run.stderr).toContain(
        `could not clean up the sandbox database ${database}: another session held a lock DROP DATABASE needs for ${DROP_LOCK_TIMEOUT_MS / 1000} s (pg_database, or the database itself), so ${database} is still there; drop it once that session ends: DROP DATABASE ${database} WITH (FORCE)`,
      );
      // On a loaded machine the signal can land after the setup's last step, once the rollback began: said as such.
      expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^Stopped \(SIGINT\)(?: while the sandbox was being set up, before the rollback started)?: what it started is removed, except what the warnings above name\./);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      if (database) await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  });

  it.each(['› PostgreSQL:', '› Local Vercel API', '› Deployed v1', '› Smoke checks on v2'])('after "%s": nothing left, and no step after the signal', async (marker) => {
    const { run, after } = await interrupted((text) => text.includes(marker));
    const database = sandboxDatabase(run.stderr);
    expect(database).toBeDefined();
    expect(await databaseExists(database!)).toBe(false);
    expect(after).not.toMatch(/^› /m);
    expect(after).not.toContain('could not clean up');
    // The last line says it was stopped, and what is left: no report before the rollback began, said
    // as a stop of the setup; once it had (a signal right after the last step may land there), what
    // it wrote, named as partial.
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(
      /^(?:Stopped \(SIGINT\) while the sandbox was being set up, before the rollback started: everything it started is removed\. No report was written\.|Stopped \(SIGINT\): everything it started is removed\. (?:No report was written\.|Kept in report: .*: what the run wrote before it was stopped, not the whole report \(no report\.html\)\. Delete the folder when you no longer need it\.))$/,
    );
    if (marker !== '› Smoke checks on v2') expect(run.stderr).toContain('while the sandbox was being set up, before the rollback started');
  });

  it('Ctrl-C three times: the later ones end the wait, and everything is still removed before it exits', async () => {
    const { run } = await interrupted((text) => text.includes('› Deployed v1'), [], 3);
    const database = sandboxDatabase(run.stderr);
    expect(database).toBeDefined();
    expect(await databaseExists(database!)).toBe(false);
    expect(run.stderr).not.toContain('could not clean up');
  });

  it('while a throwaway cluster starts: its server is stopped and its folder removed', async () => {
    const clusters = () => readdirSync(tmpdir()).filter((n) => n.startsWith('rollback-kit-pg-'));
    const before = new Set(clusters());
    let made: string | undefined;
    // Once its folder is there, initdb or pg_ctl start is under way.
    await interrupted(() => Boolean((made = clusters().find((n) => !before.has(n)))), ['--throwaway-postgres']);
    expect(made).toBeDefined();
    expect(existsSync(join(tmpdir(), made!))).toBe(false);
    const postmasters = await runProcess('pgrep', ['-f', made!], { timeoutMs: 5000 });
    expect(postmasters.stdout.trim()).toBe('');
  });
});
