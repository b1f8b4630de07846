// The drill action (the root action with mode: drill, as GitHub runs it) stopped by SIGINT while
// its way back is sent: its error and its summary's heading name the drill, not a rollback, so a
// cancelled drill is never read as a production rollback that was stopped.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runAction } from '../helpers/run-action.js';
import { GITHUB_TOKEN, REPOSITORY, startDrillWorld, TOKEN, writeDrillPlan, type DrillWorld } from './world.js';

let w: DrillWorld;
beforeEach(async () => {
  w = await startDrillWorld();
  await writeDrillPlan(w);
});
afterEach(async () => {
  await w.close();
});

it('stopped by SIGINT while going back: says the drill was stopped, and its summary is the drill\'s', async () => {
  const held = w.vercel.hold(/^POST \/v\d+\/projects\/[^/]+\/(rollback|promote)\//);
  const run = await runAction(
    'rollback',
    { mode: 'drill', 'vercel-token': TOKEN, 'github-token': GITHUB_TOKEN, 'database-url': w.databaseUrl, 'incident-issue': 'false' },
    {
      cwd: w.workspace,
      env: { GITHUB_API_URL: w.issues.url, GITHUB_REPOSITORY: REPOSITORY, GITHUB_WORKSPACE: w.workspace },
      timeoutMs: 170_000,
      whileRunning: async (child) => {
        await held.reached;
        child.kill('SIGINT');
        held.release();
      },
    },
  );
  expect(run.code).toBe(1);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toMatch(/^rollback drill was stopped by SIGINT: /);
  expect(run.summary).not.toMatch(/^### rollback: failed/m);
  expect(run.summary).toMatch(/^### rollback drill: failed/m);
});
