/**
 * Platform tokens for the entry points: each from its input or, when that is empty, from the
 * environment variable the platform's own CLI reads, so a workflow that already exports it for the
 * CLI needs no second secret. Masked the moment it is read.
 */
import { input, type Inputs } from './action.js';
import { withinSize } from './input-size.js';
import { ownOutputOnly, type Log } from './log.js';
import { registerConnectionSecrets, registerWebhookSecrets } from './url-secrets.js';

/** The documented environment variable of each token input (DESIGN, "The whole rollback"). */
export const TOKEN_ENV = {
  'vercel-token': 'VERCEL_TOKEN',
  'fly-token': 'FLY_API_TOKEN',
  'railway-token': 'RAILWAY_TOKEN',
  'render-token': 'RENDER_API_KEY',
  'netlify-token': 'NETLIFY_AUTH_TOKEN',
  'github-token': 'GITHUB_TOKEN',
  'database-url': 'DATABASE_URL',
  'notify-webhook-url': 'ROLLBACK_WEBHOOK_URL',
} as const;

/**
 * A secret from its input or, failing that, its documented environment variable; masked at once.
 * `env` is the entry point's process environment (only entry points read it); `inputs` the action's
 * inputs or the CLI's flags.
 */
export function secretInput(name: keyof typeof TOKEN_ENV, env: Record<string, string | undefined>, log: Log, inputs: Inputs = input): string | undefined {
  const fromEnv = env[TOKEN_ENV[name]]?.trim() || undefined;
  const value = inputs.secret(name, log) ?? (fromEnv && withinSize(name, fromEnv, TOKEN_ENV[name]));
  log.secret(value, 'declared', TOKEN_ENV[name]);
  return value;
}

/**
 * Every documented secret variable the process was given, masked before anything runs, whether or
 * not this step reads it: a command the step runs (the command provider, a check) inherits the
 * environment and may print any of them.
 */
export function declareEnvironmentSecrets(env: Record<string, string | undefined>, log: Log): void {
  for (const variable of Object.values(TOKEN_ENV)) log.secret(env[variable]?.trim() || undefined, 'declared', variable);
  // The URLs hold their secrets inside, in forms of their own: a command may print the database's
  // password alone, or the token in a webhook's path. Registered as their readers register them, but
  // for our own output only: a step that reads the URL registers them for the job (log.ts, SecretScope).
  const own = ownOutputOnly(log);
  registerConnectionSecrets(env[TOKEN_ENV['database-url']], own, TOKEN_ENV['database-url']);
  const webhook = env[TOKEN_ENV['notify-webhook-url']]?.trim();
  if (webhook) registerWebhookSecrets(webhook, own);
}
