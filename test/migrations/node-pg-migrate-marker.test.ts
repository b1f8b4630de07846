// node-pg-migrate's markers are found where the tool's own expression finds them, in time linear in
// the file: the expression itself backtracks over runs of blank lines or dashes (n² steps).
import { describe, expect, it } from 'vitest';
import { findMarker, parseNodePgMigrate } from '../../src/migrations/formats/node-pg-migrate.js';

/** The tool's own marker expression (src/sqlMigration.ts). */
const tool = (direction: string) => new RegExp(`^\\s*--[\\s-]*${direction}\\s+migration`, 'im');

describe('findMarker', () => {
  it('finds what the tool finds, where it finds it', () => {
    const pieces = [' ', '  ', '\n', '\r', '\r\n', '\t', '\u2028', '\u00a0', '-', '--', 'up', 'Up', 'UP', 'down', 'Down', ' migration', '\nmigration', 'Migration', 'x', ';', '-- Up Migration', '-- Down Migration'];
    // A fixed pseudo-random sequence: the same cases on every run.
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from({ length: 1 + Math.floor(next() * 12) }, () => pieces[Math.floor(next() * pieces.length)]!).join('');
      for (const direction of ['up', 'down'] as const) expect(findMarker(text, direction), JSON.stringify(text)).toBe(text.search(tool(direction)));
    }
  });

  it('reads a file with long runs of blank lines and dashes, finding its markers', () => {
    const blank = '\n'.repeat(300_000);
    const dashes = '--\n'.repeat(300_000);
    const text = `${blank}${dashes}-- Up Migration\nCREATE TABLE t ();\n${blank}${dashes}  --- down\n\n MIGRATION\nDROP TABLE t;\n${blank}`;
    const downAt = text.indexOf('  --- down');
    // The tool's match starts at the first line start of the run before the marker's words.
    expect(findMarker(text, 'up')).toBe(0);
    expect(findMarker(text, 'down')).toBe(text.indexOf('\n\n', text.indexOf('CREATE TABLE')) + 1);
    expect(findMarker(`${blank}${dashes}`, 'up')).toBe(-1);
    const parsed = parseNodePgMigrate(text);
    expect(parsed.downSql?.trim().endsWith('DROP TABLE t;')).toBe(true);
    expect(parsed.downSql).toContain(text.slice(downAt, downAt + 10));
  });
});
