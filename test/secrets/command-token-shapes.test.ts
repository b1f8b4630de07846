// Through the bundles (rebuild dist first): a rollback command that prints tokens rollback-kit was
// never given, shaped like GitHub, Slack, AWS, JWT and Authorization-header credentials, leaves
// none of them in anything the run produced: the log, the summary, the outputs, the files it wrote
// and the chat messages it sent.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startWebhookReceiver } from '../fakes/webhook-receiver.js';
import { expectNoLeaks } from '../helpers/leak-scan.js';
import { runAction } from '../helpers/run-action.js';
import { SHAPED } from '../helpers/shaped-tokens.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const PRINTS = [
  `echo "GITHUB_TOKEN=${SHAPED.ghp}"`,
  `echo "gh: ${SHAPED.githubPat} ${SHAPED.ghs}"`,
  `echo "> Authorization: Bearer ${SHAPED.bearer}"`,
  `echo "slack ${SHAPED.slack} aws ${SHAPED.aws}"`,
  `echo "oidc ${SHAPED.jwt}"`,
  `echo "VERCEL_TOKEN=${SHAPED.vercelEnv}"`,
  `echo "remote https://x-access-token:${SHAPED.urlPassword}@github.com/acme/shop.git"`,
  // Credentials named in lower case, as YAML, as JSON, and a chat webhook whose path is its secret.
  'echo "password=KvPw_1515 db_password=DbP_2121"',
  'echo "Password: ColonPw_2222"',
  'echo "  secret: YamlSecret_1414"',
  `echo '{"token":"JsonTok_1616","client_secret":"JsonSec_1717"}'`,
  'echo "Bearer: Zm9vQmFyQmF6MTg1OQ== and Bearer BareBearer_1010"',
  'echo "hook https://hooks.slack.com/services/T0001/B0002/XyzSlackHookSecret2323"',
].join('; ');
const SECRETS = [
  ...[SHAPED.ghp, SHAPED.githubPat, SHAPED.ghs, SHAPED.bearer, SHAPED.slack, SHAPED.aws, SHAPED.jwt, SHAPED.vercelEnv, SHAPED.urlPassword],
  ...['KvPw_1515', 'DbP_2121', 'ColonPw_2222', 'YamlSecret_1414', 'JsonTok_1616', 'JsonSec_1717', 'Zm9vQmFyQmF6MTg1OQ', 'BareBearer_1010', 'XyzSlackHookSecret2323'],
];

describe('tokens a rollback command prints are in nothing the run produced', () => {
  it('promote-previous: the command succeeds, and fails', async () => {
    for (const tail of ['true', 'exit 5']) {
      const cwd = await mkdtemp(join(tmpdir(), 'rk-shapes-'));
      dirs.push(cwd);
      const run = await runAction('promote-previous', { provider: 'command', target: 'app:v1', command: `${PRINTS}; ${tail}` }, { cwd });
      expect(run.code).toBe(tail === 'true' ? 0 : 1);
      expect(run.log).toContain('GITHUB_TOKEN=ghp_***');
      expect(run.log).toContain('Password: ***');
      await expectNoLeaks(run, SECRETS, [cwd]);
    }
  });

  it('rollback: its summary, outputs, records and chat messages too', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'rk-shapes-rollback-'));
    dirs.push(cwd);
    const receiver = await startWebhookReceiver();
    try {
      const run = await runAction('rollback', { reason: 'checkout 500s', provider: 'command', command: PRINTS, 'incident-issue': 'false', 'notify-webhook-url': receiver.url }, { cwd });
      expect(run.outputs.status).toBe('rolled-back');
      await expectNoLeaks(run, SECRETS, [cwd]);
      const sent = JSON.stringify(receiver.delivered);
      for (const s of SECRETS) expect(sent).not.toContain(s);
    } finally {
      await receiver.close();
    }
  });
});
