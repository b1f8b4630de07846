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
