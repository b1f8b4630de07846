/**
 * The command line's signals from its first line to its last. The bin's first chunk holds the stops
 * (early-stop.ts) until this module is loaded and holds the one stop handler (stop-signals.ts),
 * before the rest of it loads (stop-first.ts): a command's stop logic (stoppable.ts,
 * the sandbox's cleanup) listens through it once it runs. A signal before the command has begun
 * (`commandBegan`: its flags read and checked, nothing sent anywhere) is said in one line, and the
 * process exits 128 + its number; Node's default ended it there with no word. A signal once the
 * command has begun that no stop logic hears (a command without one, a report being printed) gets
 * Node's default, as before. Light on purpose: it loads before the rest of the command line.
 */
import { MadeRecord, type MadeLeft } from '../core/made.js';
import { output } from '../core/output.js';
import { holdStopSignals } from '../core/stop-signals.js';
import { inThisJob, laterJob } from '../pipeline/job-words.js';
import { commandOf, flagValue, SIGNAL_EXIT, stoppedJson, wantsJson } from './early-stop.js';

export { commandOf, SIGNAL_EXIT, wantsJson };

let begun = false;
/**
 * What this run made (its output folder, the .gitignore in it), in the order it made them, at any
 * point of the run: a stop removes it again (undoMade), as the sandbox's cleanup does after a failure.
 */
export const madeThisRun = new MadeRecord();

/** The command has read and checked what it was given and starts its work (Cli.begin). */
export function commandBegan(): void {
  begun = true;
}

/**
 * A folder or file this run made (Cli.made), before the command began or after: a stop, before it
 * begins or at any point of its work, removes it again (undoMade), so that "nothing was changed" or
 * "what it had written was removed" stays true. Only what this run created is given here.
 */
export function madeByThisRun(path: string, withContents?: boolean): () => void {
  return madeThisRun.add(path, withContents);
}

/**
 * Removes what this run made while it holds nothing else (MadeRecord.removeWhileEmpty): returns the
 * outermost folder left and why, or undefined when all is gone. Synchronous: the process may exit
 * right after.
 */
export function undoMade(otherThings?: string): MadeLeft | undefined {
  return madeThisRun.removeWhileEmpty(otherThings);
}

/** The bin's first act (stop-first.ts): the stop handler, held until the process ends (or the returned release). */
export function holdStopsFromTheStart(argv: readonly string[]): () => void {
  const release = holdStopSignals((name) => {
    if (begun) {
      // Nothing of the command listens (yet, or any more): Node's default, as it always was.
      release();
      process.kill(process.pid, name);
      return;
    }
    const line = stoppedBeforeStart(name, argv, undoMade());
    output.line(line, 'stderr');
    if (wantsJson(argv)) output.line(stoppedJson(argv, line), 'stdout');
    process.exit(SIGNAL_EXIT[name] ?? 1);
  });
  return release;
}

/** A run that was not stopped keeps what it made: none of it is this process' to remove later (a test's next run). */
export function forgetMade(): void {
  madeThisRun.forget();
}

/** What a stop once the command began left of the folders this run made (undoMade), as a sentence; '' when nothing is left. */
export function madeFolderLeft(left: MadeLeft | undefined): string {
  return left ? `The folder ${left.folder} this run made is left as it is: ${left.why}.` : '';
}

/**
 * "Stopped (SIGINT) before rollback-kit rollback started: nothing was changed.", in the words of the
 * job (job-words.ts): a later job of a split rollback (its --timeline says an earlier job changed
 * production) says "this job changed nothing", as the command's own refusals do. `left`: a folder
 * the command made before it began that could not be removed (undoMade), named.
 */
export function stoppedBeforeStart(name: NodeJS.Signals, argv: readonly string[], left?: MadeLeft): string {
  const command = commandOf(argv);
  const made = left ? ` except the folder ${left.folder} it made, which is left as it is: ${left.why}` : '';
  return inThisJob(`Stopped (${name}) before rollback-kit${command ? ` ${command}` : ''} started: nothing was changed${made}.`, laterJob(flagValue(argv, 'timeline')));
}
