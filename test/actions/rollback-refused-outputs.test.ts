// The root action refused before any phase ran (a bad input, a bad plan file) still writes status
// and failed-phase, as GitHub runs it: rollback.yml's jobs and a step with if: failure() branch on
// them, and an empty status reads as "nothing happened" rather than "failed".
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, runAction } from '../helpers/run-action.js';
import { tempDir } from '../helpers/temp-dir.js';

const BASE = { reason: 'checkout 500s', provider: 'command', command: 'echo rolled back', 'incident-issue': 'false' };

describe('root action: refused inputs still say failed, and where', () => {
  it.each([
    ['scope everything', { scope: 'everything' }],
    ['format flyway', { scope: 'full', format: 'flyway', 'database-url': 'postgres://postgres@127.0.0.1:5432/rk_none', steps: '1' }],
    ['db-method pitr', { scope: 'full', 'db-method': 'pitr', 'database-url': 'postgres://postgres@127.0.0.1:5432/rk_none', steps: '1' }],
    ['severity loud', { severity: 'loud' }],
    ['mode sideways', { mode: 'sideways' }],
  ])('%s: status failed, failed-phase plan, one error', async (_what, extra) => {
    const run = await runAction('rollback', { ...BASE, ...extra }, { cwd: await tempDir('rk-refused-') });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'plan' });
  });

  it('a plan file with a mistake: the same', async () => {
    const ws = await tempDir('rk-refused-plan-');
    await writeFile(join(ws, 'rollback-kit.yml'), 'components:\n  web: { provider: heroku }\n');
    const run = await runAction('rollback', { reason: 'checkout 500s' }, { cwd: ws });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'plan' });
  });

  it('no reason outside mode drill: said so, and how to give one; reason is not required in action.yml, which mode drill leaves out', async () => {
    const { reason: _reason, ...noReason } = BASE;
    const ws = await tempDir('rk-refused-reason-');
    const run = await runAction('rollback', { ...noReason, command: 'touch ran.txt' }, { cwd: ws });
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/^Input reason is required for a rollback: nothing was changed\. Set reason to why it runs .*mode: drill/)]);
    expect(run.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'plan' });
    await expect(readFile(join(ws, 'ran.txt'))).rejects.toThrow();
    const yml = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, { required?: boolean }> };
    expect(yml.inputs.reason!.required).toBe(false);
  });

  it('refused in a later job of a split rollback, whose earlier job rolled the app back: this job changed nothing, not "nothing was changed"', async () => {
    const { reason: _reason, ...noReason } = BASE;
    const appRolledBack = [{ phase: 'app', component: 'web', started: '2026-12-03T10:00:00.000Z', 'duration-ms': 900, 'budget-ms': 60000, status: 'ok', detail: 'dpl_bad → dpl_good' }];
    const run = await runAction('rollback', { ...noReason, scope: 'verify', timeline: JSON.stringify(appRolledBack) }, { cwd: await tempDir('rk-refused-later-') });
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/^Input reason is required for a rollback: this job changed nothing\. Set reason/)]);
    expect(run.summary).toContain('The rollback stopped before it started. This job changed nothing.');
    expect(run.summary).not.toMatch(/nothing was changed/i);
  });

  it('mode drill, refused before it starts: failed in its first phase, readiness', async () => {
    const run = await runAction('rollback', { ...BASE, mode: 'drill', scope: 'everything', severity: 'loud' }, { cwd: await tempDir('rk-refused-drill-') });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'readiness' });
  });
});
