// Regular expressions from the spec run against whatever a server sends. One that backtracks
// without bound (`^(a+)+$` against "aaaa…!") used to hold the process past every timeout and the
// overall deadline. Now a match is stopped: at the full match timeout the pattern is a spec
// mistake (no verdict); when the overall deadline is nearer, the deadline wins and holds.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../helpers/run-action.js';
import { startServer, type ScriptedServer } from './servers.js';

const EVIL_TEXT = `${'a'.repeat(48)}!`;
let server: ScriptedServer;
beforeAll(async () => {
  server = await startServer({
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-release': EVIL_TEXT });
      res.end(EVIL_TEXT);
    },
  });
});

const fast = { attempts: 2, 'interval-seconds': 0.05, 'timeout-seconds': 5, 'fail-step': false };

describe('regular expressions that backtrack without bound', () => {
  it('body-matches: stopped, and a configuration error with no verdict', async () => {
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: '- {name: home, url: /, critical: true, body-matches: "^(a+)+$"}', ...fast });
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({});
    expect(run.errors).toEqual([
      expect.stringMatching(
        /^The HTTP check "home" cannot be judged: its body-matches pattern ran for 1 s on a 49-character text and was stopped, so it backtracks without bound .* This is a configuration error, not an outage: nothing was decided/,
      ),
    ]);
    expect(run.summary).toContain('cannot be judged');
  });

  it('a header matches assertion: the same', async () => {
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: '- {name: release, url: /, header: {x-release: {matches: "^(a|aa)*$"}}}', ...fast });
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({});
    expect(run.errors[0]).toMatch(/^The HTTP check "release" cannot be judged: its header "x-release" matches pattern ran for 1 s/);
  });

  it('the overall deadline holds when it is nearer than the match timeout', async () => {
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: '- {name: home, url: /, body-matches: "^(a+)+$"}', ...fast, 'deadline-seconds': 0.6 });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'false' });
    const report = JSON.parse(await readFile(run.outputs['report-path']!, 'utf8'));
    expect(report.checks[0].reason).toMatch(/cut short by the overall deadline \(deadline-seconds\)/);
  });

  it('a sound pattern on the same text is judged as usual', async () => {
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: '- {name: home, url: /, body-matches: "^a+!$", header: {x-release: {matches: "a{48}"}}}', ...fast });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({ passed: 'true' });
  });
});
