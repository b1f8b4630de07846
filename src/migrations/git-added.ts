/**
 * Which migration files a deploy brought: files added to the migrations folder between a commit
 * and HEAD (`git diff --diff-filter=A`). Needs the history down to that commit in the checkout.
 */
import { RollbackKitError } from '../core/errors.js';
import { runProcess } from '../core/process.js';

const GIT_TIMEOUT_MS = 60_000;

/** Paths relative to `dir` of the files added in `ref..HEAD` below `dir`. */
export async function filesAddedSince(dir: string, ref: string): Promise<Set<string>> {
  // A ref that starts with "-" would be read as an option.
  if (!ref || ref.startsWith('-') || /\s/.test(ref)) {
    throw new RollbackKitError(`Input since-ref "${ref}" is not a git ref.`, 'Pass a commit SHA, tag or branch name: the last good deploy.');
  }
  const git = (args: string[]) => runProcess('git', args, { cwd: dir, timeoutMs: GIT_TIMEOUT_MS, wholeStdout: true }).catch((err: Error) => {
    throw new RollbackKitError(`Cannot run git for since-ref: ${err.message}.`, 'since-ref needs git on the runner and a checkout of the repository.');
  });
  const verify = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  if (verify.code !== 0) {
    const notRepo = /not a git repository/i.test(verify.stderr);
    throw new RollbackKitError(
      notRepo ? `since-ref needs a git checkout, but ${dir} is not in one.` : `since-ref ${ref} is not a commit this checkout knows.`,
      notRepo ? 'Run actions/checkout before this step.' : 'Check the ref; a shallow clone lacks older commits: use actions/checkout with fetch-depth: 0.',
    );
  }
  // Whole (wholeStdout above): a migration left out of the list would be left applied.
  const diff = await git(['diff', '--diff-filter=A', '--name-only', '--relative', '-z', `${ref}..HEAD`, '--', '.']);
  if (diff.code !== 0) {
    throw new RollbackKitError(`git diff ${ref}..HEAD failed: ${diff.stderr.trim()}.`, 'Check since-ref and that the checkout has the history (fetch-depth: 0).');
  }
  return new Set(diff.stdout.split('\0').filter(Boolean));
}
