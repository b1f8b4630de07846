// The shared code's messages are written for a workflow: "this action (method: promote, …)",
// "actions/checkout with fetch-depth: 0", "pass secrets.GITHUB_TOKEN", "grant the job permissions",
// "the job summary", "this job", "re-run the step", "the runner". At a terminal there is no action,
// job, step or runner: each is said as what a person types there. Each message below is the
// library's own text, as the command that prints it rewords it; and no CI-only word is left.
import { describe, expect, it } from 'vitest';
import { COMMAND_FLAGS } from '../../src/cli/flags.js';
import { wordingFor } from '../../src/cli/wording.js';
import { GIT_REVERT_NEEDS } from '../../src/pipeline/git-revert-access.js';
import { parsePlanFile } from '../../src/pipeline/plan-file.js';

const CI_ONLY = /Re-run jobs|push the fix|this action\b|actions\/checkout|fetch-depth|secrets\.|\bthe job\b|\bthis job\b|job summary|\bthe step\b|\bthis step\b|\brunners?\b|GitHub Actions/;

const cases: [keyof typeof COMMAND_FLAGS, string, string][] = [
  // src/platforms/vercel/rollback.ts: printed by sandbox, drill --sandbox, rollback and promote.
  ...(['sandbox', 'drill', 'rollback', 'promote'] as const).map((command): [keyof typeof COMMAND_FLAGS, string, string] => [
    command,
    'When a fixed deployment is ready, promote it with this action (method: promote, target: <deployment id>), or run `vercel promote <deployment>`.',
    'When a fixed deployment is ready, promote it with `rollback-kit promote --method promote --target <deployment id>`, or run `vercel promote <deployment>`.',
  ]),
  // src/migrations/git-added.ts, planner.ts; src/platforms/git-revert/*.ts
  ['down', 'Run actions/checkout before this step.', 'Run it in a clone of the repository.'],
  ['down', 'Check the ref; a shallow clone lacks older commits: use actions/checkout with fetch-depth: 0.', 'Check the ref; a shallow clone lacks older commits: fetch the whole history (git fetch --unshallow).'],
  ['down', 'Check since-ref and that the checkout has the history (fetch-depth: 0).', 'Check --since-ref and that the checkout has the history (git fetch --unshallow).'],
  [
    'rollback',
    'Check out the commit that was deployed (the one that brought those files, with their down SQL; actions/checkout with ref: <that commit> and fetch-depth: 0) and keep since-ref at the last good commit.',
    'Check out the commit that was deployed (the one that brought those files, with their down SQL; git checkout <that commit>, with the whole history) and keep --since-ref at the last good commit.',
  ],
  ['promote', 'Run actions/checkout with fetch-depth: 0 before this step.', 'Run it in a clone of the repository with its whole history (git fetch --unshallow).'],
  ['promote', 'Check the SHA, and run actions/checkout with fetch-depth: 0 so the whole history is there.', 'Check the SHA, and fetch the whole history (git fetch --unshallow) so it is there.'],
  ['promote', 'Give the commit to go back to as target (its SHA), and check out with fetch-depth: 0.', 'Give the commit to go back to as --target (its SHA), and fetch the whole history (git fetch --unshallow).'],
  ['promote', 'since-ref needs git on the runner and a checkout of the repository.', 'since-ref needs git on this machine and a checkout of the repository.'],
  // GitHub tokens and permissions: src/platforms/git-revert/pulls.ts, src/report/incident.ts, drill-issue.ts, src/github/commit-status.ts
  ['promote', 'Pass secrets.GITHUB_TOKEN or a token that is still valid.', 'Export a GITHUB_TOKEN that is still valid (or give --github-token).'],
  ['drill', 'The github-token was rejected: pass secrets.GITHUB_TOKEN.', 'The --github-token was rejected: export GITHUB_TOKEN (or give --github-token).'],
  ['promote', 'Grant the job permissions contents: write and pull-requests: write.', 'Use a token with contents: write and pull-requests: write.'],
  ['smoke', 'Grant the job permissions: statuses: write.', 'Use a token with statuses: write.'],
  ['rollback', 'The token may not write issues: grant the job `permissions: issues: write` (a fine-grained token needs Issues: read and write).', 'The token may not write issues: use a token with issues: write (a fine-grained token needs Issues: read and write).'],
  ['drill', 'Grant the job `permissions: issues: write`.', 'Use a token with issues: write.'],
  ['smoke', 'Check that the commit was pushed to this repository and that github-token can read it (secrets.GITHUB_TOKEN of this repository).', 'Check that the commit was pushed to this repository and that --github-token can read it.'],
  [
    'smoke',
    'Input github-token is required with verified-sha: the rollback-kit/verified status is set through the GitHub API. Pass github-token: ${{ secrets.GITHUB_TOKEN }} and grant the job permissions: statuses: write.',
    '--github-token is required with --verified-sha: the rollback-kit/verified status is set through the GitHub API. Pass --github-token (or export GITHUB_TOKEN) and use a token with statuses: write.',
  ],
  ['smoke', 'verified-sha needs the repository of the commit, and GITHUB_REPOSITORY is not set. Run the step in GitHub Actions, which sets GITHUB_REPOSITORY.', '--verified-sha needs the repository of the commit, and GITHUB_REPOSITORY is not set. Set GITHUB_REPOSITORY to the repository (owner/name).'],
  ['promote', 'GITHUB_REPOSITORY must look like owner/name; got "x". Run the step in GitHub Actions, or set GITHUB_REPOSITORY.', 'GITHUB_REPOSITORY must look like owner/name; got "x". Set GITHUB_REPOSITORY to the repository (owner/name).'],
  [
    'promote',
    'Pass github-token: ${{ secrets.GITHUB_TOKEN }} (permissions: statuses: read) and run in GitHub Actions (GITHUB_REPOSITORY).',
    'Pass --github-token (or export GITHUB_TOKEN) (a token with statuses: read) and set GITHUB_REPOSITORY to the repository (owner/name).',
  ],
  // The job summary, the job: src/report/drill-issue.ts, src/pipeline/rollback.ts
  ['drill', "The drill's result is in the job summary; the next drill's trend will miss this one.", "The drill's result is printed above; the next drill's trend will miss this one."],
  ['rollback', 'An earlier job of this rollback failed in its app phase: x. Its job summary says what to do; this job only verified production.', 'An earlier job of this rollback failed in its app phase: x. Its output said what to do; this run only verified production.'],
  [
    'rollback',
    'The SQL checks a, b were not run, because this job had no database connection: run them by hand, or give the job database-url (the DATABASE_URL secret).',
    'The SQL checks a, b were not run, because this run had no database connection: run them by hand, or give --database-url (or export DATABASE_URL).',
  ],
  // In a workflow's `run:` step the command is in a job, and a re-run of it is one: src/migrations/rerun.ts
  ['down', 'With steps, a re-run of this job finishes this plan (the run recorded it).', 'With steps, a re-run of this job finishes this plan (the run recorded it).'],
  // A failed down migration: src/migrations/run-failure.ts. A command reads the fixed file at once; only a job's re-run would not.
  [
    'down',
    "If the down SQL is wrong, fix it in 002_b.sql, push the fix and start a new run: Re-run jobs checks out the same commit and would run the same SQL again. If something else blocks it (PostgreSQL's message above), fix that and re-run: the run continues from this migration.",
    "If the down SQL is wrong, fix it in 002_b.sql and run the command again. If something else blocks it (PostgreSQL's message above), fix that and run the command again: it continues from this migration.",
  ],
  // The same, for a `steps` plan no run recorded (src/migrations/rerun.ts): the same command would count again, so each says with what.
  [
    'down',
    "If the down SQL is wrong, fix it in 002_b.sql, push the fix and start a new run with `steps: 2`: Re-run jobs checks out the same commit and would run the same SQL again. If something else blocks it (PostgreSQL's message above), fix that and start a new run with `steps: 2`: the run continues from this migration.",
    "If the down SQL is wrong, fix it in 002_b.sql and run the command again with `--steps 2`. If something else blocks it (PostgreSQL's message above), fix that and run the command again with `--steps 2`: it continues from this migration.",
  ],
  ['down', 'Start a new run with `to-version: 001` to finish the plan: it goes on from this migration.', 'Run the command again with `--to-version 001` to finish the plan: it goes on from this migration.'],
  // With the whole command `down` put there (src/cli/commands/database.ts): a stop partway, Ctrl-C.
  ['down', 'Start a new run with `rollback-kit down --steps 2 --yes` to finish the plan: it goes on from this migration.', 'Run `rollback-kit down --steps 2 --yes` to finish the plan: it goes on from this migration.'],
  ['down', 'Start a new run with `steps: 2` when it is gone, or raise lock-timeout-seconds.', 'Run the command again with `--steps 2` when it is gone, or raise --lock-timeout-seconds.'],
  ['rollback', "Fix what blocks that read (PostgreSQL's message above) and re-run: the run continues from this migration.", "Fix what blocks that read (PostgreSQL's message above) and run the command again: it continues from this migration."],
  // The restore after a failed database phase: src/pipeline/rollback.ts. Said once, not again as its action's form reworded into the same command.
  [
    'rollback',
    'Or, to put the database back as it was before this run, restore that snapshot: "rollback-kit restore --snapshot-path /srv/s/shop-before.dump" (or restore-db with snapshot-path: /srv/s/shop-before.dump).',
    'Or, to put the database back as it was before this run, restore that snapshot: "rollback-kit restore --snapshot-path /srv/s/shop-before.dump".',
  ],
  // Steps: src/db/restore.ts, src/platforms/*
  ['restore', 'Run the step again when it can run to its end.', 'Run the command again when it can run to its end.'],
  ['promote', 'Once production serves dpl_1, running the step again reports already-current.', 'Once production serves dpl_1, running the command again reports already-current.'],
  ['promote', 'Vercel did not answer a request (api.vercel.com) before the step\'s deadline: timeout-seconds (180 s) ran out.', 'Vercel did not answer a request (api.vercel.com) before the command\'s deadline: --timeout-seconds (180 s) ran out.'],
  ['promote', 'The checkout has uncommitted changes, so the revert cannot start from a clean state. Run this step on a fresh checkout.', 'The checkout has uncommitted changes, so the revert cannot start from a clean state. Run this command on a fresh checkout.'],
  // The runner: src/platforms/http/errors.ts, vercel/errors.ts, command/run.ts, git-revert/git.ts, src/db/session.ts
  ['promote', 'Check the runner network and api-url. Re-running the step is safe.', "Check this machine's network and --api-url. Running the command again is safe."],
  ['promote', 'The runner needs bash and coreutils timeout (Linux runners have both).', 'This machine needs bash and coreutils timeout (Linux has both).'],
  ['promote', 'Could not run git: spawn git ENOENT. Install git on the runner.', 'Could not run git: spawn git ENOENT. Install git on this machine.'],
  ['snapshot', 'Cannot reach PostgreSQL at db.example.com:5432/x: no answer (ETIMEDOUT). Check the host, port and firewall; GitHub-hosted runners reach only IPv4 addresses.', 'Cannot reach PostgreSQL at db.example.com:5432/x: no answer (ETIMEDOUT). Check the host, port and firewall.'],
  ['rollback', 'The snapshot to restore (x.dump) does not exist on this runner. Download the artifact that holds it first, or check snapshot-path.', 'The snapshot to restore (x.dump) does not exist on this machine. Download the artifact that holds it first, or check --snapshot-path.'],
  // Files a step writes from a secret: src/db/connection.ts
  ['snapshot', 'Write the file to that path in an earlier step of the job (from a secret), or fix the sslrootcert parameter.', 'Write the file to that path, or fix the sslrootcert parameter.'],
  ['snapshot', 'Use an unencrypted key file (written from a secret in an earlier step) in sslkey.', 'Use an unencrypted key file in sslkey.'],
  // The plan file and the checks file: src/pipeline/plan-source.ts, src/smoke/smoke-test.ts
  [
    'rollback',
    'The rollback plan x.yml (input config) does not exist in the workspace. Check the path (relative to the repository root; in a workflow, that actions/checkout ran first).',
    'The rollback plan x.yml (--config) does not exist in the current folder. Check the path (relative to the current folder).',
  ],
  [
    'smoke',
    'Cannot read checks-file "x.yml": no such file. The path is relative to the workspace (on the command line, the current directory); in a workflow, check out the repository first (actions/checkout).',
    'Cannot read --checks-file "x.yml": no such file. The path is relative to the current folder.',
  ],
];

