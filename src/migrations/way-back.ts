/**
 * Whether the verified snapshot run-down-migrations was given is a way back for what the run may
 * destroy: of this database, holding every table's rows, and how old it is next to the migrations
 * the run reverts. A down migration that drops a table takes its rows with it; the snapshot is
 * the only place they are still kept.
 */
import { errorLine, RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { countRows, listTables, NAMES_SHOWN, qualified, quoteIdent, RowSecurityHidesRows, seeAllRows, someNames, tableKey } from '../db/catalog.js';
import type { ConnectionTarget } from '../db/connection.js';
import { userSchemas, type TableName } from '../db/patterns.js';
import { compareSource, readServerIdentity, snapshotSource } from '../db/server-identity.js';
import type { Session } from '../db/session.js';
import type { VerifiedSnapshot } from '../db/verify.js';
import { LEDGER_TABLE } from './ledger.js';
import { INSUFFICIENT_PRIVILEGE } from './own-tables.js';
import { PROGRESS_TABLE } from './run-failure.js';
import { describeTable } from './tracking.js';
import type { MigrationFile, Tracking } from './types.js';

/** The snapshot a run could go back to, as the summary and the outputs describe it. */
export interface WayBack {
  path: string;
  sha256: string;
  /** When snapshot-db took it: the manifest's createdAt, as written there. */
  takenAt: string;
  /** How long before this run's check it was taken; undefined when createdAt is no time. */
  ageMs?: number;
  /**
   * The newest migration this run reverts, when the tracking table says it was applied after the
   * snapshot was taken: rows written since then are not in the snapshot. `file`: its up file.
   */
  appliedSince?: { version: string; file: string; appliedAt: string };
  /**
   * Set once its tables were compared with the database's, before the first change (requireCoverage):
   * the tables here now that it holds under no name they have now, each empty then (one with rows is
   * refused). Undefined when nothing was reverted, so nothing was compared.
   */
  notHeld?: NotHeldTable[];
}

/** A table the snapshot does not hold under its name now, as the "Way back" line names it. */
export interface NotHeldTable {
  /** Its name now, as describeTable writes it. */
  table: string;
  /** The name it had when the snapshot was taken (the snapshot holds it under that name): renamed since. */
  renamedFrom?: string;
  /** The manifest's OIDs say it was made since (it lists every table's OID, and not this one's). */
  made?: true;
}

/** "2024-05-01 10:00:00 UTC", or the text as given when it is no time. */
function utcText(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const s = new Date(ms).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 19)} UTC`;
}

/** "42 s", "12 min", "3 h 4 min", "5 days 2 h": an age a person reads at a glance. */
export function ageText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} days ${h % 24} h`;
}

/** "taken 2024-05-01 10:00:00 UTC, 3 h 4 min before this run": for the log and the summary alike. */
export function takenText(w: Pick<WayBack, 'takenAt' | 'ageMs'>): string {
  if (w.ageMs === undefined) return `taken at a time its manifest does not give (createdAt "${w.takenAt}")`;
  return `taken ${utcText(w.takenAt)}, ${ageText(w.ageMs)} before this run`;
}

/** "migration 2 (2_codes.sql) was applied 2024-05-01 11:00:00 UTC, after the snapshot was taken, so …": the summary's and the warning's words. */
export function appliedSinceText(a: NonNullable<WayBack['appliedSince']>): string {
  return `migration ${a.version} (${a.file}) was applied ${utcText(a.appliedAt)}, after the snapshot was taken, so rows written since then are not in it`;
}

/** A snapshot of another database (or of the same name on another server) is no way back for this one. */
async function requireSameDatabase(session: Session, target: ConnectionTarget, snapshot: VerifiedSnapshot, log: Log): Promise<void> {
  const source = compareSource(snapshotSource(snapshot.manifest), await readServerIdentity(session, target));
  if (!source.same) {
    throw new RollbackKitError(
      `Snapshot ${snapshot.path} is no way back for the database this run would change. ${source.message}`,
      source.basis === 'system-identifier'
        ? 'Pass a snapshot that snapshot-db took of the database in database-url. Nothing was changed.'
        : 'Pass a snapshot that snapshot-db took of the database in database-url, with the same host and port as database-url (snapshots taken now record the server\'s identifier, which any host name for it matches). Nothing was changed.',
    );
  }
  if (source.basis === 'host-port-database') log.warning(source.message);
}

