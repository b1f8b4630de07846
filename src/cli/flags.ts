/**
 * The command line's flags are the actions' input names (DESIGN, "Command line"): one table of
 * what each means, and which ones each command takes. `switch`: off unless given (--dry-run);
 * `on`: on unless turned off (--no-clean), and its help describes what the --no- flag does (commander
 * prints it next to --no-clean); otherwise the flag takes a value. `helpFor`: where one name means
 * something else in a command (--format is a migration tool for down, an archive format for snapshot).
 */
import type { CommandName } from './early-stop.js';

export type FlagKind = 'value' | 'switch' | 'on';

export interface Flag {
  help: string;
  kind?: FlagKind;
  placeholder?: string;
  helpFor?: Partial<Record<string, string>>;
}

export const FLAGS: Record<string, Flag> = {
  config: { help: 'the rollback plan file (default rollback-kit.yml in the current directory)', placeholder: 'file' },
  scope: { help: 'app (default), db, full, or component names and database, comma-separated' },
  reason: {
    help: 'why you are rolling back: shown in the incident report and messages',
    placeholder: 'text',
    helpFor: {
      promote: 'why: the Vercel rollback’s description, the git-revert pull request’s text, ROLLBACK_REASON for a command',
      // The drill sends no messages and opens no incident; git-revert and command components cannot be drilled.
      drill: 'why the drill runs: the description of its Vercel instant rollback, as Vercel’s dashboard shows it (default “Rollback drill”; with --sandbox “rollback-kit sandbox drill”)',
    },
  },
  severity: { help: 'critical, major (default) or minor' },
  'budget-minutes': { help: 'the whole rollback’s time budget (default 15)', placeholder: 'minutes' },
  timeline: { help: 'rows of an earlier part of the same rollback (JSON)', placeholder: 'json' },
  'incident-issue': {
    help: 'write the incident issue on GitHub (needs GITHUB_TOKEN and GITHUB_REPOSITORY)',
    placeholder: 'true|false',
    helpFor: { drill: 'comment the result and the trend on the environment’s “Rollback drill” issue on GitHub, opened by the first drill; a dry run comments only when readiness fails (default true with GITHUB_TOKEN; needs GITHUB_REPOSITORY)' },
  },
  environment: { help: 'the environment’s name; with a plan file, the one it describes (default production; a drill: staging)', placeholder: 'name', helpFor: { promote: 'Railway environment id' } },
  'vercel-token': { help: 'Vercel token (else VERCEL_TOKEN)', placeholder: 'token' },
  'fly-token': { help: 'Fly.io token (else FLY_API_TOKEN)', placeholder: 'token' },
  'railway-token': { help: 'Railway token (else RAILWAY_TOKEN)', placeholder: 'token' },
  'render-token': { help: 'Render API key (else RENDER_API_KEY)', placeholder: 'token' },
  'netlify-token': { help: 'Netlify token (else NETLIFY_AUTH_TOKEN)', placeholder: 'token' },
  'github-token': { help: 'GitHub token (else GITHUB_TOKEN)', placeholder: 'token' },
  'database-url': { help: 'PostgreSQL connection string (else DATABASE_URL)', placeholder: 'url' },
  'notify-webhook-url': { help: 'Slack-compatible or Teams webhook for progress messages (else ROLLBACK_WEBHOOK_URL)', placeholder: 'url' },
  provider: { help: 'vercel, fly, railway, render, netlify, git-revert or command' },
  project: { help: 'Vercel project (id or name); Railway project id', placeholder: 'id' },
  team: { help: 'Vercel team id or slug', placeholder: 'id' },
  target: { help: 'what to put back: previous (default), a deployment id/URL or a commit', placeholder: 'ref' },
  from: {
    help: 'the bad deployment, so a re-run can tell it already happened',
    placeholder: 'ref',
    // runDrill drops it: a from names an incident's release, not what staging serves on the drill's day.
    helpFor: { drill: 'not used: the drill goes back from whatever serves staging when it runs, and forward to it again' },
  },
  'api-url': { help: 'the platform API base (default: the platform’s own)', placeholder: 'url' },
  method: { help: 'Vercel: rollback (default) or promote' },
  command: { help: 'the shell command that rolls back (provider command)', placeholder: 'cmd' },
  'verify-command': { help: 'a command that must pass afterwards (provider command)', placeholder: 'cmd' },
  'timeout-seconds': {
    help: 'how long to wait for the platform (a component given by flags; default 180)',
    placeholder: 'seconds',
    helpFor: { promote: 'how long to wait for the platform to serve the target (default 180)', smoke: 'how long one check’s request or query may take (default 10)' },
  },
  app: { help: 'Fly app name', placeholder: 'name' },
  'machines-api-url': { help: 'Fly Machines API base', placeholder: 'url' },
  'registry-url': { help: 'Fly registry base', placeholder: 'url' },
  service: { help: 'Railway service id or Render service id', placeholder: 'id' },
  site: { help: 'Netlify site id or domain', placeholder: 'id' },
  'migrations-dir': { help: 'where the migrations are (default: found from the tool’s settings)', placeholder: 'dir' },
  format: {
    help: 'the migration tool: auto (default), dbmate, golang-migrate, node-pg-migrate, supabase, prisma or plain',
    helpFor: { snapshot: 'custom (default: one compressed file), directory (one file per table, dumped in parallel with --jobs) or plain (an SQL script)' },
  },
  'migrations-table': { help: 'the tool’s tracking table, when not its default', placeholder: 'table' },
  steps: { help: 'revert this many of the newest migrations', placeholder: 'n' },
  'to-version': { help: 'revert every migration newer than this version', placeholder: 'version' },
  'since-ref': { help: 'revert the migrations added since this git ref', placeholder: 'ref' },
  'db-method': { help: 'down-migrations (default) or restore' },
  'snapshot-path': { help: 'a verified snapshot (the way back, or what to restore)', placeholder: 'file' },
  'require-snapshot': { help: 'revert without a verified snapshot (default: refuse)', kind: 'on' },
  'lock-timeout-seconds': { help: 'how long to wait for a lock another session holds', placeholder: 'seconds' },
  'statement-timeout-seconds': { help: 'how long one migration statement may run', placeholder: 'seconds' },
  'base-url': { help: 'where relative check URLs point (your production URL)', placeholder: 'url' },
  checks: { help: 'smoke checks as YAML', placeholder: 'yaml' },
  // The limits loadChecks enforces (smoke-test.ts readChecksFile), said before someone runs into them.
  'checks-file': { help: 'a YAML file of smoke checks, relative to the current folder or absolute, anywhere on this machine: a regular file of at most 1 MB (rollback-kit.yml\'s verify.checks-file must stay inside the current folder, as the workflow reads it there)', placeholder: 'file' },
  attempts: { help: 'how many times to try before a check fails (default 3)', placeholder: 'n' },
  'interval-seconds': { help: 'pause between attempts (default 5)', placeholder: 'seconds' },
  backoff: { help: 'fixed (default) or exponential' },
  samples: { help: 'requests per HTTP check (default 1)', placeholder: 'n' },
  'max-error-rate': { help: 'percent of failed samples allowed (default 5)', placeholder: 'percent' },
  'max-p95-ms': { help: 'p95 latency allowed (default 3000)', placeholder: 'ms' },
  'baseline-url': { help: 'the previous deployment, to compare against', placeholder: 'url' },
  'bypass-token': { help: 'Vercel protection bypass token for the checks', placeholder: 'token' },
  'deadline-seconds': { help: 'the whole smoke test’s time limit (default 300)', placeholder: 'seconds' },
  'confirm-after-seconds': { help: 'when the checks say rollback, wait this long and run them again; rollback only if both runs agree', placeholder: 'seconds' },
  'verified-sha': { help: 'on a pass, mark this commit rollback-kit/verified on GitHub (needs GITHUB_TOKEN and GITHUB_REPOSITORY)', placeholder: 'sha' },
  'fail-step': { help: 'only report failing checks, exit 0 (default: exit 1 when the checks fail)', kind: 'on' },
  jobs: {
    help: 'parallel pg_dump workers (needs --format directory)',
    placeholder: 'n',
    helpFor: { restore: 'not used: a restore runs in one transaction, so that a failure changes nothing, and parallel workers cannot share it' },
  },
  'output-dir': { help: 'where the snapshot goes (default ./rollback-kit-snapshots)', placeholder: 'dir' },
  label: { help: 'a word in the snapshot’s file name', placeholder: 'text' },
  schemas: { help: 'only these schemas (comma-separated patterns)', placeholder: 'list' },
  'exclude-schemas': { help: 'leave these schemas out', placeholder: 'list' },
  'exclude-table-data': { help: 'keep these tables’ structure but not their rows', placeholder: 'list' },
  'export-since': { help: 'also export rows created since this time as CSV', placeholder: 'time' },
  'export-tables': { help: 'which tables to export rows of', placeholder: 'list' },
  'export-column': { help: 'the creation-time column of exported tables (default created_at)', placeholder: 'column' },
  'pg-dump-path': { help: 'a pg_dump that matches the server’s version', placeholder: 'file' },
  confirm: { help: 'the database’s name: restore refuses without it (asked at a terminal; --yes fills it in)', placeholder: 'name' },
  'pre-restore-snapshot': { help: 'restore without first snapshotting the current state (default: snapshot it)', kind: 'on' },
  clean: { help: 'create the snapshot’s objects without dropping them first: refused where any of them, or a name one of them needs, exists already, so for an empty database (default: drop and re-create them; objects the snapshot does not have are kept either way; a plain SQL snapshot drops its own objects whatever this says)', kind: 'on' },
  'pre-restore-dir': { help: 'where the pre-restore snapshot goes', placeholder: 'dir' },
  'from-another-database': { help: 'restore a snapshot of another database (or another server’s) on purpose; refused otherwise', kind: 'switch' },
  'dry-run': {
    help: 'say what would happen; change nothing',
    kind: 'switch',
    helpFor: { drill: 'readiness only: check that the way back is there (targets, tokens, pg_dump, down migrations, checks); no snapshot, no rollback, and a drill issue comment only when readiness fails' },
  },
};

