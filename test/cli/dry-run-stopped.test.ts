// A dry run that stops at its plan tells nobody and records no incident, as a dry run that plans
// well does not: every phase that did not run says why in the same words, on the terminal, in
// --json, in the job summary and in report.html (its checks section too), and the closing line
// says it was a dry run. Its report and notify-end used to run: with a webhook and a token, a dry
// run posted to the chat and looked for an incident issue, and without them its rows read "no
// webhook configured" beside "the rollback stopped while planning".
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { rollbackHtml } from '../../src/report/html.js';
import { rollbackSummaryMarkdown } from '../../src/report/rollback-summary.js';
import { runMain } from './run-main.js';

const STOPPED = 'the rollback stopped while planning';
const NOT_RUN = ['notify-start', 'app', 'snapshot', 'database', 'environment', 'verify', 'report', 'notify-end'];

let ws: string;
let server: Server;
let url: string;
const requests: string[] = [];

beforeAll(async () => {
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-dry-stopped-'));
  // Stands for the chat webhook and GitHub's API both: a dry run must reach neither.
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(ws, { recursive: true, force: true });
});

it('a dry run stopped at plan: every phase after it skipped for that reason, nobody told, no incident looked for', async () => {
  // A checks file that is not there stops the plan before any component is contacted.
  const args = ['rollback', 'app', '--reason', 'checkout 500s', '--provider', 'command', '--command', './rollback.sh', '--base-url', 'https://shop.example.com', '--checks-file', 'missing.yml', '--dry-run'];
  const env = { ROLLBACK_WEBHOOK_URL: `${url}/hook`, GITHUB_TOKEN: 'ghp_dryrunstoppedtoken0123', GITHUB_REPOSITORY: 'acme/shop', GITHUB_API_URL: url };
  const run = await runMain(args, { cwd: ws, env });
  expect(run.code).toBe(1);
  expect(requests).toEqual([]);
  for (const phase of NOT_RUN) {
    expect(run.stderr).toMatch(new RegExp(`^– ${phase} +skipped +${STOPPED}$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^${phase} +skipped .* ${STOPPED}$`, 'm'));
  }
  expect(run.stdout).toMatch(/^plan +failed .*Cannot read --checks-file "missing\.yml"/m);
  // The closing line says it was a dry run, in the words a dry run's status line uses.
  expect(run.stdout).toMatch(/^Rollback failed in plan \(dry run\)$/m);
  expect(run.stdout).toMatch(/^Total: .* budget \(within budget\): .*\.$/m);

  const json = await runMain([...args, '--json'], { cwd: ws, env });
  expect(requests).toEqual([]);
  const record = (JSON.parse(json.stdout) as { record: RollbackRecord }).record;
  expect(record).toMatchObject({ status: 'failed', failedPhase: 'plan', dryRun: true });
  expect(record.timeline.map((e) => e.phase)).toEqual(['plan', ...NOT_RUN]);
  for (const e of record.timeline.slice(1)) expect(e).toMatchObject({ status: 'skipped', detail: STOPPED });
  expect(record.nextSteps).toEqual(['The rollback stopped while planning: fix what the plan row says and run it again.']);

  const summary = rollbackSummaryMarkdown(record);
  for (const phase of NOT_RUN) expect(summary).toMatch(new RegExp(`^\\| ${phase} \\|.*\\| ⏭️ skipped \\| ${STOPPED} \\|$`, 'm'));
  expect(summary).toContain(`### Verification\n\nNot run: ${STOPPED}.`);
  const html = rollbackHtml(record);
  for (const phase of NOT_RUN) expect(html).toMatch(new RegExp(`<tr><td>${phase}</td><td>skipped</td>.*<td>${STOPPED}</td></tr>`));
  expect(html).toContain(`<h2>Checks after the rollback</h2>\n<p>Not run: ${STOPPED}.</p>`);
});
