export const id = 442;
export const ids = [442];
export const modules = {

/***/ 1442:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   H5: () => (/* binding */ madeFolderLeft),
/* harmony export */   IE: () => (/* binding */ undoMade),
/* harmony export */   IJ: () => (/* binding */ holdStopsFromTheStart),
/* harmony export */   Kx: () => (/* reexport safe */ _early_stop_js__WEBPACK_IMPORTED_MODULE_4__.Kx),
/* harmony export */   Nl: () => (/* reexport safe */ _early_stop_js__WEBPACK_IMPORTED_MODULE_4__.Nl),
/* harmony export */   Od: () => (/* binding */ madeByThisRun),
/* harmony export */   Ri: () => (/* binding */ forgetMade),
/* harmony export */   Rt: () => (/* binding */ commandBegan),
/* harmony export */   k0: () => (/* reexport safe */ _early_stop_js__WEBPACK_IMPORTED_MODULE_4__.k0),
/* harmony export */   vj: () => (/* binding */ madeThisRun)
/* harmony export */ });
/* unused harmony export stoppedBeforeStart */
/* harmony import */ var _core_made_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6443);
/* harmony import */ var _core_output_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8975);
/* harmony import */ var _core_stop_signals_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(1042);
/* harmony import */ var _pipeline_job_words_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(74);
/* harmony import */ var _early_stop_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(2805);
/**
 * The command line's signals from its first line to its last. The bin's first chunk holds the stops
 * (early-stop.ts) until this module is loaded and holds the one stop handler (stop-signals.ts),
 * before the rest of it loads (stop-first.ts): a command's stop logic (stoppable.ts,
 * the sandbox's cleanup) listens through it once it runs. A signal before the command has begun
 * (`commandBegan`: its flags read and checked, nothing sent anywhere) is said in one line, and the
 * process exits 128 + its number; Node's default ended it there with no word. A signal once the
 * command has begun that no stop logic hears (a command without one, a report being printed) gets
 * Node's default, as before. Light on purpose: it loads before the rest of the command line.
 */






let begun = false;
/**
 * What this run made (its output folder, the .gitignore in it), in the order it made them, at any
 * point of the run: a stop removes it again (undoMade), as the sandbox's cleanup does after a failure.
 */
const madeThisRun = new _core_made_js__WEBPACK_IMPORTED_MODULE_0__/* .MadeRecord */ .l();
/** The command has read and checked what it was given and starts its work (Cli.begin). */
function commandBegan() {
    begun = true;
}
/**
 * A folder or file this run made (Cli.made), before the command began or after: a stop, before it
 * begins or at any point of its work, removes it again (undoMade), so that "nothing was changed" or
 * "what it had written was removed" stays true. Only what this run created is given here.
 */
function madeByThisRun(path, withContents) {
    return madeThisRun.add(path, withContents);
}
/**
 * Removes what this run made while it holds nothing else (MadeRecord.removeWhileEmpty): returns the
 * outermost folder left and why, or undefined when all is gone. Synchronous: the process may exit
 * right after.
 */
function undoMade(otherThings) {
    return madeThisRun.removeWhileEmpty(otherThings);
}
/** The bin's first act (stop-first.ts): the stop handler, held until the process ends (or the returned release). */
function holdStopsFromTheStart(argv) {
    const release = (0,_core_stop_signals_js__WEBPACK_IMPORTED_MODULE_2__/* .holdStopSignals */ .ZQ)((name) => {
        if (begun) {
            // Nothing of the command listens (yet, or any more): Node's default, as it always was.
            release();
            process.kill(process.pid, name);
            return;
        }
        const line = stoppedBeforeStart(name, argv, undoMade());
        _core_output_js__WEBPACK_IMPORTED_MODULE_1__/* .output */ .CG.line(line, 'stderr');
        if ((0,_early_stop_js__WEBPACK_IMPORTED_MODULE_4__/* .wantsJson */ .k0)(argv))
            _core_output_js__WEBPACK_IMPORTED_MODULE_1__/* .output */ .CG.line((0,_early_stop_js__WEBPACK_IMPORTED_MODULE_4__/* .stoppedJson */ .mc)(argv, line), 'stdout');
        process.exit(_early_stop_js__WEBPACK_IMPORTED_MODULE_4__/* .SIGNAL_EXIT */ .Kx[name] ?? 1);
    });
    return release;
}
/** A run that was not stopped keeps what it made: none of it is this process' to remove later (a test's next run). */
function forgetMade() {
    madeThisRun.forget();
}
/** What a stop once the command began left of the folders this run made (undoMade), as a sentence; '' when nothing is left. */
function madeFolderLeft(left) {
    return left ? `The folder ${left.folder} this run made is left as it is: ${left.why}.` : '';
}
/**
 * "Stopped (SIGINT) before rollback-kit rollback started: nothing was changed.", in the words of the
 * job (job-words.ts): a later job of a split rollback (its --timeline says an earlier job changed
 * production) says "this job changed nothing", as the command's own refusals do. `left`: a folder
 * the command made before it began that could not be removed (undoMade), named.
 */
function stoppedBeforeStart(name, argv, left) {
    const command = (0,_early_stop_js__WEBPACK_IMPORTED_MODULE_4__/* .commandOf */ .Nl)(argv);
    const made = left ? ` except the folder ${left.folder} it made, which is left as it is: ${left.why}` : '';
    return (0,_pipeline_job_words_js__WEBPACK_IMPORTED_MODULE_3__/* .inThisJob */ .j)(`Stopped (${name}) before rollback-kit${command ? ` ${command}` : ''} started: nothing was changed${made}.`, (0,_pipeline_job_words_js__WEBPACK_IMPORTED_MODULE_3__/* .laterJob */ .M)((0,_early_stop_js__WEBPACK_IMPORTED_MODULE_4__/* .flagValue */ .y6)(argv, 'timeline')));
}


/***/ }),

/***/ 3475:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   I: () => (/* binding */ core)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8161);
/* harmony import */ var _node_modules_actions_core_lib_command_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(9635);
/* harmony import */ var _node_modules_actions_core_lib_utils_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(4679);
/* harmony import */ var _lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(325);
/**
 * The part of @actions/core every step uses (inputs, outputs, workflow commands, the job summary),
 * without the package's entry module: that one also loads its OIDC client (getIDToken), and through
 * it @actions/http-client and undici, about a third of every bundle's start-up for a call
 * rollback-kit never makes. The workflow commands are @actions/core's own modules (escaping); the
 * few lines below are its entry's, kept the same. Its exports map lists only the entry, hence the
 * relative path: src/ and the build's output folder (.build/, see tsconfig.build.json) sit at the
 * same depth under the repository, so it resolves from both.
 *
 * The file commands (outputs) and the job summary are @actions/core's too, rewritten here line for
 * line with what they load changed: its file-command module loads `node:crypto` and its summary
 * module `node:fs/promises` when the bundle is evaluated, about 10 ms of every action's start
 * (lazy-builtins.ts), for an output's random delimiter and a summary written at the end.
 */





