/**
 * Which migrations to revert, newest first, and how each one runs. Everything that could stop the
 * run (a version that is not applied, a migration without down SQL, a transaction statement that
 * would break ours) is found here, before a single statement executes.
 */
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { codeStart, copyFromStdin, hasCode, lineAt, needsOwnTransaction, splitStatements, transactionControl, type Statement } from './sql-split.js';
import type { FormatName, MigrationFile, MigrationFormat } from './types.js';

export type Selector =
  | { kind: 'steps'; steps: number }
  | { kind: 'to-version'; version: string }
  | { kind: 'since-ref'; ref: string; added: Set<string> }
  /** The versions a plan made earlier (rerun.ts, pipeline/ledger.ts) reverts: what is left of them. */
  | RecordedSelector;

export interface RecordedSelector {
  kind: 'recorded';
  /** Newest first, as they run. */
  planned: string[];
  /**
   * Migrations that were applied above the plan's oldest one when it was made and that it keeps (a
   * since-ref plan that is not the newest ones): not "applied since". A `steps` plan keeps none.
   */
  kept?: string[];
  /**
   * Every migration applied when the plan was made. One applied now that is not among them was
   * applied since, by a deploy the plan knows nothing of: finishing the plan (or finding it
   * finished) would leave it applied and call the rollback done, so the plan is refused under it,
   * wherever it sits. Empty or missing (a row an earlier version wrote): only a migration applied
   * above what is left of the plan tells.
   */
  appliedAtPlan?: string[];
  /**
   * What the plan reverted already, as its record says (every planned one, for a finished plan). One
   * applied now was applied again since (a deploy ran it again): reverting it a second time would
   * drop what was written since, so the plan is refused under it.
   */
  reverted?: string[];
  /** Who made the plan and what to do when something was applied above it since; an earlier attempt of this workflow run by default. */
  origin?: { who: string; hint: string };
}

const RERUN_ORIGIN = {
  who: 'An earlier attempt of this workflow run',
  hint: 'Start a new run with to-version (the last migration to keep), after checking what the migrations applied since need.',
};

export interface PlannedStatement extends Statement {
  /** Line in the migration's down file where the statement's code starts (after leading comments). */
  line: number;
  /** Line in the down file where `text` starts, for turning PostgreSQL's error position into a line. */
  textLine: number;
}

export interface PlannedMigration {
  file: MigrationFile;
  statements: PlannedStatement[];
  /** False when the format opts out or a statement cannot run inside a transaction block. */
  transactional: boolean;
}

export interface Plan {
  format: FormatName;
  /** Newest first: the order they run in. */
  toRevert: PlannedMigration[];
  /** Applied before the run, oldest first. */
  applied: MigrationFile[];
  /**
   * The newest migration the plan keeps, when it reverts exactly the ones above it: the
   * `to-version` that means the same plan. Undefined when it reverts every applied migration.
   */
  keep?: MigrationFile;
}

const NO_FILE = 'no file for it in the migrations folder';

/** Applied ids matched to files; an id with no file gets a stand-in that cannot be reverted. */
export function appliedMigrations(files: MigrationFile[], appliedIds: string[]): MigrationFile[] {
  const byId = new Map(files.map((f) => [f.id, f]));
  return appliedIds.map(
    (id) => byId.get(id) ?? { version: id, id, name: id, addedPath: id, downLine: 1, noTransaction: false, missingReason: NO_FILE },
  );
}

export function sameVersion(f: MigrationFile, v: string): boolean {
  if (f.version === v || f.id === v) return true;
  return /^\d+$/.test(v) && /^\d+$/.test(f.version) && BigInt(v) === BigInt(f.version);
}

