/**
 * `rollback-kit plan`: the rollback plan as the whole rollback would read it, checked as far as can
 * be without contacting anything (the checks parse, the tokens and the files it names are there);
 * every problem is listed at once, exit 2.
 */
import { TOKEN_ENV } from '../../core/secret-input.js';
import { checkPlanOffline } from '../../pipeline/plan-check.js';
import { readRollbackPlan } from '../../pipeline/plan-source.js';
import { DATABASE } from '../../pipeline/scope.js';
import type { Choice } from '../../migrations/revert.js';
import type { Check } from '../../smoke/spec.js';
import { displayUrl } from '../../core/url-secrets.js';
import type { CommandSpec } from '../command.js';
import { UsageError } from '../context.js';
import { PROVIDER_TOKEN } from './rollback.js';
import { checksFileAsNamed } from '../named-files.js';

export const plan: CommandSpec = {
  name: 'plan',
  summary: 'Check the rollback plan (rollback-kit.yml and flags) and show what a rollback would cover; contacts nothing',
  examples: ['rollback-kit plan', 'rollback-kit plan --scope full --config ops/rollback-kit.yml', 'rollback-kit plan --json'],
  async run(cli) {
    const hasDatabaseUrl = Boolean(cli.secret('database-url'));
    const { plan, scope } = await readRollbackPlan(cli.inputs, cli.cwd, { hasDatabaseUrl });
    checksFileAsNamed(plan);
    cli.ownNames(plan.components.map((c) => c.name));
    // Secrets registered before anything is printed, problems or plan.
    const { problems, checks } = await checkPlanOffline(plan, scope, cli.cwd, cli.log);
    for (const c of plan.components) {
      const token = PROVIDER_TOKEN[c.provider];
      if (token && scope.includes(c.name) && !cli.secret(token)) problems.push(`${c.name}: ${TOKEN_ENV[token]} is not set and --${token} was not given (provider ${c.provider} needs it).`);
    }
    if (plan.database && scope.includes(DATABASE) && !hasDatabaseUrl) problems.push('The scope includes the database, but --database-url was not given and DATABASE_URL is not set.');
    if (problems.length) {
      throw new UsageError(
        `The plan has ${problems.length} problem${problems.length === 1 ? '' : 's'}, so a rollback would stop before it starts:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix ${problems.length === 1 ? 'it' : 'them'} and run rollback-kit plan again.`);
    }
    cli.begin();
    const t = cli.term;
    t.say(`Plan ${plan.source === 'inputs' ? 'from the flags' : plan.source}: environment ${plan.environment}, budget ${plan.budgetMinutes} min; scope ${scope.join(', ')}`);
    // Only what the scope covers, as the rollback reads it: a component out of scope is not touched, and said so.
    const inScope = plan.components.filter((c) => scope.includes(c.name));
    const notInScope = [...plan.components.filter((c) => !scope.includes(c.name)).map((c) => c.name), ...(plan.database && !scope.includes(DATABASE) ? [DATABASE] : [])];
    if (inScope.length) {
      t.table(
        ['component', 'provider', 'where', 'puts back'],
        inScope.map((c) => [c.name, c.provider, c.project ?? c.app ?? c.service ?? c.site ?? c.command ?? '', c.target]),
      );
    }
    if (notInScope.length) t.say(`not rolled back (outside the scope): ${notInScope.join(', ')}`);
    // With scope app the rollback leaves the database alone (named above as not in scope).
    if (plan.database && scope.includes(DATABASE)) {
      const db = plan.database;
      const which = db.method === 'restore' ? `restore ${db.snapshotPath ?? '(no snapshot-path yet)'}` : db.choice ? choiceText(db.choice) : 'no choice yet (steps, to-version or since-ref)';
      const format = db.format === 'auto' ? 'format detected when it runs' : db.format;
      t.say(`database: ${db.method}, ${format}${db.migrationsDir ? ` in ${db.migrationsDir}` : ''}: ${which}${hasDatabaseUrl ? '' : ' (no --database-url given and DATABASE_URL is not set)'}`);
    }
    if (plan.verify) {
      t.say(`verify: ${plan.verify.baseUrl ? displayUrl(plan.verify.baseUrl) : 'no base-url'}, ${checks.length} check(s) ${plan.verify.checksFile ? `from ${plan.verify.checksFile}` : 'given inline'}:`);
      t.table(['check', 'kind', 'critical', 'what'], checks.map((c) => [c.name, c.kind, c.critical ? 'yes' : 'no', checkTarget(c)]));
    } else t.say('verify: none configured (production would not be checked afterwards)');
    return { ok: true, status: 'ok', plan, scope, notInScope, checks: checks.map((c) => ({ name: c.name, kind: c.kind, critical: c.critical, what: checkTarget(c) })) };
  },
};

/** What a check measures, in one cell: the URL (secrets masked) or that it is SQL. */
function checkTarget(c: Check): string {
  return c.kind === 'http' ? displayUrl(c.url) : 'a read-only SQL query';
}

/** Which migrations the plan reverts, for a person (--json keeps the plan's own object for scripts). */
export function choiceText(choice: Choice): string {
  if ('steps' in choice) return `revert the newest ${choice.steps === 1 ? 'migration' : `${choice.steps} migrations`}`;
  if ('toVersion' in choice) return `revert every migration newer than version ${choice.toVersion}`;
  if ('sinceRef' in choice) return `revert every migration added since git ref ${choice.sinceRef}`;
  return `finish the plan an earlier run recorded (revert ${choice.recorded.planned.join(', ')})`;
}
