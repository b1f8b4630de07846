/**
 * Which branch a rollback goes on, never one that is not its own. `rollback/<target>` comes first.
 * The remote may already have a branch of that name that is not this rollback's: an earlier
 * rollback to the same commit kept after its merge (a repository without "Automatically delete
 * head branches"), one made from another commit of the branch, or anyone's own. Then the rollback
 * goes on `rollback/<target>-from-<HEAD>`, a name only this HEAD and target make, and the other
 * branch is left exactly as it is: nothing here ever pushes over a branch.
 */
import { RollbackKitError } from '../../core/errors.js';
import { isAncestor, type Git } from './git.js';
import { revertsTo, rollbackBranch, short } from './merged.js';

export interface BranchChoice {
  name: string;
  /** Set when the remote already has the branch, and it is this rollback's: an earlier run pushed it. */
  pushed?: string;
  /** Branches of the names tried first that are not this rollback's, left alone. */
  passedOver: string[];
}

/**
 * A branch is this rollback's when it holds HEAD and, on top of it, only our reverts back to the
 * target: what an earlier run with the same HEAD and target pushed. An earlier rollback already
 * merged is not (HEAD has moved past it), nor is one made from an older HEAD, nor a hand-made one.
 */
async function isThisRollback(git: Git, tip: string, head: string, target: string): Promise<boolean> {
  if (!(await isAncestor(git, head, tip))) return false;
  const out = await git.run(['log', '-z', '--format=%B', `${head}..${tip}`], 'Reading the commits of the rollback branch');
  const commits = out.split('\0').filter((m) => m.trim());
  return commits.length > 0 && commits.every((m) => revertsTo(m, target));
}

export async function chooseBranch(git: Git, remote: string, head: string, target: string): Promise<BranchChoice> {
  const names = [rollbackBranch(target), rollbackBranch(target, head)];
  const passedOver: string[] = [];
  for (const name of names) {
    const listed = await git.run(['ls-remote', '--heads', remote, `refs/heads/${name}`], `Looking for ${name} on ${remote}`);
    const tip = listed.split(/\s/)[0];
    if (!tip) return { name, passedOver };
    // Its commits, to read them; fetched into FETCH_HEAD only, no branch or remote ref is made.
    await git.run(['fetch', '-q', '--no-tags', remote, `refs/heads/${name}`], `Fetching ${name} from ${remote}`);
    if (await isThisRollback(git, tip, head, target)) return { name, pushed: tip, passedOver };
    passedOver.push(name);
  }
  throw new RollbackKitError(
    `${names.join(' and ')} are already on ${remote} and neither is this rollback's (${short(head)} and, on top of it, only reverts back to ${short(target)}), so no branch is left to push it on. Nothing was pushed.`,
    `See who made them; once nobody needs them, delete them (git push ${remote} --delete <branch>) and re-run.`,
  );
}
