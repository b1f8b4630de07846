/**
 * The plan a run acts on: the rollback plan file merged with the root action's inputs, or, without
 * a file, one component and the database described by the inputs alone. Inputs that change from
 * one incident to the next (`from`, which migrations, the snapshot, the checks, the budget) override
 * the file; inputs that describe a component belong in the file once there is one, so setting them
 * beside it is a mistake named by its input rather than a silent choice between the two.
 */
import type { Choice } from '../migrations/revert.js';
import { FORMAT_NAMES } from '../migrations/types.js';
import { defaultApiUrl, isHttpUrl, METHODS, PROVIDERS, type Provider } from '../platforms/promote.js';
import { RUNBOOK_MINUTES } from './budgets.js';
import { URL_SHAPED } from './incident-key.js';
import { componentExample, DB_METHODS, defaultVerify, downMigrationsOnly, fileKey, migrationsTableProblems, PlanError, RESERVED_NAMES, type ComponentPlan, type DatabasePlan, type PlanProblem, type RollbackPlan } from './plan-file.js';

/** The root action's plan inputs, by their public names, already trimmed (undefined when empty). */
export interface PlanInputs {
  provider?: string;
  project?: string;
  team?: string;
  target?: string;
  from?: string;
  'api-url'?: string;
  method?: string;
  command?: string;
  'timeout-seconds'?: number;
  'migrations-dir'?: string;
  format?: string;
  'migrations-table'?: string;
  steps?: number;
  'to-version'?: string;
  'since-ref'?: string;
  'db-method'?: string;
  'snapshot-path'?: string;
  'base-url'?: string;
  checks?: string;
  'checks-file'?: string;
  'budget-minutes'?: number;
  environment?: string;
}

/** Providers the root action's single-component inputs can describe without a plan file. */
const INPUT_PROVIDERS = ['vercel', 'git-revert', 'command'] as const;
const COMPONENT_INPUTS = ['provider', 'project', 'team', 'api-url', 'method', 'command'] as const;
const DATABASE_INPUTS = ['migrations-dir', 'format', 'migrations-table', 'steps', 'to-version', 'since-ref', 'db-method', 'snapshot-path'] as const;

/**
 * `file` is the plan file's parsed content (or undefined); `hasDatabaseUrl` says whether a database
 * connection was given, which is what puts the database into a plan without a file.
 */
export function resolvePlan(file: RollbackPlan | undefined, inputs: PlanInputs, opts: { hasDatabaseUrl: boolean }): RollbackPlan {
  const problems: PlanProblem[] = [];
  const bad = (name: string, message: string) => problems.push({ place: `input ${name}`, message });
  const source = file?.source ?? 'inputs';

  let components: ComponentPlan[];
  if (file) {
    for (const name of COMPONENT_INPUTS) {
      if (inputs[name] !== undefined) bad(name, `describes a component only when there is no rollback plan file; ${file.source} describes the components, so set it there`);
    }
    // Each component waits for its platform as long as its own key says: one input for them all
    // would either override every key or fill only the gaps, and a person typing it means neither for sure.
    if (inputs['timeout-seconds'] !== undefined) {
      const keys = file.components.map((c) => `${fileKey(`components.${c.name}.timeout-seconds`, file.source)} (now ${c.timeoutSeconds})`);
      bad('timeout-seconds', `is the wait of a component given by inputs, and ${file.source} describes the components: ${keys.length ? `set ${keys.join(', ')} instead, and drop the input` : 'it has none, so drop the input'}`);
    }
    components = file.components.map((c) => ({ ...c }));
    // Where to go back to changes per incident ("that deployment, now"), so it overrides the file.
    if (inputs.target && /^(previous|last-verified)$/i.test(inputs.target.trim())) for (const c of components) c.target = inputs.target.trim().toLowerCase();
    else applyPerComponent(components, 'target', inputs.target, bad);
  } else {
    components = componentFromInputs(inputs, bad);
  }
  applyPerComponent(components, 'from', inputs.from, bad);

  const database = mergeDatabase(file?.database, source, inputs, opts.hasDatabaseUrl || Boolean(file?.database), bad);
  const verify = mergeVerify(file, inputs, bad);
  if (!components.length && !database) {
    problems.push({
      place: source === 'inputs' ? 'inputs' : source,
      message: 'nothing to roll back: no component (provider, project or command) and no database (database-url). Add a rollback-kit.yml, or set the single-component inputs',
    });
  }
  if (problems.length) throw new PlanError(problems, source === 'inputs' ? 'the root action inputs' : `${source} and the inputs`);
  return {
    source,
    environment: inputs.environment ?? file?.environment ?? 'production',
    budgetMinutes: inputs['budget-minutes'] ?? file?.budgetMinutes ?? RUNBOOK_MINUTES,
    components,
    database,
    verify,
    labels: file?.labels ?? ['incident', 'rollback'],
  };
}

