import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionUrl, describeTarget, isTransactionPooler, libpqEnv, parseConnectionString, pgClientConfig } from '../src/db/connection.js';
import { RollbackKitError } from '../src/core/errors.js';
import { memoryLog } from '../src/core/log.js';
import { runProcess } from '../src/core/process.js';

/** What parseConnectionString throws for `raw`, or undefined when it accepts it. */
function thrownBy(raw: string): RollbackKitError | undefined {
  try {
    parseConnectionString(raw);
  } catch (e) {
    return e as RollbackKitError;
  }
  return undefined;
}

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

  it.each(['postgres://postgres:hunter2@secret/word@127.0.0.1:5432/db', 'postgres://app:p@ss/w#rd%1@db.example.com/shop', 'postgres://u:pa?ss@h/d', 'postgres://u:hunter2/secret?word@127.0.0.1:5432/db'])(
    'refuses a URL whose password has a raw @ / # ?, without repeating any of it: %s',
    (raw) => {
      const err = thrownBy(raw);
      expect(err).toBeInstanceOf(RollbackKitError);
      expect(err!.line).toMatch(/password \(or user name\) holds a character .* Percent-encode/);
      for (const piece of ['hunter2', 'secret', '127.0.0.1', 'p@ss', 'w#rd', 'pa?ss', 'db.example.com']) expect(err!.line).not.toContain(piece);
    },
  );

  // A malformed URL's pieces may be its password's: no error quotes them (the runner masks only the whole URL).
  it.each([
    ['no @ before the host: user and password read as host and port', 'postgres://ops:Hunter2Secret9127.0.0.1:5432/shop', ['Hunter2Secret9']],
    ['no @ and a password of digits', 'postgres://ops:918273645/shop', ['918273645']],
    ['a raw / then ? in the password', 'postgres://ops:ab/cd?SecretTail9@127.0.0.1:5432/shop', ['SecretTail9', 'ab/cd']],
    ['a query parameter holding part of the password', 'postgres://ops@h/d?Secret4Tail', ['Secret4Tail']],
    ['an sslmode holding part of the password', 'postgres://ops@h/d?sslmode=req:Secret5Tail', ['Secret5Tail']],
  ])('a malformed URL is refused without quoting any of it: %s', (_what, raw, secrets) => {
    const err = thrownBy(raw);
    expect(err).toBeInstanceOf(RollbackKitError);
    for (const secret of secrets) expect(`${err!.line} ${err!.hint ?? ''}`).not.toContain(secret);
  });

  it('refuses a stray % with the same advice instead of an unexpected error', () => {
    expect(() => parseConnectionString('postgres://postgres:100%sure@127.0.0.1:5432/db')).toThrow(/% that does not start a percent-encoded character/);
  });

  it.each([
    ['', /empty/],
    ['postgres://u:p@h/d?port=abc', /invalid port/],
    ['postgres://u:p@h:99999/d', /invalid port: it must be a number from 1 to 65535/],
    ['postgres://u:p@h:5432,g:5433/d', /several hosts with different ports/],
    ['postgres://u:p@[::1/d', /not a valid URL: an IPv6 host has no closing \]/],
    ['postgres://u:p@h/d?sslmode=bogus', /invalid sslmode "bogus"/],
    ['host=h sslmode=REQUIRE', /invalid sslmode "REQUIRE"/],
    ["postgres://u:p@h/d?nokey", /has no name=value/],
    ['not a connection string', /neither a postgres:\/\/ URL nor key=value/],
    ["host=h password='open", /unterminated quote/],
  ])('rejects %j clearly', (raw, message) => {
    expect(() => parseConnectionString(raw)).toThrow(RollbackKitError);
    expect(() => parseConnectionString(raw)).toThrow(message);
  });
});

