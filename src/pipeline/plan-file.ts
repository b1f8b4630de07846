/**
 * The rollback plan (`rollback-kit.yml`): what the system is made of. Read and validated before
 * anything runs, every mistake reported at once with its place (line and dotted path), like a smoke
 * check spec: a half-right plan must not half-run a rollback. It never holds a secret: a value that
 * looks like one is refused by place, never echoed. Without a file, the root action's inputs
 * describe one component and the database (`planFromInputs`).
 */
import { RollbackKitError } from '../core/errors.js';
import { closest } from '../core/closest.js';
import { TOKEN_ENV } from '../core/secret-input.js';
import { decimalNumber, parseList } from '../core/parse.js';
import type { Choice } from '../migrations/revert.js';
import { STATEMENT_TIMEOUT_SECONDS } from '../migrations/revert-inputs.js';
import { isTableOption } from '../migrations/tracking.js';
import { FORMAT_NAMES, type FormatName } from '../migrations/types.js';
import { defaultApiUrl, isHttpUrl, METHODS, PROVIDERS, type Provider } from '../platforms/promote.js';
import { PLAIN_DECIMALS, readYaml, writtenNumber, YamlError, type YamlDocument, type YamlPath } from '../core/yaml.js';
import { locate } from '../smoke/parse-spec.js';
import type { Backoff } from '../smoke/spec.js';
import { MAX_BUDGET_MINUTES, MIN_BUDGET_MINUTES, RUNBOOK_MINUTES } from './budgets.js';
import { findSecretValues } from './secret-values.js';

export const PLAN_FILE = 'rollback-kit.yml';
/** Words `scope` gives a meaning of its own, so no component may be called that. */
export const RESERVED_NAMES = ['app', 'db', 'full', 'database', 'verify'];
export const DB_METHODS = ['down-migrations', 'restore'] as const;

export interface ComponentPlan {
  name: string;
  provider: Provider;
  project?: string;
  team?: string;
  target: string;
  from?: string;
  method: (typeof METHODS)[number];
  /** The platform's API base: the `api-url` key, or the provider's own. Empty for git-revert and command. */
  apiUrl: string;
  timeoutSeconds: number;
  command?: string;
  verifyCommand?: string;
  /** Fly app name. */
  app?: string;
  /** Fly Machines API and registry bases, when not the real ones. */
  machinesApiUrl?: string;
  registryUrl?: string;
  /** Railway environment id (not the plan's environment name). */
  environment?: string;
  /** Railway service id, or Render service id (srv-…). */
  service?: string;
  /** Netlify site id or name.netlify.app domain. */
  site?: string;
}

export interface DatabasePlan {
  method: (typeof DB_METHODS)[number];
  migrationsDir?: string;
  /** How messages name migrationsDir when the plan file gave it (fileKey); unset, the input's name. */
  migrationsDirName?: string;
  format: FormatName | 'auto';
  /** Which migrations to revert (down-migrations); undefined until the inputs or file say. */
  choice?: Choice;
  /** The snapshot to restore (restore). */
  snapshotPath?: string;
  lockTimeoutSeconds: number;
  /** The tool's own tracking-table option (dbmate --migrations-table, …), as run-down-migrations' input. */
  migrationsTable?: string;
  /** PostgreSQL's statement_timeout for each down statement (down-migrations); unset, run-down-migrations' default. */
  statementTimeoutSeconds?: number;
}

export interface VerifyPlan {
  baseUrl?: string;
  checks?: string;
  checksFile?: string;
  /** How messages name checksFile when the plan file gave it (fileKey); unset, the input's name. */
  checksFileName?: string;
  /** checksFile came from a person's own command line: read wherever it is (smoke-test.ts verifySource). */
  checksFileAnywhere?: boolean;
  attempts: number;
  intervalSeconds: number;
  /** Unset, fixed (smoke-test's default). */
  backoff?: Backoff;
  timeoutSeconds: number;
  samples: number;
  maxErrorRate: number;
  maxP95Ms: number;
  deadlineSeconds: number;
}

export interface RollbackPlan {
  /** Where it came from: the file's path, or "inputs". */
  source: string;
  environment: string;
  budgetMinutes: number;
  components: ComponentPlan[];
  database?: DatabasePlan;
  verify?: VerifyPlan;
  labels: string[];
}

