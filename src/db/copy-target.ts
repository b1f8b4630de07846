/**
 * Which table a pg_dump script's `COPY <schema>.<table> (…) FROM stdin;` loads: restore-db matches
 * the rows psql reports for each COPY to the manifest's tables by it.
 */
import type { TableName } from './patterns.js';

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
