/** `rollback-kit plan`: the rollback plan as the whole rollback would read it; nothing is contacted. */
import { readRollbackPlan } from '../../pipeline/plan-source.js';
import type { Choice } from '../../migrations/revert.js';
import type { CommandSpec } from '../command.js';

export const plan: CommandSpec = {
  name: 'plan',
  summary: 'Check the rollback plan (rollback-kit.yml and flags) and show what a rollback would cover; contacts nothing',
  examples: ['rollback-kit plan', 'rollback-kit plan --scope full --config ops/rollback-kit.yml', 'rollback-kit plan --json'],
  async run(cli) {
    const hasDatabaseUrl = Boolean(cli.secret('database-url'));
    const { plan, scope } = await readRollbackPlan(cli.inputs, cli.cwd, { hasDatabaseUrl });
    cli.ownNames(plan.components.map((c) => c.name));
    cli.begin();
    const t = cli.term;
    t.say(`Plan ${plan.source === 'inputs' ? 'from the flags' : plan.source}: environment ${plan.environment}, budget ${plan.budgetMinutes} min; scope ${scope.join(', ')}`);
    t.table(
      ['component', 'provider', 'where', 'puts back'],
      plan.components.map((c) => [c.name, c.provider, c.project ?? c.app ?? c.service ?? c.site ?? c.command ?? '', c.target]),
    );
    if (plan.database) {
      const db = plan.database;
      const which = db.method === 'restore' ? `restore ${db.snapshotPath ?? '(no snapshot-path yet)'}` : db.choice ? choiceText(db.choice) : 'no choice yet (steps, to-version or since-ref)';
      const format = db.format === 'auto' ? 'format detected when it runs' : db.format;
      t.say(`database: ${db.method}, ${format}${db.migrationsDir ? ` in ${db.migrationsDir}` : ''}: ${which}${hasDatabaseUrl ? '' : ' (no --database-url given and DATABASE_URL is not set)'}`);
    }
    t.say(plan.verify ? `verify: ${plan.verify.baseUrl ?? 'no base-url'}, ${plan.verify.checksFile ? `checks in ${plan.verify.checksFile}` : 'inline checks'}` : 'verify: none configured (production would not be checked afterwards)');
    return { ok: true, status: 'ok', plan, scope };
  },
};

/** Which migrations the plan reverts, for a person (--json keeps the plan's own object for scripts). */
export function choiceText(choice: Choice): string {
  if ('steps' in choice) return `revert the newest ${choice.steps === 1 ? 'migration' : `${choice.steps} migrations`}`;
  if ('toVersion' in choice) return `revert every migration newer than version ${choice.toVersion}`;
  if ('sinceRef' in choice) return `revert every migration added since git ref ${choice.sinceRef}`;
  return `finish the plan an earlier run recorded (revert ${choice.recorded.planned.join(', ')})`;
}