export interface PlanProblem {
  line?: number;
  /** Dotted path (`components.web.project`) or the input's name (`input steps`). */
  place: string;
  message: string;
}

/**
 * A key of the plan file as messages name it: "rollback-kit.yml's verify.checks-file". The file's
 * own words, not the input's or the flag's, so a person looks where they wrote it; dotted, so the
 * command line's wording (cli/wording.ts) does not take it for a flag.
 */
export function fileKey(path: string, source: string): string {
  return `${source}'s ${path}`;
}

export function formatPlanProblem(p: PlanProblem): string {
  return `${p.line !== undefined ? `line ${p.line}, ` : ''}${p.place}: ${p.message}`;
}

export class PlanError extends RollbackKitError {
  constructor(
    readonly problems: PlanProblem[],
    source: string,
  ) {
    super(
      `The rollback plan (${source}) has ${problems.length} problem${problems.length === 1 ? '' : 's'}, so nothing was run: ${problems.map(formatPlanProblem).join('; ')}.`,
      `Fix ${problems.length === 1 ? 'it' : 'them'} and re-run; the "rollback plan" section of the rollback-kit README lists every field.`,
    );
  }
}

type Kind =
  | { type: 'string' }
  /** A smoke check spec: YAML text, as smoke-test's checks input. */
  | { type: 'spec' }
  | { type: 'version' }
  | { type: 'url' }
  | { type: 'int' | 'number'; min: number; max: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'list' };

const STRING: Kind = { type: 'string' };
const int = (min: number, max: number): Kind => ({ type: 'int', min, max });
const num = (min: number, max: number): Kind => ({ type: 'number', min, max });

const COMPONENT_FIELDS: Record<string, Kind> = {
  provider: { type: 'enum', values: PROVIDERS },
  project: STRING,
  team: STRING,
  target: STRING,
  from: STRING,
  method: { type: 'enum', values: METHODS },
  'api-url': { type: 'url' },
  'machines-api-url': { type: 'url' },
  'registry-url': { type: 'url' },
  'timeout-seconds': int(1, 3600),
  command: STRING,
  'verify-command': STRING,
  environment: STRING,
  service: STRING,
  app: STRING,
  site: STRING,
};
/** Keys every component takes, whatever its provider. */
const COMMON_COMPONENT_FIELDS = ['provider', 'target', 'from', 'timeout-seconds'];
/** The keys each provider reads (promote-previous's inputs of the same names), required ones first. */
const PROVIDER_FIELDS: Record<Provider, { required: [string, string][]; optional: string[] }> = {
  vercel: { required: [['project', 'the project name or its prj_… id']], optional: ['team', 'method', 'api-url'] },
  fly: { required: [['app', 'the Fly app name, as in fly.toml']], optional: ['api-url', 'machines-api-url', 'registry-url'] },
  railway: {
    required: [
      ['project', 'the Railway project id'],
      ['environment', 'the Railway environment id'],
      ['service', 'the Railway service id'],
    ],
    optional: ['api-url'],
  },
  render: { required: [['service', 'the Render service id, srv-…']], optional: ['api-url'] },
  netlify: { required: [['site', 'the Netlify site id or its name.netlify.app domain']], optional: ['api-url'] },
  'git-revert': { required: [], optional: [] },
  command: { required: [['command', 'the shell command that rolls back']], optional: ['verify-command'] },
};
/** A plan-file component of this provider with its required keys, for errors that send users to the file. */
export function componentExample(provider: Provider): string {
  const keys = PROVIDER_FIELDS[provider].required.map(([key, what]) => `, ${key}: <${what}>`).join('');
  return `components.<name>: { provider: ${provider}${keys} }`;
}

