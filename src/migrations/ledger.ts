/**
 * rollback_kit.rollbacks: what a rollback already did to a database, one row per key, kept in that
 * database. It lives beside the data it describes because that is the one place every later run
 * (a re-run, the next job, a second run started at the same time) is sure to reach, and it changes
 * in the same place as the migrations' own tracking table. The whole rollback keys it by incident
 * (pipeline/ledger.ts); run-down-migrations by workflow run and step (rerun.ts).
 */
import type { Session } from '../db/session.js';
import { doBlock } from '../db/catalog.js';
import type { Log } from '../core/log.js';
import { ensureTable, ensureTableSql, OMITTED_WARNING, writableTableSql, type OwnTable } from './own-tables.js';
import { literal } from './sql-split.js';

/**
 * Columns a run goes on without where this role may not add them (it does not own the table): every
 * reader takes a missing or empty one as a row an earlier version wrote, and is the more careful
 * for it (planner.ts appliedAtPlan, rollback.ts refuseAnotherRestore). Nullable: an earlier version
 * that puts the ledger back after a restore (ledgerKeptAcrossRestore) fills only the columns it
 * knows, NULL in these, and a NOT NULL would roll its whole restore back.
 */
const NEWER = ['applied', 'snapshot', 'first_snapshot'] as const;
const NEWER_TYPE = "text[] DEFAULT '{}'";

/** The ledger's name, as to_regclass and every statement write it. */
export const LEDGER_TABLE = 'rollback_kit.rollbacks';

const ROLLBACKS: OwnTable = {
  name: LEDGER_TABLE,
  definition: `incident_key text PRIMARY KEY, method text NOT NULL, keep_version text,
       planned text[] NOT NULL DEFAULT '{}', reverted text[] NOT NULL DEFAULT '{}', status text NOT NULL,
       started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), kept text[] NOT NULL DEFAULT '{}',
       ${NEWER.map((column) => `${column} ${NEWER_TYPE}`).join(', ')}`,
  // Every one an array, empty by default: the restore puts rows of an older table back with [] (ledgerKeptAcrossRestore).
  added: { kept: "text[] NOT NULL DEFAULT '{}'", ...Object.fromEntries(NEWER.map((column) => [column, NEWER_TYPE])) },
  optional: NEWER,
};

export interface LedgerRow {
  incidentKey: string;
  method: string;
  /** The newest migration the plan keeps, when it reverts only newer ones (for the record). */
  keepVersion?: string;
  /** The plan, newest first: what a later run finishes, reading from the tracking table what is left of it. */
  planned: string[];
  /** Applied above the plan's oldest migration when it was made, and kept by it (a since-ref plan): not "applied since". */
  kept?: string[];
  /**
   * Every migration applied when the plan was made (down migrations): one applied now that is not
   * among them came with a later deploy, which a run for this key must not take as this incident's
   * (planner.ts appliedAtPlan). Empty in rows an earlier version wrote.
   */
  applied?: string[];
  /**
   * A restore: the sha256 of the snapshot it restores, as its manifest records it (one element).
   * Another snapshot under the same key is another incident's restore. Empty in rows an earlier version wrote.
   */
  snapshot?: string[];
  /**
   * Down migrations: where the snapshot the incident's first run took before it changed anything is
   * kept, as `key=value` elements (path, sha256, artifact, run: pipeline/ledger.ts firstSnapshotOf),
   * written with the plan and carried over by every later run: a re-run's own snapshot holds the
   * database after the earlier run's reverts, and only this one holds it as it was before the
   * rollback. Empty in rows an earlier version wrote, or written without the column.
   */
  firstSnapshot?: string[];
  /**
   * What the runs had reverted when they last wrote the row. For the record only: a run killed
   * between a migration's commit and this write leaves it behind the tracking table, which is the truth.
   */
  reverted: string[];
  /**
   * started: a run wrote its plan and has not finished it (or died). done: finished. superseded: the
   * whole rollback of another incident key finished this row's work after its own run stopped (every
   * migration of its plan reverted, or a restore committed since): never in progress, and a later run
   * for its key finds nothing left, as for done (supersedeSql).
   */
  status: LedgerStatus;
}

