/**
 * The snapshot's rows, straight from pg_restore into psql. Nearly all of an archive's script is COPY
 * data, which restore-db's script reader (restore-script.ts) passes on as it came: reading every
 * byte in Node only to write it on again costs CPU the server and pg_restore need. So an archive's
 * script is read in two parts: everything but the data, through the reader as before, and the data
 * (its TABLE DATA and SEQUENCE SET entries), which pg_restore writes into a FIFO that psql reads
 * with `\i` at the point where pg_restore would have written it, in the same session and transaction.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../core/process.js';

/** One line of `pg_restore --list`: `3356; 0 16399 TABLE DATA public events postgres`. */
const ENTRY = /^(\d+); (\d+) (\d+) (.*)$/;

/** The entries pg_restore --section=data restores, other than large objects (see splitArchive). */
const isData = (tableOid: number, rest: string) => tableOid === 0 && (rest.startsWith('TABLE DATA ') || rest.startsWith('SEQUENCE SET '));

/**
 * Entries pg_restore writes after its main pass (its _tocEntryRestorePass): privileges, then event
 * triggers, their comments and materialized views' data. The main pass writes the data where the
 * table of contents has it, before all of these.
 */
function laterPass(rest: string): boolean {
  return /^(ACL|ACL LANGUAGE|DEFAULT ACL|EVENT TRIGGER|MATERIALIZED VIEW DATA) /.test(rest) || /^COMMENT \S+ EVENT TRIGGER /.test(rest);
}

export interface ArchiveParts {
  /** Entry ids of everything but the data, in table-of-contents order (a `pg_restore -L` list). */
  rest: number[];
  /** Entry ids of the data. */
  data: number[];
  /**
   * Entries of the rest that the main pass writes before the data: the data goes before the first
   * other entry the script has (pg_restore --verbose names each, `-- TOC entry <id>`), or at its end.
   */
  before: Set<number>;
}

/**
 * The archive's table of contents (`pg_restore --list`) split into the data and the rest, or
 * undefined when it cannot be split safely and the script must be read whole: large objects (whose
 * data pg_restore writes as function calls, in transactions of their own without
 * --single-transaction), no data at all, or a listing this does not read exactly (a line it does
 * not know, an entry listed twice).
 */
export function splitArchive(listing: string): ArchiveParts | undefined {
  const parts: ArchiveParts = { rest: [], data: [], before: new Set() };
  const seen = new Set<number>();
  let dataSeen = false;
  for (const line of listing.split('\n')) {
    if (line === '' || line.startsWith(';')) continue;
    const m = ENTRY.exec(line);
    if (!m) return undefined;
    const id = Number(m[1]);
    const rest = m[4]!;
    if (seen.has(id)) return undefined;
    seen.add(id);
    if (/^(BLOB|BLOBS|LARGE OBJECT|LARGE OBJECTS)( |$)/.test(rest)) return undefined;
    if (isData(Number(m[2]), rest)) {
      parts.data.push(id);
      dataSeen = true;
      continue;
    }
    parts.rest.push(id);
    if (!dataSeen && !laterPass(rest)) parts.before.add(id);
  }
  return parts.data.length ? parts : undefined;
}

/** A `pg_restore -L` list of these entries, in this order. */
export const restoreList = (ids: number[]) => ids.map((id) => `${id};\n`).join('');

/** A path psql reads as one argument of `\i` without quoting rules of its own. */
export const plainPath = (path: string) => /^[A-Za-z0-9/_.-]+$/.test(path);

/** pg_restore --verbose's header of each entry it writes: `-- TOC entry 3356 (class 0 OID 16399)`. */
export function tocEntryId(line: string): number | undefined {
  const m = /^-- TOC entry (\d+) \(class \d+ OID \d+\)$/.exec(line);
  return m ? Number(m[1]) : undefined;
}

export interface DataPath {
  /** The FIFO pg_restore writes the data into, and psql reads with `\i`. */
  fifo: string;
  /** `pg_restore -L` lists of the rest and of the data. */
  restList: string;
  dataList: string;
  before: ReadonlySet<number>;
  /** Removes the FIFO and the lists. */
  remove(): Promise<void>;
}

/**
 * Makes the FIFO and the two lists in a directory of its own, or returns undefined when the script
 * must be read whole (see splitArchive), or when this system cannot make a FIFO.
 */
export async function prepareDataPath(pgRestore: string, archive: string): Promise<DataPath | undefined> {
  // Whole: past 1 MB (some 7,000 entries) an entry left out of both lists is left out of the restore.
  const listed = await runProcess(pgRestore, ['--list', archive], { wholeStdout: true });
  const parts = listed.code === 0 ? splitArchive(listed.stdout) : undefined;
  if (!parts) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'rk-restore-'));
  // Also when the process exits before the restore removes it (a stopped step that could not wait).
  const atExit = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', atExit);
  const remove = async () => {
    process.off('exit', atExit);
    await rm(dir, { recursive: true, force: true });
  };
  const fifo = join(dir, 'data');
  try {
    if (!plainPath(fifo) || (await runProcess('mkfifo', ['-m', '600', fifo]).catch(() => undefined))?.code !== 0) {
      await remove();
      return undefined;
    }
    const restList = join(dir, 'rest.list');
    const dataList = join(dir, 'data.list');
    await writeFile(restList, restoreList(parts.rest));
    await writeFile(dataList, restoreList(parts.data));
    return { fifo, restList, dataList, before: parts.before, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** pg_restore --verbose's stderr without its progress lines (`pg_restore: creating TABLE …`). */
export function verboseErrors(): { add: (chunk: string) => void; text: () => string } {
  let kept = '';
  let partial = '';
  const keep = (line: string) => {
    if (!/^pg_restore: (creating|dropping|processing|executing|setting|connecting|disabling|enabling|implied) /.test(line) && kept.length < 64 * 1024) kept += `${line}\n`;
  };
  return {
    add: (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      lines.forEach(keep);
    },
    text: () => {
      if (partial) keep(partial);
      partial = '';
      return kept;
    },
  };
}
