import { describe, expect, it, vi } from 'vitest';
import { SqlLexer } from '../../src/db/sql-lexer.js';
import { parseDbmate } from '../../src/migrations/formats/dbmate.js';
import { golangMigrateLockKey } from '../../src/migrations/formats/golang-migrate.js';
import { parseNodePgMigrate } from '../../src/migrations/formats/node-pg-migrate.js';
import { plain } from '../../src/migrations/formats/plain.js';
import { planReverts } from '../../src/migrations/planner.js';
import { codeStart, copyFromStdin, hasCode, lineAt, needsOwnTransaction, sessionSetting, setsStatementTimeout, splitStatements, stripComments, transactionControl } from '../../src/migrations/sql-split.js';
import type { MigrationFile } from '../../src/migrations/types.js';
import { memoryLog } from '../../src/core/log.js';

/** SQL read with standard_conforming_strings on, PostgreSQL's default. */
const on = (text: string) => ({ text, standardConformingStrings: true });
const texts = (sql: string) => splitStatements(on(sql)).map((s) => s.text);

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
    const parts = splitStatements(on(sql));
    expect(parts.map((p) => p.text)).toEqual(['DROP TABLE a', 'DROP TABLE b']);
    expect(sql.slice(parts[1]!.offset)).toMatch(/^DROP TABLE b/);
  });
});

describe('statement classification', () => {
  it('finds the statements PostgreSQL refuses inside a transaction block', () => {
    for (const s of ['CREATE INDEX CONCURRENTLY i ON t (a)', 'create unique index concurrently i on t (a)', 'DROP INDEX CONCURRENTLY IF EXISTS i', 'REINDEX INDEX CONCURRENTLY i', 'REINDEX (CONCURRENTLY) TABLE t', 'reindex (verbose, concurrently) index i', 'VACUUM t', 'ALTER TABLE p DETACH PARTITION c CONCURRENTLY', 'ALTER SYSTEM SET x = 1']) {
      expect(needsOwnTransaction(on(s)), s).toBe(true);
    }
    for (const s of [
      'CREATE INDEX i ON t (a)',
      "COMMENT ON TABLE t IS 'drop index concurrently'",
      '-- CREATE INDEX CONCURRENTLY\nDROP TABLE t',
      "CREATE FUNCTION f() RETURNS void AS $$ BEGIN EXECUTE 'x'; END; $$ LANGUAGE plpgsql -- create index concurrently",
      'CREATE FUNCTION f() RETURNS text AS $body$ SELECT $q$ drop index concurrently $q$ $body$ LANGUAGE sql',
      "CREATE TABLE t (note text DEFAULT ' concurrently ')",
    ]) {
      expect(needsOwnTransaction(on(s)), s).toBe(false);
    }
  });

  it('recognises transaction control', () => {
    expect(transactionControl(on('BEGIN'))).toBe('begin');
    expect(transactionControl(on('start transaction isolation level serializable'))).toBe('begin');
    expect(transactionControl(on('COMMIT'))).toBe('commit');
    expect(transactionControl(on('ROLLBACK'))).toBe('other');
    expect(transactionControl(on('SAVEPOINT a'))).toBe('other');
    expect(transactionControl(on('DROP TABLE begin_log'))).toBeUndefined();
  });
});

