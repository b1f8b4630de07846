// A drill stopped (Ctrl-C, a cancelled job) at a given phase: it says it was stopped after that
// phase and where staging stands, and draws no failure of the way back from the phases the stop
// prevented (smoke checks that "could not run", a way back "stopped halfway" that was never sent).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { stopReason } from '../../src/core/stop-signals.js';
import { BROKEN_WAY_BACK, runDrill, trendRow, wayBackOutput, wayBackTimed, type DrillPhase, type DrillRequest } from '../../src/pipeline/drill.js';
import { parsePlanFile } from '../../src/pipeline/plan-file.js';
import { resolvePlan } from '../../src/pipeline/plan-inputs.js';
import type { TimelineEntry } from '../../src/pipeline/record.js';
import { drillFailure, drillSummaryMarkdown } from '../../src/report/drill-summary.js';
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

async function request(signal: AbortSignal, webOptions = ''): Promise<DrillRequest> {
  const text = [
    'environment: staging',
    'components:',
    `  web: { provider: vercel, project: shop-staging, team: ${TEAM_ID}, api-url: "${w.vercel.url}"${webOptions} }`,
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
async function stoppedAfter(phase: DrillPhase, webOptions = '') {
  const stop = new AbortController();
  const finished = (e: TimelineEntry<DrillPhase>) => {
    if (e.phase === phase) stop.abort(stopReason('SIGINT'));
  };
  return runDrill(await request(stop.signal, webOptions), { progress: { started: () => undefined, finished } }, memoryLog());
}

/** Runs the drill, stopped by SIGINT the moment `phase` starts. */
async function stoppedAt(phase: DrillPhase, webOptions = '') {
  const stop = new AbortController();
  const started = (p: DrillPhase) => {
    if (p === phase) stop.abort(stopReason('SIGINT'));
  };
  return runDrill(await request(stop.signal, webOptions), { progress: { started, finished: () => undefined } }, memoryLog());
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
    // The action's error line says stopped, never failed, and its hint where staging stands.
    const { message, hint } = drillFailure(record);
    expect(message).toBe('Rollback drill stopped: the drill was stopped (SIGINT) after back: verify-back, forward, verify-forward did not run, so it says nothing about them.');
    expect(hint).toContain(`web is left on ${w.previous.uid}`);
    // Stopped before verify-back ended: the way back was not timed to its end, so way-back-ms is empty.
    expect(wayBackOutput(record)).toBe('');
  });

  it('after verify-back: the way back was timed to its end, so way-back-ms and the trend give it', async () => {
    const record = await stoppedAfter('verify-back');
    expect(record.stopped).toEqual({ by: 'SIGINT', after: 'verify-back' });
    expect(record.wayBackMs).toBeGreaterThan(0);
    expect(wayBackOutput(record)).toBe(record.wayBackMs);
    expect(drillFailure(record).message).toMatch(/^Rollback drill stopped: the drill was stopped \(SIGINT\) after verify-back: /);
    const md = drillSummaryMarkdown(record, memoryLog());
    expect(md).toMatch(/\| ⏹️ stopped \(SIGINT\) after verify-back \| \d[^|]* \/ [^|]+ \| — \| — \|/);
  });

  it('after readiness: nothing was sent, so no way back "stopped halfway" and nothing to promote by hand', async () => {
    const record = await stoppedAfter('readiness');
    expect(record.stopped).toEqual({ by: 'SIGINT', after: 'readiness' });
    const said = [...record.failures, ...record.nextSteps].join('\n');
    expect(said).not.toMatch(/halfway|by hand|could not run/);
    expect(said).toContain('Nothing was changed on staging');
    expect(w.vercel.requestsTo(/^POST /)).toHaveLength(0);
  });

  it('after readiness failed on its own: says that failure first, then the stop, and that the way back was not tried', async () => {
    await w.close();
    w = await startDrillWorld({ noEligible: true });
    const record = await stoppedAfter('readiness');
    expect(record.stopped).toEqual({ by: 'SIGINT', after: 'readiness' });
    expect(record.failedPhase).toBe('readiness');
    expect(record.failures).toHaveLength(2);
    expect(record.failures[0]).toContain(`${BROKEN_WAY_BACK}web target: No earlier production deployment of project shop-staging can take over`);
    expect(record.failures[1]).toBe('The drill was stopped (SIGINT) after readiness: snapshot, back, verify-back, forward, verify-forward did not run, so it says nothing about them.');
    expect(record.nextSteps[0]).toBe('Nothing was changed. Fix what the readiness checks say: in an incident, this rollback would have failed the same way.');
    expect(trendRow(record).untried).toBe(true);
    expect(w.vercel.requestsTo(/^POST /)).toHaveLength(0);
    // Stopped, and what it found before the stop is said in the same line.
    expect(drillFailure(record).message).toMatch(/^Rollback drill stopped: the drill was stopped \(SIGINT\) after readiness: .* Before the stop it found: The way back is broken: web target: /);
    expect(wayBackOutput(record)).toBe('');
    const md = drillSummaryMarkdown(record, memoryLog());
    expect(md).toContain('web target: No earlier production deployment');
  });

  it('during readiness, cutting a check short: the check is stopped, not failed, and says only the stop, never that the way back is broken', async () => {
    const record = await stoppedAt('readiness');
    // The target check's request was aborted by the stop: no finding either way.
    expect(record.readiness.find((r) => r.check === 'target')?.status).toBe('stopped');
    expect(record.readiness.some((r) => r.status === 'failed')).toBe(false);
    expect(record.stopped).toEqual({ by: 'SIGINT', after: 'the start' });
    expect(record.failures).toEqual(['The drill was stopped (SIGINT) after the start: snapshot, back, verify-back, forward, verify-forward did not run, so it says nothing about them.']);
    expect(record.nextSteps.join('\n')).not.toContain('Fix what the readiness checks say');
    expect(w.vercel.requestsTo(/^POST /)).toHaveLength(0);
    // The phase row is the stop's: its part of a time is no timing, and counts in no total.
    const row = record.timeline.find((e) => e.phase === 'readiness')!;
    expect(row).toMatchObject({ status: 'failed', stopped: true });
    expect(row.detail).toContain('1 of 2 checks stopped');
    expect(record.wayBackMs).toBe(0);
    const md = drillSummaryMarkdown(record, memoryLog());
    expect(md).toContain('- ⏹️ web target: ');
    expect(md).not.toContain('❌');
    expect(md).toMatch(/\| readiness \| {2}\| — \/ [^|]+ \| ⏹️ stopped \|/);
    // The trend shows it as stopped, with no time: neither a failure nor a pass.
    const trend = trendRow(record);
    expect(trend.stopped).toEqual({ by: 'SIGINT', after: 'the start' });
    expect(wayBackTimed(trend)).toBe(false);
    expect(md).toMatch(/\| ⏹️ stopped \(SIGINT\) after the start \| — \/ [^|]+ \| — \| — \|/);
  });

  it('during readiness, past its budget: the stopped phase counts in no budget, so the stop is the only failure', async () => {
    const stop = new AbortController();
    // The clock jumps ten minutes as readiness starts: its row, cut by the stop, took far past its budget.
    let jump = 0;
    const started = (p: DrillPhase) => {
      if (p !== 'readiness') return;
      stop.abort(stopReason('SIGINT'));
      jump = 10 * 60_000;
    };
    const record = await runDrill(await request(stop.signal), { progress: { started, finished: () => undefined }, now: () => Date.now() + jump }, memoryLog());
    const row = record.timeline.find((e) => e.phase === 'readiness')!;
    // The test means something only if the cut phase did run past its budget.
    expect(row['duration-ms']).toBeGreaterThan(row['budget-ms']);
    expect(row.stopped).toBe(true);
    expect(record.failures).toEqual(['The drill was stopped (SIGINT) after the start: snapshot, back, verify-back, forward, verify-forward did not run, so it says nothing about them.']);
    expect(record.nextSteps.join('\n')).not.toContain('Over budget');
    expect(drillSummaryMarkdown(record, memoryLog())).not.toContain('over budget');
  });

  it('during verify-back: that row is stopped with no time, the way back is not timed, and the roll-forward is not said', async () => {
    const record = await stoppedAt('verify-back');
    expect(record.stopped).toEqual({ by: 'SIGINT', after: 'back' });
    const row = record.timeline.find((e) => e.phase === 'verify-back')!;
    expect(row).toMatchObject({ status: 'failed', stopped: true });
    const back = record.timeline.find((e) => e.phase === 'back')!;
    expect(back.stopped).toBeUndefined();
    // Only the rows that ran to their end count: readiness and back.
    const counted = record.timeline.filter((e) => (e.phase === 'readiness' || e.phase === 'back') && !e.stopped).reduce((s, e) => s + e['duration-ms'], 0);
    expect(record.wayBackMs).toBe(counted);
    expect(wayBackTimed(trendRow(record))).toBe(false);
    const md = drillSummaryMarkdown(record, memoryLog());
    expect(md).toMatch(/\| verify-back \| {2}\| — \/ [^|]+ \| ⏹️ stopped \|/);
    expect(md).toMatch(/\| ⏹️ stopped \(SIGINT\) after back \| — \/ [^|]+ \| — \| — \|/);
  });

  it('after a way back that failed on its own, while putting staging back: names back as the last phase that ran, and says its failure', async () => {
    // Vercel takes the rollback; its alias job is still running when the one-second wait ends.
    w.project.job.outcome = 'stuck';
    const record = await stoppedAt('forward', ', timeout-seconds: 1');
    expect(record.stopped).toEqual({ by: 'SIGINT', after: 'back' });
    expect(record.failedPhase).toBe('back');
    expect(record.failures).toHaveLength(2);
    expect(record.failures[0]).toMatch(/^web did not roll back: /);
    expect(record.failures[1]).toBe('The drill was stopped (SIGINT) after back: verify-forward did not run, so it says nothing about them.');
    expect(drillSummaryMarkdown(record, memoryLog())).toContain('stopped (SIGINT) after back');
  });
});
