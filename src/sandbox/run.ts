/**
 * A whole bad release and its rollback on one machine, with no accounts: PostgreSQL, a shop app in
 * two releases, a local Vercel API serving them as production deployments. v1 ships, v2 ships with
 * its dbmate migration, the smoke checks catch v2's broken checkout, then the real pipeline
 * (runRollback, scope full) takes a snapshot, puts v1 back, reverts v2's migration, verifies and
 * writes the incident report. Everything it starts is registered with `cleanup`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Log } from '../core/log.js';
import { connectionUrl, parseConnectionString, withDatabase } from '../db/connection.js';
import { runDrill, type DrillRecord } from '../pipeline/drill.js';
import { parsePlanFile, type RollbackPlan } from '../pipeline/plan-file.js';
import { resolvePlan } from '../pipeline/plan-inputs.js';
import type { RollbackRecord, TimelineEntry } from '../pipeline/record.js';
import { runRollback } from '../pipeline/rollback.js';
import { selectScope } from '../pipeline/scope.js';
import { drillSummaryMarkdown } from '../report/drill-summary.js';
import { rollbackHtml } from '../report/html.js';
import { incidentBody } from '../report/incident.js';
import { redactMarkdown } from '../report/markdown.js';
import { rollbackSummaryMarkdown } from '../report/rollback-summary.js';
import { redactDeep } from '../core/secrets.js';
import { loadChecks, runSmokeTest } from '../smoke/smoke-test.js';
import { stopName } from '../core/stop-signals.js';
import { dropSandboxDatabase, stoppableAdminQuery } from './admin.js';
import type { Cleanup } from './cleanup.js';
import { dbmate, findDbmate } from './dbmate.js';
import { sandboxPostgres, shownAdminUrl } from './postgres.js';
import { SHOP_CHECKS, startShop, writeMigration, type Release } from './shop.js';
import { startFakeVercel } from './vercel-api.js';

export interface SandboxOptions {
  /** The database URL the person gave, if any. */
  databaseUrl?: string;
  /** How they gave it, named in messages: `--database-url` or `DATABASE_URL` (the default). */
  databaseUrlFrom?: string;
  /** Skip the database URL and the local server: make a throwaway cluster. */
  throwaway?: boolean;
  searchPath: string;
  cwd: string;
  /** Where the report files go (created). */
  reportDir: string;
  dryRun: boolean;
  progress: {
    /** A sandbox step (deploys, the first smoke test), before the pipeline runs. */
    step(text: string): void;
    started(phase: string, component?: string): void;
    finished(entry: TimelineEntry<string>): void;
  };
}

export interface CheckLine {
  name: string;
  passed: boolean;
  detail: string;
}

export interface SandboxResult {
  postgres: string;
  /** What it started, so a caller can check that all of it is gone afterwards. */
  started: { adminUrl: string; database: string; vercelUrl: string; appUrl: string };
  record: RollbackRecord;
  plan: RollbackPlan;
  /** The smoke test that caught v2. */
  before: { decision: string; checks: CheckLine[] };
  /** The release production serves after the run. */
  serving?: Release;
  /** dbmate's own view afterwards. */
  dbmateStatus: string;
  files: { markdown: string; html: string; incident?: string };
  /** How long the whole sandbox took, and the rollback alone. */
  totalMs: number;
}

const TEAM = 'team_sandbox';

/** `signal`: the sandbox's stop, which ends the checks' requests and SQL queries. */
async function smoke(baseUrl: string, databaseUrl: string, log: Log, signal: AbortSignal): Promise<{ decision: string; checks: CheckLine[] }> {
  const database = parseConnectionString(databaseUrl, log);
  const checks = await loadChecks({ checks: SHOP_CHECKS }, { baseUrl, hasDatabase: true });
  const { verdict, results } = await runSmokeTest(
    checks,
    { attempts: 1, intervalSeconds: 0, backoff: 'fixed', timeoutSeconds: 5, samples: 1, maxErrorRate: 5, maxP95Ms: 3000, deadlineSeconds: 30, database, signal },
    log,
  );
  return { decision: verdict.decision, checks: results.map((r) => ({ name: r.name, passed: r.passed, detail: log.redact(r.reason ?? (r.passed ? 'passed' : 'failed')) })) };
}

/**
 * The progress rows, silent once the sandbox is stopping: the pipeline stops its database work at
 * the stop, yet may still finish a phase under way (a promote) while the cleanup waits for it, which
 * is no longer news.
 */
