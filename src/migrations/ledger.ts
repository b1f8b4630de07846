/**
 * rollback_kit.rollbacks: what a rollback already did to a database, one row per key, kept in that
 * database. It lives beside the data it describes because that is the one place every later run
 * (a re-run, the next job, a second run started at the same time) is sure to reach, and it changes
 * in the same place as the migrations' own tracking table. The whole rollback keys it by incident
 * (pipeline/ledger.ts); run-down-migrations by workflow run and step (rerun.ts).
 */
import type { Session } from '../db/session.js';
import { ensureTable, type OwnTable } from './own-tables.js';

const ROLLBACKS: OwnTable = {
  name: 'rollback_kit.rollbacks',
  definition: `incident_key text PRIMARY KEY, method text NOT NULL, keep_version text,
       planned text[] NOT NULL DEFAULT '{}', reverted text[] NOT NULL DEFAULT '{}', status text NOT NULL,
       started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), kept text[] NOT NULL DEFAULT '{}'`,
  added: { kept: "text[] NOT NULL DEFAULT '{}'" },
};

export interface LedgerRow {
  incidentKey: string;
  method: string;
  /** The newest migration the plan keeps, when it reverts only newer ones (for the record). */
  keepVersion?: string;
  /** The plan, newest first: what a later run finishes, reading from the tracking table what is left of it. */
  planned: string[];
  /** Applied above the plan's oldest migration when it was made, and kept by it (a since-ref plan): not "applied since". */
  kept?: string[];
  /**
   * What the runs had reverted when they last wrote the row. For the record only: a run killed
   * between a migration's commit and this write leaves it behind the tracking table, which is the truth.
   */
  reverted: string[];
  status: 'started' | 'done';
}

/** The row for `incidentKey`, or undefined (also when the table does not exist yet: read-only). */
export async function readLedger(session: Session, incidentKey: string): Promise<LedgerRow | undefined> {
  const exists = await session.query<{ t: string | null }>(`SELECT to_regclass('rollback_kit.rollbacks')::text AS t`);
  if (!exists.rows[0]?.t) return undefined;
  // kept through to_jsonb: a table an earlier version created has no such column until the next write.
  const r = await session.query<{ incident_key: string; method: string; keep_version: string | null; planned: string[]; kept: string[] | null; reverted: string[]; status: string }>(
    `SELECT incident_key, method, keep_version, planned, ARRAY(SELECT jsonb_array_elements_text(to_jsonb(r) -> 'kept')) AS kept, reverted, status
       FROM rollback_kit.rollbacks r WHERE incident_key = $1`,
    [incidentKey],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    incidentKey: row.incident_key,
    method: row.method,
    keepVersion: row.keep_version ?? undefined,
    planned: row.planned,
    kept: row.kept ?? [],
    reverted: row.reverted,
    status: row.status === 'done' ? 'done' : 'started',
  };
}

export async function writeLedger(session: Session, row: LedgerRow): Promise<void> {
  // Made, or given the columns this version added, only where it lacks them: a role that may write the
  // rows but not own the table (a CI role after a migration role) needs no more (own-tables.ts).
  await ensureTable(session, ROLLBACKS);
  await session.query(
    `INSERT INTO rollback_kit.rollbacks (incident_key, method, keep_version, planned, kept, reverted, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (incident_key) DO UPDATE SET method = $2, keep_version = $3, planned = $4, kept = $5, reverted = $6, status = $7, updated_at = now()`,
    [row.incidentKey, row.method, row.keepVersion ?? null, row.planned, row.kept ?? [], row.reverted, row.status],
  );
}