const DATABASE_FIELDS: Record<string, Kind> = {
  method: { type: 'enum', values: DB_METHODS },
  'migrations-dir': STRING,
  format: { type: 'enum', values: ['auto', ...FORMAT_NAMES] },
  steps: int(1, 1000),
  'to-version': { type: 'version' },
  'since-ref': STRING,
  'snapshot-path': STRING,
  'lock-timeout-seconds': num(0, 3600),
  'migrations-table': STRING,
  'statement-timeout-seconds': int(STATEMENT_TIMEOUT_SECONDS.min, STATEMENT_TIMEOUT_SECONDS.max),
};
const VERIFY_FIELDS: Record<string, Kind> = {
  'base-url': { type: 'url' },
  checks: { type: 'spec' },
  'checks-file': STRING,
  attempts: int(1, 100),
  'interval-seconds': num(0, 3600),
  backoff: { type: 'enum', values: ['fixed', 'exponential'] },
  'timeout-seconds': num(0.001, 3600),
  samples: int(1, 10_000),
  'max-error-rate': num(0, 100),
  'max-p95-ms': num(1, 3_600_000),
  'deadline-seconds': num(0.1, 21_600),
};
const TOP_FIELDS = ['budget-minutes', 'environment', 'components', 'database', 'verify', 'incident'];

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/**
 * Where a secret found in the plan goes instead, in a workflow's words. Whole, so the command line
 * can say it in its own (src/cli/wording.ts): its words one by one read as flags.
 */
export const SECRETS_GO = `pass them as the root action's inputs from secrets (${Object.keys(TOKEN_ENV).join(', ')}) or the documented environment variables`;

/** An input of `of` that the whole rollback does not take, and why. */
interface NotHere {
  /** Whose input, as a possessive: "smoke-test's". */
  of: string;
  /** Why, after "it": "is a secret, …". */
  why: string;
}
const SECRETS_NEVER = 'is a secret, and secrets never go in the rollback plan (it is committed)';
const A_SECRET = `${SECRETS_NEVER}: ${SECRETS_GO}`;
const WHOLE_DRY_RUN = "is the whole run's to decide: the root action's dry-run input (the command line's --dry-run) makes every phase a dry run";

/**
 * The inputs of the single actions a section's keys come from (the README: "keys are
 * promote-previous's inputs", …) that the whole rollback does not take, each with why, so such a
 * key is refused as what it is rather than as an unknown field.
 */
const NOT_IN_COMPONENTS: Record<string, NotHere> = {
  'vercel-token': { of: "promote-previous's", why: A_SECRET },
  'fly-token': { of: "promote-previous's", why: A_SECRET },
  'railway-token': { of: "promote-previous's", why: A_SECRET },
  'render-token': { of: "promote-previous's", why: A_SECRET },
  'netlify-token': { of: "promote-previous's", why: A_SECRET },
  'github-token': { of: "promote-previous's", why: A_SECRET },
  reason: { of: "promote-previous's", why: "is the incident's, not the component's: every component is rolled back with the run's reason (the root action's reason input, the command line's --reason), which changes with each incident while the plan is committed" },
  'dry-run': { of: "promote-previous's", why: WHOLE_DRY_RUN },
};
const NOT_IN_DATABASE: Record<string, NotHere> = {
  'database-url': { of: "run-down-migrations' and restore-db's", why: `is the connection, a secret: ${SECRETS_GO}` },
  'dry-run': { of: "run-down-migrations'", why: WHOLE_DRY_RUN },
  'require-snapshot': { of: "run-down-migrations'", why: 'cannot be turned off here: the whole rollback always takes and verifies its own snapshot before the database phase changes anything, as its way back' },
  confirm: { of: "restore-db's", why: "is not needed: putting the database in scope with method restore is the confirmation, and the whole rollback restores into the database database-url names" },
  'from-another-database': { of: "restore-db's", why: "does not apply: the whole rollback puts back a snapshot of this same database; restoring another database's snapshot is restore-db's, run on purpose" },
  'pre-restore-snapshot': { of: "restore-db's", why: "cannot be turned off here: the whole rollback's snapshot phase always snapshots the database before a restore, as its way back" },
  'pre-restore-dir': { of: "restore-db's", why: "is the whole rollback's to decide: its snapshot goes to the runner's temporary folder, and the snapshot-path output names it" },
  jobs: { of: "restore-db's", why: 'is not used, by restore-db either: a restore runs in one transaction, which parallel workers cannot share' },
  clean: { of: "restore-db's", why: "is the whole rollback's to decide: it always restores with clean (the snapshot's objects dropped and re-created in the restore's transaction), so its tables are the snapshot's again" },
  'upload-artifact': { of: "restore-db's", why: "is the whole rollback's to decide: on GitHub Actions it always uploads the snapshot it took before the database phase as an artifact" },
  'retention-days': { of: "restore-db's", why: "is the whole rollback's to decide: the artifact of its snapshot is kept for the repository's default retention" },
};
const NOT_IN_VERIFY: Record<string, NotHere> = {
  'database-url': { of: "smoke-test's", why: `is a secret: the verify phase's SQL checks use the rollback's own connection; ${SECRETS_GO}` },
  'bypass-token': { of: "smoke-test's", why: `${SECRETS_NEVER}; the whole rollback takes no bypass token, so its checks go to URLs Vercel's Deployment Protection leaves open (the production domain, by default); check a protected URL with smoke-test as its own step` },
  'github-token': { of: "smoke-test's", why: A_SECRET },
  'verified-sha': { of: "smoke-test's", why: "does not apply: it marks a newly deployed commit as good after that deploy's smoke test (for promote-previous target last-verified); the whole rollback's verify checks the release it put back and marks no commit" },
  'baseline-url': { of: "smoke-test's", why: "does not apply: it compares a new deployment's latency with the one before it; after a rollback, the deployment serving is the one before" },
  'confirm-after-seconds': { of: "smoke-test's", why: 'does not apply: verify deciding rollback ends the whole rollback as unverified, for a person to act on, never in another automatic rollback, so there is no decision to confirm by measuring again' },
  'fail-step': { of: "smoke-test's", why: "is the whole rollback's to decide: verify deciding rollback ends it unverified (the status output), which fails the step" },
  'dry-run': { of: "smoke-test's", why: WHOLE_DRY_RUN },
};

