/**
 * Tolerant readers for platform JSON: a field is used only when it has the expected type, so an
 * API that adds, drops or retypes a field degrades to "unknown" instead of a crash.
 */

export type Obj = Record<string, unknown>;

/** A plain object, or undefined (arrays and null are not objects here). */
export const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

/** A non-empty string, or undefined. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
