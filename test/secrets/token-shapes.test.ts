// Credentials of well-known shapes that rollback-kit was never given (a deploy tool's own token, an
// `env` dump, a debug header in an API error) are hidden by the Log like registered secrets, in
// every line it writes; what names the credential stays, so a reader knows what to rotate.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { runRollbackCommand } from '../../src/platforms/command/run.js';
import { SHAPED } from '../helpers/shaped-tokens.js';


const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('Log.redact hides credentials of known shapes it was never given', () => {
  const log = memoryLog();
  it.each([
    ['GitHub classic', `token ${SHAPED.ghp} used`, 'token ghp_*** used'],
    ['GitHub OAuth, user, installation, refresh', `${SHAPED.gho} ${SHAPED.ghu} ${SHAPED.ghs} ${SHAPED.ghr}`, 'gho_*** ghu_*** ghs_*** ghr_***'],
    ['GitHub fine-grained', `"${SHAPED.githubPat}"`, '"github_pat_***"'],
    ['Slack', `SLACK=${SHAPED.slack}.`, 'SLACK=xoxb-***.'],
    ['AWS access key id', `aws_access_key_id = ${SHAPED.aws}`, 'aws_access_key_id = AKIA***'],
    ['JWT', `id token: ${SHAPED.jwt}`, 'id token: ***'],
    ['Authorization header', `> Authorization: Bearer ${SHAPED.bearer}`, '> Authorization: Bearer ***'],
    ['Authorization in JSON', `{"authorization":"token abc.def-ghi"}`, '{"authorization":"token ***"}'],
    ['Bearer alone', `curl -H "Bearer ${SHAPED.bearer}"`, 'curl -H "Bearer ***"'],
    ['Basic credential', `sent Basic ${SHAPED.basic}`, 'sent Basic ***'],
    ['a secret-named variable (a Vercel token has no shape of its own)', `VERCEL_TOKEN=${SHAPED.vercelEnv} PGPASSWORD=Pg-Env-Pw-1`, 'VERCEL_TOKEN=*** PGPASSWORD=***'],
    ['a URL password', `remote https://x-access-token:${SHAPED.urlPassword}@github.com/acme/shop.git`, 'remote https://x-access-token:***@github.com/acme/shop.git'],
    // The forms a secret name takes in a program's output or a person's text, any case.
    ['a short secret-named variable', 'VERCEL_TOKEN=VT_555 and DB_PASSWORD=pw1', 'VERCEL_TOKEN=*** and DB_PASSWORD=***'],
    ['name=value in lower case', 'password=KvPw_1515 db_password=DbP_2121 --api-key=Ak_99', 'password=*** db_password=*** --api-key=***'],
    ['name: value (YAML, a header, a prompt)', 'Password: ColonPw_2222\n  secret: YamlSecret_1414\nX-Auth-Token: Xat_1', 'Password: ***\n  secret: ***\nX-Auth-Token: ***'],
    ['JSON', '{"token":"JsonTok_1616","client_secret": "Json Sec 1717","n":1}', '{"token":"***","client_secret": "***","n":1}'],
    ['JSON inside a JSON string', '{"body":"{\\"token\\":\\"EscTok_1\\",\\"n\\":1}"}', '{"body":"{\\"token\\":\\"***\\",\\"n\\":1}"}'],
    ['a quoted value with spaces', "password='correct horse' done", "password='***' done"],
    ['a numeric password', 'password=123456', 'password=***'],
    ['Bearer: and a short bearer token', 'Bearer: Zm9vYmFy Bearer BareBearer_1010', 'Bearer: *** Bearer ***'],
    ['URL parameters in free text, as written and percent-encoded', 'see https://h.example/x?token=ReasonTok_5678&api%5Fkey=K%2F1&sig=Sig_333#access_token=AccTok_222 now', 'see https://h.example/x?token=***&api%5Fkey=***&sig=***#access_token=*** now'],
    ['a Slack webhook', 'posting to https://hooks.slack.com/services/T0001/B0002/XyzSlackHookSecret2323 now', 'posting to https://hooks.slack.com/services/*** now'],
    ['a Discord webhook', 'https://discord.com/api/webhooks/123456/AbcDiscordTok?wait=true', 'https://discord.com/api/webhooks/***?wait=true'],
    ['a Teams webhook', 'https://acme.webhook.office.com/webhookb2/1f2e@3c4d/IncomingWebhook/9a8b/5e6f x', 'https://acme.webhook.office.com/webhookb2/*** x'],
  ])('%s', (_what, text, shown) => {
    expect(log.redact(text)).toBe(shown);
  });

  it('keeps JSON whole: a credential inside a JSON string ends at its escape', () => {
    // Each value as JSON.stringify writes it, one level and two levels deep (a plan's checks text).
    const inner = `- {name: a, headers: {authorization: "Bearer ${SHAPED.bearer}", x: "https://u:${SHAPED.urlPassword}\\"@h"}}`;
    for (const doc of [{ checks: inner }, { outer: JSON.stringify({ checks: inner }) }]) {
      const shown = log.redact(JSON.stringify(doc, null, 2));
      expect(() => JSON.parse(shown) as unknown).not.toThrow();
      expect(shown).not.toContain(SHAPED.bearer);
    }
    expect(log.redact(JSON.stringify({ h: `authorization: "Bearer ${SHAPED.bearer}"` }))).toBe('{"h":"authorization: \\"Bearer ***\\""}');
  });

  it('leaves ordinary text alone', () => {
    for (const text of [
      'Basic authentication failed for user deploy',
      'VERCEL_TOKEN=… rollback-kit promote --project shop',
      'VERCEL_TOKEN=$VERCEL_TOKEN',
      'the Authorization header was refused',
      'postgres://app:***@db.internal:5432/shop',
      'postgres://app@db.internal:5432/shop',
      'Give the connection as a URL: postgres://user:password@host:5432/dbname.',
      'psql "postgres://app:$PGPASSWORD@db/shop" or postgres://app:${DB_PASSWORD}@db/shop',
      'commit 0123456789abcdef0123456789abcdef01234567, deployment dpl_AbCdEf123456',
      'ROLLBACK_TARGET=previous status=already-current',
      'ghp_short',
      // Words around a secret-looking name that are no secret.
      'the token: it expired, the password: wrong again',
      // rollback-kit's own hints.
      'Pass github-token: ${{ secrets.GITHUB_TOKEN }}; from a secret: vercel-token: ${{ secrets.VERCEL_TOKEN }}.',
      'Vercel did not describe the token: Vercel answered 403',
      "password=.... or password='…' or token=$(cat token.txt)",
      // JSON that is read after it is redacted (an API's error body) still parses.
      '{"error":{"code":"forbidden","invalidToken":true},"token_count":3,"password":null}',
      'author: Jane; authority=ca.example',
      'max_tokens=100 token_count: 5 auth: none token_type=bearer',
      'PWD=/home/app GOOGLE_CREDENTIALS_FILE=/etc/gcp.json token_url=https://auth.example/token',
      'DB_PASSWORD_PATH=~/pw.txt --token-file ./token TOKEN_DIR=/run/secrets',
      'A Bearer token is required; the bearer of bad news',
      'persist-credentials: true',
      'password: ***',
      'https://example.com/search?q=rollback&page=2',
      'https://hooks.slack.com/',
    ]) {
      expect(log.redact(text)).toBe(text);
    }
  });

  it('keeps JSON whole when a string ends in a secret name: a quoted value needs its closing quote where a value ends', () => {
    for (const body of ['{"message":"Invalid token:","code":"forbidden"}', '{"message":"the password:", "n":1}', `{'error':'bad token:','code':'x'}`]) {
      expect(log.redact(body)).toBe(body);
    }
    const nested = JSON.stringify({ body: '{"message":"Invalid token:","code":"forbidden"}' });
    expect(log.redact(nested)).toBe(nested);
    expect(log.redact(`{"cmd":"psql password='Pw_31'","token": "Tok_32"}\nsecret="Sec 33";`)).toBe(`{"cmd":"psql password='***'","token": "***"}\nsecret="***";`);
  });

  it('hides what the narrower forms let through: a JSON number, $ that starts a value, & in a name: value, --name value, SQL PASSWORD', () => {
    expect(log.redact('{"password":123456789,"token_count":3,"pin":"x"}')).toBe('{"password":"***","token_count":3,"pin":"x"}');
    expect(() => JSON.parse(log.redact('{"db_password": 4242, "ok": true}')) as unknown).not.toThrow();
    expect(log.redact('PGPASSWORD=$ecretPw_9 TOKEN=$VERCEL_TOKEN token: "${{ secrets.X }}" password=$(cat pw)')).toBe('PGPASSWORD=*** TOKEN=$VERCEL_TOKEN token: "${{ secrets.X }}" password=$(cat pw)');
    expect(log.redact('postgres://app:$ecretPw_9@db/shop')).toBe('postgres://app:***@db/shop');
    expect(log.redact('Password: Tr0ub4dor&3xyz')).toBe('Password: ***');
    expect(log.redact('?a=1&password=Pw_1&b=2 x password=Pw_2&b=3')).toBe('?a=1&password=***&b=2 x password=***&b=3');
    expect(log.redact('mysql --password s3cr3t -h db; cli --api-key \'K 1\' --db-token "T 2" --token hunter')).toBe(
      'mysql --password *** -h db; cli --api-key \'***\' --db-token "***" --token ***',
    );
    expect(log.redact("ALTER ROLE app PASSWORD 'x'; CREATE USER u WITH ENCRYPTED PASSWORD 'it''s'")).toBe("ALTER ROLE app PASSWORD '***'; CREATE USER u WITH ENCRYPTED PASSWORD '***'");
    expect(log.redact(JSON.stringify({ sql: "alter role app password 'Pw_5'" }))).toBe('{"sql":"alter role app password \'***\'"}');
    // One word after `name: ` is prose only with more words after it.
    expect(log.redact('password: correcthorsebatterystaple\nX-Api-Key: Abcdefghij\ntoken: xyzzy')).toBe('password: ***\nX-Api-Key: ***\ntoken: ***');
  });

  it('leaves options and prose around them alone', () => {
    for (const text of ['use --token to pass it', 'docker login --password-stdin ghcr.io', 'psql --no-password db', 'cli --token $TOKEN --password-file /run/pw', "PASSWORD '' is none", 'the token: Vercel said no']) {
      expect(log.redact(text)).toBe(text);
    }
  });

  it('shows a migration\'s result, a setting about a password and ?author=, and still hides the secrets near them', () => {
    for (const text of [
      'migration 003_secret_store: 3 rows',
      '0042_add_api_key: 12ms',
      '0042_add_api_key.sql: applied',
      'V3__add_token: 0.5s',
      'SET password_encryption = scram-sha-256;',
      'password_min_length: 12, token_type=bearer',
      'https://github.com/acme/shop/commits?author=bob&authority=x',
    ]) {
      expect(log.redact(text)).toBe(text);
    }
    expect(log.redact('003_secret_store: Pw_44x SET password = Pw_45x; https://h/x?auth=A_1&x-auth=A_2&oauth_verifier=V_3&authKey=K_5&Authorization=Z_4')).toBe(
      '003_secret_store: *** SET password = ***; https://h/x?auth=***&x-auth=***&oauth_verifier=***&authKey=***&Authorization=***',
    );
  });

  it('hides a value that starts like a path unless its name says path, file or dir', () => {
    // A base64 secret starts with `/` one time in 64.
    expect(log.redact('AWS_SECRET_ACCESS_KEY=/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe('AWS_SECRET_ACCESS_KEY=***');
    expect(log.redact('token: ~/x9Kq2 password=./Pw_17 credentials: /etc/gcp.json pwd=/Pw_18')).toBe('token: *** password=*** credentials: *** pwd=***');
  });

  it('reaches every line the log writes, warnings and excerpts too', () => {
    const l = memoryLog();
    l.warning(`the API said: bad credentials ${SHAPED.ghs}`);
    l.info(l.excerpt(`{"message":"Unauthorized","token":"${SHAPED.jwt}"}`, 200));
    expect(l.lines.join('\n')).not.toContain(SHAPED.ghs);
    expect(l.lines.join('\n')).not.toContain(SHAPED.jwt);
  });
});

describe('more credential forms a command prints (review3 H1) and ordinary text near them (L1)', () => {
  const log = memoryLog();
  it.each([
    ['Cookie', 'Cookie: session=CmdCookie_4141; theme=dark', 'Cookie: ***'],
    ['Set-Cookie', '< Set-Cookie: sid=CmdSetCookie_4242; Path=/; HttpOnly', '< Set-Cookie: ***'],
    ['Cookie in JSON', '{"cookie":"sid=JsonCookie_1","n":1}', '{"cookie":"***","n":1}'],
    ['Proxy-Authorization', 'Proxy-Authorization: Basic cHJveHk6UHJveHlQd18x', 'Proxy-Authorization: Basic ***'],
    ['Vercel bypass header', 'x-vercel-protection-bypass: CmdBypass_4545', 'x-vercel-protection-bypass: ***'],
    ['x-…-key, -secret, -token headers', 'x-functions-key: Fk_1 x-hook-secret: Hs_2 x-deploy-token: Dt_3', 'x-functions-key: *** x-hook-secret: *** x-deploy-token: ***'],
    ['curl -u and --user', 'curl -u deploy:CmdCurlPw_4343 https://h; curl --user "ci:Pw 2" x; curl --user=a:Pw_3', 'curl -u deploy:*** https://h; curl --user "ci:***" x; curl --user=a:***'],
    ['Stripe keys', 'STRIPE_KEY=sk_live_51HabcDEFghiJKL sk_test_4eC39HqLyjWDarjtT1zdp7dc rk_live_51Habcdefghijk', 'STRIPE_KEY=sk_live_*** sk_test_*** rk_live_***'],
    ['npm token', 'npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 published', 'npm_*** published'],
    ['Heroku token', 'HRKU-01234567-89ab-cdef-0123-456789abcdef', 'HRKU-***'],
    ['passphrase', 'passphrase=Pp_4646 --passphrase "Pp 2"', 'passphrase=*** --passphrase "***"'],
    ['names ending _key', 'session_key=Sk_4747 signing_key: Sg_4848', 'session_key=*** signing_key: ***'],
    ['XML', '<password>XmlPw_4949</password><ns:apiToken>T_1</ns:apiToken>', '<password>***</password><ns:apiToken>***</ns:apiToken>'],
    ['Ruby/Perl hash', `password => "RbPw_5050", :api_key => 'Rk_1'`, `password => "***", :api_key => '***'`],
    ['Sentry DSN', 'SENTRY_DSN https://0123456789abcdef0123456789abcdef@o123.ingest.sentry.io/456', 'SENTRY_DSN https://***@o123.ingest.sentry.io/456'],
    ['PEM on one line', '-----BEGIN RSA PRIVATE KEY-----MIIEpAIBAAKCAQEA-----END RSA PRIVATE KEY----- ok', '-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY----- ok'],
    ['PEM on many lines', 'key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE\nAAAABG5vbmU\n-----END OPENSSH PRIVATE KEY-----\ndone', 'key:\n-----BEGIN OPENSSH PRIVATE KEY-----\n***\n-----END OPENSSH PRIVATE KEY-----\ndone'],
    ['PEM without its END', 'x\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF', 'x\n-----BEGIN PRIVATE KEY-----\n***'],
  ])('%s', (_what, text, shown) => {
    expect(log.redact(text)).toBe(shown);
  });

  it('keeps counts, status words, env names, a working directory and a product name', () => {
    for (const text of [
      'secret_store: 3 rows',
      'token refresh: 12 ms, secret: 3ms',
      'token: expired, password: incorrect, auth: ok',
      'secret: missing; token: invalid; api_key: set',
      'Secret: VERCEL_TOKEN',
      'secret: DATABASE_URL (environment production-database)',
      'pwd: /home/runner/work',
      'Token: Vercel',
      'the Cookie: header was refused',
      'docker run -u 1000:1000 img; curl -u ci:$CI_PASSWORD x',
      'primary_key: id, cache-key: linux-npm-3f2a',
      '<token>expired</token>',
      'options => { verbose: true }',
    ]) {
      expect(log.redact(text)).toBe(text);
    }
    // The secret side of each rule.
    expect(log.redact('secret_store: 3xyzzy password: 1234 token: Vercel_1 Secret: Vt_555 pwd: Pw_1 password: Summer')).toBe(
      'secret_store: *** password: *** token: *** Secret: *** pwd: *** password: ***',
    );
    expect(log.redact('PASSWORD=VERCEL_TOKEN_X1')).toBe('PASSWORD=***');
  });
});

describe('the command provider hides tokens its command prints', () => {
  it('a private key printed over many lines, and the forms above', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'rk-cmd-tokens-'));
    dirs.push(cwd);
    const log = memoryLog();
    const command = [
      "echo '-----BEGIN OPENSSH PRIVATE KEY-----'",
      'echo b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ',
      'echo QyNTUxOQAAACBrZXktYm9keS1saW5lLXR3bw',
      "echo '-----END OPENSSH PRIVATE KEY-----'",
      'echo "Cookie: session=CmdCookie_4141"',
      'echo "curl -u deploy:CmdCurlPw_4343"',
      'echo "after the key"',
    ].join('; ');
    await runRollbackCommand({ command, target: 'app:v1', timeoutSeconds: 20, dryRun: false, cwd, baseEnv: { ...process.env } }, log);
    const all = log.lines.join('\n');
    for (const secret of ['b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ', 'QyNTUxOQAAACBrZXktYm9keS1saW5lLXR3bw', 'CmdCookie_4141', 'CmdCurlPw_4343']) expect(all).not.toContain(secret);
    expect(all).toContain('-----END OPENSSH PRIVATE KEY-----');
    expect(all).toContain('after the key');
  });


  it('in the streamed output and in the tail said again after a failure', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'rk-cmd-tokens-'));
    dirs.push(cwd);
    const lines: string[] = [];
    const log = memoryLog();
    const withTail = Object.assign(log, { failedOutput: (_h: string, tail: readonly string[]) => lines.push(...tail) });
    const command = [
      `echo "GITHUB_TOKEN=${SHAPED.ghp}"`,
      `echo "gh auth: ${SHAPED.githubPat}"`,
      `echo "> Authorization: Bearer ${SHAPED.bearer}"`,
      `echo "slack ${SHAPED.slack} aws ${SHAPED.aws}"`,
      `echo "oidc ${SHAPED.jwt}"`,
      'exit 3',
    ].join('; ');
    const err = await runRollbackCommand({ command, target: 'app:v1', timeoutSeconds: 20, dryRun: false, cwd, baseEnv: { ...process.env } }, withTail).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const all = [...log.lines, ...lines].join('\n');
    for (const secret of [SHAPED.ghp, SHAPED.githubPat, SHAPED.bearer, SHAPED.slack, SHAPED.aws, SHAPED.jwt]) expect(all).not.toContain(secret);
    expect(all).toContain('GITHUB_TOKEN=ghp_***');
  });
});