/* eslint-disable no-restricted-properties -- the runner's own protocol: file commands live in the environment */
/** @actions/core's issueFileCommand: one line appended to the file GITHUB_<command> names. */
function issueFileCommand(command, message) {
    const filePath = process.env[`GITHUB_${command}`];
    if (!filePath)
        throw new Error(`Unable to find environment variable for file command ${command}`);
    if (!(0,node_fs__WEBPACK_IMPORTED_MODULE_0__.existsSync)(filePath))
        throw new Error(`Missing file at path: ${filePath}`);
    (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.appendFileSync)(filePath, `${(0,_node_modules_actions_core_lib_utils_js__WEBPACK_IMPORTED_MODULE_4__/* .toCommandValue */ .E)(message)}${node_os__WEBPACK_IMPORTED_MODULE_1__.EOL}`, { encoding: 'utf8' });
}
/** @actions/core's prepareKeyValueMessage: a heredoc whose random delimiter neither the name nor the value contains. */
function prepareKeyValueMessage(key, value) {
    const delimiter = `ghadelimiter_${(0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeCrypto */ .S)().randomUUID()}`;
    const convertedValue = (0,_node_modules_actions_core_lib_utils_js__WEBPACK_IMPORTED_MODULE_4__/* .toCommandValue */ .E)(value);
    if (key.includes(delimiter))
        throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
    if (convertedValue.includes(delimiter))
        throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
    return `${key}<<${delimiter}${node_os__WEBPACK_IMPORTED_MODULE_1__.EOL}${convertedValue}${node_os__WEBPACK_IMPORTED_MODULE_1__.EOL}${delimiter}`;
}
const SUMMARY_ENV_VAR = 'GITHUB_STEP_SUMMARY';
/** @actions/core's summary, the part we use: text added to a buffer, appended to GITHUB_STEP_SUMMARY by write(). */
class Summary {
    buffer = '';
    filePath;
    async path() {
        if (this.filePath)
            return this.filePath;
        const fromEnv = process.env[SUMMARY_ENV_VAR];
        if (!fromEnv)
            throw new Error(`Unable to find environment variable for $${SUMMARY_ENV_VAR}. Check if your runtime environment supports job summaries.`);
        const readable = await new Promise((resolve) => (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.access)(fromEnv, node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.R_OK | node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.W_OK, (err) => resolve(!err)));
        if (!readable)
            throw new Error(`Unable to access summary file: '${fromEnv}'. Check if the file has correct read/write permissions.`);
        return (this.filePath = fromEnv);
    }
    addRaw(text) {
        this.buffer += text;
        return this;
    }
    async write() {
        const path = await this.path();
        await new Promise((resolve, reject) => (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.appendFile)(path, this.buffer, { encoding: 'utf8' }, (err) => (err ? reject(err) : resolve())));
        return this.emptyBuffer();
    }
    emptyBuffer() {
        this.buffer = '';
        return this;
    }
}
/* eslint-enable no-restricted-properties */
const summary = new Summary();
/* eslint-disable no-restricted-properties -- the runner's own protocol: inputs and file commands live in the environment */
const core = {
    getInput(name) {
        return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim();
    },
    setOutput(name, value) {
        if (process.env.GITHUB_OUTPUT)
            return issueFileCommand('OUTPUT', prepareKeyValueMessage(name, value));
        // Without the file command (an old runner): the deprecated command, on a line of its own.
        process.stdout.write(node_os__WEBPACK_IMPORTED_MODULE_1__.EOL);
        (0,_node_modules_actions_core_lib_command_js__WEBPACK_IMPORTED_MODULE_2__/* .issueCommand */ .L)('set-output', { name }, (0,_node_modules_actions_core_lib_utils_js__WEBPACK_IMPORTED_MODULE_4__/* .toCommandValue */ .E)(value));
    },
    setSecret(secret) {
        (0,_node_modules_actions_core_lib_command_js__WEBPACK_IMPORTED_MODULE_2__/* .issueCommand */ .L)('add-mask', {}, secret);
    },
    debug(message) {
        (0,_node_modules_actions_core_lib_command_js__WEBPACK_IMPORTED_MODULE_2__/* .issueCommand */ .L)('debug', {}, message);
    },
    error(message, properties = {}) {
        (0,_node_modules_actions_core_lib_command_js__WEBPACK_IMPORTED_MODULE_2__/* .issueCommand */ .L)('error', (0,_node_modules_actions_core_lib_utils_js__WEBPACK_IMPORTED_MODULE_4__/* .toCommandProperties */ .k)(properties), message);
    },
    warning(message, properties = {}) {
        (0,_node_modules_actions_core_lib_command_js__WEBPACK_IMPORTED_MODULE_2__/* .issueCommand */ .L)('warning', (0,_node_modules_actions_core_lib_utils_js__WEBPACK_IMPORTED_MODULE_4__/* .toCommandProperties */ .k)(properties), message);
    },
    notice(message, properties = {}) {
        (0,_node_modules_actions_core_lib_command_js__WEBPACK_IMPORTED_MODULE_2__/* .issueCommand */ .L)('notice', (0,_node_modules_actions_core_lib_utils_js__WEBPACK_IMPORTED_MODULE_4__/* .toCommandProperties */ .k)(properties), message);
    },
    setFailed(message) {
        process.exitCode = 1;
        core.error(message);
    },
    summary,
};
/* eslint-enable no-restricted-properties */


/***/ }),

/***/ 1634:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   a: () => (/* binding */ formatDuration)
/* harmony export */ });
/**
 * The one way a duration is written for people, in every report (summary, incident, chat, HTML) and
 * on the command line, so the same phase reads the same wherever it is shown.
 */
/** "999 ms", "59.9 s", "2 min 0 s": rounded once, to the unit shown, so no "60.0 s" or "1 min 60 s". */
function formatDuration(ms) {
    if (ms < 1000)
        return `${Math.round(ms)} ms`;
    const tenths = Math.round(ms / 100);
    if (tenths < 600)
        return `${(tenths / 10).toFixed(1)} s`;
    const seconds = Math.round(ms / 1000);
    return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}


/***/ }),

/***/ 8005:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   BP: () => (/* binding */ errorLine),
/* harmony export */   Qj: () => (/* binding */ withFacts),
/* harmony export */   dp: () => (/* binding */ RollbackKitError),
/* harmony export */   o3: () => (/* binding */ systemErrorLine),
/* harmony export */   rZ: () => (/* binding */ systemErrorMeaning),
/* harmony export */   u2: () => (/* binding */ errorFacts)
/* harmony export */ });
/* harmony import */ var _sentence_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7823);

/**
 * An error the user can act on: `message` says what failed and why, `hint` what to do next.
 * Entry points print it as one `::error::` line; anything else is treated as a bug.
 */
class RollbackKitError extends Error {
    hint;
    /**
     * What the step that failed changed, for callers that decide what comes next (never read from
     * the words, which may change): 'no', nothing; 'unknown', it cannot tell (a COMMIT sent, and no
     * answer). Unset: the error does not say. An error made with 'no' says so in its own words too;
     * one given it later (withFacts) may not.
     */
    changed;
    /** Ended by a stop (SIGTERM, SIGINT: a cancelled job, Ctrl-C), not by a fault someone must fix. */
    stopped;
    /**
     * Another session held what it needed (a lock not granted in time, a lock cycle given way to):
     * nothing is wrong with the request itself, and the same request may pass once that session is done.
     */
    blocked;
    constructor(message, hint, facts = {}) {
        super(message);
        this.hint = hint;
        this.name = 'RollbackKitError';
        if (facts.changed)
            this.changed = facts.changed;
        if (facts.stopped)
            this.stopped = true;
        if (facts.blocked)
            this.blocked = true;
    }
    /** The single line shown to the on-call engineer: the message ends its sentence before the hint. */
    get line() {
        return this.hint ? `${(0,_sentence_js__WEBPACK_IMPORTED_MODULE_0__/* .ended */ .v6)(this.message)} ${this.hint}` : this.message;
    }
}
/** The facts `err` carries: none for an error that is not ours. */
function errorFacts(err) {
    if (!(err instanceof RollbackKitError))
        return {};
    return { ...(err.changed ? { changed: err.changed } : {}), ...(err.stopped ? { stopped: true } : {}) };
}
/**
 * Adds to `err` the facts it does not state itself, which the caller knows and its maker did not
 * (a restore whose COMMIT was never sent knows that whatever failed under it changed nothing).
 * Returns `err`, to throw; an error that is not ours is left as it is (it says nothing it can stand by).
 */
function withFacts(err, facts) {
    if (!(err instanceof RollbackKitError))
        return err;
    if (facts.changed)
        err.changed ??= facts.changed;
    if (facts.stopped)
        err.stopped = true;
    return err;
}
/** What a Node system error code means, in words an on-call engineer can act on. */
const SYSTEM_ERRORS = {
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    EACCES: 'permission denied',
    EPERM: 'the operation is not permitted',
    EROFS: 'the file system is read-only',
    ENOENT: 'it does not exist',
    EISDIR: 'it is a folder, not a file',
    ENOTDIR: 'part of the path is a file, not a folder',
    EEXIST: 'it already exists',
    ENAMETOOLONG: 'the name is too long',
    ELOOP: 'too many symbolic links',
    EMFILE: 'too many open files',
    ENFILE: 'too many open files',
    EIO: 'an input/output error',
    EBUSY: 'it is busy',
};
const OPERATIONS = {
    open: 'open',
    read: 'read',
    write: 'write to',
    mkdir: 'create the folder',
    rename: 'move into place',
    unlink: 'remove',
    rmdir: 'remove',
    stat: 'read',
    lstat: 'read',
    scandir: 'list',
    access: 'access',
    copyfile: 'copy',
    realpath: 'resolve',
};
/**
 * Node's own system errors name the call that failed (`syscall`). An error of ours that only borrows
 * such a code so that callers treat it alike (session.ts's QueryDeadlineExceeded: ETIMEDOUT) is not
 * one: its message is its own, never to be cut at a comma as a system error's is.
 */
