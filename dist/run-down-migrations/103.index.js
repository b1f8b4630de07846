export const id = 103;
export const ids = [103];
export const modules = {

/***/ 5713:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   R3: () => (/* binding */ runProcess)
/* harmony export */ });
/* unused harmony exports KILL_GRACE_MS, heldProcessGroups */
/**
 * How long a program asked to end may take before it is killed. A gentler signal lets it end its
 * own way (psql cancels its statement on SIGINT, so the server frees the locks at once), but a
 * program that ignores it, or waits on a connection that stalled for the cancel it sends, would
 * otherwise hold the run, and whatever it holds, for as long as it likes.
 */
const KILL_GRACE_MS = 5000;
/**
 * Every program runs in a process group of its own, so that ending it (abort, timeout) ends what it
 * started too: a command's background job, git's HTTP helper, a deploy script's child that would
 * otherwise go on acting on production after the step said it failed. Killing the program alone
 * leaves those running.
 *
 * A group of its own (spawn's `detached`: a session of its own) also takes the program out of ours,
 * and so out of the reach of what reached it there; that is made up for here:
 *
 * - SIGINT, SIGTERM and SIGHUP sent to us (Ctrl-C at the CLI's terminal, which the terminal sends
 *   to our group only; the runner cancelling the job) reach every group still running. While a
 *   stop-signals.ts handler listens too, a program run with an abort `signal` is ended by that
 *   abort, its own way (psql's SIGINT, which cancels its statement on the server: a SIGTERM passed on
 *   as well would end psql before it sent the cancel, and leave its backend waiting for a lock); one
 *   without gets the signal, as it did in our group. Where nothing else of ours listens for that
 *   signal, every group gets its own stop signal (`killSignal`, SIGTERM unless said: a shell's
 *   background job ignores SIGINT) and we die of the signal as Node's default would have had us
 *   (no 'exit' event comes for that).
 * - When we exit while a group still runs (the work did not end within a stop's grace, an
 *   unexpected exit), the group is killed: nothing we started outlives us unsupervised.
 *
 * A group is let go when its program exits on its own: what it left running on purpose (a service
 * started with `&`) is its business. A group we ended is killed whole once its grace is over.
 */
