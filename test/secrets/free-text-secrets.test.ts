// Through the bundles (rebuild dist first): the free text a person gives the rollback (its reason,
// an earlier job's timeline) becomes the incident issue's title and body, the summary's Reason line,
// every chat message and the log. A credential pasted into it, in any of the forms a program's
// output is already searched for (a URL's ?token=, a secret-named variable, a Bearer token), is in
// none of them; and a webhook URL's short path is not taken for a short secret of the user's.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';
import { expectNoLeaks, listTree } from '../helpers/leak-scan.js';
import { runAction } from '../helpers/run-action.js';

const GH_TOKEN = 'ghs_FreeTextIssuesToken0123456789abcdef';
const SECRETS = {
  userinfo: 'ReasonPw_1234',
  token: 'ReasonTok_5678',
  apiKey: 'ApiKeyR_111',
  accessToken: 'AccTok_222',
  sig: 'Sig_333',
  queryPassword: 'QPw/444',
  vercel: 'VT_555',
  bearer: 'BearerTok_666',
  json: 'JsonTok_777',
  slack: 'XyzSlackHookSecret2323',
};
const REASON = [
  `checkout 500s; see https://user:${SECRETS.userinfo}@internal.example.com/x?token=${SECRETS.token}`,
  `https://h.example/a?api_key=${SECRETS.apiKey} https://h.example/b?access_token=${SECRETS.accessToken}&sig=${SECRETS.sig}`,
  `https://h.example/c?password=${encodeURIComponent(SECRETS.queryPassword)}`,
  `VERCEL_TOKEN=${SECRETS.vercel} Bearer ${SECRETS.bearer} {"token":"${SECRETS.json}"}`,
  `https://hooks.slack.com/services/T0001/B0002/${SECRETS.slack}`,
].join(' ');
/** Every secret as written and percent-decoded or -encoded. */
const FORMS = [...new Set(Object.values(SECRETS).flatMap((s) => [s, encodeURIComponent(s)]))];

/** An earlier job's timeline whose row quotes a credential too. */
const TIMELINE = JSON.stringify([
  { phase: 'app', started: new Date(Date.now() - 60_000).toISOString(), 'duration-ms': 1000, 'budget-ms': 150000, status: 'ok', detail: `rolled back; db_password=${SECRETS.vercel}x` },
]);

let receiver: WebhookReceiver | undefined;
let issues: GitHubIssuesFake | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await receiver?.close();
  await issues?.close();
  receiver = issues = undefined;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function world() {
  receiver = await startWebhookReceiver();
  issues = await startGitHubIssues({ token: GH_TOKEN, repository: 'acme/shop' });
  const ws = await mkdtemp(join(tmpdir(), 'rk-free-text-'));
  dirs.push(ws);
  return { receiver, issues, ws };
}

/** What went out to GitHub and the chat: the request bodies as received. */
function sentOut(gh: GitHubIssuesFake, chat: WebhookReceiver): string {
  return [JSON.stringify(gh.requests.map((r) => r.body ?? null)), ...chat.requests.map((r) => r.raw)].join('\n');
}

function expectNone(where: string, text: string): void {
  for (const form of FORMS) expect(text, `${form.slice(0, 4)}… in ${where}`).not.toContain(form);
}

describe('the reason and the timeline, as a person wrote them', () => {
  it('rollback (the root action): the issue, the summary, the chat messages and the log hold none of its credentials', async () => {
    const { receiver: chat, issues: gh, ws } = await world();
    const run = await runAction(
      'rollback',
      { reason: REASON, timeline: TIMELINE, provider: 'command', command: 'echo rolled back', 'github-token': GH_TOKEN, 'incident-issue': 'true', 'notify-webhook-url': chat.url },
      { cwd: ws, env: { GITHUB_API_URL: gh.url } },
    );
    expect(run.outputs.status).toBe('rolled-back');
    expect(gh.created()).toHaveLength(1);
    expect(chat.delivered.length).toBeGreaterThan(1);
    // Still readable: what names each credential is kept.
    expect(gh.created()[0]!.title).toContain('x?token=***');
    expect(run.summary).toMatch(/VERCEL\\?_TOKEN=\\?\*\\?\*\\?\*/);
    await expectNoLeaks(run, FORMS, [ws]);
    expectNone('what was sent to GitHub and the chat', sentOut(gh, chat));
  });

  it('rollback-kit rollback: the same on stdout, stderr, the report files, the issue and the chat', async () => {
    const { receiver: chat, issues: gh, ws } = await world();
    const run = await runCli(['rollback', 'app', '--reason', REASON, '--timeline', TIMELINE, '--provider', 'command', '--command', 'echo rolled back', '--incident-issue', 'true'], {
      cwd: ws,
      env: { ROLLBACK_WEBHOOK_URL: chat.url, GITHUB_TOKEN: GH_TOKEN, GITHUB_REPOSITORY: 'acme/shop', GITHUB_API_URL: gh.url },
    });
    expect(gh.created()).toHaveLength(1);
    expect(gh.created()[0]!.title).toContain('x?token=***');
    expect(chat.delivered.length).toBeGreaterThan(1);
    const written = await Promise.all((await listTree(ws)).map((p) => readFile(p, 'utf8').catch(() => '')));
    expectNone('stdout, stderr and the files written', [run.stdout, run.stderr, ...written].join('\n'));
    expectNone('what was sent to GitHub and the chat', sentOut(gh, chat));
  });
});

describe('a webhook URL with a short path', () => {
  it('is not a short secret of the user’s: no warning asks for a longer one', async () => {
    receiver = await startWebhookReceiver({ secretPath: '/hook' });
    const ws = await mkdtemp(join(tmpdir(), 'rk-short-hook-'));
    dirs.push(ws);
    const run = await runAction('rollback', { reason: 'checkout 500s', provider: 'command', command: 'echo rolled back', 'incident-issue': 'false', 'notify-webhook-url': receiver.url }, { cwd: ws });
    expect(run.outputs.status).toBe('rolled-back');
    expect(receiver.delivered.length).toBeGreaterThan(1);
    expect(run.log).not.toMatch(/shorter than 6 characters/);
    expect(run.masked).not.toContain('/hook');
  });
});
