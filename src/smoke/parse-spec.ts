/**
 * YAML check spec → validated checks. Every mistake is collected with its place (line, check name,
 * field) and reported together before anything runs: a spec that is half right measures nothing
 * useful, and fixing one mistake per run is slow when production may be broken.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import { PLAIN_DECIMALS, readYaml, writtenNumber, YamlError, type YamlDocument, type YamlPath } from '../core/yaml.js';
import { RollbackKitError } from '../core/errors.js';
import { closest } from '../core/closest.js';
import { splitCredentials, urlSecrets } from '../core/url-secrets.js';
import { joinUrl } from './join-url.js';
import { parseJsonPath } from './json-path.js';
import { sqlStatementProblem } from './sql-statement.js';
import type { Backoff, Check, HeaderAssertion, HeaderOp, HttpCheck, JsonAssertion, JsonOp, Measuring, Range, SqlCheck } from './spec.js';

export interface SpecContext {
  /** The base-url input; relative check URLs are joined to it. */
  baseUrl?: string;
  /** Whether database-url was given: SQL checks need it. */
  hasDatabase: boolean;
  /** Named in messages: "checks" input or the checks-file path. */
  source?: string;
}

export interface SpecProblem {
  line?: number;
  check?: string;
  field?: string;
  message: string;
}

export function formatProblem(p: SpecProblem): string {
  const place = [p.line !== undefined ? `line ${p.line}` : '', p.check !== undefined ? `check "${p.check}"` : '', p.field ? `field "${p.field}"` : '']
    .filter(Boolean)
    .join(', ');
  return place ? `${place}: ${p.message}` : p.message;
}

export class SpecError extends RollbackKitError {
  constructor(
    readonly problems: SpecProblem[],
    source: string,
  ) {
    super(
      `The smoke check spec (${source}) has ${problems.length} problem${problems.length === 1 ? '' : 's'}, so nothing was run: ${problems.map(formatProblem).join('; ')}.`,
      'Fix the spec; the smoke-test README (actions/smoke-test/README.md) lists every field.',
    );
  }
}

const COMMON_FIELDS = ['name', 'critical', 'attempts', 'interval-seconds', 'backoff', 'timeout-seconds'];
const HTTP_FIELDS = ['url', 'method', 'headers', 'body', 'status', 'body-contains', 'body-not-contains', 'body-matches', 'json', 'header', 'max-ms', 'redirect-origins', 'samples', 'max-error-rate', 'max-p95-ms'];
const SQL_FIELDS = ['query', 'expect-rows', 'expect-value', 'expect-error'];
const JSON_OPS: JsonOp[] = ['equals', 'exists', 'less-than', 'greater-than'];
const HEADER_OPS: HeaderOp[] = ['equals', 'contains', 'matches', 'exists'];
/** Fields that assert on the response body: a HEAD response has none. */
const BODY_ASSERTIONS = ['body-contains', 'body-not-contains', 'body-matches', 'json'];
/**
 * Words people write for a field the spec names otherwise. A guess by spelling misses them, or
 * worse: "sql" is nearer "url" than "query".
 */
const SYNONYMS: Record<string, string> = { sql: 'query', statement: 'query', path: 'url', endpoint: 'url', href: 'url' };
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export type { YamlPath };

