// The incident issue of a stopped run (a cancelled job, Ctrl-C). The stop gives the run 5 s to end
// and report; a slow GitHub's usual 10 s a request, with retries, outlasted it, and the run then
// ended saying that what it changed was not known. Now, from the stop on, the issue gets
// STOPPED_ISSUE_MS with every request tried once, and what that leaves unrecorded is said with where
// to record it. The fake GitHub holds a request unanswered until the test is done, so the stop lands
// at a known point and only the bound can end the wait.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { recordIncident, STOPPED_ISSUE_MS, type GitHubTarget } from '../../src/report/incident.js';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { fullRecord } from './records.js';

const TOKEN = 'ghs_FakeInstallationToken0123456789abcdef';
const REPO = 'acme/shop';
/** fullRecord's run is https://github.com/acme/shop/actions/runs/123456789: its issues page. */
const ISSUES_PAGE = 'https://github.com/acme/shop/issues';

let gh: GitHubIssuesFake | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

async function github(): Promise<{ fake: GitHubIssuesFake; target: GitHubTarget }> {
  gh = await startGitHubIssues({ token: TOKEN, repository: REPO });
  return { fake: gh, target: { apiUrl: gh.url, repository: REPO, token: TOKEN } };
}

const LIST = /^GET \/repos\/acme\/shop\/issues$/;
const OPEN = /^POST \/repos\/acme\/shop\/issues$/;

/** recordIncident under a stop, with what it said was missed. */
function recording(target: GitHubTarget, signal: AbortSignal, log = memoryLog()) {
  const missed: string[] = [];
  const done = recordIncident(target, fullRecord(), log, {}, { signal, missed: (m) => missed.push(m) });
  return { done, missed, log };
}

describe('the incident issue of a stopped run', () => {
  it('stopped while GitHub holds the search for an open issue: cut at the bound, nothing retried, "not recorded" and where to record it', async () => {
    const { fake, target } = await github();
    const held = fake.hold(LIST);
    const stop = new AbortController();
    const { done, missed, log } = recording(target, stop.signal);
    await held.reached;
    stop.abort(new Error('stopped by SIGTERM'));
    // Released only once it has ended: had it waited for GitHub's answer, it would never end.
    const result = await done;
    held.release();
    expect(result).toBeUndefined();
    expect(missed).toHaveLength(1);
    expect(missed[0]).toBe(
      `The incident issue was not recorded: the run was stopped while looking for an open incident issue in acme/shop (GitHub did not answer within ${STOPPED_ISSUE_MS / 1000}.0 s of the stop (SIGTERM)). Record it by hand in ${ISSUES_PAGE} with the facts of this run (its job summary, or the rollback's output), or run the rollback again, which records it.`,
    );
    expect(log.lines.filter((l) => l.startsWith('warning'))).toEqual([`warning: ${missed[0]}`]);
    // Nothing reached GitHub but the held search (recorded once answered): no retry, no issue opened.
    expect(fake.requests).toEqual([]);
    expect(fake.created()).toEqual([]);
  });

  it('stopped while the issue is being opened: it may have been recorded, so the warning says where to look first', async () => {
    const { fake, target } = await github();
    const held = fake.hold(OPEN);
    const stop = new AbortController();
    const { done, missed } = recording(target, stop.signal);
    await held.reached;
    stop.abort(new Error('stopped by SIGINT'));
    const result = await done;
    held.release();
    expect(result).toBeUndefined();
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatch(/^The incident issue may not have been recorded: the run was stopped, and opening the incident issue in acme\/shop was sent, but GitHub did not answer within 2\.0 s of the stop \(SIGINT\)\. /);
    expect(missed[0]).toContain(`Look in ${ISSUES_PAGE} for an open issue titled "Rollback: …" that has this run; if none has it, record it there by hand`);
  });

  it('stopped while a search is under way that then fails: it is not retried, and what is missed is said', async () => {
    const { fake, target } = await github();
    fake.serverError(1);
    const held = fake.hold(LIST);
    const stop = new AbortController();
    const { done, missed } = recording(target, stop.signal);
    await held.reached;
    stop.abort(new Error('stopped by SIGTERM'));
    // Answered at once, with a 502: unstopped, it would be retried after a second.
    held.release();
    expect(await done).toBeUndefined();
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /repos/acme/shop/issues']);
    expect(missed[0]).toMatch(/^The incident issue was not recorded: the run was stopped while looking for an open incident issue in acme\/shop \(HTTP 502\)\./);
  });

  it('stopped before it starts: each request is tried once, a 502 is not retried, and what is missed is said', async () => {
    const { fake, target } = await github();
    fake.serverError(1);
    const stop = new AbortController();
    stop.abort(new Error('stopped by SIGTERM'));
    const { done, missed } = recording(target, stop.signal);
    expect(await done).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
    expect(missed[0]).toMatch(/^The incident issue was not recorded: the run was stopped while looking for an open incident issue in acme\/shop \(HTTP 502\)\. Record it by hand in https:\/\/github\.com\/acme\/shop\/issues /);
  });

  it('stopped before it starts, with GitHub answering: the issue is opened, nothing is said missed', async () => {
    const { fake, target } = await github();
    const stop = new AbortController();
    stop.abort(new Error('stopped by SIGTERM'));
    const { done, missed } = recording(target, stop.signal);
    expect(await done).toMatchObject({ created: true });
    expect(fake.created()).toHaveLength(1);
    expect(missed).toEqual([]);
  });
});
