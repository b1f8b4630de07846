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
  const capital = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
