// Every action fails the same way, through its bundle: the job summary gets "### <action>: failed"
// and the redacted error line, the log one `::error::` line, and no form of the secret anywhere.
// Each failure echoes an input that holds the secret, so the line would show it if any channel
// skipped the redactor; the secret has Markdown characters, so escaping it before redacting would
// leave an escaped copy in the summary, which is searched for too.
import { describe, expect, it } from 'vitest';
import { text } from '../../src/report/markdown.js';
import { expectNoLeaks } from '../helpers/leak-scan.js';
import { runAction } from '../helpers/run-action.js';

const PASSWORD = 'pw[x]<y>_z9q-long-secret';
const DATABASE_URL = `postgres://postgres:${encodeURIComponent(PASSWORD)}@127.0.0.1:5432/postgres`;
const SECRET_FORMS = [PASSWORD, encodeURIComponent(PASSWORD), text(PASSWORD)];

const FAILURES: { action: string; inputs: Record<string, string>; says: string }[] = [
  { action: 'snapshot-db', inputs: { 'database-url': DATABASE_URL, format: PASSWORD }, says: 'Input format must be one of' },
  { action: 'restore-db', inputs: { 'database-url': DATABASE_URL, 'snapshot-path': 'pre-deploy.dump', 'retention-days': PASSWORD }, says: 'retention-days' },
  { action: 'run-down-migrations', inputs: { 'database-url': DATABASE_URL, steps: '1', format: PASSWORD }, says: 'Input format must be auto or one of' },
  { action: 'smoke-test', inputs: { 'database-url': DATABASE_URL, checks: '- query: select 1', backoff: PASSWORD }, says: 'Input backoff must be fixed or exponential' },
  { action: 'promote-previous', inputs: { 'vercel-token': PASSWORD, provider: PASSWORD }, says: 'Input provider must be one of' },
  { action: 'rollback', inputs: { 'database-url': DATABASE_URL, reason: 'checkout is down', severity: PASSWORD }, says: 'Input severity must be one of' },
];

describe.each(FAILURES)('$action', ({ action, inputs, says }) => {
  it('a failed step writes its heading and the redacted error line to the job summary, and leaks nothing', async () => {
    const run = await runAction(action, inputs);
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringContaining(says)]);
    // The secret was echoed and redacted: the line is the one a reader sees, minus the secret.
    expect(run.errors[0]).toContain('***');
    const summary = run.summary.split('\n');
    expect(summary.filter((l) => l.startsWith('### '))).toEqual([`### ${action}: failed`]);
    expect(summary).toContain(text(run.errors[0]!));
    await expectNoLeaks(run, SECRET_FORMS);
  });
});

it('outside Actions (no GITHUB_STEP_SUMMARY) the failure is still exactly one error line, and the summary a warning', async () => {
  const run = await runAction('snapshot-db', { 'database-url': DATABASE_URL, format: PASSWORD }, { env: { GITHUB_STEP_SUMMARY: undefined } });
  expect(run.code).toBe(1);
  expect(run.errors).toEqual([expect.stringContaining('Input format must be one of')]);
  expect(run.errors[0]).not.toContain('Unexpected error');
  expect(run.log).toMatch(/^::warning::The job summary could not be written: .*GITHUB_STEP_SUMMARY/m);
  await expectNoLeaks(run, SECRET_FORMS);
});
