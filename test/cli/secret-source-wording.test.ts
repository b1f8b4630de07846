// A message about a secret's value names where the person gave it: DATABASE_URL when it came from
// the environment, --database-url when from the flag. "Check … in --database-url" sent someone who
// had exported DATABASE_URL to a flag they never gave.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_FLAGS } from '../../src/cli/flags.js';
import { wordingFor } from '../../src/cli/wording.js';
import { runMain } from './run-main.js';

const fromVariable = wordingFor(COMMAND_FLAGS.rollback, '/tmp', ['database-url', 'github-token']);
const fromFlag = wordingFor(COMMAND_FLAGS.rollback, '/tmp');

describe('a secret given by its variable', () => {
  it.each([
    ['Check the host and port in database-url and that the server is running.', 'Check the host and port in DATABASE_URL and that the server is running.'],
    ['Check database-url. The plain format reads the table your deploy fills', 'Check DATABASE_URL. The plain format reads the table your deploy fills'],
    ['PostgreSQL at h:5432 asks user "u" for a password, and database-url has none.', 'PostgreSQL at h:5432 asks user "u" for a password, and DATABASE_URL has none.'],
    ['does not accept SSL, and database-url requires it (sslmode=require).', 'does not accept SSL, and DATABASE_URL requires it (sslmode=require).'],
    ['The SQL checks cannot run because database-url is wrong: x', 'The SQL checks cannot run because DATABASE_URL is wrong: x'],
    ['Check the parameters of database-url (options, sslmode, user, database)', 'Check the parameters of DATABASE_URL (options, sslmode, user, database)'],
    ['; or it requires TLS: add sslmode=require to database-url', '; or it requires TLS: add sslmode=require to DATABASE_URL'],
    ['with the same host and port as database-url (snapshots taken now', 'with the same host and port as DATABASE_URL (snapshots taken now'],
    ['GitHub rejected the github-token (401) while reading', 'GitHub rejected the GITHUB_TOKEN (401) while reading'],
  ])('names the variable where the message points at the value: %s', (from, to) => {
    expect(fromVariable(from)).toBe(to);
    // Given as the flag, the flag.
    expect(fromFlag(from)).toBe(to.replace('DATABASE_URL', '--database-url').replace('GITHUB_TOKEN', '--github-token'));
  });

  it('still names the flag (and the variable) where the message says how to give one', () => {
    for (const text of [
      'Pass database-url from a secret (or set DATABASE_URL), or leave database out of scope.',
      'SQL checks not run (no database-url): orders',
      'incident-issue is true but no github-token (or GITHUB_TOKEN) was given',
    ]) {
      expect(fromVariable(text)).toBe(fromFlag(text));
    }
  });
});

describe('the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rk-plan-inputs-wording-'));
  mkdirSync(join(dir, 'db', 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'db', 'migrations', '20240101000000_a.sql'), '-- migrate:up\nselect 1;\n-- migrate:down\nselect 1;\n');
  const down = ['down', '--dry-run', '--steps', '1', '--format', 'dbmate', '--migrations-dir', 'db/migrations'];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Port 1 on this machine: nothing listens there, so the connection is refused at once.
  const url = 'postgres://postgres@127.0.0.1:1/postgres';

  it('says DATABASE_URL when the URL came from the environment, --database-url when from the flag', async () => {
    const byVariable = await runMain(down, { cwd: dir, env: { DATABASE_URL: url } });
    expect(byVariable.code).toBe(1);
    expect(byVariable.stderr).toContain('Check the host and port in DATABASE_URL');
    expect(byVariable.stderr).not.toContain('--database-url');
    const byFlag = await runMain([...down, '--database-url', url], { cwd: dir });
    expect(byFlag.stderr).toContain('Check the host and port in --database-url');
  });
});