const TOKENS = ['vercel-token', 'fly-token', 'railway-token', 'render-token', 'netlify-token', 'github-token'];
const COMPONENT = ['provider', 'project', 'team', 'target', 'from', 'api-url', 'method', 'command', 'timeout-seconds'];
const DATABASE = ['migrations-dir', 'format', 'migrations-table', 'steps', 'to-version', 'since-ref', 'db-method', 'snapshot-path'];
const VERIFY = ['base-url', 'checks', 'checks-file'];

/** Each command's flags, by input name: the same as its action's inputs, less GitHub-only ones (artifacts). */
export const COMMAND_FLAGS = {
  // plan never changes anything; --dry-run is accepted so every command takes it.
  plan: ['config', 'scope', 'budget-minutes', 'environment', 'database-url', ...COMPONENT, ...DATABASE, ...VERIFY, 'dry-run'],
  rollback: ['config', 'scope', 'reason', 'severity', 'dry-run', 'budget-minutes', 'timeline', 'incident-issue', 'environment', ...TOKENS, 'database-url', 'notify-webhook-url', ...COMPONENT, ...DATABASE, ...VERIFY],
  snapshot: ['database-url', 'format', 'jobs', 'output-dir', 'label', 'schemas', 'exclude-schemas', 'exclude-table-data', 'export-since', 'export-tables', 'export-column', 'lock-timeout-seconds', 'pg-dump-path', 'dry-run'],
  restore: ['database-url', 'snapshot-path', 'confirm', 'from-another-database', 'pre-restore-snapshot', 'jobs', 'clean', 'pre-restore-dir', 'lock-timeout-seconds', 'dry-run'],
  promote: ['provider', ...TOKENS, 'project', 'team', 'target', 'from', 'method', 'reason', 'timeout-seconds', 'dry-run', 'api-url', 'app', 'machines-api-url', 'registry-url', 'environment', 'service', 'site', 'command', 'verify-command'],
  down: ['database-url', 'migrations-dir', 'format', 'migrations-table', 'steps', 'to-version', 'since-ref', 'dry-run', 'snapshot-path', 'require-snapshot', 'lock-timeout-seconds', 'statement-timeout-seconds'],
  smoke: ['base-url', 'checks', 'checks-file', 'database-url', 'attempts', 'interval-seconds', 'backoff', 'timeout-seconds', 'samples', 'max-error-rate', 'max-p95-ms', 'baseline-url', 'bypass-token', 'deadline-seconds', 'confirm-after-seconds', 'verified-sha', 'github-token', 'fail-step', 'dry-run'],
  sandbox: ['database-url', 'dry-run'],
  drill: ['config', 'reason', 'dry-run', 'budget-minutes', 'incident-issue', 'environment', ...TOKENS, 'database-url', ...COMPONENT, ...DATABASE, ...VERIFY],
} satisfies Record<CommandName, string[]>;

/** What `--help` says of flag `name` in `command`. */
export function flagHelp(name: string, command: string): string {
  const flag = FLAGS[name];
  if (!flag) throw new Error(`flag ${name} has no description`);
  return flag.helpFor?.[command] ?? flag.help;
}

/** The flag a person types for input `name`: `--no-clean` for one that is on unless turned off. */
export function flagOf(name: string): string {
  return FLAGS[name]?.kind === 'on' ? `--no-${name}` : `--${name}`;
}