/** Each held group, with the signal its abort ends it with and whether it has an abort at all. */
const groups = new Map();
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];
function signalGroup(pgid, sig) {
    try {
        process.kill(-pgid, sig);
    }
    catch {
        // ESRCH: every process of the group has exited.
    }
}
function forward(sig) {
    if (process.listenerCount(sig) > 1) {
        for (const [g, how] of groups)
            if (!how.stoppable)
                signalGroup(g, sig);
        return;
    }
    // Ours was the only listener: without it Node would have exited by this signal, so it does.
    for (const [g, how] of groups)
        signalGroup(g, how.killSignal);
    unwatchSignals();
    process.kill(process.pid, sig);
}
function killAllGroups() {
    for (const g of groups.keys())
        signalGroup(g, 'SIGKILL');
}
let watching = false;
function watchSignals() {
    if (watching)
        return;
    watching = true;
    for (const sig of FORWARDED)
        process.on(sig, forward);
    process.on('exit', killAllGroups);
}
function unwatchSignals() {
    if (!watching)
        return;
    watching = false;
    for (const sig of FORWARDED)
        process.off(sig, forward);
    process.off('exit', killAllGroups);
}
function holdGroup(pgid, killSignal, stoppable) {
    groups.set(pgid, { killSignal, stoppable });
    watchSignals();
}
function releaseGroup(pgid) {
    groups.delete(pgid);
    if (!groups.size)
        unwatchSignals();
}
/** The process groups of programs we started that are still held (for tests). */
function heldProcessGroups() {
    return [...groups.keys()];
}
/** How long captured output may still come after the program exited (see 'exit' below). */
const EXIT_GRACE_MS = 2000;
/** Output beyond this is cut (unless wholeStdout): pg_restore -v can be chatty, and memory is not a log store. */
const MAX_CAPTURE = 1 << 20;
async function runProcess(command, args, opts = {}) {
    // Loaded on the first run, not with the bundle: most paths of promote-previous never start a
    // program, and node:child_process is about 10 ms of start-up before their first request.
    const { spawn } = await Promise.resolve(/* import() */).then(__webpack_require__.t.bind(__webpack_require__, 1421, 19));
    return new Promise((resolve, reject) => {
        // The child inherits the umask at the spawn, which is synchronous: ours is put back right after.
        const ours = opts.umask === undefined ? undefined : process.umask(opts.umask);
        let child;
        try {
            child = spawn(command, args, {
                cwd: opts.cwd,
                // eslint-disable-next-line no-restricted-properties -- children inherit PATH and HOME, not inputs
                env: (opts.inheritEnv === false ? { ...opts.env } : { ...process.env, ...opts.env }),
                stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
                // A process group of its own (see `groups` above); the abort is handled below, for the group.
                detached: true,
            });
        }
        finally {
            if (ours !== undefined)
                process.umask(ours);
        }
        const pgid = child.pid;
        if (pgid !== undefined)
            holdGroup(pgid, opts.killSignal ?? 'SIGTERM', opts.signal !== undefined);
        if (opts.stdin) {
            // The program may exit before reading everything (an error stops psql): not our failure.
            child.stdin.on('error', () => undefined);
            opts.stdin.pipe(child.stdin);
        }
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        const graceMs = opts.killGraceMs ?? KILL_GRACE_MS;
        let ended = false;
        let exited = false;
        /**
         * Ends the program and everything in its group: `sig` now, SIGKILL to whatever of the group is
         * left after the grace (the program itself, or what it started and left behind as it exited).
         * The group is held until then, so that our exit meanwhile kills it too.
         */
        const end = (sig) => {
            if (ended || pgid === undefined)
                return;
            ended = true;
            signalGroup(pgid, sig);
            setTimeout(() => {
                signalGroup(pgid, 'SIGKILL');
                releaseGroup(pgid);
            }, graceMs).unref();
        };
        const timer = opts.timeoutMs
            ? setTimeout(() => {
                timedOut = true;
                end('SIGTERM');
            }, opts.timeoutMs)
            : undefined;
        const onAbort = () => end(opts.killSignal ?? 'SIGTERM');
        if (opts.signal?.aborted)
            onAbort();
        else
            opts.signal?.addEventListener('abort', onAbort, { once: true });
        const cut = { stdout: false, stderr: false };
        if (opts.stdout) {
            const out = opts.stdout;
            child.stdout.pipe(out);
            // A reader that goes away first (psql failed, so restore-db destroyed the script reading
            // pg_restore's) unpipes stdout and leaves it paused: unread, it never ends, 'close' never
            // comes, and once the program has exited nothing is left to wait on. The rest is dropped.
            out.once('close', () => {
                child.stdout.unpipe(out);
                child.stdout.resume();
            });
        }
        else {
            // Decoded as a stream: a chunk can end inside a multi-byte character.
            child.stdout.setEncoding('utf8');
            child.stdout.on('data', (text) => {
                if (opts.wholeStdout || stdout.length < MAX_CAPTURE)
                    stdout += text;
                else
                    cut.stdout = true;
                opts.onStdout?.(text);
            });
        }
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (text) => {
            if (stderr.length < MAX_CAPTURE)
                stderr += text;
            else
                cut.stderr = true;
            opts.onStderr?.(text);
        });
        child.on('error', (err) => {
            if (timer)
                clearTimeout(timer);
            if (pgid !== undefined && !exited && !ended)
                releaseGroup(pgid);
            opts.signal?.removeEventListener('abort', onAbort);
            reject(err);
        });
        // 'close' waits for every holder of the output pipes, and a program's own children inherit them:
        // git's HTTP helper on a stalled remote, a hook's background job. Once the program has exited,
        // captured output is read as it comes, so anything still unsent after a short grace is theirs;
        // the pipes are closed then, or the wait (and its timeout, which ends only the program) would
        // last as long as they do. Output streamed to another program is left alone: there the rest is
        // still being read, as fast as that program takes it.
        let orphaned;
        child.on('exit', () => {
            exited = true;
            // Exited on its own: what it left running is its own (see `groups`). One we ended is killed whole after its grace.
            if (pgid !== undefined && !ended)
                releaseGroup(pgid);
            if (opts.stdout)
                return;
            orphaned = setTimeout(() => {
                child.stdout?.destroy();
                child.stderr?.destroy();
            }, EXIT_GRACE_MS);
        });
        child.on('close', (code, signal) => {
            if (timer)
                clearTimeout(timer);
            opts.signal?.removeEventListener('abort', onAbort);
            clearTimeout(orphaned);
            resolve({ code, signal, stdout: wholeLines(stdout, cut.stdout), stderr: wholeLines(stderr, cut.stderr), timedOut });
        });
    });
}
/** Capture that was cut ends at a line end: a line cut mid-way could end in a secret's prefix, which no redaction matches. */
function wholeLines(text, wasCut) {
    return wasCut ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
}


