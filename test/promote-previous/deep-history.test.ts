// promote-previous (vercel) with 10,000 production deployments, through the bundle: the last good
// one is found however deep it is, the search is bounded by timeout-seconds rather than a page
// count, and when nothing is eligible the error says what was looked at and why each kind was skipped.
import { afterEach, describe, expect, it } from 'vitest';
import { runAction } from '../helpers/run-action.js';
import { startFakeVercel, type FakeDeployment, type FakeProject, type FakeVercel } from '../../src/sandbox/vercel-api.js';

const TOKEN = 'vercel_tok_deep_history_Qw3Er5Ty7';
let vercel: FakeVercel | undefined;
afterEach(async () => {
  await vercel?.close();
  vercel = undefined;
});

/** `older` deployments before production: the first `good` of them fit, every later one is STAGED or same-commit. */
async function history(opts: { good: boolean; staged: number; sameCommit?: number }): Promise<{ project: FakeProject; good?: FakeDeployment; bad: FakeDeployment }> {
  vercel = await startFakeVercel();
  vercel.addTeam('team_deep', 'deep');
  vercel.addToken(TOKEN, 'user_deep', ['team_deep']);
  const project = vercel.addProject({ name: 'shop', owner: 'team_deep' });
  const good = opts.good ? vercel.addDeployment(project) : undefined;
  for (let i = 0; i < opts.staged; i++) vercel.addDeployment(project, { substate: 'STAGED' });
  const sha = 'c'.repeat(40);
  for (let i = 0; i < (opts.sameCommit ?? 0); i++) vercel.addDeployment(project, { sha });
  const bad = vercel.addDeployment(project, { sha, production: true });
  return { project, good, bad };
}

const inputs = (extra: Record<string, string> = {}) => ({ 'vercel-token': TOKEN, project: 'shop', team: 'team_deep', 'api-url': vercel!.url, ...extra });

describe('promote-previous (vercel), 10,000 deployments', () => {
  it('finds the last good deployment below 9,998 that cannot take over, and logs a count instead of every one', async () => {
    const { project, good } = await history({ good: true, staged: 9_995, sameCommit: 3 });
    const r = await runAction('promote-previous', inputs());
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(vercel!.production(project)?.uid).toBe(good!.uid);
    expect(r.outputs['to-deployment-id']).toBe(good!.uid);
    expect(r.log).toContain('and 9,978 more skipped (9,995 never served production (STAGED), 3 built from the same commit as production)');
    expect(r.log.split('\n').filter((l) => l.includes('  skipped '))).toHaveLength(20);
  });

  it('says what it looked at when nothing is eligible: how many, how many pages, and each kind skipped', async () => {
    const { project, bad } = await history({ good: false, staged: 9_997, sameCommit: 2 });
    const r = await runAction('promote-previous', inputs());
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /^No earlier production deployment of project shop can take over from dpl_\w+: checked 9,999 older production deployment\(s\) on 100 page\(s\) of the list, all there are; .* Passed over: 9,997 never served production \(STAGED\), 2 built from the same commit as production\. .*Name the deployment to return to in target/,
    );
    expect(r.errors[0]).not.toContain('none READY');
    expect(vercel!.production(project)?.uid).toBe(bad.uid);
  });

  it('stops looking when timeout-seconds is spent, and says the list goes on', async () => {
    const { project, bad } = await history({ good: false, staged: 9_999 });
    vercel!.latencyMs = 100;
    const r = await runAction('promote-previous', inputs({ 'timeout-seconds': '1' }));
    expect(r.code).toBe(1);
    const asked = vercel!.requests.filter((q) => q.path === '/v6/deployments').length;
    expect(asked).toBeGreaterThan(0);
    expect(asked).toBeLessThan(100);
    // Every page asked for was read, but the last one when the deadline cut it short on its way.
    const read = Number(/ on (\d+) page\(s\) of the list read in 1 s/.exec(r.errors[0] ?? '')?.[1]);
    expect([asked, asked - 1]).toContain(read);
    expect(r.errors[0]).toMatch(/checked [\d,]+ older production deployment\(s\) on \d+ page\(s\) of the list read in 1 s \(timeout-seconds\) before the time ran out, and the list goes on/);
    expect(r.errors[0]).toContain('Raise timeout-seconds to look further back');
    expect(vercel!.production(project)?.uid).toBe(bad.uid);
  });

  it('a commit SHA target searched past timeout-seconds says the list went on, not that no such build exists', async () => {
    const { project, bad } = await history({ good: false, staged: 9_999 });
    vercel!.latencyMs = 100;
    const r = await runAction('promote-previous', inputs({ target: 'f'.repeat(40), 'timeout-seconds': '1' }));
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/^No production deployment of project shop built from commit f{40} was found in \d+ page\(s\) of the list read in 1 s \(timeout-seconds\), and the list goes on\. Raise timeout-seconds/);
    expect(vercel!.production(project)?.uid).toBe(bad.uid);
  });
});