/** Collects problems while reading one parsed document. */
class Reader {
  readonly problems: PlanProblem[] = [];
  /** Dotted places already reported as holding a secret. */
  readonly secretPlaces = new Set<string>();
  constructor(
    private readonly lineOf: (path: YamlPath, keyOf?: string) => number | undefined,
    /** A number as written (core/yaml.ts): YAML reads `0x2` and `1e1` as numbers, which the plan does not. */
    private readonly numberOf: (path: YamlPath, value: number) => number,
  ) {}

  problem(path: YamlPath, message: string, keyOf?: string): void {
    this.problems.push({ line: this.lineOf(path, keyOf), place: [...path, ...(keyOf !== undefined ? [keyOf] : [])].join('.') || '(top level)', message });
  }

  /**
   * A map's fields against `fields`; unknown keys are problems, and so are the keys in `notHere`
   * (an action's inputs the whole rollback does not take), with their reason. Returns the values read.
   */
  section(raw: unknown, path: YamlPath, fields: Record<string, Kind>, notHere: Record<string, NotHere> = {}): Map<string, string | number | string[]> {
    const out = new Map<string, string | number | string[]>();
    if (raw === undefined || raw === null) return out;
    if (!isObject(raw)) {
      this.problem(path, 'must be a mapping of fields (key: value)');
      return out;
    }
    for (const [key, value] of Object.entries(raw)) {
      const kind = fields[key];
      const not = Object.hasOwn(notHere, key) ? notHere[key] : undefined;
      if (not) {
        // A secret's value is already named by its place (findSecretValues); one problem is enough.
        if (!this.secretPlaces.has([...path, key].join('.'))) this.problem(path, `is ${not.of} input, but not the whole rollback's: it ${not.why}`, key);
        continue;
      }
      if (!kind) {
        // As the smoke spec guesses a mistyped field: `projct` is most likely project.
        const guess = closest(key, Object.keys(fields));
        this.problem(path, `unknown field${guess ? ` (did you mean "${guess}"?)` : ''}; known fields: ${Object.keys(fields).join(', ')}`, key);
        continue;
      }
      const read = this.value(value, [...path, key], kind);
      if (read !== undefined) out.set(key, read);
    }
    return out;
  }

