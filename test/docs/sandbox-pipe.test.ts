// The README said `rollback-kit sandbox | head -1` stops the sandbox as SIGTERM does. It cannot:
// the sandbox writes its progress to stderr and only its title and last lines to stdout, and a
// closed pipe is found only by a write to it, so the whole rollback runs and the sandbox ends "The
// rollback finished; the sandbox was stopped (SIGPIPE, stdout closed) as it ended", exit 141
// (test/sandbox/hangup-and-pipe.test.ts runs it). The README says that, quoting the line as the
// code words it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { stopCause } from '../../src/core/stop-signals.js';
import { ROOT } from '../helpers/run-action.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

it('README: a stdout closed under the sandbox lets the rollback run to its end, and says what it then prints', () => {
  const paragraph = README.split(/\n\n/).find((p) => p.includes('rollback-kit sandbox | head -1'));
  expect(paragraph).toBeDefined();
  const text = paragraph!.replace(/\s+/g, ' ');
  expect(text).not.toMatch(/head -1`\)[^.]*stop it as SIGTERM does/);
  expect(text).toContain('does not stop it early');
  expect(text).toContain(`"The rollback finished; the sandbox was stopped (${stopCause('SIGPIPE')}) as it ended: …"`);
  expect(text).toContain('exits 141');
});
