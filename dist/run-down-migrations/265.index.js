export const id = 265;
export const ids = [265];
export const modules = {

/***/ 5713:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   R: () => (/* binding */ runProcess)
/* harmony export */ });
/* unused harmony export KILL_GRACE_MS */
/**
 * How long a program asked to end may take before it is killed. A gentler signal lets it end its
 * own way (psql cancels its statement on SIGINT, so the server frees the locks at once), but a
 * program that ignores it, or waits on a connection that stalled for the cancel it sends, would
 * otherwise hold the run, and whatever it holds, for as long as it likes.
 */
const KILL_GRACE_MS = 5000;
/** How long captured output may still come after the program exited (see 'exit' below). */
const EXIT_GRACE_MS = 2000;
/** Output beyond this is cut: pg_restore -v can be chatty, and memory is not a log store. */
const MAX_CAPTURE = 1 << 20;
async function runProcess(command, args, opts = {}) {
    // Loaded on the first run, not with the bundle: most paths of promote-previous never start a
    // program, and node:child_process is about 10 ms of start-up before their first request.
    const { spawn } = await Promise.resolve(/* import() */).then(__webpack_require__.t.bind(__webpack_require__, 1421, 19));
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, {
            cwd: opts.cwd,
            // eslint-disable-next-line no-restricted-properties -- children inherit PATH and HOME, not inputs
            env: { ...process.env, ...opts.env },
            stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
            signal: opts.signal,
            killSignal: opts.killSignal,
        });
        if (opts.stdin) {
            // The program may exit before reading everything (an error stops psql): not our failure.
            child.stdin.on('error', () => undefined);
            opts.stdin.pipe(child.stdin);
        }
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        const graceMs = opts.killGraceMs ?? KILL_GRACE_MS;
        // Only while it has not exited: its pid may be another program's by then.
        const killLater = () => setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), graceMs).unref();
        const timer = opts.timeoutMs
            ? setTimeout(() => {
                timedOut = true;
                child.kill('SIGTERM');
                killLater();
            }, opts.timeoutMs)
            : undefined;
        // The abort's own signal is sent by spawn (killSignal); this is the escalation after it.
        const onAbort = () => void killLater();
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
        else
            child.stdout.on('data', (d) => {
                const text = d.toString();
                if (stdout.length < MAX_CAPTURE)
                    stdout += text;
                else
                    cut.stdout = true;
                opts.onStdout?.(text);
            });
        child.stderr.on('data', (d) => {
            const text = d.toString();
            if (stderr.length < MAX_CAPTURE)
                stderr += text;
            else
                cut.stderr = true;
            opts.onStderr?.(text);
        });
        child.on('error', (err) => {
            // An abort is reported by the exit below (signal SIGTERM), not as a failure to start.
            if (err.name === 'AbortError')
                return;
            if (timer)
                clearTimeout(timer);
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
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8005);
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
    const git = (args) => (0,_core_process_js__WEBPACK_IMPORTED_MODULE_1__/* .runProcess */ .R)('git', args, { cwd: dir, timeoutMs: GIT_TIMEOUT_MS }).catch((err) => {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Cannot run git for since-ref: ${err.message}.`, 'since-ref needs git on the runner and a checkout of the repository.');
    });
    const verify = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
    if (verify.code !== 0) {
        const notRepo = /not a git repository/i.test(verify.stderr);
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(notRepo ? `since-ref needs a git checkout, but ${dir} is not in one.` : `since-ref ${ref} is not a commit this checkout knows.`, notRepo ? 'Run actions/checkout before this step.' : 'Check the ref; a shallow clone lacks older commits: use actions/checkout with fetch-depth: 0.');
    }
    const diff = await git(['diff', '--diff-filter=A', '--name-only', '--relative', '-z', `${ref}..HEAD`, '--', '.']);
    if (diff.code !== 0) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`git diff ${ref}..HEAD failed: ${diff.stderr.trim()}.`, 'Check since-ref and that the checkout has the history (fetch-depth: 0).');
    }
    return new Set(diff.stdout.split('\0').filter(Boolean));
}


/***/ })

};
