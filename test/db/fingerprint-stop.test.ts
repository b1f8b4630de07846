// A stop ends the hashing of a snapshot at once: restore-db hashes the whole file (also while the
// whole rollback plans, before the app is touched), and a file of gigabytes must not outlast a stop.
// A FIFO fed a byte at a time stands in for a file too large to finish: without the signal the
// hash would never end.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fingerprint } from '../../src/db/archive.js';

it('fingerprint ends with an AbortError when its signal is aborted mid-read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rk-fp-stop-'));
  const fifo = join(dir, 'snapshot.dump');
  execFileSync('mkfifo', [fifo]);
  const writer = spawn('sh', ['-c', `while :; do printf x; sleep 0.01; done > '${fifo}'`], { stdio: 'ignore' });
  try {
    const stop = new AbortController();
    const hashing = fingerprint(fifo, 2, stop.signal).then(
      () => 'finished',
      (err: Error) => err.name,
    );
    await new Promise((r) => setTimeout(r, 200));
    stop.abort(new Error('stopped by SIGTERM'));
    expect(await hashing).toBe('AbortError');
  } finally {
    writer.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
