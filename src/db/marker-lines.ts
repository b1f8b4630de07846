/**
 * Lines a script has psql print (`\echo`) for restore-db to read: its session's pid, its
 * transaction's id, that the transaction is open. psql prints more than those, for as long as the
 * restore runs (a row for every sequence a snapshot sets, what a statement of the snapshot's selects),
 * and some of those lines may never come (no transaction id before PostgreSQL 10): so psql's output is
 * read a line at a time and not kept. What is held is the line not yet ended, and of that no more
 * than a marker can be: a longer line is no marker, and is passed over to its end.
 */

/** The longest line told: a marker and a 20-digit number with room to spare. */
export const MARKER_LINE_CHARS = 200;

export interface MarkerLines {
  /** Reads a chunk of output: each line it ends, no longer than the bound, goes to `onLine` (without its newline). */
  push(chunk: string): void;
  /** Characters held now (of a line not yet ended): never more than the bound. */
  readonly held: number;
}

export function markerLines(onLine: (line: string) => void, maxChars = MARKER_LINE_CHARS): MarkerLines {
  let partial = '';
  /** Inside a line already longer than the bound: nothing of it is held, up to its end. */
  let passingOver = false;
  return {
    push(chunk) {
      let start = 0;
      for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
        const fits = !passingOver && partial.length + (end - start) <= maxChars;
        const line = fits ? partial + chunk.slice(start, end) : undefined;
        partial = '';
        passingOver = false;
        start = end + 1;
        if (line !== undefined) onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
      if (passingOver) return;
      if (partial.length + (chunk.length - start) > maxChars) {
        partial = '';
        passingOver = true;
      } else partial += chunk.slice(start);
    },
    get held() {
      return partial.length;
    },
  };
}

/** The number a marker line carries (`<marker> <digits>`), or undefined when `line` is not that marker's. */
export function markerNumber(line: string, marker: string): string | undefined {
  if (!line.startsWith(`${marker} `)) return undefined;
  const digits = line.slice(marker.length + 1);
  return /^\d+$/.test(digits) ? digits : undefined;
}