function isSystemError(err) {
    const e = err;
    return err instanceof Error && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) && typeof e.syscall === 'string';
}
/** "the disk is full (ENOSPC)" for a Node system error, or undefined when `err` is not one. */
function systemErrorMeaning(err) {
    if (!isSystemError(err))
        return undefined;
    const meaning = SYSTEM_ERRORS[err.code] ?? err.message.replace(/^E[A-Z]+: /, '').split(',')[0] ?? err.code;
    return `${meaning} (${err.code})`;
}
/**
 * A Node system error (fs, spawn) as "Could not <operation> <path>: <meaning> (<code>).", or
 * undefined when `err` is not one.
 */
function systemErrorLine(err) {
    const meaning = systemErrorMeaning(err);
    if (!meaning || !isSystemError(err))
        return undefined;
    const operation = err.syscall ? (OPERATIONS[err.syscall] ?? err.syscall.replace(/^spawn$/, 'start')) : undefined;
    if (operation && err.path)
        return `Could not ${operation} ${err.path}: ${meaning}.`;
    if (operation)
        return `Could not ${operation}: ${meaning}.`;
    return `${(0,_sentence_js__WEBPACK_IMPORTED_MODULE_0__/* .capitalized */ .l2)(meaning)}.`;
}
function errorLine(err) {
    if (err instanceof RollbackKitError)
        return err.line;
    const system = systemErrorLine(err);
    if (system)
        return system;
    if (err instanceof Error)
        return `Unexpected error: ${err.message}`;
    return `Unexpected error: ${String(err)}`;
}


/***/ }),

/***/ 325:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   O: () => (/* binding */ nodeFsPromises),
/* harmony export */   S: () => (/* binding */ nodeCrypto)
/* harmony export */ });
/* harmony import */ var node_module__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8995);
/**
 * Node built-ins that cost every action's start to load and are used late, or on some paths only:
 * loaded when first used instead of with the bundle. On Node 24, `node:crypto` (all its internal
 * modules) and `node:fs/promises` (which brings readline's) add about 10 ms to a start of about
 * 30 ms (BENCHMARKS.md, run-down-migrations), for a random name, a hash or a file written at the end.
 * A static import would load them when the bundle is evaluated, whatever the run then does.
 */

const require = (0,node_module__WEBPACK_IMPORTED_MODULE_0__.createRequire)(import.meta.url);
let crypto;
let fsPromises;
function nodeCrypto() {
    return (crypto ??= require('node:crypto'));
}
function nodeFsPromises() {
    return (fsPromises ??= require('node:fs/promises'));
}


/***/ }),

/***/ 6443:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   l: () => (/* binding */ MadeRecord)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6760);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8005);
/**
 * What a run made where a user pointed it (an output folder, its parents, the .gitignore in a
 * snapshot folder), recorded as it is made (makeDirectory's `made`), so that a run that ends without
 * its result (stopped, or a sandbox that failed) takes away again what is still empty of anything
 * else, and leaves everything else as it is. One set of rules for every caller: the command line's
 * stop handler (signals.ts), which must finish before the process exits, and the sandbox's cleanup.
 * Light on purpose: signals.ts loads it before the rest of the command line.
 */



class MadeRecord {
    /** In the order they were made: a folder before what is in it. */
    paths = [];
    /** Folders whose contents are all this run's too (a directory-format dump pg_dump writes into): they go whole. */
    whole = new Set();
    /**
     * A folder or file this run created (never one that was there before); `withContents`: a folder
     * whose every file this run writes as well (what another program it runs writes there). Returns
     * what takes it off the record again (MadeHook).
     */
    add(path, withContents = false) {
        const made = (0,node_path__WEBPACK_IMPORTED_MODULE_1__.resolve)(path);
        this.paths.push(made);
        if (withContents)
            this.whole.add(made);
        return () => {
            const at = this.paths.lastIndexOf(made);
            if (at >= 0)
                this.paths.splice(at, 1);
            this.whole.delete(made);
        };
    }
    /** A run that ended with its result keeps what it made: none of it is this record's to remove later. */
    forget() {
        this.paths.splice(0);
        this.whole.clear();
    }
    /**
     * Removes what was made, the last made first: each folder while it holds nothing but files this
     * run made (they go with it) and folders this run made that are already gone; a folder recorded
     * with its contents (add's `withContents`) goes whole. A folder that holds
     * anything else (a snapshot, a report, someone's file, a run beside this one's folder) stays with
     * all that is in it (our .gitignore too), and so do the folders around it.
     * Returns the outermost of the made folders left and why, or undefined when all is gone.
     * Synchronous, so the process may exit right after; it never throws (what it could not remove
     * is said in the return). Forgets what it was given either way.
     */
    removeWhileEmpty(otherThings = 'something else is in it now') {
        const made = this.paths.splice(0).filter((p) => (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.existsSync)(p));
        const whole = new Set(this.whole);
        this.whole.clear();
        if (!made.length)
            return undefined;
        const ours = new Set(made);
        const kept = new Set();
        const left = (why) => ({ folder: made.find((p) => (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.existsSync)(p)) ?? made[0], why });
        try {
            for (const p of [...made].reverse()) {
                if (whole.has(p) && (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.lstatSync)(p).isDirectory()) {
                    (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.rmSync)(p, { recursive: true, force: true });
                    continue;
                }
                if (!(0,node_fs__WEBPACK_IMPORTED_MODULE_0__.lstatSync)(p).isDirectory()) {
                    // A file in a folder this run made goes with that folder, once it is known to hold only ours.
                    if (!ours.has((0,node_path__WEBPACK_IMPORTED_MODULE_1__.dirname)(p)))
                        (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.unlinkSync)(p);
                    continue;
                }
                const names = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readdirSync)(p).map((name) => (0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(p, name));
                if (names.some((name) => !ours.has(name) || kept.has(name))) {
                    kept.add(p);
                    continue;
                }
                for (const name of names)
                    (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.unlinkSync)(name);
                (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.rmdirSync)(p);
            }
            return kept.size ? left(otherThings) : undefined;
        }
        catch (err) {
            return left(`it could not be removed (${err.code ?? (0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .errorLine */ .BP)(err)})`);
        }
    }
}


/***/ }),

/***/ 8975:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   CG: () => (/* binding */ output)
/* harmony export */ });
/* unused harmony exports inertLine, inertLines, terminalLines */
/* harmony import */ var _actions_core_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3475);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8161);
/**
 * The one writer between rollback-kit and the runner's log. The runner reads every line a step
 * prints (stdout and stderr) as a possible workflow command: a line whose first non-blank
 * characters are `::` (`::set-output`, `::add-mask::`, `::stop-commands::`\u2026), and, in the old
 * form, `##[name]` anywhere in a line. Our lines carry outside text (paths, migration file names,
 * check names, server messages, a command's output), and a newline inside such text would start a
 * new line that the runner obeys. So plain lines are split where the runner splits them (\n, \r)
 * and each one is made inert; our own commands (annotations, masks, failure) are issued by
 * @actions/core, which escapes their data and properties so they stay one line.
 */


/** Where the runner splits lines (.NET ReadLine: \r\n, \r or \n). */
const LINE_BREAK = /\r\n|\r|\n/;
/** The runner trims leading whitespace (.NET's definition, which includes U+0085) before looking for `::`. */
const LEADING_COMMAND = /^([\s\u0085]*)::/;
const OLD_FORM_COMMAND = /##\[/g;
/**
 * One line the runner will not read as a command: a leading `::` and any `##[` are written with
 * the runner's own percent escapes (`%3A%3A`, `##%5B`), so the text stays readable.
 */
function inertLine(line) {
    return line.replace(LEADING_COMMAND, '$1%3A%3A').replace(OLD_FORM_COMMAND, '##%5B');
}
/** Text of any number of lines, as the inert lines the runner will see. */
function inertLines(text) {
    return text.split(LINE_BREAK).map(inertLine);
}
/**
 * Control characters a terminal would obey (cursor moves, title changes, clearing the screen), from
 * outside text; colour codes (SGR, `ESC[\u2026m`) are kept, since the command line's own are added the
 * same way and a stray one only changes a colour.
 */
// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROL = /\x1b(?!\[[0-9;]*m)|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f\x9b]/g;
/** Text for a terminal: inert for the runner (a CLI run may be a workflow step) and for the terminal. */
function terminalLines(text) {
    return inertLines(text.replace(TERMINAL_CONTROL, ''));
}
/**
 * Streams whose reader is gone: a pipe closed on us (`rollback-kit sandbox | head -1`: EPIPE), a
 * terminal hung up (EIO), a full disk under a redirect. Node reports a failed write as an 'error'
 * event, and with nobody listening that event killed the process at once, mid-run, its cleanup
 * never run. Instead a line meant for a gone stdout goes to stderr (the closing lines of a stopped
 * run must reach someone), and a line for a gone stderr is dropped.
 */
