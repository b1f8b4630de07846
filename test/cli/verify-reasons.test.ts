// A rollback whose verify failed says which checks failed and why without --verbose: the next step
// sends the person to "the failing checks below", which once listed nothing (the cause, connection
// refused, showed only with --verbose).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMain } from './run-main.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'rk-verify-reasons-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

/** A port nothing listens on: one the system just handed out and took back. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

it.each([[[]], [['--json']]])('rollback %j: the failing checks and their reasons are shown by default', async (extra) => {
  const port = await closedPort();
  await writeFile(
    join(cwd, 'rollback-kit.yml'),
    `components:\n  web: { provider: command, command: "true" }\nverify:\n  base-url: http://127.0.0.1:${port}\n  checks: "- {name: home, url: /}"\n  attempts: 1\n  interval-seconds: 0\n`,
  );
  const run = await runMain(['rollback', '--reason', 'blank page', '--target', 'v1', ...extra], { cwd });
  expect(run.code).toBe(1);
  if (extra.length) {
    const doc = JSON.parse(run.stdout) as { status: string; record: { verify: { checks: { name: string; passed: boolean; detail: string }[] } } };
    expect(doc.status).toBe('unverified');
    expect(doc.record.verify.checks).toEqual([expect.objectContaining({ name: 'home', passed: false, detail: expect.stringContaining('connection refused') })]);
  } else {
    expect(run.stdout).toContain('Look at the failing checks below');
    expect(run.stdout).toMatch(new RegExp(`Failing checks \\(1 of 1\\):\\n  ✗ home: connection refused by 127\\.0\\.0\\.1:${port}`));
  }
});
