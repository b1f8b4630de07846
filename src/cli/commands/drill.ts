/**
 * `rollback-kit drill`: the rollback rehearsed on staging (runDrill, the library the root action's
 * mode drill runs): readiness, snapshot, back, verify, forward, verify, against the budget.
 * `--sandbox` rehearses on the sandbox's shop instead, with no accounts.
 */
import { join, relative } from 'node:path';
import { parseConnectionString } from '../../db/connection.js';
import { MIN_DRILL_BUDGET_MINUTES, runDrill, UNTRIED_WAY_BACK, type DrillRecord, type ReadinessCheck } from '../../pipeline/drill.js';
import { budgetMinutesInput, readDrillPlan } from '../../pipeline/plan-source.js';
import { recordDrill } from '../../report/drill-issue.js';
import { redactDeep } from '../../core/secrets.js';
import { runSandboxDrill } from '../../sandbox/run.js';
import type { CommandResult, CommandSpec } from '../command.js';
import { camel, UsageError, type Cli } from '../context.js';
import { COMMAND_FLAGS, FLAGS, flagOf } from '../flags.js';
import { formatDuration } from '../../core/duration.js';
import { phaseProgress } from './rollback.js';
import { removeIfEmpty, sandboxOptions, sandboxProgress, withCleanup } from './sandbox.js';
import { stoppable } from './stoppable.js';
import { checksFileAsNamed } from '../named-files.js';

export const drill: CommandSpec = {
  name: 'drill',
  summary: 'Rehearse the rollback on staging: readiness, snapshot, back, verify, forward, verify, against the budget (--sandbox: on this machine)',
  examples: ['rollback-kit drill --sandbox', 'rollback-kit drill --config ops/rollback-kit.staging.yml', 'rollback-kit drill --dry-run   # readiness only: is the way back there?'],
  extra: [
    { flags: '--sandbox', help: 'rehearse on the sandbox (local PostgreSQL, shop app, Vercel API); no accounts. Takes --reason, --dry-run, --budget-minutes and --database-url (a local server); the other drill flags describe a staging and are refused' },
    { flags: '--report-dir <dir>', help: 'with --sandbox: where the drill report goes (default ./rollback-kit-sandbox/drill-<time>)' },
    { flags: '--throwaway-postgres', help: 'with --sandbox: use a throwaway cluster even when a server is running' },
  ],
  async run(cli, _argument, extra) {
    refuseMixedFlags(extra);
    if (extra.sandbox === true) return sandboxDrill(cli, extra);
    const secrets = cli.platformSecrets();
    const databaseUrl = cli.secret('database-url');
    const database = databaseUrl ? parseConnectionString(databaseUrl, cli.log) : undefined;
    const plan = checksFileAsNamed(await readDrillPlan(cli.inputs, cli.cwd, { hasDatabaseUrl: Boolean(database) }));
    cli.ownNames(plan.components.map((c) => c.name));
    const repository = cli.env.GITHUB_REPOSITORY ?? '';
    const github = { apiUrl: cli.env.GITHUB_API_URL || 'https://api.github.com', repository, token: secrets.githubToken ?? '' };
    const wantsIssue = cli.inputs.boolean('incident-issue', Boolean(secrets.githubToken));
    cli.begin();
    // Ctrl-C reaches the drill's snapshot as it reaches the rollback's: pg_dump ended, nothing kept.
    const record = await stoppable(cli, (signal) =>
      runDrill(
      {
        plan,
        reason: cli.inputs.string('reason') ?? 'Rollback drill',
        dryRun: cli.dryRun,
        secrets,
        database,
        workspace: cli.cwd,
        snapshotDir: join(cli.cwd, 'rollback-kit-snapshots'),
        github: { repository, apiUrl: github.apiUrl },
        commandEnv: cli.env,
        tools: { searchPath: cli.searchPath },
        signal,
      },
      { progress: phaseProgress(cli), report: wantsIssue && secrets.githubToken && repository ? (r) => recordDrill(github, r, cli.log) : undefined },
      cli.log,
      ),
    );
    return drillResult(cli, record);
  },
};

/**
 * The drill flags `--sandbox` takes: the sandbox drill rehearses on a staging of its own (its shop,
 * dbmate migrations, a local Vercel API) with a plan of its own, so what describes a staging
 * (--config, a component, the database's migrations, the checks, tokens) has nothing to act on.
 */
const SANDBOX_TAKES: readonly string[] = ['reason', 'dry-run', 'budget-minutes', 'database-url'];
/** The drill's own flags that only the sandbox drill has. */
const SANDBOX_ONLY = ['--report-dir', '--throwaway-postgres'];

/** Whether the person gave flag `name` (an input name); an on-unless-turned-off flag is given as its --no- form. */
function given(extra: Record<string, unknown>, name: string): boolean {
  const value = extra[camel(name)];
  return FLAGS[name]?.kind === 'on' ? value === false : value !== undefined && value !== false;
}

/**
 * Flags that cannot apply to the drill asked for are refused (exit 2), not ignored: a --config
 * beside --sandbox, or a --report-dir without it, would otherwise read as honoured.
 */
