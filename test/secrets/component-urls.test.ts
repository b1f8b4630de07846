// A component's URLs are registered as secrets from one list (componentUrls), by the plan
// (registerPlanSecrets), promote-previous's inputs (readPromoteRequest) and its request
// (promotePrevious). Every field of the component types is here, each text field holding a URL
// with a password: it is either on the list or named below as never holding a URL. A field added
// to a component type fails the type check here until it is in the samples, and this test until it
// is one or the other.
import { describe, expect, it } from 'vitest';
import { inputsFrom } from '../../src/core/action.js';
import { memoryLog } from '../../src/core/log.js';
import { registerPlanSecrets } from '../../src/pipeline/plan-check.js';
import type { ComponentPlan, RollbackPlan } from '../../src/pipeline/plan-file.js';
import { ChangeGuard } from '../../src/platforms/change-guard.js';
import { COMPONENT_URL_INPUTS, componentUrls } from '../../src/platforms/component-urls.js';
import { readPromoteRequest } from '../../src/platforms/promote-inputs.js';
import {
  promotePrevious,
  type CommandPromoteRequest,
  type FlyPromoteRequest,
  type GitRevertPromoteRequest,
  type NetlifyPromoteRequest,
  type PromoteCommon,
  type PromoteRequest,
  type RailwayPromoteRequest,
  type RenderPromoteRequest,
  type VercelPromoteRequest,
} from '../../src/platforms/promote.js';

/** The password a field's sample URL carries: long and unlike any word, so only a redaction hides it. */
const password = (field: string) => `Pw7x${field.replace(/\W/g, '')}Q9zK`;
/** A field's sample: a URL with a user name and password. */
const url = (field: string) => `https://deployer:${password(field)}@${field.replace(/\W/g, '-').toLowerCase()}.example.test/`;

/** Fields whose type is a fixed list of words: no URL fits. */
const WORDS = new Set(['provider', 'method']);

/** Text fields that never hold a URL, and why they are not on the list. */
const NEVER_URLS: Record<string, string> = {
  name: "the component's name in the plan",
  project: 'a platform project id or name',
  team: 'a Vercel team id or slug',
  app: 'a Fly app name',
  environment: 'a Railway environment id',
  service: 'a Railway or Render service id',
  site: 'a Netlify site id or name.netlify.app domain (no scheme, no credentials)',
  command: 'a shell command (its output is redacted as it runs)',
  verifyCommand: 'a shell command (its output is redacted as it runs)',
  reason: 'words a person wrote, as the incident records them',
  timeoutInput: "rollback-kit's own name for what sets timeoutSeconds (rollback.ts planRequest)",
  token: 'a secret whole, registered where it is read (secretInput)',
  githubToken: 'a secret whole, registered where it is read (secretInput)',
  'github.token': 'a secret whole, registered where it is read (secretInput)',
  'github.repository': 'owner/name',
  repository: 'owner/name',
  repoDir: 'a directory of the checkout',
  cwd: 'a directory of the checkout',
  baseBranch: 'a branch name',
  'planLogged.from': 'a release id the plan phase logged (rollback.ts)',
  'planLogged.to': 'a release id the plan phase logged (rollback.ts)',
  environmentName: "the plan's environment name (production, staging)",
};

const common = (): Required<Omit<PromoteCommon, 'stop'>> & { stop: ChangeGuard } => {
  const signal = new AbortController().signal;
  return { target: url('target'), from: url('from'), reason: url('reason'), timeoutSeconds: 5, timeoutInput: url('timeoutInput'), dryRun: true, automatic: false, signal, stop: new ChangeGuard(signal, 'web', 'the dashboard'), planLogged: { from: url('planLogged.from'), to: url('planLogged.to') }, environmentName: url('environmentName') };
};

/** Every field of a plan's component. */
const plan: Required<ComponentPlan> = {
  name: url('name'),
  provider: 'fly',
  project: url('project'),
  team: url('team'),
  target: url('target'),
  from: url('from'),
  method: 'rollback',
  apiUrl: url('apiUrl'),
  timeoutSeconds: 5,
  command: url('command'),
  verifyCommand: url('verifyCommand'),
  app: url('app'),
  machinesApiUrl: url('machinesApiUrl'),
  registryUrl: url('registryUrl'),
  environment: url('environment'),
  service: url('service'),
  site: url('site'),
};

