// A `from` that does not name the deployment in production itself: a commit SHA while that deployment
// carries none (a CLI deploy, a deploy hook), or a production domain, which every deployment that
// serves carries as an alias. The first run goes ahead; a re-run of the same rollback (the Re-run
// button, a re-delivered event) must not walk one more step back: production already is where the
// last rollback moved it, and from proved nothing about it.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { startFakeVercel, type FakeVercel } from '../../src/sandbox/vercel-api.js';
import { promoteOnVercel } from '../../src/platforms/vercel/rollback.js';
import { TEAM_ID, TEAM_SLUG, TOKEN } from './fixture.js';

let vercel: FakeVercel | undefined;
afterEach(async () => {
  await vercel?.close();
  vercel = undefined;
});

const BAD_SHA = 'badbadbadbadbadbadbadbadbadbadbadbad0001';

async function world() {
  const v = (vercel = await startFakeVercel());
  v.addTeam(TEAM_ID, TEAM_SLUG, 'pro');
  v.addToken(TOKEN, 'user_oncall', [TEAM_ID]);
  return { v, project: v.addProject({ name: 'shop', owner: TEAM_ID, domains: ['shop.example.com'] }) };
}

describe('promote-previous (vercel): a from that does not name the deployment in production', () => {
  it('a SHA production cannot be compared with: rolls back once, and a re-run with the same from is already-current', async () => {
    const { v, project } = await world();
    // Deployed without git metadata: no commit SHA on any of them.
    const older = v.addDeployment(project, { production: true, sha: '' });
    const good = v.addDeployment(project, { production: true, sha: '' });
    const bad = v.addDeployment(project, { production: true, sha: '' });
    const opts = { token: TOKEN, project: 'shop', team: TEAM_ID, apiUrl: v.url, target: 'previous', from: BAD_SHA, method: 'rollback' as const, timeoutSeconds: 30, dryRun: false, pollIntervalMs: 1 };

    const first = await promoteOnVercel(opts, memoryLog());
    expect(first).toMatchObject({ status: 'rolled-back', from: { id: bad.uid }, to: { id: good.uid } });

    const log = memoryLog();
    const again = await promoteOnVercel(opts, log);
    expect(again).toMatchObject({ status: 'already-current', to: { id: good.uid } });
    expect(v.production(project)?.uid).toBe(good.uid);
    expect(v.production(project)?.uid).not.toBe(older.uid);
    expect(log.lines.join('\n')).toContain('cannot be compared');

    // A from that does name the deployment now serving (by id) still goes further back, as documented.
    const further = await promoteOnVercel({ ...opts, from: good.uid }, memoryLog());
    expect(further).toMatchObject({ status: 'rolled-back', from: { id: good.uid }, to: { id: older.uid } });
  });

  it('a production domain: rolls back once, and a re-run with the same from is already-current', async () => {
    const { v, project } = await world();
    const older = v.addDeployment(project, { production: true });
    const good = v.addDeployment(project, { production: true });
    const bad = v.addDeployment(project, { production: true });
    const opts = { token: TOKEN, project: 'shop', team: TEAM_ID, apiUrl: v.url, target: 'previous', from: 'https://shop.example.com', method: 'rollback' as const, timeoutSeconds: 30, dryRun: false, pollIntervalMs: 1 };
    // Matched through an alias: the pipeline names the incident by the deployment, not the domain.
    expect(await promoteOnVercel(opts, memoryLog())).toMatchObject({ status: 'rolled-back', from: { id: bad.uid }, to: { id: good.uid }, fromFollowsProduction: true });
    expect(await promoteOnVercel(opts, memoryLog())).toMatchObject({ status: 'already-current', to: { id: good.uid }, rolledBackFrom: bad.uid, fromFollowsProduction: true });
    expect(v.production(project)?.uid).toBe(good.uid);
    // The deployment's own URL names it: that still goes further back.
    const further = await promoteOnVercel({ ...opts, from: `https://${good.url}` }, memoryLog());
    expect(further).toMatchObject({ status: 'rolled-back', to: { id: older.uid } });
    expect(further.fromFollowsProduction).toBeUndefined();
  });
});