  value(value: unknown, path: YamlPath, kind: Kind): string | number | string[] | undefined {
    if (value === null || value === undefined) return undefined;
    switch (kind.type) {
      case 'string':
      case 'spec':
      case 'url':
      case 'version': {
        if (typeof value !== 'string' && !(kind.type === 'version' && typeof value === 'number' && Number.isInteger(value))) {
          this.problem(
            path,
            kind.type === 'spec'
              ? 'must be text, the smoke checks as smoke-test takes them: write "checks: |" and the list indented under it, or put the list in a file and name it in checks-file'
              : `must be ${kind.type === 'url' ? 'a URL' : 'text'}`,
          );
          return undefined;
        }
        const text = String(value).trim();
        if (kind.type === 'url' && !isHttpUrl(text)) {
          this.problem(path, 'must be an absolute http(s) URL');
          return undefined;
        }
        return text || undefined;
      }
      case 'int':
      case 'number': {
        // Plain decimals only, as for every input (README): YAML's hex, octal and exponent forms
        // (`0x2`, `0o7`, `1e1`) are refused, not read as 2, 7 and 10.
        const n = typeof value === 'number' ? this.numberOf(path, value) : typeof value === 'string' ? decimalNumber(value) : NaN;
        if (!Number.isFinite(n) || (kind.type === 'int' && !Number.isInteger(n))) {
          const form = typeof value === 'number' && Number.isNaN(n) ? `, ${PLAIN_DECIMALS}` : '';
          this.problem(path, `must be ${kind.type === 'int' ? 'a whole number' : 'a number'}${form}`);
          return undefined;
        }
        if (n < kind.min || n > kind.max) {
          this.problem(path, `must be between ${kind.min} and ${kind.max}, got ${n}`);
          return undefined;
        }
        return n;
      }
      case 'enum': {
        const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
        if (!text || !kind.values.includes(text)) {
          this.problem(path, `must be one of ${kind.values.join(', ')}`);
          return undefined;
        }
        return text;
      }
      case 'list': {
        if (typeof value === 'string') return parseList(value);
        if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map((v: string) => v.trim()).filter(Boolean);
        this.problem(path, 'must be a list of text values');
        return undefined;
      }
    }
  }
}

const str = (m: Map<string, unknown>, k: string) => m.get(k) as string | undefined;
const n = (m: Map<string, unknown>, k: string) => m.get(k) as number | undefined;