function quiet(progress: SandboxOptions['progress'], cleanup: Cleanup): SandboxOptions['progress'] {
  return {
    step: (text) => cleanup.signal.aborted || progress.step(text),
    started: (phase, component) => cleanup.signal.aborted || progress.started(phase, component),
    finished: (entry) => cleanup.signal.aborted || progress.finished(entry),
  };
}

/**
 * The log, silent once the sandbox is stopping, for the same reason as `quiet`: a warning from the
 * phase the pipeline finishes during the cleanup (Vercel's auto-assignment) is not news after Ctrl-C.
 * Secrets and redaction are the log's own, so what it registers still counts everywhere.
 */
export function quietLog(log: Log, cleanup: Cleanup): Log {
  return {
    ...log,
    info: (m) => cleanup.signal.aborted || log.info(m),
    warning: (m) => cleanup.signal.aborted || log.warning(m),
    debug: (m) => cleanup.signal.aborted || log.debug(m),
    failedOutput: (heading, lines) => cleanup.signal.aborted || log.failedOutput(heading, lines),
    programLines() {
      const write = log.programLines();
      return (line) => (cleanup.signal.aborted ? '' : write(line));
    },
  };
}

/** What the sandbox started and shipped: v1 then v2 live, each with its migration applied. */
interface SandboxWorld {
  pgSource: string;
  adminUrl: string;
  dbName: string;
  databaseUrl: string;
  workspace: string;
  migrations: string;
  dbmateBin: string;
  vercel: Awaited<ReturnType<typeof startFakeVercel>>;
  token: string;
  shop: Awaited<ReturnType<typeof startShop>>;
  v2: { uid: string };
  before: { decision: string; checks: CheckLine[] };
}

/**
 * Starts and ships everything, each piece registered with `cleanup` before it exists, and stops at
 * the next step once `cleanup` is stopping (Ctrl-C): nothing new is started while it cleans up.
 */
async function setUp(opts: Omit<SandboxOptions, 'reportDir' | 'dryRun'>, brokenV2: boolean, cleanup: Cleanup, log: Log): Promise<SandboxWorld> {
  const say = quiet(opts.progress, cleanup).step;
  const dbmateBin = findDbmate(opts.searchPath, opts.cwd);

  const pgServer = await sandboxPostgres({ databaseUrl: opts.databaseUrl, from: opts.databaseUrlFrom, searchPath: opts.searchPath, throwaway: opts.throwaway }, cleanup);
  cleanup.check();
  // Its password, in whatever form the database URL was given (`started.adminUrl` shows the rest).
  const admin = parseConnectionString(pgServer.adminUrl);
  log.secret(admin.password);
  const dbName = `rollback_kit_sandbox_${randomBytes(4).toString('hex')}`;
  // The drop runs after a Ctrl-C too, so it does not take the stop: it is bounded on its own.
  await cleanup.make(
    `the sandbox database ${dbName}`,
    () => dropSandboxDatabase(admin, dbName),
    () => stoppableAdminQuery(admin, `CREATE DATABASE ${dbName}`, log, cleanup.signal),
  );
  // Whatever the database URL was (a URL, key=value, a Unix socket): one URL that dbmate and the app read too.
  const databaseUrl = connectionUrl(withDatabase(admin, dbName));
  log.secret(databaseUrl);
  const migrate = (dir: string) => dbmate(dbmateBin, databaseUrl, dir, ['up'], cleanup.signal);
  cleanup.check();
  say(`PostgreSQL: ${pgServer.source}, database ${dbName}`);

  const workspace = await mkdtemp(join(tmpdir(), 'rollback-kit-sandbox-'));
  cleanup.add('the sandbox workspace', () => rm(workspace, { recursive: true, force: true }));
  const migrations = join(workspace, 'db', 'migrations');
  await mkdir(migrations, { recursive: true });
  cleanup.check();

  const vercel = await startFakeVercel();
  cleanup.add('the local Vercel API', () => vercel.close());
  const token = `sandbox_${randomBytes(24).toString('hex')}`;
  log.secret(token);
  vercel.addTeam(TEAM, 'sandbox');
  vercel.addToken(token, 'user_sandbox', [TEAM]);
  const project = vercel.addProject({ name: 'shop', owner: TEAM });
  cleanup.check();
  const shop = await startShop(vercel, project, databaseUrl, { brokenV2, signal: cleanup.signal });
  cleanup.add('the shop app', () => shop.close());
  cleanup.check();
  say(`Local Vercel API on ${vercel.url}; the shop app on ${shop.url}`);

  // Release v1: its migration, then its deployment goes live.
  await writeMigration(migrations, 'v1');
  await migrate(migrations);
  cleanup.check();
  // Created now, not at the stand-in's fixed test clock: the incident's impact runs from the bad
  // deployment's creation, which read as a month before the demo.
  const v1 = vercel.addDeployment(project, { production: true, sha: randomBytes(20).toString('hex'), createdAt: Date.now() });
  shop.release(v1.uid, 'v1');
  const healthy = await smoke(shop.url, databaseUrl, log, cleanup.signal);
  cleanup.check();
  say(`Deployed v1 (${v1.uid}) with 20260101000000_create_orders: ${healthy.checks.filter((c) => c.passed).length} of ${healthy.checks.length} checks pass`);

  // Release v2: a migration v1 lacks and a broken checkout.
  await writeMigration(migrations, 'v2');
  await migrate(migrations);
  cleanup.check();
  const v2 = vercel.addDeployment(project, { production: true, sha: randomBytes(20).toString('hex'), createdAt: Math.max(Date.now(), v1.createdAt + 1) });
  shop.release(v2.uid, 'v2');
  say(`Deployed v2 (${v2.uid}) with 20260102000000_add_discount_codes${brokenV2 ? '' : ' (healthy: a drill rehearses on a good release)'}`);
  const before = await smoke(shop.url, databaseUrl, log, cleanup.signal);
  cleanup.check();
  const failing = before.checks.filter((c) => !c.passed);
  say(`Smoke checks on v2: ${failing.map((c) => `${c.name} fails (${c.detail})`).join('; ') || 'all pass'}; decision ${before.decision}`);

  return { pgSource: pgServer.source, adminUrl: pgServer.adminUrl, dbName, databaseUrl, workspace, migrations, dbmateBin, vercel, token, shop, v2, before };
}

