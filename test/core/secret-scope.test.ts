// A secret of the environment a step inherits but was not given is hidden from our output only;
// one the step reads is asked of the runner's mask too, even when it was registered the first way.
import { describe, expect, it } from 'vitest';
import { createLog, ownOutputOnly, type LogSink } from '../../src/core/log.js';
import { declareEnvironmentSecrets } from '../../src/core/secret-input.js';
import { registerConnectionSecrets } from '../../src/core/url-secrets.js';

function sink() {
  const out = { lines: [] as string[], warnings: [] as string[], masks: [] as string[] };
  const s: LogSink = { info: (m) => out.lines.push(m), warning: (m) => out.warnings.push(m), debug: () => {}, mask: (v) => out.masks.push(v) };
  return { s, out };
}

describe('secret scopes', () => {
  it("DATABASE_URL's password in a step that never connects: hidden from our output, no runner mask, no warning", () => {
    const { s, out } = sink();
    const log = createLog(s);
    declareEnvironmentSecrets({ DATABASE_URL: 'postgres://app:postgres@db.example.invalid/app' }, log);
    log.info('pw=postgres');
    expect(out.lines).toEqual(['pw=***']);
    // "postgres" masked job-wide would hide the word in every later step; the whole URL still is.
    expect(out.masks).not.toContain('postgres');
    expect(out.masks).toContain('postgres://app:postgres@db.example.invalid/app');
    expect(out.warnings).toEqual([]);
  });

  it('a short password there gets no warning: the step was not given it', () => {
    const { s, out } = sink();
    declareEnvironmentSecrets({ DATABASE_URL: 'postgres://app:test@db.example.invalid/app' }, createLog(s));
    expect(out.warnings).toEqual([]);
  });

  it('registered for our output first, then read by the step: the runner is asked to mask it then', () => {
    const { s, out } = sink();
    const log = createLog(s);
    const url = 'postgres://app:Kq8-strong-pass@db.example.invalid/app';
    registerConnectionSecrets(url, ownOutputOnly(log));
    expect(out.masks).not.toContain('Kq8-strong-pass');
    registerConnectionSecrets(url, log);
    expect(out.masks).toContain('Kq8-strong-pass');
    // Each form once.
    expect(out.masks.filter((m) => m === 'Kq8-strong-pass')).toHaveLength(1);
  });
});
