/**
 * The smoke-check spec after validation: what each check sends and what it asserts. Everything here
 * is already checked (URLs absolute, regexes compiled, ranges ordered), so the probes never have to
 * second-guess a value.
 */

import type { UrlSecrets } from '../core/url-secrets.js';

/** An inclusive numeric range; a missing side is open. */
export interface Range {
  min?: number;
  max?: number;
}

export type Backoff = 'fixed' | 'exponential';

/** How often and how long a check measures; a check may override the step's defaults. */
export interface Measuring {
  attempts?: number;
  intervalSeconds?: number;
  backoff?: Backoff;
  timeoutSeconds?: number;
}

export type JsonOp = 'equals' | 'exists' | 'less-than' | 'greater-than';
export interface JsonAssertion {
  path: string;
  op: JsonOp;
  value: unknown;
}

export type HeaderOp = 'equals' | 'contains' | 'matches' | 'exists';
export interface HeaderAssertion {
  /** Lower-cased: HTTP header names are case-insensitive. */
  name: string;
  op: HeaderOp;
  value: string | boolean | RegExp;
}

export interface HttpCheck extends Measuring {
  kind: 'http';
  name: string;
  critical: boolean;
  url: string;
  /** The path the check was written with when it was relative to base-url: what baseline-url reuses. */
  path?: string;
  /** The URL's user name and password as a Basic Authorization value (never part of `url`). */
  credentials?: string;
  /** The secrets written in the URL, registered with the log before anything runs. */
  secrets: UrlSecrets;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Accepted statuses (after redirects); by default any 2xx. */
  status: Range[];
  bodyContains: string[];
  bodyNotContains: string[];
  bodyMatches?: RegExp;
  json: JsonAssertion[];
  header: HeaderAssertion[];
  maxMs?: number;
  /** Origins (https://login.example.com) a redirect may lead to besides the check's own; none by default. */
  redirectOrigins: string[];
  samples?: number;
  /** Per-check thresholds over the samples of an attempt; the inputs of the same name by default. */
  maxErrorRate?: number;
  maxP95Ms?: number;
}

export interface SqlCheck extends Measuring {
  kind: 'sql';
  name: string;
  critical: boolean;
  query: string;
  expectRows?: Range;
  /** Wrapped so that `expect-value: null` is distinguishable from "not given". */
  expectValue?: { value: unknown };
  /** `true`: any query error; a string: the error message contains it, or it equals the SQLSTATE. */
  expectError?: string | true;
}

export type Check = HttpCheck | SqlCheck;

/**
 * The setting that gave a check its timeout, as a failure reason names it: the check's own field
 * (quoted: a field of the spec, not an input or a flag) or the step's input. The on-call engineer
 * must know which one to raise.
 */
export function timeoutSetting(check: Measuring): string {
  return check.timeoutSeconds !== undefined ? 'the check\'s "timeout-seconds"' : 'timeout-seconds';
}

export function formatRange(r: Range): string {
  if (r.min !== undefined && r.min === r.max) return String(r.min);
  return `${r.min ?? ''}..${r.max ?? ''}`;
}

export function inRange(n: number, r: Range): boolean {
  return (r.min === undefined || n >= r.min) && (r.max === undefined || n <= r.max);
}
