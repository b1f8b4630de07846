// The rules behind every channel: which values count as secrets, the forms a URL's secrets take,
// and redaction before cutting.
import { describe, expect, it } from 'vitest';
import { createLog, memoryLog } from '../../src/core/log.js';
import { base64Forms, clip, redactDeep, secretStrength } from '../../src/core/secrets.js';
import { displayUrl, isSensitiveName, registerUrlSecrets, splitCredentials, urlSecrets } from '../../src/core/url-secrets.js';

describe('what counts as a secret', () => {
  it('short values, numbers and common words are weak', () => {
    for (const v of ['true', 'FALSE', 'none', 'off', 'pw', 'admin', '123456789', '3.14']) expect(secretStrength(v), v).toBe('weak');
    for (const v of ['hunter22', 'QtK+9xZ/Tok3n=', 'samesitenone']) expect(secretStrength(v), v).toBe('strong');
    expect(secretStrength('   ')).toBeUndefined();
  });

  it('a guessed weak value is ignored; a declared one is redacted as a whole word and never masked job-wide', () => {
    const masked: string[] = [];
    const warnings: string[] = [];
    const log = createLog({ info: () => {}, warning: (m) => warnings.push(m), debug: () => {}, mask: (v) => masked.push(v) });
    log.secret('true', 'guessed');
    expect(log.redact('passed: true')).toBe('passed: true');
    expect(warnings).toEqual([]);
    log.secret('pw');
    expect(log.redact('admin:pw@host, pwd, "pw"')).toBe('admin:***@host, pwd, "***"');
    expect(masked).toEqual([]);
    expect(warnings).toHaveLength(1);
    log.secret('S3cret value/x');
    expect(masked).toEqual(['S3cret value/x', 'S3cret%20value%2Fx', 'S3cret+value%2Fx', ...base64Forms('S3cret value/x')]);
    expect(log.redact('a=S3cret+value%2Fx b=S3cret%20value%2Fx c=S3cret value/x')).toBe('a=*** b=*** c=***');
  });

  it('where no runner masks (the command line), a weak secret is redacted without a warning about the runner', () => {
    const warnings: string[] = [];
    const log = createLog({ info: () => {}, warning: (m) => warnings.push(m), debug: () => {} });
    log.secret('pw');
    expect(log.redact('admin:pw@host')).toBe('admin:***@host');
    expect(warnings).toEqual([]);
  });
});

describe('which names carry a secret', () => {
  // One list for query parameters and headers: what cloud providers and OAuth name their credentials.
  it.each([
    'sig', 'signature', 'X-Amz-Signature', 'apikey', 'api-key', 'api_key', 'x-api-key', 'auth', 'authorization', 'session', 'password', 'pwd', 'secret',
    'client_secret', 'token', 'access_token', 'refresh_token', 'id_token', 'key', 'code', 'access_key', 'accesskey', 'AWSAccessKeyId', 'x-functions-key',
    'Ocp-Apim-Subscription-Key', 'cookie', 'x-vercel-protection-bypass',
  ])('%s does', (name) => {
    expect(isSensitiveName(name)).toBe(true);
  });
  it.each(['page', 'status', 'keyword', 'monkey', 'zipcode', 'x-vercel-set-bypass-cookie', 'accept', 'content-type'])('%s does not', (name) => {
    expect(isSensitiveName(name)).toBe(false);
  });
  it('a Functions key in ?code= and an access key in ?access_key= are secrets of the URL', () => {
    expect(urlSecrets('https://fn.example/api/health?code=AzFnK3yVeryS3cret&access_key=AKIAFAKEFAKEFAKE').guessed).toEqual(expect.arrayContaining(['AzFnK3yVeryS3cret', 'AKIAFAKEFAKEFAKE']));
  });
});

