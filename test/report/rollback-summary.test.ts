import { describe, expect, it } from 'vitest';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { codeSpan, inlineText, linkText } from '../../src/report/markdown.js';
import { formatDuration } from '../../src/core/duration.js';
import { ganttChart, mermaidName, rollbackSummaryMarkdown, statusLine } from '../../src/report/rollback-summary.js';
import { dryRunRecord, failedRecord, fullRecord, nothingToDoRecord, splitVerifyJobRecord, unverifiedRecord } from './records.js';

/** Table rows (lines starting with a pipe), each as its count of unescaped cell separators. */
function tableShapes(markdown: string): number[][] {
  const tables: number[][] = [];
  let current: number[] | undefined;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('|')) {
      current ??= [];
      current.push((line.match(/(?<!\\)\|/g) ?? []).length);
    } else if (current) {
      tables.push(current);
      current = undefined;
    }
  }
  if (current) tables.push(current);
  return tables;
}

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`### ${heading}`);
  expect(start, `section "${heading}"`).toBeGreaterThanOrEqual(0);
  const next = markdown.indexOf('\n### ', start + 4);
  return markdown.slice(start, next < 0 ? undefined : next);
}

function mermaidBlock(markdown: string): string[] {
  const m = /```mermaid\n([\s\S]*?)\n```/.exec(markdown);
  expect(m, 'a mermaid block').not.toBeNull();
  return m![1]!.split('\n');
}