function componentFromInputs(inputs: PlanInputs, bad: (name: string, message: string) => void): ComponentPlan[] {
  if (!inputs.provider && !inputs.project && !inputs.command) return [];
  const provider = (inputs.provider ?? (inputs.command ? 'command' : 'vercel')).toLowerCase();
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    bad('provider', `must be one of ${PROVIDERS.join(', ')}, got "${inputs.provider}"`);
    return [];
  }
  if (!(INPUT_PROVIDERS as readonly string[]).includes(provider)) {
    // Their ids (app, service, site, Railway's environment) have no root action input: the root
    // action's environment input is the plan's environment name, not a Railway environment id.
    bad('provider', `${provider} components are described in the rollback plan file: add ${componentExample(provider as Provider)} to rollback-kit.yml (or the file config names); the single-component inputs describe ${INPUT_PROVIDERS.join(', ')} only`);
    return [];
  }
  const method = (inputs.method ?? 'rollback').toLowerCase();
  if (!(METHODS as readonly string[]).includes(method)) bad('method', `must be one of ${METHODS.join(', ')}, got "${inputs.method}"`);
  const defaultUrl = defaultApiUrl(provider as Provider);
  const apiUrl = inputs['api-url'] ?? defaultUrl ?? '';
  if (inputs['api-url'] !== undefined && !isHttpUrl(apiUrl)) bad('api-url', `must be an http(s) URL such as ${defaultUrl ?? 'https://api.vercel.com'}`);
  if (provider === 'vercel' && !inputs.project) bad('project', 'is required when provider is vercel (the project name or its prj_… id)');
  if (provider === 'command' && !inputs.command) bad('command', 'is required when provider is command');
  // The component's name shows in every report: the project says most, the provider otherwise.
  const fromProject = inputs.project && /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(inputs.project) && !RESERVED_NAMES.includes(inputs.project.toLowerCase()) ? inputs.project : undefined;
  return [
    {
      name: fromProject ?? provider,
      provider: provider as Provider,
      project: inputs.project,
      team: inputs.team,
      target: inputs.target ?? 'previous',
      method: method as ComponentPlan['method'],
      apiUrl,
      timeoutSeconds: inputs['timeout-seconds'] ?? 180,
      command: inputs.command,
    },
  ];
}

/**
 * `from` (or, with a plan file, `target`) is one deployment (one component) or `name=ref` pairs,
 * comma separated. A URL is one deployment whatever it holds (a comma in its path, `name=` in its
 * query), given alone or as a pair's ref: see namedPairs.
 */
function applyPerComponent(components: ComponentPlan[], field: 'from' | 'target', raw: string | undefined, bad: (name: string, message: string) => void): void {
  if (!raw) return;
  const pairs = URL_SHAPED.test(raw.trim()) ? undefined : namedPairs(raw, components.map((c) => c.name));
  if (pairs) {
    for (const [name, ref] of pairs) {
      const component = components.find((c) => c.name === name);
      if (!component) bad(field, `names component "${name}", which the plan does not have (${components.map((c) => c.name).join(', ') || 'none'})`);
      else component[field] = ref;
    }
    return;
  }
  if (components.length !== 1) {
    const pairs = `write it as name=deployment pairs (${components.map((c) => `${c.name}=…`).join(', ')})`;
    // auto-rollback.yml knows one deployment per event: it writes the pairs when told the component.
    const auto = field === 'from' ? '; in auto-rollback.yml, set the repository variable ROLLBACK_FROM_COMPONENT to the component(s) the deploy ships' : '';
    bad(field, components.length ? `is one deployment, but the plan has ${components.length} components; ${pairs}${auto}` : 'is set, but the plan has no component');
    return;
  }
  components[0]![field] = raw.trim();
}

const PAIR = /^([A-Za-z0-9][A-Za-z0-9_-]*)=(.+)$/;

/**
 * `name=ref` pairs, comma separated, or undefined when the text is not such pairs. Within a ref that
 * is a URL, a comma is the URL's own unless what follows it is `name=` of a component of the plan
 * (`web=https://x/p?ids=1,2,api=dpl_1`): a URL's query may hold `name=value` after its commas, a
 * component's name is what starts the next pair.
 */
