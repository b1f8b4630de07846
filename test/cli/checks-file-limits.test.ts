// --checks-file's limits, as --help and the README say them, are the ones smoke enforces: a file
// of at most 1 MB (MAX_CHECKS_FILE_BYTES) inside the current folder, links followed first.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CHECKS_FILE_BYTES } from '../../src/smoke/smoke-test.js';
import { runMain } from './run-main.js';

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
afterAll(() => rmSync(root, { recursive: true, force: true }));

const smoke = (file: string) => runMain(['smoke', '--checks-file', file, '--base-url', 'https://shop.example.com', '--dry-run'], { cwd });

describe('--checks-file limits', () => {
  it('the limit is 1 MB, as --help and the README say', async () => {
    expect(MAX_CHECKS_FILE_BYTES).toBe(1024 * 1024);
    const help = (await runMain(['smoke', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('a regular file of at most 1 MB inside the current folder');
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('it must be a regular file of at most 1 MB (1,048,576 bytes;');
  });

  it('a file inside, at the limit, is read', async () => {
    expect((await smoke('ok.yml')).code).toBe(0);
    expect((await smoke('limit.yml')).code).toBe(0);
  });

  it('one byte over the limit is refused, exit 2', async () => {
    const run = await smoke('big.yml');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Cannot read --checks-file "big\.yml": it is larger than 1 MB/);
  });

  it('a path or a link that leads outside the current folder is refused, exit 2', async () => {
    for (const file of ['../outside.yml', 'link.yml', join(root, 'outside.yml')]) {
      const run = await smoke(file);
      expect(run.code, file).toBe(2);
      expect(run.stderr).toMatch(/it is outside the current folder/);
    }
  });
});
