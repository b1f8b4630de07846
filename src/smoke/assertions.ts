/**
 * The assertions of an HTTP check against one response. Returns what failed, in words an on-call
 * engineer can act on; an empty list means the response passed. Bodies are never quoted back: they
 * may hold personal data or tokens.
 */
import type { Log } from '../core/log.js';
import { boundedTest, MATCH_TIMEOUT_MS, MatchTimeout } from './bounded-match.js';
import { CheckConfigError } from './config-error.js';
import { lookupJsonPath, parseJsonPath } from './json-path.js';
import { formatRange, inRange, type HttpCheck, type JsonAssertion } from './spec.js';

export interface ObservedResponse {
  status: number;
  headers: Headers;
  body: string;
  /** Set when the response was longer and `body` is only its first this many bytes. */
  bodyCutAt?: number;
  ms: number;
}

/**
 * `log` redacts what the response said before a failure line cuts it. `matchBudgetMs`: how long a
 * regular expression may run, MATCH_TIMEOUT_MS unless the overall deadline is nearer. A pattern
 * stopped at the full MATCH_TIMEOUT_MS is a CheckConfigError.
 */
export function assertResponse(check: HttpCheck, res: ObservedResponse, log: Pick<Log, 'excerpt'>, opts: { matchBudgetMs?: number } = {}): string[] {
  const failures: string[] = [];
  const budget = Math.min(MATCH_TIMEOUT_MS, opts.matchBudgetMs ?? MATCH_TIMEOUT_MS);
  const matches = (field: string, pattern: RegExp, text: string): boolean | undefined => {
    try {
      return boundedTest(pattern, text, budget);
    } catch (err) {
      if (!(err instanceof MatchTimeout)) throw err;
      if (budget < MATCH_TIMEOUT_MS) {
        failures.push(DEADLINE_FAILURE);
        return undefined;
      }
      throw new CheckConfigError(
        `The HTTP check "${check.name}" cannot be judged: its ${field} pattern ran for ${MATCH_TIMEOUT_MS / 1000} s on a ${text.length}-character text and was stopped, so it backtracks without bound (nested or overlapping quantifiers such as (a+)+ or (.*)*)`,
        'Rewrite the regular expression without nested or overlapping quantifiers, or use body-contains / header contains.',
      );
    }
  };
  if (!check.status.some((r) => inRange(res.status, r))) {
    failures.push(`status ${res.status}, expected ${check.status.map(formatRange).join(' or ')}`);
  }
  if (check.maxMs !== undefined && res.ms > check.maxMs) failures.push(`took ${Math.round(res.ms)} ms, more than max-ms ${check.maxMs}`);
  // Of a body cut at the cap only what was read is known: a text found there is found, but a text
  // not found, a pattern not matched or a JSON document cut in two proves nothing about the rest.
  const unread = (assertion: string) => `body is larger than ${res.bodyCutAt! / 1024 / 1024} MB and was read no further, so ${assertion} cannot be judged (point the check at a smaller response)`;
  const cut = res.bodyCutAt !== undefined;
  for (const text of check.bodyContains) if (!res.body.includes(text)) failures.push(cut ? unread(`body-contains ${show(text, log)}`) : `body does not contain ${show(text, log)}`);
  for (const text of check.bodyNotContains) {
    if (res.body.includes(text)) failures.push(`body contains ${show(text, log)}`);
    else if (cut) failures.push(unread(`body-not-contains ${show(text, log)}`));
  }
  if (check.bodyMatches && matches('body-matches', check.bodyMatches, res.body) === false) failures.push(cut ? unread(`body-matches /${check.bodyMatches.source}/`) : `body does not match /${check.bodyMatches.source}/`);
  if (check.json.length) failures.push(...(cut ? [unread('json')] : assertJson(check.json, res.body, log)));
  for (const h of check.header) {
    const actual = res.headers.get(h.name);
    if (h.op === 'exists') {
      if ((actual !== null) !== h.value) failures.push(`header "${h.name}" is ${actual === null ? 'missing' : 'present'}, expected it ${h.value ? 'present' : 'absent'}`);
    } else if (actual === null) failures.push(`header "${h.name}" is missing`);
    else if (h.op === 'equals' && actual !== h.value) failures.push(`header "${h.name}" is ${show(actual, log)}, expected ${show(h.value as string, log)}`);
    else if (h.op === 'contains' && !actual.includes(h.value as string)) failures.push(`header "${h.name}" is ${show(actual, log)}, expected it to contain ${show(h.value as string, log)}`);
    else if (h.op === 'matches' && matches(`header "${h.name}" matches`, h.value as RegExp, actual) === false) failures.push(`header "${h.name}" is ${show(actual, log)}, expected it to match /${(h.value as RegExp).source}/`);
  }
  return failures;
}

function assertJson(assertions: JsonAssertion[], body: string, log: Pick<Log, 'excerpt'>): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return [`body is not JSON (${body.length ? `${body.length} bytes` : 'empty'}), so json assertions cannot hold`];
  }
  const failures: string[] = [];
  for (const a of assertions) {
    const { found, value } = lookupJsonPath(doc, parseJsonPath(a.path));
    const where = `json "${a.path}"`;
    if (a.op === 'exists') {
      if (found !== a.value) failures.push(`${where} is ${found ? 'present' : 'missing'}, expected it ${a.value ? 'present' : 'absent'}`);
      continue;
    }
    if (!found) {
      failures.push(`${where} is missing`);
      continue;
    }
    if (a.op === 'equals') {
      if (!deepEqual(value, a.value)) failures.push(`${where} is ${show(value, log)}, expected ${show(a.value, log)}`);
    } else if (typeof value !== 'number') failures.push(`${where} is ${show(value, log)}, not a number`);
    else if (a.op === 'less-than' && !(value < (a.value as number))) failures.push(`${where} is ${value}, expected less than ${String(a.value)}`);
    else if (a.op === 'greater-than' && !(value > (a.value as number))) failures.push(`${where} is ${value}, expected greater than ${String(a.value)}`);
  }
  return failures;
}

/** What a sample says when the overall deadline stopped it. */
export const DEADLINE_FAILURE = 'cut short by the overall deadline (deadline-seconds)';

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A value as JSON, cut short: a report line, not a dump. Redacted before the cut. */
export function show(value: unknown, log: Pick<Log, 'excerpt'>): string {
  return log.excerpt(value === undefined ? 'undefined' : JSON.stringify(value), 80);
}
