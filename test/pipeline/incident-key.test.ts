// A `from` that is a URL may hold a `,` or an `@` of its own, and a user name and password. The
// incident key joined name@from pairs with `,` and was read back splitting at every `,` and the
// last `@`, and `from` itself was split at every `,` as name=ref pairs: such a URL was taken apart.
import { describe, expect, it } from 'vitest';
import { componentKey, keyFrom, keyParts, keyRef, namesRun, runRef } from '../../src/pipeline/incident-key.js';
import { parsePlanFile } from '../../src/pipeline/plan-file.js';
import { resolvePlan } from '../../src/pipeline/plan-inputs.js';
import { incidentBody, incidentMarker, olderIssueNames } from '../../src/report/incident.js';
import { fullRecord } from '../report/records.js';

const TWO = `components:
  web: { provider: vercel, project: shop }
  api: { provider: command, command: ./deploy.sh }
`;
const ONE = `components:
  web: { provider: vercel, project: shop }
`;

describe('from as the inputs give it', () => {
  it('a URL given as a pair\'s ref keeps its commas, and name=value in its query, to itself', () => {
    const plan = resolvePlan(parsePlanFile(TWO), { from: 'web=https://shop.example.com/a,b?ids=1,2&q=x,y=z,api=v1.5.0' }, { hasDatabaseUrl: false });
    expect(plan.components.map((c) => c.from)).toEqual(['https://shop.example.com/a,b?ids=1,2&q=x,y=z', 'v1.5.0']);
    const one = resolvePlan(parsePlanFile(ONE), { from: 'web=https://shop.example.com/a,b' }, { hasDatabaseUrl: false });
    expect(one.components[0]!.from).toBe('https://shop.example.com/a,b');
  });

  it('a URL given alone is one deployment, never name=ref pairs', () => {
    const plan = resolvePlan(parsePlanFile(ONE), { from: 'https://shop.example.com/?a=1,web=2' }, { hasDatabaseUrl: false });
    expect(plan.components[0]!.from).toBe('https://shop.example.com/?a=1,web=2');
    expect(() => resolvePlan(parsePlanFile(TWO), { from: 'https://shop.example.com/?x=1,web=2,api=3' }, { hasDatabaseUrl: false })).toThrow(/input from: is one deployment, but the plan has 2 components/);
  });

  it('pairs that are not URLs read as before: an unknown name is named, a trailing comma ends the list', () => {
    expect(() => resolvePlan(parsePlanFile(TWO), { from: 'web=dpl_bad,wbe=v1' }, { hasDatabaseUrl: false })).toThrow(/names component "wbe"/);
    const plan = resolvePlan(parsePlanFile(TWO), { from: 'web=https://shop.example.com/a,api=v2,' }, { hasDatabaseUrl: false });
    expect(plan.components.map((c) => c.from)).toEqual(['https://shop.example.com/a', 'v2']);
  });
});

describe('the key', () => {
  const URL = 'https://deploy:s3cr3t-pw@shop.example.com/p,q@v2/?ids=1,2&token=tok_Secret123';

  it('holds a URL whole, without its user name, password or secret parameters', () => {
    const key = componentKey('production', [{ name: 'web', ref: keyRef(URL) }, { name: 'api', ref: keyRef('v1.5.0') }]);
    expect(key).toBe('production:web@https://shop.example.com/p%2Cq@v2/?ids=1%2C2&token=***,api@v1.5.0');
    for (const secret of ['deploy', 's3cr3t', 'tok_Secret123']) expect(key).not.toContain(secret);
    expect(incidentMarker(key)).not.toContain('s3cr3t');
  });

  it('is read back part by part, each at its first @', () => {
    const key = componentKey('production', [{ name: 'web', ref: keyRef(URL) }, { name: 'api', ref: keyRef('v1.5.0') }]);
    expect(keyParts(key, 'production')).toEqual([
      { name: 'web', ref: 'https://shop.example.com/p%2Cq@v2/?ids=1%2C2&token=***' },
      { name: 'api', ref: 'v1.5.0' },
    ]);
    expect(keyParts('production:run-42', 'production')).toBeUndefined();
    expect(keyParts(key, 'staging')).toBeUndefined();
  });

  it('finds an earlier version\'s issue whose from was recorded by a URL with a comma and an @ in it', () => {
    const url = 'https://app-abc123.vercel.app/a,b@c';
    const r = fullRecord();
    r.components = r.components.filter((c) => c.name === 'web').map((c) => ({ ...c, from: { url } }));
    const body = incidentBody({ ...r, incidentKey: 'production:web@c0ffee1', incidentAliases: undefined });
    const names = (ref: string) => olderIssueNames(body, { environment: 'production', incidentKey: componentKey('production', [{ name: 'web', ref: keyRef(ref) }]) });
    expect(names(url)).toBe(true);
    expect(names('https://app-abc123.vercel.app/a,b@d')).toBe(false);
  });

  it('names the workflow run when it is the run\'s, or a service URL made incident-specific by the run: only a re-run is the same incident', () => {
    expect(namesRun('production:run-42', 'production')).toBe(true);
    expect(namesRun(componentKey('production', [{ name: 'web', ref: runRef(keyRef('https://shop-web.onrender.com/'), '42') }]), 'production')).toBe(true);
    expect(namesRun(componentKey('production', [{ name: 'web', ref: 'dep-bad' }]), 'production')).toBe(false);
    expect(namesRun(componentKey('production', [{ name: 'run-1', ref: 'dep-bad' }]), 'production')).toBe(false);
  });
});

// The root action's incident-from output: the from a later job passes to name the same incident
// (rollback.yml's database job, handed what the incident job's look-up found).
describe('the from that names a key', () => {
  const TWO_VERCEL = `components:
  web: { provider: vercel, project: shop }
  api: { provider: vercel, project: api }
`;
  const keyOfFrom = (from: string) => componentKey('production', resolvePlan(parsePlanFile(TWO_VERCEL), { from }, { hasDatabaseUrl: false }).components.map((c) => ({ name: c.name, ref: c.from! })));

  it('given as from, names the same key: ids, and a URL with a comma, an @ and a secret parameter', () => {
    const keys = [
      componentKey('production', [{ name: 'web', ref: 'dpl_bad' }, { name: 'api', ref: 'dpl_api1' }]),
      componentKey('production', [{ name: 'web', ref: 'https://u:p@shop-abc.vercel.app/a,b?token=s3cret&x=1,2' }, { name: 'api', ref: 'a@b' }]),
    ];
    for (const key of keys) {
      expect(keyFrom(key, 'production')).toMatch(/^web=.+,api=.+$/);
      expect(keyOfFrom(keyFrom(key, 'production'))).toBe(key);
    }
    expect(keyFrom(keys[1]!, 'production')).not.toContain('s3cret');
  });

  it('is empty when a part names no deployment: the workflow run, a component that could not say, the database alone', () => {
    expect(keyFrom('production:run-4242', 'production')).toBe('');
    expect(keyFrom(componentKey('production', [{ name: 'web', ref: runRef(keyRef('https://shop-web.onrender.com/'), '42') }]), 'production')).toBe('');
    expect(keyFrom(componentKey('production', [{ name: 'web', ref: 'dpl_bad' }, { name: 'jobs', ref: '?' }]), 'production')).toBe('');
    expect(keyFrom('production:database', 'production')).toBe('');
    expect(keyFrom('production:unresolved', 'production')).toBe('');
    expect(keyFrom(componentKey('staging', [{ name: 'web', ref: 'dpl_bad' }]), 'production')).toBe('');
  });
});
