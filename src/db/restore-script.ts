/**
 * The one SQL stream an in-place restore sends to psql: BEGIN, the drops restore-db planned, the
 * snapshot's own script, what it puts back, a check that every table holds the manifest's rows,
 * COMMIT. The COMMIT is only ever written after the snapshot's script was read to its end without
 * error and the caller agreed (the snapshot's bytes are the manifest's), so a pg_restore that fails,
 * a psql that stops early or a failed check can never commit half a restore: the server rolls the
 * open transaction back.
 */
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { RollbackKitError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { tocEntryId } from './restore-data.js';
import { SqlLexer } from './sql-lexer.js';

/** psql prints this after COMMIT succeeded; without it the restore did not happen. */
export const COMMITTED = 'rollback-kit: restore committed';

const isQuiet = (line: string) => line === '' || line.startsWith('--') || line.startsWith('\\unrestrict') || line.startsWith('\\restrict');

/**
 * A schema the snapshot holds may also hold objects it does not have (a table a bad deploy added):
 * the schema is kept rather than dropped and created again. Its owner, comment and grants are still
 * set by the script (its grants from the baseline restore-privileges.ts resets it to first). `statement` is whole lines (a quoted name may hold a newline), read as latin1.
 */
function keepSchema(statement: string): string | undefined {
  if (/^DROP SCHEMA IF EXISTS [\s\S]+;$/.test(statement)) return undefined;
  const create = /^CREATE SCHEMA ([\s\S]+);$/.exec(statement);
  return create ? `CREATE SCHEMA IF NOT EXISTS ${create[1]};` : statement;
}

const NL = 0x0a;
const BACKSLASH = 0x5c;
const COPY_END = Buffer.from('\\.\n');

/** What the reader does to a pg_dump / pg_restore script, statement by statement. */
export interface ScriptFilter {
  /** The script has its own BEGIN (first statement) and COMMIT (last), which are left out. */
  unwrap: boolean;
  /**
   * Replaces the script's own `SET lock_timeout = 0;` (pg_dump writes it at the top), so that every
   * lock the script waits for is bounded as the rest of the restore is.
   */
  lockTimeout?: string;
  /**
   * Told, as its bytes, every line read between statements: a comment (pg_dump's `-- Name: …; Type: …`
   * headers) or the first line of a statement. Never a line inside a statement, a string, a body or COPY data.
   */
  onTopLevelLine?: (line: Buffer) => void;
  /**
   * Roles, written as pg_dump writes them (quote_ident, in the script's bytes read as latin1), whose
   * `ALTER DEFAULT PRIVILEGES FOR ROLE` statements are left out: the restoring role is not a member,
   * so they would fail the restore (Supabase's supabase_admin, restored as postgres), and their
   * default privileges, which the restore does not touch, stay as they are. Each is told to `onLeftOut`.
   */
  leaveDefaultPrivilegesOf?: ReadonlySet<string>;
  onLeftOut?: (statement: string) => void;
  /**
   * `ALTER SCHEMA … OWNER TO …;` statements, exactly as the script writes them (its bytes read as
   * latin1), left out where the script has them: the caller runs them at the end instead
   * (restore-owners.ts, a role that may hand a schema over but not use its owner's privileges).
   */
  leaveSchemaOwners?: ReadonlySet<string>;
  /**
   * Told, as its bytes, every whole statement whose first line starts with one of `startsWith`
   * (read between statements, as onTopLevelLine); the statement itself goes on unchanged.
   */
  onStatement?: { startsWith: readonly string[]; read: (statement: Buffer) => void };
  /**
   * Told, as its bytes, every `CREATE SCHEMA` statement the script holds: the schemas the restore
   * creates (CREATE SCHEMA IF NOT EXISTS, keepSchema), which its table of contents cannot tell (a
   * whole-database dump lists `public` but writes `-- *not* creating schema`).
   */
  onCreateSchema?: (statement: Buffer) => void;
  /**
   * The snapshot's data, when psql reads it from elsewhere (restore-data.ts): `statements` are
   * written where pg_restore would have written the data, before the first `-- TOC entry <id>`
   * header (pg_restore --verbose) whose id is not in `before`, or else at the end of the script.
   * They may hold psql meta-commands: pg_restore's restricted mode (`\restrict`) is left around them.
   */
  dataAt?: { before: ReadonlySet<number>; statements: string[] };
}

export interface ScriptParts extends ScriptFilter {
  /**
   * The transaction is already open: the caller wrote its BEGIN (and its table locks) to psql
   * first (restore.ts), so the stream starts with the prelude.
   */
  opened?: boolean;
  prelude: string[];
  /** The snapshot's SQL: pg_restore's output (`unwrap`: it has its own BEGIN/COMMIT) or a plain script. */
  source: Readable | AsyncIterable<Buffer | string>;
  /** Resolves when the source's producer exited cleanly; rejects otherwise (then no COMMIT is written). */
  sourceDone: () => Promise<void>;
  epilogue: string[];
  /** Resolves before the COMMIT is written; rejects to leave it out (the transaction then rolls back). */
  beforeCommit: () => Promise<void>;
}

/** The wrapping restoreScript adds around the snapshot's script; none for a script only read or filtered. */
type Wrapping = Omit<ScriptParts, keyof ScriptFilter | 'source'>;

/** A statement restore-db may change, by what its first line starts with. */
type Acted = 'copy' | 'schema' | 'defaults' | 'read' | 'owner';

const DEFAULTS_FOR_ROLE = 'ALTER DEFAULT PRIVILEGES FOR ROLE ';

/** The role an `ALTER DEFAULT PRIVILEGES FOR ROLE x …` statement names, as it is written (quoted or not). */
function defaultsRole(statement: string): string | undefined {
  const rest = statement.slice(DEFAULTS_FOR_ROLE.length);
  if (!rest.startsWith('"')) return /^[^\s;]+/.exec(rest)?.[0];
  for (let i = 1; i < rest.length; i++) {
    if (rest[i] !== '"') continue;
    if (rest[i + 1] === '"') i++;
    else return rest.slice(0, i + 1);
  }
  return undefined;
}

const cutShort = (what: string) => new RollbackKitError(`The snapshot's restore script ${what}: it was cut short. Nothing was changed.`);

/**
 * The snapshot's script as restore-db runs it: schemas kept (see keepSchema), and with `unwrap`,
 * without the BEGIN (first statement) and COMMIT (last) of `pg_restore --single-transaction -f -`:
 * restore-db's transaction wraps them with its own statements. It acts only on statements that
 * start a line, as the SQL lexer sees it: the same text inside a function body, a string, a quoted
 * name or a comment is the user's, and everything it does not act on reaches psql as the bytes it
 * came in, in whatever encoding the server has. COPY data, nearly all of a large script, is not
 * lexed: it passes through as the slices of bytes it came in, with no copy and no wait per chunk.
 */
class ScriptStream extends Transform {
  private begun: boolean;
  private copying = false;
  /** The COMMIT seen last and the quiet lines after it, held until we know whether more SQL follows. */
  private held: Buffer[] = [];
  /** The incomplete last line of the previous chunk. */
  private carry: Buffer | undefined;
  private readonly lexer: SqlLexer;
  /** Where in the line being read the first statement to end there ended, or -1. */
  private endedAt = -1;
  /** The statement restore-db may change, while its lines are read; a schema's are held till its end. */
  private acting: { kind: Acted; lines: Buffer[]; text: string } | undefined;
  /** The key of pg_restore's `\restrict` while psql is in restricted mode. */
  private restrictKey: string | undefined;
  private dataWritten = false;
  private beforeSeen = false;

  constructor(
    private readonly rules: ScriptFilter,
    private readonly wrapping?: Wrapping,
  ) {
    super();
    this.lexer = new SqlLexer({
      // What the target's session has matters not: pg_dump's scripts SET standard_conforming_strings
      // at their top, before any string, to the value of the database dumped (off for a legacy one),
      // and the lexer follows that SET as psql does.
      standardConformingStrings: true,
      onEnd: (at) => {
        if (this.endedAt < 0) this.endedAt = at;
      },
    });
    this.begun = !rules.unwrap;
    if (wrapping) this.push([...(wrapping.opened ? [] : ['BEGIN;']), ...wrapping.prelude, ''].join('\n'));
  }

  /** One line of statements, with its newline (the script's last line may have none). */
  private statementLine(raw: Buffer): void {
    // One character per byte: SQL's syntax is ASCII, and the bytes go on as they came.
    const text = raw.toString('latin1');
    const line = raw[raw.length - 1] === NL ? text.slice(0, -1) : text;
    // pg_restore's own last COMMIT, which must never reach psql, is held wherever the lexer is not
    // inside a quote or body: no routine body can hold a COMMIT, so a lexer misled about a body
    // (never seen, but the cost would be a restore committed early) fails the restore at its end instead.
    const starts = this.lexer.idle || (this.rules.unwrap && this.lexer.inCode && raw.length <= 9 && /^COMMIT;\r?\n?$/.test(raw.toString('latin1')));
    this.endedAt = -1;
    // A psql meta-command (\restrict KEY) is a whole line of its own, not SQL.
    if (!(starts && raw[0] === BACKSLASH)) this.lexer.scan(text);
    if (this.acting) return this.actingLine(raw, line);
    if (!this.begun && !isQuiet(line)) {
      this.begun = true;
      if (starts && line === 'BEGIN;') return;
      throw new RollbackKitError('pg_restore --single-transaction did not start its script with BEGIN: restore-db cannot wrap it in its own transaction. Nothing was changed.');
    }
    if (this.held.length) {
      if (isQuiet(line)) {
        this.held.push(raw);
        return;
      }
      // Only ever written last: a COMMIT before more SQL would commit part of the restore.
      throw new RollbackKitError('pg_restore --single-transaction committed before the end of its script: restore-db cannot wrap it in its own transaction. Nothing was changed.');
    }
    if (!starts) {
      this.push(raw);
      return;
    }
    this.rules.onTopLevelLine?.(raw);
    if (raw[0] === BACKSLASH) this.restrict(line);
    if (this.rules.dataAt && !this.dataWritten && line.startsWith('-- TOC entry ')) {
      const id = tocEntryId(line);
      // Only once the entries before it have begun: --clean's drops, all first, carry no headers.
      if (id !== undefined && this.rules.dataAt.before.has(id)) this.beforeSeen = true;
      else if (id !== undefined && (this.beforeSeen || !this.rules.dataAt.before.size)) this.writeData();
    }
    if (this.rules.unwrap && line === 'COMMIT;') this.held.push(raw);
    else if (this.rules.lockTimeout && line === 'SET lock_timeout = 0;') this.push(`${this.rules.lockTimeout}\n`);
    else if (line.startsWith('COPY ')) this.actingLine(raw, line, 'copy');
    else if (line.startsWith('DROP SCHEMA IF EXISTS ') || line.startsWith('CREATE SCHEMA ')) this.actingLine(raw, line, 'schema');
    else if (this.rules.leaveDefaultPrivilegesOf?.size && line.startsWith(DEFAULTS_FOR_ROLE)) this.actingLine(raw, line, 'defaults');
    else if (this.rules.leaveSchemaOwners?.size && line.startsWith('ALTER SCHEMA ')) this.actingLine(raw, line, 'owner');
    else if (this.rules.onStatement?.startsWith.some((p) => line.startsWith(p))) this.actingLine(raw, line, 'read');
    else this.push(raw);
  }

  /** Follows psql's restricted mode: `\restrict KEY` enters it, `\unrestrict KEY` leaves it. */
  private restrict(line: string): void {
    const m = /^\\(un)?restrict\s+(\S+)\s*$/.exec(line);
    if (m) this.restrictKey = m[1] ? undefined : m[2];
  }

  /** The data's statements (dataAt), outside psql's restricted mode, which refuses meta-commands. */
  private writeData(): void {
    this.dataWritten = true;
    const key = this.restrictKey;
    const lines = [...(key ? [`\\unrestrict ${key}`] : []), ...this.rules.dataAt!.statements, ...(key ? [`\\restrict ${key}`] : [])];
    this.push(Buffer.from(`${lines.join('\n')}\n`, 'latin1'));
  }

  /** A line of a statement restore-db may change: `start` when the statement starts on it. */
  private actingLine(raw: Buffer, line: string, start?: Acted): void {
    if (start) this.acting = { kind: start, lines: [], text: '' };
    const acting = this.acting!;
    if (acting.kind === 'copy') this.push(raw);
    else {
      acting.lines.push(raw);
      acting.text += acting.text ? `\n${line}` : line;
    }
    if (this.endedAt < 0) return;
    this.acting = undefined;
    // Ended where the line does, or something else follows on it (not pg_dump's): left as it is.
    const whole = this.endedAt === line.length - 1;
    if (acting.kind === 'copy') {
      this.copying = whole && line.endsWith(' FROM stdin;');
      return;
    }
    if (acting.kind === 'read') {
      this.rules.onStatement!.read(Buffer.concat(acting.lines));
      for (const l of acting.lines) this.push(l);
      return;
    }
    if (acting.kind === 'owner') {
      if (!(whole && this.rules.leaveSchemaOwners!.has(acting.text))) for (const l of acting.lines) this.push(l);
      return;
    }
    if (acting.kind === 'defaults') {
      const role = whole ? defaultsRole(acting.text) : undefined;
      if (role !== undefined && this.rules.leaveDefaultPrivilegesOf!.has(role)) this.rules.onLeftOut?.(acting.text);
      else for (const l of acting.lines) this.push(l);
      return;
    }
    if (acting.text.startsWith('CREATE SCHEMA ')) this.rules.onCreateSchema?.(Buffer.concat(acting.lines));
    const kept = whole ? keepSchema(acting.text) : acting.text;
    if (kept === acting.text) for (const l of acting.lines) this.push(l);
    else if (kept !== undefined) this.push(Buffer.from(`${kept}\n`, 'latin1'));
  }

  /** A whole line of COPY data, or its end. */
  private copyLine(line: Buffer[]): void {
    const whole = line.length === 1 ? line[0]! : Buffer.concat(line);
    if (whole.length === 3 && whole.equals(COPY_END)) this.copying = false;
    for (const part of line) this.push(part);
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      let pos = 0;
      if (this.carry) {
        // The line the last chunk began: completed here, without copying this chunk onto it.
        const nl = buf.indexOf(NL);
        if (nl < 0) {
          this.carry = Buffer.concat([this.carry, buf]);
          return done();
        }
        const head = [this.carry, buf.subarray(0, nl + 1)];
        this.carry = undefined;
        if (this.copying) this.copyLine(head);
        else this.statementLine(Buffer.concat(head));
        pos = nl + 1;
      }
      while (pos < buf.length) {
        if (this.copying) {
          // The data ends at a line that is exactly \. ; everything before it goes as it is.
          let end = buf.indexOf(COPY_END, pos);
          while (end > pos && buf[end - 1] !== NL) end = buf.indexOf(COPY_END, end + 1);
          if (end < 0) {
            const last = buf.lastIndexOf(NL);
            if (last >= pos) {
              this.push(buf.subarray(pos, last + 1));
              pos = last + 1;
            }
            break;
          }
          this.push(buf.subarray(pos, end + 3));
          this.copying = false;
          pos = end + 3;
        } else {
          const nl = buf.indexOf(NL, pos);
          if (nl < 0) break;
          this.statementLine(buf.subarray(pos, nl + 1));
          pos = nl + 1;
        }
      }
      if (pos < buf.length) this.carry = buf.subarray(pos);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    void this.finish().then(() => done(), (err: unknown) => done(err as Error));
  }

  private async finish(): Promise<void> {
    try {
      if (this.carry) {
        if (this.copying) this.push(this.carry);
        else this.statementLine(this.carry);
        this.carry = undefined;
      }
      if (this.rules.unwrap) {
        if (!this.held.length) throw cutShort('did not end with its COMMIT');
        this.held.shift();
      }
      // psql would read restore-db's own statements, COMMIT included, as part of what is still open.
      if (this.copying || this.acting || !this.lexer.idle) throw cutShort('ended inside a statement, a quoted string or COPY data');
    } catch (err) {
      // A script cut short because pg_restore failed: its own reason says more.
      await this.wrapping?.sourceDone();
      throw err;
    }
    if (this.rules.dataAt && !this.dataWritten) this.writeData();
    for (const h of this.held) this.push(h);
    if (!this.wrapping) return;
    await this.wrapping.sourceDone();
    this.push(['', ...this.wrapping.epilogue, ''].join('\n'));
    await this.wrapping.beforeCommit();
    this.push(`COMMIT;\n\\echo '${COMMITTED}'\n`);
  }
}

/** The SQL stream for psql: BEGIN (unless `opened`), the prelude, the snapshot's script, the epilogue, then COMMIT. */
export function restoreScript(parts: ScriptParts): Readable {
  const { opened, prelude, source, sourceDone, epilogue, beforeCommit, ...filter } = parts;
  const input = source instanceof Readable ? source : Readable.from(source);
  // pipeline, not pipe: a source that fails fails the script too, so no COMMIT can follow it.
  return pipeline(input, new ScriptStream(filter, { opened, prelude, sourceDone, epilogue, beforeCommit }), () => undefined);
}

/**
 * The script filtered statement by statement, without restore-db's wrapping: for reading pg_dump's
 * headers (give it as a process's stdout, or pipe into it) and for scripts restore-db runs whole.
 * Its output must be consumed.
 */
export function scriptFilter(filter: ScriptFilter): Transform {
  return new ScriptStream(filter);
}

/** A whole script, filtered. */
export async function filterScript(script: string, filter: ScriptFilter): Promise<string> {
  const out: Buffer[] = [];
  for await (const part of Readable.from([Buffer.from(script)]).pipe(scriptFilter(filter))) out.push(part as Buffer);
  return Buffer.concat(out).toString('utf8');
}

/**
 * PostgreSQL's own words from psql's stderr: the ERROR, with the DETAIL (which objects) and HINT
 * (what to change) lines that follow it, without psql's `psql:<stdin>:123:` prefix.
 *
 * psql prints each field as it is, so a name the server quotes may run over lines: the ERROR's
 * lines up to the next field are its message, joined by `\n` written out (as the row check writes
 * them, visibleText in restore.ts), so a name keeps what follows its newline and the message stays
 * one line. A name holding "\nHINT:  " still reads as a field here: messages rollback-kit raises
 * itself escape their names in SQL and never depend on this.
 */
/** `log` redacts the reason before it is cut: a DETAIL may quote row data. */
export function psqlError(stderr: string, log: Pick<Log, 'excerpt'>): string {
  const lines = stderr.replace(/\n$/, '').split('\n').map((l) => l.replace(/^psql:[^:]*:\d+:\s*/, '').trim());
  const at = lines.findIndex((l) => /^(ERROR|FATAL):/.test(l));
  if (at < 0) return lines.find((l) => /error|fatal|could not/i.test(l)) ?? lines.find(Boolean) ?? '';
  const out = [lines[at]!.replace(/^(ERROR|FATAL):\s*/, '')];
  let field: string | undefined = 'ERROR';
  for (const l of lines.slice(at + 1)) {
    // psql's own fields, and its `LINE 12:` that quotes the statement.
    const m = /^([A-Z]+)(?: \d+)?:\s*(.*)$/.exec(l);
    if (m && /^(ERROR|FATAL)$/.test(m[1]!)) break;
    // DETAIL (which objects) may run over several lines; LINE, QUERY and CONTEXT (row data) are left out.
    if (m) field = m[1] === 'DETAIL' || m[1] === 'HINT' ? m[1] : undefined;
    else if (field === 'ERROR') out[0] += `\\n${l}`;
    if (m && field) out.push(`${m[1]}: ${m[2]}`);
    else if (field && field !== 'ERROR' && l) out.push(l);
  }
  return log.excerpt(out.join(' '), 600);
}
