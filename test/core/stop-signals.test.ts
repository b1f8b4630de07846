// stopOnSignals: which later signals end the grace after the first one. A closed stdout after a
// real signal is that signal's doing (`rollback-kit down … | tee log` and Ctrl-C: tee dies of the
// same SIGINT, and the next write gets EPIPE), so it must not cut the grace short; a real second
// SIGINT, SIGTERM or SIGHUP still does, and so does a real signal after a closed stdout.
import { afterEach, expect, it, vi } from 'vitest';
import type { StopSignals } from '../../src/core/stop-signals.js';

/**
 * A fresh stopOnSignals each time: output.ts remembers a closed stdout for the life of the module
 * (and tells every later listener at once), so a test after one that closed it must not share it.
 */
async function fresh(): Promise<typeof import('../../src/core/stop-signals.js').stopOnSignals> {
  vi.resetModules();
  return (await import('../../src/core/stop-signals.js')).stopOnSignals;
}

let stops: StopSignals | undefined;
afterEach(() => {
  stops?.dispose();
  stops = undefined;
  vi.useRealTimers();
});

/** What output.ts sees when stdout's reader closed the pipe: the failed write's EPIPE error event. */
function closeStdout(): void {
  process.stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' }));
}

/** Work that ends `ms` after it starts, raced against the grace of `stops`. */
function settleAfter(s: StopSignals, ms: number) {
  return s.settle(new Promise<string>((resolve) => setTimeout(() => resolve('done'), ms)));
}

it('SIGINT, then a closed stdout: the work keeps its grace and ends cleanly', async () => {
  const stopOnSignals = await fresh();
  vi.useFakeTimers();
  const firsts: string[] = [];
  stops = stopOnSignals({ graceMs: 10_000, onFirst: (name) => void firsts.push(name) });
  const settled = settleAfter(stops, 1_300);
  process.emit('SIGINT', 'SIGINT');
  closeStdout();
  await vi.advanceTimersByTimeAsync(1_300);
  expect(await settled).toEqual({ ok: true, value: 'done' });
  expect(stops.received()).toBe('SIGINT');
  expect(firsts).toEqual(['SIGINT']);
  expect(stops.signal.aborted).toBe(true);
});

it('SIGINT, then SIGTERM: a real second signal ends the grace at once', async () => {
  const stopOnSignals = await fresh();
  vi.useFakeTimers();
  stops = stopOnSignals({ graceMs: 10_000 });
  expect(stops.received()).toBeUndefined();
  const settled = settleAfter(stops, 1_300);
  process.emit('SIGINT', 'SIGINT');
  process.emit('SIGTERM', 'SIGTERM');
  expect(await settled).toBe('expired');
});

it('a closed stdout, then SIGINT: the person asked to stop, so the grace ends at once', async () => {
  const stopOnSignals = await fresh();
  vi.useFakeTimers();
  stops = stopOnSignals({ graceMs: 10_000 });
  expect(stops.received()).toBeUndefined();
  const settled = settleAfter(stops, 1_300);
  closeStdout();
  expect(stops.received()).toBe('SIGPIPE');
  process.emit('SIGINT', 'SIGINT');
  expect(await settled).toBe('expired');
});
