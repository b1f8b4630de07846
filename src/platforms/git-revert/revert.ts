/**
 * git-revert: undo the commits after the last good one on a new branch `rollback/<short-sha>`
 * (branch.ts: another name when that one is taken by a branch not this rollback's), push it, and
 * open a pull request whose merge redeploys the good code. Either all of that happens or nothing
 * is pushed: a conflict stops with the commit named and the checkout restored. A run started by a
 * deployment event never reverts from a HEAD that is (the merge of) a rollback, whatever from and
 * target say (the rollback cascade: notPutBackAgain).
 */
import { RollbackKitError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import { inlineText } from '../../report/markdown.js';
import type { ChangeGuard } from '../change-guard.js';
import { notPutBackAgain } from '../outcome.js';
import { chooseBranch } from './branch.js';
import { isAncestor, openGit, type Git } from './git.js';
import { mergedRollback, mergedRollbackTo, readRollback, rollbackBranch, rollbackTitle, rollbackTrailers, short, undoneOnHead } from './merged.js';
import { parseRepository, pullRequests } from './pulls.js';

export interface GitRevertOptions {
  /** The checkout (GITHUB_WORKSPACE). */
  repoDir: string;
  /**
   * Last good commit (SHA or tag), or "previous" for the first parent of HEAD; but when HEAD is
   * (the merge of) a rollback, nothing is done: its first parent is the code it rolled back from.
   */
  target: string;
  /** The bad commit: when HEAD no longer contains it, or no longer has its changes, nothing is done. */
  from?: string;
  reason?: string;
  dryRun: boolean;
  githubToken: string;
  /** owner/name (GITHUB_REPOSITORY). */
  repository: string;
  /** GITHUB_API_URL. */
  apiUrl: string;
  /** Used when the checkout is on a detached HEAD (GITHUB_REF_NAME). */
  baseBranch?: string;
  remote?: string;
  timeoutSeconds: number;
  /** Started by a deployment event, not a person: a HEAD that is a rollback is never reverted from (notPutBackAgain). */
  automatic?: boolean;
  /**
   * The run's stop (change-guard.ts): every git command and GitHub request ends at it. The push
   * and the pull request are the changes: after the stop neither starts; one started counts as
   * sent (the guard's "sent, not confirmed": ended mid-way, it may have landed), and a re-run
   * continues from what it finds (branch.ts: a pushed branch of this rollback gets its pull request).
   */
  stop?: ChangeGuard;
}

export interface GitRevertResult {
  status: 'rolled-back' | 'already-current' | 'dry-run';
  fromSha: string;
  toSha: string;
  branch?: string;
  pullRequestUrl?: string;
  reverted: { sha: string; subject: string }[];
  notes: string[];
  /**
   * When HEAD is (the merge of) a rollback to the target: the HEAD that rollback was made from, as
   * its commits say. The run that made it saw that commit in production; a re-run names the
   * incident by it too (the whole rollback's incidentKey).
   */
  rolledBackFrom?: string;
  /** An automatic run found HEAD to be (the merge of) a rollback, and left it (notPutBackAgain). */
  putThereByRollback?: boolean;
}

/** A revision the user named: a SHA or a ref name, never something git could read as an option. */
function checkRevision(raw: string, input: 'target' | 'from'): string {
  const value = raw.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._/~^-]*$/.test(value) || value.includes('..')) {
    throw new RollbackKitError(`Input ${input} must be a commit SHA or tag for provider git-revert; got "${raw}".`, 'Give the SHA of the last good commit.');
  }
  return value;
}

