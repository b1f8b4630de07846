// What the user's rollback and verify commands print goes to the log: a connection string or a
// signed URL they echo holds a secret rollback-kit was never given, so the log's mask cannot know
// it. Every URL in that output is shown without userinfo and with sensitive parameters as ***.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { hideUrlSecrets } from '../../src/core/url-secrets.js';
import { runRollbackCommand } from '../../src/platforms/command/run.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('hideUrlSecrets', () => {
  it.each([
    ['connecting to postgres://app:s3cret-pw@db.internal:5432/shop?sslmode=require now', 'connecting to postgres://db.internal:5432/shop?sslmode=require now'],
    ['hook "https://hooks.example/x?token=tok-abc123&team=ops" done', 'hook "https://hooks.example/x?token=***&team=ops" done'],
    ['two: http://a:b@one.example and mysql://root:rootpw@two.example/db', 'two: http://one.example and mysql://two.example/db'],
    ['<postgresql://u:p%40ss@h/d?password=also>', '<postgresql://h/d?password=***>'],
    ['no url here, only a ratio 3://4 and ://', 'no url here, only a ratio 3://4 and ://'],
    ['plain https://example.com/path stays', 'plain https://example.com/path stays'],
    // A closing bracket the URL does not open is the text's: it stays after the hidden value.
    ['check (http://h.example/x?api_key=k-123456) failed', 'check (http://h.example/x?api_key=***) failed'],
    ['[https://h.example/?token=t-123456], {https://h.example/?sig=s-123456}', '[https://h.example/?token=***], {https://h.example/?sig=***}'],
    ['see (https://h.example/wiki/A_(b)?token=t-123456)).', 'see (https://h.example/wiki/A_(b)?token=***)).'],
    ['(https://h.example/?token=a(b)c)', '(https://h.example/?token=***)'],
    // What ownEnd leaves out after a value that runs to the URL's end may be the value's own: it is
    // hidden with it, but for a bracket the text opened before the URL (and what follows it) and a
    // single `.` or `,` that ends a sentence.
    ['token https://h.example/?token=s3cr3t!! now', 'token https://h.example/?token=*** now'],
    ['failed: https://h.example/?password=hunter2)', 'failed: https://h.example/?password=***'],
    ['got https://h.example/?token=abc.def.', 'got https://h.example/?token=***.'],
    ['got https://h.example/?token=abc.def.. then', 'got https://h.example/?token=***. then'],
    ['got https://h.example/?token=abc, then', 'got https://h.example/?token=***, then'],
    ['"https://h.example/?token=abc.def."', '"https://h.example/?token=***"'],
    ['(see https://h.example/?token=x1!?).', '(see https://h.example/?token=***).'],
    ['(see https://h.example/?token=x1.)', '(see https://h.example/?token=***)'],
    ['[a (see https://h.example/?token=x1)], done', '[a (see https://h.example/?token=***)], done'],
    ['(a) https://h.example/?token=x1)', '(a) https://h.example/?token=***'],
    ['https://h.example/#access_token=x1;:', 'https://h.example/#access_token=***'],
    ['https://hooks.slack.com/services/T0/B0/x1!', 'https://hooks.slack.com/services/***'],
    // Nothing hidden at the end: the text keeps its punctuation.
    ['see https://h.example/?token=x1&page=2.', 'see https://h.example/?token=***&page=2.'],
    ['see (https://h.example/docs?a=1)!', 'see (https://h.example/docs?a=1)!'],
  ])('%s', (text, shown) => {
    expect(hideUrlSecrets(text)).toBe(shown);
  });

  it('keeps long text without a URL, and many URLs, whole (a linear scan: the result is checked, not the time)', () => {
    const letters = 'a.b-c+'.repeat(200_000);
    expect(hideUrlSecrets(letters)).toBe(letters);
    const many = 'x://u:pw@h '.repeat(50_000);
    expect(hideUrlSecrets(many)).toBe('x://h '.repeat(50_000));
    const colons = `${'a'.repeat(100_000)}://`.repeat(3);
    expect(hideUrlSecrets(colons)).not.toContain('@');
    const closers = `(http://h/?token=t-123456${')'.repeat(200_000)}`;
    expect(hideUrlSecrets(closers)).toBe(`(http://h/?token=***${')'.repeat(200_000)}`);
    const nested = `${'('.repeat(200_000)}http://h/?token=t-1!${')'.repeat(200_000)}`;
    expect(hideUrlSecrets(nested)).toBe(`${'('.repeat(200_000)}http://h/?token=***${')'.repeat(200_000)}`);
    const cut = '(http://h/?token=t-1!!) '.repeat(50_000);
    expect(hideUrlSecrets(cut)).toBe('(http://h/?token=***) '.repeat(50_000));
  });
});

describe('the command provider prints its commands\' output without the secrets of URLs in it', () => {
  it('the rollback command and the verify command, and the tail said again after a failure', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'rk-cmd-urls-'));
    dirs.push(cwd);
    const log = memoryLog();
    const command = 'echo "DATABASE=postgres://deploy:Hunter2-db-pw@db.example:5432/app?password=Query-pw-9"; echo "signed https://cdn.example/a?X-Amz-Signature=sig-55aa&x=1"';
    const verifyCommand = 'echo "checking https://ops:Verify-pw-1@status.example/health"; exit 4';
    const err = await runRollbackCommand({ command, verifyCommand, target: 'app:v1', from: 'app:v2', timeoutSeconds: 20, dryRun: false, cwd, baseEnv: { ...process.env } }, log).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const all = log.lines.join('\n');
    for (const secret of ['Hunter2-db-pw', 'Query-pw-9', 'sig-55aa', 'Verify-pw-1']) expect(all).not.toContain(secret);
    expect(all).toContain('DATABASE=postgres://db.example:5432/app?password=***');
    expect(all).toContain('checking https://status.example/health');
  });
});