const gone = { stdout: false, stderr: false };
/** Told when stdout's reader closed the pipe: stop-signals.ts takes that as a stop (SIGPIPE). */
const stdoutClosedListeners = new Set();
let stdoutClosed = false;
function lost(stream, err) {
    if (gone[stream])
        return;
    gone[stream] = true;
    if (stream !== 'stdout' || err.code !== 'EPIPE')
        return;
    stdoutClosed = true;
    for (const listener of [...stdoutClosedListeners])
        listener();
}
for (const stream of ['stdout', 'stderr'])
    process[stream].on('error', (err) => lost(stream, err));
/** Writes `text` where it can still be read; a stdout line its failed write lost is written again on stderr. */
function write(stream, text) {
    const to = stream === 'stdout' && gone.stdout ? 'stderr' : stream;
    if (gone[to])
        return;
    process[to].write(text, (err) => {
        if (!err)
            return;
        lost(to, err);
        if (to === 'stdout')
            write('stderr', text);
    });
}
const output = {
    /** Plain log lines; nothing in `text` can become a workflow command. */
    info(text) {
        write('stdout', inertLines(text).join(node_os__WEBPACK_IMPORTED_MODULE_1__.EOL) + node_os__WEBPACK_IMPORTED_MODULE_1__.EOL);
    },
    /** An annotation: @actions/core escapes the message and the properties (title) into one line. */
    annotate(level, message, props = {}) {
        if (level === 'error')
            _actions_core_js__WEBPACK_IMPORTED_MODULE_0__/* .core */ .I.error(message, props);
        else if (level === 'warning')
            _actions_core_js__WEBPACK_IMPORTED_MODULE_0__/* .core */ .I.warning(message, props);
        else
            _actions_core_js__WEBPACK_IMPORTED_MODULE_0__/* .core */ .I.notice(message, props);
    },
    /** Only shown with step debug logging; escaped by @actions/core like an annotation. */
    debug(message) {
        _actions_core_js__WEBPACK_IMPORTED_MODULE_0__/* .core */ .I.debug(message);
    },
    /** Asks the runner to mask a value (`::add-mask::`, escaped by @actions/core). */
    mask(value) {
        _actions_core_js__WEBPACK_IMPORTED_MODULE_0__/* .core */ .I.setSecret(value);
    },
    /** A line for the command line's reader: `stdout` for results, `stderr` for progress and errors. */
    line(text, stream = 'stdout') {
        write(stream, terminalLines(text).join(node_os__WEBPACK_IMPORTED_MODULE_1__.EOL) + node_os__WEBPACK_IMPORTED_MODULE_1__.EOL);
    },
    /** Replaces the terminal's current line on stderr (a spinner); `''` clears it. Only for a TTY. */
    status(text) {
        write('stderr', `\r\x1b[2K${terminalLines(text).join(' ')}`);
    },
    /**
     * Calls `listener` when stdout's reader closes the pipe (at once when it already has); returns
     * what stops listening.
     */
    onStdoutClosed(listener) {
        if (stdoutClosed) {
            listener();
            return () => undefined;
        }
        stdoutClosedListeners.add(listener);
        return () => void stdoutClosedListeners.delete(listener);
    },
    /** Whether a person is there: stdin and stderr are terminals (prompts, spinners, colours). */
    terminal() {
        return { stdin: Boolean(process.stdin.isTTY), stderr: Boolean(process.stderr.isTTY) };
    },
    /** Asks on stderr and reads one line from `input` (stdin); '' when `signal` aborts first or the input ends. */
    async ask(question, signal, input = process.stdin) {
        // Loaded here, not with every action's bundle: only the command line asks anything.
        const { createInterface } = await Promise.resolve(/* import() */).then(__webpack_require__.t.bind(__webpack_require__, 6848, 19));
        const rl = createInterface({ input, output: process.stderr });
        // Input that ends (Ctrl-D at the prompt, a stdin closed) closes the interface, and Node 20
        // leaves the question pending for ever: the person would wait out the caller's timeout for an
        // answer that can no longer come. No answer is an empty one.
        const closed = new Promise((resolve) => rl.once('close', () => resolve('')));
        try {
            return await Promise.race([rl.question(terminalLines(question).join(node_os__WEBPACK_IMPORTED_MODULE_1__.EOL), { signal }).catch(() => ''), closed]);
        }
        finally {
            rl.close();
        }
    },
    /** The step's one `::error::` line and a non-zero exit code. */
    fail(message) {
        _actions_core_js__WEBPACK_IMPORTED_MODULE_0__/* .core */ .I.setFailed(message);
    },
};


/***/ }),

/***/ 9205:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $Q: () => (/* binding */ clip),
/* harmony export */   KL: () => (/* binding */ redactDeep),
/* harmony export */   Tp: () => (/* binding */ isCommonValue),
/* harmony export */   rE: () => (/* binding */ SecretSet),
/* harmony export */   vb: () => (/* binding */ MIN_SECRET_LENGTH)
/* harmony export */ });
/* unused harmony exports secretStrength, encodedForms, MIN_BASE64_CORE, base64Forms */
/**
 * What counts as a secret, in which written forms it can turn up, and how it is taken out of text.
 * The one rule for every value registered anywhere (inputs, passwords, URLs, spec headers), used by
 * the log: call sites never decide for themselves whether a value is long enough to hide.
 */
/** Shorter values are "weak": too short to mask in the whole job log without masking ordinary text. */
const MIN_SECRET_LENGTH = 6;
/** Values that are switches or placeholders, never credentials: `?x-vercel-set-bypass-cookie=true`. */
const COMMON_WORDS = new Set(['true', 'false', 'null', 'none', 'nil', 'undefined', 'yes', 'no', 'on', 'off', 'enabled', 'disabled']);
// Digits after a point only: `\d+\.?\d*` could split a run of digits anywhere (n\u00b2 steps on a long one that fails).
const NUMBER = /^[+-]?(\d+(?:\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
/** A switch or placeholder word (`true`, `none`), or a number: never a credential by its shape alone. */
function isCommonValue(value) {
    return COMMON_WORDS.has(value.toLowerCase()) || NUMBER.test(value);
}
function secretStrength(value) {
    const word = value.trim();
    if (!word)
        return undefined;
    if (value.length < MIN_SECRET_LENGTH || COMMON_WORDS.has(word.toLowerCase()) || NUMBER.test(word))
        return 'weak';
    return 'strong';
}
/** The forms a value takes once written into a URL, a form body or a JSON string. */
function encodedForms(value) {
    const uri = encodeURIComponent(value);
    const form = new URLSearchParams({ v: value }).toString().slice(2);
    const json = JSON.stringify(value).slice(1, -1);
    return [...new Set([value, uri, form, json])];
}
/**
 * The shortest base64 piece registered: 8 characters carry 48 bits, the same as the 6 bytes
 * MIN_SECRET_LENGTH asks of a value written as it is. Shorter pieces (a 6-character secret at an
 * offset of 1 or 2 leaves 7 characters) say less than a value we already call too short to hide.
 */
const MIN_BASE64_CORE = Math.ceil((MIN_SECRET_LENGTH * 8) / 6);
/**
 * The value as it reads inside any base64 text, as the runner's masker finds it: `Basic
 * base64(user:token)`, `base64("Bearer " + token)`, `printf %s "$TOKEN" | base64`. Where the
 * value starts 0, 1 or 2 bytes into a 3-byte group, the characters whose 6 bits all come from the
 * value are the same whatever comes before or after it; the first characters (mixed with what
 * precedes) and the last ones (mixed with what follows, or padding) are left out. Each in the
 * standard and the URL-safe alphabet; pieces shorter than MIN_BASE64_CORE are left out.
 */
function base64Forms(value) {
    const bytes = Buffer.from(value, 'utf8');
    const forms = [];
    for (const offset of [0, 1, 2]) {
        // The value's bits run from 8\u00b7offset to 8\u00b7(offset + length); character i holds bits 6i to 6i + 6.
        const first = Math.ceil((8 * offset) / 6);
        const end = Math.floor((8 * (offset + bytes.length)) / 6);
        if (end - first < MIN_BASE64_CORE)
            continue;
        const core = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64').slice(first, end);
        forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
    return [...new Set(forms)];
}
/**
 * Cuts text to at most `max` characters with an ellipsis, at a space when there is one in the
 * second half, so a word (a token) is kept whole or left out. Still redact first (`Log.excerpt`):
 * text without spaces is cut where it must be, and a cut secret no longer matches the redactor.
 */
function clip(text, max) {
    if (text.length <= max)
        return text;
    let cut = text.slice(0, Math.max(0, max - 1));
    const space = cut.search(/\s\S*$/);
    if (space >= max / 2)
        cut = cut.slice(0, space);
    return `${cut.trimEnd()}\u2026`;
}
/**
 * Every string inside a JSON-like value redacted, before it is serialised: escaping (JSON's \",
 * XML's &quot;, a Markdown \|, the `_`, `#`, `&` a password may hold) would otherwise turn a secret
 * into a form the redactor does not know. The one way for every report, record and message sent
 * out; only plain objects and arrays are walked, so anything else (a Date) stays whole.
 */
function redactDeep(value, redact) {
    if (typeof value === 'string')
        return redact(value);
    if (Array.isArray(value))
        return value.map((v) => redactDeep(v, redact));
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)]));
    }
    return value;
}
const REDACTED = '***';
/** A letter or digit, the characters a weak secret must not touch to be a whole word. */
const WORD_CHAR = /[\p{L}\p{N}]/u;
const isWordChar = (ch) => ch !== undefined && WORD_CHAR.test(ch);
/** The character (whole code point) that ends right before `index`. */
function charBefore(text, index) {
    if (index <= 0)
        return undefined;
    const low = text.charCodeAt(index - 1);
    const pair = index >= 2 && low >= 0xdc00 && low <= 0xdfff && text.charCodeAt(index - 2) >= 0xd800 && text.charCodeAt(index - 2) <= 0xdbff;
    return text.slice(pair ? index - 2 : index - 1, index);
}
/** The character (whole code point) that starts at `index`. */
const charAt = (text, index) => (index < text.length ? String.fromCodePoint(text.codePointAt(index)) : undefined);
/** A character of either base64 alphabet (padding aside): what a wrapped form's line breaks stand between. */
const isBase64Char = (code) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 43 || code === 47 || code === 45 || code === 95;
/**
 * `text` with every line break (`\n` or `\r\n`) that stands between two base64 characters taken
 * out, and where each character of it came from in `text`; undefined when there is none. A tool
 * that prints base64 wrapped (MIME and `base64`: 76 columns; PEM: 64) breaks a registered form at
 * whatever column it reaches, so the form is looked for in this text, read once.
 */