/**
 * Schemas of this database the snapshot has no rows of. A snapshot of every schema lacks only those
 * it left out (exclude-schemas); one filtered by `schemas` (or from before `everySchema` was
 * recorded, read as filtered, as restore-db reads it) lacks every schema here it does not list.
 */
async function schemasMissing(session: Session, filter: VerifiedSnapshot['manifest']['filter']): Promise<{ name: string; why: 'excluded' | 'outside' }[]> {
  if (filter.everySchema === true) return filter.excludeSchemas.map((name) => ({ name, why: 'excluded' }));
  const here = await userSchemas(session);
  return here
    .filter((s) => filter.excludeSchemas.includes(s) || !filter.schemas.includes(s))
    .map((name) => ({ name, why: filter.excludeSchemas.includes(name) ? 'excluded' : 'outside' }));
}

/**
 * Refuses a snapshot that does not hold every table's rows: taken with exclude-table-data, or
 * without every schema. A down migration that drops such a table would leave its rows nowhere,
 * while the summary spoke of a verified way back.
 */
async function requireEveryRow(session: Session, snapshot: VerifiedSnapshot): Promise<void> {
  const { filter, tables } = snapshot.manifest;
  // The manifest names each table whose rows were left out exactly (rows: null); its filter names
  // them as `schema.name`, which a dot in a name makes ambiguous, so it only adds what the tables miss.
  const noRows = tables.filter((t) => t.rows === null);
  const named = new Set(noRows.map((t) => `${t.schema}.${t.name}`));
  const tablesMissing = [...noRows.map(describeTable), ...filter.excludeTableData.filter((t) => !named.has(t))];
  const schemas = await schemasMissing(session, filter);
  if (!tablesMissing.length && !schemas.length) return;
  const parts: string[] = [];
  if (tablesMissing.length) parts.push(`no rows of ${tablesMissing.length === 1 ? 'table' : 'tables'} ${someNames(tablesMissing)} (taken with exclude-table-data)`);
  const excluded = schemas.filter((s) => s.why === 'excluded').map((s) => s.name);
  const outside = schemas.filter((s) => s.why === 'outside').map((s) => s.name);
  if (excluded.length) parts.push(`nothing of ${excluded.length === 1 ? 'schema' : 'schemas'} ${someNames(excluded)} (left out with exclude-schemas)`);
  if (outside.length) parts.push(`nothing of ${outside.length === 1 ? 'schema' : 'schemas'} ${someNames(outside)} (outside its schemas filter, or created since it was taken)`);
  throw new RollbackKitError(
    `Snapshot ${snapshot.path} does not hold every table's rows: it has ${parts.join(', and ')}. A down migration that drops them would leave those rows nowhere.`,
    'Take a snapshot of the whole database with snapshot-db (no schemas, exclude-schemas or exclude-table-data) and pass its path as snapshot-path; or, if those rows may be lost, set require-snapshot: false to revert without a snapshot. Nothing was changed.',
  );
}

/**
 * Checks the verified snapshot against the database, before anything changes: the same database,
 * every table's rows as far as its filters go. Whether it lacks tables made since it was taken is
 * requireCoverage's to say, once the run knows it reverts something.
 */
export async function requireWayBack(session: Session, target: ConnectionTarget, snapshot: VerifiedSnapshot, log: Log): Promise<WayBack> {
  await requireSameDatabase(session, target, snapshot, log);
  await requireEveryRow(session, snapshot);
  const takenAt = snapshot.manifest.createdAt;
  const taken = Date.parse(takenAt);
  return { path: snapshot.path, sha256: snapshot.sha256, takenAt, ageMs: Number.isNaN(taken) ? undefined : Date.now() - taken };
}

/**
 * What the snapshot holds of this database's tables, one builder for the log's and the summary's
 * "Way back" line: never "every table's rows" for one that lacks a table, nor for one not compared.
 */
