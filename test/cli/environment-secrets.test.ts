/**
 * A command the CLI or an action runs inherits its environment: every documented secret variable is
 * kept out of what is printed, whether or not the command at hand reads it (promote never reads
 * DATABASE_URL, yet its --command may print it), and so is every secret inside one: the database's
 * password alone, in any form, and the token in a webhook URL's path.
 */
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leak-scan.js';
import { runAction } from '../helpers/run-action.js';
import { runCli } from './run-cli.js';

const PASSWORD = 'Db-pass-7Hq2x9ZkLmN4';
const KV_PASSWORD = 'Kv pass 9Wd3Lr8Tz';
const HOOK_TOKEN = 'hookToken8Qw8eR5tY2uI0';
const DATABASE_URL = `postgres://app:${PASSWORD}@db.example.invalid:5432/app?password=${PASSWORD}`;
// Quoted, as libpq needs a value with a space.
const KEY_VALUE_URL = `host=db.example.invalid dbname=app user=app password='${KV_PASSWORD}'`;
const ROLLBACK_WEBHOOK_URL = `https://hooks.example.invalid/services/T0/B0/${HOOK_TOKEN}`;

const base64 = (s: string) => Buffer.from(s).toString('base64');

/** Prints each secret alone, as a careless script would: the password cut out of the URL, its base64, the path's last segment. */
const PRINTS_PARTS = [
  'pw=$(printf %s "$DATABASE_URL" | sed -e "s|^[^:]*://[^:]*:||" -e "s|@.*||")',
  'echo "pw=$pw"',
  'printf "b64=%s\\n" "$(printf %s "$pw" | base64)"',
  'echo "hook=${ROLLBACK_WEBHOOK_URL##*/}"',
  'echo "db=$DATABASE_URL wh=$ROLLBACK_WEBHOOK_URL"',
].join('; ');

/** The key=value form's password, printed as it is. */
const PRINTS_KV_PASSWORD = `echo 'kv=${KV_PASSWORD}'`;

const secretsOf = (password: string) => [password, encodeURIComponent(password), base64(password), HOOK_TOKEN];

describe('secrets in the environment the CLI was given', () => {
  it('promote --command that prints DATABASE_URL and ROLLBACK_WEBHOOK_URL shows neither, nor their secrets alone', async () => {
    const r = await runCli(['promote', '--provider', 'command', '--target', 'v41', '--verbose', '--command', PRINTS_PARTS], { env: { DATABASE_URL, ROLLBACK_WEBHOOK_URL } });
    const all = r.stdout + r.stderr;
    // The command ran and its lines were printed, redacted.
    expect(all).toContain('pw=');
    expect(all).toContain('b64=');
    expect(all).toContain('hook=');
    for (const secret of [...secretsOf(PASSWORD), DATABASE_URL, ROLLBACK_WEBHOOK_URL]) expect(all).not.toContain(secret);
  });

  it('a key=value DATABASE_URL: its password printed alone is hidden', async () => {
    const r = await runCli(['promote', '--provider', 'command', '--target', 'v41', '--verbose', '--command', PRINTS_KV_PASSWORD], { env: { DATABASE_URL: KEY_VALUE_URL } });
    const all = r.stdout + r.stderr;
    expect(all).toContain('kv=');
    expect(all).not.toContain(KV_PASSWORD);
  });
});

describe('secrets in the environment an action was given', () => {
  it('promote-previous with the command provider: the password and the webhook token printed alone are hidden everywhere', async () => {
    const r = await runAction('promote-previous', { provider: 'command', target: 'v41', command: PRINTS_PARTS }, { env: { DATABASE_URL, ROLLBACK_WEBHOOK_URL } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.log).toContain('pw=');
    await expectNoLeaks(r, [...secretsOf(PASSWORD), DATABASE_URL, ROLLBACK_WEBHOOK_URL]);
  });

  it('promote-previous with a key=value DATABASE_URL: its password printed alone is hidden', async () => {
    const r = await runAction('promote-previous', { provider: 'command', target: 'v41', command: PRINTS_KV_PASSWORD }, { env: { DATABASE_URL: KEY_VALUE_URL } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.log).toContain('kv=');
    await expectNoLeaks(r, [KV_PASSWORD]);
  });
});
