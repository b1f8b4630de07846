/**
 * A realistic Vercel account on the fake server: team "acme" owning project "shop" with a long
 * production history (more than one page), and, between the last good deployment and the bad one
 * in production, the deployments `previous` must pass over.
 */
import { startFakeVercel, type FakeDeployment, type FakeProject, type FakeVercel } from '../../src/sandbox/vercel-api.js';

export const TOKEN = 'vercel_tok_Zq8Lr2Wx9Kp4Ns7Tv3Ym';
export const OTHER_TOKEN = 'vercel_tok_belongs_to_someone_else';
export const TEAM_ID = 'team_acme0123456789';
export const TEAM_SLUG = 'acme';

export interface ShopFixture {
  vercel: FakeVercel;
  project: FakeProject;
  /** The deployment `previous` must choose. */
  good: FakeDeployment;
  /** Serving production now. */
  bad: FakeDeployment;
  sameCommit: FakeDeployment;
  staged: FakeDeployment;
  errored: FakeDeployment;
  preview: FakeDeployment;
  building: FakeDeployment;
  /** Older good deployments, oldest first. */
  history: FakeDeployment[];
}

export async function shopFixture(opts: { historySize?: number; plan?: 'hobby' | 'pro'; stagedAfterGood?: number } = {}): Promise<ShopFixture> {
  const vercel = await startFakeVercel();
  vercel.addTeam(TEAM_ID, TEAM_SLUG, opts.plan ?? 'pro');
  vercel.addToken(TOKEN, 'user_oncall', [TEAM_ID]);
  vercel.addToken(OTHER_TOKEN, 'user_stranger', []);
  const project = vercel.addProject({ name: 'shop', owner: TEAM_ID, domains: ['shop.example.com', 'www.shop.example.com'] });
  const history: FakeDeployment[] = [];
  for (let i = 0; i < (opts.historySize ?? 130); i++) history.push(vercel.addDeployment(project));
  const good = vercel.addDeployment(project, { sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678' });
  // Deployments after the good one that must not be chosen. Many staged ones happen after an
  // earlier rollback, when pushes build but are no longer assigned the production domains.
  for (let i = 0; i < (opts.stagedAfterGood ?? 0); i++) vercel.addDeployment(project, { substate: 'STAGED' });
  const errored = vercel.addDeployment(project, { state: 'ERROR' });
  const preview = vercel.addDeployment(project, { target: null, substate: 'STAGED' });
  const staged = vercel.addDeployment(project, { substate: 'STAGED' });
  const sameCommit = vercel.addDeployment(project, { sha: 'badbadbadbadbadbadbadbadbadbadbadbad0001' });
  const bad = vercel.addDeployment(project, { sha: 'badbadbadbadbadbadbadbadbadbadbadbad0001', production: true });
  // Built after the bad one (a fix in progress): newer than production, never a rollback target.
  const building = vercel.addDeployment(project, { state: 'BUILDING', substate: undefined });
  return { vercel, project, good, bad, sameCommit, staged, errored, preview, building, history };
}

/** Inputs for the bundle against the fixture; override per test. */
export function vercelInputs(f: ShopFixture, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { 'vercel-token': TOKEN, project: 'shop', team: TEAM_ID, 'api-url': f.vercel.url, ...extra };
}