/***/ }),

/***/ 9103:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  verifySnapshot: () => (/* binding */ verifySnapshot)
});

// UNUSED EXPORTS: checkFingerprint, openSnapshot

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: ./.build/core/errors.js + 1 modules
var errors = __webpack_require__(3867);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./.build/core/process.js
var process = __webpack_require__(5713);
;// CONCATENATED MODULE: ./.build/db/pg-tools.js
/**
 * Finding pg_dump / pg_restore / psql whose major version fits the server. pg_dump refuses a newer
 * server ("aborting because of server version mismatch"), and runners often ship one older client,
 * so we look on PATH and in Debian's versioned folders and say which package to install if none fits.
 */




const DEFAULT_VERSIONED_ROOT = '/usr/lib/postgresql';
/** `SHOW server_version_num` (e.g. 150020) \u2192 15; before PostgreSQL 10 the major had two parts. */
function majorFromVersionNum(num) {
    return num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 100) / 100;
}
async function toolVersion(path) {
    try {
        const { code, stdout } = await (0,process/* runProcess */.R3)(path, ['--version'], { timeoutMs: 15_000 });
        const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(stdout);
        if (code !== 0 || !m)
            return undefined;
        return { major: Number(m[1]), version: m[2] ? `${m[1]}.${m[2]}` : m[1] };
    }
    catch {
        return undefined;
    }
}
/**
 * One `--version` probe per program per run: snapshot-db, restore-db and the whole rollback ask for
 * the same tools several times. Keyed by the name it is called by (Debian's wrapper answers for the
 * tool it is called as), the file it resolves to and that file's identity, so a program replaced
 * during the run is probed again.
 */
const probes = new Map();
function probe(c) {
    const key = `${(0,external_node_path_.basename)(c.path)}\0${c.real}\0${c.id}`;
    let known = probes.get(key);
    if (!known)
        probes.set(key, (known = toolVersion(c.path)));
    return known;
}
function candidate(path) {
    try {
        (0,external_node_fs_.accessSync)(path, external_node_fs_.constants.X_OK);
        const real = (0,external_node_fs_.realpathSync)(path);
        const st = (0,external_node_fs_.statSync)(real);
        if (!st.isFile())
            return undefined;
        return { path, real, id: `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`, wrapper: (0,external_node_path_.basename)(real) === 'pg_wrapper' };
    }
    catch {
        return undefined;
    }
}
/** Executable candidates, one per real file: the versioned installs (newest first), then PATH in order. */
function candidates(name, opts) {
    const paths = [];
    const root = opts.versionedRoot ?? DEFAULT_VERSIONED_ROOT;
    try {
        const versions = (0,external_node_fs_.readdirSync)(root).sort((a, b) => Number(b) - Number(a) || b.localeCompare(a));
        for (const v of versions)
            paths.push((0,external_node_path_.join)(root, v, 'bin', name));
    }
    catch {
        // No versioned installs on this machine.
    }
    for (const dir of (opts.searchPath ?? '').split(external_node_path_.delimiter).filter(Boolean))
        paths.push((0,external_node_path_.join)(dir, name));
    const seen = new Set();
    const out = [];
    for (const path of paths) {
        const c = candidate(path);
        if (!c || seen.has(c.real))
            continue;
        seen.add(c.real);
        out.push(c);
    }
    // Without a PATH from the caller, let the system resolve the bare name as a shell would.
    if (opts.searchPath === undefined)
        out.push({ path: name, real: name, id: 'PATH', wrapper: false });
    return out;
}
async function probeAll(list, name) {
    const versions = await Promise.all(list.map(probe));
    return list.flatMap((c, i) => (versions[i] ? [{ name, path: c.path, ...versions[i] }] : []));
}
/**
 * Starts the `--version` probes of the versioned installs of `names` without waiting: run while the
 * connection is made, they cost no wall time, and findPgTool / siblingTool later find them cached.
 */
