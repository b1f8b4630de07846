// promote-previous with provider vercel, through the bundle: what `previous` means after earlier
// rollbacks and promotions. Creation order is not serving order: a deployment production was
// rolled back from is still a rollback candidate, and must never be put back.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeVercel, type FakeDeployment, type FakeProject, type FakeVercel } from '../../src/sandbox/vercel-api.js';
import { findSecret, runAction, type ActionRun } from '../helpers/run-action.js';
import { TEAM_ID, TEAM_SLUG, TOKEN } from './fixture.js';

let vercel: FakeVercel | undefined;
afterEach(async () => {
  await vercel?.close();
  vercel = undefined;
});

/** A good, then C bad in production. */
async function world(plan: 'hobby' | 'pro' = 'pro') {
  const v = (vercel = await startFakeVercel());
  v.addTeam(TEAM_ID, TEAM_SLUG, plan);
  v.addToken(TOKEN, 'user_oncall', [TEAM_ID]);
  const project = v.addProject({ name: 'shop', owner: TEAM_ID });
  const older = v.addDeployment(project, { production: true });
  const a = v.addDeployment(project, { production: true });
  const c = v.addDeployment(project, { production: true });
  return { v, project, older, a, c };
}

async function run(v: FakeVercel, extra: Record<string, string> = {}): Promise<ActionRun> {
  const r = await runAction('promote-previous', { 'vercel-token': TOKEN, project: 'shop', team: TEAM_ID, 'api-url': v.url, 'timeout-seconds': '30', ...extra });
  expect(await findSecret(r, TOKEN)).toEqual([]);
  return r;
}

const changes = (v: FakeVercel) => v.requestsTo(/^POST \/v\d+\/projects\/[^/]+\/(rollback|promote)\//).map((q) => `${q.path.split('/')[4]} ${q.path.split('/')[5]}`);
const serving = (v: FakeVercel, p: FakeProject) => v.production(p)?.uid;

/** C rolled back to A, then the fix D (built while assignment was off) promoted: D serves. */
async function rolledBackThenPromoted(plan: 'hobby' | 'pro' = 'pro') {
  const w = await world(plan);
  expect((await run(w.v, { from: w.c.uid })).outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': w.a.uid });
  const d: FakeDeployment = w.v.addDeployment(w.project, { substate: 'STAGED' });
  expect((await run(w.v, { method: 'promote', target: d.uid })).outputs).toMatchObject({ status: 'promoted', 'to-deployment-id': d.uid });
  return { ...w, d };
}

describe('promote-previous (vercel): previous after an earlier rollback', () => {
  it('goes back to what served before the promoted fix, never to the deployment rolled back from', async () => {
    const { v, project, a, c, d } = await rolledBackThenPromoted();
    // D turns out bad too. C is newer than A and still a rollback candidate, but it was rolled back from.
    const r = await run(v, { from: d.uid });
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'from-deployment-id': d.uid, 'to-deployment-id': a.uid });
    expect(serving(v, project)).toBe(a.uid);
    expect(r.log).toContain(`previous: ${a.uid} served production right before ${d.uid}`);
    expect(changes(v)).toEqual([`rollback ${a.uid}`, `promote ${d.uid}`, `rollback ${a.uid}`]);
    expect(changes(v)).not.toContain(`rollback ${c.uid}`);
  });

  it('is what a Hobby plan allows: the deployment that served right before, not the newest older one', async () => {
    const { v, project, a, c, d } = await rolledBackThenPromoted('hobby');
    const r = await run(v, { from: d.uid });
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': a.uid });
    // The stand-in refuses C as Vercel does: it is not the previous production deployment of A.
    const further = await run(v, { target: c.uid, from: a.uid });
    expect(further.code).toBe(1);
    expect(further.errors[0]).toMatch(/because of the plan \(402\)/);
    expect(serving(v, project)).toBe(a.uid);
  });

  it('passes over the deployment production was rolled back from when a newer one went live another way', async () => {
    const w = await world();
    expect((await run(w.v)).outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': w.a.uid });
    // Someone turned automatic assignment back on by hand, and the next push went live.
    w.project.autoAssignCustomDomains = true;
    const e = w.v.addDeployment(w.project, { production: true });
    const r = await run(w.v, { 'dry-run': 'true' });
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ status: 'dry-run', 'from-deployment-id': e.uid, 'to-deployment-id': w.a.uid });
    expect(r.log).toMatch(new RegExp(`skipped ${w.c.uid}.*production was rolled back from it at `));
  });
});

describe('promote-previous (vercel): method promote with target previous', () => {
  it('does not walk one more step back on a re-run, and goes further only when from names the deployment now serving', async () => {
    const { v, project, older, a, c } = await world();
    const first = await run(v, { method: 'promote', reason: 'bad deploy' });
    expect(first.outputs).toMatchObject({ status: 'promoted', 'from-deployment-id': c.uid, 'to-deployment-id': a.uid });
    const second = await run(v, { method: 'promote', reason: 'bad deploy' });
    expect(second.errors).toEqual([]);
    expect(second.outputs).toMatchObject({ status: 'already-current', 'to-deployment-id': a.uid });
    expect(second.log).toContain(`was already moved back by a promotion to ${a.uid} from ${c.uid}`);
    expect(changes(v)).toEqual([`promote ${a.uid}`]);
    // A from naming A says A is bad too: then previous goes on, past C (moved off as bad).
    const third = await run(v, { method: 'promote', from: a.uid });
    expect(third.outputs).toMatchObject({ status: 'promoted', 'from-deployment-id': a.uid, 'to-deployment-id': older.uid });
    expect(serving(v, project)).toBe(older.uid);
  });
});
