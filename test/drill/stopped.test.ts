// A drill stopped (Ctrl-C, a cancelled job) at a given phase: it says it was stopped after that
// phase and where staging stands, and draws no failure of the way back from the phases the stop
// prevented (smoke checks that "could not run", a way back "stopped halfway" that was never sent).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { stopReason } from '../../src/core/stop-signals.js';
import { runDrill, type DrillPhase, type DrillRequest } from '../../src/pipeline/drill.js';
import { parsePlanFile } from '../../src/pipeline/plan-file.js';
import { resolvePlan } from '../../src/pipeline/plan-inputs.js';
import type { TimelineEntry } from '../../src/pipeline/record.js';
import { drillSummaryMarkdown } from '../../src/report/drill-summary.js';
import { startDrillWorld, TEAM_ID, TOKEN, type DrillWorld } from './world.js';

let w: DrillWorld;
let dir: string;
beforeEach(async () => {
  w = await startDrillWorld();
  dir = await mkdtemp(join(tmpdir(), 'rk-drill-stopped-'));
});
afterEach(async () => {
  await w.close();
  await rm(dir, { recursive: true, force: true });
});

async function request(signal: AbortSignal): Promise<DrillRequest> {
  const text = [
    'environment: staging',
    'components:',
    `  web: { provider: vercel, project: shop-staging, team: ${TEAM_ID}, api-url: "${w.vercel.url}" }`,
    'verify:',
    `  base-url: ${w.app.url}`,
    '  checks: "- {name: health, url: /api/health, critical: true}"',
    '  attempts: 1',
    '  interval-seconds: 0',
    '',
  ].join('\n');
  await writeFile(join(w.workspace, 'rollback-kit.yml'), text);
  return {
    plan: resolvePlan(parsePlanFile(text, 'rollback-kit.yml'), {}, { hasDatabaseUrl: false }),
    reason: 'drill',
    dryRun: false,
    secrets: { vercelToken: TOKEN },
    database: undefined,
    workspace: w.workspace,
    snapshotDir: join(dir, 'snapshots'),
    github: { repository: 'acme/shop', apiUrl: 'http://127.0.0.1:9' },
    commandEnv: {},
    vercelPollIntervalMs: 10,
    signal,
  };
}

/** Runs the drill, stopped by SIGINT the moment `phase` ends. */
async function stoppedAfter(phase: DrillPhase) {
  const stop = new AbortController();
  const finished = (e: TimelineEntry<DrillPhase>) => {
    if (e.phase === phase) stop.abort(stopReason('SIGINT'));
  };
  return runDrill(await request(stop.signal), { progress: { started: () => undefined, finished } }, memoryLog());
}

describe('runDrill stopped', () => {
  it('after back: says so and that staging is left on the previous deployment, not that the checks could not run', async () => {
    const record = await stoppedAfter('back');
    expect(record.stopped).toEqual({ by: 'SIGINT', after: 'back' });
    expect(record.failures).toEqual(['The drill was stopped (SIGINT) after back: verify-back, forward, verify-forward did not run, so it says nothing about them.']);
    const steps = record.nextSteps.join('\n');
    expect(steps).not.toMatch(/could not run|stopped halfway|\(stopped\)/);
    expect(steps).toContain(`web is left on ${w.previous.uid}`);
    expect(steps).toContain(`promote ${w.current.uid} back by hand`);
    expect(record.timeline.find((e) => e.phase === 'verify-back')).toMatchObject({ status: 'skipped', detail: 'not run: the drill was stopped (SIGINT)' });
    const md = drillSummaryMarkdown(record, memoryLog());
    expect(md).toContain('stopped (SIGINT) after back');
    expect(md).not.toContain('Why it failed');
  });

  it('after readiness: nothing was sent, so no way back "stopped halfway" and nothing to promote by hand', async () => {
    const record = await stoppedAfter('readiness');
    expect(record.stopped).toEqual({ by: 'SIGINT', after: 'readiness' });
    const said = [...record.failures, ...record.nextSteps].join('\n');
    expect(said).not.toMatch(/halfway|by hand|could not run/);
    expect(said).toContain('Nothing was changed on staging');
    expect(w.vercel.requestsTo(/^POST /)).toHaveLength(0);
  });
});
