/**
 * Text said as a sentence of its own where sentences are joined ("… decision rollback. Check
 * "reports" failed: …"): a clause made to follow a colon starts in lower case, and one that ends in
 * a quote or a code "(SQLSTATE 42P01)" has no full stop. Starts with a capital, ends with . ! or ?.
 * For prose only: a hint that starts with a name as written (since-ref, verified-sha, a command)
 * keeps it, so RollbackKitError.line joins message and hint as they are.
 */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  return ended(capitalized(t));
}

/** Text with its first letter in upper case ("Staging of shop"), the rest as it is. */
export function capitalized(text: string): string {
  return text ? `${text[0]!.toUpperCase()}${text.slice(1)}` : text;
}

/**
 * Text that another sentence follows, with its full stop: one that ends in a bracket, a quote or a
 * name ("… and the database)") gets one; one that ends in . ! or ? is kept. Nothing else is changed
 * (a message may start with an input's name, as written).
 */
export function ended(text: string): string {
  const t = text.trimEnd();
  return !t || /[.!?]$/.test(t) ? t : `${t}.`;
}

/**
 * Text on one line: each run of white space that holds a line break becomes one space, so a
 * newline in outside text cannot start another field or line. Each run is read once (a pattern
 * that backtracks over spaces, `\s*[\r\n]+\s*`, took seconds on a long run of spaces).
 */
export function onOneLine(text: string): string {
  return text.replace(/\s+/g, (run) => (/[\r\n]/.test(run) ? ' ' : run));
}