/** Every field of each provider's request. */
const requests: Required<PromoteRequest>[] = [
  {
    ...common(),
    provider: 'vercel',
    token: url('token'),
    project: url('project'),
    team: url('team'),
    apiUrl: url('apiUrl'),
    method: 'rollback',
    github: { token: url('github.token'), repository: url('github.repository'), apiUrl: url('github.apiUrl') },
    pollIntervalMs: 1,
  } satisfies Required<VercelPromoteRequest>,
  { ...common(), provider: 'fly', token: url('token'), app: url('app'), apiUrl: url('apiUrl'), machinesApiUrl: url('machinesApiUrl'), registryUrl: url('registryUrl') } satisfies Required<FlyPromoteRequest>,
  { ...common(), provider: 'railway', token: url('token'), project: url('project'), environment: url('environment'), service: url('service'), apiUrl: url('apiUrl'), pollIntervalMs: 1 } satisfies Required<RailwayPromoteRequest>,
  { ...common(), provider: 'render', token: url('token'), service: url('service'), apiUrl: url('apiUrl'), pollIntervalMs: 1 } satisfies Required<RenderPromoteRequest>,
  { ...common(), provider: 'netlify', token: url('token'), site: url('site'), apiUrl: url('apiUrl'), pollIntervalMs: 1 } satisfies Required<NetlifyPromoteRequest>,
  { ...common(), provider: 'git-revert', githubToken: url('githubToken'), repoDir: url('repoDir'), repository: url('repository'), apiUrl: url('apiUrl'), baseBranch: url('baseBranch') } satisfies Required<GitRevertPromoteRequest>,
  { ...common(), provider: 'command', command: url('command'), verifyCommand: url('verifyCommand'), cwd: url('cwd'), baseEnv: {} } satisfies Required<CommandPromoteRequest>,
] as Required<PromoteRequest>[];

/** Every text field of a component, by its dotted path, through plain objects (not the signal or the guard). */
function textFields(value: object, path = ''): [string, string][] {
  return Object.entries(value).flatMap(([key, v]): [string, string][] => {
    const at = path ? `${path}.${key}` : key;
    if (typeof v === 'string') return [[at, v]];
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return textFields(v as object, at);
    return [];
  });
}

const components: [string, object][] = [['a plan component', plan], ...requests.map((r): [string, object] => [`a ${r.provider} request`, r])];

describe("a component's URLs", () => {
  it.each(components)('every text field of %s is on the list or never holds a URL', (_, component) => {
    const listed = componentUrls(component);
    for (const [field, value] of textFields(component)) {
      if (WORDS.has(field)) continue;
      // The sample gives every other text field a URL, so the list shows whether it is read.
      expect(value, `${field} needs a URL in the sample`).toBe(url(field));
      if (field in NEVER_URLS) expect(listed, `${field} is named as never holding a URL`).not.toContain(value);
      else expect(listed, `${field} holds URLs: add it to COMPONENT_URL_INPUTS (src/platforms/component-urls.ts), or name it in NEVER_URLS with why`).toContain(value);
    }
  });

  it('names nothing as never a URL that no component has', () => {
    const fields = new Set(components.flatMap(([, c]) => textFields(c).map(([f]) => f)));
    expect(Object.keys(NEVER_URLS).filter((f) => !fields.has(f))).toEqual([]);
  });

  it('are registered by the plan check, with every listed field of the plan component', () => {
    const log = memoryLog();
    registerPlanSecrets({ source: 'test', environment: 'production', budgetMinutes: 15, components: [plan as ComponentPlan], labels: [] } satisfies RollbackPlan, log);
    for (const field of Object.keys(COMPONENT_URL_INPUTS)) expect(log.redact(url(field))).not.toContain(password(field));
  });

  it.each(requests.map((r) => [r.provider, r] as const))('are registered by promotePrevious for a %s request, before it is refused', async (_, sample) => {
    const log = memoryLog();
    // No token (no command): refused before any request is sent.
    const request: PromoteRequest = sample.provider === 'command' ? { ...sample, command: '' } : sample.provider === 'git-revert' ? { ...sample, githubToken: '' } : { ...sample, token: '' };
    await expect(promotePrevious(request, log)).rejects.toThrow(/required/);
    for (const value of componentUrls(sample)) expect(log.redact(value)).not.toContain(password(textFields(sample).find(([, v]) => v === value)![0]));
  });

  it("are registered from promote-previous's inputs of the same names, whatever the provider", () => {
    const log = memoryLog();
    const given: Record<string, string> = { provider: 'command', command: 'true' };
    for (const name of Object.values(COMPONENT_URL_INPUTS)) given[name] = url(name);
    readPromoteRequest(
      inputsFrom((name) => given[name] ?? ''),
      { env: {} },
      log,
    );
    for (const name of Object.values(COMPONENT_URL_INPUTS)) expect(log.redact(url(name))).not.toContain(password(name));
  });
});
