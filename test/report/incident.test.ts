import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { incidentBody, incidentComment, incidentMarker, incidentTitle, recordIncident, type GitHubTarget } from '../../src/report/incident.js';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { failedRecord, fullRecord, nothingToDoRecord, splitVerifyJobRecord, unverifiedRecord } from './records.js';

const TOKEN = 'ghs_FakeInstallationToken0123456789abcdef';
const REPO = 'acme/shop';
const FAST = { backoffMs: 10, timeoutMs: 2000 };

let gh: GitHubIssuesFake | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

async function github(): Promise<{ fake: GitHubIssuesFake; target: GitHubTarget }> {
  gh = await startGitHubIssues({ token: TOKEN, repository: REPO });
  return { fake: gh, target: { apiUrl: gh.url, repository: REPO, token: TOKEN } };
}

const warnings = (lines: string[]) => lines.filter((l) => l.startsWith('warning'));

describe('the incident issue body', () => {
  it('fills the post-mortem template with what the run knows and leaves the human sections blank', () => {
    const body = incidentBody(fullRecord());
    expect(body.startsWith(`${incidentMarker(fullRecord().incidentKey)}\n`)).toBe(true);
    expect(body).toContain('# Incident Post-Mortem: Rollback: Checkout returns 500 after deploy 4812 (production)');
    expect(body).toContain('**Date**: 2026-03-14');
    expect(body).toContain('**Duration**: rollback 5 min 0 s of 15 min 0 s budget (within budget): the whole rollback, all of it in this job; telling people afterwards (report, notify-end: off the critical path) took 400 ms more; impact 2026-03-14 08:58:00 UTC – 2026-03-14 09:31:53 UTC at most');
    expect(body).toContain('**Severity**: P0 (critical)');
    // Timeline rows: the bad deployment's creation, the rows a person fills, started, completed, verified.
    const timeline = body.slice(body.indexOf('## Timeline'), body.indexOf('## Root Cause'));
    const rows = timeline.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Time') && !l.startsWith('| ---') && !l.startsWith('| Phase'));
    const events = rows.map((r) => r.split(' | ')[1]);
    expect(rows[0]).toMatch(/^\| 2026-03-14 08:58:00 UTC \| web: bad deployment `dpl_bad4812` · <https:\/\/shop-bad4812\.vercel\.app\/> · commit `c0ffee1234567890c0ffee1234567890c0ffee12` created \|$/);
    expect(events.findIndex((e) => e?.startsWith('First error detected'))).toBeLessThan(events.findIndex((e) => e?.startsWith('Rollback initiated')));
    expect(timeline).toContain('| 2026-03-14 09:26:53 UTC | Rollback initiated by rollback-kit: Checkout returns 500 after deploy 4812 |');
    expect(timeline).toContain('| 2026-03-14 09:30:30 UTC | System verified stable by the smoke checks |');
    expect(timeline).toContain('| 2026-03-14 09:31:53 UTC | Rollback complete: production runs web dpl\\_good4790 (beefcaf) and api deploy 75 again, with 2 migrations reverted |');
    // Resolution: method, from and to, snapshot, migrations, smoke results, changed variables, run.
    const resolution = body.slice(body.indexOf('## Resolution'), body.indexOf('## What Went Well'));
    for (const text of [
      '**Method**: vercel, command, down migrations',
      'from: `dpl_bad4812` · <https://shop-bad4812.vercel.app/> · commit `c0ffee1234567890c0ffee1234567890c0ffee12`',
      'to: `dpl_good4790` · <https://shop-good4790.vercel.app/> · commit `beefcafe00112233445566778899aabbccddeeff`',
      '`/home/runner/work/_temp/rollback-kit/snapshots/shop-20260314T092803Z.dump`, sha256 `9f2c1e0d8b7a69584736251403f2e1d0c9b8a79685746352413f2e1d0c9b8a79`',
      '**Reverted migrations** (in order): `20260314_add_coupons`, `20260313_orders_index`.',
      '**Smoke checks**: Healthy: 3 of 3 checks passed',
      '| checkout | ✅ passed | critical | 200 in 180 ms |',
      'web: `STRIPE_WEBHOOK_SECRET`, `FEATURE_CHECKOUT_V2`',
      '**Run**: <https://github.com/acme/shop/actions/runs/123456789>',
    ]) {
      expect(resolution).toContain(text);
    }
    for (const heading of ['## Root Cause', '## Contributing Factors', '## What Went Well', "## What Didn't Go Well", '## Action Items', '## Lessons Learned', '## Prevention']) {
      const at = body.indexOf(`${heading}\n`);
      expect(at, heading).toBeGreaterThan(0);
      const content = body.slice(at + heading.length, body.indexOf('\n## ', at + heading.length));
      expect(content, heading).toMatch(/_To be filled in\._/);
    }
  });

  it('the duration, and the comment of a later job, count the whole rollback, every job and the waits between them', () => {
    const r = splitVerifyJobRecord();
    const whole = '20 min 3 s of 15 min 0 s budget (over budget by 5 min 3 s): the whole rollback, from its first phase (09:26:53 UTC, in an earlier job) to the end of this job, every job and the waits between them included; this job took 3.0 s';
    expect(incidentBody(r)).toContain(`**Duration**: rollback ${whole}; impact`);
    expect(incidentComment(r)).toContain(`Total: ${whole}.`);
  });

  it('a re-run\'s comment on the open issue says why it failed and what a person must do now', () => {
    const c = incidentComment(failedRecord());
    expect(c).toContain('**snapshot failed**: pg\\_dump: error: connection to server failed: FATAL: too many connections');
    expect(c).toContain('Next steps:\n\n1. Fix the database connection, then re-run with scope database: the app is already rolled back.');
    const u = incidentComment(unverifiedRecord());
    expect(u).toContain('**verify failed**: checkout still fails');
    expect(u).toContain('1. Production is still broken: page the incident commander now.\n2. Check the payment provider status page.');
    // A run that went well adds no failure line.
    expect(incidentComment(fullRecord())).not.toMatch(/failed\*\*/);
  });

  it('marks a phase that ran over its budget in the issue\'s phase table', () => {
    const r = fullRecord();
    r.timeline = r.timeline.map((e) => (e.phase === 'verify' ? { ...e, 'duration-ms': 150_000 } : e));
    const body = incidentBody(r);
    expect(body).toContain('| 2 min 30 s / 2 min 0 s | ok (over budget) |');
    expect(body).toContain('| 41.0 s / 3 min 0 s | ok |');
  });

  it('a component whose serving deployment was not known (command provider without from) went "back to" its target, not "from ?"', () => {
    const r = fullRecord();
    delete r.components[1]!.from;
    const body = incidentBody(r);
    expect(body).toContain('web from dpl\\_bad4812 (c0ffee1) to dpl\\_good4790 (beefcaf); api back to deploy 75. Outcome:');
    expect(body).not.toContain('?');
  });

  it('an unverified or failed run says so in the timeline instead of "verified stable"', () => {
    const u = incidentBody(unverifiedRecord());
    expect(u).toContain('Verification: Production still looks broken after the rollback');
    expect(u).not.toContain('System verified stable by the smoke checks');
    const f = incidentBody(failedRecord());
    expect(f).toContain('| Rollback failed in snapshot |');
    expect(f).toContain('**Database**: skipped, no migration reverted.');
  });

  it('a title from the reason and environment, on one line and bounded', () => {
    expect(incidentTitle(fullRecord())).toBe('Rollback: Checkout returns 500 after deploy 4812 (production)');
    const r = fullRecord();
    r.reason = `line one\nline two ${'x'.repeat(500)}`;
    const title = incidentTitle(r);
    expect(title.length).toBeLessThanOrEqual(120);
    expect(title).not.toContain('\n');
    expect(title.endsWith('… (production)')).toBe(true);
  });

  it('the marker cannot be closed early by the key', () => {
    const marker = incidentMarker('prod --> <script>alert(1)</script> <!-- x');
    expect(marker.startsWith('<!-- rollback-kit:incident ')).toBe(true);
    expect(marker.slice(4, -4)).not.toMatch(/--|[<>]/);
    expect(incidentMarker('production:web=dpl_1')).toBe('<!-- rollback-kit:incident production:web=dpl_1 -->');
  });

  it('stays under GitHub\'s body limit with a huge record', () => {
    const r = unverifiedRecord();
    r.verify!.checks = Array.from({ length: 3000 }, (_, i) => ({ name: `check ${i}`, passed: false, severity: 'critical', detail: 'z'.repeat(100) }));
    expect(incidentBody(r).length).toBeLessThanOrEqual(65_536);
  });
});

