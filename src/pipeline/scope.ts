/**
 * What `scope` selects: `app` (every component: the default, so a database change stays a
 * deliberate choice), `db` (the database only), `full` (both), `verify` (nothing: verify and report), `incident` (nothing: only name the
 * incident, for a later job), or a comma list of component names and `database`. A frontend-and-backend runbook's frontend | backend | database | full maps onto this directly.
 */
import { RollbackKitError } from '../core/errors.js';
import { parseList } from '../core/parse.js';
import type { RollbackPlan } from './plan-file.js';

export const DATABASE = 'database';
/**
 * `verify`: roll nothing back, only verify and report: the last job of a rollback split across
 * jobs (app, then the database behind reviewers), appending to the earlier jobs' timeline. It
 * selects no component, so an empty scope means "verify only".
 */
export const VERIFY_ONLY = 'verify';
/**
 * `incident`: roll nothing back and verify nothing, only ask the platforms (read only) which
 * deployment names the incident, for a later job that cannot ask (rollback.yml's incident job, for
 * its database job, which holds no platform token: the action's incident-from output). Only the
 * root action knows it (`incidentLookup`); it selects no component, as verify does.
 */
export const INCIDENT_ONLY = 'incident';

/** What a plan made from inputs without a component lacks, in the words of resolvePlan's "nothing to roll back". */
const NO_COMPONENT = 'no component (provider, project or command) was given, only the database';
const ADD_THE_APP = 'Set the single-component inputs (provider, project or command) for the app, or add a rollback-kit.yml that describes it; to roll back the database alone, use scope: db.';

/** Whether a scope input is `incident` (INCIDENT_ONLY); selectScope refuses it mixed with other names. */
export const namesIncidentOnly = (raw: string | undefined): boolean => parseList(raw ?? '').some((w) => w.trim().toLowerCase() === INCIDENT_ONLY);

/** The component names and/or "database" this run rolls back, in plan order. */
export function selectScope(plan: RollbackPlan, raw: string | undefined, opts: { incidentLookup?: boolean } = {}): string[] {
  const names = plan.components.map((c) => c.name);
  const words = parseList(raw ?? '').map((w) => w.trim());
  // A plan's component may be called incident (the word was not reserved before): the command line
  // still selects it by name; the root action refuses it rather than roll it back or change nothing.
  const component = names.find((n) => n.toLowerCase() === INCIDENT_ONLY);
  if (component && opts.incidentLookup) {
    throw new RollbackKitError(`Input scope incident means the incident look-up only (rollback.yml's incident job), and the rollback plan (${plan.source}) has a component called "${component}": which one is meant is not clear, so nothing was done.`, `Select that component with scope app or full, or call it something else.`);
  }
  if (namesIncidentOnly(raw) && !component) {
    if (words.length > 1) throw new RollbackKitError(`Input scope "${raw}" mixes incident with other names; incident rolls nothing back, so it stands alone.`, 'Use scope: incident in a job that only names the incident for a later database job, or list only what to roll back.');
    if (!opts.incidentLookup) throw new RollbackKitError('Scope incident is the root action\'s (rollback.yml\'s incident job): it only names the incident for a later job, which the command line has no use for.', 'Give from (the bad deployment\'s id) to name the incident, and a scope of what to roll back.');
    return [];
  }
  if (words.some((w) => w.toLowerCase() === VERIFY_ONLY)) {
    if (words.length > 1) throw new RollbackKitError(`Input scope "${raw}" mixes verify with other names; verify rolls nothing back, so it stands alone.`, 'Use scope: verify in a final job, or list only what to roll back.');
    return [];
  }
  const wanted = new Set<string>();
  const unknown: string[] = [];
  for (const word of words.length ? words : ['app']) {
    const lower = word.toLowerCase();
    if (lower === 'app') names.forEach((n) => wanted.add(n));
    else if (lower === 'db' || lower === DATABASE) wanted.add(DATABASE);
    else if (lower === 'full') [...names, DATABASE].forEach((n) => wanted.add(n));
    else if (names.includes(word)) wanted.add(word);
    else unknown.push(word);
  }
  const valid = `app, db, full, verify, ${[...names, DATABASE].join(', ')}`;
  if (unknown.length) {
    throw new RollbackKitError(`Input scope names ${unknown.map((u) => `"${u}"`).join(', ')}, which the rollback plan (${plan.source}) does not have; valid: ${valid}.`, 'Give one of them, or several separated by commas.');
  }
  if (wanted.has(DATABASE) && !plan.database) {
    throw new RollbackKitError(`Input scope includes the database, but the rollback plan (${plan.source}) has none.`, 'Add a database section to rollback-kit.yml, or set database-url (and migrations-dir / steps) as inputs.');
  }
  // A plan made from inputs with no component holds the database only: the person named a
  // database and no app (a forgotten project, say), which a plan file that describes only a database
  // does on purpose. Said as what is missing, not as the scope (which they may never have given).
  const noAppGiven = plan.source === 'inputs' && !names.length;
  if (noAppGiven && words.some((w) => w.toLowerCase() === 'full')) {
    // full promises the app, then the database: the database alone would run down migrations under
    // an app nobody rolled back, and end "complete". scope db says that is meant.
    throw new RollbackKitError(`Scope full rolls back the app, then the database, but the rollback plan (inputs) has no app: ${NO_COMPONENT}. Nothing was changed.`, ADD_THE_APP);
  }
  if (!wanted.size) {
    const which = raw === undefined ? 'Scope app, the default (every component),' : `Input scope "${raw}"`;
    if (noAppGiven) throw new RollbackKitError(`${which} selects nothing: the rollback plan (inputs) has no app (${NO_COMPONENT}).`, ADD_THE_APP);
    throw new RollbackKitError(`${which} selects nothing: the rollback plan (${plan.source}) has no components.`, `Valid: ${valid}; for the database alone use scope: db.`);
  }
  return [...names.filter((n) => wanted.has(n)), ...(wanted.has(DATABASE) ? [DATABASE] : [])];
}
