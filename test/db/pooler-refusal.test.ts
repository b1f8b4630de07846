// A transaction-mode pooler is refused by every step that needs one server session, with the same
// words and before anything is asked of the database: the port alone tells (6543), and nothing
// listens there on this machine, so an attempt to connect would show as a different error.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSecret, runAction } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

const PASSWORD = 'pooler-secret-3x9';
const URL = `postgres://app:${PASSWORD}@127.0.0.1:6543/prod`;
const SAID = /^127\.0\.0\.1:6543\/prod is a transaction-mode pooler: it hands each transaction to another server session, so .+ would not hold\. Use the session pooler or the direct connection \(port 5432; on Supabase the "Session pooler" connection string\)\. Nothing was changed\.$/;

describe('a transaction-mode pooler', () => {
  it.each([
    ['snapshot-db', {}],
    ['restore-db', { 'snapshot-path': 'snapshot.dump', confirm: 'prod' }],
    ['run-down-migrations', { steps: '1', 'require-snapshot': 'false' }],
  ] as const)('is refused by %s in the one message, leaking nothing', async (name, inputs) => {
    const ws = await tempDir('rk-pooler-');
    await writeFile(join(ws, 'snapshot.dump'), 'not read: refused before');
    const run = await runAction(name, { 'database-url': URL, ...inputs }, { cwd: ws });
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(SAID);
    expect(await findSecret(run, PASSWORD)).toEqual([]);
  });
});
