// The rollback plan, the scope and the budgets: validated before anything runs, every mistake by its place.
import { describe, expect, it } from 'vitest';
import { budgets } from '../../src/pipeline/budgets.js';
import { formatPlanProblem, parsePlanFile, PlanError } from '../../src/pipeline/plan-file.js';
import { finishChoice, freshPlan, revertedOfPlan, unfinishedPlan } from '../../src/pipeline/ledger.js';
import { plain } from '../../src/migrations/formats/plain.js';
import { planReverts, type Selector } from '../../src/migrations/planner.js';
import type { MigrationFile } from '../../src/migrations/types.js';
import { memoryLog } from '../../src/core/log.js';
import { resolvePlan } from '../../src/pipeline/plan-inputs.js';
import { checkEnvironment } from '../../src/pipeline/plan-source.js';
import { selectScope } from '../../src/pipeline/scope.js';
import { earlierFroms, earlierMoves, parseTimeline, Timeline } from '../../src/pipeline/timeline.js';

const GOOD = `budget-minutes: 15
components:
  web:  { provider: vercel, project: prj_123, team: team_456 }
  api:  { provider: command, command: ./deploy.sh "$ROLLBACK_TARGET" }
database:
  migrations-dir: db/migrations
  format: dbmate
  steps: 1
verify:
  base-url: https://shop.example.com
  checks-file: .github/smoke-checks.yml
incident:
  labels: [incident, rollback, sev]
`;

function problems(text: string): string[] {
  try {
    parsePlanFile(text);
  } catch (err) {
    expect(err).toBeInstanceOf(PlanError);
    return (err as PlanError).problems.map(formatPlanProblem);
  }
  throw new Error('expected a PlanError');
}

