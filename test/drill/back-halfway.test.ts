// A drill whose way back stops halfway: the platform took the request, then the wait ran out. The
// platform may still finish it, so the drill must try to put staging back and say plainly what a
// person has to check, never leave staging on another deployment without a word.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { runDrill, type DrillRequest } from '../../src/pipeline/drill.js';
import { parsePlanFile } from '../../src/pipeline/plan-file.js';
import { resolvePlan } from '../../src/pipeline/plan-inputs.js';
import { startDrillWorld, TEAM_ID, TOKEN, type DrillWorld } from './world.js';

let w: DrillWorld;
let dir: string;
beforeEach(async () => {
  w = await startDrillWorld();
  dir = await mkdtemp(join(tmpdir(), 'rk-drill-halfway-'));
});
afterEach(async () => {
  await w.close();
  await rm(dir, { recursive: true, force: true });
});

/** The staging plan, with a one-second wait for Vercel's alias job. */
async function request(): Promise<DrillRequest> {
  const text = [
    'environment: staging',
    'components:',
    `  web: { provider: vercel, project: shop-staging, team: ${TEAM_ID}, api-url: "${w.vercel.url}", timeout-seconds: 1 }`,
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
  };
}

const rows = (record: { timeline: { phase: string; component?: string; status: string }[] }) => record.timeline.map((e) => `${e.phase}${e.component ? `:${e.component}` : ''}=${e.status}`);

describe('runDrill when the way back stops halfway', () => {
  it('tries to put staging back and tells a person to check it when Vercel took the rollback but did not finish it in time', async () => {
    // Vercel accepted the instant rollback; its alias job is still running when the wait ends.
    w.project.job.outcome = 'stuck';
    const record = await runDrill(await request(), {}, memoryLog());
    expect(record.status).toBe('failed');
    expect(record.failedPhase).toBe('back');
    expect(w.vercel.requestsTo(/^POST /).map((r) => r.path)[0]).toContain(`/rollback/${w.previous.uid}`);
    // The drill tried to put staging back, and, since the job may still finish, says what to check.
    expect(rows(record).filter((r) => r.startsWith('forward:web='))).toHaveLength(1);
    expect(record.nextSteps.join('\n')).toMatch(new RegExp(`^web's way back stopped halfway .*Check which deployment staging serves; if it is not ${w.current.uid}, promote ${w.current.uid} back by hand\\.$`, 'm'));
  });

  it('says staging still serves the original, and asks a person to check it, when the answer to the rollback request was lost', async () => {
    // The request took effect (Vercel queued the alias job) but its answer never came back, and the
    // job does not finish while the drill looks (with a finishing job the outcome would hang on timing).
    w.vercel.fault(/^POST \/v\d+\/projects\/[^/]+\/rollback\//, { dropAfterHandling: true });
    w.project.job.outcome = 'stuck';
    const record = await runDrill(await request(), {}, memoryLog());
    expect(record.status).toBe('failed');
    expect(record.failedPhase).toBe('back');
    const forward = record.timeline.find((e) => e.phase === 'forward' && e.component === 'web');
    expect(forward).toMatchObject({ status: 'nothing-to-do', detail: `staging still serves ${w.current.uid}: nothing to put back` });
    expect(record.components[0]).toMatchObject({ back: 'failed', forward: 'already-current' });
    expect(record.nextSteps.join('\n')).toContain(`staging still served ${w.current.uid} when the drill looked again. Check which deployment staging serves`);
    // Nothing was verified forward: nothing was moved forward.
    expect(rows(record)).toContain('verify-forward=skipped');
  });
});