function warmPgTools(names, opts = {}) {
    for (const name of names)
        for (const c of candidates(name, opts))
            if (!c.wrapper && c.id !== 'PATH')
                void probe(c);
}
/**
 * The newest tool whose major is at least the server's: a newer pg_dump reads older servers, and
 * the archive it writes is then read back by a pg_restore of the same version or newer. Versioned
 * binaries are probed first, in parallel; Debian's wrapper only when none of them fits, since it
 * runs one of those same binaries, a Perl start-up later.
 */
async function findPgTool(name, serverMajor, opts = {}) {
    const installHint = `Install the client for PostgreSQL ${serverMajor}: sudo apt-get install -y postgresql-client-${serverMajor} ` +
        `(from the PGDG apt repository, apt.postgresql.org), then it is found in ${DEFAULT_VERSIONED_ROOT}/${serverMajor}/bin${opts.pathInput ? `; or pass its path in ${opts.pathInput}` : ''}.`;
    if (opts.explicitPath) {
        const c = candidate(opts.explicitPath);
        const v = c ? await probe(c) : undefined;
        if (!v)
            throw new errors/* RollbackKitError */.dp(`${name} at ${opts.explicitPath} does not exist or is not a PostgreSQL ${name}.`, installHint);
        if (v.major < serverMajor) {
            throw new errors/* RollbackKitError */.dp(`${name} ${v.version} at ${opts.explicitPath} is older than the server (PostgreSQL ${serverMajor}) and would refuse to run.`, installHint);
        }
        return { name, path: opts.explicitPath, ...v };
    }
    const all = candidates(name, opts);
    const newest = (tools) => tools.filter((t) => t.major >= serverMajor).sort((a, b) => b.major - a.major)[0];
    const direct = await probeAll(all.filter((c) => !c.wrapper), name);
    const fit = newest(direct);
    if (fit)
        return fit;
    const seen = [...direct, ...(await probeAll(all.filter((c) => c.wrapper), name))];
    const viaWrapper = newest(seen);
    if (viaWrapper)
        return viaWrapper;
    const found = seen.length ? `found only ${[...seen].sort((a, b) => a.major - b.major).map((t) => `${t.version} (${t.path})`).join(', ')}` : 'none found on PATH or in ' + DEFAULT_VERSIONED_ROOT;
    throw new errors/* RollbackKitError */.dp(`No ${name} of version ${serverMajor} or newer: ${found}.`, installHint);
}
/** The tool of the same installation as another one (pg_restore beside the chosen pg_dump). */
async function siblingTool(of, name, serverMajor, opts = {}) {
    const beside = candidate(join(of.path, '..', name));
    const v = beside ? await probe(beside) : undefined;
    if (beside && v && v.major >= serverMajor)
        return { name, path: beside.path, ...v };
    return findPgTool(name, serverMajor, { ...opts, explicitPath: undefined });
}
const TOOL_PREFIX = /^(pg_dump|pg_restore|psql):\s*/;
/**
 * The line of a pg_dump / pg_restore / psql stderr worth showing: the first that reports an error,
 * else the first at all, without the tool's `name: error:` prefix, followed by the server's own
 * reason and hint that the tool printed after it ("detail: Error message from server: FATAL: \u2026",
 * "HINT: \u2026"): "PQgetCopyData() failed" alone does not say the connection was terminated. libpq's
 * own hint after a failed connection (a line of its own, indented with a tab) is said in brackets,
 * and a failure at another host (one line each) is left out: the first says what went wrong.
 * Empty when stderr is.
 */
function toolErrorLine(stderr) {
    const raw = stderr.split('\n').filter((l) => l.trim());
    const lines = raw.map((l) => l.trim().replace(/\s+/g, ' '));
    const at = Math.max(0, lines.findIndex((l) => /error|fatal|could not/i.test(l)));
    let main = (lines[at] ?? '').replace(TOOL_PREFIX, '').replace(/^error:\s*/, '');
    const reasons = [];
    let hint = '';
    // A server message quoting a name that holds a newline runs over lines without the tool's prefix:
    // they are its message up to the next field, joined by `\n` written out so the line stays one.
    let inMain = true;
    for (const [i, line] of lines.entries()) {
        if (i <= at)
            continue;
        if (raw[i].startsWith('\t')) {
            if (inMain && !hint)
                hint = line;
            continue;
        }
        if (/^connection to server /.test(line))
            inMain = false;
        else if (inMain && !TOOL_PREFIX.test(line) && !/^(?:[A-Z]+(?: \d+)?|Command was|Query was):/.test(line)) {
            main += `\\n${line}`;
            continue;
        }
        inMain = false;
        const rest = line.replace(TOOL_PREFIX, '');
        if (/^error:/.test(rest))
            break;
        const reason = /^detail: Error message from server: (.+)$/.exec(rest)?.[1] ?? /^(?:hint|HINT|DETAIL): (.+)$/.exec(rest)?.[0];
        if (reason && !main.includes(reason) && !reasons.includes(reason))
            reasons.push(reason.replace(/^hint: /, 'HINT: '));
    }
    if (hint)
        main = `${main.replace(/\.+$/, '')} (${hint[0].toLowerCase()}${hint.slice(1)})`;
    return [main, ...reasons].map((part) => part.replace(/\.+$/, '')).join('; ');
}

