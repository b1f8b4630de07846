/** Latency percentiles and error rates over the samples of one attempt. */

export interface LatencyStats {
  p50Ms?: number;
  p95Ms?: number;
  maxMs?: number;
}

/** Nearest-rank percentile (k6 and most dashboards agree on it for small sample counts). */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (!sorted.length) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function latencyStats(ms: readonly number[]): LatencyStats {
  const sorted = [...ms].sort((a, b) => a - b);
  const round = (v: number | undefined) => (v === undefined ? undefined : Math.round(v * 10) / 10);
  return { p50Ms: round(percentile(sorted, 50)), p95Ms: round(percentile(sorted, 95)), maxMs: round(sorted[sorted.length - 1]) };
}

/** Failed samples as a percentage (0–100), to two decimals. */
export function errorRate(failed: number, total: number): number {
  return total ? Math.round((failed / total) * 10000) / 100 : 0;
}