function unwrapBase64(text) {
    let at = text.indexOf('\n');
    if (at < 0)
        return undefined;
    const from = new Int32Array(text.length);
    const parts = [];
    let n = 0;
    let done = 0;
    for (; at >= 0; at = text.indexOf('\n', at + 1)) {
        const start = at > 0 && text.charCodeAt(at - 1) === 13 ? at - 1 : at;
        if (start === 0 || !isBase64Char(text.charCodeAt(start - 1)) || !isBase64Char(text.charCodeAt(at + 1)))
            continue;
        parts.push(text.slice(done, start));
        for (let i = done; i < start; i++)
            from[n++] = i;
        done = at + 1;
    }
    if (!parts.length)
        return undefined;
    parts.push(text.slice(done));
    for (let i = done; i < text.length; i++)
        from[n++] = i;
    return { joined: parts.join(''), from: from.subarray(0, n) };
}
/** `text` with each of `spans` (in any order, overlapping or not) as one ***, overlapping ones merged. */
function hideSpans(text, spans) {
    if (!spans.length)
        return text;
    spans.sort((a, b) => a[0] - b[0]);
    let out = '';
    let done = 0;
    for (const [start, end] of spans) {
        if (end <= done)
            continue;
        // Overlapping the span just replaced: the part past it joins that ***.
        if (start >= done)
            out += `${text.slice(done, start)}${REDACTED}`;
        done = end;
    }
    return out + text.slice(done);
}
/** For each prefix of `form`, the length of its longest proper prefix that is also its suffix (KMP). */
function failureTable(form) {
    const fail = new Int32Array(form.length);
    for (let i = 1, k = 0; i < form.length; i++) {
        while (k > 0 && form[i] !== form[k])
            k = fail[k - 1];
        if (form[i] === form[k])
            k++;
        fail[i] = k;
    }
    return fail;
}
/**
 * `text` from `from` to `to` read through the KMP automaton of `form` from state `q` (how much of
 * the form the text before matched): each whole match is added to `spans`; returns the state at `to`.
 */
function kmpScan(text, from, to, form, fail, q, spans) {
    for (let i = from; i < to; i++) {
        const c = text.charCodeAt(i);
        while (q > 0 && form.charCodeAt(q) !== c)
            q = fail[q - 1];
        if (form.charCodeAt(q) === c)
            q++;
        if (q === form.length) {
            spans.push([Math.max(0, i + 1 - q), i + 1]);
            q = fail[q - 1];
        }
    }
    return q;
}
/**
 * How many characters of a piece a full-width base64 line must end with for wrappedLines to hide
 * them: 3 characters (18 bits) of a wrapped secret may show at a line break, and a random line
 * ends so by chance once in 64^4 (about 17 million) per piece.
 */
const WRAP_MATCH = 4;
/**
 * A line as PEM (64 columns) or MIME and `base64` (76) wrap base64: only its characters, not only
 * hex digits (a SHA-256 printed alone is 64 of those).
 */
const FULL_BASE64_LINE = /^(?=[A-Za-z0-9+/]*[g-zG-Z+/])(?:[A-Za-z0-9+/]{64}|[A-Za-z0-9+/]{76})$/;
/**
 * The registered values, found by plain string search rather than one pattern of them all: a
 * regular expression has a size limit (a 32,000-character value passed it), and the engine's
 * error quotes the whole pattern, which here is every secret in the clear.
 */
