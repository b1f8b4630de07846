/**
 * A command the CLI runs inherits its environment: every documented secret variable is kept out of
 * what the CLI prints, whether or not the command at hand reads it (promote never reads
 * DATABASE_URL, yet its --command may print it).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const PASSWORD = 'Db-pass-7Hq2x9ZkLmN4';
const HOOK_TOKEN = 'hook-token-Qw8eR5tY2uI0';
const DATABASE_URL = `postgres://app:${PASSWORD}@db.example.invalid:5432/app?password=${PASSWORD}`;
const ROLLBACK_WEBHOOK_URL = `https://hooks.example.invalid/services/T0/B0/${HOOK_TOKEN}?token=${HOOK_TOKEN}`;

describe('secrets in the environment the CLI was given', () => {
  it('promote --command that prints DATABASE_URL and ROLLBACK_WEBHOOK_URL shows neither', async () => {
    const r = await runCli(
      ['promote', '--provider', 'command', '--target', 'v41', '--verbose', '--command', 'echo "db=$DATABASE_URL wh=$ROLLBACK_WEBHOOK_URL"'],
      { env: { DATABASE_URL, ROLLBACK_WEBHOOK_URL } },
    );
    const all = r.stdout + r.stderr;
    // The command ran and its line was printed, redacted.
    expect(all).toContain('db=');
    for (const secret of [PASSWORD, HOOK_TOKEN, encodeURIComponent(PASSWORD), DATABASE_URL, ROLLBACK_WEBHOOK_URL]) expect(all).not.toContain(secret);
  });
});
