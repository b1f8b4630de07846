// A rejected password gets the hint for the form of connection string it was written in: libpq
// percent-decodes a URL, and takes key=value values as written ('…' quoted, \ escaping), so
// "percent-encode it" is right for one and turns a right password into a wrong one in the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { connectionError, withSession } from '../../src/db/session.js';
import { startPrivateServer, type PrivateServer } from '../helpers/password-pg.js';

// A quote, a backslash, a space and a %: each needs care in one form or the other.
const PASSWORD = "it's a \\ 100% pw";

let server: PrivateServer;
let port: string;
beforeAll(async () => {
  server = await startPrivateServer({ password: PASSWORD });
  port = /:(\d+)\/postgres$/.exec(server.url)![1]!;
});
afterAll(async () => {
  await server?.stop();
});

/** The password escaped as the key=value hint says: ' and \ each get a \ in front. */
const quoted = (password: string) => `'${password.replace(/['\\]/g, (c) => `\\${c}`)}'`;
const keyValue = (password: string) => `host=127.0.0.1 port=${port} dbname=postgres user=postgres password=${quoted(password)}`;

async function refusal(raw: string): Promise<{ message: string; hint?: string }> {
  const log = memoryLog();
  const target = parseConnectionString(raw, log);
  const err = await withSession(target, async () => 'connected').then(
    () => undefined,
    (e: unknown) => e as Error & { hint?: string },
  );
  expect(err, 'the server rejects the password').toBeDefined();
  return { message: err!.message, hint: err!.hint };
}

describe('a rejected password: the hint fits the form it was written in', () => {
  it('key=value: quote the value and escape \' and \\, not percent-encode (and written so, the right password works)', async () => {
    const { message, hint } = await refusal(keyValue('a b'));
    expect(message).toMatch(/rejected the password for user "postgres"/);
    expect(hint).toContain("password='…'");
    expect(hint).toMatch(/' and \\ in it escaped by a \\/);
    expect(hint).not.toMatch(/percent-encode/);
    // What the hint says to do, done: the password with ' and \ is accepted.
    expect(await withSession(parseConnectionString(keyValue(PASSWORD), memoryLog()), async () => 'connected')).toBe('connected');
  });

  it('a URL: percent-encode special characters (and encoded so, the right password works)', async () => {
    const { hint } = await refusal(`postgres://postgres:${encodeURIComponent('a b')}@127.0.0.1:${port}/postgres`);
    expect(hint).toMatch(/in a URL, special characters must be percent-encoded/);
    expect(hint).not.toContain("password='");
    expect(await withSession(parseConnectionString(`postgres://postgres:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/postgres`, memoryLog()), async () => 'connected')).toBe('connected');
  });

  it('no password where the server asks for one: where to put it, per form', () => {
    const asked = { message: 'SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string' };
    expect(connectionError(parseConnectionString(`host=127.0.0.1 port=${port} dbname=postgres user=postgres`), asked).hint).toContain("password='…'");
    expect(connectionError(parseConnectionString(`postgres://postgres@127.0.0.1:${port}/postgres`), asked).hint).toMatch(/postgres:\/\/user:password@host\/db, percent-encoded/);
  });
});