class SecretSet {
    strong = new Set();
    weak = new Set();
    /**
     * The base64 pieces among the strong forms, the ones a tool may print wrapped over lines, each
     * with its KMP failure table (wrappedLines reads a piece's matches one character at a time).
     */
    base64 = new Map();
    /** Each registered form once, longest first; rebuilt after an add. */
    sorted;
    /**
     * Registers `value` and its encoded forms (strong values also their base64 pieces). Returns
     * what the runner may mask (every strong form, new or not: one registered for our own output
     * only may be asked of the runner later; Log keeps which it asked) and whether it was new, or
     * undefined when nothing was registered.
     *
     * The choice for weak values: a guessed one (`?x-vercel-set-bypass-cookie=true`, `?token=abc`)
     * is not a secret at all. A declared one (a 4-character database password) is still a secret,
     * so it must not leak silently: our own redactor removes it where it stands as a whole word
     * (`admin:pw@host`, not the "pw" inside "pwd"), but the runner is not asked to mask it, because
     * `::add-mask::` would mask every occurrence in every later step of the job ("true", "admin").
     * The runner masks `${{ secrets.* }}` values by itself in any case.
     */
    add(value, source) {
        if (value === undefined)
            return undefined;
        const strength = secretStrength(value);
        if (!strength || (strength === 'weak' && source === 'guessed'))
            return undefined;
        const set = strength === 'strong' ? this.strong : this.weak;
        const pieces = strength === 'strong' ? base64Forms(value) : [];
        const forms = [...encodedForms(value), ...pieces];
        const fresh = [...new Set(forms)].filter((form) => !this.strong.has(form) && !set.has(form));
        const maskable = strength === 'strong' ? [...new Set(forms)] : [];
        if (!fresh.length)
            return { strength, maskable, fresh: false };
        for (const form of fresh)
            set.add(form);
        for (const piece of pieces)
            if (!this.base64.has(piece))
                this.base64.set(piece, failureTable(piece));
        this.sorted = undefined;
        return { strength, maskable, fresh: true };
    }
    /**
     * Every place a registered form stands replaced by ***: strong forms wherever they are, weak ones
     * where no letter or digit touches them. Overlapping places are replaced as one, so two secrets
     * sharing characters leave no piece of either.
     */
    redact(text) {
        if (!this.strong.size && !this.weak.size)
            return text;
        this.sorted ??= [...[...this.strong].map((form) => ({ form, weak: false })), ...[...this.weak].map((form) => ({ form, weak: true }))].sort((a, b) => b.form.length - a.form.length);
        const spans = [];
        for (const { form, weak } of this.sorted) {
            for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
                const end = at + form.length;
                if (weak && (isWordChar(charBefore(text, at)) || isWordChar(charAt(text, end))))
                    continue;
                spans.push([at, end]);
            }
        }
        this.wrappedSpans(text, spans);
        return hideSpans(text, spans);
    }
    /**
     * A line filter for text read one line at a time (a program's output), after redact: a base64
     * form a tool wrapped over lines is in no one line whole. Each piece's match is followed through
     * the line breaks between base64 characters (a KMP automaton per piece, its state kept from line
     * to line: linear in the text). A line's part of a whole match is hidden, and so is the line's
     * tail where it begins a piece, before the next line is seen: MIN_BASE64_CORE characters or more
     * (as many bits as the shortest piece registered), or WRAP_MATCH or more at the end of a full 64-
     * or 76-column base64 line, where a wrapped secret breaks. So where a wrap falls inside a piece,
     * at most WRAP_MATCH - 1 of its characters show at the end of the line before it (the rest, on
     * the next lines, is hidden as the match goes on), besides the one or two at each end of the
     * encoded secret that mix with neighbouring bytes and are in no piece. A full-width line's tail
     * is hidden by chance about once in 64^WRAP_MATCH lines per piece (60 pieces: a few lines in a
     * million), not once in 64: printed certificates and base64 output stay readable.
     */
    wrappedLines() {
        const carried = new Map();
        let endsInBase64 = false;
        return (line) => {
            if (!this.base64.size)
                return line;
            const end = line.endsWith('\r') ? line.length - 1 : line.length;
            const continues = endsInBase64 && end > 0 && isBase64Char(line.charCodeAt(0));
            // Only the run of base64 characters the line begins with (going on from the line before) and
            // the one it ends with (going on into the next) can hold part of a match over a break: a
            // match inside the line is redact's.
            let tail = end;
            while (tail > 0 && isBase64Char(line.charCodeAt(tail - 1)))
                tail--;
            endsInBase64 = tail < end;
            if (!continues && !endsInBase64) {
                carried.clear();
                return line;
            }
            let lead = 0;
            if (continues)
                while (lead < end && isBase64Char(line.charCodeAt(lead)))
                    lead++;
            const fullWidth = FULL_BASE64_LINE.test(line.slice(0, end));
            const spans = [];
            for (const [form, fail] of this.base64) {
                let q = continues ? (carried.get(form) ?? 0) : 0;
                let from = tail;
                if (q > 0) {
                    q = kmpScan(line, 0, lead, form, fail, q, spans);
                    // A line of base64 only was read whole; else its last run is read afresh.
                    if (lead === end)
                        from = end;
                    else
                        q = 0;
                }
                q = kmpScan(line, from, end, form, fail, q, spans);
                carried.set(form, q);
                if (q >= (fullWidth ? WRAP_MATCH : MIN_BASE64_CORE))
                    spans.push([end - Math.min(q, end), end]);
            }
            return hideSpans(line, spans);
        };
    }
    /**
     * Adds to `spans` each base64 form found with line breaks inside it, line by line: each line's
     * piece becomes its own ***, so the lines stay lines. One more search of each form, in the text
     * with its base64 line breaks taken out (unwrapBase64).
     */
    wrappedSpans(text, spans) {
        if (!this.base64.size)
            return;
        const unwrapped = unwrapBase64(text);
        if (!unwrapped)
            return;
        const { joined, from } = unwrapped;
        for (const form of this.base64.keys()) {
            // Up to where this form's spans reach: an overlapping find is split into lines past it only.
            let covered = 0;
            for (let at = joined.indexOf(form); at !== -1; at = joined.indexOf(form, at + 1)) {
                const last = at + form.length - 1;
                // Found whole by the plain search already.
                if (from[last] - from[at] === last - at)
                    continue;
                const first = Math.max(at, covered);
                let start = from[first];
                for (let i = first + 1; i <= last; i++) {
                    if (from[i] === from[i - 1] + 1)
                        continue;
                    spans.push([start, from[i - 1] + 1]);
                    start = from[i];
                }
                spans.push([start, from[last] + 1]);
                covered = last + 1;
            }
        }
    }
}


/***/ }),

/***/ 7823:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   GJ: () => (/* binding */ onOneLine),
/* harmony export */   em: () => (/* binding */ sentence),
/* harmony export */   l2: () => (/* binding */ capitalized),
/* harmony export */   v6: () => (/* binding */ ended)
/* harmony export */ });
/**
 * Text said as a sentence of its own where sentences are joined ("\u2026 decision rollback. Check
 * "reports" failed: \u2026"): a clause made to follow a colon starts in lower case, and one that ends in
 * a quote or a code "(SQLSTATE 42P01)" has no full stop. Starts with a capital, ends with . ! or ?.
 * For prose only: a hint that starts with a name as written (since-ref, verified-sha, a command)
 * keeps it, so RollbackKitError.line joins message and hint as they are.
 */
function sentence(text) {
    const t = text.trim();
    if (!t)
        return t;
    return ended(capitalized(t));
}
/** Text with its first letter in upper case ("Staging of shop"), the rest as it is. */
function capitalized(text) {
    return text ? `${text[0].toUpperCase()}${text.slice(1)}` : text;
}
/**
 * Text that another sentence follows, with its full stop: one that ends in a bracket, a quote or a
 * name ("\u2026 and the database)") gets one; one that ends in . ! or ? is kept. Nothing else is changed
 * (a message may start with an input's name, as written).
 */
function ended(text) {
    const t = text.trimEnd();
    return !t || /[.!?]$/.test(t) ? t : `${t}.`;
}
/**
 * Text on one line: each run of white space that holds a line break becomes one space, so a
 * newline in outside text cannot start another field or line. Each run is read once (a pattern
 * that backtracks over spaces, `\s*[\r\n]+\s*`, took seconds on a long run of spaces).
 */
function onOneLine(text) {
    return text.replace(/\s+/g, (run) => (/[\r\n]/.test(run) ? ' ' : run));
}


/***/ }),

/***/ 1042:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   PJ: () => (/* binding */ stopReason),
/* harmony export */   ZI: () => (/* binding */ stopOnSignals),
/* harmony export */   ZQ: () => (/* binding */ holdStopSignals),
/* harmony export */   gi: () => (/* binding */ stopSignalName),
/* harmony export */   kB: () => (/* binding */ stoppedFailure),
/* harmony export */   w3: () => (/* binding */ stopCause),
/* harmony export */   ws: () => (/* binding */ stopName)
/* harmony export */ });
/* unused harmony export StopOutlasted */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8005);
/* harmony import */ var _output_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8975);
/**
 * SIGTERM, SIGINT and SIGHUP while work that must wind down runs (an action's step, the CLI's
 * database commands, the sandbox). Node's default is to exit at once (143, 130, 129): child
 * processes, temporary files and the sandbox's database left behind, and nobody told whether the
 * database changed. SIGHUP is an SSH session or a terminal window that went away: the work under
 * way is in the same state as after a Ctrl-C. A stdout whose reader closed the pipe (`| head -1`:
 * the write fails with EPIPE, since Node ignores the SIGPIPE a program would die of) is a stop too,
 * named SIGPIPE: nobody reads the rest, and dying of it, as Node did, left everything behind. Instead:
 *
 * - the first signal aborts `signal`, which the work listens to (it stops feeding its programs,
 *   ends them, and knows what it had done), calls `onFirst`, and starts a wait of `graceMs`;
 * - a second signal ends that wait at once: the caller stops waiting for the work and does what it
 *   does when the wait runs out (reports that the work's state is not known, or cleans up). A
 *   closed stdout after the first signal is not a second one: with `\u2026 | tee log` and Ctrl-C, tee
 *   dies of the same SIGINT, and our next write (the "stopping\u2026" note itself) gets EPIPE. Nobody
 *   asked twice, so the work keeps its grace; only a real SIGINT, SIGTERM or SIGHUP cuts it short;
 * - every later signal is ignored: the handlers stay installed until `dispose()`, so no signal ever
 *   reaches Node's default kill while the caller still reports or cleans up. (With
 *   `process.once`, the second Ctrl-C would find no handler and kill the process mid-cleanup.)
 *
 * One process-level handler per signal takes them all, and hands each to every stop listening at
 * that moment. Installed while a stop listens; the command line's bin keeps it for the whole run
 * from its first line (holdStopSignals), and says what a signal that no stop hears did. A handler
 * removed as another is added instead loses the signal Node has caught but not yet handed over
 * (it reaches the listeners only at the next turn of the event loop): a stop at the start of the
 * sandbox went unheard, and the sandbox ran to its end.
 */


