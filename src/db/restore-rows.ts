/**
 * A dry run's count of what a restore would do to each snapshot table's rows: how many it holds now
 * against how many the snapshot brings back. Opt-in (previewRestore's countRows): a count(*) reads
 * the whole table, which the plan alone never does, so each count is bounded and the whole with it;
 * a table not counted in time, or whose lock did not come, is said as not counted, never guessed.
 */
import { qualified, tableKey } from './catalog.js';
import type { Session } from './session.js';
import type { SnapshotManifest } from './manifest.js';

/** One snapshot table, in the manifest's order: the order the restore's summary and row check use. */
export interface TableRowsPreview {
  table: string;
  /** Rows it holds now (its own: ONLY, as the manifest counts them); null when it is not there now, or was not counted (`counted`). */
  now: number | null;
  /** Rows the snapshot holds for it; null for a table dumped without rows (exclude-table-data): the restore empties it. */
  snapshot: number | null;
  /** `missing`: the table is not there now (the restore creates it); `timeout`: not counted within the bound. */
  counted: 'yes' | 'missing' | 'timeout';
  /**
   * Both counts hold its inheritance children's rows too: an older manifest counted it so, and its
   * own rows could not be told apart (inheritedCounts). Absent: each count is the table's own rows.
   */
  withChildren?: true;
}

/** One table's count may take this long; a larger table is left uncounted rather than hold the dry run. */
export const COUNT_STATEMENT_MS = 30_000;
/** All the counts together: past this, the rest are left uncounted. */
export const COUNT_TOTAL_MS = 120_000;

/** query_canceled (statement_timeout) and lock_not_available (lock_timeout): a count given up, not a failure. */
const GIVEN_UP = new Set(['57014', '55P03']);

/**
 * Counts each table of `manifest` now, in `session` (the restore's planning session, which reads
 * only), each under COUNT_STATEMENT_MS and all within COUNT_TOTAL_MS; the session's own
 * statement_timeout (`restoreMs`) is put back afterwards.
 */