/** Parses and validates; throws SpecError with every problem found. */
export function parseChecks(text: string, ctx: SpecContext): Check[] {
  const source = ctx.source ?? 'checks';
  let yaml: YamlDocument;
  try {
    yaml = readYaml(text);
  } catch (err) {
    if (err instanceof YamlError) throw new SpecError(err.problems, source);
    throw err;
  }
  const { doc, lines: lineCounter } = yaml;
  const problems: SpecProblem[] = [];
  const lineOf = (path: YamlPath, keyOf?: string) => locate(doc, lineCounter, path, keyOf);
  const root = yaml.value;

  let items: unknown[] | undefined;
  let base: YamlPath = [];
  if (Array.isArray(root)) items = root;
  else if (isPlainObject(root)) {
    // Without a checks field this is not a spec at all (another YAML file): its keys are its
    // contents, so say what a spec is instead of naming them.
    if (!('checks' in root)) problems.push({ line: 1, message: 'the spec must be a YAML list of checks, or a mapping with `checks:` holding that list; this mapping has no checks field' });
    else {
      for (const key of Object.keys(root)) {
        if (key !== 'checks') problems.push({ line: lineOf([], key), field: key, message: 'unknown top-level field (the spec is a list of checks, or `checks:` with that list)' });
      }
    }
    if (Array.isArray(root.checks)) {
      items = root.checks;
      base = ['checks'];
    } else if ('checks' in root) problems.push({ line: lineOf(['checks']), field: 'checks', message: 'must be a list of checks' });
  }
  if (!items) {
    if (!problems.length) problems.push({ line: 1, message: 'the spec must be a YAML list of checks (each starting with "- name: ...")' });
    throw new SpecError(problems, source);
  }
  // With the top-level problems found beside it: each is named in the one pass.
  if (!items.length) throw new SpecError([...problems, { line: lineOf(base), message: 'the spec has no checks' }].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)), source);

  const checks: Check[] = [];
  const names = new Map<string, number>();
  items.forEach((item, index) => {
    const path = [...base, index];
    const reader = new CheckReader(
      item,
      index,
      ctx,
      problems,
      (field) => lineOf(field ? [...path, field] : path, undefined),
      (field) => lineOf(path, field),
      (at, value) => writtenNumber(doc, [...path, ...at], value),
    );
    const check = reader.read();
    // Whether or not the check could be read: a name used twice is a problem of its own, said in this pass, not the next.
    const name = reader.givenName;
    if (name !== undefined) {
      const earlier = names.get(name);
      if (earlier !== undefined) {
        problems.push({ line: reader.keyLine('name'), check: name, field: 'name', message: `the name is already used by check #${earlier + 1}; names must be unique (they name the report rows)` });
      } else names.set(name, index);
    }
    if (check) checks.push(check);
  });
  // In file order, so the list reads top to bottom next to the YAML (sort is stable).
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  // A spec that measures nothing would pass, and a pass may record a verified commit.
  if (!checks.length && !problems.length) problems.push({ line: lineOf(base), message: 'the spec has no checks' });
  if (problems.length) throw new SpecError(problems, source);
  return checks;
}

/** Line of the node at `path`, or of the key `keyOf` in the map at `path` (for unknown fields). */
export function locate(doc: Document, lines: LineCounter, path: YamlPath, keyOf?: string): number | undefined {
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (isMap(node)) node = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === seg)?.value;
    else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return undefined;
  }
  if (keyOf !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === keyOf);
    const key = pair?.key as { range?: [number, number, number] } | undefined;
    if (key?.range) return lines.linePos(key.range[0]).line;
  }
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? lines.linePos(range[0]).line : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/**
 * Reads one check, pushing a problem for each mistake; returns undefined when it cannot be typed.
 * A check that cannot be typed (no url or query, or both) still has each of its fields checked:
 * every mistake of the spec is said in one pass.
 */
class CheckReader {
  private name: string;
  /** The name as written, when it is one (a non-empty string): what must be unique. */
  readonly givenName: string | undefined;
  private readonly obj: Record<string, unknown>;
  private readonly isMapping: boolean;

  constructor(
    item: unknown,
    index: number,
    private readonly ctx: SpecContext,
    private readonly problems: SpecProblem[],
    private readonly valueLine: (field?: string) => number | undefined,
    readonly keyLine: (field: string) => number | undefined,
    /** A number of this check as written (core/yaml.ts), `at` from the check: NaN unless plain decimals. */
    private readonly numberOf: (at: YamlPath, value: number) => number,
  ) {
    this.isMapping = isPlainObject(item);
    this.obj = this.isMapping ? (item as Record<string, unknown>) : {};
    this.givenName = typeof this.obj.name === 'string' && this.obj.name.trim() ? this.obj.name.trim() : undefined;
    this.name = this.givenName ?? `#${index + 1}`;
    if (!this.isMapping) this.problem(undefined, 'each check must be a mapping of fields (name, url or query, assertions)');
  }