describe('format parsing', () => {
  it('reads dbmate sections and transaction:false, with the down section line', () => {
    const text = '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY i;\n';
    expect(parseDbmate(text)).toEqual({ downSql: '\nDROP INDEX CONCURRENTLY i;\n', downLine: 4, noTransaction: true });
    expect(parseDbmate('-- migrate:up\nSELECT 1;\n')).toEqual({ downLine: 1, noTransaction: false });
    // SQL before the first up marker: dbmate refuses to read the file, so there is no down to run.
    const downFirst = parseDbmate('-- migrate:down\nDROP TABLE t;\n-- migrate:up\nCREATE TABLE t ();\n');
    expect(downFirst.downSql).toBeUndefined();
    expect(downFirst.missingReason).toContain('line 2: SQL before the first "-- migrate:up" line');
  });

  it("reads dbmate's markers and options by its own patterns, not by word boundaries", () => {
    const down = (marker: string) => parseDbmate(`-- migrate:up\nCREATE TABLE t ();\n${marker}\nDROP TABLE t;\n`);
    // A marker is followed by the line's end or by white space: these are comments in the down SQL.
    expect(parseDbmate('-- migrate:up\nSELECT 1;\n-- migrate:down\nDROP TABLE a;\n-- migrate:up-to-date\nDROP TABLE b;\n').downSql).toBe('\nDROP TABLE a;\n-- migrate:up-to-date\nDROP TABLE b;\n');
    expect(down('-- migrate:down-x').downSql).toBeUndefined();
    expect(down('--migrate:down').downSql).toBe('\nDROP TABLE t;\n');
    expect(down('-- migrate:down\r').downSql).toBe('\nDROP TABLE t;\n');
    // Options are whitespace-separated key:value pairs; other words are ignored, and the last pair wins.
    expect(down('-- migrate:down transaction:false').noTransaction).toBe(true);
    expect(down('-- migrate:down\ttransaction:false\u00a0').noTransaction).toBe(true);
    expect(down('-- migrate:down transaction:false:x').noTransaction).toBe(false);
    expect(down('-- migrate:down transaction:false transaction:true').noTransaction).toBe(false);
    expect(down('-- migrate:down notransaction:false').noTransaction).toBe(false);
  });

  it("joins the down of every dbmate section behind a ';', keeping the file's lines", () => {
    const text = '-- migrate:up\nCREATE TABLE a ();\n-- migrate:down\nDROP TABLE a\n-- migrate:up\nCREATE TABLE b ();\n-- migrate:down transaction:false\nDROP TABLE b;\n';
    const parsed = parseDbmate(text);
    expect(parsed.noTransaction).toBe(true);
    expect(parsed.downLine).toBe(3);
    expect(splitStatements({ text: parsed.downSql!, standardConformingStrings: true }).map((s) => [s.text, parsed.downLine + lineAt(parsed.downSql!, s.offset) - 1])).toEqual([
      ['DROP TABLE a', 4],
      ['-- migrate:down transaction:false\nDROP TABLE b', 7],
    ]);
    expect(parseDbmate('-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n-- migrate:up\nSELECT 3;\n').missingReason).toContain('line 5: a "-- migrate:up" section with no "-- migrate:down" line');
  });

  it("reads node-pg-migrate's markers as the tool does", () => {
    const parsed = parseNodePgMigrate('-- Up Migration\nCREATE TABLE t ();\n-- Down Migration\nDROP TABLE t;\n');
    expect(parsed).toEqual({ downSql: '-- Down Migration\nDROP TABLE t;\n', downLine: 3 });
    expect(parseNodePgMigrate('CREATE TABLE t ();').downSql).toBeUndefined();
  });

  it("derives golang-migrate's advisory lock key from schema, table and database", async () => {
    // crc32("public\0schema_migrations\0mydb") * 1486364155 mod 2^32, computed independently.
    expect(await golangMigrateLockKey('mydb', 'public', 'schema_migrations')).toBe('2103762914');
  });
});

describe('sessionSetting', () => {
  it('tells the settings that outlive their statement from those that end with the transaction', () => {
    for (const sql of ["SELECT pg_catalog.set_config('search_path', '', false)", "select set_config('app.x', 'y', false);", 'SET search_path = app', 'set search_path=app', '-- first\nSET statement_timeout TO 0', 'SET SESSION lock_timeout = 0', 'SET ROLE owner', 'SET SESSION AUTHORIZATION admin', 'RESET search_path', 'RESET ALL', 'SET TIME ZONE UTC']) {
      expect(sessionSetting(on(sql)), sql).toBe(true);
    }
    for (const sql of ['SET LOCAL lock_timeout = 1', 'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE', 'SET CONSTRAINTS ALL DEFERRED', 'SELECT set_config_value()', "SELECT set_config('search_path', '', true)", 'UPDATE settings SET x = 1', "INSERT INTO t VALUES ('SET x')"]) {
      expect(sessionSetting(on(sql)), sql).toBe(false);
    }
  });
});

