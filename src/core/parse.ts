/** Parsing of the string values actions and the CLI receive; every error names the input. */
import { RollbackKitError } from './errors.js';

export function parseBoolean(raw: string | undefined, name: string, fallback: boolean): boolean {
  const value = (raw ?? '').trim().toLowerCase();
  if (!value) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new RollbackKitError(`Input ${name} must be true or false, got "${raw}".`);
}

/**
 * A number as people write one in an input or a flag: decimal digits, a sign and a point. Not what
 * JavaScript's Number() also reads (0x10 is 16, 1e1 is 10, 0b11 is 3): a value that means something
 * else than it looks is a mistake to name, not to guess. NaN for anything else.
 */
export function decimalNumber(text: string): number {
  const value = text.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : NaN;
}

export function parseNumber(
  raw: string | undefined,
  name: string,
  opts: { default?: number; min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  const value = (raw ?? '').trim();
  if (!value) return opts.default;
  const n = decimalNumber(value);
  const kind = opts.integer ? 'a whole number' : 'a number';
  if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n))) {
    throw new RollbackKitError(`Input ${name} must be ${kind}, got "${raw}".`);
  }
  // Past 2^53 a number no longer holds every whole value (99999999999999999999999 reads as 1e+23,
  // and later messages would say so): out of range for anything we count. Values quoted as typed.
  if (Math.abs(n) > Number.MAX_SAFE_INTEGER) throw new RollbackKitError(`Input ${name} is out of range: beyond ±${Number.MAX_SAFE_INTEGER}, got ${value}.`);
  if (opts.min !== undefined && n < opts.min) throw new RollbackKitError(`Input ${name} must be at least ${opts.min}, got ${value}.`);
  if (opts.max !== undefined && n > opts.max) throw new RollbackKitError(`Input ${name} must be at most ${opts.max}, got ${value}.`);
  return n;
}

export function parseInteger(
  raw: string | undefined,
  name: string,
  opts: { default?: number; min?: number; max?: number } = {},
): number | undefined {
  return parseNumber(raw, name, { ...opts, integer: true });
}

/** Lists accept commas or newlines; blanks are dropped. */
export function parseList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** An ISO 8601 time; the error shows the shape expected. */
export function parseTime(raw: string | undefined, name: string): Date | undefined {
  const value = (raw ?? '').trim();
  if (!value) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new RollbackKitError(`Input ${name} must be an ISO 8601 time such as 2026-11-22T09:30:00Z, got "${raw}".`);
  }
  return d;
}