  private problem(field: string | undefined, message: string, atKey = false): void {
    this.problems.push({ line: field && atKey ? this.keyLine(field) : this.valueLine(field), check: this.name, field, message });
  }

  read(): Check | undefined {
    if (!Object.keys(this.obj).length) {
      // A non-mapping item already has its problem; an empty one ({}) would measure nothing.
      if (this.isMapping) this.problem(undefined, 'the check is empty: each check needs a name and a url (an HTTP check) or a query (an SQL check)');
      return undefined;
    }
    if (typeof this.obj.name !== 'string' || !this.obj.name.trim()) this.problem('name' in this.obj ? 'name' : undefined, 'every check needs a name (a non-empty string)');
    const isHttp = 'url' in this.obj;
    const isSql = 'query' in this.obj;
    if (isHttp && isSql) {
      this.problem('query', 'a check has either url (HTTP) or query (SQL), not both', true);
      this.unknownFields([...HTTP_FIELDS, ...SQL_FIELDS], [], '');
    } else if (!isHttp && !isSql) {
      // Its other fields are named too: `sql: select 1` is the likeliest reason it has no query.
      this.unknownFields([...HTTP_FIELDS, ...SQL_FIELDS], [], '');
      this.problem(undefined, 'a check needs url (an HTTP check) or query (an SQL check)');
    } else this.unknownFields(isHttp ? HTTP_FIELDS : SQL_FIELDS, isHttp ? SQL_FIELDS : HTTP_FIELDS, isHttp ? 'SQL' : 'HTTP');
    const common = { name: this.name, critical: this.bool('critical') ?? false, ...this.measuring() };
    if (isHttp !== isSql) return isHttp ? this.http(common) : this.sql(common);
    // Not one kind: the fields of each kind it has are checked all the same, the missing url or query not again.
    if (isHttp || HTTP_FIELDS.some((f) => f in this.obj)) this.http(common, isHttp);
    if (isSql || SQL_FIELDS.some((f) => f in this.obj)) this.sql(common, isSql);
    return undefined;
  }

  private unknownFields(own: string[], other: string[], otherKind: string): void {
    for (const key of Object.keys(this.obj)) {
      if (COMMON_FIELDS.includes(key) || own.includes(key)) continue;
      if (other.includes(key)) this.problem(key, `is for ${otherKind} checks only`, true);
      else {
        const meant = SYNONYMS[key.toLowerCase()];
        if (meant && other.includes(meant)) {
          this.problem(key, `unknown field (did you mean "${meant}"? That makes an ${otherKind} check, and this one has ${own.includes('url') ? 'url' : 'query'}: a check has either url (HTTP) or query (SQL))`, true);
          continue;
        }
        const guess = meant ?? closest(key, [...COMMON_FIELDS, ...own]);
        this.problem(key, `unknown field${guess ? ` (did you mean "${guess}"?)` : ''}`, true);
      }
    }
  }

  private measuring(): Measuring {
    const m: Measuring = {};
    m.attempts = this.number('attempts', { integer: true, min: 1, max: 100 });
    m.intervalSeconds = this.number('interval-seconds', { min: 0, max: 3600 });
    m.timeoutSeconds = this.number('timeout-seconds', { min: 0.001, max: 3600 });
    const backoff = this.obj.backoff;
    if (backoff !== undefined) {
      if (backoff === 'fixed' || backoff === 'exponential') m.backoff = backoff as Backoff;
      else this.problem('backoff', 'must be fixed or exponential');
    }
    return m;
  }

