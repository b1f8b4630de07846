/**
 * `rollback-kit snapshot`, `restore` and `down`: the database actions from a terminal. Everything
 * the flags alone decide is checked before `cli.begin()` (the library's own checks of the request,
 * the folders it will write to, the snapshot a path names), so a mistake in them is bad usage (exit
 * 2) said before anything is asked or changed, not a failure (exit 1) once the work has started.
 * The library checks them again when it runs; they cost a few file-system calls.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readRestoreRequest, readSnapshotRequest } from '../../db/db-inputs.js';
import { describeTarget, transactionPoolerRefusal, type ConnectionTarget } from '../../db/connection.js';
import { checkConfirmation, fewerRowsCount, fewerRowsText, previewRestore, restoreSnapshot } from '../../db/restore.js';
import { rowsDiscarded, tableRowsLine } from '../../db/restore-rows.js';
import { prepareSnapshotFolder, previewSnapshot, takeSnapshot, validateRequest } from '../../db/snapshot.js';
import { someNames } from '../../db/catalog.js';
import { manifestPathFor } from '../../db/manifest.js';
import { openSnapshot } from '../../db/verify.js';
import { sameVersion } from '../../migrations/planner.js';
import { pickFormat, resolveMigrationsDir } from '../../migrations/registry.js';
import { readRevertOptions, workflowRun } from '../../migrations/revert-inputs.js';
import { RevertFailed, revertMigrations } from '../../migrations/revert.js';
import { formatBytes } from '../../report/markdown.js';
import type { CommandSpec } from '../command.js';
import { UsageError, type Cli } from '../context.js';
import { formatDuration } from '../../core/duration.js';
import { errorFacts, RollbackKitError } from '../../core/errors.js';
import { FLAGS, COMMAND_FLAGS, flagOf } from '../flags.js';
import { stoppable } from './stoppable.js';
import { shellWord } from '../shell-word.js';

/**
 * A transaction-mode pooler (Supabase's port 6543, pgbouncer=true) is told from the URL alone, so it
 * is bad usage like any other flag that cannot work: refused here, before anything is asked or
 * started, where the library would refuse it only once the command had begun (exit 1). `what` is
 * what would not hold on a pooler that hands each transaction to another server session.
 */
export function refuseTransactionPooler(target: ConnectionTarget, what: string): void {
  const pooler = transactionPoolerRefusal(target, what);
  if (pooler) throw new UsageError(pooler.message, pooler.hint);
}

export const snapshot: CommandSpec = {
  name: 'snapshot',
  summary: 'Take a verified snapshot of a PostgreSQL database (pg_dump, checksum and manifest)',
  // Snapshot paths as snapshot makes them (snapshotBaseName): rollback-kit-snapshots/<db>-<label>-<UTC time>.dump.
  examples: ["DATABASE_URL='postgres://…' rollback-kit snapshot --label before-deploy", 'rollback-kit snapshot --output-dir /backups --format directory --jobs 4'],
  async run(cli) {
    const request = readSnapshotRequest(cli.inputs, cli.secret('database-url'), { defaultDir: join(cli.cwd, 'rollback-kit-snapshots'), searchPath: cli.searchPath }, cli.log);
    validateRequest(request);
    refuseTransactionPooler(request.target, "pg_dump's one consistent view of the whole database");
    if (!cli.dryRun) await prepareSnapshotFolder(request.outputDir, 'output-dir', (made) => cli.made(made));
    cli.begin();
    if (cli.dryRun) {
      // Checked as the snapshot checks before it writes: the server reached, a pg_dump that fits it, the tables named.
      const preview = await stoppable(cli, (signal) => previewSnapshot({ ...request, signal }, cli.log));
      cli.term.say(
        `Dry run: would snapshot ${preview.target} (PostgreSQL ${preview.serverVersion}, pg_dump ${preview.pgDump.version}, ${preview.format} format) into ${preview.outputDir}: ${preview.tables.length} table(s)${preview.tables.length ? `, ${someNames(preview.tables, 20)}` : ''}.`,
      );
      if (preview.exportTables.length) cli.term.say(`It would export the rows of ${preview.exportTables.join(', ')} with ${request.exportColumn} after ${request.exportSince!.toISOString()}.`);
      cli.term.say('Nothing was done.');
      return { ok: true, status: 'dry-run', ...preview, tableCount: preview.tables.length };
    }
    cli.term.started(`snapshot of ${describeTarget(request.target)}`);
    const result = await stoppable(cli, (signal) => takeSnapshot({ ...request, signal, made: (path, withContents) => cli.made(path, withContents) }, cli.log));
    cli.term.stopSpinner();
    cli.term.say(`Verified snapshot of ${describeTarget(request.target)} in ${formatDuration(result.durationMs)}: ${result.path} (${formatBytes(result.sizeBytes)}, sha256 ${result.sha256})`);
    const exports = result.manifest.exports;
    if (exports && result.exportsDir) {
      const rows = exports.tables.reduce((sum, t) => sum + t.rows, 0);
      cli.term.say(`CSV exports in ${result.exportsDir}: ${rows} row(s) of ${exports.tables.length} table(s) with ${exports.column} after ${exports.since}`);
    }
    return {
      ok: true,
      status: 'done',
      path: result.path,
      format: result.format,
      sizeBytes: result.sizeBytes,
      sha256: result.sha256,
      manifestPath: result.manifestPath,
      exportsDir: result.exportsDir ?? null,
      exports: exports?.tables ?? [],
      durationMs: result.durationMs,
    };
  },
};

