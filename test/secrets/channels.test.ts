// Secrets in every form, through every action's bundle, searched for in everything the run produced:
// URL userinfo (used as Basic auth, never printed), query parameters as written and decoded, a token
// the Vercel API echoes across the point where an error is cut, and database passwords. And the
// other side of the rule: "true" and other short, common values are never masked.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../cli/run-cli.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';
import { expectNoLeaks, listTree } from '../helpers/leak-scan.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';
import { applyMigrations, tables, workspace, writeMigrations } from '../migrations/fixtures.js';
import { shopFixture, TEAM_ID, TOKEN, vercelInputs, type ShopFixture } from '../promote-previous/fixture.js';
import { startServer, type ScriptedServer } from '../smoke/servers.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Every form a URL password takes: as written (percent-encoded), decoded, with the user, as Basic auth. */
function userinfoForms(user: string, password: string): string[] {
  const written = encodeURIComponent(password);
  return [written, password, `${user}:${written}`, `${user}:${password}`, basic(user, password), basic(user, password).slice(6)];
}

describe('smoke-test: secrets in URLs, the spec, the responses and database-url', () => {
  const CHECK_PW = 'Ch3ck-P@ss:word';
  const BASE_PW = 'B4se-Url-Secret';
  const BASELINE_PW = 'Baseline-Secret-9';
  // As written in the URL: "+" and "/" and "=" raw, which URLSearchParams would read as "QtK 9xZ/Tok3n=".
  const QUERY_TOKEN = 'QtK+9xZ/Tok3n=';
  const QUERY_TOKEN_FORMS = [QUERY_TOKEN, 'QtK 9xZ/Tok3n=', 'QtK%2B9xZ%2FTok3n%3D', 'QtK%209xZ%2FTok3n%3D', 'QtK+9xZ%2FTok3n%3D'];
  const BYPASS_IN_QUERY = 'Vercel-Bypass-Query-42abc';
  const BYPASS_INPUT = 'Bypass-Input-Token-123456';
  const API_KEY = 'ApiKey-Echoed-0123456789';
  const SPEC_BEARER = 'Spec-Bearer-Token-xyz';
  const DB_PW = 'Db-Pa$$word/77';
  const REDIRECT_PW = 'Redirect-Pw-1';

  let server: ScriptedServer;
  let db: TestDatabase;
  const accepted = new Set([basic('admin', CHECK_PW), basic('ops', BASE_PW), basic('base', BASELINE_PW)]);
  beforeAll(async () => {
    server = await startServer({
      handler: (req: IncomingMessage, res: ServerResponse) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path.startsWith('/basic')) {
          res.writeHead(accepted.has(req.headers.authorization ?? '') ? 200 : 401);
          return res.end();
        }
        if (path === '/redirect-with-userinfo') {
          res.writeHead(302, { location: `http://evil:${REDIRECT_PW}@127.0.0.1:${new URL(server.url).port}/basic` });
          return res.end();
        }
        if (path === '/echo-header') {
          // A debug header that repeats the request's API key after 70 characters: the failure line
          // quoting it is cut at 80, right across the key.
          res.writeHead(200, { 'x-debug': `${'k'.repeat(70)}${String(req.headers['x-api-key'])}` });
          return res.end();
        }
        res.writeHead(500);
        res.end();
      },
    });
    db = await createTestDatabase('rk_secret_channels');
  });

  it('uses URL credentials as Basic auth, prints none of them, and never masks "true"', async () => {
    const port = new URL(server.url).port;
    const checks = `
- name: credentials in the check URL
  url: http://admin:${encodeURIComponent(CHECK_PW)}@127.0.0.1:${port}/basic
  critical: true
- name: credentials from base-url
  url: /basic-base
- name: secrets in the query
  url: /fail?token=${QUERY_TOKEN}&x-vercel-protection-bypass=${BYPASS_IN_QUERY}&x-vercel-set-bypass-cookie=true
- name: a header that echoes the key
  url: /echo-header
  headers: {x-api-key: ${API_KEY}, Authorization: Bearer ${SPEC_BEARER}}
  header: {x-debug: expected}
- name: database
  query: SELECT 1
  expect-value: 1
`;
    const dbUrl = Object.assign(new URL(db.url), { username: 'postgres', password: '' }).toString().replace('postgres@', `postgres:${encodeURIComponent(DB_PW)}@`);
    const run = await runAction('smoke-test', {
      'base-url': `http://ops:${BASE_PW}@127.0.0.1:${port}`,
      'baseline-url': `http://base:${BASELINE_PW}@127.0.0.1:${port}`,
      'bypass-token': BYPASS_INPUT,
      'database-url': dbUrl,
      checks,
      attempts: 1,
      'timeout-seconds': 5,
      'fail-step': false,
    });
    expect(run.code).toBe(0);

    // The credentials were used: each check with userinfo got in, the baseline with its own.
    const report = JSON.parse(await readFile(run.outputs['report-path']!, 'utf8'));
    const byName = Object.fromEntries(report.checks.map((c: { name: string }) => [c.name, c]));
    expect(byName['credentials in the check URL']).toMatchObject({ passed: true, status: 200, target: `http://127.0.0.1:${port}/basic` });
    expect(byName['credentials from base-url']).toMatchObject({ passed: true, status: 200 });
    expect(byName['credentials from base-url'].baseline).toMatchObject({ url: `http://127.0.0.1:${port}/basic-base`, errorRate: 0 });
    expect(byName['database']).toMatchObject({ passed: true });
    expect(server.requests.filter((r) => r.path === '/basic-base').map((r) => r.headers.authorization)).toEqual([basic('ops', BASE_PW), basic('base', BASELINE_PW)]);
    // The check's own Authorization header wins over base-url's credentials.
    expect(server.requests.find((r) => r.path === '/echo-header')?.headers.authorization).toBe(`Bearer ${SPEC_BEARER}`);
    expect(run.outputs).toMatchObject({ passed: 'false', failed: '2', decision: 'rollback' });

    // The failures that quote outside text were written, and say something.
    expect(byName['a header that echoes the key'].reason).toMatch(/^header "x-debug" is "k{70}\*\*\*/);
    expect(run.errors.join('\n')).toContain('secrets in the query');

    await expectNoLeaks(run, [
      ...userinfoForms('admin', CHECK_PW),
      ...userinfoForms('ops', BASE_PW),
      ...userinfoForms('base', BASELINE_PW),
      ...QUERY_TOKEN_FORMS,
      BYPASS_IN_QUERY,
      BYPASS_INPUT,
      API_KEY,
      SPEC_BEARER,
      // The cut-off prefix a failure line would have kept had it been cut before redaction.
      API_KEY.slice(0, 8),
      DB_PW,
      encodeURIComponent(DB_PW),
    ]);

    // "true" is a switch, not a secret: not masked, and still readable where the URL is shown.
    expect(run.masked).not.toContain('true');
    expect(run.masked.every((m) => m.length >= 6)).toBe(true);
    expect(run.errors.join('\n')).toContain('x-vercel-set-bypass-cookie=true');
    expect(run.errors.join('\n')).toContain('token=***&x-vercel-protection-bypass=***&');
    expect(run.summary).toContain('decision **rollback**');
  });

  it('a redirect to a URL with userinfo: followed without it, not judged unreachable, not printed', async () => {
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: '- {name: redirected, url: /redirect-with-userinfo}', attempts: 1, 'fail-step': false });
    expect(run.code).toBe(0);
    const report = JSON.parse(await readFile(run.outputs['report-path']!, 'utf8'));
    expect(report.checks[0]).toMatchObject({ passed: false, status: 401, unreachable: false });
    expect(server.requests.filter((r) => r.path === '/basic').at(-1)?.headers.authorization).toBeUndefined();
    await expectNoLeaks(run, [REDIRECT_PW]);
  });

  it('a short database password is still redacted (as a whole word), not masked job-wide, and said so', async () => {
    const dbUrl = new URL(db.url);
    dbUrl.username = 'postgres';
    dbUrl.password = 'pw';
    const run = await runAction('smoke-test', {
      'database-url': dbUrl.toString(),
      checks: "- {name: echoes the password, query: \"SELECT 'pw' AS v\", expect-value: other}",
      attempts: 1,
      'fail-step': false,
    });
    expect(run.code).toBe(0);
    expect(run.masked).not.toContain('pw');
    expect(run.log).toMatch(/shorter than 6 characters, a number or a common word/);
    const report = await readFile(run.outputs['report-path']!, 'utf8');
    expect(JSON.parse(report).checks[0].reason).toBe('the value is "***", expected "other"');
    await expectNoLeaks(run, ['"pw"', ':pw@']);
  });
});

