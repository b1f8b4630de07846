/** smoke-test's checks and options from its inputs, for the action and `rollback-kit smoke` alike. */
import type { Inputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { displayUrl, registerUrlSecrets, splitCredentials } from '../core/url-secrets.js';
import { parseConnectionString } from '../db/connection.js';
import { MAX_CONFIRM_AFTER_SECONDS } from './confirm.js';
import type { SmokeOptions } from './run-checks.js';
import type { Backoff } from './spec.js';
import type { SpecSource } from './smoke-test.js';

/** A URL input; its user name, password and secret parameters are registered before anything can print them. */
function httpUrl(inputs: Inputs, name: string, log: Log): string | undefined {
  const raw = inputs.string(name);
  if (!raw) return undefined;
  registerUrlSecrets(raw, log);
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new RollbackKitError(`Input ${name} must be an absolute http(s) URL such as https://my-app.vercel.app, got "${displayUrl(raw)}".`);
  }
  return raw;
}

function backoffInput(inputs: Inputs): Backoff {
  const raw = (inputs.string('backoff') ?? 'fixed').toLowerCase();
  if (raw !== 'fixed' && raw !== 'exponential') throw new RollbackKitError(`Input backoff must be fixed or exponential, got "${raw}".`);
  return raw;
}

export interface SmokeInputs {
  source: SpecSource;
  baseUrl?: string;
  options: SmokeOptions;
  failStep: boolean;
  /** When a run decides rollback: wait this long and measure again (0: decide on one run). */
  confirmAfterSeconds: number;
}

/** `databaseUrl`: the database-url input (the CLI falls back to DATABASE_URL); secrets are registered first. */
export function readSmokeInputs(inputs: Inputs, databaseUrl: string | undefined, workspace: string | undefined, log: Log): SmokeInputs {
  const bypassToken = inputs.secret('bypass-token', log);
  log.secret(databaseUrl);
  const database = databaseUrl ? parseConnectionString(databaseUrl, log) : undefined;
  const baseUrl = httpUrl(inputs, 'base-url', log);
  const baseline = httpUrl(inputs, 'baseline-url', log);
  const { url: baselineUrl, authorization: baselineCredentials } = baseline ? splitCredentials(baseline) : { url: undefined, authorization: undefined };
  // The token opens the deployment it belongs to; a check on another origin (a third-party status page) never gets it.
  const bypassOrigins = [baseUrl, baselineUrl].filter((u): u is string => Boolean(u)).map((u) => new URL(u).origin);
  if (bypassToken && !bypassOrigins.length) {
    throw new RollbackKitError(
      'Input bypass-token is set, but neither base-url nor baseline-url: the token is sent only to their origins, so no check would carry it.',
      'Set base-url to the deployment the token opens (and write the checks as paths, /api/health), or leave bypass-token empty.',
    );
  }
  return {
    source: { checks: inputs.string('checks'), checksFile: inputs.string('checks-file'), cwd: workspace },
    baseUrl,
    options: {
      attempts: inputs.integer('attempts', { default: 3, min: 1, max: 100 })!,
      intervalSeconds: inputs.number('interval-seconds', { default: 5, min: 0, max: 3600 })!,
      backoff: backoffInput(inputs),
      timeoutSeconds: inputs.number('timeout-seconds', { default: 10, min: 0.001, max: 3600 })!,
      samples: inputs.integer('samples', { default: 1, min: 1, max: 10000 })!,
      maxErrorRate: inputs.number('max-error-rate', { default: 5, min: 0, max: 100 })!,
      maxP95Ms: inputs.number('max-p95-ms', { default: 3000, min: 1 })!,
      deadlineSeconds: inputs.number('deadline-seconds', { default: 300, min: 0.1, max: 21600 })!,
      baselineUrl,
      baselineCredentials,
      bypassToken,
      bypassOrigins,
      database,
    },
    failStep: inputs.boolean('fail-step', true),
    confirmAfterSeconds: inputs.number('confirm-after-seconds', { default: 0, min: 0, max: MAX_CONFIRM_AFTER_SECONDS })!,
  };
}