/**
 * The plan the sandbox writes into its workspace, as a project would keep it in rollback-kit.yml;
 * `budgetMinutes` overrides its 15 as the budget-minutes input overrides a project's file.
 */
function planFor(w: SandboxWorld, environment: string, budgetMinutes?: number): RollbackPlan {
  const planText = [
    `environment: ${environment}`,
    'budget-minutes: 15',
    'components:',
    `  web: { provider: vercel, project: shop, team: ${TEAM}, api-url: "${w.vercel.url}" }`,
    'database:',
    '  migrations-dir: db/migrations',
    '  format: dbmate',
    '  steps: 1',
    'verify:',
    `  base-url: ${w.shop.url}`,
    `  checks: ${JSON.stringify(SHOP_CHECKS)}`,
    '  attempts: 1',
    '  interval-seconds: 0',
    '',
  ].join('\n');
  return resolvePlan(parsePlanFile(planText, 'rollback-kit.yml'), { 'budget-minutes': budgetMinutes }, { hasDatabaseUrl: true });
}

export async function runSandbox(opts: SandboxOptions, cleanup: Cleanup, cliLog: Log): Promise<SandboxResult> {
  const started = Date.now();
  const log = quietLog(cliLog, cleanup);
  const w = await setUp(opts, true, cleanup, log);
  const { databaseUrl, workspace, migrations, dbmateBin, vercel, token, shop, v2, before, dbName } = w;
  const pgServer = { source: w.pgSource, adminUrl: w.adminUrl };
  const failing = before.checks.filter((c) => !c.passed);
  const plan = planFor(w, 'sandbox');
  const scope = selectScope(plan, 'full');

  await mkdir(opts.reportDir, { recursive: true });
  cleanup.check();
  const incidentPath = join(opts.reportDir, 'incident.md');
  let incidentWritten = false;
  const record = await runRollback(
    {
      plan,
      scope,
      reason: `smoke checks failed after v2 (${v2.uid}) shipped: ${failing.map((c) => c.name).join(', ') || 'none'}`,
      severity: 'critical',
      dryRun: opts.dryRun,
      earlierTimeline: [],
      secrets: { vercelToken: token },
      database: parseConnectionString(databaseUrl, log),
      workspace,
      // Kept with the report: the next steps point at it, as they would in a real incident.
      snapshotDir: join(opts.reportDir, 'snapshots'),
      github: { repository: '', apiUrl: '' },
      commandEnv: {},
      tools: { searchPath: opts.searchPath },
      vercelPollIntervalMs: 25,
      // Ctrl-C reaches the snapshot, restore and revert, as in the action and the CLI's rollback:
      // nothing goes on changing the database the cleanup is about to drop.
      signal: cleanup.signal,
    },
    {
      progress: quiet(opts.progress, cleanup),
      // The sandbox's incident record is a file in the report folder instead of a GitHub issue.
      report: async (r, how) => {
        await writeFile(incidentPath, redactMarkdown(incidentBody(redactDeep(r, log.redact), how?.signal?.aborted ? stopName(how.signal) : undefined), (text) => log.redact(text)));
        incidentWritten = true;
        return incidentPath;
      },
    },
    log,
  );

  cleanup.check();
  const dbmateStatus = await dbmate(dbmateBin, databaseUrl, migrations, ['status'], cleanup.signal);
  cleanup.check();
  const safe = redactDeep(record, log.redact);
  const files = { markdown: join(opts.reportDir, 'report.md'), html: join(opts.reportDir, 'report.html'), incident: incidentWritten ? incidentPath : undefined };
  await writeFile(files.markdown, redactMarkdown(rollbackSummaryMarkdown(safe, log), (text) => log.redact(text)));
  // The plan and the checks before are redacted inside, before they are escaped; log.redact after is a last net.
  await writeFile(files.html, log.redact(rollbackHtml(safe, { title: 'rollback-kit sandbox: v2 rolled back to v1', plan, before: before.checks }, log)));
  return {
    postgres: pgServer.source,
    started: { adminUrl: log.redact(shownAdminUrl(pgServer.adminUrl)), database: dbName, vercelUrl: vercel.url, appUrl: shop.url },
    record: safe, plan, before, serving: shop.serving(), dbmateStatus, files, totalMs: Date.now() - started };
}

