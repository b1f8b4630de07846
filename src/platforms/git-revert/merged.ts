/**
 * What the deployed branch's history says about rollbacks already merged, so that a re-run never
 * undoes one: a HEAD that is (the merge of) a rollback, for target previous and for an explicit
 * target it already reached, and a `from` commit whose changes are already gone. Each read stops
 * at the newest HISTORY_LIMIT commits, and every git command is bounded by the step's timeout (openGit).
 */
import { RollbackKitError } from '../../core/errors.js';
import type { Git } from './git.js';

/** A merged rollback and the target it restored sit among the newest commits of the branch. */
export const HISTORY_LIMIT = 100;

/** Every revert commit of ours ends with these trailers, naming the target and the HEAD it was made from in full (rollbackTrailers). */
const TARGET_TRAILER = 'Rollback-kit-target';
const FROM_TRAILER = 'Rollback-kit-from';

export const short = (sha: string): string => sha.slice(0, 7);

/**
 * The branch and the pull request title name the target by its short SHA; mergedRollback reads
 * them back. With `from` (the HEAD the rollback is made from), the name no earlier rollback to the
 * same target can have taken (branch.ts).
 */
export const rollbackBranch = (target: string, from?: string): string => `rollback/${short(target)}${from ? `-from-${short(from)}` : ''}`;
export const rollbackTitle = (target: string): string => `Rollback to ${short(target)}`;

/**
 * Appended to each revert's message: they survive a merge commit and a rebase merge (the commits
 * themselves), and a squash merge whose message lists the commit messages (GitHub's default). The
 * target says which rollback it is; `from`, what production ran when it was made: a re-run after
 * the merge names the incident by it, as the run that made the rollback did.
 */
export const rollbackTrailers = (target: string, from: string): string => `${TARGET_TRAILER}: ${target}\n${FROM_TRAILER}: ${from}`;

/** Whether a commit message is one of our reverts back to `target`. */
export const revertsTo = (message: string, target: string): boolean => new RegExp(`^${TARGET_TRAILER}: ${target}[ \\t]*$`, 'm').test(message);

/**
 * The targets a merged rollback's messages name, each a full or a 7-character SHA. The shapes are
 * anchored at a line's start, so a revert of our rollback (`Revert "Rollback to …"`, GitHub's
 * branch `revert-5-rollback/…`) names none: its HEAD is not a rollback.
 * - the trailer of our revert commits;
 * - the pull request title, the subject of a squash merge and the body of GitHub's merge commit;
 * - GitHub's merge commit subject, `Merge pull request #5 from owner/rollback/<short>[-from-<short>]`.
 */
function namedTargets(text: string): string[] {
  const shapes = [
    new RegExp(`^${TARGET_TRAILER}: ([0-9a-f]{40})[ \\t]*$`, 'gm'),
    /^Rollback to ([0-9a-f]{7})(?=[: ]|$)/gm,
    /^Merge pull request #\d+ from [^/\s]+\/rollback\/([0-9a-f]{7})(?:-from-[0-9a-f]{7})?[ \t]*$/gm,
  ];
  return shapes.flatMap((shape) => [...text.matchAll(shape)].map((m) => m[1]!));
}

/** The HEAD a rollback to `target` was made from: the from trailer right under its target trailer. */
function namedFrom(text: string, target: string): string | undefined {
  return new RegExp(`^${TARGET_TRAILER}: ${target}[ \\t]*\\n${FROM_TRAILER}: ([0-9a-f]{40})[ \\t]*$`, 'm').exec(text)?.[1];
}

interface Commit {
  sha: string;
  tree: string;
}

/** HEAD and its first parents, newest first. */
async function firstParents(git: Git, head: string): Promise<Commit[]> {
  const out = await git.run(['log', '--first-parent', `-n${HISTORY_LIMIT}`, '--format=%H %T', head], 'Reading the branch history');
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [sha, tree] = line.split(' ');
      return { sha: sha!, tree: tree! };
    });
}

/** The full messages of the commits in `range`, newest first, each with its SHA. */
async function messages(git: Git, range: string): Promise<{ sha: string; message: string }[]> {
  const out = await git.run(['log', '-z', `-n${HISTORY_LIMIT}`, '--format=%H%n%B', range], 'Reading the commit messages');
  return out
    .split('\0')
    .filter(Boolean)
    .map((record) => {
      const at = record.indexOf('\n');
      return { sha: record.slice(0, at < 0 ? undefined : at).trim(), message: at < 0 ? '' : record.slice(at + 1) };
    });
}

/**
 * The nearest older first-parent commit whose files HEAD has again, exactly, while HEAD^ has other
 * files: what a rollback whose messages were rewritten (a squash with a blank or edited message)
 * still shows. Not when a commit in between had the files of a commit older still: HEAD then
 * undoes that restore (a re-land after a rollback), which a new rollback may well undo.
 */