// A migration that sets statement_timeout runs without the client's query deadline (runner.ts
// allowance): only its code may decide that, not a string or comment that mentions the words.
describe('setsStatementTimeout', () => {
  it('counts what sets statement_timeout or resets it, also by the name in a string or a body', () => {
    for (const sql of [
      'SET statement_timeout = 0',
      'set local STATEMENT_TIMEOUT to 0',
      'SET "statement_timeout" = 0',
      'ALTER ROLE app SET statement_timeout = 0',
      "SELECT set_config('statement_timeout', '0', false)",
      "SELECT pg_catalog.set_config( 'Statement_Timeout' , '0', true)",
      "SELECT set_config(E'statement_timeout', '0', false)",
      'RESET ALL',
      'reset /* everything */ all',
      'DISCARD ALL',
      "DO $$ BEGIN PERFORM set_config('statement_timeout', '0', false); END $$",
      'CREATE FUNCTION f() RETURNS void AS $body$ BEGIN SET statement_timeout = 0; END $body$ LANGUAGE plpgsql',
    ]) {
      expect(setsStatementTimeout(on(sql)), sql).toBe(true);
    }
  });

  it('does not count the words in a comment or a string that is not the name', () => {
    for (const sql of [
      "INSERT INTO docs (body) VALUES ('run RESET ALL, then DISCARD ALL, then SET statement_timeout = 0')",
      "COMMENT ON TABLE jobs IS 'long jobs raise statement_timeout'",
      '-- statement_timeout is raised by the next migration\nCREATE TABLE t (id int)',
      '/* RESET ALL */ CREATE INDEX t_id ON t (id)',
      'SELECT 1 AS "statement_timeout is raised elsewhere"',
      "SELECT set_config('lock_timeout', '0', false)",
      'SET idle_in_transaction_session_timeout = 0',
    ]) {
      expect(setsStatementTimeout(on(sql)), sql).toBe(false);
    }
  });
});