;// CONCATENATED MODULE: ./.build/db/archive.js
/**
 * A snapshot's integrity: its sha256 and size (a file, or every file of a directory-format dump),
 * and a full read. `pg_restore --list` alone passes an archive whose data section was cut short;
 * reading it whole (`pg_restore -f /dev/null`) catches that.
 */







const FORMATS = ['custom', 'directory', 'plain'];
const PLAIN_HEADER = '-- PostgreSQL database dump';
const PLAIN_TRAILER = '-- PostgreSQL database dump complete';
async function hashFile(path, hash, signal) {
    for await (const chunk of (0,external_node_fs_.createReadStream)(path, { highWaterMark: 1 << 20, signal }))
        hash.update(chunk);
}
/** What snapshot-db writes. */
const FINGERPRINT_VERSION = 2;
/** A length as 8 bytes, big-endian: what makes a name or a content end where it says. */
const lengthOf = (n) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    return b;
};
/** sha256 of a file; of a directory, over its sorted file names and contents, as `version` frames them. */
/** `signal`: a stop ends the read (an AbortError), so hashing gigabytes never outlasts it. */
async function fingerprint(path, version, signal) {
    const info = await (0,promises_.stat)(path);
    const hash = (0,external_node_crypto_.createHash)('sha256');
    if (!info.isDirectory()) {
        await hashFile(path, hash, signal);
        return { sha256: hash.digest('hex'), sizeBytes: info.size };
    }
    let size = 0;
    for (const name of (await (0,promises_.readdir)(path)).sort()) {
        const file = (0,external_node_path_.join)(path, name);
        const s = await (0,promises_.stat)(file);
        if (!s.isFile())
            continue;
        if (version === 1) {
            hash.update(name);
            hash.update('\0');
            await hashFile(file, hash, signal);
            hash.update('\0');
        }
        else {
            const nameBytes = Buffer.from(name, 'utf8');
            hash.update(lengthOf(nameBytes.length));
            hash.update(nameBytes);
            hash.update(lengthOf(s.size));
            // A file that grows or shrinks while it is hashed gives a sha256 no manifest has; the callers
            // also compare its identity (onDisk) before and after.
            await hashFile(file, hash, signal);
        }
        size += s.size;
    }
    return { sha256: hash.digest('hex'), sizeBytes: size };
}
/**
 * What tells the snapshot's bytes apart without reading them: each file's device, inode, size,
 * modification and change times (of every file, for a directory dump). The sha256 and the reads
 * that use the bytes (pg_restore, psql) open the files separately; when this is the same before the
 * first and after the last, they all read the same bytes.
 */
async function onDisk(path) {
    const look = async (file) => {
        const s = await (0,promises_.stat)(file).catch(() => undefined);
        return s ? `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}` : 'gone';
    };
    const info = await (0,promises_.stat)(path).catch(() => undefined);
    if (!info?.isDirectory())
        return look(path);
    const names = (await (0,promises_.readdir)(path).catch(() => [])).sort();
    return (await Promise.all(names.map(async (name) => `${name}=${await look((0,external_node_path_.join)(path, name))}`))).join('\n');
}
async function detectFormat(path) {
    const info = await (0,promises_.stat)(path);
    if (info.isDirectory())
        return 'directory';
    const fd = await (0,promises_.open)(path, 'r');
    try {
        const buf = Buffer.alloc(64);
        const { bytesRead } = await fd.read(buf, 0, 64, 0);
        const head = buf.subarray(0, bytesRead).toString('latin1');
        if (head.startsWith('PGDMP'))
            return 'custom';
        if (head.startsWith('--'))
            return 'plain';
    }
    finally {
        await fd.close();
    }
    throw new errors/* RollbackKitError */.dp(`${path} is not a PostgreSQL dump (neither a custom-format archive, a directory dump, nor plain SQL from pg_dump).`);
}
/** A snapshot pg_restore cannot read to its end. */
function corruptSnapshot(path, why) {
    return new errors/* RollbackKitError */.dp(`Snapshot ${path} is corrupt or truncated: ${why.replace(/\.$/, '')}.`, 'Do not restore it; take or pick another snapshot.');
}
/**
 * Reads the whole snapshot; throws naming the problem when any part of it cannot be read.
 * `pg_restore -f /dev/null` reads the table of contents and every data block (a `--list` first would
 * only read the table of contents twice).
 */