describe('workflow words at a terminal', () => {
  it.each(cases)('%s: %s', (command, from, to) => {
    const words = wordingFor(COMMAND_FLAGS[command], '/tmp');
    expect(words(from)).toBe(to);
    if (!to.includes('re-run of this job')) expect(to).not.toMatch(CI_ONLY);
  });

  it('a secret found in the plan says where secrets go at a terminal, not "the root action\'s --from secrets (…, --database-url, …)"', () => {
    let message = '';
    try {
      parsePlanFile('components:\n  web: { provider: vercel, project: shop, token: vcp_AbCdEfGh1234567890abcdefGHIJ }\n');
    } catch (err) {
      message = (err as Error).message;
    }
    const to = wordingFor(COMMAND_FLAGS.plan, '/tmp')(message);
    expect(to).toContain(
      'Secrets never go in the rollback plan (it is committed); export them (VERCEL_TOKEN, FLY_API_TOKEN, RAILWAY_TOKEN, RENDER_API_KEY, NETLIFY_AUTH_TOKEN, GITHUB_TOKEN, DATABASE_URL, ROLLBACK_WEBHOOK_URL) or give them as flags (rollback-kit --help lists both), and rotate this one: it is in your git history',
    );
    expect(to).not.toMatch(/root action|--from|secrets \(/);
  });

  it('a git-revert component’s push refusal says what a clone needs, not what a job must grant', () => {
    const to = wordingFor(COMMAND_FLAGS.rollback, '/tmp')(`web (git-revert) could not push its revert branch from this checkout: denied. Nothing was changed. ${GIT_REVERT_NEEDS}`);
    expect(to).toContain('web (git-revert) could not push its revert branch from this checkout: denied. Nothing was changed. ');
    expect(to).toContain('push access to the repository from this clone');
    expect(to).not.toMatch(CI_ONLY);
  });
});
