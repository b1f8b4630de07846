// Where the sandbox's report goes (--report-dir): an absolute path is that path, not a folder of the
// same name under the current one; and a folder it cannot write to is refused before anything starts
// (exit 2), instead of after the whole run with a made-up reason. In-process from the source (main),
// since the committed bundle predates the fix.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain } from '../cli/run-main.js';
import { ADMIN_URL } from '../helpers/pg.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rk-sandbox-report-dir-'));
  dirs.push(dir);
  return dir;
}

describe('rollback-kit sandbox --report-dir', () => {
  it('an absolute folder is used as given', async () => {
    const cwd = await folder();
    const elsewhere = join(await folder(), 'incident-report');
    const run = await runMain(['sandbox', '--json', '--report-dir', elsewhere], { cwd, env: { DATABASE_URL: ADMIN_URL } });
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { reportDir: string; files: { html: string } };
    expect(doc.reportDir).toBe(elsewhere);
    expect(existsSync(join(elsewhere, 'report.html'))).toBe(true);
    expect(existsSync(join(cwd, elsewhere))).toBe(false);
  });

  it.each([['sandbox'], ['drill', '--sandbox']])('%s: a folder that cannot be made is bad usage, said before anything starts', async (...command) => {
    const cwd = await folder();
    await writeFile(join(cwd, 'a-file'), '');
    const run = await runMain([...command, '--report-dir', 'a-file/report'], { cwd, env: { DATABASE_URL: ADMIN_URL } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`Cannot create --report-dir ${join(cwd, 'a-file/report')}: ${join(cwd, 'a-file')} is a file, not a folder.`);
    expect(run.stderr).toContain('Usage: rollback-kit');
    // Nothing was started: no database, no deploys.
    expect(run.stderr).not.toContain('PostgreSQL:');
  });
});

it('a sandbox that fails before writing its report leaves no empty report folder behind', async () => {
  const cwd = await folder();
  // Port 1 on loopback: nothing listens, so the sandbox fails right after making its report folder.
  const run = await runMain(['sandbox'], { cwd, env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' } });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('does not answer');
  expect(await readdir(cwd)).toEqual([]);
});
