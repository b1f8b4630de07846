// The incident record of a stopped run (the sandbox's kept incident.md, the incident issue) agrees
// with itself and with the exit: a run stopped before its smoke checks is not "Rollback complete",
// and a component whose rollback the stop cut short is not "now on" its target.
import { describe, expect, it } from 'vitest';
import { incidentBody } from '../../src/report/incident.js';
import type { RollbackRecord } from '../../src/pipeline/record.js';
import { fullRecord } from './records.js';

/** fullRecord stopped (SIGINT) after its database phase: environment and verify skipped for the stop. */
function stoppedBeforeVerify(): RollbackRecord {
  const r = fullRecord();
  r.timeline = r.timeline.filter((e) => e.phase !== 'verify' && e.phase !== 'environment');
  r.timeline.push({ ...r.timeline[0]!, phase: 'verify', status: 'skipped', detail: 'the run was stopped (SIGINT), so production was not verified' });
  delete r.verify;
  return r;
}

describe('incidentBody of a stopped run', () => {
  it('does not say the rollback completed when the stop came before its checks', () => {
    const body = incidentBody(stoppedBeforeVerify(), 'SIGINT');
    expect(body).not.toContain('Rollback complete');
    expect(body).toContain('Outcome: ⚠️ Rolled back, then stopped (SIGINT) before the smoke checks ran: production runs web dpl\\_good4790 (beefcaf) and api deploy 75 again, with 2 migrations reverted, not verified');
    expect(body).toMatch(/\| Rolled back, then stopped \(SIGINT\) before the smoke checks ran: .*not verified \|/);
  });

  it('still says complete when the stop came after the checks had verified it', () => {
    expect(incidentBody(fullRecord(), 'SIGINT')).toContain('Outcome: ✅ Rollback complete');
  });

  it('names a component stopped before its rollback was sent as not touched, never "now on" its target', () => {
    const r = fullRecord();
    r.status = 'failed';
    r.failedPhase = 'app';
    r.components[0] = { ...r.components[0]!, status: 'failed', stopped: 'not-touched' };
    const body = incidentBody(r, 'SIGINT');
    expect(body).not.toMatch(/web: failed, now on/);
    expect(body).not.toMatch(/web from dpl\\?_bad4812/);
    expect(body).toContain('web: stopped (SIGINT) before its rollback was sent: not touched, still on `dpl_bad4812`');
  });

  it('names a component whose rollback was sent and not confirmed as either, as its app row does', () => {
    const r = fullRecord();
    r.status = 'failed';
    r.failedPhase = 'app';
    r.components[0] = { ...r.components[0]!, status: 'failed', stopped: 'unknown' };
    expect(incidentBody(r, 'SIGINT')).toContain('web: stopped (SIGINT) after its rollback to `dpl_good4790`');
  });
});
