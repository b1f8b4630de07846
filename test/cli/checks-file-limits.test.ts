// --checks-file's limits, as --help and the README say them, are the ones the CLI enforces: a file
// of at most 1 MB (MAX_CHECKS_FILE_BYTES), read wherever the person named it on their machine;
// rollback-kit.yml's verify.checks-file stays inside the current folder, as the workflow reads it.
// Through the bundle (dist/cli), as a person runs it.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CHECKS_FILE_BYTES } from '../../src/smoke/smoke-test.js';
import { runCli } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'rk-checks-file-'));
const cwd = join(root, 'repo');
mkdirSync(cwd);
const CHECK = '- {name: health, url: /api/health}\n';
writeFileSync(join(root, 'outside.yml'), CHECK);
symlinkSync(join(root, 'outside.yml'), join(cwd, 'link.yml'));
writeFileSync(join(cwd, 'ok.yml'), CHECK);
// Exactly the limit passes; one byte more is refused.
writeFileSync(join(cwd, 'limit.yml'), CHECK + '#'.repeat(MAX_CHECKS_FILE_BYTES - CHECK.length - 1) + '\n');
writeFileSync(join(cwd, 'big.yml'), CHECK + '#'.repeat(MAX_CHECKS_FILE_BYTES - CHECK.length) + '\n');
writeFileSync(join(root, 'big-outside.yml'), CHECK + '#'.repeat(MAX_CHECKS_FILE_BYTES - CHECK.length) + '\n');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const smoke = (file: string, dir = cwd) => runCli(['smoke', '--checks-file', file, '--base-url', 'https://shop.example.com', '--dry-run'], { cwd: dir });

describe('--checks-file limits', () => {
  it('the limit is 1 MB and a file outside the folder is read, as --help and the README say', async () => {
    expect(MAX_CHECKS_FILE_BYTES).toBe(1024 * 1024);
    const help = (await runCli(['smoke', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('anywhere on this machine: a regular file of at most 1 MB');
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('most 1 MB (1,048,576 bytes;');
    expect(readme).toContain('wherever it is on your machine');
  });

  it('a file inside, at the limit, is read', async () => {
    expect((await smoke('ok.yml')).code).toBe(0);
    expect((await smoke('limit.yml')).code).toBe(0);
  });

  it('one byte over the limit is refused, exit 2, inside the folder or outside it', async () => {
    for (const file of ['big.yml', '../big-outside.yml']) {
      const run = await smoke(file);
      expect(run.code, file).toBe(2);
      expect(run.stderr).toContain(`Cannot read --checks-file "${file}": it is larger than 1 MB`);
    }
  });

  it('smoke reads a file the person named outside the current folder: a relative path, a link, an absolute path', async () => {
    for (const file of ['../outside.yml', 'link.yml', join(root, 'outside.yml')]) {
      const run = await smoke(file);
      expect(run.code, `${file}: ${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('Dry run: 1 check(s) are valid: health. None was run.');
    }
  });

  it('a file that is not there, outside the folder, is said so, exit 2', async () => {
    const run = await smoke('../missing.yml');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Cannot read --checks-file "../missing.yml": no such file.');
  });

  it('plan reads --checks-file outside the folder too', async () => {
    const run = await runCli(['plan', '--provider', 'command', '--command', 'true', '--checks-file', '../outside.yml', '--base-url', 'https://shop.example.com'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('1 check(s) from ../outside.yml');
  });

  it("rollback-kit.yml's verify.checks-file outside the folder is refused, as the workflow refuses it, exit 2", async () => {
    const repo = join(root, 'with-plan');
    mkdirSync(repo);
    writeFileSync(join(repo, 'rollback-kit.yml'), 'components:\n  web: {provider: command, command: "true"}\nverify:\n  base-url: https://shop.example.com\n  checks-file: ../outside.yml\n');
    const run = await runCli(['plan'], { cwd: repo });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`Cannot read rollback-kit.yml's verify.checks-file "../outside.yml": it is outside the current folder.`);
  });
});
