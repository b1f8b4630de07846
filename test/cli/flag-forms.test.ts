// The shared messages name the action's inputs in many forms ("Set format: directory", "pass its
// path in pg-dump-path", "jobs: 4 needs …", "one of steps", "pre-restore-snapshot is false") and
// the runner ($RUNNER_TEMP); each command speaks of its own flags instead, and leaves a plan file's
// keys, a spec's fields, JSON keys, quoted names, paths and SQL as they are.
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COMMAND_FLAGS } from '../../src/cli/flags.js';
import { Terminal } from '../../src/cli/terminal.js';
import { cliWording, wordingFor } from '../../src/cli/wording.js';
import { createTestDatabase } from '../helpers/pg.js';
import { runMain } from './run-main.js';
import { tempDir } from '../helpers/temp-dir.js';

const TEMP = '/var/tmp';
const words = (command: keyof typeof COMMAND_FLAGS) => wordingFor(COMMAND_FLAGS[command], TEMP);

describe('each command names its flags', () => {
  it.each([
    // snapshot
    ['snapshot', 'jobs: 4 needs format: directory (pg_dump dumps in parallel only into a directory). Set format: directory, or leave jobs empty.', '--jobs 4 needs --format directory (pg_dump dumps in parallel only into a directory). Set --format directory, or leave out --jobs.'],
    ['snapshot', "export-tables is set but export-since is empty. Set export-since to the bad deploy's time (ISO 8601).", "--export-tables is set but --export-since is empty. Set --export-since to the bad deploy's time (ISO 8601)."],
    ['snapshot', 'export-since is set but export-tables is empty. List the tables whose new rows to keep, e.g. export-tables: orders, public.payments.', '--export-since is set but --export-tables is empty. List the tables whose new rows to keep, e.g. --export-tables orders, public.payments.'],
    ['snapshot', 'Table public.orders has no column "created_at" to select new rows by. Set export-column to its creation-time column.', 'Table public.orders has no column "created_at" to select new rows by. Set --export-column to its creation-time column.'],
    ['snapshot', 'No pg_dump of version 17 or newer was found; or pass its path in pg-dump-path.', 'No pg_dump of version 17 or newer was found; or pass its path in --pg-dump-path.'],
    ['snapshot', 'Cannot create output-dir /srv/x: permission denied (EACCES). Point output-dir at a writable folder, such as one under $RUNNER_TEMP.', 'Cannot create --output-dir /srv/x: permission denied (EACCES). Point --output-dir at a writable folder, such as one under /var/tmp.'],
    ['snapshot', 'schemas: "Nope" matches no schema; there are public.', '--schemas "Nope" matches no schema; there are public.'],
    ['snapshot', 'exclude-schemas: "old" matches no schema, so it leaves nothing out.', '--exclude-schemas "old" matches no schema, so it leaves nothing out.'],
    // down
    ['down', 'Nothing says which migrations to revert. Give exactly one of steps (how many of the newest), to-version (the last migration to keep) or since-ref (the last good commit).', 'Nothing says which migrations to revert. Give exactly one of --steps (how many of the newest), --to-version (the last migration to keep) or --since-ref (the last good commit).'],
    ['down', 'Inputs steps and to-version conflict: they select migrations in different ways.', '--steps and --to-version conflict: they select migrations in different ways.'],
    ['down', 'steps is 5, but only 2 migration(s) are applied according to schema_migrations. Lower steps, or use to-version to name the last migration to keep.', '--steps is 5, but only 2 migration(s) are applied according to schema_migrations. Lower --steps, or use --to-version to name the last migration to keep.'],
    ['down', 'The migrations folder db/x holds no dbmate migrations. Check migrations-dir and format.', 'The migrations folder db/x holds no dbmate migrations. Check --migrations-dir and --format.'],
    ['down', 'Remove migrations-table, or set format if the migrations belong to another tool.', 'Remove --migrations-table, or set --format if the migrations belong to another tool.'],
    ['down', 'run-down-migrations refuses to change the database without a verified snapshot: snapshot-path is empty. Take one with the snapshot-db action first and pass its path output as snapshot-path (or set require-snapshot: false to go without).', 'rollback-kit down refuses to change the database without a verified snapshot: --snapshot-path is empty. Take one with rollback-kit snapshot first and pass the path it prints as --snapshot-path (or give --no-require-snapshot to go without).'],
    ['down', 'require-snapshot is false: reverting without a verified snapshot to go back to.', '--no-require-snapshot is given: reverting without a verified snapshot to go back to.'],
    ['down', 'migrations-dir nope is not a folder in /srv/app. Check the path (relative to the workspace) and that actions/checkout ran before this step.', '--migrations-dir nope is not a folder in /srv/app. Check the path (relative to the current folder).'],
    // restore
    ['restore', 'restore-db refuses to overwrite db:5432/shop: confirm must be the target database\'s name "shop", got "x". Set confirm: shop to restore over it.', 'rollback-kit restore refuses to overwrite db:5432/shop: --confirm must be the target database\'s name "shop", got "x". Set --confirm shop to restore over it.'],
    ['restore', 'The snapshot holds no rows for public.a (exclude-table-data), so restoring it empties them, and pre-restore-snapshot is false. Set pre-restore-snapshot: true so their rows are kept.', 'The snapshot holds no rows for public.a (exclude-table-data), so restoring it empties them, and --no-pre-restore-snapshot is given. Leave out --no-pre-restore-snapshot so their rows are kept.'],
    ['restore', 'jobs: 4 is not used: the restore runs in one transaction.', '--jobs 4 is not used: the restore runs in one transaction.'],
    // promote
    ['promote', 'Name the release to put back in target (v12).', 'Name the release to put back in --target (v12).'],
    ['promote', 'Check the target and site inputs: target must be a deploy of this site.', 'Check --target and --site: --target must be a deploy of this site.'],
    ['promote', 'Check the vercel-token secret: it may be expired, revoked or empty.', 'Check VERCEL_TOKEN (or --vercel-token): it may be expired, revoked or empty.'],
    ['promote', 'If d1 is the bad deploy, set from to d1: the step then rolls back from it.', 'If d1 is the bad deploy, set --from to d1: the command then rolls back from it.'],
    ['promote', 'Use method: promote to put it into production.', 'Use --method promote to put it into production.'],
    ['promote', 'Raise timeout-seconds or watch the deploy in the Render dashboard; re-running the step is safe.', 'Raise --timeout-seconds or watch the deploy in the Render dashboard; running the command again is safe.'],
    // rollback and drill
    ['rollback', 'Cannot create RUNNER_TEMP /srv/rollback-kit-snapshots: permission denied (EACCES). Point RUNNER_TEMP at a writable folder, such as one under $RUNNER_TEMP.', 'Cannot create the snapshot folder /srv/rollback-kit-snapshots: permission denied (EACCES). Run it from a folder you can write to: its snapshots go into rollback-kit-snapshots there.'],
    ['rollback', 'Dry run: nothing was changed. Run again with dry-run false to do what the plan says.', 'Dry run: nothing was changed. Run again without --dry-run to do what the plan says.'],
    ['rollback', 'Pass database-url from a secret (or set DATABASE_URL), or leave database out of scope.', 'Pass --database-url (or set DATABASE_URL), or leave database out of scope.'],
    ['drill', 'Dry run: readiness only, nothing was changed. Run the drill without dry-run to rehearse the rollback.', 'Dry run: readiness only, nothing was changed. Run the drill without --dry-run to rehearse the rollback.'],
    ['plan', 'inputs: nothing to roll back: no component (provider, project or command) and no database (database-url).', 'flags: nothing to roll back: no component (--provider, --project or --command) and no database (--database-url).'],
    // smoke: a spec's problem quotes its fields, and names the flags it needs
    ['smoke', 'The smoke check spec (input checks) has 1 problem, so nothing was run: line 1, check "a", field "url": is relative, and the base-url input is not set: set it, or write an absolute URL.', 'The smoke check spec (--checks) has 1 problem, so nothing was run: line 1, check "a", field "url": is relative, and --base-url is not set: set it, or write an absolute URL.'],
    ['smoke', 'Input github-token is required with verified-sha: the rollback-kit/verified status is set through the GitHub API.', '--github-token is required with --verified-sha: the rollback-kit/verified status is set through the GitHub API.'],
    ['smoke', 'Set base-url to the deployment the token opens, or leave bypass-token empty.', 'Set --base-url to the deployment the token opens, or leave out --bypass-token.'],
  ] as const)('%s: %s', (command, from, to) => {
    expect(words(command)(from)).toBe(to);
    expect(words(command)(to)).toBe(to);
  });

  it.each([
    // A plan file's problems: its keys, whatever the flags are called.
    ['rollback', 'has 2 problems, so nothing was run: line 5, database: steps and to-version conflict: give exactly one of steps, to-version and since-ref; line 7, budget-minutes: must be a number.'],
    // After a ';' of the problem's own as well: it was "(--method, --migrations-dir, …)", "known fields: --budget-minutes, …".
    ['plan', 'has 2 problems, so nothing was run: line 3, database: is empty; give its fields (method, migrations-dir, …), write database: {} for every default, or remove the key; line 4, foo: unknown top-level field; known fields: budget-minutes, environment, components, database, verify, incident.'],
    // A check spec's fields, quoted names, dotted keys, JSON, paths and URLs.
    ['smoke', 'a GET request cannot have a body: set method (POST, PUT, PATCH)'],
    ['rollback', 'a HEAD response has no body, so this assertion could never pass: use method GET'],
    ['smoke', 'check "slow", field "timeout-seconds": must be a number'],
    ['rollback', 'components.web.project in rollback-kit.yml is required'],
    ['snapshot', '{"output-dir": "/srv/output-dir", "jobs": 4}'],
    ['snapshot', 'wrote /srv/backups/output-dir/shop.dump and https://example.com/export-since'],
    // SQL and a tool's words.
    ['snapshot', 'pg_dump: error: query failed: SELECT format FROM jobs WHERE schemas = 1'],
    ['restore', 'pg_restore: error: input file does not appear to be a valid archive'],
    // A name that is not this command's flag, and a status that happens to be a flag's name.
    ['promote', 'record passes with smoke-test verified-sha so that later rollbacks find one'],
    ['rollback', 'dry-run'],
    ['snapshot', 'Set method: GET'],
    // The plan file's own key, said as such.
    ['rollback', 'if rollback-kit.yml describes another environment, set environment: in it.'],
  ] as const)('%s leaves as it is: %s', (command, text) => {
    expect(words(command)(text)).toBe(text);
  });

  it('a name is rewritten only where the printing command has that flag', () => {
    const text = 'Set format: directory, or leave jobs empty.';
    expect(words('smoke')(text)).toBe(text);
    expect(words('snapshot')(text)).toBe('Set --format directory, or leave out --jobs.');
  });

  it('$RUNNER_TEMP is the temp folder of this machine', () => {
    expect(cliWording('such as one under $RUNNER_TEMP.')).toBe(`such as one under ${tmpdir()}.`);
  });
});