/** Parses and validates a rollback plan file; throws PlanError with every problem found. */
export function parsePlanFile(text: string, source: string = PLAN_FILE): RollbackPlan {
  let yaml: YamlDocument;
  try {
    yaml = readYaml(text);
  } catch (err) {
    // The shared reader never quotes the text: a plan file that fails to parse may still hold a secret.
    if (err instanceof YamlError) throw new PlanError(err.problems.map((p) => ({ line: p.line, place: '(YAML)', message: p.message })), source);
    throw err;
  }
  const { doc, lines: lineCounter, value: root } = yaml;
  const reader = new Reader(
    (path, keyOf) => locate(doc, lineCounter, path, keyOf),
    (path, value) => writtenNumber(doc, path, value),
  );

  // Secrets first: a value that looks like one is named by its place, never echoed. The rest of
  // the file is still read, so every other mistake is reported at once, with the secrets' text
  // taken out of those messages too (a key that is a token is named in an unknown-field problem).
  const secrets = findSecretValues(root);
  for (const s of secrets) {
    reader.secretPlaces.add(s.path.join('.'));
    reader.problem(
      s.path,
      `looks like ${s.kind}. Secrets never go in the rollback plan (it is committed); ${SECRETS_GO}, and rotate this one: it is in your git history`,
    );
  }
  // Messages never quote a text value; a key, or a number's digits, they may. Shorter texts would cut ordinary words.
  const secretTexts = secrets.map((s) => s.text.trim()).filter((t) => t.length >= 4).sort((a, b) => b.length - a.length);
  const withoutSecrets = (problems: PlanProblem[]): PlanProblem[] =>
    problems.map((p) => ({ ...p, place: hide(p.place, secretTexts), message: hide(p.message, secretTexts) }));

  if (root === null || root === undefined) throw new PlanError([{ line: 1, place: '(top level)', message: 'the file is empty; it needs at least components or database' }], source);
  if (!isObject(root)) throw new PlanError([...reader.problems, { line: 1, place: '(top level)', message: 'must be a mapping with components, database, verify, …' }], source);
  for (const key of Object.keys(root)) {
    if (TOP_FIELDS.includes(key)) continue;
    const guess = closest(key, TOP_FIELDS);
    reader.problem([], `unknown top-level field${guess ? ` (did you mean "${guess}"?)` : ''}; known fields: ${TOP_FIELDS.join(', ')}`, key);
  }
  // `database:` with nothing under it reads as null, which would mean "no database" while
  // `database: {}` means one with every default: a half-written section must not quietly drop out.
  for (const [key, fields] of [['database', 'method, migrations-dir'], ['verify', 'base-url, checks']] as const) {
    if (key in root && root[key] === null) reader.problem([], `is empty; give its fields (${fields}, …), write ${key}: {} for every default, or remove the key`, key);
  }

  const top = reader.section(
    { 'budget-minutes': root['budget-minutes'], environment: root.environment },
    [],
    { 'budget-minutes': num(MIN_BUDGET_MINUTES, MAX_BUDGET_MINUTES), environment: STRING },
  );
  const components = readComponents(reader, root.components);
  const database = readDatabase(reader, root.database);
  if (database?.migrationsDir) database.migrationsDirName = fileKey('database.migrations-dir', source);
  const verify = root.verify === undefined || root.verify === null ? undefined : readVerify(reader.section(root.verify, ['verify'], VERIFY_FIELDS, NOT_IN_VERIFY));
  if (verify?.checksFile) verify.checksFileName = fileKey('verify.checks-file', source);
  const incident = reader.section(root.incident, ['incident'], { labels: { type: 'list' } });
  if (!components.length && !database) reader.problem([], 'the plan names no components and no database, so there is nothing to roll back');
  if (reader.problems.length) throw new PlanError(sortProblems(withoutSecrets(reader.problems)), source);
  return {
    source,
    environment: str(top, 'environment') ?? 'production',
    budgetMinutes: n(top, 'budget-minutes') ?? RUNBOOK_MINUTES,
    components,
    database,
    verify,
    labels: (incident.get('labels') as string[] | undefined) ?? ['incident', 'rollback'],
  };
}

/** `text` with every one of `secrets` (longest first) cut out. */
function hide(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

function sortProblems(problems: PlanProblem[]): PlanProblem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function readComponents(reader: Reader, raw: unknown): ComponentPlan[] {
  if (raw === undefined || raw === null) return [];
  if (!isObject(raw)) {
    reader.problem(['components'], 'must be a mapping of component names to their settings (web: { provider: vercel, project: … })');
    return [];
  }
  const out: ComponentPlan[] = [];
  for (const [name, body] of Object.entries(raw)) {
    const path = ['components', name];
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) reader.problem(['components'], 'a component name may hold only letters, digits, - and _', name);
    else if (RESERVED_NAMES.includes(name.toLowerCase())) reader.problem(['components'], `"${name}" is a scope word (${RESERVED_NAMES.join(', ')}); call the component something else`, name);
    const fields = reader.section(body, path, COMPONENT_FIELDS, NOT_IN_COMPONENTS);
    const provider = str(fields, 'provider');
    if (!isObject(body)) continue;
    if (!provider) {
      if (!('provider' in body)) reader.problem(path, `provider is required (${PROVIDERS.join(', ')})`);
      continue;
    }
    const p = provider as Provider;
    const component: ComponentPlan = {
      name,
      provider: p,
      project: str(fields, 'project'),
      team: str(fields, 'team'),
      target: str(fields, 'target') ?? 'previous',
      from: str(fields, 'from'),
      method: (str(fields, 'method') as ComponentPlan['method']) ?? 'rollback',
      apiUrl: str(fields, 'api-url') ?? defaultApiUrl(p) ?? '',
      timeoutSeconds: n(fields, 'timeout-seconds') ?? 180,
      command: str(fields, 'command'),
      verifyCommand: str(fields, 'verify-command'),
      app: str(fields, 'app'),
      machinesApiUrl: str(fields, 'machines-api-url'),
      registryUrl: str(fields, 'registry-url'),
      environment: str(fields, 'environment'),
      service: str(fields, 'service'),
      site: str(fields, 'site'),
    };
    const own = PROVIDER_FIELDS[p];
    for (const [key, what] of own.required) if (!fields.has(key)) reader.problem(path, `${key} is required for provider ${p} (${what})`);
    const allowed = new Set([...COMMON_COMPONENT_FIELDS, ...own.required.map(([key]) => key), ...own.optional]);
    for (const key of fields.keys()) if (!allowed.has(key)) reader.problem(path, `not a field of provider ${p}`, key);
    out.push(component);
  }
  return out;
}

