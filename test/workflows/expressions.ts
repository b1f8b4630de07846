/**
 * The few `${{ }}` expressions a job's `with:` and `outputs:` are written in, evaluated as GitHub
 * does, so a test can hand a bundle exactly what a workflow's step would get: a whole value that is
 * one expression of context paths (`inputs.from`, `needs.incident.outputs.from`, hyphens allowed)
 * and quoted strings joined by `||` (the first truthy operand, else the last), or text without one.
 * Anything else throws: a test must not guess what GitHub would make of it.
 */
type Context = Record<string, unknown>;

const WHOLE = /^\$\{\{\s*(.+?)\s*\}\}$/;
const PATH = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*$/;
const QUOTED = /^'((?:[^']|'')*)'$/;

function operand(text: string, ctx: Context): string {
  const quoted = QUOTED.exec(text);
  if (quoted) return quoted[1]!.replace(/''/g, "'");
  if (!PATH.test(text)) throw new Error(`not an expression this evaluator knows: ${text}`);
  let v: unknown = ctx;
  for (const key of text.split('.')) v = v && typeof v === 'object' ? (v as Context)[key] : undefined;
  // A missing context value, as GitHub gives it: an empty string.
  return v === undefined || v === null ? '' : String(v);
}

export function evaluate(value: unknown, ctx: Context): string {
  const text = String(value);
  if (!text.includes('${{')) return text;
  const m = WHOLE.exec(text.trim());
  if (!m) throw new Error(`not an expression this evaluator knows: ${text}`);
  const values = m[1]!.split('||').map((o) => operand(o.trim(), ctx));
  return values.find((v) => v !== '') ?? values.at(-1)!;
}

/** Every value of a `with:` (or a job's `outputs:`) evaluated. */
export function evaluateAll(block: Record<string, unknown> | undefined, ctx: Context): Record<string, string> {
  return Object.fromEntries(Object.entries(block ?? {}).map(([k, v]) => [k, evaluate(v, ctx)]));
}
