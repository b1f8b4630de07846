/**
 * The root action: the whole rollback, or (mode drill) its rehearsal against staging. Reads the inputs and the rollback plan, hands them to the
 * pipeline, and wires what people see: the job summary, the chat messages and the incident issue.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { input, runAction, setOutputs } from '../core/action.js';
import { errorLine, RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { secretInput } from '../core/secret-input.js';
import { parseConnectionString } from '../db/connection.js';
import { MAX_BUDGET_MINUTES, MIN_BUDGET_MINUTES } from '../pipeline/budgets.js';
import { MIN_DRILL_BUDGET_MINUTES, runDrill, type DrillRecord } from '../pipeline/drill.js';
import { parsePlanFile, PLAN_FILE, type RollbackPlan } from '../pipeline/plan-file.js';
import { resolvePlan, type PlanInputs } from '../pipeline/plan-inputs.js';
import type { RollbackRecord, Severity } from '../pipeline/record.js';
import { runRollback, type RollbackDeps } from '../pipeline/rollback.js';
import { selectScope } from '../pipeline/scope.js';
import { parseTimeline } from '../pipeline/timeline.js';
import { recordIncident } from '../report/incident.js';
import { recordDrill } from '../report/drill-issue.js';
import { drillSummaryMarkdown } from '../report/drill-summary.js';
import { chatMessage, sendChatMessage } from '../report/notify.js';
import { NOTHING_CHANGED, rollbackSummaryMarkdown } from '../report/rollback-summary.js';
import { writeSummary } from '../report/write-summary.js';

const SEVERITIES: Severity[] = ['critical', 'major', 'minor'];
/** A plan is a page of YAML; anything this large is the wrong file. */
const MAX_PLAN_BYTES = 256 * 1024;

async function readPlanFile(workspace: string): Promise<RollbackPlan | undefined> {
  const given = input.string('config');
  const path = resolve(workspace, given ?? PLAN_FILE);
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    if (given) throw new RollbackKitError(`The rollback plan ${given} (input config) does not exist in the workspace.`, 'Check the path (relative to the repository root) and that actions/checkout ran first.');
    return undefined;
  }
  if (!info.isFile() || info.size > MAX_PLAN_BYTES) throw new RollbackKitError(`The rollback plan ${given ?? PLAN_FILE} is not a file of at most ${MAX_PLAN_BYTES / 1024} KB.`);
  return parsePlanFile(await readFile(path, 'utf8'), given ?? PLAN_FILE);
}

function planInputs(minBudgetMinutes: number): PlanInputs {
  return {
    provider: input.string('provider'),
    project: input.string('project'),
    team: input.string('team'),
    target: input.string('target'),
    from: input.string('from'),
    'api-url': input.string('api-url'),
    method: input.string('method'),
    command: input.string('command'),
    'timeout-seconds': input.integer('timeout-seconds', { min: 1, max: 3600 }),
    'migrations-dir': input.string('migrations-dir'),
    format: input.string('format'),
    steps: input.integer('steps', { min: 1, max: 1000 }),
    'to-version': input.string('to-version'),
    'since-ref': input.string('since-ref'),
    'db-method': input.string('db-method'),
    'snapshot-path': input.string('snapshot-path'),
    'base-url': input.string('base-url'),
    checks: input.string('checks'),
    'checks-file': input.string('checks-file'),
    'budget-minutes': input.number('budget-minutes', { min: minBudgetMinutes, max: MAX_BUDGET_MINUTES }),
    environment: input.string('environment'),
  };
}

function outputs(record: RollbackRecord): void {
  const ref = (d?: { id?: string; commitSha?: string; url?: string }) => d?.id ?? d?.commitSha ?? d?.url ?? null;
  setOutputs({
    status: record.status,
    'failed-phase': record.failedPhase ?? '',
    timeline: JSON.stringify(record.timeline),
    'duration-ms': record.durationMs,
    components: JSON.stringify(Object.fromEntries(record.components.map((c) => [c.name, { status: c.status, from: ref(c.from), to: ref(c.to) }]))),
    'snapshot-path': record.snapshot?.path ?? '',
    reverted: JSON.stringify(record.database?.reverted ?? []),
    decision: record.verify?.decision ?? '',
    'incident-issue-url': record.incidentIssueUrl ?? '',
  });
}

function deps(log: Log, webhookUrl: string | undefined, githubToken: string | undefined): RollbackDeps {
  const wanted = input.boolean('incident-issue', Boolean(githubToken));
  if (wanted && !githubToken) log.warning('incident-issue is true but no github-token (or GITHUB_TOKEN) was given: no incident issue will be written.');
  const repository = process.env.GITHUB_REPOSITORY ?? '';
  return {
    notify: webhookUrl
      ? async (event, record) => {
          try {
            await sendChatMessage(webhookUrl, chatMessage(event, record), log);
          } catch (err) {
            log.warning(`The chat message could not be built or sent (${errorLine(err)}); the rollback goes on.`);
          }
        }
      : undefined,
    report:
      wanted && githubToken && repository
        ? async (record) => (await recordIncident({ apiUrl: process.env.GITHUB_API_URL || 'https://api.github.com', repository, token: githubToken }, record, log))?.url
        : undefined,
  };
}

