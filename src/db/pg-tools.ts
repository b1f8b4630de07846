/**
 * Finding pg_dump / pg_restore / psql whose major version fits the server. pg_dump refuses a newer
 * server ("aborting because of server version mismatch"), and runners often ship one older client,
 * so we look on PATH and in Debian's versioned folders and say which package to install if none fits.
 */
import { accessSync, constants, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { RollbackKitError } from '../core/errors.js';
import { runProcess } from '../core/process.js';

export type PgToolName = 'pg_dump' | 'pg_restore' | 'psql';

export interface PgTool {
  name: PgToolName;
  path: string;
  major: number;
  version: string;
}

export interface FindToolOptions {
  /** An explicit path (the pg-dump-path input): used as given, never searched past. */
  explicitPath?: string;
  /** The PATH to search, as the entry point read it. */
  searchPath?: string;
  /** Where versioned installs live; Debian/Ubuntu's postgresql-client-NN put them here. */
  versionedRoot?: string;
  /** The action's input that takes an explicit path (snapshot-db's pg-dump-path); hints name only an input the action has. */
  pathInput?: string;
}

export const DEFAULT_VERSIONED_ROOT = '/usr/lib/postgresql';

/** `SHOW server_version_num` (e.g. 150020) → 15; before PostgreSQL 10 the major had two parts. */
export function majorFromVersionNum(num: number): number {
  return num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 100) / 100;
}

export async function toolVersion(path: string): Promise<{ major: number; version: string } | undefined> {
  try {
    const { code, stdout } = await runProcess(path, ['--version'], { timeoutMs: 15_000 });
    const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(stdout);
    if (code !== 0 || !m) return undefined;
    return { major: Number(m[1]), version: m[2] ? `${m[1]}.${m[2]}` : m[1]! };
  } catch {
    return undefined;
  }
}

/**
 * One `--version` probe per program per run: snapshot-db, restore-db and the whole rollback ask for
 * the same tools several times. Keyed by the name it is called by (Debian's wrapper answers for the
 * tool it is called as), the file it resolves to and that file's identity, so a program replaced
 * during the run is probed again.
 */
const probes = new Map<string, Promise<{ major: number; version: string } | undefined>>();

function probe(c: Candidate): Promise<{ major: number; version: string } | undefined> {
  const key = `${basename(c.path)}\0${c.real}\0${c.id}`;
  let known = probes.get(key);
  if (!known) probes.set(key, (known = toolVersion(c.path)));
  return known;
}

interface Candidate {
  /** As it is run: the wrapper must be called by the tool's name. */
  path: string;
  /** Where it resolves to, symbolic links followed: two PATH entries often reach one file. */
  real: string;
  /** The file's identity (device, inode, size, modification time). */
  id: string;
  /** Debian's postgresql-common wrapper (a Perl script that picks a versioned binary): slower to start, and it chooses for us. */
  wrapper: boolean;
}

function candidate(path: string): Candidate | undefined {
  try {
    accessSync(path, constants.X_OK);
    const real = realpathSync(path);
    const st = statSync(real);
    if (!st.isFile()) return undefined;
    return { path, real, id: `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`, wrapper: basename(real) === 'pg_wrapper' };
  } catch {
    return undefined;
  }
}

/** Executable candidates, one per real file: the versioned installs (newest first), then PATH in order. */
function candidates(name: PgToolName, opts: FindToolOptions): Candidate[] {
  const paths: string[] = [];
  const root = opts.versionedRoot ?? DEFAULT_VERSIONED_ROOT;
  try {
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a) || b.localeCompare(a));
    for (const v of versions) paths.push(join(root, v, 'bin', name));
  } catch {
    // No versioned installs on this machine.
  }
  for (const dir of (opts.searchPath ?? '').split(delimiter).filter(Boolean)) paths.push(join(dir, name));
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const path of paths) {
    const c = candidate(path);
    if (!c || seen.has(c.real)) continue;
    seen.add(c.real);
    out.push(c);
  }
  // Without a PATH from the caller, let the system resolve the bare name as a shell would.
  if (opts.searchPath === undefined) out.push({ path: name, real: name, id: 'PATH', wrapper: false });
  return out;
}

async function probeAll(list: Candidate[], name: PgToolName): Promise<PgTool[]> {
  const versions = await Promise.all(list.map(probe));
  return list.flatMap((c, i) => (versions[i] ? [{ name, path: c.path, ...versions[i] }] : []));
}

/**
 * Starts the `--version` probes of the versioned installs of `names` without waiting: run while the
 * connection is made, they cost no wall time, and findPgTool / siblingTool later find them cached.
 */
export function warmPgTools(names: PgToolName[], opts: FindToolOptions = {}): void {
  for (const name of names) for (const c of candidates(name, opts)) if (!c.wrapper && c.id !== 'PATH') void probe(c);
}

/**
 * The newest tool whose major is at least the server's: a newer pg_dump reads older servers, and
 * the archive it writes is then read back by a pg_restore of the same version or newer. Versioned
 * binaries are probed first, in parallel; Debian's wrapper only when none of them fits, since it
 * runs one of those same binaries, a Perl start-up later.
 */