describe('the secrets inside a URL', () => {
  it('userinfo: user:password and the password, as written and decoded, and as Basic auth', () => {
    const found = urlSecrets('https://admin:p%40ss%2Fw0rd@host.example/health');
    expect(found.declared).toEqual(expect.arrayContaining(['admin:p%40ss%2Fw0rd', 'p%40ss%2Fw0rd', 'p@ss/w0rd', 'admin:p@ss/w0rd', `Basic ${Buffer.from('admin:p@ss/w0rd').toString('base64')}`]));
    expect(found.declared).not.toContain('admin');
    // Without a password, the user name is the credential.
    expect(urlSecrets('https://ghp_abcdef123456@github.com/x').declared).toContain('ghp_abcdef123456');
  });

  it('a user name alone is the credential of an HTTP URL, not of a database URL', () => {
    expect(urlSecrets('https://ghp_tokenAsUser1@example.com/x').declared).toContain('ghp_tokenAsUser1');
    expect(urlSecrets('postgres://rk_reader@127.0.0.1:5432/app').declared).toEqual([]);
    expect(urlSecrets('postgresql://rk_reader:s3cret-pw@127.0.0.1/app').declared).toContain('s3cret-pw');
  });

  it('query and fragment values with sensitive names, as written and decoded both ways', () => {
    const found = urlSecrets('https://x.example/a?token=QtK+9xZ/Tok3n=&x-vercel-protection-bypass=byp4ss-value&x-vercel-set-bypass-cookie=samesitenone&page=2#access_token=frag-token-1');
    expect(found.guessed).toEqual(expect.arrayContaining(['QtK+9xZ/Tok3n=', 'QtK 9xZ/Tok3n=', 'byp4ss-value', 'frag-token-1']));
    expect(found.guessed).not.toContain('samesitenone');
    expect(found.guessed).not.toContain('2');
    const log = memoryLog();
    registerUrlSecrets('https://x.example/a?token=QtK+9xZ/Tok3n=&x-vercel-set-bypass-cookie=true', log);
    expect(log.redact('QtK%2B9xZ%2FTok3n%3D QtK+9xZ%2FTok3n%3D QtK%209xZ%2FTok3n%3D cookie=true')).toBe('*** *** *** cookie=true');
  });

  it('with everyParameter, every query and fragment value is one, named or bare (a webhook URL)', () => {
    const text = 'https://hooks.example/x?v=2&abcBareSecret1&=lonelyValue9&format=json&token=T0k%2Bn#fragSecret8';
    const every = urlSecrets(text, { everyParameter: true }).guessed;
    expect(every).toEqual(expect.arrayContaining(['2', 'abcBareSecret1', 'lonelyValue9', 'json', 'T0k%2Bn', 'T0k+n', 'fragSecret8']));
    expect(every).not.toContain('');
    // By name only, a bare part or a nameless value is nothing.
    expect(urlSecrets(text).guessed).toEqual(['T0k%2Bn', 'T0k+n']);
  });

  it('is split into the URL to request and print, and the Authorization to send', () => {
    expect(splitCredentials('http://admin:p%40ss@127.0.0.1:8080/h?q=1')).toEqual({ url: 'http://127.0.0.1:8080/h?q=1', authorization: `Basic ${Buffer.from('admin:p@ss').toString('base64')}` });
    expect(splitCredentials('http://127.0.0.1/x')).toEqual({ url: 'http://127.0.0.1/x' });
  });

  it('prints a URL it cannot parse without its secrets', () => {
    expect(displayUrl('ftp://u:p4ss@host/x?api_key=abcdefgh&page=2')).toBe('ftp://host/x?api_key=***&page=2');
  });
});

describe('redact, then cut', () => {
  it('clip keeps words whole where it can; redactDeep redacts strings only, before any escaping', () => {
    expect(clip('alpha beta gamma', 12)).toBe('alpha beta…');
    expect(clip('x'.repeat(20), 10)).toBe(`${'x'.repeat(9)}…`);
    const log = memoryLog();
    log.secret('to"ken|<secret>');
    expect(redactDeep({ a: ['to"ken|<secret>'], ok: true, n: 1 }, log.redact)).toEqual({ a: ['***'], ok: true, n: 1 });
    expect(log.excerpt(`${'y'.repeat(10)}to"ken|<secret>`, 15)).toBe(`${'y'.repeat(10)}***`);
  });

  it('redactDeep, the one redaction of every record and report, walks a whole record and keeps a Date whole', () => {
    const log = memoryLog();
    log.secret('s3cr3t-Passw0rd_#&');
    const at = new Date(Date.UTC(2026, 11, 1));
    const record = { status: 'failed', components: [{ error: 'login failed for s3cr3t-Passw0rd_#&', ms: 12, skipped: null }], at };
    const safe = redactDeep(record, log.redact);
    expect(safe).toEqual({ status: 'failed', components: [{ error: 'login failed for ***', ms: 12, skipped: null }], at });
    expect(safe.at).toBe(at);
    expect(record.components[0]!.error).toContain('s3cr3t');
  });
});