export type LedgerStatus = 'started' | 'done' | 'superseded';

/** Rows whose work is over: nothing reads them as a rollback in progress or a plan to finish. */
export const isClosed = (row: Pick<LedgerRow, 'status'> | undefined): boolean => row !== undefined && row.status !== 'started';

/**
 * The row for `incidentKey`, or undefined (also when the table does not exist yet: read-only).
 * `exists`: whether the table exists, when the caller asked already in a round trip of its own
 * (to_regclass of LEDGER_TABLE): then no round trip asks again, and none at all reads a table not there.
 */
export async function readLedger(session: Session, incidentKey: string, exists?: boolean): Promise<LedgerRow | undefined> {
  return (await readLedgerRows(session, [incidentKey], exists))[0];
}

/** The rows under any of `incidentKeys` (a key and its earlier spelling), in one query; `exists` as readLedger's. */
export async function readLedgerRows(session: Session, incidentKeys: string[], exists?: boolean): Promise<LedgerRow[]> {
  if (exists === undefined) exists = !!(await session.query<{ t: string | null }>(`SELECT to_regclass(${literal(LEDGER_TABLE)})::text AS t`)).rows[0]?.t;
  if (!exists) return [];
  // kept applied, snapshot and first_snapshot through to_jsonb: a table an earlier version created has no such column
  // until the next write (and a role that may not add applied/snapshot writes without them); a NULL
  // (an earlier version put the rows back after a restore) is an empty array too.
  const array = (column: string) => `ARRAY(SELECT jsonb_array_elements_text(coalesce(nullif(to_jsonb(r) -> '${column}', 'null'::jsonb), '[]'))) AS ${column}`;
  const r = await session.query<{ incident_key: string; method: string; keep_version: string | null; planned: string[]; kept: string[] | null; applied: string[] | null; snapshot: string[] | null; first_snapshot: string[] | null; reverted: string[]; status: string }>(
    `SELECT incident_key, method, keep_version, planned, ${array('kept')}, ${array('applied')}, ${array('snapshot')}, ${array('first_snapshot')}, reverted, status
       FROM rollback_kit.rollbacks r WHERE incident_key = ANY($1::text[])`,
    [incidentKeys],
  );
  return r.rows.map((row) => ({
    incidentKey: row.incident_key,
    method: row.method,
    keepVersion: row.keep_version ?? undefined,
    planned: row.planned,
    kept: row.kept ?? [],
    applied: row.applied ?? [],
    snapshot: row.snapshot ?? [],
    firstSnapshot: row.first_snapshot ?? [],
    reverted: row.reverted,
    status: row.status === 'done' || row.status === 'superseded' ? row.status : 'started',
  }));
}

function textArray(values: string[]): string {
  return `ARRAY[${values.map(literal).join(', ')}]::text[]`;
}

/**
 * The statement that writes `row` (literals inlined), into a table as ensureTableSql leaves it: the
 * NEWER columns only where the table has them (a role that may not add them writes without them).
 */
export function ledgerUpsertSql(row: LedgerRow): string {
  const always: [string, string][] = [
    ['incident_key', literal(row.incidentKey)],
    ['method', literal(row.method)],
    ['keep_version', row.keepVersion === undefined ? 'NULL' : literal(row.keepVersion)],
    ['planned', textArray(row.planned)],
    ['kept', textArray(row.kept ?? [])],
    ['reverted', textArray(row.reverted)],
    ['status', literal(row.status)],
  ];
  const newer: Record<(typeof NEWER)[number], string> = { applied: textArray(row.applied ?? []), snapshot: textArray(row.snapshot ?? []), first_snapshot: textArray(row.firstSnapshot ?? []) };
  const set = (column: string) => `${column} = excluded.${column}`;
  const lines = [
    `DECLARE rk_columns text := ${literal(always.map(([c]) => c).join(', '))};`,
    `  rk_values text := ${literal(always.map(([, v]) => v).join(', '))};`,
    `  rk_set text := ${literal(always.filter(([c]) => c !== 'incident_key').map(([c]) => set(c)).join(', '))};`,
    'BEGIN',
    ...NEWER.flatMap((column) => [
      `  IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = ${literal(ROLLBACKS.name)}::regclass AND attname = ${literal(column)} AND NOT attisdropped) THEN`,
      `    rk_columns := rk_columns || ${literal(`, ${column}`)};`,
      `    rk_values := rk_values || ${literal(`, ${newer[column]}`)};`,
      `    rk_set := rk_set || ${literal(`, ${set(column)}`)};`,
      '  END IF;',
    ]),
    `  EXECUTE 'INSERT INTO ${ROLLBACKS.name} (' || rk_columns || ') VALUES (' || rk_values || ') ON CONFLICT (incident_key) DO UPDATE SET ' || rk_set || ', updated_at = now()';`,
    'END',
  ];
  return doBlock('rk_ledger_write', lines.join('\n'));
}

