import { describe, expect, it } from 'vitest';
import { parseChecks, SpecError, type SpecContext, type SpecProblem } from '../../src/smoke/parse-spec.js';
import type { HttpCheck, SqlCheck } from '../../src/smoke/spec.js';

const ctx = { baseUrl: 'https://shop.example.com', hasDatabase: true };

function problems(yaml: string, context: SpecContext = ctx): SpecProblem[] {
  try {
    parseChecks(yaml, context);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).problems;
  }
  throw new Error('the spec was accepted');
}

describe('parseChecks: a valid spec', () => {
  it('reads HTTP checks with every assertion, joining paths to base-url', () => {
    const [check] = parseChecks(
      `
- name: health
  url: /api/health
  critical: true
  headers: {accept: application/json}
  status: [200, 3xx, "204..206"]
  body-contains: ok
  body-not-contains: [error, exception]
  body-matches: '"version":"\\d+'
  json:
    status: ok
    checks.db.latency_ms: {less-than: 200, greater-than: 0}
    version: {exists: true}
    regions[0]: fra1
  header:
    content-type: {contains: json}
    x-release: v1.4.2
    server: {exists: false}
  max-ms: 500
  samples: 20
  attempts: 2
  interval-seconds: 0.5
  backoff: exponential
  timeout-seconds: 2
`,
      ctx,
    ) as HttpCheck[];
    expect(check).toMatchObject({
      kind: 'http',
      name: 'health',
      url: 'https://shop.example.com/api/health',
      path: '/api/health',
      method: 'GET',
      critical: true,
      status: [{ min: 200, max: 200 }, { min: 300, max: 399 }, { min: 204, max: 206 }],
      bodyContains: ['ok'],
      bodyNotContains: ['error', 'exception'],
      maxMs: 500,
      samples: 20,
      attempts: 2,
      intervalSeconds: 0.5,
      backoff: 'exponential',
      timeoutSeconds: 2,
    });
    expect(check!.bodyMatches?.test('{"version":"1')).toBe(true);
    expect(check!.json).toEqual([
      { path: 'status', op: 'equals', value: 'ok' },
      { path: 'checks.db.latency_ms', op: 'less-than', value: 200 },
      { path: 'checks.db.latency_ms', op: 'greater-than', value: 0 },
      { path: 'version', op: 'exists', value: true },
      { path: 'regions[0]', op: 'equals', value: 'fra1' },
    ]);
    expect(check!.header.map((h) => [h.name, h.op])).toEqual([
      ['content-type', 'contains'],
      ['x-release', 'equals'],
      ['server', 'exists'],
    ]);
  });

  it('accepts `checks:` as the top level, absolute URLs, and JSON bodies', () => {
    const checks = parseChecks(
      `checks:
  - name: create
    url: https://api.example.com/v1/ping
    method: post
    body: {hello: world}
`,
      { hasDatabase: false },
    ) as HttpCheck[];
    expect(checks[0]).toMatchObject({ url: 'https://api.example.com/v1/ping', method: 'POST', body: '{"hello":"world"}', headers: { 'content-type': 'application/json' } });
    expect(checks[0]!.path).toBeUndefined();
  });

  it('keeps the path of base-url when joining', () => {
    const [c] = parseChecks('- {name: h, url: health}', { baseUrl: 'https://x.example.com/app/', hasDatabase: false }) as HttpCheck[];
    expect(c!.url).toBe('https://x.example.com/app/health');
  });

  it('reads SQL checks', () => {
    const checks = parseChecks(
      `
- name: tickets exist
  query: select count(*) from service_tickets
  expect-value: 3
- name: some rows
  query: select * from customers
  expect-rows: "1.."
- name: phase 2 gone
  query: select count(*) from task_templates
  expect-error: does not exist
  critical: true
`,
      ctx,
    ) as SqlCheck[];
    expect(checks.map((c) => c.kind)).toEqual(['sql', 'sql', 'sql']);
    expect(checks[0]!.expectValue).toEqual({ value: 3 });
    expect(checks[1]!.expectRows).toEqual({ min: 1, max: undefined });
    expect(checks[2]).toMatchObject({ expectError: 'does not exist', critical: true });
  });
});

