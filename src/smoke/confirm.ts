/**
 * One blip must not roll production back: when a run decides `rollback`, wait, measure every check
 * again, and keep `rollback` only when the second run says so too (the runbooks' "unavailable for
 * more than N minutes", Argo's consecutive failures). When the runs disagree the decision is
 * `inconclusive`: no automatic rollback, and the checks that flapped are named.
 */
import type { Log } from '../core/log.js';
import { sleep } from './pool.js';
import type { CheckResult } from './run-checks.js';
import type { Verdict } from './verdict.js';

/** Longer than this is no longer "confirming a blip" but a second deployment window. */
export const MAX_CONFIRM_AFTER_SECONDS = 1800;

export interface FirstRun {
  verdict: Omit<Verdict, 'worst'> & { worstCheck?: string };
  /** Names of the checks that failed in the first run. */
  failed: string[];
}

export interface Confirmation {
  afterSeconds: number;
  /** Both runs decided rollback. */
  confirmed: boolean;
  firstRun: FirstRun;
  /** Checks whose result differed between the runs, in the spec's order. */
  flapped: string[];
}

export interface Measured {
  results: CheckResult[];
  verdict: Verdict;
}

/**
 * Runs `measure` once, and again after `afterSeconds` when the first run decides rollback. The
 * returned verdict is the second run's when both say rollback; when they disagree it is the
 * second run's numbers with `passed: false` and decision `inconclusive`, since production failed
 * its checks moments ago and a person should look.
 */
export async function measureConfirmed(
  measure: () => Promise<Measured>,
  afterSeconds: number,
  log: Log,
  wait: (ms: number) => Promise<void> = sleep,
): Promise<Measured & { confirmation?: Confirmation }> {
  const first = await measure();
  if (afterSeconds <= 0 || first.verdict.decision !== 'rollback') return first;

  const failedFirst = first.results.filter((r) => !r.passed).map((r) => r.name);
  log.info(`The checks decided rollback (${failedFirst.length} failed: ${failedFirst.join(', ')}); measuring every check again in ${afterSeconds} s to confirm.`);
  await wait(Math.min(afterSeconds, MAX_CONFIRM_AFTER_SECONDS) * 1000);
  const second = await measure();

  const before = new Map(first.results.map((r) => [r.name, r.passed]));
  const flapped = second.results.filter((r) => before.has(r.name) && before.get(r.name) !== r.passed).map((r) => r.name);
  const { worst, ...firstVerdict } = first.verdict;
  const confirmation: Confirmation = {
    afterSeconds,
    confirmed: second.verdict.decision === 'rollback',
    firstRun: { verdict: { ...firstVerdict, worstCheck: worst?.name }, failed: failedFirst },
    flapped,
  };
  if (confirmation.confirmed) {
    log.info(`Confirmed: the second run ${afterSeconds} s later decided rollback too.`);
    return { ...second, confirmation };
  }
  const reason = `${flapped.length ? `${flapped.map((n) => `"${n}"`).join(', ')} failed, then passed ${afterSeconds} s later` : `the first run decided rollback, the second ${second.verdict.decision}`}: not confirmed, so no automatic rollback`;
  log.info(`Not confirmed: ${reason}.`);
  return {
    ...second,
    verdict: { ...second.verdict, passed: false, decision: 'inconclusive', reasons: [reason, ...first.verdict.reasons.map((r) => `first run: ${r}`)] },
    confirmation,
  };
}
