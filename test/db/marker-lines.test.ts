// psql's output during a restore is read for the lines its script has it print (marker-lines.ts):
// however much else psql prints, and whether or not a marker ever comes (no transaction id before
// PostgreSQL 10), no more than one marker line's worth of it is held.
import { expect, it } from 'vitest';
import { MARKER_LINE_CHARS, markerLines, markerNumber } from '../../src/db/marker-lines.js';

const PID = 'rollback-kit: restore session';
const TXID = 'rollback-kit: restore transaction';

/** A reader that keeps the lines told, and the most it ever held. */
function reader() {
  const lines: string[] = [];
  let most = 0;
  const r = markerLines((line) => lines.push(line));
  return {
    lines,
    most: () => most,
    push(chunk: string) {
      r.push(chunk);
      most = Math.max(most, r.held);
    },
  };
}

it('finds the markers whatever the chunks, a newline at a time or split mid-line, CRLF too', () => {
  const out = `${PID} 4242\n ?column? \n----------\n 1\n(1 row)\n\n${TXID} 987654321\r\n${TXID} open\n`;
  for (const size of [1, 3, 7, out.length]) {
    const r = reader();
    for (let at = 0; at < out.length; at += size) r.push(out.slice(at, at + size));
    expect(r.lines.map((l) => markerNumber(l, PID)).filter(Boolean)).toEqual(['4242']);
    expect(r.lines.map((l) => markerNumber(l, TXID)).filter(Boolean)).toEqual(['987654321']);
    expect(r.lines).toContain(`${TXID} open`);
  }
});

it('holds no more than a marker line while psql prints megabytes and the transaction id never comes', () => {
  const r = reader();
  r.push(`${PID} 17\n`);
  // A row per sequence, as a big snapshot's script prints them: 10 MB of short lines.
  const rows = ' setval \n--------\n      1\n(1 row)\n\n'.repeat(1000);
  for (let i = 0; i < 250; i++) r.push(rows);
  // A line far longer than any marker (a wide row), in pieces, ending in a marker's words.
  for (let i = 0; i < 100; i++) r.push('x'.repeat(10_000));
  r.push(`${TXID} 5\n`);
  r.push(`${PID} 99\n`);
  expect(r.most()).toBeLessThanOrEqual(MARKER_LINE_CHARS);
  // The long line was passed over to its end, marker words and all; the line after it is read.
  expect(r.lines.filter((l) => markerNumber(l, TXID) !== undefined)).toEqual([]);
  expect(r.lines.map((l) => markerNumber(l, PID)).filter(Boolean)).toEqual(['17', '99']);
});

it('a marker needs its whole line: text before it, or anything but digits after, is not one', () => {
  expect(markerNumber(`${PID} 12`, PID)).toBe('12');
  expect(markerNumber(`note: ${PID} 12`, PID)).toBeUndefined();
  expect(markerNumber(`${TXID} open`, TXID)).toBeUndefined();
  expect(markerNumber(`${PID} 12 more`, PID)).toBeUndefined();
});
