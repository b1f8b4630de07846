// The README's failure table is what an on-call engineer searches the log for. The folder inputs'
// refusals are made by one helper for output-dir and pre-restore-dir alike: the table must quote the
// lines that helper prints, as it prints them, for both inputs (not a wording of its own).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirectory, probeWritable } from '../../src/core/files.js';
import { ROOT } from '../helpers/run-action.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'rk-readme-msg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The message as the table quotes it: the path as `…`, up to the first `:` or `,` after it. */
export function asQuoted(message: string, path: string): string {
  const shown = message.replace(path, '…');
  const after = shown.indexOf('…') + 1;
  const end = shown.slice(after).search(/[:,]/);
  return end < 0 ? shown : shown.slice(0, after + end);
}

async function refusal(work: Promise<unknown>): Promise<string> {
  return work.then(
    () => expect.fail('not refused'),
    (err: Error) => err.message,
  );
}

describe.each(['output-dir', 'pre-restore-dir'])('README.md quotes the %s refusals as the code prints them', (input) => {
  it('a path under a file', async () => {
    writeFileSync(join(dir, 'file'), '');
    const path = join(dir, 'file', 'sub');
    expect(README).toContain(`\`${asQuoted(await refusal(makeDirectory(path, input)), path)}\``);
  });
  it('a path under /proc', async () => {
    expect(README).toContain(`\`${asQuoted(await refusal(makeDirectory('/proc/rk', input)), '/proc/rk')}\``);
  });
  it('a folder files cannot be written in', async () => {
    const path = join(dir, 'missing');
    expect(README).toContain(`\`${asQuoted(await refusal(probeWritable(path, input)), path)}\``);
  });
});

describe('asQuoted', () => {
  it('shows the path as … and stops at the first colon or comma after it', () => {
    expect(asQuoted('Cannot create x /a/b: /a is a file.', '/a/b')).toBe('Cannot create x …');
    expect(asQuoted('x /proc/rk is under /proc, a kernel file system', '/proc/rk')).toBe('x … is under /proc');
  });
});
