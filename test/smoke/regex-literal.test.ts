// A pattern written in JavaScript's literal form (/ok/i) compiles, and matches the slashes and the
// flags as text: the check could never pass, and a check that never passes decides a rollback. The
// spec takes the pattern alone, so the literal form is refused as a spec mistake before anything runs.
import { describe, expect, it } from 'vitest';
import { parseChecks, SpecError } from '../../src/smoke/parse-spec.js';
import type { HttpCheck } from '../../src/smoke/spec.js';

const ctx = { baseUrl: 'https://app.example', hasDatabase: false };
const problem = (yaml: string): string => {
  try {
    parseChecks(yaml, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as Error).message;
  }
  throw new Error('the spec was accepted');
};

describe('patterns in the literal form', () => {
  it('body-matches: "/ok/i" and "/ok/" are spec problems that say how to write them', () => {
    expect(problem('- {name: a, url: /x, body-matches: "/ok/i"}')).toContain(
      'line 1, check "a", field "body-matches": is written as a JavaScript literal (/…/i), whose slashes and flags would be matched as text: write the pattern alone ("ok"), without flags',
    );
    expect(problem('- {name: a, url: /x, body-matches: "/status.*up/"}')).toContain('write the pattern alone ("status.*up"), or');
  });

  it('header matches: the same', () => {
    expect(problem('- {name: a, url: /x, header: {x-release: {matches: "/^v1\\\\./"}}}')).toContain('field "header": "x-release": matches is written as a JavaScript literal');
  });

  it('patterns that merely contain slashes are taken as written', () => {
    const [c] = parseChecks('- {name: a, url: /x, body-matches: "href=\\"/login/\\"", header: {location: {matches: "^/app/"}}}', ctx) as HttpCheck[];
    expect(c!.bodyMatches!.test('<a href="/login/">')).toBe(true);
    expect((c!.header[0]!.value as RegExp).test('/app/home')).toBe(true);
  });
});
