/**
 * The one SQL stream an in-place restore sends to psql: BEGIN, the drops restore-db planned, the
 * snapshot's own script, what it puts back, COMMIT. The COMMIT is only ever written after the
 * snapshot's script was read to its end without error, so a pg_restore that fails or a psql that
 * stops early can never commit half a restore: the server rolls the open transaction back.
 */
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';

/** psql prints this after COMMIT succeeded; without it the restore did not happen. */
export const COMMITTED = 'rollback-kit: restore committed';

const isQuiet = (line: string) => line === '' || line.startsWith('--') || line.startsWith('\\unrestrict') || line.startsWith('\\restrict');

/**
 * A schema the snapshot holds may also hold objects it does not have (a table a bad deploy added):
 * the schema is kept rather than dropped and created again. Its owner, comment and grants are still
 * set by the script.
 */
function keepSchema(line: string): string | undefined {
  if (/^DROP SCHEMA IF EXISTS .+;$/.test(line)) return undefined;
  const create = /^CREATE SCHEMA (.+);$/.exec(line);
  return create ? `CREATE SCHEMA IF NOT EXISTS ${create[1]};` : line;
}

/**
 * The snapshot's script as restore-db runs it: schemas kept (see keepSchema), and with `unwrap`,
 * without the BEGIN (first statement) and COMMIT (last) of `pg_restore --single-transaction -f -`:
 * restore-db's transaction wraps them with its own statements. Statements are read line by line;
 * COPY data, nearly all of a large script, passes through untouched in whole slices.
 */
async function* scriptLines(source: AsyncIterable<Buffer | string>, unwrap: boolean): AsyncGenerator<string> {
  let begun = !unwrap;
  let copying = false;
  // The COMMIT seen last and the quiet lines after it, held until we know whether more SQL follows.
  let held: string[] = [];
  let out: string[] = [];
  let size = 0;
  const emit = (text: string) => {
    out.push(text);
    size += text.length;
  };
  const statementLine = (line: string) => {
    const kept = keepSchema(line);
    if (kept === undefined) return;
    if (!begun && !isQuiet(kept)) {
      begun = true;
      if (kept === 'BEGIN;') return;
      throw new RollbackKitError('pg_restore --single-transaction did not start its script with BEGIN: restore-db cannot wrap it in its own transaction. Nothing was changed.');
    }
    if (held.length) {
      if (isQuiet(kept)) {
        held.push(kept);
        return;
      }
      for (const h of held) emit(`${h}\n`);
      held = [];
    }
    if (unwrap && kept === 'COMMIT;') held.push(kept);
    else emit(`${kept}\n`);
    if (/^COPY .+ FROM stdin;$/.test(kept)) copying = true;
  };
  let buffer = '';
  for await (const chunk of source) {
    buffer += chunk.toString();
    let pos = 0;
    for (;;) {
      if (copying) {
        // The data ends at a line that is exactly \. ; everything before it goes as it is.
        let end = buffer.indexOf('\\.\n', pos);
        while (end > pos && buffer[end - 1] !== '\n') end = buffer.indexOf('\\.\n', end + 1);
        if (end < 0) {
          const last = buffer.lastIndexOf('\n');
          if (last >= pos) {
            emit(buffer.slice(pos, last + 1));
            pos = last + 1;
          }
          break;
        }
        emit(buffer.slice(pos, end + 3));
        pos = end + 3;
        copying = false;
      } else {
        const nl = buffer.indexOf('\n', pos);
        if (nl < 0) break;
        statementLine(buffer.slice(pos, nl));
        pos = nl + 1;
      }
    }
    buffer = buffer.slice(pos);
    if (size >= 1 << 16) {
      yield out.join('');
      out = [];
      size = 0;
    }
  }
  if (buffer) {
    if (copying) emit(buffer);
    else statementLine(buffer);
  }
  if (unwrap) {
    if (held[0] !== 'COMMIT;') throw new RollbackKitError('The snapshot\'s restore script did not end with its COMMIT: it was cut short. Nothing was changed.');
    held.shift();
  }
  for (const h of held) emit(`${h}\n`);
  if (out.length) yield out.join('');
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
  yield* scriptLines(parts.source, parts.unwrap);
  await parts.sourceDone();
  yield ['', ...parts.epilogue, 'COMMIT;', `\\echo '${COMMITTED}'`, ''].join('\n');
}

/**
 * PostgreSQL's own words from psql's stderr: the ERROR, with the DETAIL (which objects) and HINT
 * (what to change) lines that follow it, without psql's `psql:<stdin>:123:` prefix.
 */
/** `log` redacts the reason before it is cut: a DETAIL may quote row data. */
export function psqlError(stderr: string, log: Pick<Log, 'excerpt'>): string {
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
  return log.excerpt(out.join(' '), 600);
}