export async function countTableRows(session: Session, manifest: Pick<SnapshotManifest, 'tables' | 'rowCounts'>, restoreMs: number, bounds = { statementMs: COUNT_STATEMENT_MS, totalMs: COUNT_TOTAL_MS }): Promise<TableRowsPreview[]> {
  const out: TableRowsPreview[] = [];
  const until = Date.now() + bounds.totalMs;
  await session.query("SELECT set_config('statement_timeout', $1, false)", [String(bounds.statementMs)]);
  try {
    const own = manifest.rowCounts === 'dumped' ? undefined : await inheritedCounts(session, manifest.tables);
    for (const t of manifest.tables) {
      const name = qualified(t.schema, t.name);
      const adjusted = own?.get(tableKey(t));
      // A count the manifest took with the children is taken so now too, so like is compared with like.
      const withChildren = adjusted === 'with-children';
      const row = { table: `${t.schema}.${t.name}`, snapshot: typeof adjusted === 'number' ? adjusted : t.rows, ...(withChildren ? { withChildren: true as const } : {}) };
      if (Date.now() >= until) {
        out.push({ ...row, now: null, counted: 'timeout' });
        continue;
      }
      const { rows: found } = await session.query<{ there: boolean }>('SELECT to_regclass($1) IS NOT NULL AS there', [name]);
      if (!found[0]?.there) {
        out.push({ ...row, now: null, counted: 'missing' });
        continue;
      }
      try {
        const { rows } = await session.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${withChildren ? '' : 'ONLY '}${name}`);
        out.push({ ...row, now: Number(rows[0]!.n), counted: 'yes' });
      } catch (err) {
        if (!GIVEN_UP.has((err as { code?: string }).code ?? '')) throw err;
        out.push({ ...row, now: null, counted: 'timeout' });
      }
    }
  } finally {
    await session.query("SELECT set_config('statement_timeout', $1, false)", [String(restoreMs)]);
  }
  return out;
}

/**
 * What an older manifest's counts (before rowCounts: 'dumped') mean as each table's own rows. Those
 * counted a table with its inheritance children (count(*) without ONLY), while the restore brings
 * back each table's own rows and the dry run counts them now with ONLY: a parent compared so skipped
 * its children's rows on one side only, and the rows written into it since went unsaid. Its own rows
 * then are its count less its direct children's, each of which held its own descendants': exact when
 * every descendant it has now is in the manifest with rows (the tree as it stands now, which a
 * restore of this snapshot left as it found it). Otherwise (a child in a schema the snapshot left
 * out, or whose rows it left out) they cannot be told apart, and the table is counted with its
 * children now as then ('with-children'). Tables without children now are left out: their counts
 * need nothing. Partitions are not concerned: a partitioned table is not in the manifest.
 */
async function inheritedCounts(session: Session, tables: SnapshotManifest['tables']): Promise<Map<string, number | 'with-children'>> {
  const { rows: edges } = await session.query<{ ps: string; pt: string; cs: string; ct: string }>(
    `SELECT pn.nspname AS ps, p.relname AS pt, cn.nspname AS cs, c.relname AS ct
       FROM pg_inherits i
       JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
       JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
      WHERE p.relkind = 'r'`,
  );
  const out = new Map<string, number | 'with-children'>();
  if (!edges.length) return out;
  const children = new Map<string, string[]>();
  for (const e of edges) {
    const parent = tableKey({ schema: e.ps, name: e.pt });
    children.set(parent, [...(children.get(parent) ?? []), tableKey({ schema: e.cs, name: e.ct })]);
  }
  const counted = new Map(tables.map((t) => [tableKey(t), t.rows]));
  // Every descendant has a count of its own in the manifest: the tree is walked once per table, cycles being impossible in pg_inherits.
  const allCounted = (key: string): boolean => (children.get(key) ?? []).every((c) => typeof counted.get(c) === 'number' && allCounted(c));
  for (const t of tables) {
    const key = tableKey(t);
    const direct = children.get(key);
    if (!direct || t.rows === null) continue;
    const own = t.rows - direct.reduce((sum, c) => sum + (counted.get(c) ?? 0), 0);
    // Fewer than none: the tree changed since; the counts are then compared as the manifest took them.
    out.set(key, allCounted(key) && own >= 0 ? own : 'with-children');
  }
  return out;
}

/** "public.orders: 14 now, 10 from the snapshot (4 discarded)": one table of the plan, for a line. */
export function tableRowsLine(t: TableRowsPreview): string {
  const from = t.snapshot === null ? 'emptied (the snapshot holds no rows for it)' : `${t.snapshot} from the snapshot`;
  const table = t.withChildren ? `${t.table} (with its inheritance children, as the snapshot's older manifest counted it)` : t.table;
  if (t.counted === 'missing') return `${table}: not there now, created with ${from}`;
  if (t.counted === 'timeout' || t.now === null) return `${table}: not counted now (it took too long), ${from}`;
  const lost = t.now - (t.snapshot ?? 0);
  return `${table}: ${t.now} now, ${from}${lost > 0 ? ` (${lost} discarded)` : ''}`;
}

/** What `rows` say a restore would discard: rows written since the snapshot, net of those deleted since, by table. */
export function rowsDiscarded(rows: readonly TableRowsPreview[]): { total: number; tables: { table: string; rows: number }[]; uncounted: number } {
  const tables = rows.flatMap((t) => (t.now !== null && t.now > (t.snapshot ?? 0) ? [{ table: t.table, rows: t.now - (t.snapshot ?? 0) }] : []));
  return { total: tables.reduce((sum, t) => sum + t.rows, 0), tables, uncounted: rows.filter((t) => t.counted === 'timeout').length };
}

/** "24 row(s) (public.orders 20, public.events 4) and whatever 1 table(s) not counted hold beyond the snapshot", or "no rows". */
export function rowsDiscardedText(rows: readonly TableRowsPreview[]): string {
  const { total, tables, uncounted } = rowsDiscarded(rows);
  const each = tables.length ? ` (${tables.map((t) => `${t.table} ${t.rows}`).join(', ')})` : '';
  const rest = uncounted ? ` and whatever ${uncounted} table(s) not counted hold beyond the snapshot` : '';
  return `${total ? `${total} row(s)${each}` : 'no rows'}${rest}`;
}
