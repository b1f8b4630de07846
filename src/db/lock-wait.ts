/**
 * Lock waits. A snapshot or a restore must never wait forever behind another session (an idle
 * transaction, a stuck migration): our sessions run under a lock timeout, and while they run a
 * watcher on a separate connection notes which sessions block them, so the error can name the
 * blocking pid and what it is doing. The watcher has to look while the wait lasts: once the lock
 * timeout has fired, pg_blocking_pids has nothing left to say.
 */
import { RollbackKitError, type ErrorFacts } from '../core/errors.js';
import { nodeCrypto } from '../core/lazy-builtins.js';
import type { Log } from '../core/log.js';
import { clientApplicationName, type ConnectionTarget } from './connection.js';
import { within } from '../core/bounded-wait.js';
import { closeSession, connect, dropConnection, withSession, type QueryDeadline, type Session } from './session.js';

export const DEFAULT_LOCK_TIMEOUT_SECONDS = 30;

/** A blocker's query is cut to this: enough to recognise it, little room for literals it holds. */
const QUERY_CHARS = 80;
/**
 * What is read of a blocker's query: it is redacted before it is cut to QUERY_CHARS, and a secret
 * that begins within those must be read whole to be recognised.
 */
const QUERY_READ_CHARS = 1000;
const POLL_MS = 200;

/** PostgreSQL's lock_timeout for `seconds`; 0 means "do not wait", which for PostgreSQL is 1 ms (its 0 is "forever"). */
export function lockTimeoutMs(seconds: number): number {
  return Math.max(1, Math.round(seconds * 1000));
}

/** An application_name that picks out this run's sessions in pg_stat_activity. */
export function sessionTag(kind: string): string {
  return `rollback-kit-${kind}-${nodeCrypto().randomBytes(4).toString('hex')}`;
}

export interface Blocker {
  pid: number;
  user: string;
  state: string;
  /** Seconds since its transaction (or query) started. */
  seconds: number | null;
  query: string;
  /** It waits itself for a lock a session of ours holds: it queued behind us, and ours behind it. */
  waitsForUs?: boolean;
}

export interface WatchOptions {
  /**
   * A session of ours waits behind one that waits for a session of ours (pg_dump queued behind an
   * ALTER TABLE that waits for the snapshot's own table lock): nothing but a timeout would end that,
   * and every query on the table waits behind both. With this set, the watcher ends every session of
   * ours at the first sight of it, so that what waited for us goes ahead at once, then calls it.
   */
  onCycle?: (blockers: Blocker[]) => void;
  /** The bound on each of the watcher's queries (WATCH_DEADLINE unless said). */
  queryDeadline?: QueryDeadline;
  /**
   * The application_name of a caller's sessions that hold locks ours may wait behind (restore-db's
   * psql, under whose table locks its pre-restore snapshot runs): never taken for a blocker of ours,
   * a session waiting for them is one waiting for us, and a cycle ends them too (it is their lock
   * that is waited for). Only the sessions named `applicationName` are watched for waits and stalls.
   */
  callerSessions?: string;
  /** Also watch a program of ours (pg_dump, psql) for a connection that stalled (StallWatch). */
  stall?: StallWatch;
  /** The run's stop: a watcher still connecting then gives up (and watches nothing), so the stopped work need not wait for it. */
  signal?: AbortSignal;
}

