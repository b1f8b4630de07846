/**
 * What to do after `rollback-kit smoke` failed, as the command to paste: a person who just watched
 * production fail its checks should not have to work out the rollback's flags. Printed as the last
 * line, and given to scripts as `next` in --json. What failed says what to roll back: an HTTP check
 * is the app's, a SQL check the database's (a rollback of the app does not change the database),
 * so the command's scope is app, db, or full when both failed.
 */
import { PLAN_FILE } from '../../pipeline/plan-file.js';
import type { Check } from '../../smoke/spec.js';
import type { Verdict } from '../../smoke/verdict.js';
import { shellWord } from '../shell-word.js';

/** A failed (or flapped) check: its name (already redacted) and whether it measured the app (http) or the database (sql). */
export interface NextCheck {
  name: string;
  kind: Check['kind'];
  /**
   * False when it measured nothing: the database (or the service) did not answer, or the overall
   * deadline came first. A SQL check that measured nothing says nothing of the data: no reason to
   * throw the data back to a snapshot or a down migration.
   */
  measured?: boolean;
}

/** The rollback's scope (scope.ts): what the failed checks measured. */
export type NextScope = 'app' | 'db' | 'full';

export interface SmokeNext {
  /** `rollback`: the checks decided it; `look`: a confirming run disagreed (inconclusive), so a person looks first. */
  action: 'rollback' | 'look';
  /** What the command rolls back: `app` for failed HTTP checks, `db` for failed SQL checks, `full` for both. */
  scope: NextScope;
  /** The whole rollback, with the checks that failed as its reason, the verdict's severity and the scope (but app, its default). */
  command: string;
  /** The line printed, starting "Next: ". */
  text: string;
}

/** The failed checks named in the reason; more than this are counted, so the command stays one line. */
const NAMED = 3;

/** What the checks measured; none (the service unreachable) is the app's. A SQL check that measured nothing counts for no scope. */
function scopeOf(checks: NextCheck[]): NextScope {
  const sql = checks.some((c) => c.kind === 'sql' && c.measured !== false);
  const http = checks.some((c) => c.kind !== 'sql');
  return sql && http ? 'full' : sql ? 'db' : 'app';
}

/** SQL checks that reached no database (or ran out of time): the database is looked at before anything is rolled back for them. */
const unanswered = (checks: NextCheck[]) => checks.filter((c) => c.kind === 'sql' && c.measured === false);

/** Per scope: what the line says to roll back, and what the command still needs without a plan file. */
const WHAT: Record<NextScope, { roll: string; flags: string }> = {
  app: { roll: 'roll production back', flags: "the component's flags" },
  // The database goes back as the plan's database method says: its down migrations, or a restore of the pre-deploy snapshot.
  db: { roll: 'roll the database back (down migrations, or a restore of the pre-deploy snapshot)', flags: "the database's flags (--migrations-dir, or --db-method restore with --snapshot-path)" },
  full: { roll: 'roll production back, the app and the database,', flags: "the component's and the database's flags" },
};

/**
 * Undefined when the checks passed. `failed`: the failed checks; `flapped`: those a confirming run
 * saw pass; `planHere`: the current folder has the plan file the rollback reads by default (without
 * one, the command needs --config or a component's flags).
 */
export function smokeNext(verdict: Pick<Verdict, 'passed' | 'decision' | 'severity'>, failed: NextCheck[], flapped: NextCheck[], planHere: boolean): SmokeNext | undefined {
  if (verdict.passed) return undefined;
  // Inconclusive: the results are the confirming run's, which may have no failure; the flapped checks are what failed.
  const named = failed.length ? failed : flapped;
  const list = named.map((c) => c.name);
  const names = list.length > NAMED ? `${list.slice(0, NAMED).join(', ')} and ${list.length - NAMED} more` : list.join(', ');
  const reason = `smoke checks failed: ${names || 'the service is unreachable'}`;
  // Only critical and major fail a check (verdict.ts); a rollback's severity is one of critical, major, minor.
  const severity = verdict.severity === 'critical' ? 'critical' : 'major';
  const silent = unanswered(named);
  // Only SQL checks failed, and none of them measured anything: the database did not answer.
  const onlySilent = silent.length === named.length && named.length > 0;
  const scope = onlySilent ? 'db' : scopeOf(named);
  const command = `rollback-kit rollback --reason ${shellWord(reason)} --severity ${severity}${scope === 'app' ? '' : ` --scope ${scope}`}`;
  const { roll, flags } = WHAT[scope];
  const plan = planHere ? ` (add --dry-run first to see what it would do)` : `, adding --config <plan file> or ${flags}: there is no ${PLAN_FILE} in this folder (rollback-kit rollback --help)`;
  const silentNames = silent.map((c) => c.name).join(', ');
  if (onlySilent) {
    return {
      action: 'look',
      scope,
      command,
      text: `Next: look at the database before rolling anything back: ${silentNames} measured nothing (the database did not answer, or the time ran out), and a rollback does not bring back a database that does not answer. If it answers and the checks fail, ${roll} with \`${command}\`${plan}.`,
    };
  }
  const alsoLook = silent.length ? ` Look at the database too: ${silentNames} measured nothing (it did not answer, or the time ran out).` : '';
  if (verdict.decision === 'inconclusive') {
    return { action: 'look', scope, command, text: `Next: look at production before rolling back: ${flapped.map((c) => c.name).join(', ')} failed and then passed when measured again. If it fails again, ${roll} with \`${command}\`${plan}.${alsoLook}` };
  }
  return { action: 'rollback', scope, command, text: `Next: ${roll} with \`${command}\`${plan}.${alsoLook}` };
}