export async function findPgTool(name: PgToolName, serverMajor: number, opts: FindToolOptions = {}): Promise<PgTool> {
  const installHint =
    `Install the client for PostgreSQL ${serverMajor}: sudo apt-get install -y postgresql-client-${serverMajor} ` +
    `(from the PGDG apt repository, apt.postgresql.org), then it is found in ${DEFAULT_VERSIONED_ROOT}/${serverMajor}/bin${opts.pathInput ? `; or pass its path in ${opts.pathInput}` : ''}.`;
  if (opts.explicitPath) {
    const c = candidate(opts.explicitPath);
    const v = c ? await probe(c) : undefined;
    if (!v) throw new RollbackKitError(`${name} at ${opts.explicitPath} does not exist or is not a PostgreSQL ${name}.`, installHint);
    if (v.major < serverMajor) {
      throw new RollbackKitError(`${name} ${v.version} at ${opts.explicitPath} is older than the server (PostgreSQL ${serverMajor}) and would refuse to run.`, installHint);
    }
    return { name, path: opts.explicitPath, ...v };
  }
  const all = candidates(name, opts);
  const newest = (tools: PgTool[]) => tools.filter((t) => t.major >= serverMajor).sort((a, b) => b.major - a.major)[0];
  const direct = await probeAll(all.filter((c) => !c.wrapper), name);
  const fit = newest(direct);
  if (fit) return fit;
  const seen = [...direct, ...(await probeAll(all.filter((c) => c.wrapper), name))];
  const viaWrapper = newest(seen);
  if (viaWrapper) return viaWrapper;
  const found = seen.length ? `found only ${[...seen].sort((a, b) => a.major - b.major).map((t) => `${t.version} (${t.path})`).join(', ')}` : 'none found on PATH or in ' + DEFAULT_VERSIONED_ROOT;
  throw new RollbackKitError(`No ${name} of version ${serverMajor} or newer: ${found}.`, installHint);
}

/** The tool of the same installation as another one (pg_restore beside the chosen pg_dump). */
export async function siblingTool(of: PgTool, name: PgToolName, serverMajor: number, opts: FindToolOptions = {}): Promise<PgTool> {
  const beside = candidate(join(of.path, '..', name));
  const v = beside ? await probe(beside) : undefined;
  if (beside && v && v.major >= serverMajor) return { name, path: beside.path, ...v };
  return findPgTool(name, serverMajor, { ...opts, explicitPath: undefined });
}

const TOOL_PREFIX = /^(pg_dump|pg_restore|psql):\s*/;

/**
 * The line of a pg_dump / pg_restore / psql stderr worth showing: the first that reports an error,
 * else the first at all, without the tool's `name: error:` prefix, followed by the server's own
 * reason and hint that the tool printed after it ("detail: Error message from server: FATAL: …",
 * "HINT: …"): "PQgetCopyData() failed" alone does not say the connection was terminated. libpq's
 * own hint after a failed connection (a line of its own, indented with a tab) is said in brackets,
 * and a failure at another host (one line each) is left out: the first says what went wrong.
 * Empty when stderr is.
 */
export function toolErrorLine(stderr: string): string {
  const raw = stderr.split('\n').filter((l) => l.trim());
  const lines = raw.map((l) => l.trim().replace(/\s+/g, ' '));
  const at = Math.max(0, lines.findIndex((l) => /error|fatal|could not/i.test(l)));
  let main = (lines[at] ?? '').replace(TOOL_PREFIX, '').replace(/^error:\s*/, '');
  const reasons: string[] = [];
  let hint = '';
  // A server message quoting a name that holds a newline runs over lines without the tool's prefix:
  // they are its message up to the next field, joined by `\n` written out so the line stays one.
  let inMain = true;
  for (const [i, line] of lines.entries()) {
    if (i <= at) continue;
    if (raw[i]!.startsWith('\t')) {
      if (inMain && !hint) hint = line;
      continue;
    }
    if (/^connection to server /.test(line)) inMain = false;
    else if (inMain && !TOOL_PREFIX.test(line) && !/^(?:[A-Z]+(?: \d+)?|Command was|Query was):/.test(line)) {
      main += `\\n${line}`;
      continue;
    }
    inMain = false;
    const rest = line.replace(TOOL_PREFIX, '');
    if (/^error:/.test(rest)) break;
    const reason = /^detail: Error message from server: (.+)$/.exec(rest)?.[1] ?? /^(?:hint|HINT|DETAIL): (.+)$/.exec(rest)?.[0];
    if (reason && !main.includes(reason) && !reasons.includes(reason)) reasons.push(reason.replace(/^hint: /, 'HINT: '));
  }
  if (hint) main = `${main.replace(/\.+$/, '')} (${hint[0]!.toLowerCase()}${hint.slice(1)})`;
  return [main, ...reasons].map((part) => part.replace(/\.+$/, '')).join('; ');
}