/**
 * A program's connection can stall without ever failing: a pooler or proxy (pgbouncer, a cloud SQL
 * proxy, a NAT box) that keeps the program's socket open, and answers its TCP keepalives, after the
 * server side has gone. The program then waits for an answer that cannot come, with nothing on its
 * side to end the wait, and a fixed time limit cannot tell that from a dump that rightly takes hours.
 *
 * What tells is the server: the watcher, on its own connection, sees the program's backend(s) in
 * pg_stat_activity (by application_name). While the program runs, its backends are there from its
 * connection to its exit, whether it copies a terabyte or waits for a lock; a backend of it that has
 * been gone for `afterMs`, with the program still running and its output (if any) not growing, is a
 * connection that carries nothing. Then `onStall` is called, once, and the caller ends the program.
 *
 * Nothing is concluded from what the watcher could not see: a poll that failed (the server briefly
 * unreachable from the watcher, its own connection lost and being opened again) neither starts nor
 * ends the time; only polls that answered do, and a healthy program's backend is there at the next
 * one that answers. A backend never seen (a pooler that renames sessions, a role that cannot see
 * them) starts no time at all, but for one a program opens together with others that are seen
 * (backendsInAll): those show that the path keeps their name and that the watcher can see them;
 * and for the first backend of a program past its connect (dueAt), once the watcher has seen its
 * own session under the name it sent at startup, on the server the program is on: a backend that
 * lived for less than a look (its upstream gone at its first query, or before a watcher that
 * connected later looked) is then gone as surely as one seen. Nor does a watcher whose new
 * connection reached another server (a replica behind the same address: another postmaster start
 * time) than the one it saw the program's backend on.
 */
export interface StallWatch {
  /** Which of the backends named as ours (their pids, the watcher's own left out) are the program's. */
  backends: (pids: number[]) => number[];
  /** Whether the program still runs. */
  running: () => boolean;
  /** How long a backend of the program may be gone, with it still running, before that is a stall. */
  afterMs: number;
  /**
   * How many backends the program holds at once once it has opened them all, for one that opens more
   * than one (a parallel pg_dump: its leader's, then one per worker, all opened together once the
   * leader has read the catalogue). Once more than one of them has been seen, fewer than this is a
   * backend gone, even one never seen: a worker whose connection ended before a look could see it.
   * Once all of them have been seen at once, its leader alone (the one of them whose backend started
   * first: pg_dump opens its workers' connections once its own has read the catalogue) is the
   * program's last step, not a stall: pg_dump's workers disconnect and its leader, still connected,
   * syncs the files it wrote, for as long as the disk takes. The leader gone then is one, and so is
   * a worker left alone.
   */
  backendsInAll?: number;
  /**
   * When the program's first backend is due: its start plus the time its connect may take (its
   * connect timeout). From then on none of its backends ever seen is its backend gone, as one seen
   * and gone is, provided the watcher can see its sessions: it has seen its own under the name it
   * sent at startup (no pooler in between renames them), on the server the program is on (see
   * `writes`). Undefined: not started yet, or never seen is not to be taken as gone.
   */
  dueAt?: () => number | undefined;
  /**
   * The program writes (restore-db's psql): it can only be on the server that takes writes, and a
   * watcher on one (not in recovery) is there too. Otherwise the watcher must have seen another
   * session named as the program's (the snapshot's own, whose exported snapshot pg_dump must
   * import on the same server) before a backend of the program never seen counts (dueAt).
   */
  writes?: boolean;
  /** Bytes the program has written so far, for one that writes a file: output that grows is no stall. */
  progress?: () => Promise<number>;
  /** Called once, at the stall, with how long the backend had been gone (ms). */
  onStall: (goneMs: number) => void;
}

/**
 * How long a backend of a running pg_dump or psql may be missing from pg_stat_activity before its
 * connection is taken to have stalled. It is there from the program's connection to its exit (a
 * program ending takes milliseconds between the two), so this needs no room for slow work, only for
 * the watcher's own view: two minutes, more than the 40-60 s in which keepalives and
 * tcp_user_timeout end a connection whose peer really vanished (connection.ts), so that a failure
 * the program can see itself is reported in its own words first.
 */
export const DEFAULT_STALL_MS = 120_000;

/** What makes a stall, and what to do: said by every program's stall error (snapshot, restore). */
export const STALL_CAUSE =
  'Something between this runner and the server kept the connection open after the server side had ended: a pooler (pgbouncer), a cloud SQL proxy or a NAT box whose upstream failed. Check it (or connect without it)';

