/**
 * `rollback-kit sandbox` (and `npm run demo`): the whole rollback of a bad release on this machine,
 * with no accounts. Cleans up everything it started on success, on failure and on Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { RollbackKitError } from '../../core/errors.js';
import { stopCause, stopOnSignals, type Settled } from '../../core/stop-signals.js';
import { makeDirectory, probeWritable } from '../../core/files.js';
import { Cleanup } from '../../sandbox/cleanup.js';
import { assertLoopback } from '../../sandbox/postgres.js';
import { runSandbox, type SandboxOptions } from '../../sandbox/run.js';
import type { CommandSpec } from '../command.js';
import type { Cli } from '../context.js';
import type { MadeRecord } from '../../core/made.js';
import { madeThisRun, SIGNAL_EXIT } from '../signals.js';
import { formatDuration } from '../../core/duration.js';
import { wholeRollback } from '../../report/rollback-summary.js';
import { phaseProgress, reportRecord } from './rollback.js';


export const sandbox: CommandSpec = {
  name: 'sandbox',
  summary: 'Play a bad release and its whole rollback on this machine (PostgreSQL, a two-release app, a local Vercel API); no accounts',
  examples: ['rollback-kit sandbox', 'rollback-kit sandbox --report-dir ./incident-drill', 'rollback-kit sandbox --json'],
  extra: [
    { flags: '--report-dir <dir>', help: 'where the report goes (default ./rollback-kit-sandbox/<time>)' },
    { flags: '--throwaway-postgres', help: 'use a throwaway cluster even when a server is running' },
  ],
  async run(cli, _argument, extra) {
    const options = await sandboxOptions(cli, extra, '');
    const { reportDir } = options;
    cli.begin();
    const t = cli.term;
    // Until the rollback's first phase starts, the sandbox is being set up: a stop then says so (stoppedLine).
    let rollbackBegan = false;
    const progress = sandboxProgress(cli);
    const started: typeof progress.started = (phase, component) => ((rollbackBegan = true), progress.started(phase, component));
    return withCleanup(cli, async (cleanup) => {
      removeIfEmpty(cleanup);
      t.say(t.paint('bold', 'rollback-kit sandbox: a bad release and its rollback, on this machine'));
      const result = await runSandbox({ ...options, progress: { ...progress, started } }, cleanup, cli.log);
      const shown = reportRecord(cli, result.record);
      const rel = relative(cli.cwd, reportDir) || '.';
      t.say('');
      // A dry run changed nothing: the app still serves the bad release.
      t.say(`${cli.dryRun ? 'Dry run: the app still serves' : 'The app serves'} ${result.serving ?? 'nothing'}${cli.dryRun ? '' : ' again'}; dbmate status afterwards:`);
      for (const line of result.dbmateStatus.split('\n')) t.say(`  ${line}`);
      t.say(`Report: ${rel}/report.html (timeline, plan, changes, checks), ${rel}/report.md${result.files.incident ? `, ${rel}/incident.md` : ''}`);
      t.say(`The whole sandbox took ${formatDuration(result.totalMs)}; the rollback itself ${formatDuration(wholeRollback(result.record).durationMs)} of its ${formatDuration(result.record.budgetMs)} budget.`);
      return {
        ...shown,
        postgres: result.postgres,
        started: result.started,
        serving: result.serving,
        before: result.before,
        dbmateStatus: result.dbmateStatus,
        reportDir,
        files: result.files,
        totalMs: result.totalMs,
      };
    }, { dir: reportDir, last: 'report.html', settingUp: () => (rollbackBegan ? undefined : 'the rollback') });
  },
};

/**
 * What both sandboxes (the rollback and `drill --sandbox`) take from the command line; the report
 * goes to --report-dir (relative to the current folder, or absolute), else
 * ./rollback-kit-sandbox/<prefix><time>. Called before `begin()`: a database URL that is not on this
 * machine, and a report folder that cannot be made or written to, are bad usage (exit 2), refused
 * before anything starts rather than found once the whole run is done.
 */
export async function sandboxOptions(cli: Cli, extra: Record<string, unknown>, prefix: string): Promise<Omit<SandboxOptions, 'progress'>> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const databaseUrl = cli.secret('database-url');
  const databaseUrlFrom = cli.secretSource('database-url');
  const throwaway = extra.throwawayPostgres === true;
  if (databaseUrl && !throwaway) assertLoopback(databaseUrl, databaseUrlFrom);
  const given = typeof extra.reportDir === 'string' && extra.reportDir ? extra.reportDir : undefined;
  const reportDir = given ? resolve(cli.cwd, given) : join(cli.cwd, 'rollback-kit-sandbox', `${prefix}${stamp}`);
  // What this makes is recorded for the run (signals.ts): a stop before the command begins removes
  // it again, and so does the cleanup once it has begun (removeIfEmpty).
  await makeDirectory(reportDir, '--report-dir', { made: (folder) => cli.made(folder) });
  await probeWritable(reportDir, '--report-dir');
  return { databaseUrl, databaseUrlFrom, throwaway, searchPath: cli.searchPath, cwd: cli.cwd, reportDir, dryRun: cli.dryRun };
}

/**
 * Registered first, so it runs last: the report folders this run made are removed again when they
 * are still empty (the run failed or was stopped before writing a report), and kept as soon as they
 * hold anything; by the rules a stop before the command began follows (MadeRecord).
 */
export function removeIfEmpty(cleanup: Cleanup, made: MadeRecord = madeThisRun): void {
  cleanup.add('the empty report folder', async () => void made.removeWhileEmpty());
}

/** The sandbox's own steps and the pipeline's phases as terminal rows. */
export function sandboxProgress(cli: Cli): SandboxOptions['progress'] {
  const progress = phaseProgress(cli);
  return { step: (text) => cli.term.step(text), started: progress.started, finished: progress.finished };
}