function drillOutputs(record: DrillRecord): void {
  const ref = (d?: { id?: string; commitSha?: string; url?: string }) => d?.id ?? d?.commitSha ?? d?.url ?? null;
  setOutputs({
    status: record.status,
    'failed-phase': record.failedPhase ?? '',
    timeline: JSON.stringify(record.timeline),
    'duration-ms': record.durationMs,
    components: JSON.stringify(Object.fromEntries(record.components.map((c) => [c.name, { status: c.forward === 'planned' ? c.back : c.forward, from: ref(c.original), to: ref(c.previous) }]))),
    'snapshot-path': record.snapshot?.path ?? '',
    'way-back-ms': record.wayBackMs,
    readiness: JSON.stringify(record.readiness),
    'drill-issue-url': record.issueUrl ?? '',
  });
}

/** The run's record once the pipeline returns it: a failure before that changed nothing. */
let finished: RollbackRecord | DrillRecord | undefined;

await runAction('rollback', async (log) => {
  // Every secret is masked before anything else is read: nothing below can print one.
  const vercelToken = secretInput('vercel-token', process.env, log);
  const flyToken = secretInput('fly-token', process.env, log);
  const railwayToken = secretInput('railway-token', process.env, log);
  const renderToken = secretInput('render-token', process.env, log);
  const netlifyToken = secretInput('netlify-token', process.env, log);
  const githubToken = secretInput('github-token', process.env, log);
  const databaseUrl = secretInput('database-url', process.env, log);
  const webhookUrl = secretInput('notify-webhook-url', process.env, log);

  const mode = (input.string('mode') ?? 'rollback').toLowerCase();
  if (mode !== 'rollback' && mode !== 'drill') throw new RollbackKitError(`Input mode must be rollback or drill, got "${mode}".`, 'Leave mode empty for a rollback; use mode: drill for the rehearsal against staging.');
  const drill = mode === 'drill';
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  const database = databaseUrl ? parseConnectionString(databaseUrl, log) : undefined;
  const reason = drill ? (input.string('reason') ?? 'Rollback drill') : input.required('reason');
  const severity = (input.string('severity') ?? 'major').toLowerCase() as Severity;
  if (!SEVERITIES.includes(severity)) throw new RollbackKitError(`Input severity must be one of ${SEVERITIES.join(', ')}, got "${severity}".`);
  const plan = resolvePlan(await readPlanFile(workspace), planInputs(drill ? MIN_DRILL_BUDGET_MINUTES : MIN_BUDGET_MINUTES), { hasDatabaseUrl: Boolean(database) });
  if (drill && !input.string('environment') && plan.source === 'inputs') plan.environment = 'staging';
  // The default plan describes production: a drill must not roll production back by omission.
  if (drill && plan.environment === 'production' && !input.string('environment')) {
    throw new RollbackKitError(
      `The drill would roll back production: ${plan.source} describes environment production. Nothing was changed.`,
      'Point config at the staging plan (environment: staging in it), or set the environment input to production to drill production on purpose.',
    );
  }
  const scope = drill ? [] : selectScope(plan, input.string('scope'));
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = process.env;
  const request = {
    plan,
    scope,
    reason,
    severity,
    dryRun: input.boolean('dry-run', false),
    earlierTimeline: parseTimeline(input.string('timeline')),
    secrets: { vercelToken, flyToken, railwayToken, renderToken, netlifyToken, githubToken },
    database,
    workspace,
    snapshotDir: join(process.env.RUNNER_TEMP || process.cwd(), 'rollback-kit', 'snapshots'),
    github: {
      repository: repository ?? '',
      apiUrl: process.env.GITHUB_API_URL || 'https://api.github.com',
      baseBranch: process.env.GITHUB_REF_NAME || undefined,
      runId,
      runUrl: server && repository && runId ? `${server}/${repository}/actions/runs/${runId}` : undefined,
    },
    commandEnv: process.env,
    tools: { searchPath: process.env.PATH ?? '' },
  };
  if (drill) {
    const wantsIssue = input.boolean('incident-issue', Boolean(githubToken));
    const github = { apiUrl: request.github.apiUrl, repository: request.github.repository, token: githubToken ?? '' };
    const result = await runDrill(request, { report: wantsIssue && githubToken && github.repository ? (r) => recordDrill(github, r, log) : undefined }, log);
    finished = result;
    drillOutputs(result);
    await writeSummary(drillSummaryMarkdown(result, log), log);
    if (result.status === 'failed') {
      throw new RollbackKitError(`Rollback drill failed in ${result.failedPhase ?? 'an unknown phase'}: ${result.failures[0] ?? 'see the job summary'}`, result.nextSteps[0] ?? 'See the job summary: in an incident this rollback would not work as the runbook says.');
    }
    return;
  }
  const record = await runRollback(request, deps(log, webhookUrl, githubToken), log);
  finished = record;

  outputs(record);
  await writeSummary(rollbackSummaryMarkdown(record, log), log);
  if (record.status === 'unverified') {
    throw new RollbackKitError(
      'Rollback unverified: production still looks broken after the rollback; a person must act now.',
      'Look at the failing checks in the job summary, check the platform dashboards, and escalate to the deployment lead.',
    );
  }
  if (record.status === 'failed') {
    const row = [...record.timeline].reverse().find((e) => e.phase === record.failedPhase && e.status === 'failed');
    throw new RollbackKitError(`Rollback failed in ${record.failedPhase ?? 'an unknown phase'}: ${row?.detail ?? 'see the job summary'}`, record.nextSteps.find((s) => !row || !s.includes(row.detail)) ?? 'See the job summary.');
  }
}, () => (finished ? undefined : NOTHING_CHANGED));