function namedPairs(raw: string, names: string[]): [string, string][] | undefined {
  const pairs: [string, string][] = [];
  // A trailing comma (a list written by a template) ends the list, not a URL.
  for (const piece of raw.replace(/[\s,]+$/, '').split(',')) {
    const last = pairs.at(-1);
    const m = PAIR.exec(piece.trim());
    if (last && URL_SHAPED.test(last[1]) && !(m && names.includes(m[1]!))) {
      last[1] = `${last[1]},${piece}`;
      continue;
    }
    if (!piece.trim()) continue;
    if (!m) return undefined;
    pairs.push([m[1]!, m[2]!.trim()]);
  }
  for (const p of pairs) p[1] = p[1].trim();
  return pairs.length ? pairs : undefined;
}

function mergeDatabase(file: DatabasePlan | undefined, source: string, inputs: PlanInputs, wanted: boolean, bad: (name: string, message: string) => void): DatabasePlan | undefined {
  const anyInput = DATABASE_INPUTS.some((name) => inputs[name] !== undefined);
  if (!file && !wanted && !anyInput) return undefined;
  const method = (inputs['db-method'] ?? file?.method ?? 'down-migrations').toLowerCase();
  if (!(DB_METHODS as readonly string[]).includes(method)) bad('db-method', `must be one of ${DB_METHODS.join(', ')}, got "${inputs['db-method']}"`);
  const format = (inputs.format ?? file?.format ?? 'auto').toLowerCase();
  if (format !== 'auto' && !(FORMAT_NAMES as readonly string[]).includes(format)) bad('format', `must be auto or one of ${FORMAT_NAMES.join(', ')}, got "${inputs.format}"`);
  const given = (['steps', 'to-version', 'since-ref'] as const).filter((k) => inputs[k] !== undefined);
  if (given.length > 1) bad(given[1]!, `conflicts with the ${given[0]} input (give exactly one of steps, to-version and since-ref)`);
  for (const problem of migrationsTableProblems(inputs['migrations-table'], method)) bad('migrations-table', problem);
  // The file's down-migrations settings under a restore the input asks for: refused as the file
  // refuses them beside its own method restore, never dropped in silence.
  if (file && inputs['db-method'] !== undefined && method === 'restore') {
    const downOnly = [
      ...(inputs['migrations-table'] === undefined ? migrationsTableProblems(file.migrationsTable, method).map((problem) => ['migrations-table', problem] as const) : []),
      ...(file.statementTimeoutSeconds !== undefined ? [['statement-timeout-seconds', downMigrationsOnly('statement-timeout-seconds')] as const] : []),
    ];
    for (const [key, problem] of downOnly) bad('db-method', `is restore, but ${fileKey(`database.${key}`, source)} is set: ${problem}. Remove the key from the file, or leave db-method to the file (method ${file.method})`);
  }
  let choice: Choice | undefined = file?.choice;
  if (inputs.steps !== undefined) choice = { steps: inputs.steps };
  else if (inputs['to-version'] !== undefined) choice = { toVersion: inputs['to-version'] };
  else if (inputs['since-ref'] !== undefined) choice = { sinceRef: inputs['since-ref'] };
  return {
    method: method as DatabasePlan['method'],
    migrationsDir: inputs['migrations-dir'] ?? file?.migrationsDir,
    ...(inputs['migrations-dir'] === undefined && file?.migrationsDirName ? { migrationsDirName: file.migrationsDirName } : {}),
    format: format as DatabasePlan['format'],
    choice,
    snapshotPath: inputs['snapshot-path'] ?? file?.snapshotPath,
    lockTimeoutSeconds: file?.lockTimeoutSeconds ?? 10,
    migrationsTable: inputs['migrations-table'] ?? file?.migrationsTable,
    statementTimeoutSeconds: file?.statementTimeoutSeconds,
  };
}

function mergeVerify(file: RollbackPlan | undefined, inputs: PlanInputs, bad: (name: string, message: string) => void): RollbackPlan['verify'] {
  const fromInputs = inputs['base-url'] !== undefined || inputs.checks !== undefined || inputs['checks-file'] !== undefined;
  if (!file?.verify && !fromInputs) return undefined;
  const base = file?.verify ?? defaultVerify();
  if (inputs['base-url'] !== undefined && !isHttpUrl(inputs['base-url'])) bad('base-url', 'must be an absolute http(s) URL such as https://my-app.vercel.app');
  // Inline checks and a checks file are alternatives: an input of either kind replaces both.
  const checksGiven = inputs.checks !== undefined || inputs['checks-file'] !== undefined;
  const { checksFileName, ...rest } = base;
  return {
    ...rest,
    baseUrl: inputs['base-url'] ?? base.baseUrl,
    checks: checksGiven ? inputs.checks : base.checks,
    checksFile: checksGiven ? inputs['checks-file'] : base.checksFile,
    // The file's key names the file's value; an input's is named as the input.
    ...(!checksGiven && checksFileName ? { checksFileName } : {}),
  };
}
