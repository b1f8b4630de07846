/**
 * The rollback's timeline: one row per phase (per component in `app`), timed against its budget.
 * A rollback split across jobs hands the `timeline` output of one job to the next, which reads it
 * back here (validated: it crosses a job boundary as text anyone could have edited) and appends.
 */
import { formatDuration } from '../core/duration.js';
import { RollbackKitError } from '../core/errors.js';
import { clip } from '../core/secrets.js';
import { PHASES, type DeploymentRef, type EarlierMove, type PhaseName, type PhaseStatus, type RollbackRecord, type TimelineEntry } from './record.js';

const STATUSES: readonly PhaseStatus[] = ['ok', 'failed', 'skipped', 'warning', 'nothing-to-do', 'dry-run'];
/** A whole rollback has nine phases and a few components per job; more rows than this is not a timeline. */
const MAX_ENTRIES = 500;
const MAX_TEXT = 1000;
/** A deployment's name in a row (an id, a commit, a URL). */
const MAX_REF = 300;

/** How a row and the `components` output name a deployment: its id, else its commit, else its URL. */
export function deploymentName(d: DeploymentRef | undefined): string | undefined {
  return d?.id ?? d?.commitSha ?? d?.url;
}

/**
 * What a row may say beside its detail (a stop; for an app row that went live, from where to where
 * and what it froze), in the order a row carries them, each with what it holds: `true` only, a
 * deployment's name (MAX_REF), or a text (MAX_TEXT). The one list the rows are written from
 * (Timeline) and read back from (parseTimeline); the README's and action.yml's `timeline` say the same.
 */
const ROW_FACTS = {
  stopped: 'flag',
  from: 'ref',
  to: 'ref',
  'auto-assign-off': 'flag',
  frozen: 'text',
  undo: 'text',
  'from-follows-production': 'flag',
} as const satisfies { [K in OptionalRowField]: 'flag' | 'ref' | 'text' };

/** The optional fields of a row besides its component: every one of them is in ROW_FACTS. */
type OptionalRowField = Exclude<{ [K in keyof TimelineEntry]-?: object extends Pick<TimelineEntry, K> ? K : never }[keyof TimelineEntry], 'component'>;

/** What a row says beside its detail: a stop, and for an app row that went live, from where to where. */
export type RowFacts = Pick<TimelineEntry, keyof typeof ROW_FACTS>;

/** Every field of a row, in the order a row carries them, `?` on those a row may leave out: public interface (the `timeline` output). */
export const TIMELINE_FIELDS: readonly string[] = ['phase', 'component?', 'started', 'duration-ms', 'budget-ms', 'status', 'detail', ...Object.keys(ROW_FACTS).map((k) => `${k}?`)];

/**
 * The facts of `source` as a row carries them: flags when true, texts when not empty, each through
 * `clean` (a row read back is redacted and cut to its kind's length); `undo` only beside a `frozen`.
 */
function rowFacts(source: Partial<Record<keyof RowFacts, unknown>> | undefined, clean: (text: string, max: number) => string = (text) => text): RowFacts {
  const facts: Record<string, unknown> = {};
  if (!source) return facts;
  for (const [key, kind] of Object.entries(ROW_FACTS) as [keyof RowFacts, (typeof ROW_FACTS)[keyof RowFacts]][]) {
    const value = source[key];
    if (key === 'undo' && !facts.frozen) continue;
    if (kind === 'flag') {
      if (value === true) facts[key] = true;
    } else if (typeof value === 'string' && value) facts[key] = clean(value, kind === 'ref' ? MAX_REF : MAX_TEXT);
  }
  return facts;
}

export class Timeline<P extends string = PhaseName> {
  readonly entries: TimelineEntry<P>[];

  constructor(
    private readonly budgets: { phase(name: P): number },
    earlier: TimelineEntry<P>[] = [],
    private readonly onEntry: (entry: TimelineEntry<P>) => void = () => undefined,
    private readonly now: () => number = Date.now,
    private readonly onStart: (phase: P, component?: string) => void = () => undefined,
  ) {
    this.entries = [...earlier];
  }

  /** Starts timing a phase; `end` records its row (and returns it). */
  start(phase: P, component?: string): { end(status: PhaseStatus, detail: string, facts?: RowFacts): TimelineEntry<P> } {
    const started = this.now();
    this.onStart(phase, component);
    return {
      end: (status, detail, facts) => {
        const entry: TimelineEntry<P> = {
          phase,
          ...(component !== undefined ? { component } : {}),
          started: new Date(started).toISOString(),
          'duration-ms': Math.max(0, Math.round(this.now() - started)),
          'budget-ms': this.budgets.phase(phase),
          status,
          detail,
          ...rowFacts(facts),
        };
        this.entries.push(entry);
        this.onEntry(entry);
        return entry;
      },
    };
  }

  /** A phase that did not run: recorded so every report shows why. */
  skip(phase: P, detail: string, component?: string, facts?: RowFacts): TimelineEntry<P> {
    return this.start(phase, component).end('skipped', detail, facts);
  }
}

/** A row as a log line: "[app web] ok in 2 s (budget 3 min 0 s): …"; `tag` ("drill") leads the bracket. */
export function phaseLine<P extends string>(entry: TimelineEntry<P>, tag?: string): string {
  const name = [tag, entry.phase, entry.component].filter(Boolean).join(' ');
  return `[${name}] ${entry.status} in ${formatDuration(entry['duration-ms'])} (budget ${formatDuration(entry['budget-ms'])}): ${entry.detail}`;
}

