/**
 * `rollback-kit rollback [scope] --reason "…"`: the whole rollback, the same pipeline the root
 * action runs, from a terminal (for when GitHub itself is slow or down).
 */
import { join } from 'node:path';
import type { TOKEN_ENV } from '../../core/secret-input.js';
import { parseConnectionString } from '../../db/connection.js';
import { readRollbackPlan, readSeverity } from '../../pipeline/plan-source.js';
import { checksFileAsNamed } from '../named-files.js';
import type { RollbackRecord } from '../../pipeline/record.js';
import { KnownSoFar } from '../../pipeline/known-so-far.js';
import { runRollback, type RollbackDeps, type RollbackRequest } from '../../pipeline/rollback.js';
import { DATABASE } from '../../pipeline/scope.js';
import { parseTimeline } from '../../pipeline/timeline.js';
import { tellingDeps } from '../../report/rollback-deps.js';
import { closingLines } from '../../report/rollback-summary.js';
import { redactDeep } from '../../core/secrets.js';
import type { CommandResult, CommandSpec } from '../command.js';
import { UsageError, type Cli } from '../context.js';
import { formatDuration } from '../../core/duration.js';
import { refuseTransactionPooler } from './database.js';
import { stoppable } from './stoppable.js';

/** The secret each provider cannot work without (command needs none). */
export const PROVIDER_TOKEN: Partial<Record<string, keyof typeof TOKEN_ENV>> = {
  vercel: 'vercel-token',
  fly: 'fly-token',
  railway: 'railway-token',
  render: 'render-token',
  netlify: 'netlify-token',
  'git-revert': 'github-token',
};

const DONE = new Set<RollbackRecord['status']>(['rolled-back', 'nothing-to-do', 'dry-run']);

export const rollback: CommandSpec = {
  name: 'rollback',
  summary: 'Roll production back: app, database or both, verified, against the 15-minute budget',
  argument: { name: 'scope', help: 'app (default), db, full, or component names and database (same as --scope)' },
  // With the database in scope it asks first.
  asks: true,
  examples: [
    'rollback-kit rollback full --reason "checkout returns 500 after the 14:02 deploy"',
    'rollback-kit rollback app --reason "blank page" --dry-run',
    'rollback-kit rollback database --reason "bad migration" --steps 1 --yes',
  ],
  async run(cli, scopeArgument) {
    if (scopeArgument && cli.inputs.string('scope')) throw new UsageError('Give the scope once: as the argument or as --scope, not both.');
    const reason = cli.inputs.string('reason');
    if (!reason) throw new UsageError('--reason is required: say in a few words why you are rolling back (it goes into the incident report).');
    const secrets = cli.platformSecrets();
    const databaseUrl = cli.secret('database-url');
    const webhookUrl = cli.secret('notify-webhook-url');
    const database = databaseUrl ? parseConnectionString(databaseUrl, cli.log) : undefined;
    const { plan, scope } = await readRollbackPlan(cli.inputs, cli.cwd, { hasDatabaseUrl: Boolean(database), scope: scopeArgument });
    checksFileAsNamed(plan);
    cli.ownNames(plan.components.map((c) => c.name));
    // A missing token is bad usage (exit 2), said as promote says it, before anything starts.
    for (const c of plan.components) {
      const token = PROVIDER_TOKEN[c.provider];
      if (token && scope.includes(c.name)) cli.requireSecret(token);
    }
    const request: RollbackRequest = {
      plan,
      scope,
      reason,
      severity: readSeverity(cli.inputs),
      dryRun: cli.dryRun,
      earlierTimeline: parseTimeline(cli.inputs.string('timeline'), cli.log.redact),
      secrets,
      database,
      workspace: cli.cwd,
      snapshotDir: join(cli.cwd, 'rollback-kit-snapshots'),
      made: (path, withContents) => cli.made(path, withContents),
      github: { repository: cli.env.GITHUB_REPOSITORY ?? '', apiUrl: cli.env.GITHUB_API_URL || 'https://api.github.com' },
      commandEnv: cli.env,
      tools: { searchPath: cli.searchPath },
    };
    // The database phases (snapshot, then restore or down migrations) cannot work through one: said
    // before the app is rolled back, not after it, in the snapshot phase.
    if (scope.includes(DATABASE) && database) refuseTransactionPooler(database, "the snapshot's and the database phase's sessions");
    if (scope.includes(DATABASE) && database) await cli.confirm(`This rolls back ${plan.environment} including the database ${database.database} (a verified snapshot is taken first)`, database.database);
    cli.begin();
    const telling = tellingDeps(
      {
        webhookUrl,
        githubToken: secrets.githubToken,
        incidentIssue: cli.inputs.string('incident-issue') === undefined ? undefined : cli.inputs.boolean('incident-issue', false),
        repository: request.github.repository,
        githubApiUrl: request.github.apiUrl,
      },
      cli.log,
    );
    // Past the stop's grace the record never comes: the rows printed by then say what is known.
    const known = new KnownSoFar();
    const record = await stoppable(cli, (signal) => runRollback({ ...request, signal }, { ...telling, progress: keptProgress(cli, known) }, cli.log), () => known.say());
    return reportRecord(cli, record);
  },
};

/** The terminal's phase rows: a spinner while each runs, its time against the budget when done. */
export function phaseProgress(cli: Cli) {
  return {
    started: (phase: string, component?: string) => cli.term.started(`${phase}${component ? ` (${component})` : ''}`),
    finished: (entry: Parameters<typeof cli.term.finished>[0]) => cli.term.finished(entry),
  };
}

/** The rollback's rows on the terminal (phaseProgress), kept as they come by `known`. */
function keptProgress(cli: Cli, known: KnownSoFar): NonNullable<RollbackDeps['progress']> {
  const rows = phaseProgress(cli);
  return {
    started: (phase, component) => (known.started(phase, component), rows.started(phase, component)),
    finished: (entry, record) => (known.finished(entry, record), rows.finished(entry)),
  };
}

/** The final table, the status line and what to do next; the record itself for --json. */
export function reportRecord(cli: Cli, record: RollbackRecord): CommandResult {
  const t = cli.term;
  t.say('');
  t.table(
    ['phase', 'status', 'time', 'budget', 'share of total', 'detail'],
    record.timeline.map((e) => [
      `${e.phase}${e.component ? ` (${e.component})` : ''}`,
      e.status,
      formatDuration(e['duration-ms']),
      formatDuration(e['budget-ms']),
      record.durationMs ? `${Math.round((100 * e['duration-ms']) / record.durationMs)}%` : '',
      e.detail,
    ]),
  );
  t.say('');
  for (const line of closingLines(record)) t.say(line);
  // Why verify failed, without --verbose: the next steps send the person to these ("below").
  const failing = record.verify?.checks.filter((c) => !c.passed) ?? [];
  if (failing.length) {
    t.say('');
    t.say(`Failing checks (${failing.length} of ${record.verify!.checks.length}):`);
    for (const c of failing) t.item('✗', c.name, c.detail);
  }
  return { ok: DONE.has(record.status), status: record.status, record: redactDeep(record, cli.log.redact) };
}
