/**
 * What to do after `rollback-kit smoke` failed, as the command to paste: a person who just watched
 * production fail its checks should not have to work out the rollback's flags. Printed as the last
 * line, and given to scripts as `next` in --json.
 */
import { PLAN_FILE } from '../../pipeline/plan-file.js';
import type { Verdict } from '../../smoke/verdict.js';
import { shellWord } from '../shell-word.js';

export interface SmokeNext {
  /** `rollback`: the checks decided it; `look`: a confirming run disagreed (inconclusive), so a person looks first. */
  action: 'rollback' | 'look';
  /** The whole rollback, with the checks that failed as its reason and the verdict's severity. */
  command: string;
  /** The line printed, starting "Next: ". */
  text: string;
}

/** The failed checks named in the reason; more than this are counted, so the command stays one line. */
const NAMED = 3;

/**
 * Undefined when the checks passed. `failed`: the names of the failed checks (already redacted);
 * `flapped`: those a confirming run saw pass; `planHere`: the current folder has the plan file the
 * rollback reads by default (without one, the command needs --config or a component's flags).
 */
export function smokeNext(verdict: Pick<Verdict, 'passed' | 'decision' | 'severity'>, failed: string[], flapped: string[], planHere: boolean): SmokeNext | undefined {
  if (verdict.passed) return undefined;
  // Inconclusive: the results are the confirming run's, which may have no failure; the flapped checks are what failed.
  const named = failed.length ? failed : flapped;
  const names = named.length > NAMED ? `${named.slice(0, NAMED).join(', ')} and ${named.length - NAMED} more` : named.join(', ');
  const reason = `smoke checks failed: ${names || 'the service is unreachable'}`;
  // Only critical and major fail a check (verdict.ts); a rollback's severity is one of critical, major, minor.
  const severity = verdict.severity === 'critical' ? 'critical' : 'major';
  const command = `rollback-kit rollback --reason ${shellWord(reason)} --severity ${severity}`;
  const plan = planHere ? ` (add --dry-run first to see what it would do)` : `, adding --config <plan file> or the component's flags: there is no ${PLAN_FILE} in this folder (rollback-kit rollback --help)`;
  if (verdict.decision === 'inconclusive') {
    return { action: 'look', command, text: `Next: look at production before rolling back: ${flapped.join(', ')} failed and then passed when measured again. If it fails again, roll production back with \`${command}\`${plan}.` };
  }
  return { action: 'rollback', command, text: `Next: roll production back with \`${command}\`${plan}.` };
}
