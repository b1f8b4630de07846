// since-ref: the list of files a deploy added is read whole. It came from git's output as runProcess
// kept it, which ends at 1 MB: past some thousands of migrations (or long names), the newest ones
// were left out of the plan and stayed applied, with nothing said.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { filesAddedSince } from '../../src/migrations/git-added.js';

const repo = mkdtempSync(join(tmpdir(), 'rk-git-added-'));
afterAll(() => rmSync(repo, { recursive: true, force: true }));

const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo, encoding: 'utf8' });

it('finds every file added since the ref when git lists more than 1 MB of names', async () => {
  git('init', '-q');
  const dir = join(repo, 'db/migrations');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.keep'), '');
  git('add', '.');
  git('commit', '-qm', 'base');
  const base = git('rev-parse', 'HEAD').trim();
  // 5,000 names of 230 characters: about 1.15 MB of output.
  const names: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const name = `${String(20240101000000 + i)}_${'x'.repeat(200)}_${String(i).padStart(8, '0')}.sql`;
    names.push(name);
    writeFileSync(join(dir, name), '');
  }
  git('add', '.');
  git('commit', '-qm', 'many');
  const added = await filesAddedSince(dir, base);
  expect(added.size).toBe(5000);
  // The newest sort last in git's output: the ones a cut would lose.
  expect(added.has(names.at(-1)!)).toBe(true);
});