function select(format: MigrationFormat, table: string, files: MigrationFile[], applied: MigrationFile[], selector: Selector): MigrationFile[] {
  if (selector.kind === 'steps') {
    if (selector.steps > applied.length) {
      throw new RollbackKitError(
        `steps is ${selector.steps}, but only ${applied.length} migration(s) are applied according to ${table}.`,
        'Lower steps, or use to-version to name the last migration to keep.',
      );
    }
    return applied.slice(applied.length - selector.steps).reverse();
  }
  if (selector.kind === 'to-version') {
    const at = applied.findIndex((f) => sameVersion(f, selector.version));
    if (at < 0) {
      const known = files.some((f) => sameVersion(f, selector.version));
      const newest = applied.at(-1);
      throw new RollbackKitError(
        known
          ? `Version ${selector.version} is not applied according to ${table}, so there is nothing to revert back to.`
          : `No migration has version ${selector.version}.`,
        `to-version must name an applied migration to keep${newest ? `; the newest applied is ${newest.version} (${newest.name})` : '; none is applied'}.`,
      );
    }
    return applied.slice(at + 1).reverse();
  }
  if (selector.kind === 'recorded') {
    const kept = selector.kept ?? [];
    const chosen = applied.filter((f) => selector.planned.some((v) => sameVersion(f, v))).reverse();
    const again = chosen.filter((f) => selector.reverted?.some((v) => sameVersion(f, v)));
    if (again.length > 0) {
      const origin = selector.origin ?? RERUN_ORIGIN;
      const them = again.length === 1 ? 'it' : 'them';
      throw new RollbackKitError(
        `${origin.who} reverted ${again.map((f) => f.name).join(', ')}, and ${again.length === 1 ? 'it was' : 'they were'} applied again since (a deploy ran ${them} again): reverting ${them} a second time would drop what was written since. Nothing was run.`,
        origin.hint,
      );
    }
    const above = chosen.length ? applied.slice(applied.indexOf(chosen.at(-1)!)).filter((f) => !chosen.includes(f) && !kept.some((v) => sameVersion(f, v))) : [];
    const known = selector.appliedAtPlan?.length ? selector.appliedAtPlan : undefined;
    const since = known ? applied.filter((f) => !known.some((v) => sameVersion(f, v)) && !chosen.includes(f)) : above;
    if (since.length > 0) {
      const origin = selector.origin ?? RERUN_ORIGIN;
      const names = since.map((f) => f.name).join(', ');
      const left = chosen.map((f) => f.name).join(', ');
      const where = !chosen.length
        ? `, and none of that plan is applied any more: finishing it would leave ${since.length === 1 ? 'it' : 'them'} applied`
        : since.every((f) => above.includes(f))
          ? `, above ${left}, which are left of that plan`
          : `; ${left} ${chosen.length === 1 ? 'is' : 'are'} left of that plan, which did not count ${since.length === 1 ? 'it' : 'them'}`;
      throw new RollbackKitError(`${origin.who} planned to revert ${selector.planned.join(', ')}, but ${names} ${since.length === 1 ? 'was' : 'were'} applied since${where}. Nothing was run.`, origin.hint);
    }
    return chosen;
  }
  const gone = filesGoneSince(applied);
  if (gone.length > 0) {
    throw new RollbackKitError(
      `since-ref ${selector.ref}: ${gone.map((f) => f.version).join(', ')} ${gone.length === 1 ? 'is' : 'are'} applied according to ${table}, newer than every migration in the migrations folder, with no file in it: most likely the bad deploy's migrations, and this checkout is from before it (the last good commit, or a \`git revert\` of the bad one). Nothing was run.`,
      "Check out the commit that was deployed (the one that brought those files, with their down SQL; actions/checkout with ref: <that commit> and fetch-depth: 0) and keep since-ref at the last good commit.",
    );
  }
  const chosen = applied.filter((f) => selector.added.has(f.addedPath)).reverse();
  if (format.linearHistory && chosen.length > 0) {
    const oldest = applied.indexOf(chosen[chosen.length - 1]!);
    const skipped = applied.slice(oldest).filter((f) => !chosen.includes(f));
    if (skipped.length > 0) {
      throw new RollbackKitError(
        `since-ref ${selector.ref} selects ${chosen.map((f) => f.name).join(', ')}, but ${skipped.map((f) => f.name).join(', ')} (applied after them, not added since ${selector.ref}) would have to stay: ${format.name} can only revert the newest migrations.`,
        'Use to-version to revert everything after the last migration to keep.',
      );
    }
  }
  return chosen;
}

/** Applied migrations newer than the newest one with a file: a checkout that does not have them yet, or no longer. */
function filesGoneSince(applied: MigrationFile[]): MigrationFile[] {
  let newestWithFile = applied.length - 1;
  while (newestWithFile >= 0 && applied[newestWithFile]!.missingReason === NO_FILE) newestWithFile--;
  return applied.slice(newestWithFile + 1);
}

const DOWN_HINTS: Record<FormatName, string> = {
  dbmate: 'Add a "-- migrate:down" section with the SQL that undoes the migration.',
  'golang-migrate': 'Add the <version>_<title>.down.sql file beside the .up.sql.',
  'node-pg-migrate': 'Add a "-- Down Migration" section with the SQL that undoes the migration.',
  supabase: 'Add supabase/migrations/down/<timestamp>_name.sql (a folder the Supabase CLI does not read).',
  prisma: 'Add down.sql beside migration.sql (prisma migrate diff --script can write it).',
  plain: 'Add the <version>_name.down.sql file.',
};

/** Down SQL that is there but holds no statement: "add a section" would send the reader looking for one they already have. */
const EMPTY_DOWN_HINTS: Record<FormatName, string> = {
  dbmate: 'Write the SQL that undoes the migration under its "-- migrate:down" line: the section is there, but empty.',
  'golang-migrate': 'Write the SQL that undoes the migration in its .down.sql file: the file is there, but empty.',
  'node-pg-migrate': 'Write the SQL that undoes the migration under its "-- Down Migration" line: the section is there, but empty.',
  supabase: 'Write the SQL that undoes the migration in its file under supabase/migrations/down/: the file is there, but empty.',
  prisma: 'Write the SQL that undoes the migration in its down.sql: the file is there, but empty.',
  plain: 'Write the SQL that undoes the migration in its .down.sql file: the file is there, but empty.',
};

