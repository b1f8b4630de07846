import { describe, expect, it } from 'vitest';
import { parseDbmate } from '../../src/migrations/formats/dbmate.js';
import { golangMigrateLockKey } from '../../src/migrations/formats/golang-migrate.js';
import { parseNodePgMigrate } from '../../src/migrations/formats/node-pg-migrate.js';
import { needsOwnTransaction, sessionSetting, splitStatements, transactionControl } from '../../src/migrations/sql-split.js';

const texts = (sql: string) => splitStatements(sql).map((s) => s.text);

describe('splitStatements', () => {
  it('splits on semicolons outside quotes, dollar quotes and comments', () => {
    const sql = [
      "INSERT INTO t VALUES ('a;b', 'it''s;');",
      'CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;',
      'DO $$ BEGIN PERFORM 1; END $$;',
      '-- a comment; with a semicolon',
      '/* block; /* nested; */ still comment; */ SELECT 1;',
      "SELECT E'\\';still string';",
      'SELECT "col;name" FROM t',
    ].join('\n');
    expect(texts(sql)).toEqual([
      "INSERT INTO t VALUES ('a;b', 'it''s;')",
      'CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql',
      'DO $$ BEGIN PERFORM 1; END $$',
      '-- a comment; with a semicolon\n/* block; /* nested; */ still comment; */ SELECT 1',
      "SELECT E'\\';still string'",
      'SELECT "col;name" FROM t',
    ]);
  });

  it('reads BEGIN ATOMIC as a body only in CREATE FUNCTION / PROCEDURE, and only as two words in a row', () => {
    expect(texts('COPY public.t (id, begin, atomic) FROM stdin;\nSELECT 1;')).toEqual(['COPY public.t (id, begin, atomic) FROM stdin', 'SELECT 1']);
    expect(texts('CREATE TABLE t (begin int, atomic int); SELECT 1;')).toEqual(['CREATE TABLE t (begin int, atomic int)', 'SELECT 1']);
    expect(texts('CREATE TABLE t (begin atomic); SELECT 1;')).toEqual(['CREATE TABLE t (begin atomic)', 'SELECT 1']);
    expect(texts('CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\nSELECT 2;')).toEqual(['CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; END', 'SELECT 2']);
  });

  it('keeps a BEGIN ATOMIC function body whole, CASE … END inside it included', () => {
    const sql = 'CREATE FUNCTION g(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT 2; END;\nDROP TABLE t;';
    expect(texts(sql)).toEqual(['CREATE FUNCTION g(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT 2; END', 'DROP TABLE t']);
  });

  it('drops statements that are only comments and records where each starts', () => {
    const sql = '-- only a comment\n;\n\nDROP TABLE a;\n  DROP TABLE b;';
    const parts = splitStatements(sql);
    expect(parts.map((p) => p.text)).toEqual(['DROP TABLE a', 'DROP TABLE b']);
    expect(sql.slice(parts[1]!.offset)).toMatch(/^DROP TABLE b/);
  });
});

describe('statement classification', () => {
  it('finds the statements PostgreSQL refuses inside a transaction block', () => {
    for (const s of ['CREATE INDEX CONCURRENTLY i ON t (a)', 'create unique index concurrently i on t (a)', 'DROP INDEX CONCURRENTLY IF EXISTS i', 'REINDEX INDEX CONCURRENTLY i', 'VACUUM t', 'ALTER TABLE p DETACH PARTITION c CONCURRENTLY', 'ALTER SYSTEM SET x = 1']) {
      expect(needsOwnTransaction(s), s).toBe(true);
    }
    for (const s of [
      'CREATE INDEX i ON t (a)',
      "COMMENT ON TABLE t IS 'drop index concurrently'",
      '-- CREATE INDEX CONCURRENTLY\nDROP TABLE t',
      "CREATE FUNCTION f() RETURNS void AS $$ BEGIN EXECUTE 'x'; END; $$ LANGUAGE plpgsql -- create index concurrently",
      'CREATE FUNCTION f() RETURNS text AS $body$ SELECT $q$ drop index concurrently $q$ $body$ LANGUAGE sql',
      "CREATE TABLE t (note text DEFAULT ' concurrently ')",
    ]) {
      expect(needsOwnTransaction(s), s).toBe(false);
    }
  });

  it('recognises transaction control', () => {
    expect(transactionControl('BEGIN')).toBe('begin');
    expect(transactionControl('start transaction isolation level serializable')).toBe('begin');
    expect(transactionControl('COMMIT')).toBe('commit');
    expect(transactionControl('ROLLBACK')).toBe('other');
    expect(transactionControl('SAVEPOINT a')).toBe('other');
    expect(transactionControl('DROP TABLE begin_log')).toBeUndefined();
  });
});

describe('format parsing', () => {
  it('reads dbmate sections and transaction:false, with the down section line', () => {
    const text = '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY i;\n';
    expect(parseDbmate(text)).toEqual({ downSql: '\nDROP INDEX CONCURRENTLY i;\n', downLine: 4, noTransaction: true });
    expect(parseDbmate('-- migrate:up\nSELECT 1;\n')).toEqual({ downLine: 1, noTransaction: false });
    // Down before up is allowed by dbmate: the down section ends where the up section starts.
    expect(parseDbmate('-- migrate:down\nDROP TABLE t;\n-- migrate:up\nCREATE TABLE t ();\n').downSql).toBe('\nDROP TABLE t;\n');
  });

  it("reads node-pg-migrate's markers as the tool does", () => {
    const parsed = parseNodePgMigrate('-- Up Migration\nCREATE TABLE t ();\n-- Down Migration\nDROP TABLE t;\n');
    expect(parsed).toEqual({ downSql: '-- Down Migration\nDROP TABLE t;\n', downLine: 3 });
    expect(parseNodePgMigrate('CREATE TABLE t ();').downSql).toBeUndefined();
  });

  it("derives golang-migrate's advisory lock key from schema, table and database", () => {
    // crc32("public\0schema_migrations\0mydb") * 1486364155 mod 2^32, computed independently.
    expect(golangMigrateLockKey('mydb', 'public', 'schema_migrations')).toBe('2103762914');
  });
});

describe('sessionSetting', () => {
  it('tells the settings that outlive their statement from those that end with the transaction', () => {
    for (const sql of ["SELECT pg_catalog.set_config('search_path', '', false)", "select set_config('app.x', 'y', false);", 'SET search_path = app', 'set search_path=app', '-- first\nSET statement_timeout TO 0', 'SET SESSION lock_timeout = 0', 'SET ROLE owner', 'SET SESSION AUTHORIZATION admin', 'RESET search_path', 'RESET ALL', 'SET TIME ZONE UTC']) {
      expect(sessionSetting(sql), sql).toBe(true);
    }
    for (const sql of ['SET LOCAL lock_timeout = 1', 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', 'SET CONSTRAINTS ALL DEFERRED', 'SELECT set_config_value()', "SELECT set_config('search_path', '', true)", 'UPDATE settings SET x = 1', "INSERT INTO t VALUES ('SET x')"]) {
      expect(sessionSetting(sql), sql).toBe(false);
    }
  });
});