async function resolveCommit(git: Git, rev: string, input: 'target' | 'from'): Promise<string> {
  const r = await git.try(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  if (r.code !== 0) {
    throw new RollbackKitError(`Commit ${rev} (input ${input}) is not in the checkout.`, 'Check the SHA, and run actions/checkout with fetch-depth: 0 so the whole history is there.');
  }
  return r.stdout.trim();
}

export async function revertWithPullRequest(opts: GitRevertOptions, log: Log): Promise<GitRevertResult> {
  log.secret(opts.githubToken);
  const remote = opts.remote ?? 'origin';
  const previous = opts.target.trim().toLowerCase() === 'previous';
  const targetRev = previous ? undefined : checkRevision(opts.target, 'target');
  const fromRev = opts.from ? checkRevision(opts.from, 'from') : undefined;
  const repo = parseRepository(opts.repository);
  const git = await openGit(opts.repoDir, log, opts.timeoutSeconds * 1000, opts.stop);

  const head = await resolveCommit(git, 'HEAD', 'target');
  const given = targetRev ? await resolveCommit(git, targetRev, 'target') : undefined;
  const base = (await git.try(['symbolic-ref', '--short', '-q', 'HEAD'])).stdout.trim() || opts.baseBranch;
  if (!base) throw new RollbackKitError('The checkout is on a detached HEAD and no branch is known to open the pull request against.', 'Check out the branch that deploys production (actions/checkout with ref: main).');
  const notes: string[] = [];
  /** Nothing to do; `toSha` is the commit whose code the branch already has. */
  const done = (note: string, toSha: string, rolledBackFrom?: string): GitRevertResult => {
    log.info(note);
    return { status: 'already-current', fromSha: head, toSha, reverted: [], notes: [note], rolledBackFrom };
  };

  if (fromRev) {
    const from = await resolveCommit(git, fromRev, 'from');
    if (!(await isAncestor(git, from, head))) return done(`${base} (${short(head)}) does not contain ${short(from)}: nothing to revert.`, head);
    // A rollback already merged: reverting again from HEAD would revert the revert too.
    const undone = await undoneOnHead(git, from, head);
    if (undone) return done(`${base} (${short(head)}) no longer has the changes of ${short(from)}: ${undone}. Nothing to revert.`, head);
  }
  // The rollback cascade (vercel/rollback.ts): the merge of a rollback deploys, that deploy fails
  // its checks for an outage that is not the code's, and an automatic run would revert again,
  // commit by commit. A person may go further back with a target ("previous" from a rollback's
  // merge is the code it rolled back from). What HEAD says of itself: its messages name our
  // rollback (trailers, title, branch), or its files are exactly an older commit's again.
  const rollback = opts.automatic ? await readRollback(git, head) : undefined;
  if (rollback) {
    const { names, found } = rollback;
    const how = names.length
      ? `${base} is the merge of rollback-kit's rollback to ${short(found?.target ?? names[0]!)}${found?.from ? `, made from ${short(found.from)}` : ''}`
      : `${base} has exactly the files of ${short(found!.target)} again, which only a rollback (or a revert by hand) makes`;
    const note = notPutBackAgain(short(head), how, "your hosting platform's status page", { fromGoesFurther: false, fromNamesIt: !!fromRev });
    log.warning(note);
    return { status: 'already-current', fromSha: head, toSha: found?.target ?? head, reverted: [], notes: [note], rolledBackFrom: found?.from, putThereByRollback: true };
  }
  let target: string;
  if (given) {
    // Reached by a rollback merged since, also when other commits landed before the merge: a
    // rollback again would revert the rollback's own reverts and those commits.
    const merged = await mergedRollbackTo(git, head, given);
    if (merged) return done(`${base} already holds the rollback to ${short(given)} (merged as ${short(head)}): nothing to revert.`, given, merged.from);
    target = given;
  } else {
    // HEAD^ of a merged rollback is the code it rolled back from (or, after a rebase merge, one of
    // its reverts): a rollback to it would ship that code again.
    const restored = await mergedRollback(git, head, base);
    if (restored) {
      return done(
        `${base} already holds the rollback to ${short(restored.target)} (merged as ${short(head)}): going back one commit from there would undo the rollback and ship the rolled-back code again, so target previous changes nothing. To go further back, give target: <SHA of the commit to go back to>.`,
        restored.target,
        restored.from,
      );
    }
    target = await resolveCommit(git, 'HEAD^', 'target');
  }
  if (!(await isAncestor(git, target, head))) {
    throw new RollbackKitError(`Commit ${short(target)} is not an ancestor of ${base} (${short(head)}): there is no range to revert.`, 'Give a commit from the history of the deployed branch as target.');
  }
  if ((await git.try(['diff', '--quiet', target, head])).code === 0) {
    return done(`${base} (${short(head)}) already has the same files as ${short(target)}: nothing to revert.`, target);
  }
  if ((await git.run(['status', '--porcelain', '--untracked-files=no'], 'Checking the working tree')) !== '') {
    throw new RollbackKitError('The checkout has uncommitted changes, so the revert cannot start from a clean state.', 'Run this step on a fresh checkout.');
  }

  // First-parent history: a merged pull request is reverted as one commit (-m 1), not twice.
  const log_ = await git.run(['log', '--first-parent', '--format=%H%x09%P%x09%s', `${target}..${head}`], 'Listing the commits to revert');
  const commits = log_
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [sha, parents, ...subject] = line.split('\t');
      return { sha: sha!, merge: (parents ?? '').trim().split(' ').length > 1, subject: subject.join('\t') };
    });
  const planned = rollbackBranch(target);
  log.info(`Plan: revert ${commits.length} commit(s) on ${base} back to ${short(target)}, on branch ${planned}, and open a pull request:`);
  for (const c of commits) log.info(`  revert ${short(c.sha)} ${c.subject}`);
  const reverted = commits.map(({ sha, subject }) => ({ sha, subject }));
  if (opts.dryRun) {
    return { status: 'dry-run', fromSha: head, toSha: target, branch: planned, reverted, notes: [`Dry run: nothing was changed. A real run would revert ${commits.length} commit(s) on ${planned}.`] };
  }

  const prs = pullRequests(opts.githubToken, opts.apiUrl, repo, {}, opts.stop);
  await prs.checkAccess();
  const chosen = await chooseBranch(git, remote, head, target);
  const branch = chosen.name;
  for (const name of chosen.passedOver) {
    // A pull request still open from it (a rollback made from an older HEAD) would not revert
    // what the branch has had since: whoever merges must know which one is this rollback.
    const pull = await prs.latest(name);
    notes.push(
      pull?.state === 'open'
        ? `${name} on ${remote} is not this rollback's (it was made from another commit of ${base}, or by hand), and its pull request ${pull.url} is still open: it is left as it is, and this rollback uses ${branch}. Merge this rollback's pull request, not ${pull.url}, and close that one.`
        : `${name} on ${remote} is not this rollback's (an earlier rollback's, already merged or closed, or made from another commit of ${base}): it is left as it is, and this rollback uses ${branch}.`,
    );
    log.warning(notes.at(-1)!);
  }
  if (chosen.pushed) {
    // An earlier run with this HEAD and target pushed it: its pull request is this rollback's,
    // open, or opened now (that run stopped first, or someone closed it).
    const earlier = await prs.latest(branch);
    if (earlier?.state === 'open') {
      notes.unshift(`Branch ${branch} was already pushed; its pull request is ${earlier.url}.`);
      log.info(notes[0]!);
      return { status: 'already-current', fromSha: head, toSha: target, branch, pullRequestUrl: earlier.url, reverted, notes };
    }
    const pr = await prs.open(pullRequest(branch, base, target, head, reverted, opts.reason, log));
    notes.unshift(
      earlier?.state === 'closed'
        ? `Branch ${branch} was already pushed by an earlier run; its pull request ${earlier.url} was closed without merging, so this run opened ${pr.url}. If the rollback was closed on purpose, close this one too.`
        : `Branch ${branch} was already pushed by an earlier run; opened its pull request ${pr.url}.`,
    );
    log.info(notes[0]!);
    return { status: 'rolled-back', fromSha: head, toSha: target, branch, pullRequestUrl: pr.url, reverted, notes };
  }

  await git.run(['checkout', '-q', '-b', branch], `Creating branch ${branch}`);
  try {
    for (const c of commits) {
      // An empty commit ("redeploy") has nothing to undo, and git revert refuses it.
      if ((await git.try(['diff', '--quiet', `${c.sha}^1`, c.sha])).code === 0) {
        log.info(`  ${short(c.sha)} changes no file: nothing to revert.`);
        continue;
      }
      const r = await git.try(['revert', '--no-edit', ...(c.merge ? ['-m', '1'] : []), c.sha]);
      if (r.code !== 0) {
        const files = (await git.try(['diff', '--name-only', '--diff-filter=U'])).stdout.trim().split('\n').filter(Boolean);
        // git ends with "Aborting" / "fatal: revert failed"; the cause is in the lines before.
        const said = log.redact(
          (r.stderr + r.stdout)
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l && !/^(hint:|Aborting$|fatal: revert failed)/.test(l))
            .slice(0, 4)
            .join(' ') || 'git revert failed',
        );
        await git.try(['revert', '--abort']);
        throw new RollbackKitError(
          `Reverting ${short(c.sha)} ("${c.subject}") failed${files.length ? ` with conflicts in ${files.join(', ')}` : ''}: ${said}. Nothing was pushed and the checkout is back on ${base}.`,
          'Revert that commit by hand, or roll back the deployment with provider vercel or command.',
        );
      }
      // The trailers name the target and this HEAD, so that a re-run after the merge knows the
      // rollback and the incident it belongs to (merged.ts).
      // --no-verify: the project's own commit hooks have no say over a message we only add lines to.
      const message = await git.run(['log', '-1', '--format=%B'], `Reading the revert of ${short(c.sha)}`);
      await git.run(['commit', '--amend', '-q', '--no-verify', '-m', `${message}\n\n${rollbackTrailers(target, head)}`], `Marking the revert of ${short(c.sha)}`);
    }
    if ((await git.try(['diff', '--quiet', target, 'HEAD'])).code !== 0) {
      const warning = `After the reverts, ${branch} still differs from ${short(target)} (changes that did not come through ${base}'s first-parent history); review the pull request.`;
      log.warning(warning);
      notes.push(warning);
    }
    await git.change(['push', '-q', remote, `refs/heads/${branch}:refs/heads/${branch}`], `Pushing ${branch} to ${remote}`, `git push of ${branch} to ${remote}`);
  } catch (err) {
    // A revert the stop ended mid-way is undone before the checkout goes back to the branch.
    if (opts.stop?.stopped) await git.cleanUp(['revert', '--abort']);
    await git.cleanUp(['checkout', '-q', '-f', base]);
    await git.cleanUp(['branch', '-D', branch]);
    throw err;
  }
  await git.cleanUp(['checkout', '-q', base]);

  let url: string;
  try {
    url = (await prs.open(pullRequest(branch, base, target, head, reverted, opts.reason, log))).url;
  } catch (err) {
    // Leave nothing behind that looks like a rollback in progress; but after the stop nothing more
    // is pushed: the pushed branch is this rollback's, and a re-run opens its pull request.
    if (!opts.stop?.stopped) await git.try(['push', '-q', remote, '--delete', branch]).catch(() => undefined);
    await git.cleanUp(['branch', '-D', branch]);
    throw err;
  }
  notes.unshift(`Opened ${url}: merging it reverts ${commits.length} commit(s) and deploys ${short(target)}'s code again.`);
  log.info(notes[0]!);
  return { status: 'rolled-back', fromSha: head, toSha: target, branch, pullRequestUrl: url, reverted, notes };
}

