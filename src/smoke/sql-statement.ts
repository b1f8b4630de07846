/**
 * What an SQL check may run: exactly one query that reads (SELECT, WITH, VALUES, TABLE, SHOW,
 * EXPLAIN), calling none of the functions that act outside the transaction. The probe opens a
 * read-only transaction and rolls it back; a check that could commit it, roll it back or change the
 * session's settings could leave it and write (`COMMIT; DELETE …`). The probe's extended-protocol
 * query and read-only session refuse those at run time, but a READ ONLY transaction does not stop
 * everything: PostgreSQL lets it LOCK a table in ACCESS EXCLUSIVE mode (every reader queued behind it
 * for the statement timeout), ANALYZE, CHECKPOINT, and call functions whose effect no ROLLBACK
 * undoes (pg_terminate_backend, pg_create_physical_replication_slot: WAL kept until the disk is
 * full, pg_reload_conf, pg_stat_reset …). So this refuses them before anything runs, with the
 * check's line. A function of the database's own that calls one of them is beyond what the text
 * shows: the database-url's role is what bounds that (README, "SQL checks").
 */
import { blankSql } from '../db/sql-lexer.js';
import { codeStart, splitStatements, transactionControl } from '../migrations/sql-split.js';

/**
 * First keywords of statements that reshape the session (SET default_transaction_read_only = off,
 * SET SESSION CHARACTERISTICS …) or move data in or out of the server (COPY … FROM / TO PROGRAM).
 */
const SESSION = new Set(['set', 'reset', 'discard', 'copy']);

/** The statements a check may be: each only reads, and takes no lock beyond what a read takes. */
const READS = new Set(['select', 'with', 'values', 'table', 'show', 'explain']);

/**
 * Functions a READ ONLY transaction lets run whose effect outlives its ROLLBACK (other sessions
 * ended, replication slots and origins, WAL switched, configuration reloaded, statistics reset,
 * server files written, indexes summarized, locks held until the session ends), that reach another
 * server (dblink), that read server files (a key, a password file) into a summary, or that run SQL
 * given as text, which this check cannot read (query_to_xml, ts_stat, ts_rewrite). Prefixes end in `_`.
 */
const SIDE_EFFECTS = [
  'pg_terminate_backend', 'pg_cancel_backend', 'pg_reload_conf', 'pg_rotate_logfile', 'pg_logfile_rotate',
  'pg_switch_wal', 'pg_switch_xlog', 'pg_create_restore_point', 'pg_start_backup', 'pg_stop_backup', 'pg_backup_start', 'pg_backup_stop',
  'pg_promote', 'pg_wal_replay_', 'pg_xlog_replay_',
  'pg_create_physical_replication_slot', 'pg_create_logical_replication_slot', 'pg_drop_replication_slot',
  'pg_copy_physical_replication_slot', 'pg_copy_logical_replication_slot', 'pg_replication_slot_advance',
  'pg_logical_slot_', 'pg_logical_emit_message', 'pg_replication_origin_',
  'pg_stat_reset', 'pg_stat_reset_', 'pg_stat_statements_reset', 'pg_stat_clear_snapshot',
  'pg_advisory_lock', 'pg_advisory_lock_shared', 'pg_advisory_xact_lock', 'pg_advisory_xact_lock_shared', 'pg_try_advisory_',
  'pg_read_file', 'pg_read_binary_file', 'pg_file_', 'lo_import', 'lo_export',
  'brin_summarize_new_values', 'brin_summarize_range', 'brin_desummarize_range', 'gin_clean_pending_list',
  'dblink', 'dblink_', 'query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema', 'ts_stat', 'ts_rewrite',
];
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * A call of one of them, named bare, schema-qualified or as a quoted identifier: also inside a
 * string, where a call may hide in SQL passed as text (a string that merely names one is refused too;
 * rename it in the check).
 */
const SIDE_EFFECT_CALL = new RegExp(
  `(?<![\\w$])"?(${SIDE_EFFECTS.map((n) => (n.endsWith('_') ? `${escapeRegex(n)}[\\w$]*` : escapeRegex(n))).join('|')})"?\\s*\\(`,
  'i',
);

/** The query's first keyword, lower-cased (after comments and opening parentheses), or undefined. */
export function firstKeyword(query: string): string | undefined {
  const text = { text: query, standardConformingStrings: true };
  return /^[A-Za-z_]+/.exec(query.slice(codeStart(text)).replace(/^[(\s]+/, ''))?.[0]?.toLowerCase();
}

/**
 * Why the query cannot be an SQL check, or undefined when it may run. Never quotes the query. The
 * spec is read before any session exists, so the query is read with standard_conforming_strings on
 * and off: it is refused here only when it holds several statements either way (a backslash in a
 * '…' string may be all that tells them apart), and otherwise left to the server, which refuses a
 * second statement in the probe's extended-protocol query. A function is looked for either way.
 */
export function sqlStatementProblem(query: string): string | undefined {
  const [conforming, legacy] = [true, false].map((standardConformingStrings) => splitStatements({ text: query, standardConformingStrings }));
  const statements = conforming!.length <= legacy!.length ? conforming! : legacy!;
  if (statements.length > 1) {
    return `must be exactly one SQL statement, and this has ${statements.length} (separated by ";"): a check runs one statement inside a read-only transaction`;
  }
  const statement = statements[0] ?? { text: '', standardConformingStrings: true };
  const word = /^[A-Za-z_]+/.exec(statement.text.slice(codeStart(statement)).replace(/^[(\s]+/, ''))?.[0]?.toLowerCase();
  if (word && (SESSION.has(word) || transactionControl(statement))) {
    return `${word.toUpperCase()} is not allowed: a check runs one statement inside a read-only transaction that rollback-kit opens and ends, and may not control the transaction or the session`;
  }
  if (word && !READS.has(word)) {
    return `${word.toUpperCase()} is not allowed: a check is one query that reads (SELECT, WITH, VALUES, TABLE, SHOW or EXPLAIN); a read-only transaction still lets some other statements lock tables or act on the server`;
  }
  for (const standardConformingStrings of [true, false]) {
    const text = { text: query, standardConformingStrings };
    // SELECT … INTO creates a table: the probe's cursor refuses it with a syntax error, which would
    // read as the service's answer rather than a mistake in the spec.
    if (/(?<![\w$])into(?![\w$])/i.test(blankSql(text, { quoted: true }))) {
      return 'may not hold INTO (SELECT … INTO creates a table, INSERT INTO writes one): a check only reads';
    }
    const call = SIDE_EFFECT_CALL.exec(blankSql(text, { quoted: false }))?.[1];
    if (call) {
      return `calls ${call.toLowerCase()}(), which is not allowed: its effect outlives the read-only transaction a check runs in, or it runs SQL the check cannot see (a check only reads)`;
    }
    // U&"…" spells an identifier in escapes, which could name any function: a check has no need of it.
    if (/(?<![\w$])u&"/i.test(blankSql(text, { quoted: true }))) {
      return 'may not hold a Unicode-escaped identifier (U&"…"): write the name as it is';
    }
  }
  return undefined;
}
