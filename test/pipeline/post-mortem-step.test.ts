// The next steps sent people to "fill in the post-mortem" whether or not the run had written the
// report it starts from. The step now names that report (the incident issue, or the sandbox's
// file), and only once the report phase wrote it: no report, a report that failed, no step.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { postMortemStep, runRollback, type RollbackDeps, type RollbackRequest } from '../../src/pipeline/rollback.js';

let workspace: string;
beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'rk-post-mortem-'));
});
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

function request(): RollbackRequest {
  return {
    plan: {
      source: 'inputs',
      environment: 'production',
      budgetMinutes: 15,
      components: [{ name: 'worker', provider: 'command', target: 'worker-v1', apiUrl: '', command: 'true', method: 'rollback', timeoutSeconds: 60 }],
      labels: [],
    },
    scope: ['worker'],
    reason: 'checkout returns 500',
    severity: 'critical',
    dryRun: false,
    earlierTimeline: [],
    secrets: {},
    workspace,
    snapshotDir: workspace,
    github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
    commandEnv: { PATH: process.env.PATH },
  };
}

const mentionsPostMortem = (steps: string[]) => steps.some((s) => /post-mortem/i.test(s));

it('names the report file the run wrote, once, as the last step', async () => {
  const file = join(workspace, 'incident.md');
  const deps: RollbackDeps = {
    report: async () => {
      await writeFile(file, '# Incident Post-Mortem\n');
      return file;
    },
  };
  const record = await runRollback(request(), deps, memoryLog());
  expect(record.status).toBe('rolled-back');
  expect(existsSync(file)).toBe(true);
  expect(record.nextSteps.at(-1)).toBe(postMortemStep(file));
  expect(record.nextSteps.at(-1)).toContain(`Write the post-mortem from the report at ${file}:`);
  expect(record.nextSteps.filter((s) => /post-mortem/i.test(s))).toHaveLength(1);
});

it('says nothing of a post-mortem when no report was written', async () => {
  const none = await runRollback(request(), {}, memoryLog());
  expect(none.status).toBe('rolled-back');
  expect(none.nextSteps.length).toBeGreaterThan(0);
  expect(mentionsPostMortem(none.nextSteps)).toBe(false);

  // The report phase ran and failed to write (GitHub refused): still no step pointing at it.
  const failed = await runRollback(request(), { report: async () => undefined }, memoryLog());
  expect(failed.status).toBe('rolled-back');
  expect(failed.timeline.find((e) => e.phase === 'report')?.status).toBe('warning');
  expect(mentionsPostMortem(failed.nextSteps)).toBe(false);
});
