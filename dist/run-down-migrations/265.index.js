export const id = 265;
export const ids = [265];
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

/***/ 2265:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   filesAddedSince: () => (/* binding */ filesAddedSince)
/* harmony export */ });
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3867);
/* harmony import */ var _core_process_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(5713);
/**
 * Which migration files a deploy brought: files added to the migrations folder between a commit
 * and HEAD (`git diff --diff-filter=A`). Needs the history down to that commit in the checkout.
 */


const GIT_TIMEOUT_MS = 60_000;
/** Paths relative to `dir` of the files added in `ref..HEAD` below `dir`. */
async function filesAddedSince(dir, ref) {
    // A ref that starts with "-" would be read as an option.
    if (!ref || ref.startsWith('-') || /\s/.test(ref)) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Input since-ref "${ref}" is not a git ref.`, 'Pass a commit SHA, tag or branch name: the last good deploy.');
    }
    const git = (args) => (0,_core_process_js__WEBPACK_IMPORTED_MODULE_1__/* .runProcess */ .R3)('git', args, { cwd: dir, timeoutMs: GIT_TIMEOUT_MS, wholeStdout: true }).catch((err) => {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Cannot run git for since-ref: ${err.message}.`, 'since-ref needs git on the runner and a checkout of the repository.');
    });
    const verify = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
    if (verify.code !== 0) {
        const notRepo = /not a git repository/i.test(verify.stderr);
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(notRepo ? `since-ref needs a git checkout, but ${dir} is not in one.` : `since-ref ${ref} is not a commit this checkout knows.`, notRepo ? 'Run actions/checkout before this step.' : 'Check the ref; a shallow clone lacks older commits: use actions/checkout with fetch-depth: 0.');
    }
    // Whole (wholeStdout above): a migration left out of the list would be left applied.
    const diff = await git(['diff', '--diff-filter=A', '--name-only', '--relative', '-z', `${ref}..HEAD`, '--', '.']);
    if (diff.code !== 0) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`git diff ${ref}..HEAD failed: ${diff.stderr.trim()}.`, 'Check since-ref and that the checkout has the history (fetch-depth: 0).');
    }
    return new Set(diff.stdout.split('\0').filter(Boolean));
}


/***/ })

};
