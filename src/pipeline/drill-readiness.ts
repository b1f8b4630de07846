/**
 * The drill's readiness checks: what a rollback needs, proven without changing anything, so a
 * dry-run drill says whether the way back is open. Each check says what it proved and, where an
 * API cannot tell (a token's permissions), what it could not.
 */
import { errorLine, RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { findPgTool, majorFromVersionNum, siblingTool } from '../db/pg-tools.js';
import { describeTarget, type ConnectionTarget } from '../db/connection.js';
import { QueryDeadlineExceeded, withSession, type QueryDeadline } from '../db/session.js';
import { revertMigrations, type Choice } from '../migrations/revert.js';
import { checkPromoteRequest, promotePrevious, type PromoteOutcome } from '../platforms/promote.js';
import { vercelTokenReadiness } from '../platforms/vercel/token.js';
import { loadChecks, verifySource } from '../smoke/smoke-test.js';
import type { Check } from '../smoke/spec.js';
import type { DrillRecord } from './drill.js';
import { fileKey, type ComponentPlan } from './plan-file.js';
import type { DeploymentRef, PhaseName } from './record.js';
import { budgets } from './budgets.js';
import { placeOf, promoteRequest, type RollbackRequest } from './rollback.js';

/**
 * The server's version, asked to choose pg_dump, is a setting read in microseconds that takes no
 * lock: it needs no statement_timeout, only a bound on the wait for its answer, so that a connection
 * that stalls (a proxy or NAT box that stops forwarding) fails this check instead of holding the drill.
 */
const VERSION_DEADLINE: QueryDeadline = { statementMs: 5_000, marginMs: 5_000 };

async function serverMajor(target: ConnectionTarget, signal: AbortSignal | undefined): Promise<number> {
  try {
    return await withSession(target, async (s) => majorFromVersionNum(Number((await s.query<{ n: string }>("SELECT current_setting('server_version_num') AS n")).rows[0]!.n)), { queryDeadline: VERSION_DEADLINE, signal });
  } catch (err) {
    if (!(err instanceof QueryDeadlineExceeded)) throw err;
    throw new RollbackKitError(`${describeTarget(target)} did not answer when asked its version: ${err.message}.`, 'Check the network path to the database (a proxy or NAT box that stops forwarding), then run the drill again.');
  }
}

/** A token is checked for expiry this far ahead: past the next quarterly drill. */
export const TOKEN_WARN_DAYS = 100;

/**
 * Providers a drill refuses before anything changes, and why: a drill never changes what it cannot
 * put back. A provider whose current deployment has no id or commit SHA is refused too, once asked.
 */
const NOT_DRILLABLE = {
  // Its rollback is a pull request on the repository itself: a drill would open one for real,
  // on the code every environment deploys from, and could not take it back.
  'git-revert': 'a git-revert component cannot be drilled: its rollback is a pull request on this repository, which a drill would open for real',
  // The command provider cannot be asked what serves: the roll-forward would have nothing to run the
  // command with, and a `from` written in the plan names an incident, not what staging serves today.
  command: 'a command component cannot be drilled: the drill could run the command back, but nothing tells it what staging serves now, so it could not roll forward again (a from in the plan names an incident\'s release, not what staging serves on the drill\'s day)',
} as const;

const WITHOUT_IT = 'drill a plan without it (rollback-kit.staging.yml naming only the platform components and the database)';

/** What the roll-forward promotes back by: the deployment's id, else its commit SHA. */
export function forwardTo(d: DeploymentRef | undefined): string | undefined {
  return d?.id ?? d?.commitSha;
}

export interface ReadinessCheck {
  /** target | token | snapshot | down-migrations | checks | budget (only when a wait is longer than its phase's budget) */
  check: string;
  component?: string;
  /** `stopped`: the drill's stop cut its request short, so it proves nothing either way (never `failed`). */
  status: 'ok' | 'failed' | 'warning' | 'skipped' | 'stopped';
  detail: string;
  /** What this check could not establish (a token's permissions, say). */
  unproven?: string[];
}

export interface Ready {
  checks?: Check[];
  /**
   * The checks whose request the drill's stop cut short (the signal aborted when they failed),
   * recorded as `stopped`: they prove nothing of the way back. Every failure is the check's own.
   */
  cut: ReadinessCheck[];
}

/** Every readiness check; none changes anything; failures land in record.readiness. */
export async function readiness(request: RollbackRequest, components: ComponentPlan[], record: DrillRecord, log: Log): Promise<Ready> {
  const plan = request.plan;
  const add = (r: ReadinessCheck) => record.readiness.push(r);
  const redact = (err: unknown) => log.redact(errorLine(err));
  const out: Ready = { cut: [] };
  /** A failed check whose request was given the stop's signal: cut short by it (stopped, not failed) when the signal has aborted. */
  const failedOrCut = (r: ReadinessCheck) => {
    if (!request.signal?.aborted) return add(r);
    const cut: ReadinessCheck = { ...r, status: 'stopped' };
    add(cut);
    out.cut.push(cut);
  };
  if (!components.length && !plan.database) add({ check: 'target', status: 'failed', detail: 'the plan has no component and no database: there is nothing to drill' });

  // Targets (and with them: the token reads the project and its deployments).
  const outcomes: (PromoteOutcome | undefined)[] = await Promise.all(
    components.map(async (c, i) => {
      const rec = record.components[i]!;
      const refused = NOT_DRILLABLE[c.provider as keyof typeof NOT_DRILLABLE];
      if (refused) {
        add({ check: 'target', component: c.name, status: 'failed', detail: `${refused}; ${WITHOUT_IT}` });
        return undefined;
      }
      try {
        const req = promoteRequest(c, request, true);
        checkPromoteRequest(req, placeOf(c, plan));
        const o = await promotePrevious(req, log);
        rec.original = ref(o.from);
        rec.previous = ref(o.to);
        if (o.status === 'already-current') {
          add({ check: 'target', component: c.name, status: 'failed', detail: `no eligible target: ${log.redact(o.notes[0] ?? 'nothing to roll back to')}` });
        } else if (!forwardTo(rec.original)) {
          add({ check: 'target', component: c.name, status: 'failed', detail: `what serves now has no id or commit SHA to promote back by (${c.provider} named none): the drill could roll it back, but not forward again; ${WITHOUT_IT}` });
        } else {
          const skipped = o.skipped.length ? `; ${o.skipped.length} newer deployment(s) passed over` : '';
          add({ check: 'target', component: c.name, status: 'ok', detail: `${label(rec.original, 'what serves now')} can go back to ${label(rec.previous, 'the previous deployment')} (eligible${skipped})` });
        }
        return o;
      } catch (err) {
        failedOrCut({ check: 'target', component: c.name, status: 'failed', detail: redact(err) });
        return undefined;
      }
    }),
  );

  // Tokens: what reading proved, and what only a write would.
  for (const [i, c] of components.entries()) {
    if (!outcomes[i]) continue;
    if (c.provider === 'vercel' && request.secrets.vercelToken) {
      try {
        const t = await vercelTokenReadiness({ token: request.secrets.vercelToken, apiUrl: c.apiUrl, team: c.team, project: c.project!, warnDays: TOKEN_WARN_DAYS, now: Date.now(), timeoutSeconds: c.timeoutSeconds }, log);
        const proven = ['it reads the project, its production deployment and its deployment list', ...t.proven];
        add({
          check: 'token',
          component: c.name,
          status: t.problems.length ? 'failed' : t.warnings.length ? 'warning' : 'ok',
          detail: log.redact([...t.problems, ...t.warnings, `proven: ${proven.join('; ')}`].join('; ')),
          unproven: t.unproven.map((u) => log.redact(u)),
        });
      } catch (err) {
        add({ check: 'token', component: c.name, status: 'failed', detail: redact(err) });
      }
    } else if (c.provider !== 'command') {
      add({
        check: 'token',
        component: c.name,
        status: 'ok',
        detail: `proven: the ${c.provider} credentials read the current and previous release`,
        unproven: [`that they may put a release into production (${c.provider} has no endpoint that reports it: only a real rollback proves it, as the full drill does)`],
      });
    }
  }

  // The database: a pg_dump (and pg_restore to verify) of the server's major version or newer.
  if (request.database) {
    try {
      const major = await serverMajor(request.database, request.signal);
      const dump = await findPgTool('pg_dump', major, request.tools);
      const restore = await siblingTool(dump, 'pg_restore', major, request.tools);
      add({
        check: 'snapshot',
        status: 'ok',
        // What was checked, whoever gave the connection (database-url, or the sandbox its own database).
        detail: `connected to ${describeTarget(request.database)}, PostgreSQL ${major}: pg_dump ${dump.version} and pg_restore ${restore.version} fit`,
        ...(request.dryRun ? { unproven: ['that its role may read every table (the full drill proves it with a verified snapshot)'] } : {}),
      });
    } catch (err) {
      failedOrCut({ check: 'snapshot', status: 'failed', detail: redact(err) });
    }
  }

  if (plan.database && !request.database) {
    add({ check: 'snapshot', status: 'warning', detail: 'the plan has a database, but no database-url was given: the snapshot and the down migrations were not checked' });
  }

  // Down SQL for every migration the last deploy added.
  if (plan.database && request.database) {
    const db = plan.database;
    if (db.method === 'restore') {
      add({ check: 'down-migrations', status: 'skipped', detail: 'the database method is restore: no down migrations are used' });
    } else {
      const sha = record.components.map((c) => c.previous?.commitSha).find(Boolean);
      const choice: Choice | undefined = db.choice ?? (sha ? { sinceRef: sha } : undefined);
      if (!choice) {
        add({ check: 'down-migrations', status: 'warning', detail: 'not checked: no steps, to-version or since-ref in the plan, and the previous deployment carries no commit SHA to diff against' });
      } else {
        try {
          const dry = await revertMigrations(
            {
              target: request.database,
              root: request.workspace,
              migrationsDir: db.migrationsDir,
              migrationsDirName: db.migrationsDirName,
              format: db.format,
              migrationsTable: db.migrationsTable,
              choice,
              dryRun: true,
              preview: 'check',
              requireSnapshot: false,
              lockTimeoutSeconds: db.lockTimeoutSeconds,
              statementTimeoutSeconds: 60,
              tools: request.tools,
            },
            log,
          );
          const which = 'sinceRef' in choice ? `added since ${choice.sinceRef.slice(0, 12)}` : 'selected';
          add({
            check: 'down-migrations',
            status: 'ok',
            detail: dry.plan.length ? `every migration ${which} has its down SQL: ${dry.plan.map((p) => p.version).join(', ')}` : `no applied migration ${which}: nothing to revert`,
          });
        } catch (err) {
          add({ check: 'down-migrations', status: 'failed', detail: redact(err) });
        }
      }
    }
  }

  const tooLong = waitsOverBudget(plan, components);
  if (tooLong.length) {
    add({
      check: 'budget',
      status: 'warning',
      detail: `waits longer than their phase's budget (budget-minutes ${plan.budgetMinutes}): ${tooLong.join('; ')}. In an incident each alone could overrun the runbook: shorten them, or raise budget-minutes deliberately`,
    });
  }

  // Checks to verify with: a drill that cannot verify proves nothing.
  if (!plan.verify) {
    if (components.length) add({ check: 'checks', status: 'failed', detail: 'no smoke checks configured (verify in rollback-kit.yml, or base-url / checks inputs): the drill could not tell whether staging works' });
  } else {
    try {
      out.checks = await loadChecks(verifySource(plan.verify, request.workspace), { baseUrl: plan.verify.baseUrl, hasDatabase: Boolean(request.database) });
      add({ check: 'checks', status: 'ok', detail: `${out.checks.length} smoke check(s) loaded` });
    } catch (err) {
      add({ check: 'checks', status: 'failed', detail: redact(err) });
    }
  }
  return out;
}


/**
 * The plan's waits that are longer than the budget of the phase they wait in. Budgets are reported,
 * never enforced, so such a wait is only seen once an incident has run over: the drill says so first.
 * Each is named where it is set: a plan file's key (its default when the file leaves it out), else
 * the input. With a plan file the timeout-seconds input does not apply, and naming it (the command
 * line's `--timeout-seconds`) sent people to a flag that changes nothing.
 */
function waitsOverBudget(plan: RollbackRequest['plan'], components: ComponentPlan[]): string[] {
  const b = budgets(plan.budgetMinutes);
  const out: string[] = [];
  const where = (key: string, input: string) => (plan.source === 'inputs' ? input : fileKey(key, plan.source));
  const over = (what: string, seconds: number, phase: PhaseName) => {
    if (seconds * 1000 > b.phase(phase)) out.push(`${what} ${seconds} s > ${phase}'s ${b.phase(phase) / 1000} s`);
  };
  for (const c of components) over(where(`components.${c.name}.timeout-seconds`, `${c.name} timeout-seconds`), c.timeoutSeconds, 'app');
  if (plan.database) over(where('database.lock-timeout-seconds', 'database lock-timeout-seconds'), plan.database.lockTimeoutSeconds, 'database');
  if (plan.verify) over(where('verify.deadline-seconds', 'verify deadline-seconds'), plan.verify.deadlineSeconds, 'verify');
  return out;
}

/** The parts of a provider's deployment a report names. */
export function ref(d: { id?: string; url?: string; commitSha?: string; createdAt?: string }): DeploymentRef {
  return { id: d.id, url: d.url, commitSha: d.commitSha, createdAt: d.createdAt };
}

/** How a report names a deployment: its id, else its commit, else its URL. */
/** A deployment in a row; `unknown` when nothing names it (the command provider cannot say what serves). */
export function label(d: DeploymentRef | undefined, unknown = '?'): string {
  return d?.id ?? d?.commitSha?.slice(0, 12) ?? d?.url ?? unknown;
}