/**
 * The watcher's queries read pg_stat_activity and pg_locks and answer in milliseconds: each runs no
 * longer than this, and its answer is waited for no longer than that and the margin, so a watcher
 * whose connection stalls neither polls on forever behind the one in flight nor holds stop().
 */
const WATCH_DEADLINE: QueryDeadline = { statementMs: 10_000, marginMs: 5_000 };

/**
 * How long stop() waits for a poll in flight (it may be ending the sessions of a cycle) before it
 * closes the connection under it: a poll takes milliseconds, and one on a stalled connection forever.
 */
const STOP_WAIT_MS = 2000;

/** A lock timeout, from a PostgreSQL error code or from a pg_* tool's stderr. */
export function isLockTimeout(codeOrText: string | undefined): boolean {
  if (!codeOrText) return false;
  // pg_dump waits for its table locks under statement_timeout (--lock-wait-timeout), the others under lock_timeout.
  return codeOrText === '55P03' || /lock timeout|could not obtain lock on|statement timeout[\s\S]*Query was: LOCK TABLE/i.test(codeOrText);
}

export interface BlockerWatch {
  /** Whether it is watching: false when it could not connect. */
  watching: boolean;
  /**
   * From now on, cancels the statement of a session of ours that has waited this long for a lock:
   * for the waits lock_timeout does not bound, under a script that sets its own lock_timeout = 0
   * (restore-data.ts).
   */
  cancelWaitsAfter(seconds: number): void;
  /** Whether it cancelled a wait of ours. */
  cancelled(): boolean;
  /** Stops watching; returns the sessions last seen blocking ours (empty when none was seen). */
  stop(): Promise<Blocker[]>;
}


/** A watch that watches nothing: for a watcher that could not connect, or was not needed after all. */
export function notWatching(): BlockerWatch {
  return { watching: false, cancelWaitsAfter: () => undefined, cancelled: () => false, stop: async () => [] };
}

/** What a cancel asks of the backend it ends the statement of. */
export interface CancelOptions {
  /**
   * Only while it waits for a lock: a statement that got its lock meanwhile is left to finish. The
   * waiting statement fails as cancelled, so a transaction around it rolls back.
   */
  onlyLockWait?: boolean;
  /** Only while the backend is still one of ours (this application_name): a pid seen a moment ago may be another's now. */
  applicationName?: string;
  /** cancelQuery's bound on its own query (WATCH_DEADLINE unless said). */
  queryDeadline?: QueryDeadline;
}

/**
 * The one cancel (cancelQuery, and watchBlockers' cancel of long waits): the statement of backend
 * $1, if it is still named $2 (NULL: any) and, with $3, only while it waits for a lock. Whether one
 * was cancelled comes back in `ok` (no row: no such backend).
 */
const CANCEL_SQL = `SELECT pg_cancel_backend(pid) AS ok FROM pg_stat_activity
  WHERE pid = $1 AND ($2::text IS NULL OR application_name = $2) AND (NOT $3::boolean OR wait_event_type = 'Lock')`;

async function cancelOn(session: Session, pid: number, opts: CancelOptions): Promise<boolean> {
  const { rows } = await session.query<{ ok: boolean }>(CANCEL_SQL, [pid, opts.applicationName ?? null, opts.onlyLockWait === true]);
  return rows[0]?.ok === true;
}

/**
 * Cancels what backend `pid` runs, from a connection of its own: for a read-only session a stop
 * ends at once (a snapshot's lock wait or count), where nothing it does can be left half-done; for a
 * down migration's transaction, which rolls back whole; `onlyLockWait` for a statement that may
 * not be cancelled once it runs (revert.ts). Best effort: the statement's own timeouts bound it anyway.
 */