describe('promote-previous: a token the API echoes, and a proxy password in api-url', () => {
  let fixture: ShopFixture | undefined;
  afterEach(async () => {
    await fixture?.vercel.close();
    fixture = undefined;
  });

  // An echo without spaces, so nothing but redaction keeps the token out when the text is cut.
  const echo = (authorization: string) => `;authorization=${encodeURIComponent(authorization)}`;
  /** Padding that puts the token's first 10 characters before the 300-character cut. */
  const padding = 'x'.repeat(299 - 10 - echo('Bearer ').length);

  it('an error body echoing the token across the cut: redacted, then cut', async () => {
    const f = (fixture = await shopFixture({ historySize: 3 }));
    f.vercel.fault('GET /v9/projects/', { status: 400, code: 'bad_request', message: padding, echoAuthorization: echo });
    const run = await runAction('promote-previous', vercelInputs(f));
    expect(run.code).toBe(1);
    expect(run.errors[0]).toMatch(/Vercel answered 400 .*Vercel said: "x{200,}.*\*\*\*/);
    await expectNoLeaks(run, [TOKEN, TOKEN.slice(0, 8)]);
  });

  it('a plain-text 502 echoing the token, printed on the retry: redacted, then cut', async () => {
    const f = (fixture = await shopFixture({ historySize: 3 }));
    f.vercel.fault('GET /v9/projects/', { status: 502, text: padding, echoAuthorization: echo });
    const run = await runAction('promote-previous', vercelInputs(f, { 'dry-run': 'true' }));
    expect(run.code).toBe(0);
    expect(run.log).toMatch(/Vercel: GET \/v9\/projects\/shop answered 502: x{200,}.*\*\*\*.*retrying/);
    await expectNoLeaks(run, [TOKEN, TOKEN.slice(0, 8)]);
  });

  it('api-url with a user name and password: refused before any request, the password nowhere', async () => {
    const f = (fixture = await shopFixture({ historySize: 3 }));
    const password = 'Pr0xy-P@ss/word';
    const apiUrl = f.vercel.url.replace('http://', `http://proxyuser:${encodeURIComponent(password)}@`);
    const run = await runAction('promote-previous', vercelInputs(f, { 'api-url': apiUrl }));
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain('Input api-url holds a user name and password');
    expect(f.vercel.requests).toEqual([]);
    await expectNoLeaks(run, [...userinfoForms('proxyuser', password), TOKEN]);
  });
});

describe('promote-previous: a token the API echoes in base64 (a proxy quoting the Authorization header)', () => {
  let fixture: ShopFixture | undefined;
  afterEach(async () => {
    await fixture?.vercel.close();
    fixture = undefined;
  });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const echoB64 = (authorization: string) => ` auth=${authorization} b64=${b64(authorization)} url=${Buffer.from(authorization).toString('base64url')}`;
  // "Bearer " is 7 bytes: the token's own characters in base64(header) are the 10th to the 3rd from the end.
  const forms = [TOKEN, encodeURIComponent(TOKEN), b64(TOKEN), b64(`Bearer ${TOKEN}`), b64(`Bearer ${TOKEN}`).slice(10, -3), Buffer.from(`Bearer ${TOKEN}`).toString('base64url').slice(10, -3)];

  it('the bundle: not in the log, the summary, the outputs or any file', async () => {
    const f = (fixture = await shopFixture({ historySize: 3 }));
    f.vercel.fault('GET /v9/projects/', { status: 500, message: 'upstream proxy error debug:', echoAuthorization: echoB64 }, 10);
    const run = await runAction('promote-previous', vercelInputs(f));
    expect(run.code).toBe(1);
    expect(run.errors[0]).toMatch(/upstream proxy error debug: auth=Bearer \*\*\* b64=QmVhcmVyIH\*\*\*/);
    await expectNoLeaks(run, forms);
  });

  it('the root action: not in the timeline output either', async () => {
    const f = (fixture = await shopFixture({ historySize: 3 }));
    f.vercel.fault('GET /v9/projects/', { status: 500, message: 'upstream proxy error debug:', echoAuthorization: echoB64 }, 10);
    const ws = await mkdtemp(join(tmpdir(), 'rk-secret-b64-'));
    const run = await runAction('rollback', { reason: 'checkout 500s', provider: 'vercel', 'vercel-token': TOKEN, project: 'shop', team: TEAM_ID, 'api-url': f.vercel.url, 'incident-issue': 'false' }, { cwd: ws });
    expect(run.code).toBe(1);
    expect(run.outputs.timeline).toContain('b64=QmVhcmVyIH***');
    await expectNoLeaks(run, forms, [ws]);
  });

  it('rollback-kit promote --json: not on stdout or stderr', async () => {
    const f = (fixture = await shopFixture({ historySize: 3 }));
    f.vercel.fault('GET /v9/projects/', { status: 500, message: 'upstream proxy error debug:', echoAuthorization: echoB64 }, 10);
    for (const json of [[], ['--json']]) {
      const run = await runCli(['promote', '--project', 'shop', '--team', TEAM_ID, '--api-url', f.vercel.url, ...json], { env: cliEnv({ VERCEL_TOKEN: TOKEN }) });
      expect(run.stdout + run.stderr).toContain('b64=QmVhcmVyIH***');
      for (const form of forms) expect(run.stdout + run.stderr, `a form of the token (${form.length} chars)`).not.toContain(form);
    }
  });

  it('a command provider printing `printf %s "$TOKEN" | base64`: redacted', async () => {
    const run = await runAction('promote-previous', { provider: 'command', command: 'printf %s "$VERCEL_TOKEN" | base64; printf %s "x:$VERCEL_TOKEN" | base64' }, { env: { VERCEL_TOKEN: TOKEN } });
    expect(run.code).toBe(0);
    await expectNoLeaks(run, [...forms, b64(`x:${TOKEN}`).slice(3, -3)]);
  });
});

describe('a secret input of 40,000 characters: refused in one line, no secret printed', () => {
  const PASSWORD = 'pw_SECRET_rev1ew';
  const url = `postgres://postgres:${PASSWORD}@127.0.0.1:5432/${'d'.repeat(40_000)}`;
  const forms = [PASSWORD, encodeURIComponent(PASSWORD), TOKEN, url.slice(0, 60)];

  it('snapshot-db and the root action (with a Vercel token registered too)', async () => {
    const snap = await runAction('snapshot-db', { 'database-url': url });
    expect(snap.code).toBe(1);
    expect(snap.errors).toEqual(['Input database-url is 40052 characters long; a URL or a token is at most 8192.']);
    expect(snap.stderr).not.toMatch(/Invalid regular expression|at .*\.js:\d+/);
    await expectNoLeaks(snap, forms);
    const ws = await mkdtemp(join(tmpdir(), 'rk-secret-long-'));
    const root = await runAction('rollback', { reason: 'x', scope: 'db', 'database-url': url, 'vercel-token': TOKEN, 'incident-issue': 'false' }, { cwd: ws });
    expect(root.code).toBe(1);
    expect(root.errors.join('\n')).toContain('Input database-url is 40052 characters long');
    await expectNoLeaks(root, forms, [ws]);
  });

  it('rollback-kit snapshot, the URL as a flag and from DATABASE_URL', async () => {
    for (const [args, env] of [[['--database-url', url], {}], [[], { DATABASE_URL: url }]] as const) {
      const run = await runCli(['snapshot', ...args], { env: cliEnv(env) });
      expect(run.code).not.toBe(0);
      expect(run.stdout + run.stderr).toMatch(/(--database-url|DATABASE_URL) is 40052 characters long; a URL or a token is at most 8192/);
      for (const form of forms) expect(run.stdout + run.stderr).not.toContain(form);
    }
  });
});

// A typo in the URL (no @ before the host; a raw / then ? in the password): the runner masks only the
// whole input, and the parse fails before the password is known, so the error itself must quote none of it.
describe('a malformed database URL: refused, no piece of it printed', () => {
  const cases = [
    ['no @ before the host', 'postgres://ops:MyPassw0rdX127.0.0.1:5432/shop', ['MyPassw0rdX', 'MyPassw0rdX127.0.0.1']],
    ['a raw / then ? in the password', 'postgres://ops:ab/cd?SecretTail9@127.0.0.1:5432/shop', ['SecretTail9', 'ab/cd']],
  ] as const;

  it.each(cases)('snapshot-db and run-down-migrations: %s', async (_what, url, secrets) => {
    for (const action of ['snapshot-db', 'run-down-migrations'] as const) {
      const run = await runAction(action, { 'database-url': url, 'migrations-dir': 'db/migrations' });
      expect(run.code).toBe(1);
      expect(run.errors).toHaveLength(1);
      await expectNoLeaks(run, [...secrets]);
    }
  });

  it.each(cases)('rollback-kit snapshot and down: %s', async (_what, url, secrets) => {
    for (const args of [['snapshot', '--database-url', url], ['down', '--json', '--migrations-dir', 'db/migrations', '--database-url', url]]) {
      const run = await runCli(args, { env: cliEnv({}) });
      expect(run.code).not.toBe(0);
      for (const secret of secrets) expect(run.stdout + run.stderr).not.toContain(secret);
    }
  });
});

describe('database actions: the password in every form, in every file they write', () => {
  const PASSWORD = 'Pg-Pa$$/w0rd?x';
  const forms = [PASSWORD, encodeURIComponent(PASSWORD), `postgres:${encodeURIComponent(PASSWORD)}`];
  /** The password in the userinfo, percent-encoded as it must be. */
  const inUserinfo = (url: string) => Object.assign(new URL(url), { username: 'postgres', password: '' }).toString().replace('postgres@', `postgres:${encodeURIComponent(PASSWORD)}@`);
  /** The password as a query parameter, as libpq also reads it. */
  const inQuery = (url: string) => `${url}${url.includes('?') ? '&' : '?'}password=${encodeURIComponent(PASSWORD)}`;

  it('snapshot-db, then restore-db from that snapshot', async () => {
    const db = await createTestDatabase('rk_secret_db');
    await db.query('CREATE TABLE orders (id int PRIMARY KEY, note text)');
    await db.query('INSERT INTO orders VALUES (1, $1)', ['first']);
    const outputDir = await mkdtemp(join(tmpdir(), 'rk-secret-snap-'));
    const snap = await runAction('snapshot-db', { 'database-url': inUserinfo(db.url), 'output-dir': outputDir, label: 'before-deploy' });
    expect(snap.code).toBe(0);
    await expectNoLeaks(snap, forms, [outputDir]);

    const restore = await runAction('restore-db', { 'database-url': inQuery(db.url), 'snapshot-path': snap.outputs.path!, confirm: db.name });
    expect(restore.errors).toEqual([]);
    expect(restore.code).toBe(0);
    await expectNoLeaks(restore, forms, [outputDir]);
  });

  it('run-down-migrations', async () => {
    const db = await createTestDatabase('rk_secret_down');
    const ws = await workspace();
    const steps = tables(2);
    const dir = await writeMigrations(ws, 'dbmate', steps);
    await applyMigrations(db, 'dbmate', dir, steps);
    const run = await runAction('run-down-migrations', { 'database-url': inQuery(db.url), steps: 1, 'require-snapshot': 'false' }, { cwd: ws });
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('reverted');
    await expectNoLeaks(run, forms, [ws]);
  });
});

describe('the webhook URL: a receiver quoting the credentials it got, through the root action and the CLI', () => {
  const USER = 'hookuser';
  const PASSWORD = 'HookPassw0rd9/x';
  const TOKEN_VALUE = 'WebhookTok3n+Value=';
  // Named like nothing secret (an Azure Functions key): a webhook URL's query is its credential all the same.
  const CODE_VALUE = 'AzFnKey0123456789abc';
  const forms = [
    ...userinfoForms(USER, PASSWORD),
    TOKEN_VALUE,
    encodeURIComponent(TOKEN_VALUE),
    'WebhookTok3n Value=',
    CODE_VALUE,
  ];
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });
  const hookUrl = (r: WebhookReceiver) => {
    const url = new URL(r.url);
    Object.assign(url, { username: USER, password: encodeURIComponent(PASSWORD) });
    return `${url.href}?token=${encodeURIComponent(TOKEN_VALUE)}&code=${CODE_VALUE}`;
  };

  it('rollback (the root action): warnings say HTTP 401, and quote nothing of the credentials', async () => {
    receiver = await startWebhookReceiver();
    receiver.echoCredentialsNext(100);
    const ws = await mkdtemp(join(tmpdir(), 'rk-secret-hook-'));
    const run = await runAction('rollback', { reason: 'checkout 500s', provider: 'command', command: 'echo rolled back', 'notify-webhook-url': hookUrl(receiver), 'incident-issue': 'false' }, { cwd: ws });
    expect(run.code).toBe(0);
    expect(receiver.requests.length).toBeGreaterThan(1);
    expect(receiver.requests[0]!.headers.authorization).toBe(basic(USER, PASSWORD));
    expect(run.log).toMatch(/::warning::The chat message to 127\.0\.0\.1:\d+ was not delivered: HTTP 401/);
    await expectNoLeaks(run, [...forms, receiver.secretPath], [ws]);
  });

  it('rollback-kit rollback: the same on stdout, stderr and the report files', async () => {
    receiver = await startWebhookReceiver();
    receiver.echoCredentialsNext(100);
    const ws = await mkdtemp(join(tmpdir(), 'rk-secret-hook-cli-'));
    const run = await runCli(['rollback', 'app', '--reason', 'checkout 500s', '--provider', 'command', '--command', 'echo rolled back', '--incident-issue', 'false'], {
      cwd: ws,
      env: { ROLLBACK_WEBHOOK_URL: hookUrl(receiver) },
    });
    expect(run.stderr + run.stdout).toContain('HTTP 401');
    expect(receiver.requests.length).toBeGreaterThan(1);
    const written = await Promise.all((await listTree(ws)).map((p) => readFile(p, 'utf8').catch(() => '')));
    const all = [run.stdout, run.stderr, ...written].join('\n');
    for (const form of [...forms, receiver.secretPath]) expect(all, `a form of the webhook's credentials (${form.length} chars)`).not.toContain(form);
  });
});
