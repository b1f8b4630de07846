// Where statements and strings end depends on standard_conforming_strings: on (PostgreSQL's default),
// a backslash in '…' is an ordinary character; off (a legacy setting), it escapes the next one. E'…'
// always escapes, dollar quotes, quoted names, B'…', X'…' and U&'…' never do. A script's own SET of it
// counts from the statement after, as psql reads a script.
import { describe, expect, it } from 'vitest';
import { SqlLexer } from '../../src/db/sql-lexer.js';
import { needsOwnTransaction, readsAlike, splitStatements } from '../../src/migrations/sql-split.js';

const split = (text: string, standardConformingStrings: boolean) => splitStatements({ text, standardConformingStrings }).map((s) => s.text);
/** Each statement with the setting it was read with. */
const modes = (text: string, standardConformingStrings: boolean) => splitStatements({ text, standardConformingStrings }).map((s) => [s.text, s.standardConformingStrings]);

describe('plain strings in both modes', () => {
  it("off: 'a\\';b' is one string; on: the backslash is a character and the quote after it ends the string", () => {
    const sql = "INSERT INTO t VALUES ('a\\';b');\nSELECT 2;";
    expect(split(sql, false)).toEqual(["INSERT INTO t VALUES ('a\\';b')", 'SELECT 2']);
    expect(split(sql, true)).toEqual(["INSERT INTO t VALUES ('a\\'", "b');\nSELECT 2;"]);
  });

  it("on: 'C:\\' ends at its second quote; off, the string goes on", () => {
    const sql = "SELECT 'C:\\';\nSELECT 2;";
    expect(split(sql, true)).toEqual(["SELECT 'C:\\'", 'SELECT 2']);
    expect(split(sql, false)).toEqual([sql]);
  });

  it("doubled quotes and '\\\\' read alike in both", () => {
    const sql = "SELECT 'it''s', 'x\\\\';\nSELECT 2;";
    for (const conforming of [true, false]) expect(split(sql, conforming)).toEqual(["SELECT 'it''s', 'x\\\\'", 'SELECT 2']);
  });

  it("E'…' escapes in both modes", () => {
    const sql = "SELECT E'a\\';b', e'\\\\';\nSELECT 2;";
    for (const conforming of [true, false]) expect(split(sql, conforming)).toEqual(["SELECT E'a\\';b', e'\\\\'", 'SELECT 2']);
    // A word that only ends in e is no prefix: off, its string escapes; on, it does not.
    expect(split("SELECT type'a\\';b';", true)).toEqual(["SELECT type'a\\'", "b';"]);
    expect(split("SELECT type'a\\';b';", false)).toEqual(["SELECT type'a\\';b'"]);
  });

  it('dollar quotes, quoted names, B, X and U& strings never escape', () => {
    for (const conforming of [true, false]) {
      expect(split('SELECT $$a\\$$, $t$\\$t$;\nSELECT 2;', conforming)).toEqual(['SELECT $$a\\$$, $t$\\$t$', 'SELECT 2']);
      expect(split('SELECT "a\\" FROM t;\nSELECT 2;', conforming)).toEqual(['SELECT "a\\" FROM t', 'SELECT 2']);
      expect(split("SELECT B'1\\', x'F\\', U&'d\\0061t';\nSELECT 2;", conforming)).toEqual(["SELECT B'1\\', x'F\\', U&'d\\0061t'", 'SELECT 2']);
    }
  });

  it("classifies by the same reading: off, CONCURRENTLY inside 'x\\' …' is text", () => {
    const sql = "CREATE TABLE jobs (note text DEFAULT 'it\\'s rebuilt concurrently ')";
    expect(needsOwnTransaction({ text: sql, standardConformingStrings: false })).toBe(false);
    expect(needsOwnTransaction({ text: sql, standardConformingStrings: true })).toBe(true);
  });

  it("reads alike only without a backslash in a '…' string", () => {
    for (const conforming of [true, false]) {
      const alike = (text: string) => readsAlike({ text, standardConformingStrings: conforming });
      expect(alike("SELECT 'it''s', E'\\n', $$\\$$, \"a\\\" -- 'c:\\'\n")).toBe(true);
      expect(alike("SELECT 'C:\\new'")).toBe(false);
      expect(alike("SELECT 'x\\\\'")).toBe(false);
    }
  });
});

describe("following the script's own SET of standard_conforming_strings", () => {
  it('from the statement after the SET, as psql reads a script', () => {
    const sql = ["SELECT 'a';", 'SET standard_conforming_strings = off;', "INSERT INTO t VALUES ('a\\';b');", 'SET standard_conforming_strings TO on;', "SELECT 'C:\\';", 'RESET standard_conforming_strings;', "SELECT 'd\\';e';"].join('\n');
    expect(modes(sql, true)).toEqual([
      ["SELECT 'a'", true],
      ['SET standard_conforming_strings = off', true],
      ["INSERT INTO t VALUES ('a\\';b')", false],
      ['SET standard_conforming_strings TO on', false],
      ["SELECT 'C:\\'", true],
      ['RESET standard_conforming_strings', true],
      // RESET brings back the session's own value: on, so the quote after the backslash ends the string.
      ["SELECT 'd\\'", true],
      ["e';", true],
    ]);
  });

  it.each([
    ['SET standard_conforming_strings = off', false],
    ["SET SESSION standard_conforming_strings TO 'off'", false],
    ['set local "standard_conforming_strings" = false', false],
    ['SET standard_conforming_strings = 0', false],
    ['SET standard_conforming_strings = of', false],
    ['SET standard_conforming_strings /* why */ = -- because\n no', false],
    ["SET standard_conforming_strings = E'off'", false],
    ['SET standard_conforming_strings = maybe', true],
    ['SET standard_conforming_strings = o', true],
    ['SET standard_conforming_strings_x = off', true],
    ['ALTER DATABASE app SET standard_conforming_strings = off', true],
    ["SELECT 'SET standard_conforming_strings = off'", true],
    ["SELECT set_config('standard_conforming_strings', 'off', false)", true],
    ['-- SET standard_conforming_strings = off\nSELECT 1', true],
  ])('%s → the next statement is read with it %s', (statement, after) => {
    expect(splitStatements({ text: `${statement};\nSELECT 2;`, standardConformingStrings: true }).at(-1)!.standardConformingStrings).toBe(after);
  });

  it.each(['RESET standard_conforming_strings', 'RESET ALL', 'DISCARD ALL', 'SET standard_conforming_strings TO DEFAULT', 'SET standard_conforming_strings = on'])('%s → the session value again', (statement) => {
    const sql = `SET standard_conforming_strings = on;\n${statement};\nSELECT 2;`;
    expect(splitStatements({ text: sql, standardConformingStrings: false }).at(-1)!.standardConformingStrings).toBe(statement.endsWith('on'));
  });

  it('a script read a line at a time follows a SET split over lines, and a string cut across them', () => {
    const lines: number[] = [];
    let line = 0;
    const lexer = new SqlLexer({ standardConformingStrings: true, onEnd: () => lines.push(line) });
    for (const text of ['SET standard_conforming_strings\n', '  = off;\n', "INSERT INTO t VALUES ('a\\';\n", "b');\n", 'SELECT 1;\n']) {
      line++;
      lexer.scan(text);
    }
    expect(lines).toEqual([2, 4, 5]);
    expect(lexer.standardConformingStrings).toBe(false);
    expect(lexer.idle).toBe(true);
  });
});
