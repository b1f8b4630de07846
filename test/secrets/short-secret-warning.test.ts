// A declared secret shorter than 6 characters is kept out of rollback-kit's output but not masked
// job-wide, and said so once. The warning names where it came from, and a part of a longer secret
// (a webhook URL's short path) is no secret the user gave: it is not warned about.
import { describe, expect, it } from 'vitest';
import { inputsFrom } from '../../src/core/action.js';
import { createLog } from '../../src/core/log.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { chatSender } from '../../src/report/notify.js';

/** A log on a sink that masks, as the runner's does. */
function runnerLog() {
  const warnings: string[] = [];
  const masked: string[] = [];
  const log = createLog({ info: () => undefined, debug: () => undefined, warning: (m) => warnings.push(m), mask: (v) => masked.push(v) });
  return { log, warnings, masked };
}

describe('the warning about a short secret', () => {
  it('a webhook URL with a short path: the whole URL is the secret, no warning', () => {
    const { log, warnings, masked } = runnerLog();
    chatSender('http://127.0.0.1:9/hook', log);
    expect(warnings).toEqual([]);
    expect(masked).toContain('http://127.0.0.1:9/hook');
    expect(masked).not.toContain('/hook');
  });

  it('names the input a short secret came from', () => {
    const { log, warnings } = runnerLog();
    inputsFrom((name) => (name === 'bypass-token' ? 'abc' : '')).secret('bypass-token', log);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^A secret given to this step \(input bypass-token\) is shorter than 6 characters/);
    expect(log.redact('token abc')).toBe('token ***');
  });

  it('names the connection string for a short password in it, once', () => {
    const { log, warnings } = runnerLog();
    parseConnectionString('postgres://app:pw@db.internal:5432/shop', log);
    parseConnectionString('postgres://app:pw@db.internal:5432/shop', log);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('(the user name or password in the connection string)');
  });
});
