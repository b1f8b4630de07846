/**
 * What a run made where a user pointed it (an output folder, its parents, the .gitignore in a
 * snapshot folder), recorded as it is made (makeDirectory's `made`), so that a run that ends without
 * its result (stopped, or a sandbox that failed) takes away again what is still empty of anything
 * else, and leaves everything else as it is. One set of rules for every caller: the command line's
 * stop handler (signals.ts), which must finish before the process exits, and the sandbox's cleanup.
 * Light on purpose: signals.ts loads it before the rest of the command line.
 */
import { existsSync, lstatSync, readdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { errorLine } from './errors.js';

/** The outermost folder a removal left, and why it is there. */
export interface MadeLeft {
  folder: string;
  why: string;
}

/**
 * Hears of a folder or file a run made as it makes it (MadeRecord.add; `withContents`: a folder all
 * of whose contents the run writes too), and may return how to take that one back off the record:
 * what became the run's result (a verified snapshot) is no longer the record's to remove.
 */
export type MadeHook = (path: string, withContents?: boolean) => (() => void) | void;

export class MadeRecord {
  /** In the order they were made: a folder before what is in it. */
  private readonly paths: string[] = [];
  /** Folders whose contents are all this run's too (a directory-format dump pg_dump writes into): they go whole. */
  private readonly whole = new Set<string>();

  /**
   * A folder or file this run created (never one that was there before); `withContents`: a folder
   * whose every file this run writes as well (what another program it runs writes there). Returns
   * what takes it off the record again (MadeHook).
   */
  add(path: string, withContents = false): () => void {
    const made = resolve(path);
    this.paths.push(made);
    if (withContents) this.whole.add(made);
    return () => {
      const at = this.paths.lastIndexOf(made);
      if (at >= 0) this.paths.splice(at, 1);
      this.whole.delete(made);
    };
  }

  /** A run that ended with its result keeps what it made: none of it is this record's to remove later. */
  forget(): void {
    this.paths.splice(0);
    this.whole.clear();
  }

  /**
   * Removes what was made, the last made first: each folder while it holds nothing but files this
   * run made (they go with it) and folders this run made that are already gone; a folder recorded
   * with its contents (add's `withContents`) goes whole. A folder that holds
   * anything else (a snapshot, a report, someone's file, a run beside this one's folder) stays with
   * all that is in it (our .gitignore too), and so do the folders around it.
   * Returns the outermost of the made folders left and why, or undefined when all is gone.
   * Synchronous, so the process may exit right after; it never throws (what it could not remove
   * is said in the return). Forgets what it was given either way.
   */
  removeWhileEmpty(otherThings = 'something else is in it now'): MadeLeft | undefined {
    const made = this.paths.splice(0).filter((p) => existsSync(p));
    const whole = new Set(this.whole);
    this.whole.clear();
    if (!made.length) return undefined;
    const ours = new Set(made);
    const kept = new Set<string>();
    const left = (why: string) => ({ folder: made.find((p) => existsSync(p)) ?? made[0]!, why });
    try {
      for (const p of [...made].reverse()) {
        if (whole.has(p) && lstatSync(p).isDirectory()) {
          rmSync(p, { recursive: true, force: true });
          continue;
        }
        if (!lstatSync(p).isDirectory()) {
          // A file in a folder this run made goes with that folder, once it is known to hold only ours.
          if (!ours.has(dirname(p))) unlinkSync(p);
          continue;
        }
        const names = readdirSync(p).map((name) => join(p, name));
        if (names.some((name) => !ours.has(name) || kept.has(name))) {
          kept.add(p);
          continue;
        }
        for (const name of names) unlinkSync(name);
        rmdirSync(p);
      }
      return kept.size ? left(otherThings) : undefined;
    } catch (err) {
      return left(`it could not be removed (${(err as NodeJS.ErrnoException).code ?? errorLine(err)})`);
    }
  }
}