export async function cancelQuery(target: ConnectionTarget, pid: number, log: Log, opts: CancelOptions = {}): Promise<void> {
  try {
    // Bounded as the watcher's queries are: a cancel on a stalled connection must end too.
    await withSession(target, (s) => cancelOn(s, pid, opts), { queryDeadline: opts.queryDeadline ?? WATCH_DEADLINE });
  } catch (err) {
    log.debug(`Could not cancel the query of pid ${pid}: ${(err as Error).message}`);
  }
}

/**
 * Watches, from its own connection, for sessions that block any session named `applicationName`.
 * A watcher that cannot connect watches nothing: the lock timeout still bounds the wait.
 */
export async function watchBlockers(target: ConnectionTarget, applicationName: string, log: Log, opts: WatchOptions = {}): Promise<BlockerWatch> {
  let session: Session;
  const deadline = opts.queryDeadline ?? WATCH_DEADLINE;
  /** The name the watcher's session is opened with: seen as such, the server shows sessions by the names they were opened with. */
  const ownName = clientApplicationName(target);
  /** The watcher's connection ended under it (a stalled one is closed at its query deadline). */
  let lost = false;
  const opened = async () => {
    const s = await connect(target, { queryDeadline: deadline, signal: opts.signal });
    s.once('end', () => (lost = true));
    return s;
  };
  try {
    session = await opened();
  } catch (err) {
    log.debug(`Not watching for blocking sessions: ${(err as Error).message}`);
    return notWatching();
  }
  /** Every name whose sessions are ours: ours, and the caller's. */
  const ours = opts.callerSessions === undefined ? [applicationName] : [applicationName, opts.callerSessions];
  let last: Blocker[] = [];
  let polling: Promise<void> = Promise.resolve();
  /** When each session of ours was first seen waiting for a lock, in this unbroken wait. */
  const waitingSince = new Map<number, number>();
  let cancelled = false;
  let cancelAfterMs: number | undefined;
  const cancelLongWaits = async (limitMs: number) => {
    const { rows } = await session.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [applicationName]);
    const now = Date.now();
    for (const pid of [...waitingSince.keys()]) if (!rows.some((r) => r.pid === pid)) waitingSince.delete(pid);
    for (const { pid } of rows) {
      const since = waitingSince.get(pid) ?? now;
      waitingSince.set(pid, since);
      if (now - since < limitMs) continue;
      // Only while it still waits for a lock: a statement that got its lock in the meantime is left alone.
      // Said before the answer, as cycleSeen is: the cancelled statement's error can reach its caller
      // (who then asks cancelled()) before this query's answer reaches the watcher.
      const before = cancelled;
      cancelled = true;
      if (!(await cancelOn(session, pid, { onlyLockWait: true, applicationName }))) cancelled = before;
      waitingSince.delete(pid);
    }
  };
  let cycleSeen = false;
  /** Ends every session of ours but the watcher's own: their locks go, and so does the wait behind them. */
  const endOurs = async (blockers: Blocker[]) => {
    cycleSeen = true;
    await session.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ANY($1::text[]) AND pid <> pg_backend_pid()', [ours]);
    opts.onCycle!(blockers);
  };
  let timeoutSet = false;
  const stall = opts.stall;
  /** The most backends of the program seen at once; when fewer than those (or than all it opens) have been seen since, and how much output there was then. */
  let most = 0;
  /** A program of several's leader: of the first look that saw all its backends at once, the one that started first. */
  let leader: number | undefined;
  /**
   * Whether this server shows sessions by the name they were opened with (the watcher's own) and is
   * the program's (StallWatch.writes): what makes a backend of the program never seen there a gone one (dueAt).
   */
  let namesShown = false;
  let gone: { since: number; bytes: number | undefined } | undefined;
  let stallSeen = false;
  /** The server the program's backends were counted on (its postmaster's start time). */
  let server: string | undefined;
  /** `named`: the sessions named as ours (the watcher's own left out), with when each backend started. */
  const watchStall = async (named: { pid: number; startedAt: number }[]) => {
    if (!stall || stallSeen) return;
    const now = Date.now();
    const backends = stall.backends(named.map((n) => n.pid));
    const count = backends.length;
    most = Math.max(most, count);
    // Until a second backend of it has been seen, a program of several may rightly be on its first
    // alone (pg_dump reading the catalogue): all of them are due only from then on. Once all were
    // seen, its leader alone again is its end (pg_dump syncing its files after its workers left);
    // a worker alone is not: told apart by when their backends started, not by which were seen
    // first, since a first look may see them all at once.
    const all = stall.backendsInAll;
    if (all !== undefined && leader === undefined && count >= all) {
      const started = new Map(named.map((n) => [n.pid, n.startedAt]));
      leader = backends.reduce((a, b) => (started.get(b)! < started.get(a)! ? b : a));
    }
    const leaderAlone = leader !== undefined && count === 1 && backends[0] === leader;
    let due = leaderAlone ? 1 : all !== undefined && most > 1 ? Math.max(most, all) : most;
    // Past its connect, on a server that shows its sessions: its first backend is due, seen or not.
    const dueAt = stall.dueAt?.();
    if (due === 0 && namesShown && dueAt !== undefined && now >= dueAt) due = 1;
    if (!stall.running() || count >= due) {
      gone = undefined;
      return;
    }
    const bytes = await stall.progress?.().catch(() => undefined);
    if (!gone || (bytes !== undefined && bytes !== gone.bytes)) gone = { since: now, bytes };
    if (now - gone.since < stall.afterMs || !stall.running()) return;
    stallSeen = true;
    stall.onStall(now - gone.since);
  };
  /** The watcher's connection was opened again since the last look: it may have reached another server. */
  let reopened = false;
  const poll = async () => {
    if (lost && stall) {
      // Only a stall watch opens its connection again: it is what would see a stall, and a proxy
      // that stalled the program's connection may well have stalled the watcher's too.
      const old = session;
      session = await opened();
      lost = false;
      reopened = true;
      timeoutSet = false;
      closeSession(old);
    }
    // Set with the first poll, not before the watch starts: the wait it watches is under way.
    if (!timeoutSet) {
      await session.query("SELECT set_config('statement_timeout', $1, false)", [String(deadline.statementMs)]);
      timeoutSet = true;
    }
    // [[:space:]], not \s: a backslash in a string is an escape where standard_conforming_strings is off.
    const { rows } = await session.query<{ pid: number; user: string | null; state: string | null; seconds: number | null; query: string | null; waits_for_us: boolean }>(
      `SELECT DISTINCT b.pid, b.usename AS user, b.state, extract(epoch FROM now() - coalesce(b.xact_start, b.query_start))::int AS seconds,
              left(regexp_replace(b.query, '[[:space:]]+', ' ', 'g'), ${QUERY_READ_CHARS}) AS query,
              EXISTS (SELECT 1 FROM unnest(pg_blocking_pids(b.pid)) AS ours(pid) JOIN pg_stat_activity o ON o.pid = ours.pid WHERE o.application_name = ANY($2::text[])) AS waits_for_us
         FROM pg_stat_activity w
        CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid)
         JOIN pg_stat_activity b ON b.pid = bp.pid
        WHERE w.application_name = $1 AND NOT coalesce(b.application_name = ANY($2::text[]), false)
        ORDER BY b.pid`,
      [applicationName, ours],
    );
    const seen = rows.map((r) => ({ pid: r.pid, user: r.user ?? '?', state: r.state ?? 'unknown', seconds: r.seconds, query: r.query ?? '', waitsForUs: r.waits_for_us }));
    if (seen.length) last = seen;
    const cycle = seen.filter((b) => b.waitsForUs);
    if (opts.onCycle && !cycleSeen && cycle.length) await endOurs(cycle);
    if (cancelAfterMs !== undefined) await cancelLongWaits(cancelAfterMs);
    if (stall) {
      // The watcher's own name as the server shows it, and whether the server is in recovery, count
      // only until a backend of the program is seen (namesShown: for one never seen, dueAt), and
      // not once they have shown the names: asked until then, and on a connection opened again
      // (another server, maybe, where the count starts over).
      const ask = reopened || (most === 0 && !namesShown);
      const named = await session.query<{ pid: number | null; backend_start: number | null; started: string; own_name: string | null; standby: boolean | null }>(
        `SELECT a.pid, extract(epoch FROM a.backend_start)::float8 AS backend_start, pg_postmaster_start_time()::text AS started,
                CASE WHEN $2 THEN (SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()) END AS own_name,
                CASE WHEN $2 THEN pg_is_in_recovery() END AS standby
           FROM (SELECT 1) one LEFT JOIN pg_stat_activity a ON a.application_name = $1 AND a.pid <> pg_backend_pid()`,
        [applicationName, ask],
      );
      reopened = false;
      const started = named.rows[0]!.started;
      if (server !== started) {
        most = 0;
        leader = undefined;
        namesShown = false;
        gone = undefined;
        server = started;
      }
      const sessions = named.rows.flatMap((r) => (r.pid === null ? [] : [{ pid: r.pid, startedAt: r.backend_start ?? 0 }]));
      if (ask) {
        const programs = stall.writes ? named.rows[0]!.standby === false : sessions.some((n) => !stall.backends([n.pid]).length);
        namesShown ||= named.rows[0]!.own_name === ownName && programs;
      }
      await watchStall(sessions);
    }
  };
  // The first look before the watch is handed over: a caller that awaits it before starting its
  // program (snapshot.ts) has it watched from its first backend on, and knows whether this server
  // shows its sessions (StallWatch.dueAt) before that backend is due. Waited for no longer than a
  // poll on a working connection takes, so that a watcher whose connection stalls holds up nothing
  // (the look goes on, as any poll does).
  let busy = true;
  polling = poll()
    .catch(() => undefined)
    .finally(() => (busy = false));
  await within(polling, STOP_WAIT_MS, undefined);
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    polling = polling
      .then(poll)
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, POLL_MS);
  return {
    watching: true,
    cancelWaitsAfter: (seconds) => {
      cancelAfterMs = lockTimeoutMs(seconds);
    },
    cancelled: () => cancelled,
    async stop() {
      clearInterval(timer);
      const polled = await within(polling.then(() => true), STOP_WAIT_MS, false);
      closeSession(session);
      // A poll still in flight (a stalled connection) fails as its connection closes.
      if (!polled) dropConnection(session);
      return last;
    },
  };
}