/** The signals a stop is taken from; SIGPIPE comes from a closed stdout (output.ts), not as a signal. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'];
/** What stopped the work, as a note says it: SIGPIPE alone would not tell the reader what happened. */
function stopCause(name) {
    return name === 'SIGPIPE' ? 'SIGPIPE, stdout closed' : name;
}
/** Every stop listening now, in the order they started. */
const listening = new Set();
/** What a signal that no stop hears does, while the bin holds the handler (holdStopSignals). */
let unheard;
let installed = false;
function onProcessSignal(name) {
    if (!listening.size)
        return unheard?.(name);
    for (const stop of [...listening])
        stop(name);
}
/** The process-level handler is there exactly while a stop listens or the bin holds it. */
function install() {
    const wanted = listening.size > 0 || unheard !== undefined;
    if (wanted === installed)
        return;
    installed = wanted;
    for (const sig of STOP_SIGNALS) {
        if (wanted)
            process.on(sig, onProcessSignal);
        else
            process.off(sig, onProcessSignal);
    }
}
/**
 * Keeps the handler installed until the returned release is called: a signal while no stop listens
 * goes to `whenUnheard` (before a command's work, after it) instead of Node's default. The release
 * puts Node's default back for such signals.
 */
function holdStopSignals(whenUnheard) {
    unheard = whenUnheard;
    install();
    return () => {
        if (unheard !== whenUnheard)
            return;
        unheard = undefined;
        install();
    };
}
function stopOnSignals(opts) {
    const controller = new AbortController();
    let received;
    let timer;
    let giveUp = () => undefined;
    const expired = new Promise((resolve) => (giveUp = () => resolve('expired')));
    const onSignal = (name) => {
        if (received) {
            if (name !== 'SIGPIPE')
                giveUp();
            return;
        }
        received = name;
        opts.onFirst?.(name);
        controller.abort(stopReason(name));
        timer = setTimeout(giveUp, opts.graceMs);
    };
    listening.add(onSignal);
    install();
    const unwatchStdout = _output_js__WEBPACK_IMPORTED_MODULE_1__/* .output */ .CG.onStdoutClosed(() => onSignal('SIGPIPE'));
    return {
        signal: controller.signal,
        received: () => received,
        expired,
        settle(work) {
            const ran = work.then((value) => ({ ok: true, value }), (err) => ({ ok: false, err }));
            return Promise.race([ran, expired]);
        },
        dispose() {
            clearTimeout(timer);
            listening.delete(onSignal);
            install();
            unwatchStdout();
        },
    };
}
/** Stopped work that did not end within the grace time: what it had changed is not known, so no detail may claim it. */
class StopOutlasted extends _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp {
}
/**
 * What a stopped piece of work (`what`: the action or command) failed with, given how it settled:
 * its own error said to be a stop (what it knew, committed or not, is in its words); that its state
 * is not known when it did not end within the grace time (`known`: what the work had already said
 * it changed, which is said instead, and what is not known is the work's to say); or that it was
 * done when the stop came. Undefined when no signal came.
 */
function stoppedFailure(what, signal, settled, graceMs, known) {
    if (!signal)
        return undefined;
    if (settled === 'expired') {
        return new StopOutlasted(`${what} was stopped by ${signal} and its work did not end within ${graceMs / 1000} s: ${known ?? 'what it had changed by then is not known'}.`, 'Check the state of what it works on (its log above says how far it got) before running it again.');
    }
    if (settled.ok)
        return new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`${what} was stopped by ${signal} as its work ended: that work was done, and what it reports stands (its report follows in the summary).`);
    const err = settled.err;
    const hint = err instanceof _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp ? err.hint : undefined;
    const message = err instanceof _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp ? err.message : (0,_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .errorLine */ .BP)(err);
    return new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`${what} was stopped by ${signal}: ${message}`, hint);
}
/**
 * The reason every stop aborts its work with: stopName reads the signal back from it, so an abort
 * without it (AbortController.abort()) made every stop text say "stopped (stopped)".
 */
function stopReason(name) {
    return new Error(`stopped by ${name}`);
}
/** "SIGINT" from a stop's reason (stopReason: "stopped by SIGINT"); undefined when it names none. */
function stopSignalName(signal) {
    const reason = signal?.reason;
    const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : '';
    return /SIG[A-Z]+/.exec(text)?.[0];
}
/** "SIGINT" from a stop's reason (stopSignalName), else "stopped". */
function stopName(signal) {
    return stopSignalName(signal) ?? 'stopped';
}


/***/ }),

/***/ 74:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   M: () => (/* binding */ laterJob),
/* harmony export */   j: () => (/* binding */ inThisJob)
/* harmony export */ });
/* harmony import */ var _timeline_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6994);
/**
 * What an error says it changed, in the words of the job that ran it. Errors made deep down (a
 * stopped ledger read, a lock wait, a restore refused before it began) say "nothing was changed":
 * true of their step, and of a rollback run in one job. In a later job of a split rollback (its
 * `timeline` input holds an earlier job's rows that changed production) it reads as if production
 * were untouched, and the earlier job did change it: there they say "this job changed nothing".
 * Only the pipeline knows which job this is (changedSomething of the earlier timeline), so every
 * error text it writes passes through here, whatever step made it.
 */

/** The sentences that claim nothing changed, as the errors write them (linear: no nested repeats). */
const NOTHING_CHANGED = /\b(?:nothing was (?:contacted or )?changed|(?:this|the) run changed nothing)\b/gi;
function inThisJob(text, laterJob) {
    if (!laterJob)
        return text;
    return text.replace(NOTHING_CHANGED, (said) => {
        // A dry run of scope verify's "nothing was contacted or changed": the earlier job contacted and changed production.
        const words = /contacted/i.test(said) ? 'this job contacted nothing and changed nothing' : 'this job changed nothing';
        return said[0] === said[0].toUpperCase() ? `T${words.slice(1)}` : words;
    });
}
/**
 * Whether a `timeline` (the root action's input, the CLI's --timeline) says an earlier job of this
 * rollback changed production: read before anything else, so that a refusal before the pipeline
 * starts says "this job changed nothing" (inThisJob), as the pipeline's own errors do. A timeline
 * that does not parse is refused where the request reads it.
 */
function laterJob(timeline) {
    try {
        return (0,_timeline_js__WEBPACK_IMPORTED_MODULE_0__/* .changedSomething */ .Ne)((0,_timeline_js__WEBPACK_IMPORTED_MODULE_0__/* .parseTimeline */ .pv)(timeline, (text) => text));
    }
    catch {
        return false;
    }
}


/***/ }),

/***/ 2108:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Z: () => (/* binding */ PHASES)
/* harmony export */ });
/** Phase names are public interface (DESIGN, "The whole rollback"), in the order they run. */
const PHASES = ['plan', 'notify-start', 'app', 'snapshot', 'database', 'environment', 'verify', 'report', 'notify-end'];


/***/ }),

/***/ 6994:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   G7: () => (/* binding */ standingFailures),
/* harmony export */   Kf: () => (/* binding */ Timeline),
/* harmony export */   Kl: () => (/* binding */ phaseLine),
/* harmony export */   Ne: () => (/* binding */ changedSomething),
/* harmony export */   f2: () => (/* binding */ earlierMoves),
/* harmony export */   fL: () => (/* binding */ stoppedIn),
/* harmony export */   gv: () => (/* binding */ earlierFroms),
/* harmony export */   pC: () => (/* binding */ deploymentName),
/* harmony export */   pv: () => (/* binding */ parseTimeline)
/* harmony export */ });
/* unused harmony export TIMELINE_FIELDS */
/* harmony import */ var _core_duration_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(1634);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8005);
/* harmony import */ var _core_secrets_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9205);
/* harmony import */ var _record_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(2108);
/**
 * The rollback's timeline: one row per phase (per component in `app`), timed against its budget.
 * A rollback split across jobs hands the `timeline` output of one job to the next, which reads it
 * back here (validated: it crosses a job boundary as text anyone could have edited) and appends.
 */




const STATUSES = ['ok', 'failed', 'skipped', 'warning', 'nothing-to-do', 'dry-run'];
/** A whole rollback has nine phases and a few components per job; more rows than this is not a timeline. */
const MAX_ENTRIES = 500;
const MAX_TEXT = 1000;
/** A deployment's name in a row (an id, a commit, a URL). */
const MAX_REF = 300;
/** How a row and the `components` output name a deployment: its id, else its commit, else its URL. */
function deploymentName(d) {
    return d?.id ?? d?.commitSha ?? d?.url;
}
/**
 * What a row may say beside its detail (a stop; for an app row that went live, from where to where
 * and what it froze), in the order a row carries them, each with what it holds: `true` only, a
 * deployment's name (MAX_REF), or a text (MAX_TEXT). The one list the rows are written from
 * (Timeline) and read back from (parseTimeline); the README's and action.yml's `timeline` say the same.
 */