/**
 * The snapshot --snapshot-path names, opened before anything is asked. One that is not there (no
 * such file, no manifest beside it, the manifest given for the snapshot) is bad usage, exit 2. One
 * that is there but damaged (its manifest edited or cut, its format not the manifest's) is a
 * failure, exit 1, as a dump whose checksum does not match is when the restore verifies it: the
 * flag named a snapshot, and that snapshot cannot be trusted.
 */
async function namedSnapshot(cli: Cli, snapshotPath: string): Promise<void> {
  const path = snapshotPath.replace(/\/+$/, '');
  const there = !path.endsWith('.manifest.json') && existsSync(path) && existsSync(manifestPathFor(path));
  try {
    await openSnapshot(path);
  } catch (err) {
    if (there) cli.begin();
    throw err;
  }
}

export const restore: CommandSpec = {
  name: 'restore',
  summary: 'Put a verified snapshot back over a database (the current state is snapshotted first); asks first',
  asks: true,
  examples: [
    'rollback-kit restore --snapshot-path rollback-kit-snapshots/shop-before-deploy-20260314T085800123Z.dump',
    'rollback-kit restore --snapshot-path rollback-kit-snapshots/shop-before-deploy-20260314T085800123Z.dump --dry-run',
    'rollback-kit restore --snapshot-path rollback-kit-snapshots/shop-before-deploy-20260314T085800123Z.dump --confirm shop --yes',
  ],
  async run(cli) {
    const request = readRestoreRequest(cli.inputs, cli.secret('database-url'), { defaultDir: join(cli.cwd, 'rollback-kit-snapshots'), searchPath: cli.searchPath }, cli.log);
    const where = describeTarget(request.target);
    refuseTransactionPooler(request.target, "the restore's one transaction");
    // A --confirm that names another database refuses here, as a missing --yes does.
    if (request.confirm) checkConfirmation(request.target, request.confirm);
    await namedSnapshot(cli, request.snapshotPath);
    if (cli.dryRun) {
      cli.begin();
      // Planned as the restore plans it: what it would throw away is logged, as the restore logs it.
      // Rows counted too: a person deciding whether to restore asks first what it throws away.
      const preview = await previewRestore(request, cli.log, { countRows: true });
      const rows = preview.rows ?? [];
      cli.term.say(`Dry run: would restore ${request.snapshotPath} over ${where}${request.preRestoreSnapshot ? ', after snapshotting its current state' : ''}, ${rows.length} table(s) in this order:`);
      rows.forEach((t, i) => cli.term.say(`  ${i + 1}. ${tableRowsLine(t)}`));
      const { total: lost, uncounted } = rowsDiscarded(rows);
      cli.term.say(`It would discard ${lost} row(s)${uncounted ? ` and whatever ${uncounted} table(s) not counted hold beyond the snapshot` : ''}: rows written since the snapshot, net of those deleted since.`);
      // The columns and objects it would discard are warned of as the restore warns of them (restore.ts logDiscarded).
      if (preview.extraTables.length) cli.term.say(`Left as they are (not in the snapshot): ${preview.extraTables.join(', ')}.`);
      cli.term.say('Nothing was changed.');
      return { ok: true, status: 'dry-run', ...preview, discardedRows: lost };
    }
    if (request.preRestoreSnapshot) await prepareSnapshotFolder(request.preRestoreDir, 'pre-restore-dir', (made) => cli.made(made));
    if (!request.confirm) {
      await cli.confirm(`This replaces the data of ${where} with ${request.snapshotPath}`, request.target.database);
      request.confirm = request.target.database;
    }
    cli.begin();
    cli.term.started(`restore of ${where}`);
    const result = await stoppable(cli, (signal) => restoreSnapshot({ ...request, signal, made: (path, withContents) => cli.made(path, withContents) }, cli.log));
    cli.term.stopSpinner();
    cli.term.say(`Restored ${result.tablesRestored} table(s) into ${where} in ${formatDuration(result.durationMs)}: every table’s row count matches the snapshot.`);
    const undo = result.preRestoreSnapshotPath ? undoRestore(result.preRestoreSnapshotPath, request.target.database, (name) => cli.inputs.string(name)) : undefined;
    if (!result.preRestoreSnapshotPath) {
      cli.term.say('How many rows the restore discarded is not known, and it cannot be undone from here: --no-pre-restore-snapshot kept no snapshot of the state before it.');
    } else {
      // Tables the snapshot holds no rows for lost every row; the restore warned of them, said here too so the count is not read as all of it.
      const emptied = result.restoredEmpty.length ? ` Every row of ${result.restoredEmpty.join(', ')} is gone too: the snapshot holds none for them.` : '';
      cli.term.say(
        result.fewerRows.length
          ? `Discarded ${fewerRowsText(result.fewerRows)}: each table holds that many fewer rows than before the restore (rows written since the snapshot, net of those deleted since).${emptied}`
          : `Discarded no rows: no table holds fewer rows than before the restore.${emptied}`,
      );
      cli.term.say(`The state before the restore is kept in ${result.preRestoreSnapshotPath}. To undo the restore, restore that: ${undo}`);
    }
    return { ok: true, status: 'restored', ...result, discardedRows: result.preRestoreSnapshotPath ? fewerRowsCount(result.fewerRows) : null, undo: undo ?? null };
  },
};