/**
 * What a session waited for, to find who holds it once the wait has failed (lockHolders): a lock on
 * `relation` (any mode), or, for a session that only reads (`reads`: catalogue queries, whose waits
 * are all for ACCESS SHARE locks, which nothing but ACCESS EXCLUSIVE blocks), an ACCESS EXCLUSIVE lock
 * on any table, view or catalogue of its database: an ALTER TABLE, a LOCK TABLE, a VACUUM FULL.
 */
export type HeldLock = { relation: string } | 'reads';

/**
 * Who holds what a session waited for (HeldLock), asked on that session once its wait has failed: a
 * lock_timeout only ends the statement, so the session can still ask, and the holder (an idle
 * transaction, a stuck migration) most often holds it still. The watcher (watchBlockers) has to look
 * during the wait, and takes a connection of its own: this is for a session that had none watching.
 * Nothing when it cannot ask (the error then names no session).
 */
export async function lockHolders(session: Session, held: HeldLock): Promise<Blocker[]> {
  // Another session's temporary tables and tables not committed yet are never what ours read.
  const which =
    held === 'reads'
      ? `l.mode = 'AccessExclusiveLock' AND l.database IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))
           AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = l.relation AND c.relpersistence <> 't')`
      : 'l.relation = to_regclass($1)';
  try {
    const { rows } = await session.query<{ pid: number; user: string | null; state: string | null; seconds: number | null; query: string | null }>(
      `SELECT DISTINCT a.pid, a.usename AS user, a.state, extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::int AS seconds,
              left(regexp_replace(a.query, '[[:space:]]+', ' ', 'g'), ${QUERY_READ_CHARS}) AS query
         FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
        WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid() AND ${which}
        ORDER BY a.pid`,
      held === 'reads' ? [] : [held.relation],
    );
    return rows.map((r) => ({ pid: r.pid, user: r.user ?? '?', state: r.state ?? 'unknown', seconds: r.seconds, query: r.query ?? '' }));
  } catch {
    return [];
  }
}