/** The folder a sandbox writes its report to, and the file it writes last (the whole report). */
export interface ReportFolder {
  dir: string;
  last: string;
  /**
   * Where the work stood when it was stopped, when its last file says so itself ("after back": the
   * drill writes drill.md for a stopped drill too): the file is then no sign that the run finished.
   */
  stoppedAfter?: () => string | undefined;
  /**
   * What had not started yet while the sandbox was still being set up (its PostgreSQL, shop and
   * local Vercel API): "the rollback", "the drill". A stop then says so, in its own words, not only "Stopped".
   */
  settingUp?: () => string | undefined;
}

/**
 * The last line of a stopped sandbox: that it was stopped, that what it started is gone, and what is
 * left where. A run stopped after its rollback began has written part of its report (incident.md,
 * a snapshot) and never the rest (report.html): the folder is kept and named, so nobody looks for a
 * report that was never written or wonders what the folder is.
 */
async function stoppedLine(signal: NodeJS.Signals, problems: boolean, report: ReportFolder | undefined, cwd: string): Promise<string> {
  const removed = problems ? 'what it started is removed, except what the warnings above name' : 'everything it started is removed';
  const before = report?.settingUp?.();
  const head = before ? `Stopped (${stopCause(signal)}) while the sandbox was being set up, before ${before} started: ${removed}.` : `Stopped (${stopCause(signal)}): ${removed}.`;
  if (!report) return head;
  const rel = relative(cwd, report.dir) || '.';
  const entries = await readdir(report.dir, { withFileTypes: true }).catch(() => []);
  const kept = (await Promise.all(entries.map(async (e) => ((await hasContent(join(report.dir, e.name))) ? [`${e.name}${e.isDirectory() ? '/' : ''}`] : [])))).flat();
  if (!kept.length) return `${head} No report was written${existsSync(report.dir) ? ` (${rel} ${entries.length ? 'holds only empty files or folders' : 'is empty'})` : ''}.`;
  const names = kept.sort();
  // The stop came once the rollback was over (Ctrl-C in its last moments, stdout closed by `| head`):
  // its report is whole, and "what the run wrote before it was stopped" sent people looking for what
  // was missing. The report's last file is written only once the rollback has finished, so its being
  // there says so even when the stop cut short what the sandbox printed after it.
  const after = report.stoppedAfter?.();
  if (after) return `Stopped (${stopCause(signal)}) after ${after}: ${removed}. Kept in ${rel}: ${names.join(', ')}: the report up to the stop (${report.last} says where it stopped). Delete the folder when you no longer need it.`;
  if (names.includes(report.last)) {
    return `The rollback finished; the sandbox was stopped (${stopCause(signal)}) as it ended: ${removed}. Its whole report is kept in ${rel}: ${names.join(', ')}. Delete the folder when you no longer need it.`;
  }
  return `${head} Kept in ${rel}: ${names.join(', ')}: what the run wrote before it was stopped, not the whole report (no ${report.last}). Delete the folder when you no longer need it.`;
}

/**
 * Whether a file or folder the report left holds something a person would look for: a file with
 * bytes, or a folder with such a file in it. The snapshot folder gets its `.gitignore` before the
 * dump starts (snapshot.ts): stopped during the dump, it holds only that, and "Kept …, snapshots/"
 * sent people looking for a snapshot that was never made.
 */
async function hasContent(path: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return false;
  if (!info.isDirectory()) return info.size > 0;
  const entries = await readdir(path).catch(() => []);
  for (const name of entries) if (name !== '.gitignore' && (await hasContent(join(path, name)))) return true;
  return false;
}

/** After Ctrl-C, how long the sandbox's work may take to stop at its next step before everything is removed regardless. */
const STOP_WAIT_MS = 10_000;

/**
 * Runs `body` with a cleanup list that is emptied on success, on failure and on a stop (Ctrl-C,
 * SIGTERM, SIGHUP, a closed stdout: exit 130, 143, 129 or 141 once everything is removed); what
 * cannot be removed is said, and fails the command. On a signal the work is stopped first (its next step never starts, its child
 * processes end) and given a bounded time to get there, so nothing it was making in that moment
 * (a database being created) comes into being after the cleanup. A second Ctrl-C ends that wait:
 * everything is removed at once, and the process still exits only once that is done
 * (stop-signals.ts keeps its handlers until then, so no Ctrl-C kills it mid-cleanup).
 */
export async function withCleanup<T>(cli: Cli, body: (cleanup: Cleanup) => Promise<T>, report?: ReportFolder): Promise<T> {
  const t = cli.term;
  const cleanup = new Cleanup();
  const stop = stopOnSignals({
    graceMs: STOP_WAIT_MS,
    onFirst: (signal) => {
      t.stopSpinner();
      t.note(`${stopCause(signal)}: stopping the sandbox and removing what it started…`);
      cleanup.stop(signal);
    },
  });
  let problems: string[];
  let outcome: Settled<T>;
  try {
    outcome = await stop.settle(body(cleanup));
    problems = await cleanup.run();
  } finally {
    stop.dispose();
  }
  for (const p of problems) t.warn(`could not clean up ${p}`);
  const interrupted = stop.received();
  if (interrupted) {
    t.note(await stoppedLine(interrupted, problems.length > 0, report, cli.cwd));
    process.exit(SIGNAL_EXIT[interrupted] ?? 1);
  }
  if (outcome !== 'expired' && !outcome.ok) throw outcome.err;
  if (problems.length) throw new RollbackKitError(`The sandbox could not remove everything it started (${problems.length} item(s)).`, 'See the warnings above.');
  return (outcome as { value: T }).value;
}