export function holdsText(w: Pick<WayBack, 'notHeld'>): string {
  if (!w.notHeld) return 'its tables were not compared with the database\'s, as nothing was reverted';
  const absent = w.notHeld.filter((t) => !t.renamedFrom);
  const renamed = w.notHeld.filter((t) => t.renamedFrom);
  let text = "it holds every table's rows";
  if (absent.length) {
    const one = absent.length === 1;
    const since = absent.every((t) => t.made) ? 'made since it was taken' : 'made or renamed since it was taken';
    text += ` but ${one ? 'that' : 'those'} of ${one ? 'table' : 'tables'} ${someNames(absent.map((t) => t.table))}, which it does not have (${since}) and which ${one ? 'was' : 'were'} empty before this run changed anything`;
  }
  if (renamed.length) {
    // Its rows of then are in the snapshot, under the name it had: never "does not have", nor "made since".
    const one = renamed.length === 1;
    const moves = someNames(renamed.map((t) => `${t.renamedFrom} → ${t.table}`));
    text += `; ${one ? 'table' : 'tables'} ${someNames(renamed.map((t) => t.table))} ${one ? 'was' : 'were'} renamed since it was taken (${moves}), so it holds ${one ? 'that table under its old name' : 'them under their old names'}, and ${one ? 'it was' : 'they were'} empty before this run changed anything`;
  }
  return text;
}

/**
 * rollback-kit's own bookkeeping, made by a run after the snapshot it was given (the whole rollback
 * writes its ledger row after its snapshot; a re-run finds the first attempt's rows): no down SQL
 * drops them, and a restore keeps the ledger as it is (db/restore.ts). Not the plain format's
 * tracking table, rollback_kit.schema_migrations: a snapshot without it is no way back for it.
 */
const OWN_BOOKKEEPING = new Set([LEDGER_TABLE, PROGRESS_TABLE]);

/**
 * Rows named per table at most: only whether a table holds rows decides anything, and a rough size
 * is enough for the message. Counting stops one past it, under the migration lock, so the check
 * cannot use up statement-timeout-seconds on a large table.
 */
export const COUNT_CAP = 1_000;

/**
 * A table here now that the manifest does not hold under its name, with what the manifest's OIDs
 * (new manifests record them) tell of it: `renamedFrom`, the name it had when the snapshot was taken
 * (its OID is listed under another name); `made`, made since (the manifest lists every table's OID,
 * and not its); neither, when the manifest cannot tell. `nameWasOf`: made since under a name the
 * manifest lists for another table, renamed away since to this name (a deploy that renames the old
 * table aside and makes a new one in its place): the rows the snapshot holds under that name are
 * the other table's.
 */
interface NotHeld {
  table: TableName;
  renamedFrom?: string;
  made?: true;
  nameWasOf?: string;
}

/**
 * The tables here now whose rows the snapshot does not hold under their names, not rollback-kit's
 * own. A name the manifest lists is held, unless the OIDs say that table lives on under another
 * name and this one is another table. OIDs are not reused while their table lives (only after the
 * cluster's OID counter wraps round), so an OID listed and here is the same table; a database
 * restored since has new OIDs throughout, none listed, and is read by its names as before.
 */
async function tablesNotHeld(session: Session, snapshot: VerifiedSnapshot): Promise<NotHeld[]> {
  const { tables } = snapshot.manifest;
  const listed = new Map(tables.map((t) => [tableKey(t), t]));
  const here = await listTables(session, await userSchemas(session));
  const hereByOid = new Map(here.map((t) => [t.oid, t]));
  const byOid = new Map(tables.filter((t) => t.oid !== undefined).map((t) => [t.oid!, t]));
  const everyOid = tables.every((t) => t.oid !== undefined);
  const out: NotHeld[] = [];
  for (const { schema, name, oid } of here) {
    if (OWN_BOOKKEEPING.has(`${schema}.${name}`)) continue;
    const table = { schema, name };
    const then = byOid.get(oid);
    if (then) {
      if (tableKey(then) !== tableKey(table)) out.push({ table, renamedFrom: describeTable(then) });
      continue;
    }
    const sameName = listed.get(tableKey(table));
    const movedAway = sameName?.oid !== undefined ? hereByOid.get(sameName.oid) : undefined;
    if (movedAway) out.push({ table, ...(everyOid ? { made: true } : {}), nameWasOf: describeTable(movedAway) });
    else if (!sameName) out.push(everyOid ? { table, made: true } : { table });
  }
  return out;
}