describe('rollback plan file', () => {
  it('reads a whole plan', () => {
    const plan = parsePlanFile(GOOD);
    expect(plan.components.map((c) => [c.name, c.provider, c.target])).toEqual([
      ['web', 'vercel', 'previous'],
      ['api', 'command', 'previous'],
    ]);
    expect(plan.database).toMatchObject({ method: 'down-migrations', format: 'dbmate', choice: { steps: 1 }, migrationsDir: 'db/migrations' });
    expect(plan.verify).toMatchObject({ baseUrl: 'https://shop.example.com', checksFile: '.github/smoke-checks.yml', attempts: 3 });
    expect(plan.labels).toEqual(['incident', 'rollback', 'sev']);
    expect(plan.environment).toBe('production');
  });

  it('names every bad field with its line and place, all at once', () => {
    const found = problems(`budget-minutes: 0
componets: {}
components:
  web: { provider: vercel }
  api: { provider: railway, project: p_1, environment: e_1, site: s_1 }
  db: { provider: command, command: x }
  w3b: { provider: vercel, project: p, colour: blue, timeout-seconds: 5.5, api-url: ftp://x }
database:
  steps: two
  to-version: 3
  method: snapshot
verify:
  base-url: not a url
  attempts: 0
incident:
  labels: { a: 1 }
`);
    expect(found).toEqual([
      'line 1, budget-minutes: must be between 1 and 240, got 0',
      expect.stringMatching(/^line 2, componets: unknown top-level field/),
      'line 4, components.web: project is required for provider vercel (the project name or its prj_… id)',
      'line 5, components.api: service is required for provider railway (the Railway service id)',
      'line 5, components.api.site: not a field of provider railway',
      expect.stringMatching(/^line 6, components\.db: "db" is a scope word/),
      expect.stringMatching(/^line 7, components\.w3b\.colour: unknown field; known fields: provider, project/),
      'line 7, components.w3b.timeout-seconds: must be a whole number',
      'line 7, components.w3b.api-url: must be an absolute http(s) URL',
      'line 9, database.steps: must be a whole number',
      expect.stringMatching(/^line 11, database\.method: must be one of down-migrations, restore/),
      'line 13, verify.base-url: must be an absolute http(s) URL',
      'line 14, verify.attempts: must be between 1 and 100, got 0',
      'line 16, incident.labels: must be a list of text values',
    ]);
  });

  it('asks to fix "it" for one problem and "them" for several', () => {
    const hint = (text: string) => {
      try {
        parsePlanFile(text);
      } catch (err) {
        return (err as PlanError).hint;
      }
      return undefined;
    };
    expect(hint('components:\n  web: { provider: vercel, project: shop }\nfoo: 1\n')).toMatch(/^Fix it and re-run;/);
    expect(hint('components:\n  web: { provider: vercel, project: shop }\nfoo: 1\nbar: 2\n')).toMatch(/^Fix them and re-run;/);
  });

  it('refuses numbers YAML reads from hex, octal or exponent forms, as the inputs do (README: plain decimals only)', () => {
    for (const written of ['0x2', '0o7', '1e1']) {
      expect(problems(`components:\n  web: { provider: vercel, project: shop }\ndatabase:\n  steps: ${written}\n`)).toEqual([
        'line 4, database.steps: must be a whole number, written in plain decimals (10, not 0xA or 1e1)',
      ]);
    }
    expect(problems('budget-minutes: 1e1\ncomponents:\n  web: { provider: vercel, project: shop }\n')).toEqual([
      'line 1, budget-minutes: must be a number, written in plain decimals (10, not 0xA or 1e1)',
    ]);
    expect(parsePlanFile('components:\n  web: { provider: vercel, project: shop }\ndatabase:\n  steps: 2\n').database?.choice).toEqual({ steps: 2 });
    // An alias (*name) is read where its value was written, not accepted as the number YAML made of it.
    expect(problems('budget-minutes: &n 1e1\ncomponents:\n  web: { provider: vercel, project: shop }\ndatabase:\n  steps: *n\n')).toEqual([
      'line 1, budget-minutes: must be a number, written in plain decimals (10, not 0xA or 1e1)',
      'line 5, database.steps: must be a whole number, written in plain decimals (10, not 0xA or 1e1)',
    ]);
  });

  it('refuses a database or verify key left empty, which would silently mean "none" where {} means "the defaults"', () => {
    expect(problems('components:\n  web: { provider: vercel, project: shop }\ndatabase:\nverify:\n')).toEqual([
      'line 3, database: is empty; give its fields (method, migrations-dir, …), write database: {} for every default, or remove the key',
      'line 4, verify: is empty; give its fields (base-url, checks, …), write verify: {} for every default, or remove the key',
    ]);
    expect(parsePlanFile('database: {}\n').database).toMatchObject({ method: 'down-migrations', format: 'auto' });
  });

  it('reads Fly, Railway, Render and Netlify components with their own keys and API defaults', () => {
    const plan = parsePlanFile(`components:
  edge: { provider: fly, app: hotdash, machines-api-url: "http://127.0.0.1:4280" }
  api: { provider: railway, project: p_1, environment: e_1, service: s_1, api-url: "http://127.0.0.1:4281/graphql/v2" }
  worker: { provider: render, service: srv-abc123, target: dep-xyz789 }
  front: { provider: netlify, site: shop-front.netlify.app, from: 5f0c0ffee5f0c0ffee5f0c0f }
  ops: { provider: command, command: kubectl rollout undo deploy/app, verify-command: kubectl rollout status deploy/app }
`);
    expect(plan.components).toEqual([
      expect.objectContaining({ name: 'edge', provider: 'fly', app: 'hotdash', apiUrl: 'https://api.fly.io', machinesApiUrl: 'http://127.0.0.1:4280' }),
      expect.objectContaining({ name: 'api', provider: 'railway', project: 'p_1', environment: 'e_1', service: 's_1', apiUrl: 'http://127.0.0.1:4281/graphql/v2' }),
      expect.objectContaining({ name: 'worker', provider: 'render', service: 'srv-abc123', target: 'dep-xyz789', apiUrl: 'https://api.render.com' }),
      expect.objectContaining({ name: 'front', provider: 'netlify', site: 'shop-front.netlify.app', from: '5f0c0ffee5f0c0ffee5f0c0f', apiUrl: 'https://api.netlify.com' }),
      expect.objectContaining({ name: 'ops', provider: 'command', verifyCommand: 'kubectl rollout status deploy/app', apiUrl: '' }),
    ]);
  });

  it("checks each provider's keys by place: the required ones, and none of another provider's", () => {
    expect(
      problems(`components:
  edge: { provider: fly, project: p_1 }
  api: { provider: railway, project: p_1, service: s_1, machines-api-url: "https://x.example" }
  worker: { provider: render, site: s }
  front: { provider: netlify, verify-command: "true" }
  web: { provider: vercel, project: shop, service: s }
`),
    ).toEqual([
      'line 2, components.edge: app is required for provider fly (the Fly app name, as in fly.toml)',
      'line 2, components.edge.project: not a field of provider fly',
      'line 3, components.api: environment is required for provider railway (the Railway environment id)',
      'line 3, components.api.machines-api-url: not a field of provider railway',
      'line 4, components.worker: service is required for provider render (the Render service id, srv-…)',
      'line 4, components.worker.site: not a field of provider render',
      'line 5, components.front: site is required for provider netlify (the Netlify site id or its name.netlify.app domain)',
      'line 5, components.front.verify-command: not a field of provider netlify',
      'line 6, components.web.service: not a field of provider vercel',
    ]);
  });

  it('refuses a platform token pasted into a Railway or Render component, by place', () => {
    const found = problems(`components:
  api: { provider: railway, project: p_1, environment: e_1, service: s_1, railway-token: 6f1c0a9e-4b7d-4d0e }
  worker: { provider: render, service: srv-abc, api-url: "https://ops:Hunter2-pass@render-proxy.example.com" }
`);
    expect(found).toEqual([
      expect.stringMatching(/^line 2, components\.api\.railway-token: looks like a secret \(its key names one\).*railway-token, render-token/),
      expect.stringMatching(/^line 3, components\.worker\.api-url: looks like a URL with a password in it/),
    ]);
    expect(found.join(' ')).not.toMatch(/6f1c0a9e|Hunter2/);
  });

  it('refuses secret-looking values by place and never echoes them', () => {
    const ghp = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
    const pw = 'hunter2-Very-Secret';
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig';
    const text = `components:
  web: { provider: vercel, project: shop, team: ${ghp} }
  api: { provider: command, command: "curl https://deploy:${pw}@ci.example.com/rollback" }
database:
  migrations-dir: db
  steps: 1
verify:
  base-url: https://shop.example.com
  checks: "- name: x\\n  url: /\\n  headers: { Authorization: Bearer ${jwt} }"
  vercel-token: abc12345
`;
    let err: PlanError | undefined;
    try {
      parsePlanFile(text);
    } catch (e) {
      err = e as PlanError;
    }
    expect(err).toBeInstanceOf(PlanError);
    const lines = err!.problems.map(formatPlanProblem);
    expect(lines).toEqual([
      expect.stringMatching(/^line 2, components\.web\.team: looks like a GitHub token\. Secrets never go in the rollback plan/),
      expect.stringMatching(/^line 3, components\.api\.command: looks like a URL with a password in it/),
      expect.stringMatching(/^line 9, verify\.checks: looks like a JSON Web Token/),
      expect.stringMatching(/^line 10, verify\.vercel-token: looks like a secret \(its key names one\)/),
      expect.stringMatching(/^line 10, verify\.vercel-token: unknown field/),
    ]);
    for (const secret of [ghp, pw, jwt, 'abc12345']) expect(err!.message).not.toContain(secret);
  });

  it('refuses a secret pasted as a key without naming the key', () => {
    const ghp = 'ghp_' + 'Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8';
    const found = problems(`components:\n  web: { provider: vercel, project: shop }\n  ${ghp}: 1\n`);
    expect(found).toEqual([expect.stringMatching(/^components\.\(a key\): looks like a GitHub token/), 'line 3, components.***: must be a mapping of fields (key: value)']);
    expect(found.join(' ')).not.toContain(ghp);
  });

  it('checks written as a YAML list: says how to write them, and the block it names is read', () => {
    expect(problems('components:\n  web: { provider: vercel, project: shop }\nverify:\n  checks: [ {name: home, url: /} ]\n')).toEqual([
      'line 4, verify.checks: must be text, the smoke checks as smoke-test takes them: write "checks: |" and the list indented under it, or put the list in a file and name it in checks-file',
    ]);
    const plan = parsePlanFile('components:\n  web: { provider: vercel, project: shop }\nverify:\n  checks: |\n    - {name: home, url: /}\n');
    expect(plan.verify?.checks).toBe('- {name: home, url: /}');
  });

  it('a secret does not hide the other mistakes, and is still never echoed', () => {
    const found = problems(`components:
  web: { provider: vercell, projct: shop }
database:
  database-url: postgres://app:S3cr3t@db.example.com/shop
`);
    expect(found).toEqual([
      'line 2, components.web.provider: must be one of vercel, fly, railway, render, netlify, git-revert, command',
      expect.stringMatching(/^line 2, components\.web\.projct: unknown field/),
      expect.stringMatching(/^line 4, database\.database-url: looks like a URL with a password in it/),
    ]);
    expect(found.join(' ')).not.toContain('S3cr3t');
  });

  it('bounds YAML aliases', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    expect(problems(bomb)[0]).toMatch(/^line \d+, \(YAML\): invalid YAML: its aliases .* an alias bomb/);
  });

  it('says where a tab breaks the YAML', () => {
    expect(problems('components:\n\tweb: { provider: vercel, project: p }\n')).toEqual(['line 2, (YAML): tabs are not allowed for indentation in YAML; use spaces']);
  });
});