/** What `drill --sandbox` takes beyond the sandbox's own options: the drill flags that apply to it. */
export interface SandboxDrillOptions extends SandboxOptions {
  /** The budget its phases are timed against (default the plan's 15). */
  budgetMinutes?: number;
  /** Why the drill runs: the reason the way back's rollback carries, as a staging drill's does. */
  reason?: string;
}

export interface SandboxDrillResult {
  postgres: string;
  started: SandboxResult['started'];
  record: DrillRecord;
  /** The release staging serves after the drill (it started on v2). */
  serving?: Release;
  files: { markdown: string };
  totalMs: number;
}

/**
 * The rehearsal (`rollback-kit drill --sandbox`): the same shop as staging, v2 healthy this time,
 * and the real drill (runDrill): readiness, snapshot, back to v1, verify, forward to v2, verify.
 */
export async function runSandboxDrill(opts: SandboxDrillOptions, cleanup: Cleanup, cliLog: Log): Promise<SandboxDrillResult> {
  const started = Date.now();
  const log = quietLog(cliLog, cleanup);
  const w = await setUp(opts, false, cleanup, log);
  await mkdir(opts.reportDir, { recursive: true });
  cleanup.check();
  const record = await runDrill(
    {
      plan: planFor(w, 'staging', opts.budgetMinutes),
      reason: opts.reason ?? 'rollback-kit sandbox drill',
      dryRun: opts.dryRun,
      secrets: { vercelToken: w.token },
      database: parseConnectionString(w.databaseUrl, log),
      workspace: w.workspace,
      snapshotDir: join(opts.reportDir, 'snapshots'),
      github: { repository: '', apiUrl: '' },
      commandEnv: {},
      tools: { searchPath: opts.searchPath },
      vercelPollIntervalMs: 25,
      // As in the rollback above: Ctrl-C ends the drill's snapshot.
      signal: cleanup.signal,
    },
    { progress: quiet(opts.progress, cleanup) },
    log,
  );
  const safe = redactDeep(record, log.redact);
  const markdown = join(opts.reportDir, 'drill.md');
  await writeFile(markdown, redactMarkdown(drillSummaryMarkdown(safe, log), (text) => log.redact(text)));
  return {
    postgres: w.pgSource,
    started: { adminUrl: log.redact(shownAdminUrl(w.adminUrl)), database: w.dbName, vercelUrl: w.vercel.url, appUrl: w.shop.url },
    record: safe,
    serving: w.shop.serving(),
    files: { markdown },
    totalMs: Date.now() - started,
  };
}