/**
 * The pull request as GitHub shows it to everyone with access to the repository: the reason and
 * the commit subjects are outside text, redacted (the title's before it is cut). In the body they
 * are Markdown made inert (inlineText): a `@name` or `@org/team` in them would otherwise ping
 * people, and their Markdown would be rendered. Redacted before they are escaped, as an escaped
 * secret no longer reads as itself.
 */
function pullRequest(branch: string, base: string, target: string, head: string, reverted: { sha: string; subject: string }[], reason: string | undefined, log: Pick<Log, 'excerpt' | 'redact'>) {
  const subjects = reverted.map((c) => ({ sha: c.sha, subject: log.redact(c.subject) }));
  return { branch, base, title: title(target, reason, log), body: log.redact(body(target, head, subjects, reason === undefined ? undefined : log.redact(reason))) };
}

/** A title is one line: the first line of the reason, cut to a readable length. */
function title(target: string, reason: string | undefined, log: Pick<Log, 'excerpt'>): string {
  const first = (reason ?? '').split('\n')[0]!.trim();
  const cut = log.excerpt(first, 100);
  return `${rollbackTitle(target)}${cut ? `: ${cut}` : ''}`;
}

function body(target: string, head: string, reverted: { sha: string; subject: string }[], reason?: string): string {
  return [
    `Reverts production to ${target} (from ${head}).`,
    '',
    `**Reason:** ${reason ? inlineText(reason) : 'not given'}`,
    '',
    '**Reverted commits** (newest first):',
    ...reverted.map((c) => `- ${c.sha} ${inlineText(c.subject)}`),
    '',
    'Opened by rollback-kit promote-previous (provider git-revert).',
  ].join('\n');
}
