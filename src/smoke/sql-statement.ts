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

/** Why the query cannot be an SQL check, or undefined when it may run. Never quotes the query. */
export function sqlStatementProblem(query: string): string | undefined {
  const statements = splitStatements(query);
  if (statements.length > 1) {
    return `must be exactly one SQL statement, and this has ${statements.length} (separated by ";"): a check runs one statement inside a read-only transaction`;
  }
  const text = statements[0]?.text ?? '';
  const word = /^[A-Za-z_]+/.exec(text.slice(codeStart(text)).replace(/^[(\s]+/, ''))?.[0]?.toLowerCase();
  if (word && (SESSION.has(word) || transactionControl(text))) {
    return `${word.toUpperCase()} is not allowed: a check runs one statement inside a read-only transaction that rollback-kit opens and ends, and may not control the transaction or the session`;
  }
  return undefined;
}
