// withCleanup on its own (the sandbox's Ctrl-C through the built command line: test/sandbox/interrupt.test.ts):
// on a signal the work is told to stop and waited for up to 10 s, then everything is removed and
// the process exits 130 (SIGINT) or 143 (SIGTERM); without a signal the cleanup runs and the
// work's value or error comes back.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Cli } from '../../src/cli/context.js';
import { MadeRecord } from '../../src/core/made.js';
import { removeIfEmpty, withCleanup } from '../../src/cli/commands/sandbox.js';
import type { Cleanup } from '../../src/sandbox/cleanup.js';

function quietCli(cwd = tmpdir()): Cli & { notes: string[] } {
  const notes: string[] = [];
  const term = { stopSpinner: () => undefined, note: (text: string) => void notes.push(text), warn: (text: string) => void notes.push(`warn: ${text}`) };
  return { term, notes, cwd } as unknown as Cli & { notes: string[] };
}

/** process.exit as a promise of its code, instead of ending the test process. */
function catchExit(): Promise<number | undefined> {
  return new Promise((resolve) => {
    vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      resolve(code);
      return undefined as never;
    }) as typeof process.exit);
  });
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('withCleanup', () => {
  it('without a signal: cleans up, returns the value, and leaves no signal handler behind', async () => {
    const removed: string[] = [];
    const value = await withCleanup(quietCli(), async (cleanup) => {
      cleanup.add('database', async () => void removed.push('database'));
      return 42;
    });
    expect(value).toBe(42);
    expect(removed).toEqual(['database']);
    expect(process.listenerCount('SIGINT')).toBe(0);
    expect(process.listenerCount('SIGTERM')).toBe(0);
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });

  it('a failing body: cleans up, then throws its error', async () => {
    const removed: string[] = [];
    const run = withCleanup(quietCli(), async (cleanup) => {
      cleanup.add('server', async () => void removed.push('server'));
      throw new Error('step failed');
    });
    await expect(run).rejects.toThrow('step failed');
    expect(removed).toEqual(['server']);
  });

  it('SIGINT: the work is stopped, waited for, then everything is removed and the exit is 130', async () => {
    const exited = catchExit();
    const cli = quietCli();
    const order: string[] = [];
    void withCleanup(cli, async (cleanup: Cleanup) => {
      cleanup.add('database', async () => void order.push('removed database'));
      const stopped = new Promise<void>((resolve) => cleanup.signal.addEventListener('abort', () => resolve()));
      process.emit('SIGINT', 'SIGINT');
      // The step under way ends once told to stop; cleaning up waits for it.
      await stopped;
      order.push('work stopped');
      cleanup.check();
    }).catch(() => undefined); // with exit mocked, the call goes on past it
    expect(await exited).toBe(130);
    expect(order).toEqual(['work stopped', 'removed database']);
    expect(cli.notes[0]).toBe('SIGINT: stopping the sandbox and removing what it started…');
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('SIGTERM with work that never stops: removed after 10 s regardless, exit 143', async () => {
    vi.useFakeTimers();
    const exited = catchExit();
    const removed: string[] = [];
    void withCleanup(quietCli(), async (cleanup) => {
      cleanup.add('cluster', async () => void removed.push('cluster'));
      process.emit('SIGTERM', 'SIGTERM');
      await new Promise<never>(() => undefined);
    }).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(removed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await exited).toBe(143);
    expect(removed).toEqual(['cluster']);
  });
});

// A sandbox that fails (no signal): the report folders it made go again while it wrote nothing in
// them, by the rules a stop follows (MadeRecord); a report written is kept, folder and all.
describe('the report folders of a failed sandbox', () => {
  async function failedAfter(write: (dir: string) => Promise<void>) {
    const cwd = await mkdtemp(join(tmpdir(), 'rk-with-cleanup-failed-'));
    const parent = join(cwd, 'rollback-kit-sandbox');
    const dir = join(parent, 'run-1');
    const made = new MadeRecord();
    for (const folder of [parent, dir]) {
      await mkdir(folder);
      made.add(folder);
    }
    const run = withCleanup(quietCli(cwd), async (cleanup) => {
      removeIfEmpty(cleanup, made);
      await write(dir);
      throw new Error('the shop did not start');
    });
    await expect(run).rejects.toThrow('the shop did not start');
    const left = existsSync(parent) ? await readdir(parent, { recursive: true }) : undefined;
    await rm(cwd, { recursive: true, force: true });
    return left;
  }

  it('nothing written: both folders it made are removed', async () => {
    expect(await failedAfter(async () => undefined)).toBeUndefined();
  });

  it('part of a report written: kept as it is', async () => {
    expect((await failedAfter((dir) => writeFile(join(dir, 'incident.md'), '# incident\n')))?.sort()).toEqual(['run-1', join('run-1', 'incident.md')]);
  });
});

// Ctrl-C once the sandbox's rollback has begun: it has written part of its report (the incident
// record) and not the rest. The last line says it was stopped, and what is left where.
describe('the closing line of a stopped sandbox', () => {
  async function stoppedWith(write: (dir: string) => Promise<void>, last = 'report.html') {
    const cwd = await mkdtemp(join(tmpdir(), 'rk-with-cleanup-'));
    const dir = join(cwd, 'rollback-kit-sandbox', 'run-1');
    await mkdir(dir, { recursive: true });
    const exited = catchExit();
    const cli = quietCli(cwd);
    void withCleanup(
      cli,
      async (cleanup) => {
        const made = new MadeRecord();
        for (const folder of [join(cwd, 'rollback-kit-sandbox'), dir]) made.add(folder);
        removeIfEmpty(cleanup, made);
        cleanup.add('database', async () => undefined);
        await write(dir);
        process.emit('SIGINT', 'SIGINT');
        // The signal stopped the work at once: its next step never starts.
        cleanup.check();
      },
      { dir, last },
    ).catch(() => undefined);
    const code = await exited;
    await rm(cwd, { recursive: true, force: true });
    return { code, last: cli.notes.at(-1) };
  }

  it('part of the report written: the folder is kept and named, with what is in it and what is not', async () => {
    const run = await stoppedWith(async (dir) => {
      await writeFile(join(dir, 'incident.md'), '# incident\n');
      await mkdir(join(dir, 'snapshots'));
      await writeFile(join(dir, 'snapshots', '.gitignore'), '*\n');
      await writeFile(join(dir, 'snapshots', 'before-rollback.dump'), 'PGDMP');
    });
    expect(run.code).toBe(130);
    expect(run.last).toBe(
      'Stopped (SIGINT): everything it started is removed. Kept in rollback-kit-sandbox/run-1: incident.md, snapshots/: what the run wrote before it was stopped, not the whole report (no report.html). Delete the folder when you no longer need it.',
    );
  });

  // Stopped during the snapshot: its folder holds only the .gitignore made before the dump began.
  it('a snapshot folder without a snapshot is not named as kept', async () => {
    const run = await stoppedWith(async (dir) => {
      await writeFile(join(dir, 'incident.md'), '# incident\n');
      await mkdir(join(dir, 'snapshots'));
      await writeFile(join(dir, 'snapshots', '.gitignore'), '*\n');
    });
    expect(run.last).toBe(
      'Stopped (SIGINT): everything it started is removed. Kept in rollback-kit-sandbox/run-1: incident.md: what the run wrote before it was stopped, not the whole report (no report.html). Delete the folder when you no longer need it.',
    );
  });

  it('only an empty snapshot folder: no report was written', async () => {
    const run = await stoppedWith(async (dir) => {
      await mkdir(join(dir, 'snapshots'));
      await writeFile(join(dir, 'snapshots', '.gitignore'), '*\n');
    });
    expect(run.last).toBe('Stopped (SIGINT): everything it started is removed. No report was written (rollback-kit-sandbox/run-1 holds only empty files or folders).');
  });

  it('nothing written: the empty folder is removed, and the line says no report was written', async () => {
    const run = await stoppedWith(async () => undefined);
    expect(run.code).toBe(130);
    expect(run.last).toBe('Stopped (SIGINT): everything it started is removed. No report was written.');
  });

  it('the drill\'s sandbox names its own report', async () => {
    const run = await stoppedWith(async (dir) => void (await writeFile(join(dir, 'drill.md'), '# drill\n')), 'drill.md');
    // drill.md is its whole report, written once the drill has finished: that is what the line says.
    expect(run.last).toBe('The rollback finished; the sandbox was stopped (SIGINT) as it ended: everything it started is removed. Its whole report is kept in rollback-kit-sandbox/run-1: drill.md. Delete the folder when you no longer need it.');
  });
});
