/**
 * What an SQL check may run: exactly one statement, and not one that controls the transaction or
 * the session. The probe opens a read-only transaction and ends it; a check that could commit it,
 * roll it back or change the session's settings could leave it and write (`COMMIT; DELETE …`).
 * The probe's extended-protocol query and read-only session refuse the same at run time; this says
 * so before anything runs, with the check's line.
 */
import { codeStart, splitStatements, transactionControl } from '../migrations/sql-split.js';

/**
 * First keywords of statements that reshape the session (SET default_transaction_read_only = off,
 * SET SESSION CHARACTERISTICS …) or move data in or out of the server (COPY … FROM / TO PROGRAM).
 */
const SESSION = new Set(['set', 'reset', 'discard', 'copy']);

/**
 * Why the query cannot be an SQL check, or undefined when it may run. Never quotes the query. The
 * spec is read before any session exists, so the query is read with standard_conforming_strings on
 * and off: it is refused here only when it holds several statements either way (a backslash in a
 * '…' string may be all that tells them apart), and otherwise left to the server, which refuses a
 * second statement in the probe's extended-protocol query.
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
  return undefined;
}