export const down: CommandSpec = {
  name: 'down',
  summary: 'Revert the newest migrations with their down SQL (dbmate, golang-migrate, node-pg-migrate, Prisma, Supabase, plain); asks first',
  asks: true,
  examples: [
    'rollback-kit down --steps 1 --snapshot-path rollback-kit-snapshots/shop-before-down-20260314T090100456Z.dump',
    'rollback-kit down --to-version 20251001000000 --dry-run',
    'rollback-kit down --since-ref v1.4.2 --snapshot-path rollback-kit-snapshots/shop-before-down-20260314T090100456Z.dump --yes',
  ],
  async run(cli) {
    // In a workflow's `run:` step, a re-run of it is one too: it finishes the recorded plan as the action does.
    const options = readRevertOptions(cli.inputs, cli.secret('database-url'), { workspace: cli.cwd, tools: { searchPath: cli.searchPath }, run: workflowRun(cli.env) }, cli.log);
    refuseTransactionPooler(options.target, 'the migration lock and the session timeouts');
    // The folder and its files are the flags' to decide: a folder with none of the format's
    // migrations is bad usage here (as the library says it when it prepares), named or auto-detected.
    const dir = resolveMigrationsDir(options.root, options.migrationsDir, options.format);
    const format = await pickFormat(dir, options.format);
    const files = await format.load(dir);
    if (files.length === 0) throw new UsageError(`The migrations folder ${dir} holds no ${format.name} migrations.`, 'Check migrations-dir and format.');
    // A --to-version no file of the folder has is a typo the flags and the folder tell alone, as the
    // folder above: bad usage (exit 2), as the planner words it, before anything is asked.
    const toVersion = 'toVersion' in options.choice ? options.choice.toVersion : undefined;
    if (toVersion !== undefined && !files.some((f) => sameVersion(f, toVersion))) {
      const newest = files.at(-1)!;
      throw new UsageError(`No migration in ${dir} has version ${toVersion}.`, `--to-version must name a migration to keep; the newest in the folder is ${newest.version} (${newest.name}).`);
    }
    if (!options.dryRun && options.requireSnapshot) {
      if (!options.snapshotPath) {
        throw new UsageError(
          'rollback-kit down refuses to change the database without a verified snapshot: --snapshot-path was not given.',
          'Take one with rollback-kit snapshot and give its path as --snapshot-path, or give --no-require-snapshot to go without. Nothing was changed.',
        );
      }
      await namedSnapshot(cli, options.snapshotPath);
    }
    if (!options.dryRun) await cli.confirm(`This reverts migrations on ${describeTarget(options.target)}`, options.target.database);
    cli.begin();
    const result = await stoppable(cli, async (signal) => {
      try {
        return await revertMigrations({ ...options, signal }, cli.log);
      } catch (err) {
        // The error names what was reverted before the failure (RevertFailed): a note would say it twice.
        throw err instanceof RevertFailed && err.hint ? new RevertFailed(new RollbackKitError(err.failure.message, withCommandToFinish(err.hint, (name) => cli.inputs.string(name)), errorFacts(err.failure)), err.partial) : err;
      }
    });
    const t = cli.term;
    if (result.status === 'dry-run') {
      if (!result.plan.length) t.say(`Dry run: would revert nothing on ${result.target}. Nothing was changed.`);
      else {
        t.say(`Dry run: would revert ${result.plan.length} migration(s) on ${result.target}, in the order they would run:`);
        result.plan.forEach((p, i) => t.say(`  ${i + 1}. ${p.file}: ${p.statements} statement(s)${p.transactional ? ', in a transaction' : ', not in a transaction (as the migration asks)'}`));
        t.say('Nothing was changed.');
      }
    }
    else if (result.status === 'nothing-to-do') t.say(`Nothing to do: none of the selected migrations is applied on ${result.target}.`);
    else t.say(`Reverted ${result.reverted.map((r) => r.file).join(', ')} on ${result.target} in ${formatDuration(result.durationMs)}; ${result.stillApplied.length} still applied.`);
    return { ok: true, status: result.status, reverted: result.reverted.map((r) => r.version), plan: result.plan, stillApplied: result.stillApplied, durationMs: result.durationMs };
  },
};

