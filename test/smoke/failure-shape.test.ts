// The shape of a smoke-test step failed by its checks, as the README ("Failure messages") gives it:
// one `::error title=Smoke check failed: <name>` annotation per failed check, then the one
// `::error::` line every failed step has; the job summary starts with "### smoke-test: failed" and
// that line, and the checks table follows. Before, the table came first and the heading was appended.
import { beforeAll, expect, it } from 'vitest';
import { text } from '../../src/report/markdown.js';
import { runAction } from '../helpers/run-action.js';
import { startServer, type ScriptedServer } from './servers.js';

let server: ScriptedServer;
beforeAll(async () => {
  server = await startServer();
});

const fast = { attempts: 1, 'interval-seconds': 0, 'timeout-seconds': 2, samples: 1 };

it('failed checks: an annotation each, one final line, and a summary that starts with the failure', async () => {
  const checks = '- {name: reports, url: /status/500}\n- {name: billing, url: /status/500}\n- {name: health, url: /health}';
  const run = await runAction('smoke-test', { 'base-url': server.url, checks, ...fast });
  expect(run.code).toBe(1);
  const annotations = run.stdout.split('\n').filter((l) => l.startsWith('::error'));
  expect(annotations.map((l) => l.slice(0, l.indexOf('::', 2)))).toEqual(['::error title=Smoke check failed%3A reports', '::error title=Smoke check failed%3A billing', '::error']);
  const line = run.errors.at(-1)!;
  expect(line).toMatch(/^Smoke test failed: 2 of 3 checks failed; severity major, decision rollback\./);

  const summary = run.summary.split('\n');
  expect(summary[0]).toBe('### smoke-test: failed');
  expect(summary).toContain(text(line));
  expect(summary.filter((l) => l.startsWith('### '))).toEqual(['### smoke-test: failed', '### Smoke test']);
  expect(run.summary).toMatch(/\| reports \| ❌ failed \| 1 \| 500 \|/);
});

it('passed checks: the report alone', async () => {
  const run = await runAction('smoke-test', { 'base-url': server.url, checks: '- {name: health, url: /health}', ...fast });
  expect(run.code).toBe(0);
  expect(run.summary.split('\n')[0]).toBe('### Smoke test');
  expect(run.summary).not.toContain('failed');
});
