/**
 * Regular expressions from the spec (body-matches, header `matches`) run against what a server
 * sent, and JavaScript's engine backtracks: `^(a+)+$` against a long body runs for hours and holds
 * the whole process, past every timeout and the overall deadline. Each match runs in a vm script
 * with a timeout, which V8 interrupts even inside the regex engine, so a match ends in bounded time
 * whatever the pattern and the body.
 */
import { createContext, Script } from 'node:vm';

/** Longest one match may take. A sound pattern needs milliseconds on the largest body we read (5 MB). */
export const MATCH_TIMEOUT_MS = 1000;

const test = new Script('pattern.test(text)');
const context = createContext({ pattern: /$^/, text: '' });

/** The match took longer than it was allowed. */
export class MatchTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the regular expression did not finish within ${timeoutMs} ms`);
    this.name = 'MatchTimeout';
  }
}

export function boundedTest(pattern: RegExp, text: string, timeoutMs: number): boolean {
  context.pattern = pattern;
  context.text = text;
  try {
    return test.runInContext(context, { timeout: Math.max(1, Math.floor(timeoutMs)) }) === true;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new MatchTimeout(timeoutMs);
    throw err;
  } finally {
    context.text = '';
  }
}