  /** `hasUrl`: false for a check with no url, already said, whose other HTTP fields are still checked. */
  private http(common: Pick<HttpCheck, 'name' | 'critical'> & Measuring, hasUrl = true): HttpCheck {
    const check: HttpCheck = {
      kind: 'http',
      ...common,
      url: '',
      secrets: { declared: [], guessed: [] },
      method: 'GET',
      headers: {},
      status: [{ min: 200, max: 299 }],
      bodyContains: this.strings('body-contains'),
      bodyNotContains: this.strings('body-not-contains'),
      json: this.json(),
      header: this.headerAssertions(),
      maxMs: this.number('max-ms', { min: 0.001 }),
      redirectOrigins: this.origins('redirect-origins'),
      samples: this.number('samples', { integer: true, min: 1, max: 10000 }),
      maxErrorRate: this.number('max-error-rate', { min: 0, max: 100 }),
      maxP95Ms: this.number('max-p95-ms', { min: 0.001 }),
    };
    if (hasUrl) this.url(check);
    this.headers(check);
    this.methodAndBody(check);
    if (check.method === 'HEAD') {
      for (const field of BODY_ASSERTIONS) {
        if (field in this.obj) this.problem(field, 'a HEAD response has no body, so this assertion could never pass: use method GET, or assert on status and header', true);
      }
    }
    const status = this.status();
    if (status) check.status = status;
    const pattern = this.obj['body-matches'];
    if (pattern !== undefined) {
      if (typeof pattern !== 'string' || !pattern) this.problem('body-matches', 'must be a regular expression written as a string');
      else {
        const compiled = compilePattern(pattern);
        if (typeof compiled === 'string') this.problem('body-matches', compiled);
        else check.bodyMatches = compiled;
      }
    }
    return check;
  }

  private url(check: HttpCheck): void {
    const raw = this.obj.url;
    if (typeof raw !== 'string' || !raw.trim()) {
      this.problem('url', 'must be an absolute URL (https://...) or a path joined to base-url (/api/health)');
      return;
    }
    const text = raw.trim();
    if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
      if (!/^https?:\/\//i.test(text)) return this.problem('url', `must use http or https, not ${/^[a-z][a-z0-9+.-]*:/i.exec(text)![0]}`);
      try {
        this.setUrl(check, text, new URL(text).toString());
      } catch {
        this.problem('url', 'is not a valid URL');
      }
      return;
    }
    if (!this.ctx.baseUrl) {
      this.problem('url', 'is relative, and the base-url input is not set: set it, or write an absolute URL');
      return;
    }
    check.path = text.startsWith('/') ? text : `/${text}`;
    const joined = joinUrl(this.ctx.baseUrl, check.path);
    this.setUrl(check, joined, joined);
  }

  /**
   * The URL as requested and printed carries no userinfo: it travels as an Authorization header.
   * Its secrets are read from the text as written too, which the URL parser may re-encode.
   */
  private setUrl(check: HttpCheck, written: string, url: string): void {
    check.secrets = urlSecrets(written);
    const { url: requested, authorization } = splitCredentials(url);
    check.url = requested;
    check.credentials = authorization;
  }

  private headers(check: HttpCheck): void {
    const raw = this.obj.headers;
    if (raw === undefined) return;
    if (!isPlainObject(raw)) return this.problem('headers', 'must be a mapping of header name to value');
    for (const [index, [name, value]] of Object.entries(raw).entries()) {
      if (!HEADER_NAME.test(name)) this.problem('headers', invalidHeaderName(index, name));
      else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') this.problem('headers', `the value of "${name}" must be a string`);
      else check.headers[name] = String(value);
    }
  }

  private methodAndBody(check: HttpCheck): void {
    const method = this.obj.method;
    if (method !== undefined) {
      if (typeof method !== 'string' || !METHODS.includes(method.toUpperCase())) this.problem('method', `must be one of ${METHODS.join(', ')}`);
      else check.method = method.toUpperCase();
    }
    const body = this.obj.body;
    if (body === undefined || body === null) return;
    if (check.method === 'GET' || check.method === 'HEAD') {
      this.problem('body', `a ${check.method} request cannot have a body: set method (POST, PUT, PATCH)`);
      return;
    }
    if (typeof body === 'string') check.body = body;
    else {
      check.body = JSON.stringify(body);
      if (!Object.keys(check.headers).some((h) => h.toLowerCase() === 'content-type')) check.headers['content-type'] = 'application/json';
    }
  }