describe('parseChecks: malformed specs report every mistake with its place', () => {
  it('bad YAML names the line', () => {
    const p = problems('- name: health\n  url: /h\n   status: 200\n');
    expect(p[0]!.message).toMatch(/invalid YAML/);
    // The parser notices at the value that the next, over-indented line makes it a mapping.
    expect(p[0]!.line).toBe(2);
  });

  it('a tab in the indentation: one plain problem per line, not the YAML library\'s token jargon', () => {
    expect(problems('- name: health\n\turl: /health\n')).toEqual([{ line: 2, message: 'tabs are not allowed for indentation in YAML; use spaces' }]);
    expect(problems('- name: health\n  url: /health\n  json:\n  \tstatus: ok\n  \tversion: {exists: true}\n')).toEqual([
      { line: 4, message: 'tabs are not allowed for indentation in YAML; use spaces' },
      { line: 5, message: 'tabs are not allowed for indentation in YAML; use spaces' },
    ]);
    // A tab inside a block scalar's text is content, not indentation: the spec is valid.
    const [check] = parseChecks('- name: q\n  query: |\n    select 1\n    \t from pg_class\n  expect-rows: 1\n', ctx);
    expect((check as SqlCheck).query).toBe('select 1\n\t from pg_class');
  });

  it("a query is several statements only if it is either way standard_conforming_strings reads it", () => {
    // The spec is read before any session: with the setting off (a legacy database) 'it\'s; fine' is one string.
    const [check] = parseChecks("- name: q\n  query: |\n    select count(*) from notes where body <> 'it\\'s; fine'\n  expect-rows: 1\n", ctx);
    expect((check as SqlCheck).query).toBe("select count(*) from notes where body <> 'it\\'s; fine'");
    for (const query of ['select 1; select 2', "select 'it''s'; delete from notes", "select E'C:\\\\'; delete from notes"]) {
      expect(problems(`- name: q\n  query: ${JSON.stringify(query)}\n`)).toEqual([{ line: 2, check: 'q', field: 'query', message: expect.stringMatching(/^must be exactly one SQL statement/) }]);
    }
  });

  it('a reversed range says it is reversed', () => {
    expect(problems('- {name: q, query: select 1, expect-rows: "1..0"}')).toEqual([
      { line: 1, check: 'q', field: 'expect-rows', message: 'the range 1..0 is reversed: its minimum is greater than its maximum (write 0..1)' },
    ]);
    expect(problems('- {name: h, url: /h, status: "299..200"}')[0]).toMatchObject({
      field: 'status',
      message: 'the range 299..200 is reversed: its minimum is greater than its maximum (write 200..299)',
    });
  });

  it('numbers YAML reads from hex, octal or exponent forms are refused, as inputs and the plan refuse them (plain decimals only)', () => {
    const decimals = 'written in plain decimals (10, not 0xA or 1e1)';
    expect(problems('- {name: a, url: /a, timeout-seconds: 1e1, attempts: 0o3, max-ms: .inf}').map((p) => `${p.field}: ${p.message}`)).toEqual([
      `attempts: must be a whole number at least 1 and at most 100, ${decimals}`,
      `timeout-seconds: must be a number at least 0.001 and at most 3600, ${decimals}`,
      `max-ms: must be a number at least 0.001, ${decimals}`,
    ]);
    expect(problems('- {name: a, url: /a, status: 0xC8}')).toEqual([
      { line: 1, check: 'a', field: 'status', message: `is not a status: use a code (200), a class (2xx), a range (200..299) or a list of them, ${decimals}` },
    ]);
    expect(problems('- {name: a, url: /a, status: [200, 2e2]}').map((p) => p.field)).toEqual(['status']);
    expect(problems('- {name: a, query: select 1, expect-rows: 0x1}')[0]!.message).toBe(`must be a row count (3) or a range (1.., ..10, 1..10), ${decimals}`);
    // Through an alias too: the number is read where it was written.
    const aliased = problems('- name: a\n  url: /a\n  timeout-seconds: &t 1e1\n- name: b\n  url: /b\n  timeout-seconds: *t\n');
    expect(aliased.map((p) => `${p.check}/${p.field}`)).toEqual(['a/timeout-seconds', 'b/timeout-seconds']);
    // Plain decimals, through aliases as well, read as before.
    const [check] = parseChecks('- name: a\n  url: /a\n  timeout-seconds: &t 2.5\n  status: [200, 304]\n- name: b\n  url: /b\n  timeout-seconds: *t\n', ctx) as HttpCheck[];
    expect([check!.timeoutSeconds, check!.status]).toEqual([2.5, [{ min: 200, max: 200 }, { min: 304, max: 304 }]]);
  });

  it('duplicate keys are invalid YAML', () => {
    expect(problems('- name: a\n  url: /a\n  url: /b\n')[0]!.message).toMatch(/invalid YAML.*unique/i);
  });

  it('unknown field, with a suggestion and the key line', () => {
    const p = problems('- name: health\n  url: /api/health\n  staus: 200\n');
    expect(p).toEqual([{ line: 3, check: 'health', field: 'staus', message: 'unknown field (did you mean "status"?)' }]);
  });

  it('a field of the other kind of check', () => {
    const p = problems('- name: health\n  url: /api/health\n  expect-rows: 1\n');
    expect(p[0]).toMatchObject({ check: 'health', field: 'expect-rows', message: 'is for SQL checks only' });
  });

  it('unknown json and header assertions', () => {
    const p = problems('- name: health\n  url: /h\n  json:\n    latency: {lessthan: 5}\n  header:\n    etag: {starts-with: W}\n');
    expect(p.map((x) => [x.check, x.field])).toEqual([
      ['health', 'json'],
      ['health', 'header'],
    ]);
    expect(p[0]!.message).toMatch(/unknown assertion "lessthan"/);
    expect(p[0]!.line).toBe(4);
    expect(p[1]!.message).toMatch(/unknown assertion "starts-with"/);
  });

  it('bad regex, in body-matches and in header matches', () => {
    const p = problems('- name: home\n  url: /\n  body-matches: "([a-z"\n  header:\n    etag: {matches: "(["}\n');
    expect(p[0]).toMatchObject({ line: 3, check: 'home', field: 'body-matches' });
    expect(p[0]!.message).toMatch(/not a valid regular expression/);
    expect(p[1]).toMatchObject({ check: 'home', field: 'header' });
  });

  it('relative URL without base-url', () => {
    const p = problems('- name: health\n  url: /api/health\n', { hasDatabase: false });
    expect(p).toEqual([{ line: 2, check: 'health', field: 'url', message: expect.stringMatching(/relative.*base-url/) }]);
  });

  it('SQL check without database-url', () => {
    const p = problems('- name: gone\n  query: select 1 from task_templates\n  expect-error: true\n', { baseUrl: 'https://x.example.com', hasDatabase: false });
    expect(p).toEqual([{ line: 2, check: 'gone', field: 'query', message: expect.stringMatching(/database-url/) }]);
  });

  it('collects all problems of all checks in one error, nothing half-read', () => {
    const p = problems(`
- name: a
  url: ftp://example.com/x
  status: 999
  method: FETCH
- url: /b
  samples: 0
  attempts: 1.5
  critical: yes please
- name: a
  query: ""
  expect-rows: "5..1"
  expect-error: 42
- name: both
  url: /c
  query: select 1
- name: neither
  json: {status: ok}
`);
    const places = p.map((x) => `${x.check}/${x.field ?? ''}`);
    expect(places).toEqual([
      'a/url',
      'a/status',
      'a/method',
      '#2/',
      '#2/samples',
      '#2/attempts',
      '#2/critical',
      'a/name',
      'a/query',
      'a/expect-rows',
      'a/expect-error',
      'a/expect-error',
      'both/query',
      'neither/',
    ]);
    expect(p.every((x) => typeof x.line === 'number')).toBe(true);
    const err = (() => {
      try {
        parseChecks('- {name: a, url: /a, staus: 1}\n- {name: b, url: /b, jsn: {}}', ctx);
      } catch (e) {
        return e as SpecError;
      }
    })();
    expect(err?.message).toMatch(/2 problems, so nothing was run: line 1, check "a", field "staus": unknown field.*; line 2, check "b", field "jsn"/);
  });

  it('an empty check is a problem, and a spec of empty checks measures nothing: refused', () => {
    expect(problems('- {}\n- {}\n')).toEqual([
      { line: 1, check: '#1', message: expect.stringMatching(/^the check is empty/) },
      { line: 2, check: '#2', message: expect.stringMatching(/^the check is empty/) },
    ]);
    expect(problems('- {name: a, url: /a}\n- {}\n')).toEqual([{ line: 2, check: '#2', message: expect.stringMatching(/^the check is empty/) }]);
    expect(problems('checks:\n  - {}\n')[0]!.message).toMatch(/^the check is empty/);
  });

  it('a HEAD check cannot assert on a body it never gets', () => {
    const p = problems('- {name: h, url: /a, method: HEAD, body-contains: ok, body-not-contains: error, body-matches: x, json: {status: ok}}');
    expect(p.map((x) => x.field)).toEqual(['body-contains', 'body-not-contains', 'body-matches', 'json']);
    expect(p[0]!.message).toMatch(/a HEAD response has no body/);
    expect(parseChecks('- {name: h, url: /a, method: HEAD, status: 200, header: {etag: {exists: true}}}', ctx)).toHaveLength(1);
  });

  it('header matches is a regular expression written as a string', () => {
    for (const value of ['{a: 1}', '[a, b]', 'true', '""']) {
      expect(problems(`- {name: h, url: /a, header: {etag: {matches: ${value}}}}`)).toEqual([
        { line: 1, check: 'h', field: 'header', message: '"etag": matches must be a regular expression written as a string' },
      ]);
    }
  });

  it('an invalid header name is named by its place, never repeated: it may be a whole header line with its value', () => {
    const p = problems('- name: h\n  url: /a\n  headers:\n    accept: json\n    "authorization: Bearer SekretTok3nABC": x\n    "SekretTok3nABC/x": y\n  header:\n    "x-key=SekretTok3nABC": 1\n');
    expect(p.map((x) => x.message)).toEqual([
      'the key of entry #2 is not a valid header name; it starts with "authorization", then a colon or a space: write the name as the key and the value as its value',
      'the key of entry #3 is not a valid header name (the key is not repeated here, as it may hold a value)',
      'the key of entry #1 is not a valid header name (the key is not repeated here, as it may hold a value)',
    ]);
  });

  it('refuses a GET with a body, bad JSON paths, empty specs, and a scalar spec', () => {
    expect(problems('- {name: a, url: /a, body: x}')[0]).toMatchObject({ field: 'body' });
    expect(problems('- {name: a, url: /a, json: {"a..b": 1}}')[0]!.message).toMatch(/bad path/);
    expect(problems('[]')[0]!.message).toMatch(/no checks/);
    expect(problems('hello')[0]!.message).toMatch(/list of checks/);
    expect(problems('- {name: a, url: /a, json: {x: {}}}')[0]!.message).toMatch(/empty mapping/);
    expect(problems('- {name: a, url: /a, json: {x: {less-than: "5"}}}')[0]!.message).toMatch(/less-than must be a number/);
  });
});