/** Why the manifest lacks these tables, as far as it can tell: "made since it was taken" only when its OIDs say so. */
function sinceText(missing: NotHeld[], tables: TableName[]): string {
  const keys = new Set(tables.map(tableKey));
  const these = missing.filter((t) => keys.has(tableKey(t.table)));
  if (these.every((t) => t.made)) return 'made since it was taken';
  return these.every((t) => t.renamedFrom) ? 'renamed since it was taken' : 'made or renamed since it was taken';
}

/**
 * Of these tables, those this role may not read (no USAGE on the schema, or SELECT on no column),
 * with the role: asked before counting, so a missing grant is named, not met as "permission denied"
 * for one of a batch.
 */
async function unreadable(session: Session, tables: TableName[]): Promise<{ who: string; tables: { table: TableName; usage: boolean }[] }> {
  const { rows } = await session.query<{ who: string; i: number | null; usage: boolean | null }>(
    `SELECT quote_ident(current_user) AS who, u.i, u.usage
       FROM (SELECT 1) one
       LEFT JOIN (SELECT t.i::int AS i, has_schema_privilege(ns.oid, 'USAGE') AS usage
                    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(schema, name, i)
                    JOIN pg_namespace ns ON ns.nspname = t.schema
                    JOIN pg_class c ON c.relnamespace = ns.oid AND c.relname = t.name
                   WHERE NOT (has_schema_privilege(ns.oid, 'USAGE') AND has_any_column_privilege(c.oid, 'SELECT'))) u ON true
      ORDER BY u.i`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  const found = rows.filter((r) => r.i !== null);
  return { who: rows[0]!.who, tables: found.map((r) => ({ table: tables[r.i! - 1]!, usage: r.usage! })) };
}

/** The rows of each table counted up to one past COUNT_CAP (`FROM ONLY`, as the snapshot counts them). Bounded by the run's lock_timeout and statement_timeout. */
async function countNotHeld(session: Session, tables: NotHeld[]): Promise<(NotHeld & { rows: number })[]> {
  const counts = await countRows(session, tables.map((t) => t.table), [], COUNT_CAP + 1);
  return counts.map((c, i) => ({ ...tables[i]!, rows: c.rows ?? 0 }));
}

/** What the OIDs tell of a table the refusal names, after its rows: "; renamed since the snapshot from …". */
function noteText(t: NotHeld): string {
  if (t.renamedFrom) return `; renamed since the snapshot from ${t.renamedFrom}`;
  if (t.nameWasOf) return `; ${t.made ? 'made since the snapshot' : 'made or renamed since the snapshot'}, whose ${describeTable(t.table)} is the table now named ${t.nameWasOf}`;
  return '';
}

function rowsText(n: number): string {
  return n > COUNT_CAP ? `more than ${COUNT_CAP.toLocaleString('en-US')} rows` : `${n} ${n === 1 ? 'row' : 'rows'}`;
}

/** A snapshot that lacks tables this role may not read: whether they hold rows cannot be told, so it is refused, naming the grant. */
function refuseUnreadable(snapshot: VerifiedSnapshot, wayBack: WayBack, who: string, tables: { table: TableName; usage: boolean }[], missing: NotHeld[]): never {
  const one = tables.length === 1;
  const names = someNames(tables.map((t) => describeTable(t.table)));
  const schemas = [...new Set(tables.filter((t) => !t.usage).map((t) => quoteIdent(t.table.schema)))];
  const grants = [
    ...schemas.map((s) => `GRANT USAGE ON SCHEMA ${s} TO ${who};`),
    `GRANT SELECT ON ${tables.slice(0, NAMES_SHOWN).map((t) => qualified(t.table.schema, t.table.name)).join(', ')} TO ${who};`,
  ].join(' ');
  throw new RollbackKitError(
    `Snapshot ${snapshot.path} (${takenText(wayBack)}) does not list ${one ? 'table' : 'tables'} ${names} (${sinceText(missing, tables.map((t) => t.table))}), and user ${who} may not read ${one ? 'it' : 'them'}, so whether ${one ? 'it holds' : 'they hold'} rows the snapshot lacks cannot be told.`,
    `Let the user read ${one ? 'it' : 'them'} (${grants}) and run again; or take a fresh snapshot now with the snapshot-db action and pass its path as snapshot-path; or, if those rows may be lost, set require-snapshot: false to revert without a snapshot. Nothing was changed.`,
  );
}

/**
 * A snapshot that lacks tables whose rows row-level security hides from this role: its count shows
 * only what the policies let it see, so "empty" cannot be told from "holds rows" (and the down SQL
 * may drop them). Refused, naming what would let it see every row.
 */
function refuseHidden(snapshot: VerifiedSnapshot, wayBack: WayBack, hidden: RowSecurityHidesRows, missing: NotHeld[]): never {
  const one = hidden.tables.length === 1;
  const names = someNames(hidden.tables.map(describeTable));
  throw new RollbackKitError(
    `Snapshot ${snapshot.path} (${takenText(wayBack)}) does not list ${one ? 'table' : 'tables'} ${names} (${sinceText(missing, hidden.tables)}), and row-level security hides ${one ? 'its' : 'their'} rows from user ${hidden.who}, so whether ${one ? 'it holds' : 'they hold'} rows the snapshot lacks cannot be told.`,
    `To count them, ${seeAllRows(hidden.who, hidden.tables)}, and run again; or take a fresh snapshot now with the snapshot-db action and pass its path as snapshot-path; or, if those rows may be lost, set require-snapshot: false to revert without a snapshot. Nothing was changed.`,
  );
}

/**
 * The snapshot given lacks rows the database holds now: only another snapshot-path (or
 * require-snapshot: false) gets past it, so a re-run with the same inputs meets it again.
 */
export class SnapshotLacksRows extends RollbackKitError {}

/**
 * Refuses a snapshot taken before tables that hold rows now (an old snapshot-db snapshot passed
 * to a later rollback): a down migration that drops one would take rows the snapshot never had,
 * while the run spoke of a way back. An empty one loses nothing (a table the reverted migration
 * made and nothing wrote): allowed, and the "Way back" line names it. Run once the run knows it
 * reverts something, before its first change; logs the "Way back" line and sets `wayBack.notHeld`.
 * A re-run after a partial revert is not refused for tables its first attempt dropped: they are
 * gone, and only tables here now are compared.
 */
export async function requireCoverage(session: Session, snapshot: VerifiedSnapshot, wayBack: WayBack, log: Log, revertedEarlier: string[] = []): Promise<void> {
  let notHeld: (NotHeld & { rows: number })[];
  let missing: NotHeld[] = [];
  try {
    missing = await tablesNotHeld(session, snapshot);
    const cannotRead = missing.length ? await unreadable(session, missing.map((t) => t.table)) : undefined;
    if (cannotRead?.tables.length) refuseUnreadable(snapshot, wayBack, cannotRead.who, cannotRead.tables, missing);
    notHeld = await countNotHeld(session, missing);
  } catch (err) {
    if (err instanceof RowSecurityHidesRows) refuseHidden(snapshot, wayBack, err, missing);
    if (err instanceof RollbackKitError) throw err;
    const denied = (err as { code?: string }).code === INSUFFICIENT_PRIVILEGE;
    throw new RollbackKitError(
      `Could not compare the tables of snapshot ${snapshot.path} with the database's: ${log.redact(errorLine(err))}.`,
      denied
        ? 'The user may not read a table the snapshot does not list: grant it SELECT on that table and run again; or take a fresh snapshot now with the snapshot-db action and pass its path as snapshot-path; or set require-snapshot: false to revert without a snapshot. Nothing was changed.'
        : 'A session holding a table (a migration, a long transaction) may have kept the row counts waiting past lock-timeout-seconds or statement-timeout-seconds. Run again once it is done. Nothing was changed.',
    );
  }
  const withRows = notHeld.filter((t) => t.rows > 0);
  if (withRows.length) {
    const one = withRows.length === 1;
    const shown = someNames(withRows.map((t) => `${describeTable(t.table)} (${rowsText(t.rows)}${noteText(t)})`));
    const [it, its] = one ? ['it', 'its'] : ['them', 'their'];
    // "Predates" only when the manifest's OIDs say so: a table renamed since has its rows of then in
    // the snapshot, under its old name.
    const why = withRows.every((t) => t.made)
      ? `its manifest does not list ${it}, so the snapshot predates ${it} and holds none of ${its} rows`
      : `its manifest does not list ${it} under ${one ? 'this name' : 'these names'}${withRows.some((t) => !t.made && !t.renamedFrom) ? ' (made or renamed since it was taken)' : ''}, so the snapshot may not hold ${its} rows as they are now`;
    // A re-run with the snapshot its first attempt had: that attempt's down SQL may have made and
    // filled these tables. Which statement wrote which row is not recorded, so it is refused all the
    // same, saying why, and that the same snapshot will not do.
    const earlier = revertedEarlier.length && withRows.some((t) => !t.renamedFrom)
      ? ` An earlier attempt of this step already reverted ${someNames(revertedEarlier)} after the snapshot was taken: a table its down SQL made and filled is not in the snapshot either.`
      : '';
    throw new SnapshotLacksRows(
      `Snapshot ${snapshot.path} (${takenText(wayBack)}) is no way back for ${one ? 'table' : 'tables'} ${shown}: ${why}. A down migration that drops ${it} would leave those rows nowhere.${earlier}`,
      earlier
        ? // Re-run jobs runs with the inputs it ran with: never "re-run", which would pass this snapshot again.
          'Take a fresh snapshot now with the snapshot-db action (it holds what that attempt wrote) and pass its path as snapshot-path in a new run: Re-run jobs passes the same snapshot and is refused again. Or, if those rows may be lost, set require-snapshot: false in a new run to revert without a snapshot. Nothing was changed.'
        : 'Take a fresh snapshot now with the snapshot-db action and pass its path as snapshot-path; or, if those rows may be lost, set require-snapshot: false to revert without a snapshot. Nothing was changed.',
    );
  }
  wayBack.notHeld = notHeld.map(({ table, renamedFrom, made }) => ({ table: describeTable(table), ...(renamedFrom ? { renamedFrom } : {}), ...(made ? { made } : {}) }));
  log.info(`Way back: snapshot ${snapshot.path}, ${takenText(wayBack)}; ${holdsText(wayBack)}.`);
}

/**
 * Warns when the snapshot is older than the migrations the run reverts, as far as the tracking
 * table records when they were applied: rows written since it was taken are not in it, so what
 * the down SQL drops of them has no way back. A warning, not a refusal: a snapshot taken before
 * the deploy, or an hour ago on purpose, still holds every row up to then, and refusing would
 * leave a fresh snapshot (minutes of a large database, mid-incident) or require-snapshot: false
 * (no way back at all) as the only ways on. Sets `wayBack.appliedSince`.
 */
export async function warnIfOlderThanReverted(session: Session, tracking: Tracking, reverting: MigrationFile[], wayBack: WayBack, log: Log): Promise<void> {
  if (wayBack.ageMs === undefined || !reverting.length) return;
  if (!tracking.appliedAt) {
    log.info(`${tracking.table} records no time a migration was applied, so whether the snapshot is older than the migrations reverted cannot be told.`);
    return;
  }
  let times: Map<string, Date>;
  try {
    times = await tracking.appliedAt(session, reverting.map((m) => m.id));
  } catch (err) {
    // A check for a warning: a plain tracking table made without applied_at must not stop the rollback.
    log.info(`Could not read when the migrations were applied from ${tracking.table} (${log.redact(errorLine(err))}), so whether the snapshot is older than them cannot be told.`);
    return;
  }
  const taken = Date.parse(wayBack.takenAt);
  let newest: { m: MigrationFile; at: Date } | undefined;
  for (const m of reverting) {
    const at = times.get(m.id);
    if (at && at.getTime() > taken && (!newest || at.getTime() > newest.at.getTime())) newest = { m, at };
  }
  if (!newest) return;
  wayBack.appliedSince = { version: newest.m.version, file: newest.m.addedPath, appliedAt: newest.at.toISOString() };
  log.warning(
    `Snapshot ${wayBack.path} was ${takenText(wayBack)}, and ${appliedSinceText(wayBack.appliedSince)}: any of them the down SQL drops has no way back. To keep such rows, take the snapshot with snapshot-db just before run-down-migrations.`,
  );
}
