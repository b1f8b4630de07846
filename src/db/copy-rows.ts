/**
 * Rows per table in a pg_dump script, counted from its COPY sections: `COPY <schema>.<table> (…)
 * FROM stdin;`, then one line per row (COPY's text format writes a newline inside a value as `\n`),
 * up to the line `\.`. Counted from the archive itself while it is read back in full, they are
 * exactly what the snapshot holds, and they cost the server nothing: counting each table with
 * count(*) beside pg_dump scanned every table a second time.
 */
import { Writable } from 'node:stream';
import type { TableName } from './patterns.js';

const NL = 0x0a;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const C = 0x43;

/** One identifier as pg_dump writes it: bare, or in double quotes with `""` for a quote. */
function readIdent(text: string, at: number): { name: string; end: number } | undefined {
  if (text[at] === '"') {
    let name = '';
    let i = at + 1;
    for (;;) {
      const q = text.indexOf('"', i);
      if (q < 0) return undefined;
      name += text.slice(i, q);
      if (text[q + 1] !== '"') return { name, end: q + 1 };
      name += '"';
      i = q + 2;
    }
  }
  const m = /^[^\s."(),;]+/.exec(text.slice(at));
  return m ? { name: m[0], end: at + m[0].length } : undefined;
}

/** The table a `COPY schema.table (columns) FROM stdin;` line loads; undefined for any other line. */
export function copyTarget(line: string): TableName | undefined {
  if (!line.startsWith('COPY ') || !line.endsWith(' FROM stdin;')) return undefined;
  const schema = readIdent(line, 5);
  if (!schema || line[schema.end] !== '.') return undefined;
  const name = readIdent(line, schema.end + 1);
  if (!name) return undefined;
  // Then the column list (absent for a table without columns) and FROM stdin.
  if (!/^\s*(\(.*\))?\s*FROM stdin;$/.test(line.slice(name.end))) return undefined;
  return { schema: schema.name, name: name.name };
}

/** The key a table's count is kept under: schema and name can both hold dots. */
export const tableKey = (t: TableName): string => `${t.schema}\0${t.name}`;

/** A line of exactly `\.`: the end of a COPY section's data. */
const isCopyEnd = (buf: Buffer, start: number, end: number) => end - start === 2 && buf[start] === BACKSLASH && buf[start + 1] === DOT;

/**
 * Counts the rows of every COPY section written into it. Works on bytes: a script is nearly all COPY
 * data, and only the few statement lines are decoded.
 */
export class CopyRowCounter extends Writable {
  private readonly counts = new Map<string, number>();
  /** The incomplete last line of the previous chunk. */
  private carry: Buffer | undefined;
  /** Inside a COPY section: whose rows are being counted. */
  private table: string | undefined;
  private n = 0;
  /** The script ended inside a COPY section: it was cut short. */
  cutShort = false;

  /** Rows the script holds for a table; undefined when it has no COPY section for it. */
  rowsOf(t: TableName): number | undefined {
    return this.counts.get(tableKey(t));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error) => void): void {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) break;
      this.line(buf, pos, nl);
      pos = nl + 1;
    }
    this.carry = pos < buf.length ? buf.subarray(pos) : undefined;
    done();
  }

  override _final(done: (err?: Error) => void): void {
    if (this.carry) this.line(this.carry, 0, this.carry.length);
    this.carry = undefined;
    this.cutShort = this.table !== undefined;
    done();
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (this.table !== undefined) {
      if (!isCopyEnd(buf, start, end)) {
        this.n++;
        return;
      }
      this.counts.set(this.table, (this.counts.get(this.table) ?? 0) + this.n);
      this.table = undefined;
      return;
    }
    if (buf[start] !== C) return;
    const target = copyTarget(buf.toString('utf8', start, end));
    if (!target) return;
    this.table = tableKey(target);
    this.n = 0;
  }
}
