// Once Ctrl-C has stopped the sandbox, the pipeline may still finish the phase under way, and its
// warnings (Vercel's switched-off auto-assignment) are no longer news: the sandbox's log says
// nothing more, as its progress rows already do. Secrets registered through it still count.
import { expect, it } from 'vitest';
import { createLog } from '../../src/core/log.js';
import { Cleanup } from '../../src/sandbox/cleanup.js';
import { quietLog } from '../../src/sandbox/run.js';

it('the sandbox log is silent once the sandbox is stopping, and still redacts', () => {
  const lines: string[] = [];
  const log = createLog({ info: (m) => lines.push(`info: ${m}`), warning: (m) => lines.push(`warning: ${m}`), debug: (m) => lines.push(`debug: ${m}`) });
  const cleanup = new Cleanup();
  const quiet = quietLog(log, cleanup);
  quiet.warning('before the stop');
  cleanup.stop();
  quiet.secret('sandbox-secret-value');
  quiet.warning('after the stop');
  quiet.info('after the stop');
  quiet.debug('after the stop');
  expect(lines).toEqual(['warning: before the stop']);
  expect(log.redact('x sandbox-secret-value y')).toBe('x *** y');
});
