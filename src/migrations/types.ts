/** What every migration format gives the planner and the runner. */
import type { Session } from '../db/session.js';

export const FORMAT_NAMES = ['dbmate', 'golang-migrate', 'node-pg-migrate', 'supabase', 'prisma', 'plain'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export interface MigrationFile {
  /** The numeric prefix users call the version (20240101120000, 3, 1700000000000). */
  version: string;
  /** The key the tool's tracking table stores (dbmate: version; node-pg-migrate: file name; prisma: folder name). */
  id: string;
  /** Path relative to the migrations folder, for messages: the file a reader opens. */
  name: string;
  /**
   * Path (relative to the migrations folder) whose addition in git means the migration arrived
   * with that commit: the up file, never the down file, which is often written after the fact.
   */
  addedPath: string;
  /** The file holding the down SQL, relative to the migrations folder; undefined when there is none. */
  downFile?: string;
  /** The down SQL; undefined (or only comments) when there is none. */
  downSql?: string;
  /** The line of downFile where downSql starts (1-based), so errors give the file's own line numbers. */
  downLine: number;
  /** Why there is no down SQL to run, when the reason is not simply a missing file or section. */
  missingReason?: string;
  /** The down is code (a JS/TS migration) that only the tool itself runs. */
  downCode?: boolean;
  /** The format itself opts out of a transaction (dbmate's `transaction:false`). */
  noTransaction: boolean;
}

/** What the tool reads from its settings, given to us as the connection string and the migrations-table input. */
export interface ToolConfig {
  /** The connection string's parameters (search_path, schema, x-migrations-table, …). */
  params: Record<string, string>;
  /** The tool's own tracking-table option (dbmate --migrations-table, …), schema-qualified or not. */
  migrationsTable?: string;
}

/** A table by its schema and name, both as PostgreSQL stores them (case kept, unquoted). */
export interface TableName {
  schema: string;
  name: string;
}

/** Where the tool's session differs from a plain connection, resolved from its settings. */
export interface ToolSettings {
  /** The search_path the tool's own session runs migrations with; undefined leaves the server's. */
  searchPath?: string;
  /** Where the tool keeps its tracking table; some tools ask the session (current_schema()). */
  trackingTable(session: Session): Promise<TableName>;
}

/** The tool's bookkeeping, read and written exactly as the tool's own rollback does. */
export interface Tracking {
  /** The tracking table as messages name it (schema-qualified). */
  table: string;
  /** The tracking table as SQL (schema-qualified, quoted), for asking whether it exists. */
  relation: string;
  /**
   * The advisory-lock key the tool itself takes, so the tool and this action exclude each other;
   * undefined when the tool takes none (we then use our own).
   */
  lockKey(session: Session): Promise<string | undefined>;
  /**
   * One SELECT (literals inlined) of what the tracking table records: sent once the migration lock
   * is held and the table (`relation`) is known to exist, which the lock's round trip asks.
   */
  appliedSql: string;
  /** Ids recorded as applied, oldest first, from the rows of appliedSql. */
  appliedIds(rows: Record<string, unknown>[], files: MigrationFile[]): string[];
  /**
   * When each of `ids` was applied, for tools whose tracking table records it (node-pg-migrate's
   * run_on, Prisma's finished_at, plain's applied_at); absent for those that record no time.
   */
  appliedAt?(session: Session, ids: string[]): Promise<Map<string, Date>>;
  /**
   * Statements (literals inlined) run before the down SQL, inside the migration's transaction, or
   * committed before the first statement of a non-transactional one: golang-migrate marks the
   * target version dirty here.
   */
  startSql?(m: MigrationFile, previous: MigrationFile | undefined): string[];
  /** Statements (literals inlined) that record the migration as reverted, in the same transaction as the down SQL. */
  revertSql(m: MigrationFile, previous: MigrationFile | undefined): string[];
  /**
   * A query (literals inlined) whose one text value names the row versions that record `m` as
   * applied (golang-migrate: its one row, as startSql left it), by `xmin`. Whatever writes those
   * rows again (a restore, the tool applying the migration again) changes it, so the progress of
   * a partial revert, recorded with it, is known to belong to another state of the database.
   */
  rowVersionSql(m: MigrationFile): string;
  /**
   * A version the tool left dirty (a step that failed midway), if the tool has that notion; the
   * runner refuses to touch such a database unless the dirty step is one of ours it can resume.
   * Asked once the tracking table is known to exist.
   */
  dirtyVersion?(session: Session): Promise<string | undefined>;
}

export interface MigrationFormat {
  name: FormatName;
  /**
   * The folder the tool itself reads when told none, relative to the repository root; undefined for
   * a tool with no such default (golang-migrate's -path is required; plain is ours).
   */
  ownDir?: string;
  /** How sure we are that `dir` holds this format: 0 = not at all. */
  detect(dir: string, entries: string[]): Promise<number>;
  /** The folder's migrations, oldest first. */
  load(dir: string): Promise<MigrationFile[]>;
  /** The tool's settings as the tool reads them; throws for a setting the tool does not have. */
  settings(config: ToolConfig): ToolSettings;
  /** The tool's bookkeeping in `table`. */
  tracking(table: TableName): Tracking;
  /**
   * What is wrong with the folder's layout for the tool itself (a file the tool would take for a
   * migration of its own), each with what to do; the run goes on.
   */
  layoutWarnings?(dir: string, files: MigrationFile[]): string[];
  /** The tool's own command that reverts the newest `count` migrations, for those whose down is code we do not run. */
  ownDownCommand?(count: number, dir: string, table: TableName): string;
  /** Only a suffix of the applied list can be reverted (golang-migrate keeps one version number). */
  linearHistory?: boolean;
}