/** The gantt grammar this report uses, line by line, with bars that end after they start. */
function expectSaneGantt(lines: string[]): void {
  expect(lines[0]).toBe('gantt');
  expect(lines).toContain('  dateFormat x');
  const ids = new Set<string>();
  let tasks = 0;
  for (const line of lines.slice(1)) {
    if (/^ {2}(title|dateFormat) [^:#;]+$/.test(line) || /^ {2}axisFormat [%A-Za-z:]+$/.test(line)) continue;
    if (/^ {2}section [A-Za-z0-9 ._()/-]+$/.test(line)) continue;
    const task = /^ {2}([A-Za-z0-9 ._()/-]+) :(crit, )?([bt]\d+), (\d+), (\d+)$/.exec(line);
    expect(task, `a valid gantt line: ${JSON.stringify(line)}`).not.toBeNull();
    const [, , , id, start, end] = task!;
    expect(ids.has(id!), `unique task id ${id}`).toBe(false);
    ids.add(id!);
    expect(Number(end)).toBeGreaterThanOrEqual(Number(start));
    tasks++;
  }
  expect(tasks).toBeGreaterThan(0);
}

describe('the rollback job summary', () => {
  it('tells a complete rollback: plan, timeline, from and to, snapshot, migrations, verdict, env, next steps', () => {
    const md = rollbackSummaryMarkdown(fullRecord());
    expect(md.split('\n')[0]).toBe('## ✅ Rollback complete: production runs web dpl\\_good4790 (beefcaf) and api deploy 75 again, with 2 migrations reverted');

    const plan = section(md, 'Plan');
    expect(plan).toContain('`dpl_err4805`: state ERROR; `dpl_prev4801`: preview deployment, not production');
    expect(plan).toContain('1. `20260314_add_coupons`\n2. `20260313_orders_index`');
    expect(plan).toContain('Checks: health, checkout, orders table.');
    expect(plan).toContain('Budget: 15 min 0 s in total: plan 30.0 s, notify-start 30.0 s, app 3 min 0 s, snapshot 2 min 0 s, database 6 min 0 s, environment 1 min 0 s, verify 2 min 0 s; off the critical path: report 30.0 s, notify-end 30.0 s.');
    // Scaled with the budget, and without database phases when the plan has no database.
    const short = fullRecord();
    short.budgetMs = 300_000;
    short.database = undefined;
    expect(rollbackSummaryMarkdown(short)).toContain('Budget: 5 min 0 s in total: plan 10.0 s, notify-start 10.0 s, app 1 min 0 s, environment 20.0 s, verify 40.0 s;');

    const timeline = section(md, 'Timeline');
    expect(timeline).toContain('| Phase | Component | Start | Duration | Budget | Status | Detail |');
    expect(timeline).toContain('| app | web | 09:26:57 UTC | 41.0 s | 3 min 0 s | ✅ ok |');
    expect(timeline).toContain('| environment | web | 09:28:54 UTC | 800 ms | 1 min 0 s | ⚠️ warning |');
    expect(timeline.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Phase') && !l.startsWith('| ---')).length).toBe(fullRecord().timeline.length);
    expect(timeline).toContain('**Total: 5 min 0 s of 15 min 0 s budget (within budget): the whole rollback, all of it in this job; telling people afterwards (report, notify-end: off the critical path) took 400 ms more.**');

    const components = section(md, 'Components: from and to');
    for (const text of ['<https://shop-bad4812.vercel.app/>', '<https://shop-good4790.vercel.app/>', '`c0ffee1234567890c0ffee1234567890c0ffee12`', '`beefcafe00112233445566778899aabbccddeeff`', '`deploy 77`']) {
      expect(components).toContain(text);
    }

    const snapshot = section(md, 'Snapshot taken before the database changed');
    expect(snapshot).toContain('`/home/runner/work/_temp/rollback-kit/snapshots/shop-20260314T092803Z.dump`');
    expect(snapshot).toContain('`9f2c1e0d8b7a69584736251403f2e1d0c9b8a79685746352413f2e1d0c9b8a79`');
    expect(snapshot).toContain('| Size | 46.0 MiB |');

    expect(section(md, 'Database: reverted')).toContain('1. `20260314_add_coupons`\n2. `20260313_orders_index`');
    expect(section(md, 'Verification')).toContain('Healthy: 3 of 3 checks passed');
    expect(section(md, 'Environment variables changed after the target was built')).toContain('- web: `STRIPE_WEBHOOK_SECRET`, `FEATURE_CHECKOUT_V2`');
    expect(section(md, 'Next steps')).toContain('1. Watch the error rate for the next 2 hours.');
    expect(md).toContain('Run: <https://github.com/acme/shop/actions/runs/123456789>');
    for (const rows of tableShapes(md)) expect(new Set(rows).size, 'every row of a table has as many cells as its header').toBe(1);
    expectSaneGantt(mermaidBlock(md));
  });

  it('the total is the whole rollback: from the first phase of the first job to the end of the last job, waits included', () => {
    const md = rollbackSummaryMarkdown(splitVerifyJobRecord());
    expect(section(md, 'Timeline')).toContain(
      '**Total: 20 min 3 s of 15 min 0 s budget (over budget by 5 min 3 s): the whole rollback, from its first phase (09:26:53 UTC, in an earlier job) to the end of this job, every job and the waits between them included; this job took 3.0 s.**',
    );
  });

  it('holds only the critical path against the budget: report and notify-end, off it, are shown apart', () => {
    // The rollback's own phases end at 14 min 40 s; a slow GitHub takes 60 s to accept the incident issue.
    const r = fullRecord();
    const t0 = Date.parse(r.startedAt);
    r.timeline = [...r.timeline.filter((e) => e.phase !== 'report'), { phase: 'report', started: new Date(t0 + 880_000).toISOString(), 'duration-ms': 60_000, 'budget-ms': 30_000, status: 'ok', detail: 'incident recorded' }];
    r.finishedAt = new Date(t0 + 940_000).toISOString();
    r.durationMs = 940_000;
    expect(section(rollbackSummaryMarkdown(r), 'Timeline')).toContain(
      '**Total: 14 min 40 s of 15 min 0 s budget (within budget): the whole rollback, all of it in this job; telling people afterwards (report, notify-end: off the critical path) took 1 min 0 s more.**',
    );
  });

  it('writes durations just under a minute or an hour as the next whole unit, never "60 s"', () => {
    expect(formatDuration(119_600)).toBe('2 min 0 s');
    expect(formatDuration(59_960)).toBe('1 min 0 s');
    expect(formatDuration(59_940)).toBe('59.9 s');
    expect(formatDuration(3_599_700)).toBe('60 min 0 s');
    expect(formatDuration(61_400)).toBe('1 min 1 s');
    expect(formatDuration(999)).toBe('999 ms');
  });

  it('lists a failed verify that a later job superseded as history, not as why it failed', () => {
    const r = splitVerifyJobRecord();
    r.status = 'failed';
    r.failedPhase = 'database';
    r.timeline = r.timeline.map((e, i) => (e.phase === 'verify' && i < 8 ? { ...e, status: 'failed', detail: 'checkout still fails' } : e.phase === 'database' ? { ...e, status: 'failed', detail: 'relation x does not exist' } : e));
    const md = rollbackSummaryMarkdown(r);
    expect(md).toContain('**database failed**: relation x does not exist');
    expect(md).not.toContain('**verify failed**');
  });

  it('says a run that failed in plan left each part unchanged, on what it served, not on the planned target', () => {
    const r = dryRunRecord();
    r.status = 'failed';
    r.dryRun = false;
    r.failedPhase = 'plan';
    r.timeline = [{ ...r.timeline[0]!, status: 'failed', detail: 'ledger conflict. Nothing was changed.' }];
    // As the pipeline leaves the parts a failed plan never ran (skipUnstarted).
    r.components = r.components.map((c) => ({ ...c, status: 'skipped' }));
    r.database!.status = 'skipped';
    const md = rollbackSummaryMarkdown(r);
    const [web, api] = r.components;
    expect(md).toContain(`**State now**: web unchanged, on ${inlineText(`${web!.from!.id}`)}`);
    expect(md).not.toMatch(/State now[^\n]*(planned|skipped), on/);
    expect(md).toContain(`${api!.name} unchanged`);
    expect(md).toContain('database unchanged, 0 of 2 planned migrations reverted.');
    // The tables say what became of each part: it never ran, not that it is still to come.
    expect(md).not.toMatch(/\| planned|Database: planned/);
    expect(md).toContain('### Database: skipped');
    // Stopped before the migrations were read: no made-up "0 of 0", and the plan does not say there is nothing to revert.
    r.database = { method: 'down-migrations', planned: [], reverted: [], status: 'skipped' };
    const early = rollbackSummaryMarkdown(r);
    expect(early).toContain('database unchanged (the run stopped before it worked out which migrations to revert).');
    expect(early).not.toContain('0 of 0');
    expect(early).toContain('Database (down migrations): not worked out;');
  });

  it('names the failed phase, why, and the state each part is left in', () => {
    const md = rollbackSummaryMarkdown(failedRecord());
    expect(md.split('\n')[0]).toBe('## ❌ Rollback failed in snapshot');
    expect(md).toContain('**snapshot failed**: pg\\_dump: error: connection to server failed: FATAL: too many connections');
    expect(md).toContain('**State now**: web rolled-back, on dpl\\_good4790 (beefcaf); api rolled-back, on deploy 75; database skipped, 0 of 1 planned migration reverted.');
    expect(md).toContain('| database |  | 09:29:04 UTC | 0 ms | 6 min 0 s | ⏭️ skipped | no database change without a verified snapshot |');
    expect(md).toContain('Planned but not reverted: `20260314_add_coupons`.');
    expect(md).not.toContain('### Snapshot');
    expect(md).toContain('1. Fix the database connection');
    // The failed phase is drawn as critical in the chart.
    expect(mermaidBlock(md).some((l) => /^ {2}took .* :crit, t\d+/.test(l))).toBe(true);
  });

  it('says plainly when production still looks broken after the rollback', () => {
    const md = rollbackSummaryMarkdown(unverifiedRecord());
    expect(md.split('\n')[0]).toBe('## 🚨 Rollback UNVERIFIED: production still looks broken — a person must act now');
    expect(md).toContain('> [!CAUTION]');
    const verification = section(md, 'Verification');
    expect(verification).toContain('Production still looks broken after the rollback (severity critical, 1 of 2 checks passed).');
    // The failing check comes first.
    const rows = verification.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Check') && !l.startsWith('| ---'));
    expect(rows[0]).toBe('| checkout | ❌ failed | critical | 500 Internal Server Error on 5 of 5 attempts |');
    expect(md).toContain('**verify failed**: checkout still fails');
    expect(md).toContain('1. Production is still broken: page the incident commander now.');
  });

  it('shows a dry run as the plan, with nothing changed and no verdict', () => {
    const md = rollbackSummaryMarkdown(dryRunRecord());
    expect(md.split('\n')[0]).toBe('## 📝 Rollback plan (dry run): nothing was changed in production');
    expect(section(md, 'Plan')).toContain('| web | vercel | `dpl_good4790`');
    expect(md).toContain('Checks: health, checkout, orders table.');
    expect(md).toContain('migrations to revert in this order');
    expect(md).not.toContain('### Verification');
    expect(md).not.toContain('Planned but not reverted');
    expect(md).not.toContain('### Database');
    expect(md).toContain('dry run.');
  });

  it('a dry run that failed says it was a dry run in its status line, a real run does not', () => {
    const r: RollbackRecord = { ...dryRunRecord(), status: 'failed', failedPhase: 'plan' };
    expect(statusLine(r)).toBe('Rollback failed in plan (dry run)');
    expect(rollbackSummaryMarkdown(r).split('\n')[0]).toBe('## ❌ Rollback failed in plan (dry run)');
    expect(statusLine({ ...r, dryRun: false })).toBe('Rollback failed in plan');
  });

  // What is true now, in plain words: the deployment each part runs again, the count of migrations
  // reverted in the right number, and nothing of migrations when none was reverted.
  it('the status line says what production runs again, and how many migrations were reverted', () => {
    const web = (r: RollbackRecord): RollbackRecord => ({ ...r, components: r.components.filter((c) => c.name === 'web').map((c) => ({ ...c, to: { id: 'web-v41' } })) });
    const one = web(fullRecord());
    one.database = { ...one.database!, planned: ['20240102'], reverted: ['20240102'] };
    expect(statusLine(one)).toBe('Rollback complete: production runs web web-v41 again, with 1 migration reverted');
    const none = web(fullRecord());
    none.database = { method: 'down-migrations', planned: [], reverted: [], status: 'nothing-to-do' };
    expect(statusLine(none)).toBe('Rollback complete: production runs web web-v41 again');
    expect(statusLine({ ...none, database: undefined })).toBe('Rollback complete: production runs web web-v41 again');
    expect(statusLine({ ...none, database: { method: 'restore', planned: [], reverted: [], status: 'restored' } })).toBe(
      'Rollback complete: production runs web web-v41 again, with its database restored from the snapshot',
    );
    expect(statusLine({ ...fullRecord(), environment: 'staging' })).toBe('Rollback complete: staging runs web dpl_good4790 (beefcaf) and api deploy 75 again, with 2 migrations reverted');
    // The database alone: no app moved, so nothing runs "again".
    expect(statusLine({ ...one, components: [] })).toBe('Rollback complete: production has 1 migration reverted');
    expect(statusLine({ ...one, components: [], status: 'nothing-to-do' })).toBe('Nothing to roll back: production already has 1 migration reverted');
    // A database this run left as it was, in scope: said of the database, not of deployments it never looked at.
    expect(statusLine({ ...none, components: [], status: 'nothing-to-do' })).toBe('Nothing to roll back: production already has its database rolled back');
    expect(statusLine({ ...none, components: [], database: undefined, status: 'nothing-to-do' })).toBe('Nothing to roll back: production already runs the same deployments');
    // The database job of a split rollback: the earlier job moved the app.
    expect(statusLine({ ...one, components: [], earlierComponents: [{ name: 'web', to: 'web-v41' }] })).toBe(
      'Rollback complete: production runs web web-v41 again (rolled back by the earlier job), with 1 migration reverted',
    );
  });

  it('says a re-run found nothing to do', () => {
    const md = rollbackSummaryMarkdown(nothingToDoRecord());
    expect(md.split('\n')[0]).toBe('## ✅ Nothing to roll back: production already runs web dpl\\_good4790 (beefcaf) and api deploy 75');
    expect(md).toContain('| app | web | 09:26:55 UTC | 900 ms | 3 min 0 s | ✔️ nothing-to-do | already current |');
    expect(md).toContain('No migration was reverted.');
    expect(section(md, 'Verification')).toContain('Not run: nothing changed.');
  });

  it('keeps hostile names, reasons and details inert: no HTML, no extra cells, no workflow commands, no links', () => {
    const hostile = 'x|y\n## pwned <script>alert(1)</script> <img src=x onerror=alert(1)> ::error::bad [click](https://evil.example) `code` *b* _i_ # \\|';
    const r: RollbackRecord = fullRecord();
    r.reason = hostile;
    r.environment = `prod\n::warning::${hostile}`;
    r.components[0]!.name = hostile;
    r.components[0]!.provider = hostile;
    r.components[0]!.status = hostile;
    r.components[0]!.error = hostile;
    r.components[0]!.skipped = [{ id: 'dpl_`x`|y', reason: hostile }];
    r.components[0]!.changedEnv = ['A|B`C'];
    r.components[0]!.from = { id: hostile, url: 'javascript:alert(1)', commitSha: '``|<b>', createdAt: hostile };
    r.components[0]!.to = { id: 'ok', url: 'https://evil.example/a"><script>|x' };
    r.database!.planned = [hostile];
    r.database!.reverted = [hostile];
    r.database!.status = hostile;
    r.snapshot!.path = `/tmp/${hostile}`;
    r.timeline = r.timeline.map((e) => ({ ...e, component: hostile, detail: hostile }));
    r.verify!.checks[0] = { name: hostile, passed: false, severity: hostile, detail: hostile };
    r.plannedChecks = [hostile];
    r.nextSteps = [hostile];
    r.runUrl = 'https://github.com/acme/shop/actions/runs/1?x=<script>';
    r.status = 'failed';
    r.failedPhase = 'app';
    r.timeline[2]!.status = 'failed';
    const md = rollbackSummaryMarkdown(r);

    // Inside a code span HTML is shown as text; everywhere else none may survive.
    const outsideCode = md.replace(/(`+)[\s\S]*?\1/g, '');
    expect(outsideCode).not.toMatch(/<script|<img|<b>/i);
    expect(outsideCode).not.toMatch(/(?<!\\)\]\(https:\/\/evil/);
    expect(outsideCode).not.toContain('## pwned');
    for (const line of md.split('\n')) expect(line.startsWith('::'), line).toBe(false);
    for (const rows of tableShapes(md)) expect(new Set(rows).size, 'every row keeps its header\'s cells').toBe(1);
    // Only the report's own headings start a line with #.
    const headings = md.split('\n').filter((l) => l.startsWith('#'));
    expect(headings.every((h) => /^#{2,3} /.test(h) && !h.includes('pwned <'))).toBe(true);
    expect(headings.length).toBeLessThan(15);
    expectSaneGantt(mermaidBlock(md));
    // What was said is still readable.
    expect(md).toContain('alert(1)');
    expect(md).toContain('`javascript:alert(1)`');
  });
});

describe('Markdown pieces for outside text', () => {
  it('inlineText leaves no raw HTML, pipe, newline or Markdown opener', () => {
    const out = inlineText('a|b\r\nc <i>&amp; `x` [l](u) *s* _t_ #h !i ~~d~~ \\ \u202Eevil');
    expect(out).toBe('a&#124;b c &lt;i&gt;&amp;amp; \\`x\\` \\[l\\](u) \\*s\\* \\_t\\_ \\#h \\!i \\~\\~d\\~\\~ \\\\ evil');
  });

  it('codeSpan fences past any backticks inside and stays on one line', () => {
    expect(codeSpan('plain')).toBe('`plain`');
    expect(codeSpan('a`b')).toBe('`` a`b ``');
    expect(codeSpan('``x``\ny')).toBe('``` ``x`` y ```');
  });

  it('linkText links only http(s) URLs and encodes what could end the link', () => {
    expect(linkText('https://a.example/x y')).toBe('<https://a.example/x%20y>');
    expect(linkText('javascript:alert(1)')).toBe('`javascript:alert(1)`');
    expect(linkText('not a url')).toBe('`not a url`');
    expect(linkText('https://a.example/?q=<b>')).not.toMatch(/<b>/);
  });

  it('mermaidName keeps task names to characters the gantt grammar cannot misread', () => {
    expect(mermaidName('app web:prod #1; x')).toBe('app web prod 1 x');
    expect(mermaidName('::error::')).toBe('error');
    expect(mermaidName('#;:')).toBe('unnamed');
  });

  it('draws no chart when no phase has a readable start', () => {
    expect(ganttChart([])).toBeUndefined();
    expect(ganttChart([{ phase: 'plan', started: 'soon', 'duration-ms': 1, 'budget-ms': 2, status: 'ok', detail: '' }])).toBeUndefined();
  });
});