/**
 * One statement that changes nothing (a read-only transaction will do) and refuses a ledger this
 * role's writes would fail on: one an earlier version created that lacks a column this version
 * needs and this role may not add (as writeLedger refuses it), one it may not read and upsert, or
 * none, where it may not make one. Each refusal names the role to ask and what it runs; own-tables.ts
 * writableRefusal makes it the user's error. For a run to ask while it is planned, so that the
 * refusal comes before it changes anything (an app rolled back, a snapshot taken), not at its first write.
 */
export function ledgerWritableSql(): string {
  // An upsert (ledgerUpsertSql): INSERT … ON CONFLICT DO UPDATE, which reads the row it updates.
  return writableTableSql(ROLLBACKS, ['SELECT', 'INSERT', 'UPDATE']);
}

/** Logs already told that the table lacks the NEWER columns: said once a run. */
const toldOmitted = new WeakSet<Log>();

/**
 * One query (literals inlined), so one round trip: the table made where it is missing, then the row;
 * after `before` (statements of the same implicit transaction: SET LOCAL bounds on its waits). A
 * table that lacks the NEWER columns, which this role may not add, is written without them, and
 * `log` is told once which statement its owner runs.
 */
export async function writeLedger(session: Session, row: LedgerRow, opts: { before?: string; log?: Log } = {}): Promise<void> {
  const omitted: string[] = [];
  const notice = (msg: { code?: string; message?: string }) => {
    if (msg.code === OMITTED_WARNING && msg.message) omitted.push(msg.message);
  };
  session.on('notice', notice);
  try {
    // Made, or given the columns this version added, only where it lacks them: a role that may write the
    // rows but not own the table (a CI role after a migration role) needs no more (own-tables.ts).
    await ensureTable(session, ROLLBACKS, ledgerUpsertSql(row), opts.before);
  } finally {
    session.off('notice', notice);
  }
  const log = opts.log;
  if (omitted[0] && log && !toldOmitted.has(log)) {
    toldOmitted.add(log);
    log.warning(omitted[0]);
  }
}

/**
 * Marks `superseded` the whole rollback's rows (method `method`, another key than `key`) left
 * 'started' by a run that stopped, once the run of `key` has finished their work: a new workflow run
 * (a "Run workflow" after the first run died midway) is another incident key, so nothing else would
 * ever close them, and the table would show a rollback in progress forever. Run where no whole
 * rollback can be under way: under the whole-rollback lock, which every whole rollback's ledger
 * write holds (run-down-migrations' rows, another method, are never touched). Down migrations:
 * only rows none of whose planned migrations is among `applied` (the tracking table, as this run
 * leaves it), so a plan with work left stays 'started' for its own re-run. A restore: the restore
 * that committed replaced what every earlier unfinished restore was for.
 */
export function supersedeSql(key: string, method: string, opts: { applied?: string[]; returning?: boolean } = {}): string {
  const work = opts.applied ? ` AND NOT (planned && ${textArray(opts.applied)})` : '';
  return `UPDATE rollback_kit.rollbacks SET status = 'superseded', updated_at = now()
     WHERE status = 'started' AND method = ${literal(method)} AND incident_key <> ${literal(key)}${work}${opts.returning ? ' RETURNING incident_key' : ''};`;
}

/** Where the ledger's rows wait, in the restore's transaction, while the snapshot's script runs (set_config's is_local: gone at its end). */
const KEPT_SETTING = 'rollback_kit.ledger_before_restore';