function restoredAncestor(history: Commit[]): string | undefined {
  const [head, parent] = history;
  if (!head || !parent || parent.tree === head.tree) return undefined;
  const at = history.findIndex((c, i) => i >= 2 && c.tree === head.tree);
  if (at < 0) return undefined;
  const older = new Set(history.slice(at + 1).map((c) => c.tree));
  if (history.slice(1, at).some((c) => older.has(c.tree))) return undefined;
  return history[at]!.sha;
}

/** A rollback merged on the branch: the commit whose code it restored, and the HEAD it was made from when its commits say. */
export interface MergedRollback {
  target: string;
  from?: string;
}

/**
 * What HEAD says of itself as a rollback: the targets its message names (with a merge commit, the
 * messages of the commits it brought in: our reverts), the one of them found in the history read,
 * and the HEAD it was made from. Without names, HEAD's files show the target (restoredAncestor)
 * and its first parent is what it was made from: a squash's parent is what the branch had when it
 * was merged, and the branch cannot have moved on since, or HEAD would not have the target's files
 * exactly. Undefined when HEAD is no rollback.
 */
export async function readRollback(git: Git, head: string): Promise<{ names: string[]; found?: MergedRollback } | undefined> {
  if ((await git.try(['rev-parse', '--verify', '--quiet', `${head}^1`])).code !== 0) return undefined;
  const history = await firstParents(git, head);
  const text = (await messages(git, `${head}^1..${head}`)).map((c) => c.message).join('\n');
  const names = namedTargets(text);
  if (!names.length) {
    const restored = restoredAncestor(history);
    return restored ? { names, found: { target: restored, from: history[1]!.sha } } : undefined;
  }
  const target = history.slice(1).find((c) => names.some((name) => c.sha.startsWith(name)))?.sha;
  return { names, found: target ? { target, from: namedFrom(text, target) } : undefined };
}

/**
 * The rollback HEAD is (the merge of), or undefined when HEAD is no rollback. Names come first:
 * they also hold when the branch moved on before the merge, so that HEAD's files are the target's
 * plus that change.
 */
export async function mergedRollback(git: Git, head: string, branch: string): Promise<MergedRollback | undefined> {
  const read = await readRollback(git, head);
  if (!read || read.found) return read?.found;
  throw new RollbackKitError(
    `${branch} (${short(head)}) is the merge of a rollback to ${short(read.names[0]!)} made by rollback-kit, but that commit is not among the ${HISTORY_LIMIT} newest first-parent commits of ${branch} in this checkout, so target previous cannot tell where that rollback went; reverting ${short(head)} would ship the rolled-back code again. Nothing was changed.`,
    'Give the commit to go back to as target (its SHA), and check out with fetch-depth: 0.',
  );
}

/** The rollback HEAD is (the merge of) when it went back to `target`: a re-run to the same commit has nothing to do. */
export async function mergedRollbackTo(git: Git, head: string, target: string): Promise<MergedRollback | undefined> {
  const read = await readRollback(git, head);
  if (read?.found) return read.found.target === target ? read.found : undefined;
  // Named, but beyond the history read (a shallow checkout): the name itself says it is this target.
  return read?.names.some((name) => target.startsWith(name)) ? { target } : undefined;
}

/**
 * Why HEAD no longer has `from`'s changes, or undefined while it has them: HEAD's files are those
 * from before it, or a commit since reverted it ("This reverts commit <from>", in our reverts, a
 * squash merge's list of them, or anyone's), and that revert was not itself reverted.
 */
export async function undoneOnHead(git: Git, from: string, head: string): Promise<string | undefined> {
  const trees = await git.try(['rev-parse', `${from}^{tree}`, `${from}^1^{tree}`, `${head}^{tree}`]);
  if (trees.code === 0) {
    const [own, before, now] = trees.stdout.trim().split('\n');
    // An empty commit (a redeploy) has its parent's files: having them says nothing about it.
    if (own !== before && now === before) return `its files are those from before ${short(from)}`;
  }
  const revertedBy = new Map<string, string[]>();
  for (const c of await messages(git, `${from}..${head}`)) {
    for (const m of c.message.matchAll(/^This reverts commit ([0-9a-f]{40})\b/gm)) revertedBy.set(m[1]!, [...(revertedBy.get(m[1]!) ?? []), c.sha]);
  }
  // A revert counts unless a later commit reverted it in turn (a re-land), and so on.
  const standing = (sha: string): string | undefined => (revertedBy.get(sha) ?? []).find((r) => !standing(r));
  const revert = standing(from);
  return revert ? `${short(revert)} reverted it` : undefined;
}