/** `pid 4242 (user app, idle in transaction for 35 s): "LOCK TABLE …"`, redacted and cut short. */
export function describeBlockers(blockers: Blocker[], log: Log): string {
  return blockers
    .map((b) => {
      const query = log.excerpt(b.query, QUERY_CHARS + 1);
      const since = b.seconds === null ? '' : ` for ${b.seconds} s`;
      return `pid ${b.pid} (user ${b.user}, ${b.state}${since}${query ? `, last query "${query}"` : ''})`;
    })
    .join('; ');
}

/** Who held the table and who waited behind the other session, in a lock cycle's error. */
export interface CycleWording {
  /** What had locked the table: `this snapshot`. */
  held: string;
  /** Which of ours then waited behind that session: `the snapshot (pg_dump)`. */
  waited: string;
  /** What let go, starting a sentence: `The snapshot`. */
  letGo: string;
}

const SNAPSHOT_CYCLE: CycleWording = { held: 'this snapshot', waited: 'the snapshot (pg_dump)', letGo: 'The snapshot' };

/** A wait that went both ways, ended by ending our sessions: the sessions that waited for us. */
export class LockCycleError extends RollbackKitError {
  constructor(
    message: string,
    hint: string,
    readonly blockers: Blocker[],
    facts: ErrorFacts = {},
  ) {
    super(message, hint, facts);
  }
}

