/**
 * The one way a duration is written for people, in every report (summary, incident, chat, HTML) and
 * on the command line, so the same phase reads the same wherever it is shown.
 */

/** "999 ms", "59.9 s", "2 min 0 s": rounded once, to the unit shown, so no "60.0 s" or "1 min 60 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