  private status(): Range[] | undefined {
    const raw = this.obj.status;
    if (raw === undefined) return undefined;
    const list = Array.isArray(raw) ? raw : [raw];
    const ranges: Range[] = [];
    for (const [i, written] of list.entries()) {
      const entry = typeof written === 'number' ? this.numberOf(Array.isArray(raw) ? ['status', i] : ['status'], written) : written;
      const range = parseStatus(entry);
      const reversed = typeof entry === 'string' ? /^\s*(\d{3})\s*(?:\.\.|-)\s*(\d{3})\s*$/.exec(entry) : null;
      if (range) ranges.push(range);
      else if (reversed && Number(reversed[1]) > Number(reversed[2])) {
        this.problem('status', `the range ${reversed[1]}..${reversed[2]} is reversed: its minimum is greater than its maximum (write ${reversed[2]}..${reversed[1]})`);
      } else this.problem('status', `is not a status: use a code (200), a class (2xx), a range (200..299) or a list of them${Number.isNaN(entry) ? `, ${PLAIN_DECIMALS}` : ''}`);
    }
    if (!list.length) this.problem('status', 'the list is empty');
    return ranges;
  }

  private json(): JsonAssertion[] {
    const raw = this.obj.json;
    if (raw === undefined) return [];
    if (!isPlainObject(raw)) {
      this.problem('json', 'must be a mapping of JSON path to expected value (status: ok) or to assertions (latency: {less-than: 200})');
      return [];
    }
    const out: JsonAssertion[] = [];
    for (const [path, expected] of Object.entries(raw)) {
      try {
        parseJsonPath(path);
      } catch (err) {
        this.problem('json', `bad path: ${(err as Error).message}`);
        continue;
      }
      if (!isPlainObject(expected)) {
        out.push({ path, op: 'equals', value: expected });
        continue;
      }
      const ops = Object.entries(expected);
      if (!ops.length) this.problem('json', `"${path}" has an empty mapping: write a value, or {equals: {...}} to compare an object`);
      for (const [op, value] of ops) {
        if (!JSON_OPS.includes(op as JsonOp)) {
          this.problem('json', `unknown assertion "${op}" for "${path}" (use ${JSON_OPS.join(', ')}; to compare an object write {equals: {...}})`);
        } else if (op === 'exists' && typeof value !== 'boolean') this.problem('json', `"${path}": exists must be true or false`);
        else if ((op === 'less-than' || op === 'greater-than') && typeof value !== 'number') this.problem('json', `"${path}": ${op} must be a number`);
        else out.push({ path, op: op as JsonOp, value });
      }
    }
    return out;
  }

  private headerAssertions(): HeaderAssertion[] {
    const raw = this.obj.header;
    if (raw === undefined) return [];
    if (!isPlainObject(raw)) {
      this.problem('header', 'must be a mapping of response header name to expected value or to assertions ({contains: json})');
      return [];
    }
    const out: HeaderAssertion[] = [];
    for (const [index, [rawName, expected]] of Object.entries(raw).entries()) {
      const name = rawName.toLowerCase();
      if (!HEADER_NAME.test(rawName)) {
        this.problem('header', invalidHeaderName(index, rawName));
        continue;
      }
      if (!isPlainObject(expected)) {
        if (typeof expected === 'string' || typeof expected === 'number') out.push({ name, op: 'equals', value: String(expected) });
        else this.problem('header', `"${rawName}" must be a string or a mapping of assertions`);
        continue;
      }
      for (const [op, value] of Object.entries(expected)) {
        if (!HEADER_OPS.includes(op as HeaderOp)) this.problem('header', `unknown assertion "${op}" for "${rawName}" (use ${HEADER_OPS.join(', ')})`);
        else if (op === 'exists') {
          if (typeof value === 'boolean') out.push({ name, op, value });
          else this.problem('header', `"${rawName}": exists must be true or false`);
        } else if (op === 'matches') {
          if (typeof value !== 'string' || !value) {
            this.problem('header', `"${rawName}": matches must be a regular expression written as a string`);
            continue;
          }
          const compiled = compilePattern(value);
          if (typeof compiled === 'string') this.problem('header', `"${rawName}": matches ${compiled}`);
          else out.push({ name, op, value: compiled });
        } else if (typeof value === 'string' || typeof value === 'number') out.push({ name, op: op as HeaderOp, value: String(value) });
        else this.problem('header', `"${rawName}": ${op} must be a string`);
      }
    }
    return out;
  }

