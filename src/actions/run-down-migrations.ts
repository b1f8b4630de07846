import { input, runAction, setOutputs } from '../core/action.js';
import { RollbackKitError } from '../core/errors.js';
import { StopOutlasted } from '../core/stop-signals.js';
import type { Log } from '../core/log.js';
import { readRevertOptions, workflowRun } from '../migrations/revert-inputs.js';
import { RevertFailed, revertMigrations, type RevertResult } from '../migrations/revert.js';
import { NOTHING_REVERTED, partialRevertDetails, revertSummary } from '../report/run-down-migrations-summary.js';
import { codeSpan, text } from '../report/markdown.js';
import { writeSummary } from '../report/write-summary.js';

function outputs(result: RevertResult): void {
  setOutputs({
    status: result.status,
    reverted: JSON.stringify(result.reverted.map((r) => r.version)),
    count: result.reverted.length,
    plan: JSON.stringify(result.plan),
    'duration-ms': result.durationMs,
    // A failed plan's absolute end: what a new run gives to finish it (steps again would count anew).
    'finish-to-version': result.status === 'failed' ? (result.keepVersion ?? '') : undefined,
  });
}

/**
 * Every failure says status=failed (a later `if: always()` step must never read "reverted" here),
 * with what was reverted before it and how far the migration it stopped in got; the summary shows
 * those, or that nothing was changed.
 */
function failed(err: unknown, log: Log): string | undefined {
  if (err instanceof RevertFailed) {
    outputs(err.partial);
    const stopped = err.partial.stoppedIn;
    // Outside text (file names): redacted before it is escaped.
    const where = stopped ? `\n**Stopped in** ${codeSpan(stopped.file)} (version ${text(stopped.version)}): ${text(log.redact(stopped.state))}\n` : '';
    return `${partialRevertDetails(err.partial)}${where}`;
  }
  // Stopped, and the run did not end in time to say what it had reverted: no count may claim it.
  if (err instanceof StopOutlasted) {
    setOutputs({ status: 'failed' });
    return undefined;
  }
  setOutputs({ status: 'failed', reverted: '[]', count: 0 });
  // Stopped before planning (snapshot, lock, inputs): nothing was changed; say so where people look.
  return err instanceof RollbackKitError ? NOTHING_REVERTED : undefined;
}

await runAction('run-down-migrations', async (log, signal) => {
  const context = { workspace: process.env.GITHUB_WORKSPACE || process.cwd(), tools: { searchPath: process.env.PATH ?? '' }, run: workflowRun(process.env) };
  const options = readRevertOptions(input, input.required('database-url'), context, log);
  const result = await revertMigrations({ ...options, signal }, log);
  outputs(result);
  await writeSummary(revertSummary(result), log);
}, failed);
