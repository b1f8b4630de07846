// A drill that finds the way back broken: it fails, says why, and leaves staging as it found it.
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../helpers/leak-scan.js';
import type { ActionRun } from '../helpers/run-action.js';
import { DB_PASSWORD, drill, GITHUB_TOKEN, startDrillWorld, TOKEN, writeDrillPlan, type DrillWorld } from './world.js';

const phases = (run: ActionRun) => (JSON.parse(run.outputs.timeline ?? '[]') as { phase: string; component?: string; status: string }[]).map((r) => `${r.phase}${r.component ? `:${r.component}` : ''}=${r.status}`);

let w: DrillWorld;
afterEach(async () => {
  await w.close();
});

describe('rollback drill: the way back is broken', () => {
  it('fails readiness when no earlier deployment may serve production, and changes nothing', async () => {
    w = await startDrillWorld({ noEligible: true });
    await writeDrillPlan(w);
    const run = await drill(w);
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('failed');
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/^Rollback drill failed in readiness: The way back is broken: web target: No earlier production deployment of project shop-staging can take over/);
    expect(phases(run)[0]).toBe('readiness=failed');
    expect(w.vercel.requestsTo(/^POST /)).toEqual([]);
    await expectNoLeaks(run, [TOKEN, GITHUB_TOKEN, DB_PASSWORD], [w.workspace]);
  });

  it('fails when the previous deployment does not pass the checks, and still rolls staging forward and verifies it', async () => {
    w = await startDrillWorld({ unhealthy: 'previous' });
    await writeDrillPlan(w);
    const run = await drill(w);
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe('failed');
    expect(run.outputs['failed-phase']).toBe('verify-back');
    expect(run.errors[0]).toMatch(/^Rollback drill failed in verify-back: the previous deployment does not pass the smoke checks/);
    expect(phases(run)).toEqual(['readiness=ok', 'snapshot=ok', 'back:web=ok', 'verify-back=failed', 'forward:web=ok', 'verify-forward=ok', 'report=ok']);
    expect(w.vercel.production(w.project)?.uid).toBe(w.current.uid);
    expect(w.served).toEqual([w.previous.uid, w.current.uid]);
    await expectNoLeaks(run, [TOKEN, GITHUB_TOKEN, DB_PASSWORD], [w.workspace]);
  });

  it('fails in forward when Vercel queues the promotion back behind a rolling release, saying staging is left on the previous deployment', async () => {
    w = await startDrillWorld();
    await writeDrillPlan(w);
    w.project.rollingRelease = true;
    const run = await drill(w);
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ status: 'failed', 'failed-phase': 'forward' });
    expect(run.errors[0]).toMatch(/queued the promotion .* rolling release.*not done until production serves/);
    expect(phases(run)).toEqual(expect.arrayContaining(['back:web=ok', 'forward:web=failed']));
    expect(w.vercel.production(w.project)?.uid).toBe(w.previous.uid);
    // The roll-forward did not happen: the way back's freeze stands, and the warning says so.
    expect(w.project.autoAssignCustomDomains).toBe(false);
    expect(run.log).toMatch(/::warning::Vercel has switched off automatic domain assignment for shop-staging/);
    await expectNoLeaks(run, [TOKEN, GITHUB_TOKEN, DB_PASSWORD], [w.workspace]);
  });
});