/**
 * Statements every restore runs in its transaction (db/restore.ts), so that the ledger comes out of
 * it as it went in: `first` before the snapshot's script holds the rows as they are, `last` after
 * everything else puts them back. A snapshot taken after an earlier rollback holds the ledger of
 * that time: restored as it is, it would forget every incident rolled back since (or bring back its
 * 'started' row), and a re-run of one would do its work again, a restore discarding the writes made
 * since or migrations reverted twice. The ledger says what runs did, which a restore of the data
 * does not undo.
 *
 * A target without the table (or whose rows this role may not read) has nothing to keep, and the
 * snapshot's copy, if it has one, stays as restored. For a re-run that is the safe side: the restored
 * data carries the work of every incident that copy says is done, and its 'done' rows stop a re-run
 * from doing it over again; without them the same re-run would plan afresh and restore or revert once
 * more. Removing them could only make a re-run do more, never less. (An unreadable table is one this
 * role does not own, which the snapshot's script then could not have replaced either.)
 */
export function ledgerKeptAcrossRestore(): { table: string; first: string; last: string } {
  const rows = (from: string) => `(SELECT coalesce(jsonb_agg(r ORDER BY r ->> 'incident_key'), '[]') FROM ${from})`;
  const table = literal(ROLLBACKS.name);
  const added = `${literal(JSON.stringify(Object.fromEntries(Object.keys(ROLLBACKS.added).map((column) => [column, []]))))}::jsonb`;
  return {
    table: ROLLBACKS.name,
    first: doBlock(
      'rk_ledger_kept',
      [
        'BEGIN',
        `  IF to_regclass(${table}) IS NOT NULL AND has_table_privilege(${table}, 'SELECT') THEN`,
        `    PERFORM set_config(${literal(KEPT_SETTING)}, ${rows('rollback_kit.rollbacks t, to_jsonb(t) r')}::text, true);`,
        '  END IF;',
        'END',
      ].join('\n'),
    ),
    // Statements after an IF are planned only when reached: the table may not exist in either state.
    last: doBlock(
      'rk_ledger_back',
      [
        `DECLARE rk_kept jsonb := nullif(current_setting(${literal(KEPT_SETTING)}, true), '')::jsonb;`,
        'BEGIN',
        '  IF rk_kept IS NULL THEN',
        '    RETURN;',
        '  END IF;',
        // Written only where the snapshot brought other rows: a role that may write the ledger but
        // not delete from it still restores a snapshot that has no ledger of its own (the table is
        // then left as it is), or the same one.
        `  IF to_regclass(${table}) IS NOT NULL THEN`,
        `    IF ${rows('rollback_kit.rollbacks t, to_jsonb(t) r')} = ${rows('jsonb_array_elements(rk_kept) r')} THEN`,
        '      RETURN;',
        '    END IF;',
        '  END IF;',
        // The snapshot's table may be an earlier version's, without the columns the kept rows have.
        // Quiet: the run's own ledger writes, on its session, said what the owner runs.
        `  EXECUTE ${literal(ensureTableSql(ROLLBACKS, { quiet: true }))};`,
        '  DELETE FROM rollback_kit.rollbacks;',
        // Rows an earlier version's table held lack the columns added since: their defaults (every one an empty array).
        `  INSERT INTO rollback_kit.rollbacks SELECT * FROM jsonb_populate_recordset(NULL::rollback_kit.rollbacks, (SELECT jsonb_agg(${added} || r) FROM jsonb_array_elements(rk_kept) r));`,
        'END',
      ].join('\n'),
    ),
  };
}

/**
 * The whole rollback's `done` row (this incident's), in the restore's transaction (after the restore
 * has put the ledger back as it was: ledgerKeptAcrossRestore), so the restore and its 'done' row
 * commit together: a run that dies after the COMMIT leaves no 'started' row to restore again.
 */
export function ledgerDoneWithRestore(done: LedgerRow): { first: string[]; last: string[] } {
  // Earlier incidents' restores left 'started' by runs that stopped are closed with it (supersedeSql).
  return { first: [], last: [ensureTableSql(ROLLBACKS, { quiet: true }), ledgerUpsertSql(done), supersedeSql(done.incidentKey, done.method)] };
}
