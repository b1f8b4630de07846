// An incident issue an earlier version opened carries one marker, its run's key, which names the bad
// deployment as that run's `from` was given (auto-rollback's commit SHA); the alias marker with the
// platform's id came later. The cascade run that follows names the incident by that id, so it found
// no issue and opened a duplicate. It now finds the older issue by what such an issue does carry (a
// marker of the environment, and the Resolution's from of each component, id first), comments there,
// and adds its markers so the next run finds it by them. Against the local GitHub issues API
// (list semantics: open issues newest first, labels, pages linked by Link).
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { incidentBody, incidentMarker, incidentTitle, olderIssueNames, recordIncident, type GitHubTarget } from '../../src/report/incident.js';
import { startGitHubIssues, type FakeIssue, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { fullRecord, nothingToDoRecord } from './records.js';

const TOKEN = 'ghs_FakeInstallationToken0123456789abcdef';
const REPO = 'acme/shop';
const SHA = 'c0ffee1234567890c0ffee1234567890c0ffee12';

let gh: GitHubIssuesFake | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

async function github(): Promise<{ fake: GitHubIssuesFake; target: GitHubTarget }> {
  gh = await startGitHubIssues({ token: TOKEN, repository: REPO });
  return { fake: gh, target: { apiUrl: gh.url, repository: REPO, token: TOKEN } };
}

/** The first run, as an earlier version recorded it: auto-rollback's from (the commit SHA) in its key, no alias. */
function firstRun(): RollbackRecord {
  const r = fullRecord();
  return { ...r, components: r.components.filter((c) => c.name === 'web'), incidentKey: `production:web@${SHA}`, incidentAliases: undefined };
}

/** The cascade run after it: the guard names the deployment the first run rolled back from by Vercel's id. */
function cascadeRun(): RollbackRecord {
  return { ...nothingToDoRecord(), labels: ['incident', 'rollback'], incidentKey: 'production:web@dpl_bad4812', incidentAliases: undefined };
}

/** Unrelated open incident issues, newer than `older`: it is on the list's second page. */
function crowd(fake: GitHubIssuesFake, n: number): void {
  for (let i = 0; i < n; i++) fake.addIssue({ title: `Rollback: other ${i}`, labels: ['incident', 'rollback'], body: `${incidentMarker(`production:web@dpl_other${i}`)}\n# Incident Post-Mortem\n` });
}

describe('incident issues an earlier version opened', () => {
  it('are found by their marker of the environment and the from they record, commented on, and given this run\'s markers', async () => {
    const { fake, target } = await github();
    const body = incidentBody(firstRun());
    expect(body).not.toContain(incidentMarker('production:web@dpl_bad4812'));
    const older = fake.addIssue({ title: incidentTitle(firstRun()), labels: ['incident', 'rollback'], body });
    crowd(fake, 120);

    const log = memoryLog();
    const done = await recordIncident(target, cascadeRun(), log);
    expect(done).toEqual({ url: older.html_url, created: false });
    expect(fake.created()).toEqual([]);
    expect(older.comments).toHaveLength(1);
    // Found on the second page of the list, as GitHub pages it.
    expect(fake.requests.filter((r) => r.method === 'GET' && /\/issues$/.test(r.path))).toHaveLength(2);
    // The markers added at the top, the rest of the body as it was.
    expect(older.body).toBe(`${incidentMarker('production:web@dpl_bad4812')}\n${body}`);
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toEqual([expect.objectContaining({ path: `/repos/${REPO}/issues/${older.number}`, body: { body: older.body } })]);
    expect(log.lines.join('\n')).toContain(`Incident issue #${older.number} was found by the deployment its Resolution says was rolled back from, not by this run's incident key (the same incident, named another way when the issue was opened): added this incident's markers to it`);

    // The next run finds it by the marker, and changes the body no more.
    const again = await recordIncident(target, cascadeRun(), memoryLog());
    expect(again).toEqual({ url: older.html_url, created: false });
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    expect(older.comments).toHaveLength(2);
  });

  it('are not taken for another incident: another deployment, another environment, or an issue not opened with this token', async () => {
    const { fake, target } = await github();
    const other = firstRun();
    other.components = other.components.map((c) => ({ ...c, from: { ...c.from, id: 'dpl_bad4700' } }));
    fake.addIssue({ title: 'a', labels: ['incident', 'rollback'], body: incidentBody(other) });
    fake.addIssue({ title: 'b', labels: ['incident', 'rollback'], body: incidentBody({ ...firstRun(), environment: 'staging', incidentKey: `staging:web@${SHA}` }) });
    const copied: FakeIssue = fake.addIssue({ title: 'c', labels: ['incident', 'rollback'], body: incidentBody(firstRun()), author: { login: 'mallory', type: 'User', association: 'NONE' } });
    const done = await recordIncident(target, cascadeRun(), memoryLog());
    expect(done?.created).toBe(true);
    expect(fake.created()).toHaveLength(1);
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    expect(copied.comments).toEqual([]);
  });

  it('an issue that carries this run\'s marker is preferred to an older one found by what it records', async () => {
    const { fake, target } = await github();
    // The marked one on the second page, one found by what it records on the first.
    const marked = fake.addIssue({ title: 'marked', labels: ['incident', 'rollback'], body: incidentBody({ ...firstRun(), incidentAliases: ['production:web@dpl_bad4812'] }) });
    crowd(fake, 100);
    const older = fake.addIssue({ title: 'older', labels: ['incident', 'rollback'], body: incidentBody(firstRun()) });
    const done = await recordIncident(target, cascadeRun(), memoryLog());
    expect(done).toEqual({ url: marked.html_url, created: false });
    expect(older.comments).toEqual([]);
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
  });

  // Not only an earlier version's issue is found this way: this version's run without from names the
  // incident by its run (run-7001); a second run given the bad deployment's URL names it by that URL,
  // with the deployment's id as an alias, which the first issue's Resolution records. The log said the
  // issue "was opened by an earlier rollback-kit version", minutes after this version opened it.
  it('an issue this version opened under another name of the incident: the log says how it was found, not that an earlier version opened it', async () => {
    const { fake, target } = await github();
    const first = { ...fullRecord(), components: fullRecord().components.filter((c) => c.name === 'web'), incidentKey: 'production:run-7001', incidentAliases: undefined };
    const opened = await recordIncident(target, first, memoryLog());
    expect(opened?.created).toBe(true);
    const log = memoryLog();
    const second = { ...nothingToDoRecord(), labels: ['incident', 'rollback'], incidentKey: 'production:web@https://shop-bad4812.vercel.app/?x=1,y=2', incidentAliases: ['production:web@dpl_bad4812'] };
    const done = await recordIncident(target, second, log);
    expect(done).toEqual({ url: opened!.url, created: false });
    const said = log.lines.join('\n');
    expect(said).not.toContain('earlier rollback-kit version');
    expect(said).toContain(`Incident issue #${fake.issues[0]!.number} was found by the deployment its Resolution says was rolled back from, not by this run's incident key`);
  });

  it('reads a component only by the from line its own entry gives, id first', () => {
    const r = { environment: 'production', incidentKey: 'production:web@dpl_bad4812' };
    const body = incidentBody(firstRun());
    expect(olderIssueNames(body, r)).toBe(true);
    expect(olderIssueNames(body, { ...r, incidentKey: 'production:web@dpl_bad48' })).toBe(false);
    expect(olderIssueNames(body, { ...r, incidentKey: 'production:api@dpl_bad4812' })).toBe(false);
    expect(olderIssueNames(body, { ...r, incidentKey: 'production:run-42' })).toBe(false);
    expect(olderIssueNames(body, { environment: 'prod', incidentKey: 'prod:web@dpl_bad4812' })).toBe(false);
    expect(olderIssueNames(body.replace(/<!-- rollback-kit:incident [^>]*-->\n/, ''), r)).toBe(false);
  });
});

// An earlier version's issue whose from was recorded with no id, by its URL alone (the deployment
// event's target URL): the Resolution writes it as a link, as the URL parser spells it (a slash
// after the host), while the next run's name carries it as deployment_status gave it.
const URL_FROM = 'https://app-abc123.vercel.app';

/** The first run, its from recorded by URL only, named by the commit SHA (workflow_run). */
function urlOnlyRun(url = URL_FROM): RollbackRecord {
  const r = firstRun();
  r.components = r.components.map((c) => ({ ...c, from: { url, createdAt: c.from?.createdAt } }));
  return r;
}

/** The next run, given the bad deployment's URL (deployment_status). */
function urlRun(url: string): RollbackRecord {
  return { ...nothingToDoRecord(), labels: ['incident', 'rollback'], incidentKey: `production:web@${url}`, incidentAliases: undefined };
}

describe('incident issues an earlier version opened, their from recorded by URL only', () => {
  it('are found by that URL, spelt either way, commented on, and given this run\'s markers: no second issue', async () => {
    const { fake, target } = await github();
    const body = incidentBody(urlOnlyRun());
    expect(body).toContain(`  - from: <${URL_FROM}/>`);
    expect(body).not.toContain(incidentMarker(`production:web@${URL_FROM}`));
    const older = fake.addIssue({ title: incidentTitle(urlOnlyRun()), labels: ['incident', 'rollback'], body });
    crowd(fake, 3);

    const log = memoryLog();
    const done = await recordIncident(target, urlRun(URL_FROM), log);
    expect(done).toEqual({ url: older.html_url, created: false });
    expect(fake.created()).toEqual([]);
    expect(older.comments).toHaveLength(1);
    expect(older.body).toBe(`${incidentMarker(`production:web@${URL_FROM}`)}\n${body}`);
    expect(log.lines.join('\n')).toContain(`Incident issue #${older.number} was found by the deployment its Resolution says was rolled back from, not by this run's incident key (the same incident, named another way when the issue was opened): added this incident's markers to it`);

    // The next run finds it by the marker it now carries.
    const again = await recordIncident(target, urlRun(URL_FROM), memoryLog());
    expect(again).toEqual({ url: older.html_url, created: false });
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    expect(older.comments).toHaveLength(2);
  });

  it('are not taken for another incident: another URL, another path, or a from recorded with an id beside the URL', async () => {
    const { fake, target } = await github();
    const other = fake.addIssue({ title: 'other url', labels: ['incident', 'rollback'], body: incidentBody(urlOnlyRun('https://app-def456.vercel.app')) });
    const path = fake.addIssue({ title: 'other path', labels: ['incident', 'rollback'], body: incidentBody(urlOnlyRun(`${URL_FROM}/checkout`)) });
    // An id is the deployment's name; a URL beside it may be the service's domain, which every deployment shares.
    const withId = urlOnlyRun();
    withId.components = withId.components.map((c) => ({ ...c, from: { id: 'dpl_bad4700', url: URL_FROM } }));
    const identified = fake.addIssue({ title: 'with id', labels: ['incident', 'rollback'], body: incidentBody(withId) });
    const staging = fake.addIssue({ title: 'staging', labels: ['incident', 'rollback'], body: incidentBody({ ...urlOnlyRun(), environment: 'staging', incidentKey: `staging:web@${SHA}` }) });

    const done = await recordIncident(target, urlRun(URL_FROM), memoryLog());
    expect(done?.created).toBe(true);
    expect(fake.created()).toHaveLength(1);
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    for (const issue of [other, path, identified, staging]) expect(issue.comments).toEqual([]);
  });

  it('compare the URL with its scheme and host in any case, the default port and a trailing slash left out', () => {
    const body = incidentBody(urlOnlyRun());
    const names = (url: string) => olderIssueNames(body, { environment: 'production', incidentKey: `production:web@${url}` });
    for (const same of [URL_FROM, `${URL_FROM}/`, 'HTTPS://App-ABC123.Vercel.App', 'https://app-abc123.vercel.app:443//']) expect(names(same), same).toBe(true);
    for (const other of ['https://app-abc1234.vercel.app', 'http://app-abc123.vercel.app:8080', `${URL_FROM}/x`, `${URL_FROM}/?preview=1`, 'app-abc123.vercel.app', 'dpl_abc123']) {
      expect(names(other), other).toBe(false);
    }
    // An id that is itself a URL (the command provider records from as given) is compared the same way.
    const command = urlOnlyRun();
    command.components = command.components.map((c) => ({ ...c, provider: 'command', from: { id: 'https://App-abc123.vercel.app/' } }));
    const commandBody = incidentBody(command);
    expect(olderIssueNames(commandBody, { environment: 'production', incidentKey: `production:web@${URL_FROM}` })).toBe(true);
    expect(olderIssueNames(commandBody, { environment: 'production', incidentKey: 'production:web@https://app-def456.vercel.app' })).toBe(false);
  });
});
