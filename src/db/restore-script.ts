/**
 * The one SQL stream an in-place restore sends to psql: BEGIN, the drops restore-db planned, the
 * snapshot's own script, what it puts back, COMMIT. The COMMIT is only ever written after the
 * snapshot's script was read to its end without error, so a pg_restore that fails or a psql that
 * stops early can never commit half a restore: the server rolls the open transaction back.
 */
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { copyTarget } from './copy-target.js';
import type { TableName } from './patterns.js';

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

const NL = 0x0a;
const COPY_END = Buffer.from('\\.\n');

/** What psql reports on stderr (`\warn`, psql 13) while the transaction is still open: each COPY's rows, then that all ran. */
export const ROWS_MARK = 'rollback-kit rows';
export const READY_MARK = 'rollback-kit ready';

/**
 * The snapshot's script as restore-db runs it: schemas kept (see keepSchema), and with `unwrap`,
 * without the BEGIN (first statement) and COMMIT (last) of `pg_restore --single-transaction -f -`:
 * restore-db's transaction wraps them with its own statements. Statements are read line by line;
 * COPY data, nearly all of a large script, passes through as the bytes it came in. After each COPY,
 * psql is asked to report the rows the server loaded (`ROWS_MARK <n> <rows>`, n indexing `copies`).
 */
async function* scriptLines(source: AsyncIterable<Buffer | string>, unwrap: boolean, copies: (TableName | undefined)[]): AsyncGenerator<Buffer> {
  let begun = !unwrap;
  let copying = false;
  // The COMMIT seen last and the quiet lines after it, held until we know whether more SQL follows.
  let held: string[] = [];
  let out: (Buffer | string)[] = [];
  const flush = () => {
    const parts = out.map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
    out = [];
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  };
  // pg_dump's `\restrict <key>` stops psql from running backslash commands inside the script (a
  // crafted object name cannot smuggle one in); ours step out of it with the key and back in.
  let restrictKey: string | undefined;
  const meta = (command: string) => (restrictKey ? `\\unrestrict ${restrictKey}\n${command}\n\\restrict ${restrictKey}\n` : `${command}\n`);
  const statementLine = (line: string) => {
    const restrict = /^\\(un)?restrict (\S+)$/.exec(line);
    if (restrict) restrictKey = restrict[1] ? undefined : restrict[2];
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
      for (const h of held) out.push(`${h}\n`);
      held = [];
    }
    if (unwrap && kept === 'COMMIT;') held.push(kept);
    else out.push(`${kept}\n`);
    if (/^COPY .+ FROM stdin;$/.test(kept)) {
      copying = true;
      copies.push(copyTarget(kept));
    }
  };
  let carry: Buffer | undefined;
  for await (const chunk of source) {
    const buf = carry ? Buffer.concat([carry, Buffer.from(chunk)]) : Buffer.from(chunk);
    let pos = 0;
    for (;;) {
      if (copying) {
        // The data ends at a line that is exactly \. ; everything before it goes as it is.
        let end = buf.indexOf(COPY_END, pos);
        while (end > pos && buf[end - 1] !== NL) end = buf.indexOf(COPY_END, end + 1);
        if (end < 0) {
          const last = buf.lastIndexOf(NL);
          if (last >= pos) {
            out.push(buf.subarray(pos, last + 1));
            pos = last + 1;
          }
          break;
        }
        out.push(buf.subarray(pos, end + 3), meta(`\\warn ${ROWS_MARK} ${copies.length - 1} :ROW_COUNT`));
        pos = end + 3;
        copying = false;
      } else {
        const nl = buf.indexOf(NL, pos);
        if (nl < 0) break;
        statementLine(buf.toString('utf8', pos, nl));
        pos = nl + 1;
      }
    }
    carry = pos < buf.length ? buf.subarray(pos) : undefined;
    if (out.length) yield flush();
  }
  if (carry) {
    if (copying) out.push(carry);
    else statementLine(carry.toString('utf8'));
  }
  if (unwrap) {
    if (held[0] !== 'COMMIT;') throw new RollbackKitError('The snapshot\'s restore script did not end with its COMMIT: it was cut short. Nothing was changed.');
    held.shift();
  }
  for (const h of held) out.push(`${h}\n`);
  if (out.length) yield flush();
}

export interface ScriptParts {
  prelude: string[];
  /** The snapshot's SQL: pg_restore's output (`unwrap`: it has its own BEGIN/COMMIT) or a plain script. */
  source: AsyncIterable<Buffer | string>;
  unwrap: boolean;
  /** Resolves when the source's producer exited cleanly; rejects otherwise (then no COMMIT is written). */
  sourceDone: () => Promise<void>;
  epilogue: string[];
  /** Filled with the table of each COPY, in order: what `ROWS_MARK <n>` refers to. */
  copies: (TableName | undefined)[];
  /**
   * Asked after psql was sent everything but the end: true to COMMIT, false to ROLLBACK. It may wait
   * for READY_MARK on psql's stderr, which psql prints once it has run all that came before.
   */
  decide: () => Promise<boolean>;
}

export async function* restoreScript(parts: ScriptParts): AsyncGenerator<Buffer | string> {
  yield ['BEGIN;', ...parts.prelude, ''].join('\n');
  try {
    yield* scriptLines(parts.source, parts.unwrap, parts.copies);
  } catch (err) {
    // A script cut short because pg_restore failed: its own reason says more.
    await parts.sourceDone();
    throw err;
  }
  await parts.sourceDone();
  yield ['', ...parts.epilogue, `\\warn ${READY_MARK}`, ''].join('\n');
  yield (await parts.decide()) ? `COMMIT;\n\\echo '${COMMITTED}'\n` : 'ROLLBACK;\n';
}

/**
 * PostgreSQL's own words from psql's stderr: the ERROR, with the DETAIL (which objects) and HINT
 * (what to change) lines that follow it, without psql's `psql:<stdin>:123:` prefix.
 */
/** `log` redacts the reason before it is cut: a DETAIL may quote row data. */
export function psqlError(stderr: string, log: Pick<Log, 'excerpt'>): string {
  // Our own progress lines (ROWS_MARK, READY_MARK) are not the reason.
  const lines = stderr
    .split('\n')
    .filter((l) => !l.startsWith(ROWS_MARK) && !l.startsWith(READY_MARK))
    .map((l) => l.replace(/^psql:[^:]*:\d+:\s*/, '').trim());
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