/** The hint for migrations with a file and nothing to run: every one empty, or some with no down SQL at all. */
function downHint(format: FormatName, withFile: MigrationFile[]): string {
  return withFile.every((f) => f.downSql !== undefined && !f.missingReason) ? EMPTY_DOWN_HINTS[format] : DOWN_HINTS[format];
}

function prepare(file: MigrationFile, standardConformingStrings: boolean, log: Pick<Log, 'excerpt'>): PlannedMigration {
  const sql = file.downSql ?? '';
  let statements: PlannedStatement[] = splitStatements({ text: sql, standardConformingStrings }).map((s) => ({
    ...s,
    line: file.downLine + lineAt(sql, s.offset + codeStart(s)) - 1,
    textLine: file.downLine + lineAt(sql, s.offset) - 1,
  }));
  // A down file wrapped in BEGIN … COMMIT (golang-migrate's docs suggest it): we supply that transaction.
  if (statements.length >= 2 && transactionControl(statements[0]!) === 'begin' && transactionControl(statements.at(-1)!) === 'commit') {
    statements = statements.slice(1, -1);
  }
  const copy = statements.find((s) => copyFromStdin(s));
  if (copy) {
    throw new RollbackKitError(
      `${file.downFile ?? file.name} line ${copy.line}: "${log.excerpt(firstCodeLine(copy.text), 100)}" reads its rows from the client, as psql sends the lines after it; the down SQL is sent as SQL only, so it would get no rows. Nothing was run.`,
      'Write the rows as INSERT statements, or COPY them FROM a file on the database server.',
    );
  }
  const control = statements.find((s) => transactionControl(s));
  if (control) {
    throw new RollbackKitError(
      `${file.downFile ?? file.name} line ${control.line}: "${log.excerpt(firstCodeLine(control.text), 100)}" inside a down migration would break the transaction each migration runs in. Nothing was run.`,
      'Remove transaction statements from the down SQL: each migration runs in a transaction of its own (or statement by statement when it holds CONCURRENTLY and similar).',
    );
  }
  return { file, statements, transactional: !file.noTransaction && !statements.some((s) => needsOwnTransaction(s)) };
}

/** The statement's first line of code (comment lines skipped): how messages name a statement. */
export function firstCodeLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim());
  return (lines.find((l) => !l.trim().startsWith('--')) ?? lines[0] ?? '').trim();
}

export interface PlanContext {
  /** The tracking table as messages name it. */
  table: string;
  /** The tool's own command that reverts the newest `count` migrations, when the format has one. */
  ownDown?: (count: number) => string;
  /** Cuts a statement for a message after redacting it: a secret cut first would no longer be recognised. */
  log: Pick<Log, 'excerpt'>;
  /**
   * The session's standard_conforming_strings, which each migration starts from (the runner resets
   * the session before each): where the down SQL's '…' strings end depends on it. On when not given.
   */
  standardConformingStrings?: boolean;
}

export function planReverts(format: MigrationFormat, files: MigrationFile[], appliedIds: string[], selector: Selector, context: PlanContext): Plan {
  const applied = appliedMigrations(files, appliedIds);
  const chosen = select(format, context.table, files, applied, selector);
  const standardConformingStrings = context.standardConformingStrings ?? true;
  const missing = chosen.filter((f) => f.downSql === undefined || !hasCode({ text: f.downSql, standardConformingStrings }));
  if (missing.length > 0) {
    const list = missing.map((f) => `${f.name} (${f.missingReason ?? (f.downSql === undefined ? 'no down SQL' : 'the down SQL is empty')})`).join(', ');
    // A down in code (node-pg-migrate's JS/TS) runs only in the tool: the whole plan goes through it, in its order.
    const inCode = missing.some((f) => f.downCode) && context.ownDown;
    // A migration with no file at all needs its file back, not a down section added to it.
    const noFile = missing.filter((f) => f.missingReason === NO_FILE);
    const withFile = missing.filter((f) => f.missingReason !== NO_FILE);
    const fileHint = noFile.length
      ? `${noFile.length === 1 ? 'Its file is' : 'Their files are'} not in this checkout: run from the commit that was deployed (the one that brought ${noFile.length === 1 ? 'it' : 'them'}, with the down SQL; actions/checkout with ref: <that commit> and fetch-depth: 0), or point migrations-dir at the folder that holds ${noFile.length === 1 ? 'it' : 'them'}.`
      : undefined;
    const hint = inCode
      ? `Revert with the tool's own down, which runs that code: ${context.ownDown!(chosen.length)} (with the DATABASE_URL and options your deploy uses).`
      : fileHint
        ? `${fileHint}${withFile.length ? ` For the others: ${downHint(format.name, withFile)}` : ''}`
        : downHint(format.name, withFile);
    throw new RollbackKitError(`Cannot revert ${list}: nothing to run, and marking it reverted would lie. Nothing was run.`, hint);
  }
  const kept = applied.length - chosen.length - 1;
  const suffix = chosen.every((f, i) => applied[applied.length - 1 - i] === f);
  return { format: format.name, toRevert: chosen.map((f) => prepare(f, standardConformingStrings, context.log)), applied, keep: suffix && kept >= 0 ? applied[kept] : undefined };
}
