/**
 * The small JSON path language of `json` assertions: `status`, `checks.db.ok`, `items[0].id`,
 * `$.data["dotted.key"]`, and `items.length` for the size of an array. Enough for health payloads,
 * without pulling a JSONPath engine (and its filter expressions) into every bundle.
 */

export type PathSegment = string | number;

/** Parses a path; throws an Error whose message says what is wrong (validation turns it into a problem). */
export function parseJsonPath(path: string): PathSegment[] {
  const text = path.trim();
  if (!text) throw new Error('the path is empty');
  const segments: PathSegment[] = [];
  let i = 0;
  if (text[0] === '$') {
    i = 1;
    if (text.length === 1) return segments;
    if (text[1] !== '.' && text[1] !== '[') throw new Error(`expected "." or "[" after "$" in "${path}"`);
    if (text[1] === '.') i = 2;
  }
  let expectName = true;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '[') {
      const close = findClosingBracket(text, i);
      if (close < 0) throw new Error(`unclosed "[" in "${path}"`);
      const inner = text.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) segments.push(Number(inner));
      else if (/^(["']).*\1$/.test(inner) && inner.length >= 2) segments.push(inner.slice(1, -1));
      else throw new Error(`"[${inner}]" in "${path}" must be an index like [0] or a quoted key like ["a.b"]`);
      i = close + 1;
      expectName = false;
    } else if (ch === '.') {
      if (expectName) throw new Error(`empty segment in "${path}"`);
      i++;
      expectName = true;
      if (i >= text.length) throw new Error(`"${path}" ends with "."`);
    } else {
      if (!expectName) throw new Error(`expected "." or "[" before "${text.slice(i)}" in "${path}"`);
      let end = i;
      while (end < text.length && text[end] !== '.' && text[end] !== '[') end++;
      segments.push(text.slice(i, end));
      i = end;
      expectName = false;
    }
  }
  return segments;
}

function findClosingBracket(text: string, open: number): number {
  const quote = text[open + 1] === '"' || text[open + 1] === "'" ? text[open + 1] : undefined;
  if (!quote) return text.indexOf(']', open);
  const endQuote = text.indexOf(quote, open + 2);
  return endQuote < 0 ? -1 : text.indexOf(']', endQuote);
}

export interface Lookup {
  found: boolean;
  value?: unknown;
}

export function lookupJsonPath(doc: unknown, segments: PathSegment[]): Lookup {
  let current: unknown = doc;
  for (const seg of segments) {
    if (Array.isArray(current)) {
      if (seg === 'length') {
        current = current.length;
        continue;
      }
      const index = typeof seg === 'number' ? seg : /^\d+$/.test(seg) ? Number(seg) : -1;
      if (index < 0 || index >= current.length) return { found: false };
      current = current[index];
    } else if (current !== null && typeof current === 'object') {
      const key = String(seg);
      if (!Object.prototype.hasOwnProperty.call(current, key)) return { found: false };
      current = (current as Record<string, unknown>)[key];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}
