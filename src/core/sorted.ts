/** The first of `sorted` (ascending) at or after `at`, or -1: one binary search for every index of positions. */
export function firstAtOrAfter(sorted: readonly number[] | undefined, at: number): number {
  if (!sorted) return -1;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < at) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length ? sorted[lo]! : -1;
}