/**
 * The command that puts back the state a restore replaced: the pre-restore snapshot restored over
 * the same database, its name as --confirm (it asks nothing then). A URL given as a flag is not
 * repeated (it may hold a password): SAME_URL stands in its place, as in withCommandToFinish.
 */
export function undoRestore(preRestoreSnapshotPath: string, database: string, given: (name: string) => string | undefined): string {
  const words = ['rollback-kit', 'restore', '--snapshot-path', shellWord(preRestoreSnapshotPath), '--confirm', shellWord(database)];
  if (given('database-url') !== undefined) words.push('--database-url', SAME_URL);
  return words.join(' ');
}

/** The selector a `steps` plan no run recorded is finished with, as the library's hint gives it (src/migrations/rerun.ts finishWith): its first. */
const FINISH_WITH = /\bwith `(steps|to-version): ([^`\s]+)`/;
const SELECTORS = ['steps', 'to-version', 'since-ref'];
/** In a command to paste, where the --database-url given stood: quoted, so a paste left as it is fails as an invalid URL. */
const SAME_URL = "'<the same database URL>'";

/**
 * A `steps` plan that stopped partway, from a terminal, is finished by this command with another
 * selector: the hint's first "with `steps: 2`" becomes the whole command to type, every flag as it
 * was given and the selector replaced, so it can be pasted as it is. Its later ones (each way on the
 * hint gives, and how to finish the plan) stay the selector, which the wording says as "the command
 * again with `--steps 2`": one message names the command once. A URL given as a flag is not
 * repeated (it may hold a password): a placeholder stands in its place, which the person fills in.
 * Not "$DATABASE_URL": that variable may name another database than the flag did.
 */
export function withCommandToFinish(hint: string, given: (name: string) => string | undefined): string {
  return hint.replace(FINISH_WITH, (_, selector: string, value: string) => {
    const words = ['rollback-kit', 'down'];
    for (const name of COMMAND_FLAGS.down) {
      if (SELECTORS.includes(name)) {
        if (name === selector) words.push(`--${name}`, shellWord(value));
        continue;
      }
      const v = given(name);
      const kind = FLAGS[name]?.kind;
      if (v === undefined) continue;
      if (kind === 'on') {
        if (v === 'false') words.push(flagOf(name));
      } else if (kind === 'switch') {
        if (v === 'true') words.push(flagOf(name));
      } else if (name === 'database-url') words.push(`--${name}`, SAME_URL);
      else words.push(`--${name}`, shellWord(v));
    }
    for (const extra of ['yes', 'json', 'verbose']) if (given(extra) === 'true') words.push(`--${extra}`);
    if (given('color') === 'false') words.push('--no-color');
    return `with \`${words.join(' ')}\``;
  });
}