describe('URLs as libpq reads them', () => {
  // Where this machine's libpq finds the local server (Debian: /var/run/postgresql).
  const socketDir = ['/var/run/postgresql', '/run/postgresql', '/tmp'].find((d) => existsSync(join(d, '.s.PGSQL.5432')));

  it.each([
    ['postgres:///rk_db?host=/var/run/postgresql&user=postgres', { host: '/var/run/postgresql', database: 'rk_db', user: 'postgres' }],
    ['postgresql://%2Fvar%2Frun%2Fpostgresql/rk_db', { host: '/var/run/postgresql', database: 'rk_db', user: 'postgres' }],
    ['postgresql://ops@%2Ftmp%2Fpg:6432/rk_db', { host: '/tmp/pg', port: 6432, database: 'rk_db', user: 'ops' }],
    // The query's parameters win over the URL's own, as in libpq.
    ['postgres://app@db.example.com/shop?dbname=orders&user=ops&port=6000', { host: 'db.example.com', port: 6000, database: 'orders', user: 'ops' }],
    // Percent-decoding only: "+" is a plus, and "#" an ordinary character of the name.
    ['postgres://h/shop%23eu?options=-c+x', { host: 'h', database: 'shop#eu', params: { options: '-c+x' } }],
    // hostaddr naming the host itself asks for nothing more.
    ['postgres://u@127.0.0.1/d?hostaddr=127.0.0.1', { host: '127.0.0.1', params: { hostaddr: '127.0.0.1' } }],
    // JDBC's ssl=true, which libpq reads as sslmode=require.
    ['postgres://u@h/d?ssl=true', { host: 'h', params: { sslmode: 'require' } }],
    // An @ in the query is a value's, not the end of a user name and password.
    ['postgres:///shop?host=/tmp&user=ops@corp', { host: '/tmp', database: 'shop', user: 'ops@corp' }],
  ])('%s', (raw, expected) => {
    expect(parseConnectionString(raw)).toMatchObject(expected);
  });

  it('an empty host is the local server\'s Unix socket, with the user and database still read', () => {
    expect(socketDir, 'the test machine has a local PostgreSQL socket').toBeDefined();
    for (const raw of ['postgres://ops@/rk_db', 'postgres:///rk_db?user=ops', 'dbname=rk_db user=ops']) {
      const t = parseConnectionString(raw);
      expect(t).toMatchObject({ host: socketDir, port: 5432, database: 'rk_db', user: 'ops' });
      expect(describeTarget(t)).toBe(`${socketDir}:5432/rk_db`);
      expect(libpqEnv(t)).toMatchObject({ PGHOST: socketDir, PGDATABASE: 'rk_db', PGUSER: 'ops' });
      expect(pgClientConfig(t)).toMatchObject({ host: socketDir, database: 'rk_db', user: 'ops' });
    }
    // hostaddr alone is where libpq connects.
    expect(parseConnectionString('hostaddr=127.0.0.1 dbname=d').host).toBe('127.0.0.1');
  });

  it('the password in the query is taken and masked; in the userinfo of a socket URL too', () => {
    const log = memoryLog();
    expect(parseConnectionString('postgres://ops:S0cket-Pw%2F1@%2Fvar%2Frun%2Fpostgresql/d', log)).toMatchObject({ host: '/var/run/postgresql', user: 'ops', password: 'S0cket-Pw/1' });
    expect(parseConnectionString('postgres:///d?password=Query-Pw%2B2&host=/tmp', log).password).toBe('Query-Pw+2');
    log.info('S0cket-Pw/1 S0cket-Pw%2F1 Query-Pw+2 Query-Pw%2B2');
    expect(log.lines[0]).toBe('*** *** *** ***');
  });
});

describe('connectionUrl', () => {
  it.each([
    'postgres://app:p%40ss%20w0rd@db.example.com:6543/shop?sslmode=require&options=-c%20x%3D1',
    "host=/var/run/postgresql port=5433 dbname='my db' user=ops password='it\\'s'",
    'postgres://u@[::1]:5432/d',
    'host=127.0.0.1 dbname=d user=u target_session_attrs=any',
  ])('reads back as the same target: %s', (raw) => {
    // The same target in URL form: only the form it was written in (keyValue, for hints) differs.
    const { keyValue, ...t } = parseConnectionString(raw);
    expect(keyValue).toBe(raw.startsWith('postgres') ? undefined : true);
    expect(parseConnectionString(connectionUrl(t))).toEqual(t);
  });
});

describe('pgClientConfig', () => {
  it('turns TCP keepalive on for every session, so a peer that vanished is noticed', () => {
    const config = pgClientConfig(parseConnectionString('postgres://u@db.example.com:5432/app'));
    expect(config.keepAlive).toBe(true);
    expect(config.keepAliveInitialDelayMillis).toBeGreaterThan(0);
  });
});