async function readWhole(path, format, pgRestore) {
    const corrupt = (why) => corruptSnapshot(path, why);
    if (format === 'plain') {
        const info = await (0,promises_.stat)(path);
        const fd = await (0,promises_.open)(path, 'r');
        try {
            const headBuf = Buffer.alloc(256);
            await fd.read(headBuf, 0, 256, 0);
            const tailLen = Math.min(info.size, 512);
            const tailBuf = Buffer.alloc(tailLen);
            await fd.read(tailBuf, 0, tailLen, info.size - tailLen);
            if (!headBuf.toString('utf8').includes(PLAIN_HEADER))
                throw corrupt('it does not start like a pg_dump SQL script');
            if (!tailBuf.toString('utf8').includes(PLAIN_TRAILER))
                throw corrupt(`it does not end with "${PLAIN_TRAILER}"`);
        }
        finally {
            await fd.close();
        }
        return;
    }
    const read = await (0,process/* runProcess */.R3)(pgRestore, ['--file', '/dev/null', path], { timeoutMs: 60 * 60_000 });
    if (read.code !== 0)
        throw corrupt(toolErrorLine(read.stderr) || 'pg_restore could not read it');
}

// EXTERNAL MODULE: ./.build/core/files.js
var files = __webpack_require__(2019);
;// CONCATENATED MODULE: ./.build/db/manifest.js
/**
 * The manifest written next to every snapshot: what was dumped, from which server, its sha256, and
 * the catalogue (row counts per table, object counts) that restore-db and smoke checks compare with.
 */