describe('plan from inputs', () => {
  it('describes one component and the database without a file', () => {
    const plan = resolvePlan(undefined, { provider: 'vercel', project: 'shop', steps: 2, 'migrations-dir': 'db/migrations', 'base-url': 'https://shop.example.com', checks: '- url: /' }, { hasDatabaseUrl: true });
    expect(plan.components).toMatchObject([{ name: 'shop', provider: 'vercel', project: 'shop', target: 'previous' }]);
    expect(plan.database).toMatchObject({ method: 'down-migrations', choice: { steps: 2 } });
    expect(plan.verify).toMatchObject({ baseUrl: 'https://shop.example.com', checks: '- url: /' });
  });

  it('lets inputs override what changes per incident, and refuses component inputs beside a file', () => {
    const file = parsePlanFile(GOOD);
    const plan = resolvePlan(file, { from: 'web=dpl_bad,api=v1.5.0', 'to-version': '20240101000000', 'budget-minutes': 30 }, { hasDatabaseUrl: true });
    expect(plan.components.map((c) => c.from)).toEqual(['dpl_bad', 'v1.5.0']);
    expect(plan.database?.choice).toEqual({ toVersion: '20240101000000' });
    expect(plan.budgetMinutes).toBe(30);
    expect(() => resolvePlan(file, { project: 'other', from: 'dpl_x' }, { hasDatabaseUrl: false })).toThrow(
      /input project: describes a component only when there is no rollback plan file.*input from: is one deployment, but the plan has 2 components; write it as name=deployment pairs \(web=…, api=…\)/,
    );
    expect(() => resolvePlan(file, { from: 'wbe=dpl_x' }, { hasDatabaseUrl: false })).toThrow(/input from: names component "wbe", which the plan does not have \(web, api\)/);
  });

  it('the environment input must name the environment the file describes: a typo stops, case does not', () => {
    const file = parsePlanFile(GOOD, 'rollback-kit.yml');
    expect(() => checkEnvironment(file, 'production')).not.toThrow();
    expect(() => checkEnvironment(file, 'Production')).not.toThrow();
    expect(() => checkEnvironment(file, undefined)).not.toThrow();
    expect(() => checkEnvironment(undefined, 'anything')).not.toThrow();
    expect(() => checkEnvironment(file, 'prodution')).toThrow(
      'Input environment is "prodution", but the rollback plan rollback-kit.yml describes environment production (its environment key; production when it has none). Nothing was changed.',
    );
    expect(() => checkEnvironment(parsePlanFile(`environment: staging\n${GOOD}`, 'rollback-kit.yml'), 'production')).toThrow(/describes environment staging/);
  });

  it('target overrides the file per incident: a keyword for every component, a deployment per named component', () => {
    const file = parsePlanFile(GOOD);
    expect(resolvePlan(file, { target: 'last-verified' }, { hasDatabaseUrl: false }).components.map((c) => c.target)).toEqual(['last-verified', 'last-verified']);
    expect(resolvePlan(file, { target: 'web=dpl_good' }, { hasDatabaseUrl: false }).components.map((c) => [c.name, c.target])).toEqual([
      ['web', 'dpl_good'],
      ['api', file.components[1]!.target],
    ]);
    expect(() => resolvePlan(file, { target: 'dpl_good' }, { hasDatabaseUrl: false })).toThrow(/input target: is one deployment, but the plan has 2 components; write it as name=deployment pairs \(web=…, api=…\)/);
  });

  it('refuses a plan with nothing to roll back', () => {
    expect(() => resolvePlan(undefined, {}, { hasDatabaseUrl: false })).toThrow(/nothing to roll back/);
  });

  it('sends a Fly, Railway, Render or Netlify component to the plan file: its ids have no root action input', () => {
    expect(() => resolvePlan(undefined, { provider: 'railway', project: 'p_1' }, { hasDatabaseUrl: false })).toThrow(
      /input provider: railway components are described in the rollback plan file: add components\.<name>: \{ provider: railway, project: <the Railway project id>, environment: <the Railway environment id>, service: <the Railway service id> \} to rollback-kit\.yml/,
    );
  });

  it('names every bad input together', () => {
    expect(() => resolvePlan(undefined, { provider: 'heroku', 'base-url': 'shop', steps: 1, 'since-ref': 'abc', 'db-method': 'pitr' }, { hasDatabaseUrl: true })).toThrow(
      /the root action inputs\) has 4 problems.*input provider: must be one of vercel, fly, railway, render, netlify, git-revert, command, got "heroku"; input db-method: must be one of down-migrations, restore, got "pitr"; input since-ref: conflicts with the steps input \(give exactly one of steps, to-version and since-ref\); input base-url: must be an absolute http\(s\) URL/,
    );
  });
});