describe('recording the incident on GitHub', () => {
  it('opens an issue with the title, body and labels, using the documented headers', async () => {
    const { fake, target } = await github();
    const log = memoryLog();
    const result = await recordIncident(target, fullRecord(), log, FAST);
    expect(result).toEqual({ url: 'https://github.com/acme/shop/issues/1', created: true });
    const [issue] = fake.created();
    expect(issue!.title).toBe('Rollback: Checkout returns 500 after deploy 4812 (production)');
    expect(issue!.labels).toEqual(['incident', 'rollback']);
    expect(issue!.body).toContain(incidentMarker(fullRecord().incidentKey));
    const list = fake.requests[0]!;
    expect(list.method).toBe('GET');
    expect(list.path).toBe('/repos/acme/shop/issues');
    expect(list.query).toEqual({ state: 'open', labels: 'incident,rollback', per_page: '100' });
    for (const req of fake.requests) {
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(req.headers.accept).toBe('application/vnd.github+json');
      expect(req.headers['x-github-api-version']).toBe('2022-11-28');
      expect(req.headers['user-agent']).toMatch(/rollback-kit/);
    }
    expect(warnings(log.lines)).toEqual([]);
    expect(log.lines.join('\n')).not.toContain(TOKEN);
  });

  it('a re-run comments on the open issue found on page 2, skipping pull requests and closed issues', async () => {
    const { fake, target } = await github();
    const marker = incidentMarker(fullRecord().incidentKey);
    const original = fake.addIssue({ title: 'Rollback: checkout (production)', body: `${marker}\n# Incident`, labels: ['incident', 'rollback'] });
    fake.addIssue({ title: 'old incident', body: `${marker}\nclosed one`, labels: ['incident', 'rollback'], state: 'closed' });
    for (let i = 0; i < 150; i++) fake.addIssue({ title: `other incident ${i}`, body: `<!-- rollback-kit:incident staging:web=dpl_${i} -->`, labels: ['incident', 'rollback'] });
    // A pull request quoting the marker is listed among issues on page 1: it is not the incident.
    fake.addIssue({ title: 'Fix checkout', body: `Mentions ${marker}`, labels: ['incident', 'rollback'], pullRequest: true });
    fake.addIssue({ title: 'unlabelled', body: marker });

    const log = memoryLog();
    const result = await recordIncident(target, nothingToDoRecord(), log, FAST);
    expect(result).toEqual({ url: original.html_url, created: false });
    expect(fake.created()).toEqual([]);
    const gets = fake.requests.filter((r) => r.method === 'GET' && r.path !== '/user');
    expect(gets).toHaveLength(2);
    expect(gets[1]!.path).toBe('/repositories/1296269/issues');
    expect(gets[1]!.query.page).toBe('2');
    expect(original.comments).toHaveLength(1);
    expect(original.comments[0]!.body).toContain('Nothing to roll back: production already runs web');
    expect(original.comments[0]!.body).toContain('web: already-current');
    expect(original.comments[0]!.body).toContain('<https://github.com/acme/shop/actions/runs/123456789>');
    expect(log.lines.join('\n')).toContain(`Incident issue #${original.number} already open for this rollback: added a comment`);
  });

  it('an issue someone else opened with the marker copied into it is left alone: the rollback opens its own', async () => {
    const { fake, target } = await github();
    const marker = incidentMarker(fullRecord().incidentKey);
    const forged = fake.addIssue({ title: 'Rollback: checkout (production)', body: `${marker}\n# Incident`, labels: ['incident', 'rollback'], author: { login: 'mallory', type: 'User', association: 'CONTRIBUTOR' } });
    const log = memoryLog();
    const result = await recordIncident(target, nothingToDoRecord(), log, FAST);
    expect(result?.created).toBe(true);
    expect(forged.comments).toEqual([]);
    expect(fake.created()).toHaveLength(1);
    expect(log.lines.join('\n')).toContain(`Issue #${forged.number} carries this incident's marker but was not opened with this token: left alone.`);
  });

  it('a bad token is a warning that says what to do; nothing thrown, nothing created', async () => {
    const { fake, target } = await github();
    const log = memoryLog();
    expect(await recordIncident({ ...target, token: 'ghp_WrongTokenValue123456' }, fullRecord(), log, FAST)).toBeUndefined();
    const [w] = warnings(log.lines);
    expect(w).toContain('HTTP 401 Bad credentials');
    expect(w).toContain('pass secrets.GITHUB_TOKEN or a token that is still valid');
    expect(log.lines.join('\n')).not.toContain('ghp_WrongTokenValue123456');
    expect(fake.requests).toHaveLength(1);
  });

  it('an unknown repository (404) and disabled issues (410) are warnings that say what to do', async () => {
    const { fake, target } = await github();
    const log = memoryLog();
    expect(await recordIncident({ ...target, repository: 'acme/nope' }, fullRecord(), log, FAST)).toBeUndefined();
    expect(warnings(log.lines)[0]).toContain('in acme/nope: HTTP 404 Not Found). The repository was not found with this token');
    fake.issuesDisabled = true;
    expect(await recordIncident(target, fullRecord(), log, FAST)).toBeUndefined();
    expect(warnings(log.lines)[1]).toContain('HTTP 410 Issues are disabled for this repo). Issues are disabled on this repository: enable them in the repository settings, or set incident-issue: false.');
  });

  it('a token without issues: write is told which permission to grant', async () => {
    const { fake, target } = await github();
    fake.readOnly = true;
    const log = memoryLog();
    expect(await recordIncident(target, fullRecord(), log, FAST)).toBeUndefined();
    expect(warnings(log.lines)[0]).toContain('opening the incident issue in acme/shop: HTTP 403 Resource not accessible by integration). The token may not write issues: grant the job `permissions: issues: write`');
  });

  it('waits out a secondary rate limit as Retry-After says, then records', async () => {
    const { fake, target } = await github();
    fake.rateLimit(1, 1);
    const log = memoryLog();
    const started = Date.now();
    expect(await recordIncident(target, fullRecord(), log, FAST)).toEqual({ url: 'https://github.com/acme/shop/issues/1', created: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
    expect(warnings(log.lines)).toEqual([]);
  });

  it('does not wait longer than its cap for a rate limit, and says to re-run later', async () => {
    const { fake, target } = await github();
    fake.rateLimit(1, 3600);
    const log = memoryLog();
    expect(await recordIncident(target, fullRecord(), log, FAST)).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
    expect(warnings(log.lines)[0]).toContain("rate limited (HTTP 403 You have exceeded a secondary rate limit");
    expect(warnings(log.lines)[0]).toContain("GitHub's rate limit: re-run the step later");
  });

  it('a secondary rate limit without Retry-After waits a minute, which is past the cap', async () => {
    const { fake, target } = await github();
    fake.rateLimit(1);
    const log = memoryLog();
    expect(await recordIncident(target, fullRecord(), log, FAST)).toBeUndefined();
    expect(warnings(log.lines)[0]).toContain('GitHub asks to wait 1 min 0 s');
  });

  it('retries 5xx a bounded number of times', async () => {
    const { fake, target } = await github();
    fake.serverError(2, 502);
    expect(await recordIncident(target, fullRecord(), memoryLog(), FAST)).toEqual({ url: 'https://github.com/acme/shop/issues/1', created: true });
    expect(fake.requests.filter((r) => r.method === 'GET')).toHaveLength(3);

    fake.serverError(100, 503);
    const log = memoryLog();
    const before = fake.requests.length;
    expect(await recordIncident(target, fullRecord(), log, { ...FAST, retries: 2 })).toBeUndefined();
    expect(fake.requests.length - before).toBe(3);
    expect(warnings(log.lines)[0]).toContain('HTTP 503');
    expect(warnings(log.lines)[0]).toContain('Re-run the step later to record it');
  });

  it('a GitHub that never answers times out on every call', async () => {
    const { fake, target } = await github();
    fake.hang(100);
    const log = memoryLog();
    expect(await recordIncident(target, fullRecord(), log, { timeoutMs: 200, retries: 1, backoffMs: 10 })).toBeUndefined();
    expect(fake.requests).toHaveLength(2);
    expect(warnings(log.lines)[0]).toContain('no answer within 200 ms');
  });

  it('keeps the whole call within its deadline, whatever the per-request timeout and retries', async () => {
    const { fake, target } = await github();
    fake.hang(100);
    const log = memoryLog();
    expect(await recordIncident(target, fullRecord(), log, { timeoutMs: 10_000, retries: 3, backoffMs: 10, deadlineMs: 400 })).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
    expect(warnings(log.lines)[0]).toMatch(/no answer within \d+ ms; out of the 400 ms allowed for the incident issue/);
  });

  it('does not follow a pagination link to another host with the token', async () => {
    const { fake, target } = await github();
    const other = await startGitHubIssues({ token: TOKEN, repository: REPO });
    try {
      fake.linkOrigin = other.url;
      for (let i = 0; i < 120; i++) fake.addIssue({ title: `i${i}`, labels: ['incident', 'rollback'] });
      expect(await recordIncident(target, fullRecord(), memoryLog(), FAST)).toMatchObject({ created: true });
      expect(other.requests).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('a repository that is not owner/name, no token, or an API URL that is no URL: warnings, no request', async () => {
    const { fake, target } = await github();
    const log = memoryLog();
    expect(await recordIncident({ ...target, repository: 'just-a-name' }, fullRecord(), log)).toBeUndefined();
    expect(await recordIncident({ ...target, token: '' }, fullRecord(), log)).toBeUndefined();
    expect(await recordIncident({ ...target, apiUrl: 'not a url' }, fullRecord(), log)).toBeUndefined();
    expect(warnings(log.lines)).toHaveLength(3);
    expect(fake.requests).toEqual([]);
  });

  it('no registered secret reaches the title, the body, the labels or a comment', async () => {
    const { fake, target } = await github();
    const log = memoryLog();
    const password = 'Sup3r_s#cret&pw!';
    log.secret(password);
    const hook = 'https://hooks.slack.com/services/T1/B2/WebhookSecret77';
    log.secret(hook);
    const r = failedRecord();
    r.reason = `payments down (password ${password})`;
    r.components[0]!.error = `postgres://app:${password}@db/shop refused; notify ${hook}`;
    r.timeline[4]!.detail = `pg_dump: password ${password} rejected`;
    r.labels = ['incident', `pw-${password}`];
    r.nextSteps = [`Rotate ${password}`];
    expect(await recordIncident(target, r, log, FAST)).toMatchObject({ created: true });
    expect(await recordIncident(target, r, log, FAST)).toMatchObject({ created: false });
    const sent = fake.requests.map((q) => JSON.stringify(q.body ?? '') + JSON.stringify(q.query)).join('\n');
    const stored = JSON.stringify(fake.issues);
    for (const secret of [password, encodeURIComponent(password), 'WebhookSecret77', TOKEN, 'Sup3r\\_s\\#cret']) {
      expect(sent).not.toContain(secret);
      expect(stored).not.toContain(secret);
      expect(log.lines.join('\n')).not.toContain(secret);
    }
    expect(stored).toContain('***');
  });
});