function manifestPathFor(snapshotPath) {
    return `${snapshotPath.replace(/\/+$/, '')}.manifest.json`;
}
/** Written whole or not at all: a truncated manifest must never sit beside a snapshot. */
async function writeManifest(snapshotPath, manifest) {
    const path = manifestPathFor(snapshotPath);
    // Private as the snapshot is: it names every table and how many rows each holds.
    await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`, { private: true });
    return path;
}
/**
 * The largest manifest read: its catalogue is a few dozen bytes a table, so this is millions of
 * tables; anything larger is not one of ours, and is not read into memory whole.
 */
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;
async function readManifest(path) {
    let parsed;
    try {
        // A regular file only (a FIFO would block the step forever), read up to the cap.
        parsed = JSON.parse((0,files/* readRegularFile */.XF)(path, MAX_MANIFEST_BYTES));
    }
    catch (err) {
        if (err instanceof files/* FileRefused */.rV)
            throw new errors/* RollbackKitError */.dp(`${path} is not a rollback-kit snapshot manifest: ${err.why}.`, BROKEN_HINT);
        // Only a manifest that is not there is a matter of keeping it beside its snapshot; one that is
        // there and cannot be parsed (cut short, overwritten) is damaged, as a dump that fails its hash.
        if (err instanceof SyntaxError)
            throw new errors/* RollbackKitError */.dp(`Cannot read the snapshot manifest ${path}: it is not valid JSON.`, BROKEN_HINT);
        const why = err.code === 'ENOENT' ? 'it does not exist' : err.message.replace(/\.$/, '');
        throw new errors/* RollbackKitError */.dp(`Cannot read the snapshot manifest ${path}: ${why}.`, 'snapshot-db writes it next to each snapshot; keep the two together.');
    }
    const m = parsed;
    if (m?.tool !== 'rollback-kit')
        throw new errors/* RollbackKitError */.dp(`${path} is not a rollback-kit snapshot manifest.`, BROKEN_HINT);
    const problem = manifestProblem(m);
    if (problem)
        throw new errors/* RollbackKitError */.dp(`${path} is not a valid rollback-kit snapshot manifest: ${problem}.`, BROKEN_HINT);
    // Written before the field was: hashed as version 1.
    return { ...m, fingerprint: m.fingerprint ?? 1 };
}
const BROKEN_HINT = "It was edited or damaged, so its snapshot cannot be checked against it (the dump's sha256 is recorded only there): do not restore that snapshot; take or pick another one.";
/**
 * What is wrong with a parsed manifest, or undefined. Every field restore-db, run-down-migrations
 * and the reports rely on is checked for its type and range, as snapshot-db writes it (older
 * manifests lack only the fields SnapshotManifest marks optional): a manifest is outside text (an
 * artifact, a file on disk), and a count that is not a number, a format that is not one of ours or a
 * table name that is not a string must stop the restore here, naming the field, rather than as a
 * TypeError or SQL error halfway through.
 */
function manifestProblem(m) {
    const str = (v) => typeof v === 'string';
    const count = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    const strings = (v) => Array.isArray(v) && v.every(str);
    const obj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
    const checks = [
        ['manifestVersion must be 1', m.manifestVersion === 1],
        ['format must be custom, directory or plain', FORMATS.includes(m.format)],
        ['sha256 must be 64 hexadecimal digits', str(m.sha256) && /^[0-9a-f]{64}$/.test(m.sha256)],
        ['sizeBytes must be a whole number of bytes', count(m.sizeBytes)],
        ['fingerprint must be 1 or 2 when present', m.fingerprint === undefined || m.fingerprint === 1 || m.fingerprint === 2],
        ['file must be a file name', str(m.file) && !/[/\\]/.test(m.file)],
        ['createdAt must be a date', str(m.createdAt) && !Number.isNaN(Date.parse(m.createdAt))],
        ['label must be text or null', m.label === null || str(m.label)],
        ['database and target must be text', str(m.database) && str(m.target)],
    ];
    const server = m.server;
    checks.push([
        'server must hold version, versionNum and major (and host, port, systemIdentifier when recorded)',
        obj(server) && str(server.version) && count(server.versionNum) && count(server.major) &&
            (server.host === undefined || str(server.host)) &&
            (server.port === undefined || (count(server.port) && server.port <= 65535)) &&
            (server.systemIdentifier === undefined || server.systemIdentifier === null || (str(server.systemIdentifier) && /^\d+$/.test(server.systemIdentifier))),
    ]);
    const pgDump = m.pgDump;
    checks.push(['pgDump must hold version and major', obj(pgDump) && str(pgDump.version) && count(pgDump.major) && pgDump.major > 0 && pgDump.major < 1000]);
    const filter = m.filter;
    checks.push([
        'filter must hold the lists schemas, excludeSchemas and excludeTableData',
        obj(filter) && strings(filter.schemas) && strings(filter.excludeSchemas) && strings(filter.excludeTableData) && (filter.everySchema === undefined || typeof filter.everySchema === 'boolean'),
    ]);
    const tables = m.tables;
    const badTable = Array.isArray(tables) ? tables.findIndex((t) => !(obj(t) && str(t.schema) && str(t.name) && (t.rows === null || count(t.rows)) && (t.oid === undefined || count(t.oid)))) : 0;
    checks.push([`tables must be a list of {schema, name, rows} with rows a count or null (and oid a number when present)${Array.isArray(tables) ? ` (entry ${badTable + 1} is not)` : ''}`, badTable < 0]);
    checks.push(['rowCounts must be "dumped" when present', m.rowCounts === undefined || m.rowCounts === 'dumped']);
    const objects = m.objects;
    const OBJECTS = ['schemas', 'tables', 'views', 'materializedViews', 'functions', 'triggers', 'sequences', 'policies'];
    checks.push([`objects must hold the counts ${OBJECTS.join(', ')}`, obj(objects) && OBJECTS.every((k) => count(objects[k]))]);
    checks.push(['largeObjects must be a count when present', m.largeObjects === undefined || count(m.largeObjects)]);
    const exports = m.exports;
    checks.push([
        'exports must be null or hold since, column, dir and tables of {table, file, rows}',
        exports === null ||
            (obj(exports) && str(exports.since) && str(exports.column) && str(exports.dir) && Array.isArray(exports.tables) &&
                exports.tables.every((t) => obj(t) && str(t.table) && str(t.file) && count(t.rows))),
    ]);
    checks.push(['durationMs must be a number of milliseconds', typeof m.durationMs === 'number' && Number.isFinite(m.durationMs) && m.durationMs >= 0]);
    return checks.find(([, ok]) => !ok)?.[0];
}

;// CONCATENATED MODULE: ./.build/db/verify.js
/**
 * Whether a snapshot can be trusted before anything destructive relies on it: its manifest is there,
 * its sha256 is the one recorded when it was taken, and pg_restore can read every byte of it.
 */





/** The snapshot and its manifest, found and matched by format; its bytes are not read yet. */
async function openSnapshot(snapshotPath) {
    const path = snapshotPath.replace(/\/+$/, '');
    if (path.endsWith('.manifest.json')) {
        throw new errors/* RollbackKitError */.dp(`${path} is a snapshot's manifest, not the snapshot.`, `Pass the snapshot beside it: ${path.slice(0, -'.manifest.json'.length)}.`);
    }
    if (!(0,external_node_fs_.existsSync)(path)) {
        throw new errors/* RollbackKitError */.dp(`Snapshot ${path} does not exist.`, 'Pass the path output of snapshot-db (download the artifact first if it was uploaded).');
    }
    const manifestPath = manifestPathFor(path);
    if (!(0,external_node_fs_.existsSync)(manifestPath)) {
        throw new errors/* RollbackKitError */.dp(`Snapshot ${path} has no manifest (${manifestPath}), so its integrity cannot be checked.`, 'Use a snapshot taken by snapshot-db and keep its .manifest.json beside it.');
    }
    const manifest = await readManifest(manifestPath);
    const format = await detectFormat(path);
    if (format !== manifest.format) {
        throw new errors/* RollbackKitError */.dp(`Snapshot ${path} is in ${format} format but its manifest says ${manifest.format}: it was replaced.`, 'Do not restore it; take or pick another snapshot.');
    }
    return { path, manifestPath, manifest };
}
/** Throws unless the snapshot's bytes are the ones its manifest recorded when they were read back in full. */
function checkFingerprint(s, fp) {
    if (fp.sha256 === s.manifest.sha256)
        return;
    throw new errors/* RollbackKitError */.dp(`Snapshot ${s.path} changed since it was taken: sha256 ${fp.sha256.slice(0, 12)}\u2026 (${fp.sizeBytes} bytes), manifest says ${s.manifest.sha256.slice(0, 12)}\u2026 (${s.manifest.sizeBytes} bytes).`, 'It is corrupt, truncated or replaced: do not restore it; take or pick another snapshot.');
}
async function verifySnapshot(snapshotPath, log, opts = {}) {
    const snapshot = await openSnapshot(snapshotPath);
    const { path, manifest } = snapshot;
    const before = await onDisk(path);
    // The sha256 and pg_restore's full read both read every byte: side by side, as snapshot-db runs
    // them, the verification costs the slower of the two instead of their sum. A changed file is
    // reported as changed even when pg_restore also failed on it.
    const [fp, read] = await Promise.allSettled([
        fingerprint(path, manifest.fingerprint),
        (async () => {
            const pgRestore = manifest.format === 'plain' ? undefined : await findPgTool('pg_restore', manifest.pgDump.major, { ...opts, explicitPath: opts.pgRestorePath });
            await readWhole(path, manifest.format, pgRestore?.path ?? 'pg_restore');
        })(),
    ]);
    // Before any other verdict: a file still being written explains a mismatch or a failed read too.
    if ((await onDisk(path)) !== before) {
        throw new errors/* RollbackKitError */.dp(`Snapshot ${path} changed while it was being verified: its files were replaced, written or cut short between the start and the end of the read.`, 'Something is still writing it (an artifact download, another snapshot into the same path): let it finish and verify again, or take or pick another snapshot. Do not restore it as it is.');
    }
    if (fp.status === 'rejected')
        throw fp.reason;
    checkFingerprint(snapshot, fp.value);
    if (read.status === 'rejected')
        throw read.reason;
    const { sha256, sizeBytes } = fp.value;
    log.info(`Snapshot ${path} verified: sha256 ${sha256.slice(0, 12)}\u2026, ${sizeBytes} bytes, read in full.`);
    return { ...snapshot, sha256, sizeBytes };
}


/***/ })

};
