/**
 * Temporary folders for tests, removed when the test file ends: a folder left in the system's
 * temporary directory on every run piles up in thousands on a shared machine (test/hygiene checks
 * files for it). Like the databases of pg.ts, removed by one hook per test file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

// Registered when a test file imports this module (collection time): a hook added later, from
// inside beforeAll or a test, would never run. Imported before a file's own hooks are registered,
// it runs after them (vitest runs after-hooks last registered first), once what they close has
// stopped writing there; a process still writing when it runs gets a few retries.
afterAll(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 3 })));
});

/** A new folder `<prefix>XXXXXX` in the system's temporary directory, removed after the test file's last test. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
