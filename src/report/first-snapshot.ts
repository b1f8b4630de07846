/**
 * A re-run's other snapshot: the one the incident's first run took before the rollback began, as
 * the incident's ledger row records it (record.ts FirstSnapshotRecord), which alone holds the
 * database as it was before. Said once here, as a title and labelled facts, for every written
 * report: the job summary (rollback-summary.ts) as a table, the incident issue (incident.ts) and
 * the HTML report (html.ts) as a line, each formatting the facts its own way (markdown, HTML).
 */
import type { FirstSnapshotRecord } from '../pipeline/record.js';
import { codeSpan, linkText } from './markdown.js';

export const FIRST_SNAPSHOT_TITLE = "Snapshot taken before the rollback began (this incident's first run)";

/**
 * One fact of it, in plain words. `as`: outside text shown as code (a path, an artifact, a checksum)
 * or as a link (the workflow run), or `words`, this module's own, shown as they are (in HTML,
 * escaped); `warn`: the one a reader must not miss (the file is gone with the first job).
 */
export interface SnapshotFact {
  label: string;
  value: string;
  as: 'code' | 'link' | 'words';
  warn?: true;
}

/** What the reports say of the incident's first snapshot, in this order. */
export function firstSnapshotFacts(first: FirstSnapshotRecord): SnapshotFact[] {
  if (!first.path) {
    return [{ label: 'Path', value: "not recorded in rollback_kit.rollbacks (a row an earlier version wrote, or a table without the first_snapshot column): see the first run's output", as: 'words' }];
  }
  const artifact: SnapshotFact = first.artifact
    ? { label: 'Artifact', value: first.artifact, as: 'code' }
    : first.deletedWithJob
      ? { label: 'Artifact', value: "not uploaded: on the first job's runner only, gone with that job unless a step of it kept it", as: 'words', warn: true }
      : { label: 'Artifact', value: 'not uploaded', as: 'words' };
  return [
    { label: 'Path', value: first.path, as: 'code' },
    artifact,
    ...(first.runUrl ? [{ label: 'Workflow run', value: first.runUrl, as: 'link' } as const] : []),
    ...(first.sha256 ? [{ label: 'sha256', value: first.sha256, as: 'code' } as const] : []),
  ];
}

/** The facts as one line ("Path: …; Artifact: …"), each value as `format` writes it and each label as `label` does (HTML: escaped). */
export function factsLine(facts: SnapshotFact[], format: (fact: SnapshotFact) => string, label: (text: string) => string = (text) => text): string {
  return facts.map((f) => `${label(f.label)}: ${format(f)}`).join('; ');
}

/** A fact's value in markdown (the job summary, the incident issue). */
export function factMarkdown(fact: SnapshotFact): string {
  const value = fact.as === 'code' ? codeSpan(fact.value) : fact.as === 'link' ? linkText(fact.value) : fact.value;
  return fact.warn ? `**${value}**` : value;
}