// A restore reads no tracking table and runs no down statement: such a setting would be read by nobody.
export const downMigrationsOnly = (key: string) => `${key} is for method down-migrations (run-down-migrations' input); a restore does not read it`;

/**
 * What is wrong with a migrations-table setting under this method: the one rule for the plan key
 * and the root action's input, so neither takes what the other refuses.
 */
export function migrationsTableProblems(table: string | undefined, method: string): string[] {
  if (table === undefined) return [];
  const problems: string[] = [];
  if (!isTableOption(table)) problems.push('must be table or schema.table, as the migration tool takes it');
  if (method === 'restore') problems.push(downMigrationsOnly('migrations-table'));
  return problems;
}

function readDatabase(reader: Reader, raw: unknown): DatabasePlan | undefined {
  if (raw === undefined || raw === null) return undefined;
  const fields = reader.section(raw, ['database'], DATABASE_FIELDS, NOT_IN_DATABASE);
  const steps = n(fields, 'steps');
  const toVersion = str(fields, 'to-version');
  const sinceRef = str(fields, 'since-ref');
  const method = (str(fields, 'method') as DatabasePlan['method']) ?? 'down-migrations';
  const given = [steps !== undefined && 'steps', toVersion && 'to-version', sinceRef && 'since-ref'].filter(Boolean) as string[];
  if (given.length > 1) reader.problem(['database'], `${given.join(' and ')} conflict: give exactly one of steps, to-version and since-ref`);
  if (method === 'restore' && given.length) reader.problem(['database'], `${given.join(', ')} select migrations to revert, but method is restore`);
  if (method === 'down-migrations' && fields.has('snapshot-path')) reader.problem(['database'], 'snapshot-path is for method restore; down migrations use the snapshot the rollback takes', 'snapshot-path');
  const table = str(fields, 'migrations-table');
  for (const problem of migrationsTableProblems(table, method)) reader.problem(['database'], problem, 'migrations-table');
  if (method === 'restore' && fields.has('statement-timeout-seconds')) reader.problem(['database'], downMigrationsOnly('statement-timeout-seconds'), 'statement-timeout-seconds');
  return {
    method,
    migrationsDir: str(fields, 'migrations-dir'),
    format: (str(fields, 'format') as DatabasePlan['format']) ?? 'auto',
    choice: steps !== undefined ? { steps } : toVersion ? { toVersion } : sinceRef ? { sinceRef } : undefined,
    snapshotPath: str(fields, 'snapshot-path'),
    lockTimeoutSeconds: n(fields, 'lock-timeout-seconds') ?? 10,
    migrationsTable: str(fields, 'migrations-table'),
    statementTimeoutSeconds: n(fields, 'statement-timeout-seconds'),
  };
}

function readVerify(fields: Map<string, string | number | string[]>): VerifyPlan {
  return {
    baseUrl: str(fields, 'base-url'),
    checks: str(fields, 'checks'),
    checksFile: str(fields, 'checks-file'),
    attempts: n(fields, 'attempts') ?? 3,
    intervalSeconds: n(fields, 'interval-seconds') ?? 5,
    backoff: str(fields, 'backoff') as Backoff | undefined,
    timeoutSeconds: n(fields, 'timeout-seconds') ?? 10,
    samples: n(fields, 'samples') ?? 1,
    maxErrorRate: n(fields, 'max-error-rate') ?? 5,
    maxP95Ms: n(fields, 'max-p95-ms') ?? 3000,
    deadlineSeconds: n(fields, 'deadline-seconds') ?? 90,
  };
}

/** The verify section's defaults, for a plan whose checks come from inputs. */
export const defaultVerify = (): VerifyPlan => readVerify(new Map());
