import { describe, expect, it } from 'vitest';
import { describeTarget, isTransactionPooler, libpqEnv, parseConnectionString, pgClientConfig } from '../src/db/connection.js';
import { RollbackKitError } from '../src/core/errors.js';
import { memoryLog } from '../src/core/log.js';

describe('parseConnectionString', () => {
  it('parses a URL with an encoded password and masks both forms', () => {
    const log = memoryLog();
    const t = parseConnectionString('postgresql://app:p%40ss%2Fw0rd@db.example.com:6543/shop?sslmode=require&pgbouncer=true', log);
    expect(t).toMatchObject({ host: 'db.example.com', port: 6543, database: 'shop', user: 'app', password: 'p@ss/w0rd' });
    expect(t.params).toEqual({ sslmode: 'require', pgbouncer: 'true' });
    expect(describeTarget(t)).toBe('db.example.com:6543/shop');
    expect(isTransactionPooler(t)).toBe(true);
    log.info('url is postgresql://app:p%40ss%2Fw0rd@db.example.com and password p@ss/w0rd');
    expect(log.lines.join('\n')).not.toContain('p@ss/w0rd');
    expect(log.lines.join('\n')).not.toContain('p%40ss%2Fw0rd');
  });

  it('parses key=value strings with quoted values', () => {
    const log = memoryLog();
    const t = parseConnectionString("host=10.0.0.5 port=5433 dbname=orders user=ops password='it\\'s secret' sslmode=disable", log);
    expect(t).toMatchObject({ host: '10.0.0.5', port: 5433, database: 'orders', user: 'ops', password: "it's secret" });
    expect(t.params).toEqual({ sslmode: 'disable' });
    log.warning("it's secret");
    expect(log.lines[0]).toBe('warning: ***');
  });

  it('fills libpq defaults and describes IPv6 hosts', () => {
    const t = parseConnectionString('postgres://[::1]/');
    expect(t).toMatchObject({ host: '::1', port: 5432, user: 'postgres', database: 'postgres' });
    expect(describeTarget(t)).toBe('[::1]:5432/postgres');
    expect(isTransactionPooler(t)).toBe(false);
  });

  it('passes the password to tools through the environment only', () => {
    const env = libpqEnv(parseConnectionString('postgres://u:pw123@h:5432/d?sslmode=require&application_name=x'));
    expect(env).toMatchObject({ PGHOST: 'h', PGPORT: '5432', PGDATABASE: 'd', PGUSER: 'u', PGPASSWORD: 'pw123', PGSSLMODE: 'require', PGAPPNAME: 'x' });
  });

  it.each(['postgres://postgres:hunter2@secret/word@127.0.0.1:5432/db', 'postgres://app:p@ss/w#rd%1@db.example.com/shop', 'postgres://u:pa?ss@h/d'])(
    'refuses a URL whose password has a raw @ / # ?, without repeating any of it: %s',
    (raw) => {
      const err = (() => {
        try {
          parseConnectionString(raw);
        } catch (e) {
          return e as RollbackKitError;
        }
      })();
      expect(err).toBeInstanceOf(RollbackKitError);
      expect(err!.line).toMatch(/password \(or user name\) holds a character .* Percent-encode/);
      for (const piece of ['hunter2', 'secret', '127.0.0.1', 'p@ss', 'w#rd', 'pa?ss', 'db.example.com']) expect(err!.line).not.toContain(piece);
    },
  );

  it('refuses a stray % with the same advice instead of an unexpected error', () => {
    expect(() => parseConnectionString('postgres://postgres:100%sure@127.0.0.1:5432/db')).toThrow(/% that does not start a percent-encoded character/);
  });

  it.each([
    ['', /empty/],
    ['postgres://u:p@h/d?port=abc', /invalid port/],
    ['postgres://u:p@h:99999/d', /not a valid URL/],
    ['not a connection string', /neither a postgres:\/\/ URL nor key=value/],
    ["host=h password='open", /unterminated quote/],
  ])('rejects %j clearly', (raw, message) => {
    expect(() => parseConnectionString(raw)).toThrow(RollbackKitError);
    expect(() => parseConnectionString(raw)).toThrow(message);
  });
});

describe('pgClientConfig', () => {
  it('turns TCP keepalive on for every session, so a peer that vanished is noticed', () => {
    const config = pgClientConfig(parseConnectionString('postgres://u@db.example.com:5432/app'));
    expect(config.keepAlive).toBe(true);
    expect(config.keepAliveInitialDelayMillis).toBeGreaterThan(0);
  });
});
