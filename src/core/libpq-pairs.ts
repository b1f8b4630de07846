/**
 * libpq's key=value connection strings (`host=db port=5432 password='a b'`), read as libpq reads
 * them: a value is bare up to white space or quoted with '…', and a backslash takes the next
 * character as it is. Nothing is percent-decoded.
 */
import { RollbackKitError } from './errors.js';

/** The pairs, keys lowercased. Throws on text that is not key=value pairs, naming no value. */
export function libpqPairs(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const keyMatch = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/.exec(text.slice(i));
    if (!keyMatch) {
      throw new RollbackKitError(
        'The connection string is neither a postgres:// URL nor key=value pairs.',
        'Expected postgres://user:password@host:5432/dbname or host=... port=... dbname=... user=... password=....',
      );
    }
    const key = keyMatch[1]!.toLowerCase();
    i += keyMatch[0].length;
    let value = '';
    if (text[i] === "'") {
      i++;
      while (i < text.length && text[i] !== "'") {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      if (text[i] !== "'") throw new RollbackKitError(`The connection string has an unterminated quote in the value of ${key}.`);
      i++;
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
    }
    params[key] = value;
  }
  return params;
}