const ROW_FACTS = {
    stopped: 'flag',
    from: 'ref',
    to: 'ref',
    'auto-assign-off': 'flag',
    frozen: 'text',
    undo: 'text',
    'from-follows-production': 'flag',
};
/** Every field of a row, in the order a row carries them, `?` on those a row may leave out: public interface (the `timeline` output). */
const TIMELINE_FIELDS = ['phase', 'component?', 'started', 'duration-ms', 'budget-ms', 'status', 'detail', ...Object.keys(ROW_FACTS).map((k) => `${k}?`)];
/**
 * The facts of `source` as a row carries them: flags when true, texts when not empty, each through
 * `clean` (a row read back is redacted and cut to its kind's length); `undo` only beside a `frozen`.
 */
function rowFacts(source, clean = (text) => text) {
    const facts = {};
    if (!source)
        return facts;
    for (const [key, kind] of Object.entries(ROW_FACTS)) {
        const value = source[key];
        if (key === 'undo' && !facts.frozen)
            continue;
        if (kind === 'flag') {
            if (value === true)
                facts[key] = true;
        }
        else if (typeof value === 'string' && value)
            facts[key] = clean(value, kind === 'ref' ? MAX_REF : MAX_TEXT);
    }
    return facts;
}
class Timeline {
    budgets;
    onEntry;
    now;
    onStart;
    entries;
    constructor(budgets, earlier = [], onEntry = () => undefined, now = Date.now, onStart = () => undefined) {
        this.budgets = budgets;
        this.onEntry = onEntry;
        this.now = now;
        this.onStart = onStart;
        this.entries = [...earlier];
    }
    /** Starts timing a phase; `end` records its row (and returns it). */
    start(phase, component) {
        const started = this.now();
        this.onStart(phase, component);
        return {
            end: (status, detail, facts) => {
                const entry = {
                    phase,
                    ...(component !== undefined ? { component } : {}),
                    started: new Date(started).toISOString(),
                    'duration-ms': Math.max(0, Math.round(this.now() - started)),
                    'budget-ms': this.budgets.phase(phase),
                    status,
                    detail,
                    ...rowFacts(facts),
                };
                this.entries.push(entry);
                this.onEntry(entry);
                return entry;
            },
        };
    }
    /** A phase that did not run: recorded so every report shows why. */
    skip(phase, detail, component, facts) {
        return this.start(phase, component).end('skipped', detail, facts);
    }
}
/** A row as a log line: "[app web] ok in 2 s (budget 3 min 0 s): \u2026"; `tag` ("drill") leads the bracket. */
function phaseLine(entry, tag) {
    const name = [tag, entry.phase, entry.component].filter(Boolean).join(' ');
    return `[${name}] ${entry.status} in ${(0,_core_duration_js__WEBPACK_IMPORTED_MODULE_2__/* .formatDuration */ .a)(entry['duration-ms'])} (budget ${(0,_core_duration_js__WEBPACK_IMPORTED_MODULE_2__/* .formatDuration */ .a)(entry['budget-ms'])}): ${entry.detail}`;
}
/**
 * The failed rows that still say how the rollback stands. A failed action phase (plan, app,
 * snapshot, database) always does: what it left undone stays undone. A failed verify only until a
 * later verify ran its checks: that one saw production after more was rolled back, so it speaks for
 * the end state (an app job's unverified verify, then a database job that fixed it).
 */
function standingFailures(rows) {
    return rows.filter((e, i) => e.status === 'failed' && (e.phase !== 'verify' || !rows.slice(i + 1).some((later) => later.phase === 'verify' && later.status !== 'skipped')));
}
/**
 * Whether any row says the app or the database was changed: in a split rollback, an earlier job's
 * rows (passed in as the `timeline` input) say what that job already rolled back.
 */
function changedSomething(rows) {
    return rows.some((e) => (e.phase === 'app' || e.phase === 'database') && e.status === 'ok');
}
/**
 * Reads the `timeline` input: a JSON array of rows as the `timeline` output writes them. A long
 * detail is cut, after `redact` (this job's secrets), so that no cut halves a secret.
 */
function parseTimeline(raw, redact) {
    const text = (raw ?? '').trim();
    if (!text)
        return [];
    const fail = (why) => new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Input timeline is not a rollback timeline: ${why}.`, 'Pass the timeline output of the earlier job unchanged: timeline: ${{ needs.<job>.outputs.timeline }}.');
    let data;
    try {
        data = JSON.parse(text);
    }
    catch {
        throw fail('it is not valid JSON');
    }
    if (!Array.isArray(data))
        throw fail('it must be a JSON array of rows');
    if (data.length > MAX_ENTRIES)
        throw fail(`it has ${data.length} rows, more than ${MAX_ENTRIES}`);
    return data.map((row, i) => {
        const at = `row ${i + 1}`;
        if (!row || typeof row !== 'object' || Array.isArray(row))
            throw fail(`${at} is not an object`);
        const r = row;
        if (!_record_js__WEBPACK_IMPORTED_MODULE_3__/* .PHASES */ .Z.includes(r.phase))
            throw fail(`${at}: phase must be one of ${_record_js__WEBPACK_IMPORTED_MODULE_3__/* .PHASES */ .Z.join(', ')}`);
        if (!STATUSES.includes(r.status))
            throw fail(`${at}: status must be one of ${STATUSES.join(', ')}`);
        if (typeof r.started !== 'string' || Number.isNaN(Date.parse(r.started)))
            throw fail(`${at}: started must be an ISO time`);
        for (const k of ['duration-ms', 'budget-ms']) {
            if (typeof r[k] !== 'number' || !Number.isFinite(r[k]) || r[k] < 0)
                throw fail(`${at}: ${k} must be a number of milliseconds`);
        }
        if (r.component !== undefined && (typeof r.component !== 'string' || r.component.length > 100))
            throw fail(`${at}: component must be a short text`);
        if (typeof r.detail !== 'string')
            throw fail(`${at}: detail must be text`);
        for (const [k, kind] of Object.entries(ROW_FACTS)) {
            if (r[k] === undefined)
                continue;
            if (kind === 'flag' && r[k] !== true)
                throw fail(`${at}: ${k} must be true when given`);
            if (kind !== 'flag' && typeof r[k] !== 'string')
                throw fail(`${at}: ${k} must be text when given`);
        }
        return {
            phase: r.phase,
            ...(r.component !== undefined ? { component: r.component } : {}),
            started: new Date(r.started).toISOString(),
            'duration-ms': r['duration-ms'],
            'budget-ms': r['budget-ms'],
            status: r.status,
            detail: (0,_core_secrets_js__WEBPACK_IMPORTED_MODULE_1__/* .clip */ .$Q)(redact(r.detail), MAX_TEXT),
            ...rowFacts(r, (text, max) => (0,_core_secrets_js__WEBPACK_IMPORTED_MODULE_1__/* .clip */ .$Q)(redact(text), max)),
        };
    });
}
/**
 * Where earlier jobs of this rollback put each component, from their app rows that went live (the
 * last one of a component wins: a re-run's). Rows an earlier version wrote carry no `to`: left out.
 */
function earlierMoves(rows) {
    const moves = new Map();
    for (const e of rows) {
        if (e.phase !== 'app' || e.status !== 'ok' || !e.component || !e.to)
            continue;
        moves.set(e.component, {
            name: e.component,
            ...(e.from ? { from: e.from } : {}),
            to: e.to,
            ...(e['auto-assign-off'] ? { autoAssignOff: true } : {}),
            ...(e.frozen ? { frozen: { what: e.frozen, ...(e.undo ? { undo: e.undo } : {}) } } : {}),
        });
    }
    return [...moves.values()];
}
/**
 * What the earlier jobs' app rows say each component was rolled back from, by that job or by the
 * rollback it found already made (the last row of a component with a `from` wins: a re-run's), for a
 * later job to name the incident as they did (rollback.ts keyFacts).
 */
function earlierFroms(rows) {
    const froms = new Map();
    for (const e of rows) {
        if (e.phase !== 'app' || !e.component || !e.from || e.status === 'failed')
            continue;
        froms.set(e.component, { from: e.from, ...(e['from-follows-production'] ? { 'from-follows-production': true } : {}) });
    }
    return froms;
}
/**
 * Whether the phase the run failed in was ended by a stop (its rows say so: Ctrl-C, a cancelled job),
 * not by a fault: its words say "stopped in", and its next step is to run again, with nothing to fix.
 */
function stoppedIn(record) {
    if (!record.failedPhase)
        return false;
    const rows = record.timeline.filter((e) => e.phase === record.failedPhase && e.status === 'failed');
    return rows.length > 0 && rows.every((e) => e.stopped);
}


/***/ })

};
