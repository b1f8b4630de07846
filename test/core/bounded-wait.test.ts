// within(): a bounded wait that the run awaits keeps the process alive until it ends. With an
// unref'd timer, a wait on something that holds no handle (a session closed with its socket
// unref'd) left Node's event loop empty: the process exited 0 in the middle of the run, and the
// command line printed no result (a whole rollback's --json document went missing).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-action.js';

describe('within', () => {
  it('ends with the fallback, and the run goes on after it, when the promise never settles and nothing else is alive', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/wait-with-nothing-else-alive.ts')], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('after: gave up waiting\nafter: answered\n');
    expect(run.status).toBe(0);
  });
});