/**
 * The failed rows that still say how the rollback stands. A failed action phase (plan, app,
 * snapshot, database) always does: what it left undone stays undone. A failed verify only until a
 * later verify ran its checks: that one saw production after more was rolled back, so it speaks for
 * the end state (an app job's unverified verify, then a database job that fixed it).
 */
export function standingFailures<P extends string>(rows: TimelineEntry<P>[]): TimelineEntry<P>[] {
  return rows.filter((e, i) => e.status === 'failed' && (e.phase !== 'verify' || !rows.slice(i + 1).some((later) => later.phase === 'verify' && later.status !== 'skipped')));
}

/**
 * Whether any row says the app or the database was changed: in a split rollback, an earlier job's
 * rows (passed in as the `timeline` input) say what that job already rolled back.
 */
export function changedSomething<P extends string>(rows: TimelineEntry<P>[]): boolean {
  return rows.some((e) => (e.phase === 'app' || e.phase === 'database') && e.status === 'ok');
}

/**
 * Reads the `timeline` input: a JSON array of rows as the `timeline` output writes them. A long
 * detail is cut, after `redact` (this job's secrets), so that no cut halves a secret.
 */
export function parseTimeline(raw: string | undefined, redact: (text: string) => string): TimelineEntry[] {
  const text = (raw ?? '').trim();
  if (!text) return [];
  const fail = (why: string) =>
    new RollbackKitError(`Input timeline is not a rollback timeline: ${why}.`, 'Pass the timeline output of the earlier job unchanged: timeline: ${{ needs.<job>.outputs.timeline }}.');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw fail('it is not valid JSON');
  }
  if (!Array.isArray(data)) throw fail('it must be a JSON array of rows');
  if (data.length > MAX_ENTRIES) throw fail(`it has ${data.length} rows, more than ${MAX_ENTRIES}`);
  return data.map((row: unknown, i) => {
    const at = `row ${i + 1}`;
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw fail(`${at} is not an object`);
    const r = row as Record<string, unknown>;
    if (!PHASES.includes(r.phase as PhaseName)) throw fail(`${at}: phase must be one of ${PHASES.join(', ')}`);
    if (!STATUSES.includes(r.status as PhaseStatus)) throw fail(`${at}: status must be one of ${STATUSES.join(', ')}`);
    if (typeof r.started !== 'string' || Number.isNaN(Date.parse(r.started))) throw fail(`${at}: started must be an ISO time`);
    for (const k of ['duration-ms', 'budget-ms']) {
      if (typeof r[k] !== 'number' || !Number.isFinite(r[k]) || (r[k] as number) < 0) throw fail(`${at}: ${k} must be a number of milliseconds`);
    }
    if (r.component !== undefined && (typeof r.component !== 'string' || r.component.length > 100)) throw fail(`${at}: component must be a short text`);
    if (typeof r.detail !== 'string') throw fail(`${at}: detail must be text`);
    for (const [k, kind] of Object.entries(ROW_FACTS)) {
      if (r[k] === undefined) continue;
      if (kind === 'flag' && r[k] !== true) throw fail(`${at}: ${k} must be true when given`);
      if (kind !== 'flag' && typeof r[k] !== 'string') throw fail(`${at}: ${k} must be text when given`);
    }
    return {
      phase: r.phase as PhaseName,
      ...(r.component !== undefined ? { component: r.component as string } : {}),
      started: new Date(r.started).toISOString(),
      'duration-ms': r['duration-ms'] as number,
      'budget-ms': r['budget-ms'] as number,
      status: r.status as PhaseStatus,
      detail: clip(redact(r.detail), MAX_TEXT),
      ...rowFacts(r, (text, max) => clip(redact(text), max)),
    };
  });
}

/**
 * Where earlier jobs of this rollback put each component, from their app rows that went live (the
 * last one of a component wins: a re-run's). Rows an earlier version wrote carry no `to`: left out.
 */
export function earlierMoves(rows: TimelineEntry[]): EarlierMove[] {
  const moves = new Map<string, EarlierMove>();
  for (const e of rows) {
    if (e.phase !== 'app' || e.status !== 'ok' || !e.component || !e.to) continue;
    moves.set(e.component, {
      name: e.component,
      ...(e.from ? { from: e.from } : {}),
      to: e.to,
      ...(e['auto-assign-off'] ? { autoAssignOff: true as const } : {}),
      ...(e.frozen ? { frozen: { what: e.frozen, ...(e.undo ? { undo: e.undo } : {}) } } : {}),
    });
  }
  return [...moves.values()];
}

/**
 * What the earlier jobs' app rows say each component was rolled back from, by that job or by the
 * rollback it found already made (the last row of a component with a `from` wins: a re-run's), for a
 * later job to name the incident as they did (rollback.ts keyFacts).
 */
export function earlierFroms(rows: TimelineEntry[]): Map<string, Pick<TimelineEntry, 'from' | 'from-follows-production'>> {
  const froms = new Map<string, Pick<TimelineEntry, 'from' | 'from-follows-production'>>();
  for (const e of rows) {
    if (e.phase !== 'app' || !e.component || !e.from || e.status === 'failed') continue;
    froms.set(e.component, { from: e.from, ...(e['from-follows-production'] ? { 'from-follows-production': true as const } : {}) });
  }
  return froms;
}

/**
 * Whether the phase the run failed in was ended by a stop (its rows say so: Ctrl-C, a cancelled job),
 * not by a fault: its words say "stopped in", and its next step is to run again, with nothing to fix.
 */
export function stoppedIn(record: RollbackRecord): boolean {
  if (!record.failedPhase) return false;
  const rows = record.timeline.filter((e) => e.phase === record.failedPhase && e.status === 'failed');
  return rows.length > 0 && rows.every((e) => e.stopped);
}
