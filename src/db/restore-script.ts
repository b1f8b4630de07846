/**
 * The one SQL stream an in-place restore sends to psql: BEGIN, the drops restore-db planned, the
 * snapshot's own script, what it puts back, COMMIT. The COMMIT is only ever written after the
 * snapshot's script was read to its end without error, so a pg_restore that fails or a psql that
 * stops early can never commit half a restore: the server rolls the open transaction back.
 */
import { RollbackKitError } from '../core/errors.js';

/** psql prints this after COMMIT succeeded; without it the restore did not happen. */
export const COMMITTED = 'rollback-kit: restore committed';

const isQuiet = (line: string) => line === '' || line.startsWith('--') || line.startsWith('\\unrestrict') || line.startsWith('\\restrict');

/**
 * The lines of `pg_restore --single-transaction -f -` without its own BEGIN (the first statement)
 * and COMMIT (the last): restore-db's transaction wraps them with its own statements.
 */
async function* withoutOwnTransaction(source: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let rest = '';
  let begun = false;
  // The COMMIT seen last and the quiet lines after it, held until we know whether more SQL follows.
  let held: string[] = [];
  const lines = async function* () {
    for await (const chunk of source) {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop()!;
      yield* parts;
    }
    if (rest) yield rest;
  };
  let out: string[] = [];
  for await (const line of lines()) {
    if (!begun && !isQuiet(line)) {
      begun = true;
      if (line === 'BEGIN;') continue;
      throw new RollbackKitError('pg_restore --single-transaction did not start its script with BEGIN: restore-db cannot wrap it in its own transaction. Nothing was changed.');
    }
    if (held.length) {
      if (isQuiet(line)) {
        held.push(line);
        continue;
      }
      out.push(...held);
      held = [];
    }
    if (line === 'COMMIT;') held.push(line);
    else out.push(line);
    if (out.length >= 512) {
      yield `${out.join('\n')}\n`;
      out = [];
    }
  }
  if (held[0] !== 'COMMIT;') throw new RollbackKitError('The snapshot\'s restore script did not end with its COMMIT: it was cut short. Nothing was changed.');
  out.push(...held.slice(1));
  if (out.length) yield `${out.join('\n')}\n`;
}

export interface ScriptParts {
  prelude: string[];
  /** The snapshot's SQL: pg_restore's output (`unwrap`: it has its own BEGIN/COMMIT) or a plain script. */
  source: AsyncIterable<Buffer | string>;
  unwrap: boolean;
  /** Resolves when the source's producer exited cleanly; rejects otherwise (then no COMMIT is written). */
  sourceDone: () => Promise<void>;
  epilogue: string[];
}

export async function* restoreScript(parts: ScriptParts): AsyncGenerator<string> {
  yield ['BEGIN;', ...parts.prelude, ''].join('\n');
  if (parts.unwrap) yield* withoutOwnTransaction(parts.source);
  else for await (const chunk of parts.source) yield chunk.toString();
  await parts.sourceDone();
  yield ['', ...parts.epilogue, 'COMMIT;', `\\echo '${COMMITTED}'`, ''].join('\n');
}

/**
 * PostgreSQL's own words from psql's stderr: the ERROR, with the DETAIL (which objects) and HINT
 * (what to change) lines that follow it, without psql's `psql:<stdin>:123:` prefix.
 */
export function psqlError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.replace(/^psql:[^:]*:\d+:\s*/, '').trim());
  const at = lines.findIndex((l) => /^(ERROR|FATAL):/.test(l));
  if (at < 0) return lines.find((l) => /error|fatal|could not/i.test(l)) ?? lines.find(Boolean) ?? '';
  const out = [lines[at]!.replace(/^(ERROR|FATAL):\s*/, '')];
  let field: string | undefined;
  for (const l of lines.slice(at + 1)) {
    const m = /^([A-Z]+):\s*(.*)$/.exec(l);
    if (m && /^(ERROR|FATAL)$/.test(m[1]!)) break;
    // DETAIL (which objects) may run over several lines; LINE, QUERY and CONTEXT (row data) are left out.
    if (m) field = m[1] === 'DETAIL' || m[1] === 'HINT' ? m[1] : undefined;
    if (field && l) out.push(m ? `${m[1]}: ${m[2]}` : l);
  }
  const text = out.join(' ');
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}
