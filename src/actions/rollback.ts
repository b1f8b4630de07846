/**
 * The root action: the whole rollback, or (mode drill) its rehearsal against staging. Reads the inputs and the rollback plan, hands them to the
 * pipeline, and wires what people see: the job summary, the chat messages and the incident issue.
 */
import { join } from 'node:path';
import { input, madeThisStep, runAction, setOutputs, type Report } from '../core/action.js';
import { errorFacts, RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { secretInput } from '../core/secret-input.js';
import { StopOutlasted } from '../core/stop-signals.js';
import { parseConnectionString } from '../db/connection.js';
import { DRILL_PHASES, runDrill, wayBackOutput, type DrillRecord } from '../pipeline/drill.js';
import { readDrillPlan, readRollbackPlan, readSeverity } from '../pipeline/plan-source.js';
import type { RollbackRecord, TimelineEntry } from '../pipeline/record.js';
import { nameIncident, runRollback } from '../pipeline/rollback.js';
import { namesIncidentOnly } from '../pipeline/scope.js';
import { output } from '../core/output.js';
import { incidentLookupLine, incidentLookupMarkdown } from '../report/incident-lookup-summary.js';
import { startedByDeploymentEvent } from '../pipeline/automatic.js';
import { changedSomething, deploymentName, parseTimeline } from '../pipeline/timeline.js';
import { keyFrom } from '../pipeline/incident-key.js';
import { inThisJob } from '../pipeline/job-words.js';
import { recordDrill } from '../report/drill-issue.js';
import { DRILL_NOT_STARTED, drillFailure, drillSummaryMarkdown } from '../report/drill-summary.js';
import { tellingDeps } from '../report/rollback-deps.js';
import { closingLines, failedRunError, NOTHING_CHANGED, rollbackSummaryMarkdown, statusLine } from '../report/rollback-summary.js';
import { uploadSnapshotArtifact } from '../github/artifact.js';

/** How a deployment is named in the `components` output: its id, else its commit, else its URL. */
const ref = (d?: { id?: string; commitSha?: string; url?: string }) => deploymentName(d) ?? null;

/** Where one component went, as the `components` output names it. */
interface ComponentOutput {
  status: string;
  from: string | null;
  to: string | null;
}

/** The outputs a rollback and its drill share, from the fields their records share. */
function runOutputs(record: RollbackRecord | DrillRecord, components: [string, ComponentOutput][]): Record<string, string | number> {
  return {
    status: record.status,
    'failed-phase': record.failedPhase ?? '',
    timeline: JSON.stringify(record.timeline),
    'duration-ms': record.durationMs,
    components: JSON.stringify(Object.fromEntries(components)),
    'snapshot-path': record.snapshot?.path ?? '',
  };
}

function outputs(record: RollbackRecord): void {
  setOutputs({
    ...runOutputs(record, [
      ...record.components.map((c): [string, ComponentOutput] => [c.name, { status: c.status, from: ref(c.from), to: ref(c.to) }]),
      // A later job of a split rollback: the components the earlier job rolled back are where production is.
      ...(record.earlierComponents ?? []).map((m): [string, ComponentOutput] => [m.name, { status: 'rolled-back', from: m.from ?? null, to: m.to }]),
    ]),
    reverted: JSON.stringify(record.database?.reverted ?? []),
    decision: record.verify?.decision ?? '',
    'incident-issue-url': record.incidentIssueUrl ?? '',
    // For a later job that cannot find it itself (rollback.yml's database job holds no platform token).
    'incident-from': keyFrom(record.incidentKey, record.environment),
  });
}

const ranForward = (status: string) => status !== 'planned' && status !== 'skipped' && status !== 'dry-run';

function drillOutputs(record: DrillRecord): void {
  setOutputs({
    // Where staging was left: the roll-forward's status once it ran, else the way back's.
    ...runOutputs(record, record.components.map((c) => [c.name, { status: ranForward(c.forward) ? c.forward : c.back, from: ref(c.original), to: ref(c.previous) }])),
    // Empty when the way back was not timed to its end (failed in readiness, stopped before verify-back ended).
    'way-back-ms': wayBackOutput(record),
    readiness: JSON.stringify(record.readiness),
    'drill-issue-url': record.issueUrl ?? '',
  });
}

/** The run's record once the pipeline returns it: a failure before that changed nothing. */
let finished: RollbackRecord | DrillRecord | undefined;
/** Whether the pipeline was started (its record then says where it failed); before it, the inputs or the plan were refused. */
let started = false;
/** The phase a refused input or plan fails in: the drill's first phase checks what a rollback's plan does. */
let firstPhase = 'plan';
/** Mode drill: a failure before it started says "the drill", not "the rollback", stopped before it started. */
let drillMode = false;
/** Scope incident: a read-only look-up, which changes nothing however it ends. */
let lookupOnly = false;
const LOOKUP_CHANGED_NOTHING = 'The incident look-up only reads the platforms: nothing was changed.';

/**
 * The `timeline` input, read once, after the secrets (a long detail is cut after redaction) and
 * before anything is refused: whether this is a later job of a split rollback whose earlier job
 * changed production, so that a refusal before the pipeline starts says "this job changed nothing"
 * rather than "nothing was changed" (inThisJob). A timeline that does not parse is refused where
 * the request reads it (`rows` throws), after the inputs read before it.
 */
function earlierTimeline(log: Log): { later: boolean; rows: () => TimelineEntry[] } {
  try {
    const rows = parseTimeline(input.string('timeline'), log.redact);
    return { later: changedSomething(rows), rows: () => rows };
  } catch (err) {
    return {
      later: false,
      rows: () => {
        throw err;
      },
    };
  }
}
let later = false;

/** A refusal before the pipeline started, in the words of this job (the pipeline words its own errors). */
async function refusedInThisJob(body: Promise<void>): Promise<void> {
  try {
    await body;
  } catch (err) {
    if (started || !later || !(err instanceof RollbackKitError)) throw err;
    throw new RollbackKitError(inThisJob(err.message, true), err.hint && inThisJob(err.hint, true), errorFacts(err));
  }
}

const body = async (log: Log, signal: AbortSignal, report: Report): Promise<void> => {
  // Every secret is masked before anything else is read: nothing below can print one.
  const vercelToken = secretInput('vercel-token', process.env, log);
  const flyToken = secretInput('fly-token', process.env, log);
  const railwayToken = secretInput('railway-token', process.env, log);
  const renderToken = secretInput('render-token', process.env, log);
  const netlifyToken = secretInput('netlify-token', process.env, log);
  const githubToken = secretInput('github-token', process.env, log);
  const databaseUrl = secretInput('database-url', process.env, log);
  const webhookUrl = secretInput('notify-webhook-url', process.env, log);
  const timeline = earlierTimeline(log);
  later = timeline.later;

  const mode = (input.string('mode') ?? 'rollback').toLowerCase();
  if (mode !== 'rollback' && mode !== 'drill') throw new RollbackKitError(`Input mode must be rollback or drill, got "${mode}".`, 'Leave mode empty for a rollback; use mode: drill for the rehearsal against staging.');
  const drill = mode === 'drill';
  if (drill) firstPhase = DRILL_PHASES[0];
  drillMode = drill;
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  const database = databaseUrl ? parseConnectionString(databaseUrl, log) : undefined;
  // Not required in action.yml, since a drill fills it in; a rollback says why it runs.
  const reason = input.string('reason') ?? (drill ? 'Rollback drill' : undefined);
  if (reason === undefined) {
    throw new RollbackKitError('Input reason is required for a rollback: nothing was changed.', 'Set reason to why it runs (it is shown in every message, the summary and the incident issue), e.g. reason: checkout 500s after v42; or use mode: drill for the rehearsal, which fills it in.');
  }
  const severity = readSeverity(input);
  // scope incident (scope.ts INCIDENT_ONLY): only the read-only look-up for a later database job.
  const incidentLookup = !drill && namesIncidentOnly(input.string('scope'));
  const { plan, scope } = drill ? { plan: await readDrillPlan(input, workspace, { hasDatabaseUrl: Boolean(database) }), scope: [] } : await readRollbackPlan(input, workspace, { hasDatabaseUrl: Boolean(database), incidentLookup });
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = process.env;
  const request = {
    plan,
    scope,
    reason,
    severity,
    dryRun: input.boolean('dry-run', false),
    earlierTimeline: timeline.rows(),
    secrets: { vercelToken, flyToken, railwayToken, renderToken, netlifyToken, githubToken },
    database,
    workspace,
    snapshotDir: join(process.env.RUNNER_TEMP || process.cwd(), 'rollback-kit', 'snapshots'),
    runnerTemp: process.env.RUNNER_TEMP || undefined,
    made: (path: string, withContents?: boolean) => madeThisStep.add(path, withContents),
    github: {
      repository: repository ?? '',
      apiUrl: process.env.GITHUB_API_URL || 'https://api.github.com',
      baseBranch: process.env.GITHUB_REF_NAME || undefined,
      runId,
      runUrl: server && repository && runId ? `${server}/${repository}/actions/runs/${runId}` : undefined,
    },
    commandEnv: process.env,
    tools: { searchPath: process.env.PATH ?? '' },
    signal,
    // An event (auto-rollback), not a person: the rollback-cascade guard applies.
    automatic: startedByDeploymentEvent(process.env.GITHUB_EVENT_NAME),
  };
  if (drill) {
    const wantsIssue = input.boolean('incident-issue', Boolean(githubToken));
    const github = { apiUrl: request.github.apiUrl, repository: request.github.repository, token: githubToken ?? '' };
    started = true;
    const result = await runDrill(request, { report: wantsIssue && githubToken && github.repository ? (r) => recordDrill(github, r, log) : undefined }, log);
    finished = result;
    drillOutputs(result);
    report(drillSummaryMarkdown(result, log));
    if (result.status === 'failed') {
      const { message, hint } = drillFailure(result);
      throw new RollbackKitError(message, hint);
    }
    return;
  }
  if (incidentLookup) {
    started = true;
    lookupOnly = true;
    const found = await nameIncident(request, log);
    const { line, notice } = incidentLookupLine(found);
    // A plan nothing names by a deployment is no failure of this job: a notice, and the database job warns too.
    if (notice) output.annotate('notice', log.redact(line));
    else log.info(line);
    // It changed nothing, as a dry run: status dry-run; no timeline, no issue, no message.
    setOutputs({ status: 'dry-run', 'failed-phase': '', 'incident-from': found.from });
    report(incidentLookupMarkdown(found, plan.environment));
    return;
  }
  const telling = tellingDeps(
    {
      webhookUrl,
      githubToken,
      incidentIssue: input.boolean('incident-issue', Boolean(githubToken)),
      repository: process.env.GITHUB_REPOSITORY ?? '',
      githubApiUrl: process.env.GITHUB_API_URL || 'https://api.github.com',
    },
    log,
  );
  // On GitHub the snapshot taken before the database changes is uploaded: RUNNER_TEMP goes with the job.
  const keepSnapshot = process.env.ACTIONS_RUNTIME_TOKEN ? async (s: { path: string; manifestPath: string }) => (await uploadSnapshotArtifact([s.path, s.manifestPath], undefined)).name : undefined;
  started = true;
  const record = await runRollback(request, { ...telling, keepSnapshot }, log);
  finished = record;
  // The last lines of the log, as the command line's: how it ended, against the budget, and what to do.
  for (const line of closingLines(record)) log.info(line);

  outputs(record);
  report(rollbackSummaryMarkdown(record, log));
  // Stopped once the rollback's own work was done (in its report or last message): the last line
  // says where production is, which the stop did not change, not only that the work was done.
  if (signal.aborted && (record.status === 'rolled-back' || record.status === 'nothing-to-do')) {
    throw new RollbackKitError(`${statusLine(record)}. The stop came after that was done: only telling people may have been cut short (the job summary says what was not).`);
  }
  if (record.status === 'unverified') {
    throw new RollbackKitError(
      'Rollback unverified: production still looks broken after the rollback; a person must act now.',
      'Look at the failing checks in the job summary, check the platform dashboards, and escalate to the deployment lead.',
    );
  }
  if (record.status === 'failed') {
    const { message, hint } = failedRunError(record);
    throw new RollbackKitError(message, hint);
  }
};

await runAction(() => (drillMode ? 'rollback drill' : 'rollback'), (log, signal, report) => refusedInThisJob(body(log, signal, report)), (err) => {
  // Workflows branch on status and failed-phase (rollback.yml's jobs, a step with if: failure()):
  // every failure sets them. Refused before the pipeline started (an input, the plan file), the
  // run failed in its first phase; a pipeline that did not return cannot say where it stopped.
  if (!finished) setOutputs({ status: 'failed', 'failed-phase': started ? '' : firstPhase });
  // "Stopped before it started" holds only before the pipeline started: one that failed without
  // returning its record, or a stop that outlasted the grace time, may have changed anything, and
  // nothing is claimed for them.
  // The incident look-up only reads, whatever stopped it.
  if (finished || err instanceof StopOutlasted) return undefined;
  if (lookupOnly) return LOOKUP_CHANGED_NOTHING;
  return started ? undefined : inThisJob(drillMode ? DRILL_NOT_STARTED : NOTHING_CHANGED, later);
});