describe('the JSON document', () => {
  afterEach(() => vi.restoreAllMocks());

  it('each string value is worded as a message; keys stay as they are', () => {
    let printed = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((printed += String(chunk)), true));
    const term = new Terminal({ tty: false, color: false, json: true, verbose: false }, (t) => t, words('snapshot'));
    term.json({ 'output-dir': 'jobs: 4 needs format: directory', nested: [{ jobs: 'Set format: directory' }], n: 4, none: null });
    expect(JSON.parse(printed)).toEqual({ 'output-dir': '--jobs 4 needs --format directory', nested: [{ jobs: 'Set --format directory' }], n: 4, none: null });
  });
});

describe('from the command line', () => {
  it('down: which migrations, in flags', async () => {
    const db = await createTestDatabase('rk_cli_forms');
    const run = await runMain(['down'], { cwd: await tempDir('rk-cli-forms-'), env: { DATABASE_URL: db.url } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: Nothing says which migrations to revert. Give exactly one of --steps (how many of the newest), --to-version (the last migration to keep) or --since-ref (the last good commit).');
  });

  it('snapshot: a schema pattern that matches nothing', async () => {
    const db = await createTestDatabase('rk_cli_forms');
    const cwd = await tempDir('rk-cli-forms-');
    const run = await runMain(['snapshot', '--schemas', 'Nope', '--json'], { cwd, env: { DATABASE_URL: db.url } });
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as { error: string }).error).toMatch(/^--schemas "Nope" matches no schema/);
  });
});