describe('parseChecks: every problem in one pass, none left for the next run', () => {
  it('a name used twice is said beside the typo that keeps the first check from being read', () => {
    const p = problems(`
- name: health
  urll: /health
  status: 200
- name: health
  url: /health
`);
    expect(p.map((x) => `${x.line} ${x.check}/${x.field ?? ''}`)).toEqual(['2 health/', '3 health/urll', '5 health/name']);
    expect(p[2]!.message).toMatch(/^the name is already used by check #1/);
  });

  it('the fields of a check with neither url nor query, or both, are still checked', () => {
    const p = problems(`
- name: a
  urll: /a
  attempts: 0
  status: 999
  critical: maybe
- name: b
  url: /b
  query: select 1
  timeout-seconds: -1
  method: FETCH
  expect-rows: "5..1"
- name: c
  querry: select 1
  expect-rows: lots
`);
    expect(p.map((x) => `${x.check}/${x.field ?? ''}`)).toEqual(['a/', 'a/urll', 'a/attempts', 'a/status', 'a/critical', 'b/query', 'b/timeout-seconds', 'b/method', 'b/expect-rows', 'c/', 'c/querry', 'c/expect-rows']);
  });

  it('no checks, beside a top-level field that does not belong: both', () => {
    expect(problems('checks: []\nchecs: 1\n').map((x) => `${x.line} ${x.field ?? ''} ${x.message}`)).toEqual([
      expect.stringMatching(/^1 {2}the spec has no checks$/),
      expect.stringMatching(/^2 checs unknown top-level field/),
    ]);
  });
});