/**
 * The error for a wait that went both ways (WatchOptions.onCycle): a session asked for a table we
 * held, and ours queued behind it. Ours were ended at once, so that session went ahead. `facts`:
 * what `state` says, for callers that decide by it (a restore: `changed: 'no'`).
 */
export function lockCycleError(what: string, blockers: Blocker[], state: string, log: Log, ours: CycleWording = SNAPSHOT_CYCLE, facts: ErrorFacts = {}): LockCycleError {
  const who = `${blockers.length > 1 ? 'sessions' : 'session'} ${describeBlockers(blockers, log)}`;
  return new LockCycleError(
    `${what} stopped: ${who} asked for a table ${ours.held} had locked, and ${ours.waited} then had to wait behind it: each waited for the other, and every query on that table waited behind both. ${ours.letGo} let go at once, so that session went ahead.`,
    `${state} Run again once it has finished (a migration or other schema change running now).`,
    blockers,
    { ...facts, blocked: true },
  );
}

/** The error for a lock that was not granted in time: who holds it, what was (not) changed (`state`, and as `facts`), what to do. */
export function lockTimeoutError(what: string, seconds: number, blockers: Blocker[], state: string, log: Log, facts: ErrorFacts = {}): RollbackKitError {
  const who = blockers.length
    ? `held by ${blockers.length > 1 ? 'sessions' : 'session'} ${describeBlockers(blockers, log)}`
    : 'another session holds it (it ended or was not seen in pg_stat_activity in time)';
  const end = blockers.length ? ` (SELECT pg_terminate_backend(${blockers[0]!.pid}) ends it)` : '';
  return new RollbackKitError(
    `${what} stopped: a lock was not granted within lock-timeout-seconds (${seconds} s), ${who}.`,
    `${state} Once that session has finished or been ended${end}, run again; or raise lock-timeout-seconds.`,
    { ...facts, blocked: true },
  );
}
