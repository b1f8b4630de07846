// The bin's body (index.ts loads it once the stop handler is held): runs the command line and exits with its code.
import { main } from './main.js';
import { errorLine } from '../core/errors.js';
import { output } from '../core/output.js';
import { failOnUnfinishedExit, unfinishedError } from '../core/unfinished-exit.js';

export function run(): void {
  // A run left waiting on what can no longer happen must not end as a success with no result.
  failOnUnfinishedExit(() => output.line(`error: ${errorLine(unfinishedError())}`, 'stderr'));

  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      output.line(`error: ${errorLine(err)}`, 'stderr');
      process.exit(1);
    },
  );
}
