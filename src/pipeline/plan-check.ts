/**
 * The checks `rollback-kit plan` makes of a resolved plan without contacting anything: the smoke
 * checks parse as smoke-test parses them (the checks-file exists), the migrations folder exists, a
 * restore's snapshot is on this machine. Every problem is collected, not the first thrown. The
 * plan's secrets (credentials in a check's URL or headers, a query value in an api-url) are
 * registered with the log first, as the rollback registers them before using them, so nothing that
 * prints the plan can show one.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { errorLine } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { registerUrlSecrets } from '../core/url-secrets.js';
import { componentUrls } from '../platforms/component-urls.js';
import { resolveMigrationsDir } from '../migrations/registry.js';
import { registerSpecSecrets } from '../smoke/sensitive.js';
import { loadChecks, verifySource } from '../smoke/smoke-test.js';
import type { Check } from '../smoke/spec.js';
import type { RollbackPlan } from './plan-file.js';
import { DATABASE } from './scope.js';

export interface OfflinePlanCheck {
  /** One line each, redacted. */
  problems: string[];
  /** The checks the verify phase would run (SQL ones included: the rollback leaves them out only without a database connection). */
  checks: Check[];
}

/** Every URL a plan's components and verify hold, registered as promote and smoke-test register them. */
export function registerPlanSecrets(plan: RollbackPlan, log: Log): void {
  for (const c of plan.components) for (const url of componentUrls(c)) registerUrlSecrets(url, log);
  registerUrlSecrets(plan.verify?.baseUrl, log);
}

export async function checkPlanOffline(plan: RollbackPlan, scope: string[], workspace: string, log: Log): Promise<OfflinePlanCheck> {
  registerPlanSecrets(plan, log);
  const problems: string[] = [];
  const problem = (err: unknown) => problems.push(log.redact(errorLine(err)));
  let checks: Check[] = [];
  if (plan.verify) {
    try {
      checks = await loadChecks(verifySource(plan.verify, workspace), { baseUrl: plan.verify.baseUrl, hasDatabase: true });
      registerSpecSecrets(checks, log);
    } catch (err) {
      problem(err);
    }
  }
  const db = plan.database;
  if (db?.method === 'down-migrations') {
    try {
      resolveMigrationsDir(workspace, db.migrationsDir, db.format, db.migrationsDirName);
    } catch (err) {
      problem(err);
    }
  }
  // The artifact that holds it may still be downloaded: only a rollback of the database needs it here.
  if (db?.method === 'restore' && scope.includes(DATABASE)) {
    if (!db.snapshotPath) problems.push('The database method is restore, but no snapshot-path says which snapshot to restore.');
    else if (!existsSync(resolve(workspace, db.snapshotPath))) problems.push(log.redact(`The snapshot to restore (${db.snapshotPath}) does not exist here: download it first, or check snapshot-path.`));
  }
  return { problems, checks };
}