  /** `hasQuery`: false for a check with no query, already said, whose other SQL fields are still checked. */
  private sql(common: Pick<SqlCheck, 'name' | 'critical'> & Measuring, hasQuery = true): SqlCheck {
    const check: SqlCheck = { kind: 'sql', ...common, query: '' };
    const query = this.obj.query;
    if (hasQuery) {
      if (typeof query !== 'string' || !query.trim()) this.problem('query', 'must be an SQL statement (a string)');
      else {
        check.query = query.trim();
        const problem = sqlStatementProblem(check.query);
        if (problem) this.problem('query', problem);
      }
      if (!this.ctx.hasDatabase) this.problem('query', 'SQL checks need the database-url input, which is not set', true);
    }

    const written = this.obj['expect-rows'];
    const rows = typeof written === 'number' ? this.numberOf(['expect-rows'], written) : written;
    if (rows !== undefined) {
      const range = parseCountRange(rows);
      if (range && range.min !== undefined && range.max !== undefined && range.min > range.max) {
        this.problem('expect-rows', `the range ${range.min}..${range.max} is reversed: its minimum is greater than its maximum (write ${range.max}..${range.min})`);
      } else if (range) check.expectRows = range;
      else this.problem('expect-rows', `must be a row count (3) or a range (1.., ..10, 1..10)${Number.isNaN(rows) ? `, ${PLAIN_DECIMALS}` : ''}`);
    }
    if ('expect-value' in this.obj) check.expectValue = { value: this.obj['expect-value'] };
    const error = this.obj['expect-error'];
    if (error !== undefined) {
      if (error === true || (typeof error === 'string' && error.trim())) check.expectError = error === true ? true : (error as string).trim();
      else this.problem('expect-error', 'must be true (any error) or the text the error must contain (does not exist, or a SQLSTATE such as 42P01)');
      if (rows !== undefined || 'expect-value' in this.obj) this.problem('expect-error', 'cannot be combined with expect-rows or expect-value: a query that must fail returns no rows', true);
    }
    return check;
  }

  private bool(field: string): boolean | undefined {
    const v = this.obj[field];
    if (v === undefined) return undefined;
    if (typeof v === 'boolean') return v;
    this.problem(field, 'must be true or false');
    return undefined;
  }

  private number(field: string, opts: { integer?: boolean; min?: number; max?: number }): number | undefined {
    const written = this.obj[field];
    if (written === undefined) return undefined;
    // Plain decimals, as every number (README): YAML alone would read 0xA and 1e1 as 10.
    const v = typeof written === 'number' ? this.numberOf([field], written) : NaN;
    const ok = Number.isFinite(v) && (!opts.integer || Number.isInteger(v)) && (opts.min === undefined || v >= opts.min) && (opts.max === undefined || v <= opts.max);
    if (ok) return v;
    const bounds = [opts.min !== undefined ? `at least ${opts.min}` : '', opts.max !== undefined ? `at most ${opts.max}` : ''].filter(Boolean).join(' and ');
    const form = typeof written === 'number' && Number.isNaN(v) ? `, ${PLAIN_DECIMALS}` : '';
    this.problem(field, `must be ${opts.integer ? 'a whole number' : 'a number'}${bounds ? ` ${bounds}` : ''}${form}`);
    return undefined;
  }

  /** http(s) URLs, each reduced to its origin (scheme, host, port): what a redirect is compared with. */
  private origins(field: string): string[] {
    const v = this.obj[field];
    if (v === undefined) return [];
    const list = Array.isArray(v) ? v : [v];
    const origins: string[] = [];
    for (const entry of list) {
      let url: URL | undefined;
      try {
        url = typeof entry === 'string' ? new URL(entry.trim()) : undefined;
      } catch {
        url = undefined;
      }
      if (url && (url.protocol === 'http:' || url.protocol === 'https:')) origins.push(url.origin);
      else {
        this.problem(field, 'must be an origin (https://login.example.com) or a list of them');
        return [];
      }
    }
    if (!origins.length) this.problem(field, 'the list is empty');
    return origins;
  }

