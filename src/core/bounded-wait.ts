/**
 * A wait with an end: `promise`'s value, or `fallback` once `ms` have passed, whichever comes first.
 *
 * The timer keeps the process alive while it runs. A wait the run itself awaits must: when what it
 * waits for holds no handle of its own (a session whose socket was unref'd so that it cannot delay
 * the exit), an unref'd timer leaves Node's event loop empty, and Node exits, code 0, with the run
 * half-done and nothing reported. The timer is cleared as soon as the promise settles, so it never
 * delays the end either.
 */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * A signal aborted `ms` after `stop` is (counting from now when it already is), with the stop's
 * reason (for stopName), and none without a stop: what a stopped run still awaits gets that long.
 * Not unref'd: the run awaits what this timer ends (see within).
 */
export function cutAfterStop(stop: AbortSignal | undefined, ms: number): { signal?: AbortSignal; dispose(): void } {
  if (!stop) return { dispose: () => undefined };
  const cut = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onStop = () => (timer = setTimeout(() => cut.abort(stop.reason), ms));
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  return {
    signal: cut.signal,
    dispose() {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    },
  };
}

/**
 * `work`'s value, or `fallback()` once `ms` have passed since `stop` (cutAfterStop). `work` itself
 * is not cancelled: this only bounds how long the run waits for it after a stop.
 */
export async function afterStopWithin<T, F>(work: Promise<T>, stop: AbortSignal | undefined, ms: number, fallback: () => F): Promise<T | F> {
  const cut = cutAfterStop(stop, ms);
  const cutSignal = cut.signal;
  if (!cutSignal) return work;
  const late = Symbol('late');
  const ended = new Promise<typeof late>((resolve) => cutSignal.addEventListener('abort', () => resolve(late), { once: true }));
  try {
    const got = await Promise.race([work, ended]);
    return got === late ? fallback() : (got as T);
  } finally {
    cut.dispose();
  }
}