// The classifiers read a statement with the same lexer that split it: `--` and `/*` inside a string,
// an E'' string or a dollar-quoted body are text, and a comment may hold quotes and `$$`.
describe('classifying statements whose strings hold comment markers', () => {
  /** `--` inside a dollar quote, its closing `$$` on the same line, and a later dollar quote naming CONCURRENTLY. */
  const table = ['CREATE TABLE index_jobs (', '  marker text DEFAULT $$--$$,', '  note text DEFAULT $$ rebuilt concurrently $$', ')'].join('\n');
  const escaped = "CREATE TABLE notes (a text DEFAULT E'it\\'s', b text DEFAULT ' concurrently ')";
  const fn = "CREATE OR REPLACE FUNCTION p_note() RETURNS text LANGUAGE sql AS $$ SELECT $q$-- not a comment /* nor this$q$ || ' concurrently ' $$";

  it('sees CONCURRENTLY only in code', () => {
    for (const s of [table, escaped, fn, 'CREATE TABLE t (a text DEFAULT $x$ /* $x$, b text DEFAULT $$ concurrently $$)']) expect(needsOwnTransaction(on(s)), s).toBe(false);
    for (const s of ["/* it's $$ */ CREATE INDEX CONCURRENTLY i ON t (a) WHERE b <> $$--$$", "-- \"quoted\" $tag$\nCREATE INDEX CONCURRENTLY i ON t (a) WHERE b <> E'\\'/*'"]) {
      expect(needsOwnTransaction(on(s)), s).toBe(true);
    }
  });

  it('SELECT set_config(…, false) with comment markers in its strings is a session setting', () => {
    for (const sql of ["SELECT set_config('a', '--', false)", "SELECT set_config('app.x', $$--$$, false)", "SELECT set_config('app.x', E'it\\'s -- x', false)", "SELECT set_config('app.x', $$/*$$, false)"]) {
      expect(sessionSetting(on(sql)), sql).toBe(true);
    }
    expect(sessionSetting(on("SELECT set_config('app.x', $$--$$, true)"))).toBe(false);
    expect(sessionSetting(on("SELECT set_config('app.x', $$, false)$$, true)"))).toBe(false);
  });

  it('COPY … FROM stdin only as the statement itself, never inside a DO body or a string', () => {
    expect(copyFromStdin(on('DO $$ BEGIN IF false THEN COPY p1 FROM stdin; END IF; END $$'))).toBe(false);
    expect(copyFromStdin(on(['COPY (SELECT $$--$$ AS a,', '  $$ from stdin $$ AS b) TO STDOUT'].join('\n')))).toBe(false);
    expect(copyFromStdin(on('/* $$ */ COPY p1 FROM stdin'))).toBe(true);
  });

  it('a comment holding quotes or $$ is only a comment', () => {
    for (const sql of ["-- it's\n/* \"x\" $$ 'y */", "/* $tag$ */ -- $$ it's", '-- E\'\\\'']) {
      expect(hasCode(on(sql)), sql).toBe(false);
      expect(codeStart(on(sql))).toBe(sql.length);
    }
    expect(transactionControl(on("-- don't $$\nCOMMIT"))).toBe('commit');
    expect(transactionControl(on("/* it's */ BEGIN"))).toBe('begin');
    expect(codeStart(on("-- it's $$\n  DROP TABLE t"))).toBe("-- it's $$\n  ".length);
  });

  it('stripComments keeps strings whole and removes only comments, as the lexer reads them', () => {
    // The runner looks for statement_timeout in what stripComments leaves (a SET or set_config of it).
    const sql = "SELECT set_config('app.note', E'it\\'s -- fine', false), set_config('statement_timeout', $$0$$, false) -- trailing";
    expect(stripComments(on(sql))).toContain("'statement_timeout'");
    expect(stripComments(on(sql))).not.toContain('trailing');
    expect(stripComments(on("SELECT '-- kept', $$/* kept */$$ /* gone */"))).toMatch(/^SELECT '-- kept', \$\$\/\* kept \*\/\$\$ +$/);
  });

  it('plans a down file whose function body holds -- and /* by its one real CONCURRENTLY statement', () => {
    const file = (version: string, downSql: string): MigrationFile => ({ version, id: version, name: `${version}_x.down.sql`, addedPath: `${version}_x.sql`, downFile: `${version}_x.down.sql`, downSql, downLine: 1, noTransaction: false });
    const files = [file('001', `${fn};\n${table};\n${escaped};\nCREATE INDEX CONCURRENTLY i ON t (a);\n`), file('002', `${fn};\n-- it's $$ a note\n${table};\n${escaped};\n`)];
    const plan = planReverts(plain, files, ['001', '002'], { kind: 'steps', steps: 2 }, { table: 'schema_migrations', log: memoryLog() });
    const [second, first] = plan.toRevert;
    expect(second!.statements.map((s) => s.line)).toEqual([1, 3, 7]);
    expect(second!.transactional).toBe(true);
    expect(first!.statements.map((s) => needsOwnTransaction(s))).toEqual([false, false, false, true]);
    expect(first!.transactional).toBe(false);
  });

  it('reads each statement once while planning it, however many checks classify it', () => {
    // Each check (COPY FROM STDIN, transaction control, CONCURRENTLY, …) lexed the statement anew:
    // a dozen scans of every statement, start-up time of every revert (BENCHMARKS.md).
    const file = (version: string, downSql: string): MigrationFile => ({ version, id: version, name: `${version}_x.down.sql`, addedPath: `${version}_x.sql`, downFile: `${version}_x.down.sql`, downSql, downLine: 1, noTransaction: false });
    const files = [file('101', 'DROP INDEX t101_v_idx;\nDROP TABLE t101;\n'), file('102', "DROP INDEX t102_v_idx;\n-- a note\nDELETE FROM t WHERE v = 'x;y';\n")];
    const scan = vi.spyOn(SqlLexer.prototype, 'scan');
    try {
      const plan = planReverts(plain, files, ['101', '102'], { kind: 'steps', steps: 2 }, { table: 'schema_migrations', log: memoryLog() });
      expect(plan.toRevert.map((m) => [m.statements.length, m.transactional])).toEqual([[2, true], [2, true]]);
      // Per file: the whole text once to find it has code, once to split it, and each statement
      // found (untrimmed, then as it runs) at most twice.
      expect(scan.mock.calls.length).toBeLessThanOrEqual(files.length * (2 + 2 * 2));
      expect(needsOwnTransaction(plan.toRevert[0]!.statements[0]!)).toBe(false);
    } finally {
      scan.mockRestore();
    }
  });
});