describe('scope', () => {
  const plan = resolvePlan(parsePlanFile(GOOD), {}, { hasDatabaseUrl: true });
  it.each([
    [undefined, ['web', 'api']],
    ['app', ['web', 'api']],
    ['db', ['database']],
    ['full', ['web', 'api', 'database']],
    ['api, database', ['api', 'database']],
    ['database,web', ['web', 'database']],
  ])('%s → %j', (scope, expected) => {
    expect(selectScope(plan, scope)).toEqual(expected);
  });

  it('names the valid scopes for an unknown one', () => {
    expect(() => selectScope(plan, 'frontend,api')).toThrow('Input scope names "frontend", which the rollback plan (rollback-kit.yml) does not have; valid: app, db, full, verify, web, api, database.');
  });

  it('incident: only the root action\'s look-up, selecting nothing; alone, and refused elsewhere (the command line)', () => {
    expect(selectScope(plan, 'incident', { incidentLookup: true })).toEqual([]);
    expect(selectScope(plan, ' Incident ', { incidentLookup: true })).toEqual([]);
    expect(() => selectScope(plan, 'incident,web', { incidentLookup: true })).toThrow('mixes incident with other names');
    expect(() => selectScope(plan, 'incident')).toThrow(/Scope incident is the root action's/);
    // A component called incident (the word was not reserved): the command line still selects it; the action refuses rather than guess.
    const named = resolvePlan(undefined, { provider: 'command', command: 'true', project: 'incident' }, { hasDatabaseUrl: false });
    expect(named.components.map((c) => c.name)).toEqual(['incident']);
    expect(selectScope(named, 'incident')).toEqual(['incident']);
    expect(() => selectScope(named, 'incident', { incidentLookup: true })).toThrow(/has a component called "incident"/);
  });

  it('full without an app: refused for a plan from inputs (a forgotten project), the database of a database-only plan file', () => {
    const dbOnly = resolvePlan(undefined, { steps: 1 }, { hasDatabaseUrl: true });
    expect(() => selectScope(dbOnly, 'full')).toThrow(/^Scope full rolls back the app, then the database, but the rollback plan \(inputs\) has no app: no component \(provider, project or command\) was given/);
    expect(() => selectScope(dbOnly, undefined)).toThrow(/^Scope app, the default \(every component\), selects nothing: the rollback plan \(inputs\) has no app/);
    expect(() => selectScope(dbOnly, 'app')).toThrow(/^Input scope "app" selects nothing: the rollback plan \(inputs\) has no app/);
    expect(selectScope(dbOnly, 'db')).toEqual(['database']);
    const file = resolvePlan(parsePlanFile('database:\n  migrations-dir: db/migrations\n'), {}, { hasDatabaseUrl: true });
    expect(selectScope(file, 'full')).toEqual(['database']);
    expect(() => selectScope(file, undefined)).toThrow('Scope app, the default (every component), selects nothing: the rollback plan (rollback-kit.yml) has no components.');
  });

  it('refuses the database when the plan has none', () => {
    const noDb = resolvePlan(undefined, { provider: 'command', command: 'true' }, { hasDatabaseUrl: false });
    expect(() => selectScope(noDb, 'full')).toThrow(/scope includes the database, but the rollback plan \(inputs\) has none/);
  });
});

describe('budgets', () => {
  it("split the runbook's 15 minutes, critical path first", () => {
    const b = budgets(15);
    expect(b.totalMs).toBe(900_000);
    const critical = (['plan', 'notify-start', 'app', 'snapshot', 'database', 'environment', 'verify'] as const).reduce((sum, p) => sum + b.phase(p), 0);
    expect(critical).toBe(900_000);
    expect(b.phase('app')).toBe(180_000);
    expect(b.phase('snapshot') + b.phase('database')).toBe(480_000);
    expect(b.phase('report') + b.phase('notify-end')).toBe(60_000);
  });

  it('scale with budget-minutes', () => {
    expect(budgets(30).phase('verify')).toBe(240_000);
    expect(budgets(7.5).phase('app')).toBe(90_000);
  });
});

describe('timeline', () => {
  it('times phases against their budgets and appends to an earlier job', () => {
    let t = Date.UTC(2026, 11, 1, 9, 0, 0);
    const earlier = parseTimeline(JSON.stringify([{ phase: 'app', component: 'web', started: '2026-12-01T08:59:00.000Z', 'duration-ms': 4000, 'budget-ms': 180000, status: 'ok', detail: 'rolled back' }]), (t) => t);
    const timeline = new Timeline(budgets(15), earlier, undefined, () => t);
    const phase = timeline.start('database');
    t += 2500;
    phase.end('ok', 'reverted 2');
    expect(timeline.entries).toEqual([earlier[0], { phase: 'database', started: '2026-12-01T09:00:00.000Z', 'duration-ms': 2500, 'budget-ms': 360000, status: 'ok', detail: 'reverted 2' }]);
  });

  it('reads where an earlier job put each component from its app rows; rows without it (an earlier version) still parse', () => {
    const row = (component: string, extra: object) => ({ phase: 'app', component, started: '2026-12-01T08:59:00.000Z', 'duration-ms': 4000, 'budget-ms': 180000, status: 'ok', detail: 'rolled back', ...extra });
    const rows = parseTimeline(JSON.stringify([row('web', { from: 'dpl_bad', to: 'dpl_3', 'auto-assign-off': true }), row('api', {}), row('admin', { to: 'https://u:pw@admin.example.com' })]), (t) => t.replace('pw', '***'));
    expect(rows[0]).toMatchObject({ from: 'dpl_bad', to: 'dpl_3', 'auto-assign-off': true });
    expect(rows[1]).not.toHaveProperty('to');
    expect(earlierMoves(rows)).toEqual([
      { name: 'web', from: 'dpl_bad', to: 'dpl_3', autoAssignOff: true },
      { name: 'admin', to: 'https://u:***@admin.example.com' },
    ]);
    expect(() => parseTimeline(JSON.stringify([row('web', { to: 3 })]), (t) => t)).toThrow(/row 1: to must be text when given/);
    expect(() => parseTimeline(JSON.stringify([row('web', { 'auto-assign-off': 'yes' })]), (t) => t)).toThrow(/row 1: auto-assign-off must be true when given/);
  });

  it('reads what each earlier app row says the incident is named by: a rollback made (ok) or found made (skipped), never a failed row', () => {
    const row = (component: string, status: string, extra: object) => ({ phase: 'app', component, started: '2026-12-01T08:59:00.000Z', 'duration-ms': 4000, 'budget-ms': 180000, status, detail: 'x', ...extra });
    const rows = parseTimeline(
      JSON.stringify([row('web', 'ok', { from: 'dpl_bad', to: 'dpl_3', 'from-follows-production': true }), row('api', 'skipped', { from: 'dep-bad' }), row('jobs', 'failed', { from: 'v41' }), row('web', 'skipped', {})]),
      (t) => t,
    );
    expect(earlierFroms(rows)).toEqual(new Map([['web', { from: 'dpl_bad', 'from-follows-production': true }], ['api', { from: 'dep-bad' }]]));
    expect(() => parseTimeline(JSON.stringify([row('web', 'ok', { 'from-follows-production': 1 })]), (t) => t)).toThrow(/row 1: from-follows-production must be true when given/);
  });

  it.each([
    ['not json', /not valid JSON/],
    ['{}', /must be a JSON array/],
    ['[{"phase":"deploy","started":"2026-12-01T00:00:00Z","duration-ms":1,"budget-ms":1,"status":"ok","detail":""}]', /row 1: phase must be one of plan, notify-start/],
    ['[{"phase":"app","started":"yesterday","duration-ms":1,"budget-ms":1,"status":"ok","detail":""}]', /row 1: started must be an ISO time/],
    ['[{"phase":"app","started":"2026-12-01T00:00:00Z","duration-ms":-1,"budget-ms":1,"status":"ok","detail":""}]', /row 1: duration-ms must be a number/],
  ])('refuses a bad timeline input: %s', (raw, message) => {
    expect(() => parseTimeline(raw, (t) => t)).toThrow(message);
  });
});

describe('ledger', () => {
  const row = { incidentKey: 'production:run-1', method: 'down-migrations', planned: ['3', '2'], kept: [], reverted: [], status: 'started' as const };

  // `reverted` never says what is left (the tracking table does: the row may be behind it); it only
  // refuses a migration it names that is applied again (planner.ts).
  it('finishes the plan an earlier run for the incident wrote down and did not finish, its `reverted` carried only to refuse one applied again', () => {
    expect(unfinishedPlan(undefined)).toBeUndefined();
    expect(unfinishedPlan({ ...row, status: 'done' })).toBeUndefined();
    expect(unfinishedPlan({ ...row, method: 'restore', planned: [] })).toBeUndefined();
    expect(unfinishedPlan({ ...row, reverted: ['3'], keepVersion: '1' })).toEqual({ planned: ['3', '2'], kept: [], applied: [], reverted: ['3'], keepVersion: '1', earlierRun: { snapshot: undefined } });
    expect(unfinishedPlan({ ...row, applied: ['1', '2', '3'] })).toMatchObject({ applied: ['1', '2', '3'] });
  });

  it('a fresh plan keeps what it keeps above its oldest migration (since-ref), and reports what is reverted from the tracking table', () => {
    // Applied 1, 2, 3 (newest first below); since-ref chose 2 only.
    expect(freshPlan(['2'], ['3', '2', '1'], undefined)).toEqual({ planned: ['2'], kept: ['3'], applied: ['3', '2', '1'], keepVersion: undefined });
    expect(freshPlan(['3', '2'], ['3', '2', '1'], '1')).toEqual({ planned: ['3', '2'], kept: [], applied: ['3', '2', '1'], keepVersion: '1' });
    expect(freshPlan([], ['1'], undefined)).toEqual({ planned: [], kept: [], applied: ['1'], keepVersion: undefined });
    expect(revertedOfPlan(['3', '2', '1'], [{ version: '2' }, { version: '1' }])).toEqual(['3']);
  });

  describe('what is left of the plan, through the planner', () => {
    const file = (v: string): MigrationFile => ({ version: v, id: v, name: `${v}_x.down.sql`, addedPath: `${v}_x.sql`, downFile: `${v}_x.down.sql`, downSql: 'SELECT 1;', downLine: 1, noTransaction: false });
    const files = ['1', '2', '3', '4'].map(file);
    const left = (applied: string[], planned: string[], kept: string[] = [], atPlan: string[] = []) => {
      const choice = finishChoice('production:run-1', { planned, kept, applied: atPlan });
      const selector: Selector = { kind: 'recorded', ...('recorded' in choice ? choice.recorded : { planned: [] }) };
      return planReverts(plain, files, applied, selector, { table: 'rollback_kit.schema_migrations', log: memoryLog() }).toRevert.map((m) => m.file.version);
    };

    it('reverts what is left, whatever the ledger said was reverted', () => {
      expect(left(['1', '2', '3'], ['3', '2', '1'])).toEqual(['3', '2', '1']);
      expect(left(['1', '2'], ['3', '2', '1'])).toEqual(['2', '1']);
      expect(left([], ['3', '2', '1'])).toEqual([]);
      // A since-ref plan that kept 3 above 2.
      expect(left(['1', '2', '3'], ['2'], ['3'])).toEqual(['2']);
    });

    it('refuses, naming the incident and the way out, when something was applied above the plan since', () => {
      expect(() => left(['1', '2', '4'], ['3', '2'])).toThrow(/^The whole rollback for incident production:run-1 planned to revert 3, 2, but 4_x\.down\.sql was applied since, above 2_x\.down\.sql, which are left of that plan\. Nothing was run\.$/);
      expect(() => left(['1', '2', '3', '4'], ['2'], ['3'])).toThrow(/4_x\.down\.sql was applied since/);
      const refusal = (() => {
        try {
          left(['1', '2', '4'], ['3', '2']);
        } catch (err) {
          return err;
        }
      })();
      expect(refusal).toMatchObject({ hint: expect.stringContaining("DELETE FROM rollback_kit.rollbacks WHERE incident_key = 'production:run-1'") });
    });

    it('knowing what was applied when the plan was made, refuses whatever came since, also once none of the plan is left', () => {
      // Planned 3 with 1, 2, 3 applied; 3 reverted, then a later deploy applied 4: finding the plan
      // finished would leave 4 applied and call the rollback done.
      expect(() => left(['1', '2', '4'], ['3'], [], ['1', '2', '3'])).toThrow(
        /^The whole rollback for incident production:run-1 planned to revert 3, but 4_x\.down\.sql was applied since, and none of that plan is applied any more: finishing it would leave it applied\. Nothing was run\.$/,
      );
      // Below what is left of the plan: still another deploy's.
      expect(() => left(['1', '2', '3'], ['3'], [], ['2', '3'])).toThrow(/but 1_x\.down\.sql was applied since; 3_x\.down\.sql is left of that plan, which did not count it\./);
      // Nothing since: a re-run finishes what is left, or finds nothing left.
      expect(left(['1', '2'], ['3'], [], ['1', '2', '3'])).toEqual([]);
      expect(left(['1', '2', '3'], ['3', '2'], [], ['1', '2', '3'])).toEqual(['3', '2']);
      // A row an earlier version wrote (nothing recorded): as before, nothing left is nothing to do.
      expect(left(['1', '2', '4'], ['3'])).toEqual([]);
    });
  });
});
