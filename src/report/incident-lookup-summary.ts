/**
 * What scope incident (rollback.yml's incident job) says, in its log and its job summary: only
 * which deployment names the incident of a database rollback, for the database job. Nothing of an
 * app rollback's plan (no from → to table, no "run again with dry-run false"): the on-call who
 * chose scope db must not read this job as an app rollback to make.
 */
import type { IncidentLookup } from '../pipeline/rollback.js';
import { codeSpan, inlineText } from './markdown.js';

/** The words around the from (`from` empty: nothing names it by a deployment, said as a notice). */
function words(found: IncidentLookup): { before: string; after: string } {
  if (found.from) {
    const how = 'asked' in found ? `as ${found.asked} said` : 'as from in the rollback plan says';
    return { before: 'Named the incident of this database rollback by ', after: ` (read only; nothing was changed), ${how}, for the database job: every run of this database rollback, and its full rollback, are one incident.` };
  }
  const why = 'cannot' in found ? found.cannot : 'no deployment was found that names it';
  return {
    before: `The incident of this database rollback is not named by a deployment (read only; nothing was changed): ${why.replace(/\.$/, '')}. The database job names it by the workflow run, so a new workflow run is a new incident; give from (the bad deployment's id) to avoid that.`,
    after: '',
  };
}

/** The line the log says; `notice`: nothing names the incident by a deployment, which the job annotates. */
export function incidentLookupLine(found: IncidentLookup): { line: string; notice: boolean } {
  const { before, after } = words(found);
  return { line: `${before}${found.from}${after}`, notice: !found.from };
}

/** The job summary: the same words, the from as code. */
export function incidentLookupMarkdown(found: IncidentLookup, environment: string): string {
  const { before, after } = words(found);
  const said = found.from ? `${inlineText(before)}${codeSpan(found.from)}${inlineText(after)}` : inlineText(before);
  const handed = found.from ? `\n\nThe database job is handed it as its from (output incident-from).` : '';
  return `## 🔎 Incident of the database rollback (${inlineText(environment)})\n\n${said}${handed}\n`;
}
