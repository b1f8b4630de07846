import { describe, expect, it } from 'vitest';
import { Cleanup, SandboxStopped } from '../../src/sandbox/cleanup.js';

describe('Cleanup', () => {
  it('undoes in reverse order, each once, past a failing step', async () => {
    const done: string[] = [];
    const c = new Cleanup();
    c.add('a', async () => void done.push('a'));
    c.add('b', async () => {
      throw new Error('busy');
    });
    c.add('c', async () => void done.push('c'));
    expect(await c.run()).toEqual(['b: busy']);
    expect(await c.run()).toEqual(['b: busy']);
    expect(done).toEqual(['c', 'a']);
  });

  it('a step added once cleaning has begun is undone at once, and run() waits for it', async () => {
    const done: string[] = [];
    const c = new Cleanup();
    c.add('slow', () => new Promise<void>((r) => setTimeout(() => (done.push('slow'), r()), 20)));
    const running = c.run();
    c.add('late', async () => void done.push('late'));
    await running;
    expect(done.sort()).toEqual(['late', 'slow']);
  });

  it('make: something made while the cleanup ran is undone once it exists', async () => {
    const exists = new Set<string>();
    const c = new Cleanup();
    let finishMaking = (): void => undefined;
    const making = c.make(
      'db',
      async () => void exists.delete('db'),
      () => new Promise<void>((r) => (finishMaking = () => (exists.add('db'), r()))),
    );
    const running = c.run(); // the undo runs now, before the database exists
    finishMaking();
    await making;
    await running;
    expect(exists.has('db')).toBe(false);
  });

  it('stop: the next check throws and the signal ends child processes', () => {
    const c = new Cleanup();
    expect(() => c.check()).not.toThrow();
    c.stop();
    expect(c.signal.aborted).toBe(true);
    expect(() => c.check()).toThrow(SandboxStopped);
  });
});

describe('Cleanup.stop names the signal', () => {
  it('aborts with a reason every stop text reads the signal from, never "(stopped)"', async () => {
    const { stopName } = await import('../../src/core/stop-signals.js');
    const cleanup = new Cleanup();
    cleanup.stop('SIGTERM');
    expect(stopName(cleanup.signal)).toBe('SIGTERM');
  });
});