describe('libpq parameters rollback-kit cannot honour', () => {
  /** The one line a refusal prints. */
  const refusal = (raw: string): string => {
    try {
      parseConnectionString(raw);
    } catch (err) {
      expect(err).toBeInstanceOf(RollbackKitError);
      return (err as RollbackKitError).line;
    }
    throw new Error(`${raw} was accepted`);
  };

  // node-postgres, which rollback-kit's own sessions use, reads none of these; pg_dump and psql do.
  it.each([
    ['service=prod', /service cannot be honoured: rollback-kit's own sessions do not read pg_service\.conf.*Give the connection as a URL with its host, port, dbname and user/],
    ['postgres:///?service=prod', /service cannot be honoured/],
    ['host=db.example.com servicefile=/etc/pg_service.conf', /servicefile cannot be honoured/],
    ['postgres://u@db.example.com/d?hostaddr=192.0.2.1', /hostaddr \(192\.0\.2\.1, with host db\.example\.com\) cannot be honoured.*Give the address to connect to as the host/],
    ['hostaddr=192.0.2.1,192.0.2.2 dbname=d', /hostaddr list cannot be honoured/],
    ['postgres://u@db1.example.com:5432,db2.example.com:5432/d', /host list \(2 hosts: db1\.example\.com, db2\.example\.com\) cannot be honoured: libpq tries the hosts in turn.*Name the one server to use \(the primary\)/],
    ['host=127.0.0.1,db.example.com dbname=d', /host list \(2 hosts: 127\.0\.0\.1, db\.example\.com\)/],
    ['postgres://u@h/d?target_session_attrs=read-write', /target_session_attrs cannot be honoured: .*\(only target_session_attrs=any is\)/],
    ['postgres://u@h/d?load_balance_hosts=random', /load_balance_hosts cannot be honoured/],
    // The password's form follows the string's: libpq decodes nothing in key=value, so percent-encoding would break it.
    ['host=h passfile=/dev/null', /passfile cannot be honoured.*Put the password in the connection string, from a secret: in key=value form, write it as password='…'/],
    ['postgres://u@h/d?passfile=/dev/null', /passfile cannot be honoured.*Put the password in the connection string, from a secret: in a URL, special characters must be percent-encoded/],
    ['postgres://u@h/d?requiressl=1', /requiressl cannot be honoured.*Use sslmode=require/],
    ['postgres://u@h/d?gssencmode=require', /gssencmode cannot be honoured/],
    ['postgres://u@h/d?channel_binding=require', /channel_binding cannot be honoured/],
    ['postgres://u@h/d?client_encoding=LATIN1', /client_encoding cannot be honoured/],
    ['postgres://u@h/d?keepalives_idle=30', /keepalives_idle cannot be honoured/],
    ['postgres://u@h/d?sslcert=/dev/null', /sslcert without sslmode=require cannot be honoured.*Add sslmode=require/],
  ])('refuses %s before connecting, naming the parameter and what to give instead', (raw, message) => {
    const line = refusal(raw);
    expect(line).toMatch(message);
    expect(line).toMatch(/Nothing was touched\.$/);
  });

  it('never repeats the value of a parameter it refuses (sslpassword is a secret)', () => {
    const line = refusal('postgres://u@h/d?sslmode=require&sslpassword=Key-Pass-9f3b');
    expect(line).toMatch(/sslpassword cannot be honoured/);
    expect(line).not.toContain('Key-Pass-9f3b');
  });

  it.each([
    'postgres://u@h/d?target_session_attrs=any&load_balance_hosts=disable&gssencmode=prefer&channel_binding=prefer&sslsni=1&keepalives=1',
    'host=h dbname=d client_encoding=UTF8 sslnegotiation=postgres gssencmode=disable',
    'hostaddr=127.0.0.1 dbname=d',
  ])('accepts what asks for nothing beyond what it does anyway: %s', (raw) => {
    expect(() => parseConnectionString(raw)).not.toThrow();
  });

  it('leaves parameters that are not libpq\'s to the tools that read them (search_path, Prisma\'s schema)', () => {
    expect(parseConnectionString('postgres://u@h/d?search_path=app&schema=shop').params).toEqual({ search_path: 'app', schema: 'shop' });
  });

  it('starts pg_* tools with only what the connection string says: PGSERVICE, PGHOSTADDR and the like in the runner\'s environment are removed', async () => {
    const inherited = { PGSERVICE: 'prod', PGSERVICEFILE: '/etc/pg_service.conf', PGHOSTADDR: '192.0.2.1', PGSSLROOTCERT: '/x.crt', PGCLIENTENCODING: 'LATIN1', PGTARGETSESSIONATTRS: 'read-write' };
    const saved = Object.fromEntries(Object.keys(inherited).map((k) => [k, process.env[k]]));
    Object.assign(process.env, inherited);
    try {
      const env = libpqEnv(parseConnectionString('postgres://u@h:5432/d?sslmode=require&target_session_attrs=any'));
      // As pg_dump would see it: runProcess adds this to the runner's environment.
      const seen = (await runProcess('env', [], { env })).stdout.split('\n');
      expect(seen).toEqual(expect.arrayContaining(['PGHOST=h', 'PGSSLMODE=require', 'PGTARGETSESSIONATTRS=any']));
      expect(seen.filter((line) => /^(PGSERVICE|PGSERVICEFILE|PGHOSTADDR|PGSSLROOTCERT|PGCLIENTENCODING)=/.test(line))).toEqual([]);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('gives its own sessions the client certificate and key, and the system store for sslrootcert=system', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rk-certs-'));
    writeFileSync(join(dir, 'client.crt'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    const t = parseConnectionString(`postgres://u@h/d?sslmode=verify-full&sslrootcert=system&sslcert=${join(dir, 'client.crt')}&sslkey=${join(dir, 'client.key')}`);
    expect(pgClientConfig(t).ssl).toMatchObject({ rejectUnauthorized: true, ca: undefined, cert: 'CERT', key: 'KEY' });
    expect(libpqEnv(t)).toMatchObject({ PGSSLCERT: join(dir, 'client.crt'), PGSSLKEY: join(dir, 'client.key'), PGSSLROOTCERT: 'system' });
  });
});
