// Every GitHub REST call goes through the one HTTP client (github/client.ts): the incident and drill
// issues as much as the rollback-kit/verified commit status. So all of them follow a renamed
// repository's redirect on the API's own host (GitHub answers the old name with 301, or 307 for a
// write), none sends anything to another host, and none reads an endless body. The issues keep
// their own rule on top: a GitHub failure is a warning, never an error that fails the rollback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import type { DrillRecord } from '../../src/pipeline/drill.js';
import { CommitStatuses } from '../../src/github/commit-status.js';
import { MAX_API_BODY_BYTES } from '../../src/platforms/http/client.js';
import { recordDrill } from '../../src/report/drill-issue.js';
import { recordIncident } from '../../src/report/incident.js';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { startGitHubStatuses, type GitHubStatusesFake } from '../fakes/github-statuses.js';
import { fullRecord } from './records.js';

const TOKEN = 'ghs_OneClientInstallationTok3n0123456789';
const FAST = { backoffMs: 10, timeoutMs: 2000 };
const SHA = 'c0ffee0000000000000000000000000000000042';
const warnings = (lines: string[]) => lines.filter((l) => l.startsWith('warning'));

let issues: GitHubIssuesFake | undefined;
let statuses: GitHubStatusesFake | undefined;
let servers: Server[] = [];
afterEach(async () => {
  await issues?.close();
  await statuses?.close();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  issues = statuses = undefined;
  servers = [];
});

describe('a renamed repository (GITHUB_REPOSITORY still names the old one)', () => {
  it('the rollback-kit/verified status is read and written through the redirect', async () => {
    statuses = await startGitHubStatuses({ owner: 'acme', repo: 'shop', token: TOKEN, renamedFrom: 'acme/old-shop' });
    statuses.addCommit(SHA);
    const log = memoryLog();
    const gh = new CommitStatuses({ apiUrl: statuses.url, repository: 'acme/old-shop', token: TOKEN }, log);
    await gh.record(SHA, { state: 'success', description: '2 smoke checks passed' });
    expect(await gh.verified(SHA)).toEqual({ verified: true, state: 'success', description: '2 smoke checks passed' });
    const seen = statuses.requests.map((r) => `${r.method} ${r.path} ${r.headers.authorization === `Bearer ${TOKEN}` ? 'token' : 'no token'}`);
    expect(seen).toEqual([
      `POST /repos/acme/old-shop/statuses/${SHA} token`,
      `POST /repositories/1296269/statuses/${SHA} token`,
      `GET /repos/acme/old-shop/commits/${SHA}/status token`,
      `GET /repositories/1296269/commits/${SHA}/status token`,
    ]);
    expect(log.lines.join('\n')).not.toContain(TOKEN);
  });

  it('the incident issue is opened, then commented on, through the redirect', async () => {
    issues = await startGitHubIssues({ token: TOKEN, repository: 'acme/shop', renamedFrom: 'acme/old-shop' });
    const target = { apiUrl: issues.url, repository: 'acme/old-shop', token: TOKEN };
    const log = memoryLog();
    expect(await recordIncident(target, fullRecord(), log, FAST)).toMatchObject({ created: true });
    expect(await recordIncident(target, fullRecord(), log, FAST)).toMatchObject({ created: false });
    expect(issues.created()).toHaveLength(1);
    expect(issues.issues[0]!.comments).toHaveLength(1);
    expect(warnings(log.lines)).toEqual([]);
  });

  it('the drill issue too: opened, then found again and commented on', async () => {
    issues = await startGitHubIssues({ token: TOKEN, repository: 'acme/shop', renamedFrom: 'acme/old-shop' });
    const log = memoryLog();
    const record: DrillRecord = {
      environment: 'staging', dryRun: false, budgetMinutes: 15, wayBackBudgetMs: 450_000, startedAt: '2026-12-01T06:17:00.000Z', finishedAt: '2026-12-01T06:19:00.000Z',
      durationMs: 120_000, wayBackMs: 70_000, forwardMs: 40_000, status: 'passed', failures: [], timeline: [], readiness: [], components: [], nextSteps: [], trend: [],
    };
    const target = { apiUrl: issues.url, repository: 'acme/old-shop', token: TOKEN };
    expect(await recordDrill(target, record, log, FAST)).toMatchObject({ trend: [{ status: 'passed' }] });
    expect(await recordDrill(target, { ...record, startedAt: '2026-12-02T06:17:00.000Z' }, log, FAST)).toMatchObject({ trend: [{ status: 'passed' }, { status: 'passed' }] });
    expect(issues.created()).toHaveLength(1);
    expect(issues.issues[0]!.comments).toHaveLength(2);
    expect(warnings(log.lines)).toEqual([]);
  });
});

describe('the incident issue never fails the rollback, whatever GitHub (or what answers for it) does', () => {
  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('an endless issue listing: read no further than the cap, a warning naming the host, no issue opened', async () => {
    let sent = 0;
    let posts = 0;
    const url = await serve((req, res) => {
      if (req.method === 'POST') {
        posts++;
        res.writeHead(201, { 'content-type': 'application/json' });
        return res.end('{"number":1,"html_url":"https://github.com/acme/shop/issues/1"}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed && sent < 4 * MAX_API_BODY_BYTES) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
    });
    const log = memoryLog();
    expect(await recordIncident({ apiUrl: url, repository: 'acme/shop', token: TOKEN }, fullRecord(), log, FAST)).toBeUndefined();
    expect(posts).toBe(0);
    expect(sent).toBeLessThan(2 * MAX_API_BODY_BYTES);
    const w = warnings(log.lines);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('The incident issue was not recorded (looking for an open incident issue in acme/shop');
    expect(w[0]).toContain(`GitHub (${new URL(url).host}) answered GET /repos/acme/shop/issues with a body larger than ${MAX_API_BODY_BYTES / 1024 / 1024} MB`);
    expect(w[0]).not.toContain('per_page');
    expect(log.lines.join('\n')).not.toContain(TOKEN);
  });

  it('a redirect to another host is not followed: nothing reaches that host, a warning says where it led', async () => {
    const elsewhere: string[] = [];
    const other = await serve((req, res) => {
      elsewhere.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    });
    const url = await serve((req, res) => {
      res.writeHead(301, { location: `${other}${req.url}`, 'content-type': 'application/json' });
      res.end('{"message":"Moved Permanently"}');
    });
    const log = memoryLog();
    expect(await recordIncident({ apiUrl: url, repository: 'acme/shop', token: TOKEN }, fullRecord(), log, FAST)).toBeUndefined();
    expect(elsewhere).toEqual([]);
    expect(warnings(log.lines)[0]).toContain(`answered GET /repos/acme/shop/issues with a redirect (301) to ${other}`);
  });
});