  private strings(field: string): string[] {
    const v = this.obj[field];
    if (v === undefined) return [];
    const list = Array.isArray(v) ? v : [v];
    if (!list.length || list.some((s) => typeof s !== 'string' || !s)) {
      this.problem(field, 'must be a non-empty string or a list of them');
      return [];
    }
    return list as string[];
  }
}

/** What a header name may start with to be named in a message: a header-name-like word, not a value. */
const SHOWABLE_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;

/**
 * A key that is not a header name is often a whole header line (`authorization: Bearer …`), so the
 * key itself is never repeated: only its place, and the word before a colon or space when that
 * word is shaped like a header name.
 */
function invalidHeaderName(index: number, key: string): string {
  const first = /^([^:\s]*)[:\s]/.exec(key)?.[1];
  const lead = first && SHOWABLE_NAME.test(first) ? `; it starts with "${first}", then a colon or a space: write the name as the key and the value as its value` : ' (the key is not repeated here, as it may hold a value)';
  return `the key of entry #${index + 1} is not a valid header name${lead}`;
}

/**
 * Why a pattern is not a regular expression, without the pattern: V8 writes
 * "Invalid regular expression: /<pattern>/: <reason>", and a spec error never repeats a value.
 */
function regexReason(err: unknown): string {
  const message = (err as Error).message;
  return message.slice(message.lastIndexOf(': ') + 2);
}

/** JavaScript's literal form, `/ok/` or `/ok/i`: the spec takes the pattern alone. */
const LITERAL_FORM = /^\/(.+)\/([a-z]*)$/s;

/**
 * A pattern of the spec compiled, or why it cannot be. `/ok/i` would compile, and match the
 * slashes and the i as text: such a check never passes, and a check that never passes is a
 * rollback decision, so the literal form is a spec mistake rather than a pattern.
 */
function compilePattern(text: string): RegExp | string {
  const literal = LITERAL_FORM.exec(text);
  if (literal) {
    return `is written as a JavaScript literal (/…/${literal[2]}), whose slashes${literal[2] ? ' and flags' : ''} would be matched as text: write the pattern alone (${JSON.stringify(literal[1])})${literal[2] ? ', without flags' : ''}, or \\/ for a slash to match`;
  }
  try {
    return new RegExp(text);
  } catch (err) {
    return `is not a valid regular expression: ${regexReason(err)}`;
  }
}

function parseStatus(entry: unknown): Range | undefined {
  if (typeof entry === 'number') return Number.isInteger(entry) && entry >= 100 && entry <= 599 ? { min: entry, max: entry } : undefined;
  if (typeof entry !== 'string') return undefined;
  const text = entry.trim().toLowerCase();
  const cls = /^([1-5])xx$/.exec(text);
  if (cls) return { min: Number(cls[1]) * 100, max: Number(cls[1]) * 100 + 99 };
  if (/^\d{3}$/.test(text)) return parseStatus(Number(text));
  const range = /^(\d{3})\s*(?:\.\.|-)\s*(\d{3})$/.exec(text);
  if (range) {
    const min = Number(range[1]);
    const max = Number(range[2]);
    if (min >= 100 && max <= 599 && min <= max) return { min, max };
  }
  return undefined;
}

function parseCountRange(v: unknown): Range | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? { min: v, max: v } : undefined;
  if (typeof v !== 'string') return undefined;
  // Trimmed first: `\s*(\d*)\s*` can match the same spaces two ways and backtracks quadratically.
  const text = v.trim();
  const m = /^(\d*)\s*\.\.\s*(\d*)$/.exec(text);
  if (!m || (!m[1] && !m[2])) return /^\d+$/.test(text) ? parseCountRange(Number(text)) : undefined;
  // A reversed range (5..1) is returned as written: the caller names that mistake.
  return { min: m[1] ? Number(m[1]) : undefined, max: m[2] ? Number(m[2]) : undefined };
}