function refuseMixedFlags(extra: Record<string, unknown>): void {
  if (extra.sandbox === true) {
    const unused = COMMAND_FLAGS.drill.filter((name) => !SANDBOX_TAKES.includes(name) && given(extra, name)).map(flagOf);
    if (!unused.length) return;
    throw new UsageError(
      `${unused.join(', ')} cannot be used with --sandbox: the sandbox drill rehearses on a staging of its own (the shop, its dbmate migrations, a local Vercel API) with a plan of its own, so ${unused.length > 1 ? 'they have' : 'it has'} nothing to act on. Nothing was started.`,
      `With --sandbox give only ${SANDBOX_TAKES.map(flagOf).join(', ')}, ${SANDBOX_ONLY.join(', ')}; to drill the staging your flags describe, leave out --sandbox.`,
    );
  }
  const sandboxOnly = SANDBOX_ONLY.filter((flag) => extra[camel(flag.slice(2))] !== undefined);
  if (sandboxOnly.length) {
    throw new UsageError(
      `${sandboxOnly.join(', ')} ${sandboxOnly.length > 1 ? 'work' : 'works'} only with --sandbox: a drill on staging keeps no report folder and starts no PostgreSQL (its record is the drill issue and the output above). Nothing was started.`,
      'Add --sandbox to rehearse on this machine, or leave it out.',
    );
  }
}

async function sandboxDrill(cli: Cli, extra: Record<string, unknown>): Promise<CommandResult> {
  // Read before anything starts: a bad value is bad usage (exit 2), as in the drill on staging.
  const budgetMinutes = budgetMinutesInput(cli.inputs, MIN_DRILL_BUDGET_MINUTES);
  const reason = cli.inputs.string('reason');
  const options = await sandboxOptions(cli, extra, 'drill-');
  cli.begin();
  const t = cli.term;
  let stopped: DrillRecord['stopped'];
  // Until the drill's first phase starts, the sandbox is being set up: a stop then says so (stoppedLine).
  let drillBegan = false;
  const progress = sandboxProgress(cli);
  return withCleanup(cli, async (cleanup) => {
    removeIfEmpty(cleanup);
    t.say(t.paint('bold', 'rollback-kit drill --sandbox: the rollback rehearsed on a staging shop, on this machine'));
    const started: typeof progress.started = (phase, component) => ((drillBegan = true), progress.started(phase, component));
    const result = await runSandboxDrill({ ...options, budgetMinutes, reason, progress: { ...progress, started } }, cleanup, cli.log);
    stopped = result.record.stopped;
    const shown = drillResult(cli, result.record);
    t.say(`Staging serves ${result.serving ?? 'nothing'} after the drill. Report: ${relative(cli.cwd, result.files.markdown)}`);
    return { ...shown, postgres: result.postgres, started: result.started, serving: result.serving, files: result.files, totalMs: result.totalMs };
  }, { dir: options.reportDir, last: 'drill.md', stoppedAfter: () => stopped?.after, settingUp: () => (drillBegan ? undefined : 'the drill') });
}

/** A readiness check's mark in the list; ⏹ for one the stop cut short, which neither passed nor failed. */
const CHECK_MARK: Record<ReadinessCheck['status'], string> = { ok: '✓', failed: '✗', warning: '!', skipped: '–', stopped: '⏹' };

function drillResult(cli: Cli, record: DrillRecord): CommandResult {
  const t = cli.term;
  t.say('');
  t.table(
    ['phase', 'status', 'time', 'budget'],
    // A row the stop cut short timed only part of its phase: stopped, no time (as in the summary).
    record.timeline.map((e) => [`${e.phase}${e.component ? ` (${e.component})` : ''}`, e.stopped ? 'stopped' : e.status, e.stopped ? '—' : formatDuration(e['duration-ms']), formatDuration(e['budget-ms'])]),
  );
  t.say('');
  // Failed in readiness, the way back was never tried: no time of it to give.
  const unready = record.failedPhase === 'readiness' && !record.stopped;
  if (record.stopped) t.say(`Drill stopped (${record.stopped.by}) after ${record.stopped.after}: it was not timed to its end, and what it did not run is no finding (below: where staging stands).`);
  else if (record.status === 'dry-run') t.say('Drill dry run: readiness only, nothing was changed.');
  else if (unready) t.say(UNTRIED_WAY_BACK);
  else t.say(`Drill ${record.status}: the way back took ${formatDuration(record.wayBackMs)} of its ${formatDuration(record.wayBackBudgetMs)} budget; rolling forward took ${formatDuration(record.forwardMs)}.`);
  for (const r of record.readiness) t.item(CHECK_MARK[r.status], `${r.component ? `${r.component} ` : ''}${r.check}`, r.detail);
  // A readiness failure is the failed checks listed just above (✗): the record's failure repeats them
  // for the action's one error line, not for this list.
  for (const f of unready ? record.failures.slice(1) : record.failures) t.say(`✗ ${f}`);
  for (const step of record.nextSteps) t.say(`• ${step}`);
  return { ok: record.status !== 'failed', status: record.status, record: redactDeep(record, cli.log.redact) };
}
