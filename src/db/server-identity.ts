/**
 * Which server and database a snapshot came from, and whether a target is that same database. A
 * host name alone cannot tell: localhost and 127.0.0.1 name one server, and two servers can share
 * a database name. PostgreSQL's system identifier (set when the cluster is created, kept by its
 * physical replicas) decides whenever both sides have it.
 */
import type { ConnectionTarget } from './connection.js';
import type { SnapshotManifest } from './manifest.js';
import type { Session } from './session.js';

export interface ServerIdentity {
  host: string;
  port: number;
  database: string;
  /** pg_control_system().system_identifier as text; null when the server does not let us read it. */
  systemIdentifier: string | null;
}

/**
 * The live server's identity. pg_control_system() is executable by every role on a stock server;
 * a managed service may revoke it, and then the comparison falls back to host, port and database.
 */
export async function readServerIdentity(session: Session, target: ConnectionTarget): Promise<ServerIdentity> {
  let systemIdentifier: string | null = null;
  try {
    const r = await session.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
    systemIdentifier = r.rows[0]?.id ?? null;
  } catch {
    systemIdentifier = null;
  }
  return { host: target.host, port: target.port, database: target.database, systemIdentifier };
}

/** `host:port/db (system identifier N)`: how messages name each side; never holds a secret. */
export function describeIdentity(i: ServerIdentity): string {
  const host = i.host.includes(':') ? `[${i.host}]` : i.host;
  return `${host}:${i.port}/${i.database} (system identifier ${i.systemIdentifier ?? 'unknown'})`;
}

/**
 * The snapshot's source as its manifest records it. Manifests written before the server was
 * recorded hold only `target` ("host:port/db"): their identifier is null.
 */
export function snapshotSource(manifest: SnapshotManifest): ServerIdentity {
  const s = manifest.server;
  if (typeof s.host === 'string' && typeof s.port === 'number') {
    return { host: s.host, port: s.port, database: manifest.database, systemIdentifier: s.systemIdentifier ?? null };
  }
  const m = /^(?:\[(.*)\]|([^:]*)):(\d+)\//.exec(manifest.target ?? '');
  return { host: m?.[1] ?? m?.[2] ?? '', port: Number(m?.[3] ?? 0), database: manifest.database, systemIdentifier: null };
}

export interface SourceComparison {
  /** true: the same database; false: another one; the basis says how it was decided. */
  same: boolean;
  /** What decided: the identifiers, or host, port and database when an identifier is missing. */
  basis: 'system-identifier' | 'host-port-database';
  /** One sentence naming both sides. */
  message: string;
}

/** The redactor's mark (core/secrets.ts): where a manifest held text equal to a secret, it reads this. */
const REDACTED = '***';

/**
 * Whether a name the manifest recorded is `actual`. snapshot-db writes the database name and host
 * through the redactor, so where one equals a secret (postgres://postgres:postgres@…/postgres) it
 * reads ***: each *** then stands for some text, and the rest must match exactly.
 */
function recordedAs(recorded: string, actual: string, fold = (s: string) => s): boolean {
  if (!recorded.includes(REDACTED)) return fold(recorded) === fold(actual);
  // A scan, not a pattern built from the manifest's text: a long name would pass a regular
  // expression's size limit, whose error quotes it.
  const parts = recorded.split(REDACTED).map(fold);
  const text = fold(actual);
  const head = parts[0]!;
  const tail = parts[parts.length - 1]!;
  if (!text.startsWith(head)) return false;
  // Each *** stands for one character or more; each part in between goes where it is first found.
  let at = head.length;
  for (const part of parts.slice(1, -1)) {
    const found = text.indexOf(part, at + 1);
    if (found === -1) return false;
    at = found + part.length;
  }
  return text.length - tail.length >= at + 1 && text.endsWith(tail);
}

function sameHost(recorded: string, actual: string): boolean {
  return recordedAs(recorded, actual, (s) => s.toLowerCase());
}

/**
 * The rule: a different database name is another database. Otherwise, when both sides have a
 * system identifier it decides (same identifier = same database, whatever host name reached it);
 * when either lacks one, host and port must match too.
 */
export function compareSource(snapshot: ServerIdentity, target: ServerIdentity): SourceComparison {
  const sides = `(snapshot: ${describeIdentity(snapshot)}; target: ${describeIdentity(target)})`;
  const haveIds = snapshot.systemIdentifier !== null && target.systemIdentifier !== null;
  const basis = haveIds ? 'system-identifier' : 'host-port-database';
  if (!recordedAs(snapshot.database, target.database)) {
    return { same: false, basis, message: `The snapshot is of another database ${sides}.` };
  }
  if (haveIds) {
    const same = snapshot.systemIdentifier === target.systemIdentifier;
    return { same, basis, message: same ? `The snapshot is of this database ${sides}.` : `The snapshot is of a database of the same name on another server ${sides}.` };
  }
  const same = sameHost(snapshot.host, target.host) && snapshot.port === target.port;
  const why =
    snapshot.systemIdentifier === null
      ? 'the manifest records no system identifier (taken before it was recorded, or by a user the server did not let read it)'
      : 'the server does not let this user read its system identifier';
  return {
    same,
    basis,
    message: same
      ? `The snapshot is taken to be of this database by host, port and name, because ${why} ${sides}.`
      : `The snapshot cannot be shown to be of this database: host or port differ, and ${why} ${sides}.`,
  };
}
