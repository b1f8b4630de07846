import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 2613:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");

/***/ }),

/***/ 4434:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");

/***/ }),

/***/ 9896:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");

/***/ }),

/***/ 8611:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("http");

/***/ }),

/***/ 5692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("https");

/***/ }),

/***/ 9278:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("net");

/***/ }),

/***/ 4589:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:assert");

/***/ }),

/***/ 6698:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:async_hooks");

/***/ }),

/***/ 4573:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:buffer");

/***/ }),

/***/ 1421:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");

/***/ }),

/***/ 7540:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:console");

/***/ }),

/***/ 7598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 3053:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:diagnostics_channel");

/***/ }),

/***/ 610:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:dns");

/***/ }),

/***/ 8474:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:events");

/***/ }),

/***/ 3024:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 7067:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");

/***/ }),

/***/ 2467:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http2");

/***/ }),

/***/ 7030:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");

/***/ }),

/***/ 8161:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");

/***/ }),

/***/ 6760:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");

/***/ }),

/***/ 643:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:perf_hooks");

/***/ }),

/***/ 1792:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:querystring");

/***/ }),

/***/ 6848:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:readline/promises");

/***/ }),

/***/ 7075:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");

/***/ }),

/***/ 1692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:tls");

/***/ }),

/***/ 3136:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");

/***/ }),

/***/ 7975:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");

/***/ }),

/***/ 3429:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util/types");

/***/ }),

/***/ 5919:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:worker_threads");

/***/ }),

/***/ 8522:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");

/***/ }),

/***/ 857:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");

/***/ }),

/***/ 3193:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("string_decoder");

/***/ }),

/***/ 4756:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tls");

/***/ }),

/***/ 9023:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util");

/***/ }),

/***/ 5134:
/***/ ((__webpack_module__, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(__webpack_module__, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _core_action_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(9192);
/* harmony import */ var _platforms_not_live_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(19);
/* harmony import */ var _platforms_promote_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(1418);
/* harmony import */ var _platforms_promote_inputs_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(5755);
/* harmony import */ var _pipeline_automatic_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(9430);
/* harmony import */ var _report_promote_previous_summary_js__WEBPACK_IMPORTED_MODULE_5__ = __nccwpck_require__(1719);
/* harmony import */ var _report_write_summary_js__WEBPACK_IMPORTED_MODULE_6__ = __nccwpck_require__(4039);
/**
 * promote-previous: put the last good deployment back into production. Reads the inputs, hands
 * them to the provider (Vercel, git revert, or the user's command), writes outputs and a summary.
 */







// Every failure says status=failed, as run-down-migrations and the root action do: a later
// `if: always()` step branching on status must see the failure, not an empty value no test matches.
await (0,_core_action_js__WEBPACK_IMPORTED_MODULE_0__/* .runAction */ .Cs)('promote-previous', promote, () => {
    (0,_core_action_js__WEBPACK_IMPORTED_MODULE_0__/* .setOutputs */ .n0)({ status: 'failed' });
    return undefined;
});
async function promote(log, signal) {
    const started = Date.now();
    const request = (0,_platforms_promote_inputs_js__WEBPACK_IMPORTED_MODULE_3__/* .readPromoteRequest */ .S)(_core_action_js__WEBPACK_IMPORTED_MODULE_0__/* .input */ .hF, {
        env: process.env,
        workspace: process.env.GITHUB_WORKSPACE || undefined,
        repository: process.env.GITHUB_REPOSITORY,
        githubApiUrl: process.env.GITHUB_API_URL,
        baseBranch: process.env.GITHUB_REF_NAME || undefined,
    }, log);
    // An event (auto-rollback), not a person: the rollback-cascade guard applies (vercel/rollback.ts).
    const outcome = await (0,_platforms_promote_js__WEBPACK_IMPORTED_MODULE_2__/* .promotePrevious */ .Ay)({ ...request, automatic: (0,_pipeline_automatic_js__WEBPACK_IMPORTED_MODULE_4__/* .startedByDeploymentEvent */ .U)(process.env.GITHUB_EVENT_NAME), signal }, log);
    // No output may name a target that does not serve yet.
    (0,_platforms_not_live_js__WEBPACK_IMPORTED_MODULE_1__/* .refuseNotLive */ .C)(outcome, request);
    const durationMs = Date.now() - started;
    (0,_core_action_js__WEBPACK_IMPORTED_MODULE_0__/* .setOutputs */ .n0)({
        status: outcome.status,
        'from-deployment-id': outcome.from.id,
        'from-url': outcome.from.url,
        'from-commit-sha': outcome.from.commitSha,
        'to-deployment-id': outcome.to.id,
        'to-url': outcome.to.url,
        'to-commit-sha': outcome.to.commitSha,
        'auto-assign-disabled': outcome.autoAssignDisabled,
        frozen: outcome.frozen.frozen,
        unfreeze: outcome.frozen.frozen ? outcome.frozen.undo : '',
        'duration-ms': durationMs,
    });
    await (0,_report_write_summary_js__WEBPACK_IMPORTED_MODULE_6__/* .writeSummary */ .S)((0,_report_promote_previous_summary_js__WEBPACK_IMPORTED_MODULE_5__/* .promoteSummary */ .h)(outcome, request.provider, durationMs, log), log);
}

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 9192:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  hF: () => (/* binding */ input),
  Cs: () => (/* binding */ runAction),
  n0: () => (/* binding */ setOutputs)
});

// UNUSED EXPORTS: STOP_GRACE_MS, actionLog, inputsFrom, madeThisStep

// EXTERNAL MODULE: ./.build/core/actions-core.js + 4 modules
var actions_core = __nccwpck_require__(152);
// EXTERNAL MODULE: ./.build/core/errors.js
var errors = __nccwpck_require__(8005);
// EXTERNAL MODULE: ./.build/core/log.js + 2 modules
var log = __nccwpck_require__(1685);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
;// CONCATENATED MODULE: ./.build/core/made.js
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
        const made = (0,external_node_path_.resolve)(path);
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
        const made = this.paths.splice(0).filter((p) => (0,external_node_fs_.existsSync)(p));
        const whole = new Set(this.whole);
        this.whole.clear();
        if (!made.length)
            return undefined;
        const ours = new Set(made);
        const kept = new Set();
        const left = (why) => ({ folder: made.find((p) => (0,external_node_fs_.existsSync)(p)) ?? made[0], why });
        try {
            for (const p of [...made].reverse()) {
                if (whole.has(p) && (0,external_node_fs_.lstatSync)(p).isDirectory()) {
                    (0,external_node_fs_.rmSync)(p, { recursive: true, force: true });
                    continue;
                }
                if (!(0,external_node_fs_.lstatSync)(p).isDirectory()) {
                    // A file in a folder this run made goes with that folder, once it is known to hold only ours.
                    if (!ours.has((0,external_node_path_.dirname)(p)))
                        (0,external_node_fs_.unlinkSync)(p);
                    continue;
                }
                const names = (0,external_node_fs_.readdirSync)(p).map((name) => (0,external_node_path_.join)(p, name));
                if (names.some((name) => !ours.has(name) || kept.has(name))) {
                    kept.add(p);
                    continue;
                }
                for (const name of names)
                    (0,external_node_fs_.unlinkSync)(name);
                (0,external_node_fs_.rmdirSync)(p);
            }
            return kept.size ? left(otherThings) : undefined;
        }
        catch (err) {
            return left(`it could not be removed (${err.code ?? (0,errors/* errorLine */.BP)(err)})`);
        }
    }
}

// EXTERNAL MODULE: ./.build/core/output.js
var output = __nccwpck_require__(8975);
// EXTERNAL MODULE: ./.build/core/input-size.js
var input_size = __nccwpck_require__(228);
// EXTERNAL MODULE: ./.build/core/secret-input.js
var secret_input = __nccwpck_require__(8347);
;// CONCATENATED MODULE: ./.build/core/parse.js
/** Parsing of the string values actions and the CLI receive; every error names the input. */

function parseBoolean(raw, name, fallback) {
    const value = (raw ?? '').trim().toLowerCase();
    if (!value)
        return fallback;
    if (value === 'true')
        return true;
    if (value === 'false')
        return false;
    throw new errors/* RollbackKitError */.dp(`Input ${name} must be true or false, got "${raw}".`);
}
/**
 * A number as people write one in an input or a flag: decimal digits, a sign and a point. Not what
 * JavaScript's Number() also reads (0x10 is 16, 1e1 is 10, 0b11 is 3): a value that means something
 * else than it looks is a mistake to name, not to guess. NaN for anything else.
 */
function decimalNumber(text) {
    const value = text.trim();
    return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : NaN;
}
function parseNumber(raw, name, opts = {}) {
    const value = (raw ?? '').trim();
    if (!value)
        return opts.default;
    const n = decimalNumber(value);
    const kind = opts.integer ? 'a whole number' : 'a number';
    if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n))) {
        throw new errors/* RollbackKitError */.dp(`Input ${name} must be ${kind}, got "${raw}".`);
    }
    // Past 2^53 a number no longer holds every whole value (99999999999999999999999 reads as 1e+23,
    // and later messages would say so): out of range for anything we count. Values quoted as typed.
    if (Math.abs(n) > Number.MAX_SAFE_INTEGER)
        throw new errors/* RollbackKitError */.dp(`Input ${name} is out of range: beyond \u00b1${Number.MAX_SAFE_INTEGER}, got ${value}.`);
    if (opts.min !== undefined && n < opts.min)
        throw new errors/* RollbackKitError */.dp(`Input ${name} must be at least ${opts.min}, got ${value}.`);
    if (opts.max !== undefined && n > opts.max)
        throw new errors/* RollbackKitError */.dp(`Input ${name} must be at most ${opts.max}, got ${value}.`);
    return n;
}
function parseInteger(raw, name, opts = {}) {
    return parseNumber(raw, name, { ...opts, integer: true });
}
/** Lists accept commas or newlines; blanks are dropped. */
function parseList(raw) {
    return (raw ?? '')
        .split(/[\n,]/)
        .map((s) => s.trim())
        .filter(Boolean);
}
/** An ISO 8601 time; the error shows the shape expected. */
function parseTime(raw, name) {
    const value = (raw ?? '').trim();
    if (!value)
        return undefined;
    const d = new Date(value);
    if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
        throw new RollbackKitError(`Input ${name} must be an ISO 8601 time such as 2026-11-22T09:30:00Z, got "${raw}".`);
    }
    return d;
}

// EXTERNAL MODULE: ./.build/core/stop-signals.js
var stop_signals = __nccwpck_require__(1042);
;// CONCATENATED MODULE: ./.build/core/unfinished-exit.js
/**
 * Node exits, with code 0, once nothing is left that could wake the process. A run that awaits a
 * promise nothing can settle any more (an event that will not come, a wait on a socket unref'd so
 * that it cannot delay the exit) would end as if it had finished, its outputs and report unwritten
 * and its exit code saying success. While a run is under way, that exit is turned into a failure
 * that says so.
 */

function unfinishedError() {
    return new errors/* RollbackKitError */.dp('rollback-kit ended before its work did: it was left waiting for something that can no longer happen (a defect in rollback-kit; please report it).', 'What it had changed by then is not known: check what the lines above say was done, and the platform and database themselves, before running it again.');
}
/**
 * Calls `fail` if the event loop empties before the returned dispose is called. `fail` may be
 * async: its own work keeps the process alive until it is done, and the exit code is 1.
 */
function failOnUnfinishedExit(fail) {
    const onEmpty = () => {
        process.exitCode = 1;
        void Promise.resolve()
            .then(fail)
            .catch(() => undefined);
    };
    process.once('beforeExit', onEmpty);
    return () => process.off('beforeExit', onEmpty);
}

// EXTERNAL MODULE: ./.build/report/markdown.js + 1 modules
var markdown = __nccwpck_require__(6479);
;// CONCATENATED MODULE: ./.build/report/failure-summary.js
/** What every failed step leaves in its job summary: the heading, the error line, then the action's own details. */


function failureSummary(action, err, log, details) {
    // Redact before escaping: escaping can split a secret so the redactor no longer sees it.
    const parts = [`### ${action}: failed`, (0,markdown/* text */.Qq)(log.redact((0,errors/* errorLine */.BP)(err)))];
    if (details?.trim())
        parts.push(details.trim());
    return `${parts.join('\n\n')}\n`;
}

// EXTERNAL MODULE: ./.build/report/write-summary.js
var write_summary = __nccwpck_require__(4039);
;// CONCATENATED MODULE: ./.build/core/action.js
/**
 * What every action entry point shares: typed input reading, a redacting log on the runner,
 * outputs, and one failure path: the summary's failure heading, one clear `::error::` line and a
 * non-zero exit.
 */












function actionLog() {
    return (0,log/* createLog */.hM)({
        info: (m) => output/* output */.CG.info(m),
        warning: (m) => output/* output */.CG.annotate('warning', m),
        debug: (m) => output/* output */.CG.debug(m),
        mask: (v) => output/* output */.CG.mask(v),
    });
}
/** Reads inputs by their public names from `get` (the runner's INPUT_* variables, or the CLI's flags); every parse error names the input. */
function inputsFrom(get) {
    // Every read goes through here: an input longer than it may be is refused before it is used or printed.
    const raw = (name) => (0,input_size/* withinSize */.L)(name, get(name) ?? '');
    const inputs = {
        string(name, opts = {}) {
            const value = raw(name).trim();
            if (value)
                return value;
            if (opts.required)
                throw new errors/* RollbackKitError */.dp(`Input required and not supplied: ${name}.`);
            return opts.default;
        },
        required(name) {
            return inputs.string(name, { required: true });
        },
        /** A secret input: masked before anything else can print it. */
        secret(name, log, opts = {}) {
            const value = inputs.string(name, opts);
            log.secret(value, 'declared', `input ${name}`);
            return value;
        },
        boolean(name, fallback) {
            return parseBoolean(raw(name), name, fallback);
        },
        integer(name, opts = {}) {
            return parseInteger(raw(name), name, opts);
        },
        number(name, opts = {}) {
            return parseNumber(raw(name), name, opts);
        },
        list(name) {
            return parseList(raw(name));
        },
    };
    return inputs;
}
/** The step's inputs as the runner passes them. */
const input = inputsFrom((name) => actions_core/* core */.I.getInput(name));
function setOutputs(outputs) {
    for (const [name, value] of Object.entries(outputs)) {
        if (value !== undefined)
            actions_core/* core */.I.setOutput(name, typeof value === 'string' ? value : String(value));
    }
}
/**
 * How long a step being stopped waits for its work to wind down before it reports and exits. When
 * GitHub cancels a job the runner sends SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s after
 * that: the report must be written before the SIGKILL.
 */
const STOP_GRACE_MS = 5_000;
/**
 * Runs an action body; every action fails the same way. The job summary gets "### <action>:
 * failed", the redacted error line, the action's own details and what it reported (Report); the
 * log gets one redacted `::error::` line. Unexpected errors keep their stack in the debug log so a bug report has it
 * without frightening the reader. A step stopped by SIGTERM or SIGINT (stop-signals.ts: the body's
 * `signal` is aborted, the step waits up to STOP_GRACE_MS, a second signal ends the wait) fails the
 * same way, saying so, with what the action knew of its own state (its error), and exits non-zero.
 */
/**
 * What this step made where it was pointed (the snapshot folder, its parents, its .gitignore): a
 * stop takes it away again while it holds nothing else, by the command line's rules (MadeRecord).
 * A run that ends otherwise keeps it.
 */
const madeThisStep = new MadeRecord();
async function runAction(name, body, details) {
    // Read when a failure is said: the root action knows it runs a drill only once its inputs are read.
    const action = () => (typeof name === 'string' ? name : name());
    const log = actionLog();
    // eslint-disable-next-line no-restricted-properties -- the job's environment, which every command the step runs inherits
    (0,secret_input/* declareEnvironmentSecrets */.DU)(process.env, log);
    const stop = (0,stop_signals/* stopOnSignals */.ZI)({
        graceMs: STOP_GRACE_MS,
        onFirst: (name) => log.info(`Received ${(0,stop_signals/* stopCause */.w3)(name)}: stopping; waiting up to ${STOP_GRACE_MS / 1000} s for the work under way to end \u2026`),
    });
    let reported;
    const report = (markdown) => void (reported = markdown);
    // `done`: the body finished before the stop came. Its outputs and report stand, so the action's
    // failure details (which write failure outputs: status=failed, verified=false) are not asked for.
    const fail = async (err, own, done = false) => {
        const known = [done ? undefined : await failureDetails(details, own ?? err, log), reported].filter((part) => part?.trim()).join('\n\n');
        await (0,write_summary/* writeSummary */.S)(failureSummary(action(), err, log, known), log);
        output/* output */.CG.fail(log.redact((0,errors/* errorLine */.BP)(err)));
    };
    const unfinished = failOnUnfinishedExit(() => fail(unfinishedError(), undefined));
    try {
        const outcome = await stop.settle(body(log, stop.signal, report));
        // The body's own error, which its details read (a stop only rewords it); none when it outlasted the grace time.
        const own = outcome !== 'expired' && !outcome.ok ? outcome.err : undefined;
        const failure = (0,stop_signals/* stoppedFailure */.kB)(action(), stop.received(), outcome, STOP_GRACE_MS) ?? own;
        if (failure === undefined) {
            if (reported !== undefined)
                await (0,write_summary/* writeSummary */.S)(reported, log);
            return;
        }
        if (!(own instanceof errors/* RollbackKitError */.dp) && own instanceof Error && own.stack)
            log.debug(own.stack);
        await fail(failure, own, outcome !== 'expired' && outcome.ok);
    }
    finally {
        unfinished();
        stop.dispose();
        // Whatever is still running (a connection, a program that ignored the stop) must not keep a
        // stopped step alive: the runner would kill it before anything else is said.
        if (stop.received()) {
            madeThisStep.removeWhileEmpty();
            process.exit(process.exitCode || 1);
        }
    }
}
/** The action's details, or none: a failure while describing the failure must not hide the failure. */
async function failureDetails(details, err, log) {
    try {
        return await details?.(err, log);
    }
    catch (detailsErr) {
        log.warning(`The failure's details could not be gathered: ${(0,errors/* errorLine */.BP)(detailsErr)}`);
        return undefined;
    }
}


/***/ }),

/***/ 152:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  I: () => (/* binding */ core)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(8161);
// EXTERNAL MODULE: external "os"
var external_os_ = __nccwpck_require__(857);
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/utils.js
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Sanitizes an input into a string so it can be passed into issueCommand safely
 * @param input input to sanitize into a string
 */
function toCommandValue(input) {
    if (input === null || input === undefined) {
        return '';
    }
    else if (typeof input === 'string' || input instanceof String) {
        return input;
    }
    return JSON.stringify(input);
}
/**
 *
 * @param annotationProperties
 * @returns The command properties to send with the actual annotation command
 * See IssueCommandProperties: https://github.com/actions/runner/blob/main/src/Runner.Worker/ActionCommandManager.cs#L646
 */
function toCommandProperties(annotationProperties) {
    if (!Object.keys(annotationProperties).length) {
        return {};
    }
    return {
        title: annotationProperties.title,
        file: annotationProperties.file,
        line: annotationProperties.startLine,
        endLine: annotationProperties.endLine,
        col: annotationProperties.startColumn,
        endColumn: annotationProperties.endColumn
    };
}
//# sourceMappingURL=utils.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/command.js


/**
 * Issues a command to the GitHub Actions runner
 *
 * @param command - The command name to issue
 * @param properties - Additional properties for the command (key-value pairs)
 * @param message - The message to include with the command
 * @remarks
 * This function outputs a specially formatted string to stdout that the Actions
 * runner interprets as a command. These commands can control workflow behavior,
 * set outputs, create annotations, mask values, and more.
 *
 * Command Format:
 *   ::name key=value,key=value::message
 *
 * @example
 * ```typescript
 * // Issue a warning annotation
 * issueCommand('warning', {}, 'This is a warning message');
 * // Output: ::warning::This is a warning message
 *
 * // Set an environment variable
 * issueCommand('set-env', { name: 'MY_VAR' }, 'some value');
 * // Output: ::set-env name=MY_VAR::some value
 *
 * // Add a secret mask
 * issueCommand('add-mask', {}, 'secretValue123');
 * // Output: ::add-mask::secretValue123
 * ```
 *
 * @internal
 * This is an internal utility function that powers the public API functions
 * such as setSecret, warning, error, and exportVariable.
 */
function issueCommand(command, properties, message) {
    const cmd = new Command(command, properties, message);
    process.stdout.write(cmd.toString() + external_os_.EOL);
}
function issue(name, message = '') {
    issueCommand(name, {}, message);
}
const CMD_STRING = '::';
class Command {
    constructor(command, properties, message) {
        if (!command) {
            command = 'missing.command';
        }
        this.command = command;
        this.properties = properties;
        this.message = message;
    }
    toString() {
        let cmdStr = CMD_STRING + this.command;
        if (this.properties && Object.keys(this.properties).length > 0) {
            cmdStr += ' ';
            let first = true;
            for (const key in this.properties) {
                if (this.properties.hasOwnProperty(key)) {
                    const val = this.properties[key];
                    if (val) {
                        if (first) {
                            first = false;
                        }
                        else {
                            cmdStr += ',';
                        }
                        cmdStr += `${key}=${escapeProperty(val)}`;
                    }
                }
            }
        }
        cmdStr += `${CMD_STRING}${escapeData(this.message)}`;
        return cmdStr;
    }
}
function escapeData(s) {
    return toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A');
}
function escapeProperty(s) {
    return toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A')
        .replace(/:/g, '%3A')
        .replace(/,/g, '%2C');
}
//# sourceMappingURL=command.js.map
;// CONCATENATED MODULE: external "node:module"
const external_node_module_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:module");
;// CONCATENATED MODULE: ./.build/core/lazy-builtins.js
/**
 * Node built-ins that cost every action's start to load and are used late, or on some paths only:
 * loaded when first used instead of with the bundle. On Node 24, `node:crypto` (all its internal
 * modules) and `node:fs/promises` (which brings readline's) add about 10 ms to a start of about
 * 30 ms (BENCHMARKS.md, run-down-migrations), for a random name, a hash or a file written at the end.
 * A static import would load them when the bundle is evaluated, whatever the run then does.
 */

const lazy_builtins_require = (0,external_node_module_namespaceObject.createRequire)(import.meta.url);
let lazy_builtins_crypto;
let fsPromises;
function nodeCrypto() {
    return (lazy_builtins_crypto ??= lazy_builtins_require('node:crypto'));
}
function nodeFsPromises() {
    return (fsPromises ??= lazy_builtins_require('node:fs/promises'));
}

;// CONCATENATED MODULE: ./.build/core/actions-core.js
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
    if (!(0,external_node_fs_.existsSync)(filePath))
        throw new Error(`Missing file at path: ${filePath}`);
    (0,external_node_fs_.appendFileSync)(filePath, `${toCommandValue(message)}${external_node_os_.EOL}`, { encoding: 'utf8' });
}
/** @actions/core's prepareKeyValueMessage: a heredoc whose random delimiter neither the name nor the value contains. */
function prepareKeyValueMessage(key, value) {
    const delimiter = `ghadelimiter_${nodeCrypto().randomUUID()}`;
    const convertedValue = toCommandValue(value);
    if (key.includes(delimiter))
        throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
    if (convertedValue.includes(delimiter))
        throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
    return `${key}<<${delimiter}${external_node_os_.EOL}${convertedValue}${external_node_os_.EOL}${delimiter}`;
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
        const readable = await new Promise((resolve) => (0,external_node_fs_.access)(fromEnv, external_node_fs_.constants.R_OK | external_node_fs_.constants.W_OK, (err) => resolve(!err)));
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
        await new Promise((resolve, reject) => (0,external_node_fs_.appendFile)(path, this.buffer, { encoding: 'utf8' }, (err) => (err ? reject(err) : resolve())));
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
        process.stdout.write(external_node_os_.EOL);
        issueCommand('set-output', { name }, toCommandValue(value));
    },
    setSecret(secret) {
        issueCommand('add-mask', {}, secret);
    },
    debug(message) {
        issueCommand('debug', {}, message);
    },
    error(message, properties = {}) {
        issueCommand('error', toCommandProperties(properties), message);
    },
    warning(message, properties = {}) {
        issueCommand('warning', toCommandProperties(properties), message);
    },
    notice(message, properties = {}) {
        issueCommand('notice', toCommandProperties(properties), message);
    },
    setFailed(message) {
        process.exitCode = 1;
        core.error(message);
    },
    summary,
};
/* eslint-enable no-restricted-properties */


/***/ }),

/***/ 8005:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   BP: () => (/* binding */ errorLine),
/* harmony export */   dp: () => (/* binding */ RollbackKitError),
/* harmony export */   o3: () => (/* binding */ systemErrorLine),
/* harmony export */   u2: () => (/* binding */ errorFacts)
/* harmony export */ });
/* unused harmony exports withFacts, systemErrorMeaning */
/* harmony import */ var _sentence_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(7823);

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

/***/ 228:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   L: () => (/* binding */ withinSize)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(8005);
/**
 * The most characters an input may hold, checked where inputs are read (inputsFrom, and the
 * environment variables secretInput falls back to), before anything uses or prints the value. A
 * value past it is a mistake (a file pasted into a URL input), and one long enough once crashed
 * the redactor: it is refused in one line that names the limit and never quotes the value.
 */

/** A URL or a token: real ones are a few hundred characters; 8 KiB is what HTTP servers take in a request line or header. */
const URL_OR_TOKEN = { max: 8 * 1024, what: 'a URL or a token' };
/** Vercel's project names are at most 100 characters; the other platforms' ids and names are shorter. */
const NAME = { max: 100, what: 'a project, team, app or service name or id' };
/** A Netlify site is named by its id or its domain, and a domain name is at most 253 characters. */
const SITE = { max: 253, what: 'a site id or domain' };
const LIMITS = {
    'database-url': URL_OR_TOKEN,
    'notify-webhook-url': URL_OR_TOKEN,
    'api-url': URL_OR_TOKEN,
    'machines-api-url': URL_OR_TOKEN,
    'registry-url': URL_OR_TOKEN,
    'base-url': URL_OR_TOKEN,
    'baseline-url': URL_OR_TOKEN,
    'vercel-token': URL_OR_TOKEN,
    'fly-token': URL_OR_TOKEN,
    'railway-token': URL_OR_TOKEN,
    'render-token': URL_OR_TOKEN,
    'netlify-token': URL_OR_TOKEN,
    'github-token': URL_OR_TOKEN,
    'bypass-token': URL_OR_TOKEN,
    project: NAME,
    team: NAME,
    app: NAME,
    service: NAME,
    site: SITE,
};
/**
 * `value` of input `name`, or a refusal when it is longer than that input takes. `shownAs` is how
 * the message names where it came from (an environment variable the input falls back to).
 */
function withinSize(name, value, shownAs = `Input ${name}`) {
    const limit = LIMITS[name];
    if (limit && value.length > limit.max) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`${shownAs} is ${value.length} characters long; ${limit.what} is at most ${limit.max}.`);
    }
    return value;
}


/***/ }),

/***/ 1685:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  hM: () => (/* binding */ createLog),
  qQ: () => (/* binding */ ownOutputOnly)
});

// UNUSED EXPORTS: memoryLog

// EXTERNAL MODULE: ./.build/core/secrets.js
var core_secrets = __nccwpck_require__(9205);
// EXTERNAL MODULE: ./.build/core/sorted.js
var sorted = __nccwpck_require__(5915);
;// CONCATENATED MODULE: ./.build/core/sql-writes.js
/**
 * SQL that writes a secret into a table, read for the string literals that land in a secret
 * column, so they are hidden where a rollback prints the SQL (a migration echoed, a runbook's
 * commands). A column is secret by the rule given (token-shapes.ts: its name says so, `password`,
 * `api_secret`, or it is the `key` or `value` of a table whose name does, `api_keys`); the value is
 * judged by the same rule (`true` or a placeholder is no secret).
 *
 * Two readers, each used by every form that writes that way:
 * - assignments (`col = value, \u2026`, `(a, b) = (\u2026)`): UPDATE \u2026 SET (after an alias, `ONLY`, a
 *   CTE, MySQL's after JOINs), INSERT \u2026 ON CONFLICT \u2026 DO UPDATE SET, MySQL's ON DUPLICATE KEY UPDATE and INSERT \u2026 SET,
 *   MERGE's WHEN MATCHED THEN UPDATE SET;
 * - a column list and rows (`(a, b) VALUES (\u2026), (\u2026)`, MySQL's `VALUES ROW(\u2026), ROW(\u2026)`): INSERT INTO, INSERT \u2026 OVERRIDING \u2026 VALUE,
 *   INSERT IGNORE, INSERT OR REPLACE, REPLACE INTO, `INSERT INTO t AS u`, MERGE's WHEN NOT MATCHED
 *   THEN INSERT, and a derived table's rows (`UPDATE \u2026 FROM (VALUES \u2026) AS v(id, pw)`, `MERGE \u2026
 *   USING (VALUES \u2026) AS s(\u2026)`, `WITH v(id, pw) AS (VALUES \u2026) UPDATE \u2026`), whose column is secret
 *   when its own name says so or when an assignment, an insert or a SELECT list of the statement
 *   names it (`v.pw`, `crypt(v.pw, \u2026)`) in a value of a secret column. A derived table of a SELECT
 *   (`MERGE \u2026 USING (SELECT '\u2026' AS k) s`, `UPDATE \u2026 FROM (SELECT \u2026) s`, a CTE's `WITH s AS (SELECT
 *   '\u2026' AS k) UPDATE \u2026`) is judged so too, each value under its alias (judgeSelect). A statement ends at the next write's head or the text's end.
 * `INSERT \u2026 SELECT 'ci', '\u2026'` too: the SELECT list's values go into the columns as a row's do (and
 * on after each `UNION [ALL] SELECT`, `INTERSECT SELECT`, `EXCEPT SELECT`); every string of its
 * FROM is judged as the secret column's (a derived table, `FROM (SELECT '\u2026' AS k) t`, may be what
 * the list writes), and its WHERE and the rest are read past, not judged. A source in any other
 * form (`(SELECT \u2026)` in brackets, `WITH \u2026 SELECT`, `SELECT DISTINCT ON (\u2026)`, `UNION (SELECT \u2026)`)
 * has every string literal from there to the statement's `;` hidden, at any depth, when a column
 * it writes says secret: which literal reaches which column is no longer plain, and a name hidden
 * costs less than a key shown. An INSERT without a column list is judged by its table alone
 * (SqlSecretRule.row). And `COPY t (cols) FROM stdin`: the secret columns' fields of the
 * tab-separated rows after it (or separated by its DELIMITER, or CSV with its QUOTE and ESCAPE, a
 * quoted field over several lines too), up to `\.` (copyFields).
 *
 * A literal is quoted (`'\u2026'`, `E'\u2026'`) or dollar-quoted (`$$\u2026$$`, `$tag$\u2026$tag$`), and in a row's or
 * an assignment's value also double-quoted (MySQL's string, `VALUES ("bob", "\u2026")`; a name in
 * PostgreSQL, which stays shown in a column list or a table's name). Each statement is
 * read once from its head to the end of its rows or assignments, and the search goes on after
 * them: a literal's quotes, `''` inside, and brackets (`crypt('\u2026', gen_salt('bf'))`) are followed,
 * nothing more; a derived table's rows are read twice at most (once to pass them, once when the
 * statement's end says which of their columns are secret). Text without a write's keyword is not
 * read at all (SQL_KEYWORD). Names are plain, double-quoted, in MySQL's backticks or SQL Server's
 * brackets. SQL Server's `UPDATE k SET \u2026 FROM api_keys k`: the SET list is read again under the
 * table the FROM names for the alias (aliasedTable); its `TOP (n)` and table hints (`WITH (NOLOCK)`)
 * are read past.
 */

/** Where a backslash-escaped literal's next unescaped quote is, from `at`; -1 if none. */
function closingQuote(text, at, quote = "'") {
    for (let j = at; j < text.length; j++) {
        if (text[j] === '\\')
            j++;
        else if (text[j] === quote)
            return j;
    }
    return -1;
}
/** Per quote, the text read last and a place in it from which no unescaped quote follows (see closingEscapedQuote). */
const noClosing = new Map();
/**
 * Where a backslash-escaped string's next unescaped `quote` is, from `at` (just past a quote); -1
 * if none. A search that found none is not made again: each line of a log may open a string whose
 * every later quote is escaped (`x\"`), and a search from each to the text's end would be n\u00b2. A
 * search from a later place just past a quote goes as the failed one went from there (that quote
 * was not escaped away from it: a quote is no backslash), so it fails too.
 */
function closingEscapedQuote(text, at, quote) {
    const none = noClosing.get(quote);
    if (none?.text === text && at >= none.from)
        return -1;
    const q = closingQuote(text, at, quote);
    if (q < 0)
        noClosing.set(quote, { text, from: none?.text === text ? Math.min(none.from, at) : at });
    return q;
}
/**
 * MySQL reads `\'` inside '\u2026' as an escaped quote, PostgreSQL (standard_conforming_strings) as a
 * backslash, then the string's end: a text with `\'` in it is read both ways (sqlSecretSpans),
 * this set for the second reading, and what either hides is hidden.
 */
let backslashQuotes = false;
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/y;
/**
 * What may follow the `"` that ends a message's quotation (see readSqlValue), read two characters
 * on: the end of the text, or `:`, `.`, `,`, `;` then white space or the end (`\u2026'": relation`). Not a
 * space alone: MySQL reads `'a'" b"` as one string, whose second part must stay hidden.
 */
const QUOTATION_END = /^(?:[:.,;]\s?)?$/;
/** Where each dollar tag occurs in the text indexed last, in order (see closingTag). */
let dollarTags;
/**
 * Where `tag` next occurs in `text` from `from`; -1 if nowhere. A search per tag would read to the
 * text's end for each tag that never closes (a log of 20,000 lines, each with its own `$tN$`: n\u00b2), so
 * the text's tags are indexed once: a tag occurs at a `$` exactly where DOLLAR_TAG matches it there
 * (a name stops at the next `$`), so reading the match at every `$` finds every occurrence.
 */
function closingTag(text, tag, from) {
    if (dollarTags?.text !== text) {
        const at = new Map();
        for (let p = text.indexOf('$'); p >= 0; p = text.indexOf('$', p + 1)) {
            DOLLAR_TAG.lastIndex = p;
            const found = DOLLAR_TAG.exec(text)?.[0];
            if (found === undefined)
                continue;
            const list = at.get(found);
            if (list)
                list.push(p);
            else
                at.set(found, [p]);
        }
        dollarTags = { text, at };
    }
    return (0,sorted/* firstAtOrAfter */.x)(dollarTags.at.get(tag), from);
}
/**
 * A literal opened at `open` and cut short (a log line's end): hidden from `start` to the end of
 * its line, as far as it can be seen. Returns where the value's reading stops.
 */
function unclosed(text, open, start, literal) {
    const eol = text.indexOf('\n', open);
    const stop = eol < 0 ? text.length : eol;
    literal(start, stop);
    return stop;
}
/**
 * Reads one value of a row or an assignment from `at`: to a `,` or a `)` outside brackets and
 * literals. Calls `literal` with the content span of every string literal in the value, however deep:
 * `encode(digest('\u2026', 'sha256'), 'hex')` carries its secret two calls down, and hiding a `'bf'` or a
 * `'sha256'` beside it costs nothing; returns
 * where it stopped (the `,` or `)`, the end of the text, or the end of the line of an unclosed literal).
 * `doubleQuoted`: the value is a row's or an assignment's, where `"\u2026"` is MySQL's string (`VALUES
 * ("bob", "\u2026")`, `SET password = "\u2026"`; backslash escapes and `""` inside) and PostgreSQL's name of
 * a column: judged as a literal, as a name hidden costs less than a password shown. Elsewhere (a
 * column list, a table's name, a SELECT's list and FROM) it is a name and no literal; so is one
 * qualified, or qualifying, or a function's (`EXCLUDED."key"`, `"v".pw`, `"f"(\u2026)`).
 */
function readSqlValue(text, at, literal, stopAtWord, doubleQuoted = false) {
    let depth = 0;
    let i = at;
    /** Just past the last '\u2026' literal read. */
    let quotedEnd = -1;
    while (i < text.length) {
        const c = text[i];
        // A dollar-quoted literal (`$$\u2026$$`, `$pw$\u2026$pw$`): nothing inside is special up to the same tag.
        // `$1` (a parameter) and a `$` inside a name (`a$b`) open none.
        DOLLAR_TAG.lastIndex = i;
        const tag = c === '$' && !/[A-Za-z0-9_$]/.test(text[i - 1] ?? '') ? DOLLAR_TAG.exec(text)?.[0] : undefined;
        if (tag !== undefined) {
            const close = closingTag(text, tag, i + tag.length);
            if (close < 0)
                return unclosed(text, i, i + tag.length, literal);
            literal(i + tag.length, close);
            i = close + tag.length;
            continue;
        }
        if (c === "'") {
            // `E'\u2026'` takes backslash escapes (`E'it\'s'`), as MySQL's every '\u2026' does; a plain literal only `''`.
            const escapes = backslashQuotes || (/[Ee]/.test(text[i - 1] ?? '') && !/[A-Za-z0-9_]/.test(text[i - 2] ?? ''));
            let j = i + 1;
            for (;;) {
                const q = escapes ? closingEscapedQuote(text, j, "'") : text.indexOf("'", j);
                if (q < 0)
                    return unclosed(text, i, i + 1, literal);
                if (text[q + 1] === "'") {
                    j = q + 2;
                    continue;
                }
                literal(i + 1, q);
                i = q + 1;
                quotedEnd = i;
                break;
            }
            continue;
        }
        // A `"` right after a literal, and before a word's break (`SET key = '\u2026'": relation \u2026`), closes
        // a message's quotation of the statement, not a MySQL string: read as one, the message after it
        // was hidden to its line's end. The value ends there. (`'\u2026'"\u2026"`, MySQL's two strings as one, is read on.)
        if (c === '"' && doubleQuoted && i === quotedEnd && QUOTATION_END.test(text.slice(i + 1, i + 3)))
            return i;
        if (c === '"' && doubleQuoted) {
            let j = i + 1;
            for (;;) {
                const q = closingEscapedQuote(text, j, '"');
                if (q < 0)
                    return unclosed(text, i, i + 1, literal);
                if (text[q + 1] === '"') {
                    j = q + 2;
                    continue;
                }
                if (text[i - 1] !== '.' && text[q + 1] !== '.' && text[q + 1] !== '(')
                    literal(i + 1, q);
                i = q + 1;
                break;
            }
            continue;
        }
        if (c === '(')
            depth++;
        else if (c === ')') {
            if (depth === 0)
                return i;
            depth--;
        }
        else if ((c === ',' || c === ';') && depth === 0)
            return i;
        else if (stopAtWord && depth === 0 && /\s/.test(c)) {
            stopAtWord.lastIndex = i;
            if (stopAtWord.test(text))
                return i;
        }
        i++;
    }
    return i;
}
/**
 * A SET list (UPDATE's, ON CONFLICT's, a MERGE's WHEN) ends at a clause's keyword or at the statement's end
 * (MERGE's next `WHEN [NOT] MATCHED`, not a CASE's WHEN). Tried at each white
 * space character, so it reads one: the last before the keyword is where it matches.
 */
const SET_LIST_END = /\s(?:where|returning|from|when\s+(?:not\s+)?matched)(?![A-Za-z0-9_])/iy;
/** A SELECT list ends at its first clause's keyword (or a UNION's); tried as SET_LIST_END is. */
const SELECT_LIST_END = /\s(?:from|where|group|having|window|order|limit|offset|fetch|for|union|intersect|except|returning|on)(?![A-Za-z0-9_])/iy;
/** Where the rest of a SELECT stops being read past: a UNION that may bring another SELECT list. */
const UNION_AT = /\s(?:union|intersect|except|on\s+(?:conflict|duplicate))(?![A-Za-z0-9_])/iy;
const UNION_SELECT = /\s+(?:union|intersect|except)(?:\s+all|\s+distinct)?\s+select(?![A-Za-z0-9_])\s*/iy;
/** A SELECT's FROM, and where it ends: the clause after it (a JOIN's ON is read as the FROM's). */
const FROM_AT = /\s+from(?![A-Za-z0-9_])/iy;
const FROM_END = /\s(?:where|group|having|window|order|limit|offset|fetch|for|union|intersect|except|returning|on\s+(?:conflict|duplicate))(?![A-Za-z0-9_])/iy;
/** A set operation whose next SELECT is not plain (`UNION ALL (SELECT \u2026)`). */
const SET_OPERATION = /\s+(?:union|intersect|except)(?![A-Za-z0-9_])/iy;
/** A SELECT list whose values the plain reading cannot line up with the columns. */
const DISTINCT_ON = /distinct\s+on(?![A-Za-z0-9_])/iy;
/**
 * Calls `literal` with every string literal from `at` to the statement's end (a `;` outside
 * brackets and literals, an unclosed literal's line end, or the text's end), at any depth;
 * returns where it stopped. Each character is read once.
 */
function statementLiterals(text, at, literal) {
    let i = at;
    while ((i = readSqlValue(text, i, literal)) < text.length && (text[i] === ',' || text[i] === ')'))
        i++;
    return i;
}
/** A table's name: letters, digits, `_`, a schema's `.`, double quotes, MySQL's backticks or SQL Server's brackets. */
const NAME = '[A-Za-z0-9_."`\\[\\]]+';
const ALIAS = '[A-Za-z_][A-Za-z0-9_]*';
const END = '(?![A-Za-z0-9_])';
/**
 * SQL Server's UPDATE TOP (n) [PERCENT] before the table, and its table hints after it (`UPDATE
 * api_keys WITH (ROWLOCK) SET \u2026`): read past, or the name after UPDATE was TOP and the SET list
 * judged under no table (`key` of api_keys shown). A hint's brackets hold no brackets (`[^()]*`:
 * each head's try stops at the next one).
 */
const UPDATE_TOP = `top\\s*\\([^()]*\\)\\s*(?:percent${END}\\s*)?`;
const TABLE_HINTS = `\\s+with\\s*\\([^()]*\\)`;
/** What may stand between a CTE's AS and its bracket. */
const MATERIALIZED = '(?:(?:not\\s+)?materialized\\s*)?';
/**
 * The heads of SQL writes, each tried only at a word's start. In order, as the alternation tries them:
 * - `cte`: a CTE of rows, `WITH v(id, k) AS (VALUES \u2026)` (or `, v(\u2026) AS (VALUES \u2026)` after another), for the write after it;
 *   or of a SELECT (`cteSelect`), `WITH s AS (SELECT '\u2026' AS k)`, `WITH s(k) AS (SELECT \u2026)`, judged as a derived SELECT is;
 * - `sub`: an assignment list of the statement read last (ON CONFLICT's, ON DUPLICATE KEY's, MERGE's);
 * - `mergeInsert`: MERGE's `THEN INSERT [(cols)] VALUES (\u2026)`, into the MERGE's table;
 * - `insert`: INSERT [IGNORE | OR REPLACE \u2026] INTO, REPLACE INTO, with `AS alias`; the rest is INSERT_TAIL's;
 * - `update`: UPDATE [ONLY] t [[AS] alias] SET;
 * - `updateJoin`: MySQL's UPDATE t [alias] JOIN \u2026 (or `, u \u2026`) SET, whose SET is read to after the tables;
 * - `merge`: MERGE [INTO] t [[AS] alias] USING;
 * - `derived`: a derived table of rows, `(VALUES \u2026) [AS] v(cols)`, wherever the statement has one
 *   (UPDATE's FROM or a JOIN, MERGE's USING; INSERT's own sources are read by readInsert);
 * - `derivedSelect`: a derived table of a SELECT, `(SELECT '\u2026' AS pw) [AS] s`, there too (see judgeSelect);
 * - `copy`: COPY t (cols) FROM stdin.
 */
const SQL_HEAD = new RegExp(`(?<![A-Za-z0-9_])(?:(?:with(?:\\s+recursive)?\\s+|,\\s*)(?<cte>${ALIAS})${END}\\s*(?:\\((?<cteColumns>[^()]*)\\)\\s*as\\s*${MATERIALIZED}\\(\\s*values\\s*|(?:\\((?<cteSelectColumns>[^()]*)\\)\\s*)?as\\s*${MATERIALIZED}\\(\\s*(?<cteSelect>select${END})\\s*)` +
    `|(?<sub>do\\s+update\\s+set|on\\s+duplicate\\s+key\\s+update|then\\s+update\\s+set)\\s+` +
    `|(?<mergeInsert>then\\s+insert)(?=\\s*\\(|\\s+(?:overriding|values)${END})` +
    `|(?:insert(?:\\s+(?:ignore|low_priority|delayed|high_priority))?(?:\\s+or\\s+(?:replace|ignore|abort|fail|rollback))?|replace(?:\\s+(?:low_priority|delayed))?)\\s+into\\s+(?<insert>${NAME})(?:\\s+as\\s+(?!(?:values|select|with|overriding|set)${END})${ALIAS}${END})?` +
    `|update\\s+(?:only\\s+|${UPDATE_TOP})?(?<update>${NAME})(?:\\s+(?:as\\s+)?(?!(?:set|with)${END})${ALIAS})?(?:${TABLE_HINTS})?\\s+set\\s+` +
    `|update\\s+(?<updateJoin>${NAME})(?:\\s+(?:as\\s+)?(?!(?:set|join|inner|cross|left|right|straight_join)${END})${ALIAS})?(?=\\s*,|\\s+(?:(?:inner|cross|(?:left|right)(?:\\s+outer)?)\\s+)?(?:join|straight_join)${END})` +
    `|merge\\s+(?:into\\s+)?(?<merge>${NAME})(?:\\s+(?:as\\s+)?(?!using${END})${ALIAS})?\\s+using${END}` +
    `|(?<derived>\\(\\s*values\\s*)` +
    `|(?<derivedSelect>\\(\\s*select${END}\\s*)` +
    `|copy\\s+(?<copy>${NAME})\\s*\\((?<copyColumns>[^()]*)\\)\\s*from\\s+stdin${END}(?<copyOptions>(?:[^;\\n']|'[^'\\n]*')*))`, 'gi');
/**
 * What an INSERT's head is followed by: its column list (absent, or not one when a source in
 * brackets follows), OVERRIDING \u2026 VALUE, and its source: VALUES, SELECT, MySQL's SET, or a
 * source in brackets or after WITH (only looked at).
 */
const INSERT_TAIL = new RegExp(`(?:\\s*\\((?!\\s*(?:select|with|values)${END})([^()]*)\\)\\s*|\\s+|(?=\\())(?:overriding\\s+(?:system|user)\\s+value\\s+)?(values\\s*|select${END}\\s*|set\\s+|(?=\\((?:\\s*\\()*\\s*(?:select|with|values)${END}|with${END}))`, 'iy');
/** Lines without one of these words hold no write: the SQL reading is not tried on them. */
const SQL_KEYWORD = /insert|update|merge|copy|replace|values/i;
/**
 * A column's name, plain or quoted. Its quotes are taken one at a time, not in pairs (as
 * TABLE_ALIAS's are, whose alias is only compared): a statement with a quote missing (`"key`) is
 * the one that fails and is printed, and read in pairs it would name no column, its key shown.
 */
const SQL_IDENTIFIER = /^\s*["`[]?([A-Za-z0-9_]+)["`\]]?\s*$/;
/** An assignment's column, perhaps after its table's alias (MySQL's `SET u.password = \u2026`). */
/** Assignments of several columns at once (PostgreSQL's `SET (a, b) = (\u2026)`, `= ROW (\u2026)`). */
const MULTI_ASSIGNMENT = /\s*\(([^()]*)\)\s*=\s*(?:row\s*)?(?=\()/iy;
const SQL_ASSIGNMENT = /\s*(?:["`[]?[A-Za-z_][A-Za-z0-9_]*["`\]]?\.)?["`[]?([A-Za-z0-9_]+)["`\]]?\s*=(?!=)/y;
/**
 * The names in a value that may be columns of a derived table (`v.pw`, `crypt(s.pw, gen_salt('bf'))`):
 * every word, a function's name too, which only hides more of a derived table whose column is named so.
 */
const REFERENCE = /[A-Za-z_][A-Za-z0-9_]*/g;
const ROW_SEPARATOR = /\s*,\s*/y;
/** The SET after MySQL's UPDATE \u2026 JOIN's tables; tried as SET_LIST_END is. */
const SET_AT = /\sset(?![A-Za-z0-9_])/iy;
const SET_AFTER = /\s+set\s+/iy;
/** What may stand at the text's end where a derived table's alias is still to come: a `,` before more rows, `)`, `) AS v`, `) v (id`. */
const ALIAS_TO_COME = /\s*(?:,|\)\s*(?:as\s+)?(?:["`]?[A-Za-z_][A-Za-z0-9_]*["`]?\s*(?:\([^()]*)?)?)?$/iy;
/** The end of a derived table of rows: `) AS v(id, pw)`, `) v (id, pw)`. */
const DERIVED_ALIAS = /\s*\)\s*(?:as\s+)?["`]?[A-Za-z_][A-Za-z0-9_]*["`]?\s*\(([^()]*)\)/iy;
/** The names in a column list, each undefined where it is no plain name. */
const columnNames = (list) => list.split(',').map((c) => SQL_IDENTIFIER.exec(c)?.[1]);
/**
 * Rows from `at` (`(\u2026, \u2026), (\u2026)`), or `one` row: each value read for its column, `judge(column)`
 * told its literals and `seen` each value's span. Returns where the rows end (past the last one's `)`).
 */
function readRows(text, at, judge, seen, one = false) {
    let i = rowOpen(text, at);
    while (text[i] === '(') {
        i++;
        for (let column = 0;; column++) {
            const start = i;
            i = readSqlValue(text, i, judge(column), undefined, true);
            seen?.(column, start, i);
            if (text[i] !== ',')
                break;
            i++;
        }
        if (text[i] !== ')')
            return i;
        if (one)
            return i + 1;
        ROW_SEPARATOR.lastIndex = i + 1;
        if (!ROW_SEPARATOR.test(text))
            return i + 1;
        const next = rowOpen(text, ROW_SEPARATOR.lastIndex);
        i = text[next] === '(' ? next : i + 1;
    }
    return i;
}
/**
 * MySQL's row constructor, `VALUES ROW('\u2026', \u2026), ROW(\u2026)` (in INSERT and in a table value
 * constructor, `(VALUES ROW(\u2026)) AS v(\u2026)`): a row as `(\u2026)` is. Where a row's `(` is, from `at`.
 */
const ROW_KEYWORD = /row\s*(?=\()/iy;
function rowOpen(text, at) {
    ROW_KEYWORD.lastIndex = at;
    return ROW_KEYWORD.test(text) ? ROW_KEYWORD.lastIndex : at;
}
/**
 * A quoted CSV field is followed over as many lines as it runs, to its closing quote or the `\.`
 * that ends the data (psql ends it there, quotes or not): a field cut after so many lines read its
 * closing quote as an opening one, and the rows after it as inside a field, shown.
 */
const NEW_ROW = { quoted: false, column: 0, lines: 0 };
/**
 * The spans of a COPY data line's fields whose column has a name, judged under it, from `start`
 * to `end` (a line, without its line break); returns where the row stands after it. In the text
 * format the fields are cut at the delimiter (a backslash escapes the character after it; `\N`
 * is a NULL); in CSV at a delimiter outside quotes, a quoted field hidden inside its quotes (`""`
 * or the ESCAPE character inside). A CSV field may hold line breaks inside its quotes: the row then
 * goes on over the next lines, each one's part of a secret column's field hidden as it comes (it
 * cannot wait for the row's end: a program's lines are shown one by one). A row on one line is a
 * row only with one field per column (COPY writes a delimiter or a line break inside a value
 * escaped or quoted): another line (an error said between rows) is left as it is. Read within the
 * line only: a search for the next delimiter could run on over the lines after it.
 */
function copyFields(text, start, end, columns, row, rule, hide) {
    const { names, csv, delimiter, quote, escape } = columns;
    const stop = text[end - 1] === '\r' ? end - 1 : end;
    const fields = [];
    let { quoted, column } = row;
    let from = start;
    for (let k = start; k < stop; k++) {
        const c = text.charCodeAt(k);
        if (csv) {
            if (quoted && c === escape && escape !== quote && k + 1 < stop)
                k++;
            else if (c === quote)
                quoted = !quoted;
            else if (c === delimiter && !quoted) {
                fields.push([from, k, column++]);
                from = k + 1;
            }
        }
        else if (c === 92)
            k++;
        else if (c === delimiter) {
            fields.push([from, k, column++]);
            from = k + 1;
        }
    }
    fields.push([from, stop, column]);
    const goesOn = csv && quoted;
    const oneLine = row.lines === 0 && !goesOn;
    if (oneLine && column !== names.length - 1)
        return NEW_ROW;
    for (const [a, b, at] of fields) {
        const name = names[at];
        if (name === undefined)
            continue;
        // A field's quotes: its first, unless the line goes on with it from the last; its last, unless it goes on to the next.
        const inner = csv && b > a && text.charCodeAt(a) === quote && (a !== start || row.lines === 0) ? 1 : 0;
        const close = csv && b - a - inner >= 1 && text.charCodeAt(b - 1) === quote && (b !== stop || !goesOn) ? 1 : 0;
        const value = text.slice(a + inner, b - close);
        // A part of a field over several lines is hidden whatever it holds: the value is judged whole nowhere.
        if (value !== '' && value !== '\\N' && (!oneLine || rule.value(name, value)))
            hide.push([a + inner, b - close]);
    }
    return goesOn ? { quoted: true, column, lines: row.lines + 1 } : NEW_ROW;
}
/** A one-character string a COPY option gives (`DELIMITER '|'`, `WITH (QUOTE '''')`, `DELIMITER E'\t'`), as a char code. */
function copyOption(options, name) {
    const m = new RegExp(`(?<![A-Za-z0-9_])${name}\\s+(?:as\\s+)?(E?)'((?:[^']|'')*)'`, 'i').exec(options);
    if (!m)
        return undefined;
    const value = m[2].replace(/''/g, "'");
    const read = m[1] ? { '\\t': '\t', '\\\\': '\\', "\\'": "'" }[value] ?? value : value;
    return read.length === 1 ? read.charCodeAt(0) : undefined;
}
/** A COPY's columns, or undefined when none is secret; `options`: what follows `FROM stdin` (`WITH (FORMAT csv, DELIMITER '|')`). */
function copyColumns(table, list, options, rule) {
    const names = columnNames(list).map((c) => (c === undefined ? undefined : rule.column(table, c)));
    if (!names.some((n) => n !== undefined))
        return undefined;
    const csv = /(?<![A-Za-z0-9_])csv(?![A-Za-z0-9_])/i.test(options);
    const quote = copyOption(options, 'quote') ?? 34;
    return { names, csv, delimiter: copyOption(options, 'delimiter') ?? (csv ? 44 : 9), quote, escape: copyOption(options, 'escape') ?? quote };
}
/** The end of a COPY's data (`\.` on its own line) is `line`. */
const endsCopy = (line) => line === '\\.' || line === '\\.\r';
/** Where the literals an SQL write puts into secret columns are in `text`, in order (see above); read both ways where a `\'` makes them differ (backslashQuotes). */
function sqlSecretSpans(text, rule, open = false) {
    const spans = spansOneWay(text, rule, open);
    if (!text.includes("\\'"))
        return spans;
    backslashQuotes = true;
    try {
        return union([...spans, ...spansOneWay(text, rule, open)]);
    }
    finally {
        backslashQuotes = false;
    }
}
/** Spans merged where they overlap, in order of their starts. */
function union(spans) {
    const out = [];
    for (const [start, end] of spans.sort((a, b) => a[0] - b[0] || b[1] - a[1])) {
        const last = out.at(-1);
        if (last && start < last[1])
            last[1] = Math.max(last[1], end);
        else
            out.push([start, end]);
    }
    return out;
}
/**
 * The name a derived table's column is judged under while what the write puts where is still to
 * come (sqlWriteLines: a MERGE's USING rows shown before its WHEN clauses, a CTE's rows before its
 * write): as a value named secret is.
 */
const UNDECIDED = 'secret';
/** `open`: the text may go on (a program's lines so far): a statement it ends inside is judged as undecided (UNDECIDED). */
function spansOneWay(text, rule, open = false) {
    const hide = [];
    if (!SQL_KEYWORD.test(text))
        return hide;
    const judge = (name) => (start, end) => {
        if (name !== undefined && rule.value(name, text.slice(start, end)))
            hide.push([start, end]);
    };
    /** The write being read; `prefix`: only the CTEs before its head are read yet (its table is not known). */
    let statement;
    /** A value put into the secret column `name`: a derived table's column it names (`v.pw`) is secret too. */
    const refer = (name, start, end) => {
        if (name === undefined || !statement)
            return;
        for (const [ref] of text.slice(start, end).matchAll(REFERENCE))
            statement.references.set(ref.toLowerCase(), name);
    };
    /**
     * The statement read last is over: its derived rows are judged, now that its references are
     * known; `undecided`: they may not be all known yet, and a column none names is judged as UNDECIDED.
     */
    const finish = (undecided = false) => {
        if (!statement)
            return;
        const { table, references } = statement;
        const fallback = undecided ? UNDECIDED : undefined;
        const secret = (name) => rule.column(table, name) ?? references.get(name.toLowerCase()) ?? fallback;
        for (const { at, columns, pending } of statement.derived) {
            if (pending) {
                if (undecided || references.size > 0)
                    readRows(text, at, () => judge(UNDECIDED));
                continue;
            }
            const names = columns.map((c) => (c === undefined ? fallback : secret(c)));
            if (names.some((n) => n !== undefined))
                readRows(text, at, (column) => judge(names[column]));
        }
        // A CTE's SELECT whose write is still to come (a program's lines so far) is judged by its own
        // names (`AS api_key`, or `AS key`, secret by some table's name): hidden whole as undecided, every
        // CTE psql echoes after a write (`WITH recent AS (SELECT \u2026 WHERE env = 'production')`) would be.
        const selectSecret = undecided && statement.prefix ? (name) => rule.column(table, name) ?? (rule.byTable?.(name) ? UNDECIDED : undefined) : secret;
        for (const select of statement.selects)
            judgeSelect(text, select, selectSecret, judge);
        statement = undefined;
    };
    const begin = (table) => {
        if (statement?.prefix)
            Object.assign(statement, { table, prefix: false });
        else {
            finish();
            statement = { table, references: new Map(), derived: [], selects: [] };
        }
    };
    /** Rows of a derived table from `at`, passed now, judged at the statement's end; returns where its alias ends. */
    const derivedRows = (at) => {
        const i = readRows(text, at, () => () => { });
        DERIVED_ALIAS.lastIndex = i;
        const alias = DERIVED_ALIAS.exec(text);
        if (!alias) {
            // The text may end before the alias that names its columns (a program's lines so far): every
            // column is then undecided, when the write puts something of a derived table into a secret one.
            ALIAS_TO_COME.lastIndex = i;
            if (open && ALIAS_TO_COME.test(text))
                statement?.derived.push({ at, columns: [], pending: true });
            return i;
        }
        statement?.derived.push({ at, columns: columnNames(alias[1]) });
        return DERIVED_ALIAS.lastIndex;
    };
    /** Assignments from `at`, `col = value, \u2026`, to the clause after them (SET_LIST_END) or the statement's end. */
    const assignments = (at, table, secret = (column) => rule.column(table, column)) => {
        let i = at;
        for (;;) {
            // `(a, b) = ('\u2026', '\u2026')`: a row of the columns in brackets.
            MULTI_ASSIGNMENT.lastIndex = i;
            const multi = MULTI_ASSIGNMENT.exec(text);
            if (multi) {
                const names = columnNames(multi[1]).map((c) => (c === undefined ? undefined : secret(c)));
                i = readRows(text, MULTI_ASSIGNMENT.lastIndex, (column) => judge(names[column]), (column, start, end) => refer(names[column], start, end), true);
                ROW_SEPARATOR.lastIndex = i;
                if (!ROW_SEPARATOR.test(text))
                    return i;
                i = ROW_SEPARATOR.lastIndex;
                continue;
            }
            SQL_ASSIGNMENT.lastIndex = i;
            const a = SQL_ASSIGNMENT.exec(text);
            if (!a)
                return i;
            const name = secret(a[1]);
            const start = SQL_ASSIGNMENT.lastIndex;
            i = readSqlValue(text, start, judge(name), SET_LIST_END, true);
            refer(name, start, i);
            if (text[i] !== ',')
                return i;
            i++;
        }
    };
    /** Where the last FROM read for an alias (aliasedTable) stopped, and the last derived SELECT (derivedSelect) ended. */
    let fromRead = 0;
    let selectRead = 0;
    const re = new RegExp(SQL_HEAD);
    for (let m = re.exec(text); m; m = re.exec(text)) {
        const g = m.groups;
        let i = m.index + m[0].length;
        if (g.cte !== undefined) {
            // Its rows are judged with the write's: which of its columns the write puts into a secret one.
            if (!statement?.prefix) {
                finish();
                statement = { table: '', references: new Map(), derived: [], selects: [], prefix: true };
            }
            if (g.cteSelect !== undefined) {
                // Named by the CTE (`s`, `s(k)`), as a derived table by its alias. Passed to its end once;
                // the main reading goes on inside it, as in a derived SELECT (a derived table of rows there).
                if (i >= selectRead) {
                    const select = { at: i, end: selectEnd(text, i), alias: g.cte, columns: g.cteSelectColumns === undefined ? undefined : columnNames(g.cteSelectColumns) };
                    selectRead = select.end;
                    statement.selects.push(select);
                }
            }
            else {
                statement.derived.push({ at: i, columns: columnNames(g.cteColumns) });
                i = readRows(text, i, () => () => { });
            }
        }
        else if (g.sub !== undefined)
            i = assignments(i, statement?.table ?? '');
        else if (g.update !== undefined) {
            begin(g.update);
            const set = i;
            i = assignments(set, g.update);
            // SQL Server's `UPDATE k SET \u2026 FROM api_keys k`: the name after UPDATE was an alias, and its
            // table (known only now) says which columns are secret: the SET list is read again under it.
            // A FROM read already (one whose unclosed bracket ran on over this head) is not read again.
            const [table, end] = i >= fromRead ? aliasedTable(text, i, g.update) : [undefined, fromRead];
            fromRead = end;
            if (table !== undefined) {
                statement.table = table;
                assignments(set, table);
            }
            else if (open && i >= text.length) {
                // The SET list ran to the end of a program's lines so far: a FROM naming the alias's table
                // may come on the next, too late for this line. A column that some table's name makes
                // secret (SqlSecretRule.byTable) is judged as undecided meanwhile.
                const name = g.update;
                assignments(set, name, (c) => rule.column(name, c) ?? (rule.byTable?.(c) ? UNDECIDED : undefined));
            }
        }
        else if (g.updateJoin !== undefined) {
            begin(g.updateJoin);
            // The joined tables and their ON conditions, read past (brackets and literals followed) to SET.
            while ((i = readSqlValue(text, i, () => { }, SET_AT)) < text.length && text[i] === ',')
                i++;
            SET_AFTER.lastIndex = i;
            if (SET_AFTER.test(text))
                i = assignments(SET_AFTER.lastIndex, g.updateJoin);
        }
        else if (g.merge !== undefined) {
            begin(g.merge);
            statement.merge = true;
        }
        else if (g.derived !== undefined)
            i = derivedRows(i);
        else if (g.derivedSelect !== undefined) {
            // Passed to its end for its alias; a SELECT inside one passed already is read with it. The
            // main reading goes on inside it (a derived table of rows there is read as anywhere).
            if (statement && !statement.prefix && i >= selectRead) {
                const select = derivedSelect(text, i);
                selectRead = select.end;
                statement.selects.push(select);
            }
        }
        else if (g.copy !== undefined) {
            finish();
            i = readCopy(text, i, copyColumns(g.copy, g.copyColumns, g.copyOptions, rule), rule, hide);
        }
        else {
            if (g.insert !== undefined)
                begin(g.insert);
            INSERT_TAIL.lastIndex = i;
            const tail = INSERT_TAIL.exec(text);
            if (tail)
                i = readInsert(text, INSERT_TAIL.lastIndex, statement?.table ?? '', tail[1], tail[2], rule, judge, assignments, refer);
        }
        re.lastIndex = Math.max(i, re.lastIndex);
    }
    // A MERGE's WHEN clauses, or a CTE's write, may be on lines still to come: what its rows hold is not known yet.
    finish(open && (statement?.prefix === true || statement?.merge === true) && !text.trimEnd().endsWith(';'));
    return hide.sort((a, b) => a[0] - b[0]);
}
/** The alias after a derived table's `)`, perhaps with its columns: `) AS s`, `) s (name, pw)`. */
const SELECT_ALIAS = /\)\s*(?:as\s+)?["`[]?([A-Za-z_][A-Za-z0-9_]*)["`\]]?(?:\s*\(([^()]*)\))?/iy;
/** What may stand before a SELECT list's first value. */
const SELECT_QUANTIFIER = /\s*(?:(?:distinct|all)\s+|top\s*\(?\s*\d+\s*\)?\s*)?/iy;
/** The name a SELECT list's value goes by: its alias (`'\u2026' AS pw`, `'\u2026' pw`) or the column it is (`s.pw`). */
const ITEM_NAME = /(?:^|[\s.)])["`[]?([A-Za-z_][A-Za-z0-9_]*)["`\]]?\s*$/;
/** Where a derived table's SELECT whose list starts at `at` ends: its `)`, brackets and literals followed (or a `;`, or the text's end). */
function selectEnd(text, at) {
    let end = at;
    while ((end = readSqlValue(text, end, () => { })) < text.length && text[end] === ',')
        end++;
    return end;
}
/** A derived table of a SELECT whose list starts at `at`: read past to its `)`, and its alias. */
function derivedSelect(text, at) {
    const end = selectEnd(text, at);
    SELECT_ALIAS.lastIndex = end;
    const alias = text[end] === ')' ? SELECT_ALIAS.exec(text) : null;
    return { at, end, alias: alias?.[1], columns: alias?.[2] === undefined ? undefined : columnNames(alias[2]) };
}
/**
 * A derived table of a SELECT judged at its statement's end, when the statement's references are
 * known (`MERGE \u2026 USING (SELECT 'ci' AS name, '\u2026' AS k) s \u2026 UPDATE SET key = s.k`, `UPDATE \u2026 FROM
 * (SELECT '\u2026' AS pw) s SET password = s.pw`): each value of its list under the name its column goes
 * by (the alias's column list, the value's alias, or the column it is), `secret` telling whether
 * that name is a secret column's. When one is, every literal after the list to the `)` (its FROM,
 * a UNION's SELECT) is judged under it too, as an INSERT's source is: which of them reaches the
 * column is no longer plain. A list with an unnamed value (`*`, `'\u2026'`) whose alias a secret value
 * names (`s.*`, `crypt(s.x, \u2026)`: REFERENCE) has those values, and all after the list, judged under it.
 */
function judgeSelect(text, { at, end, alias, columns }, secret, judge) {
    SELECT_QUANTIFIER.lastIndex = at;
    let i = SELECT_QUANTIFIER.test(text) ? SELECT_QUANTIFIER.lastIndex : at;
    const items = [];
    for (let column = 0;; column++) {
        const start = i;
        const literals = [];
        i = Math.min(readSqlValue(text, i, (s, e) => literals.push([s, e]), SELECT_LIST_END), end);
        const name = columns ? columns[column] : ITEM_NAME.exec(text.slice(start, i))?.[1];
        items.push({ name: name === undefined ? undefined : secret(name), literals });
        if (name === undefined)
            items.at(-1).name = alias === undefined ? undefined : secret(alias);
        if (text[i] !== ',' || i >= end)
            break;
        i++;
    }
    const secretName = items.find((item) => item.name !== undefined)?.name;
    if (secretName === undefined)
        return;
    for (const { name, literals } of items)
        for (const [s, e] of literals)
            judge(name)(s, e);
    while (i < end && (i = readSqlValue(text, i, judge(secretName))) < end)
        i++;
}
/** Where a FROM's items end or the next begins (a JOIN), or a JOIN's ON condition starts; tried as SET_LIST_END is. */
const FROM_ITEM_END = /\s(?:join|on|where|group|having|window|order|limit|offset|fetch|for|union|intersect|except|returning|option|when|update|insert|merge|delete|with|select|set)(?![A-Za-z0-9_])/iy;
const FROM_ITEM_NEXT = /\s+(join|on)(?![A-Za-z0-9_])/iy;
/** SQL Server's table hints after a FROM item (`teams t WITH (NOLOCK) JOIN \u2026`): its WITH is no next write's CTE. */
const FROM_ITEM_HINTS = /\s+with\s*(?=\()/iy;
/** A FROM item that is a table with an alias: `api_keys k`, `dbo.api_keys AS k`, `[dbo].[api_keys] AS [k]`, `"api_keys" "k"`. */
const TABLE_ALIAS = new RegExp(`\\s*(${NAME})\\s+(?:as\\s+)?(${ALIAS}|"${ALIAS}"|\\[${ALIAS}\\]|\`${ALIAS}\`)${END}`, 'iy');
/**
 * The table that `alias` names in the FROM clause at `at` (`FROM api_keys k JOIN teams t ON \u2026`),
 * or undefined when there is none or it names none, and where the reading stopped. Each item is
 * read once, brackets and literals followed, to the clause after the FROM (or a next write's word).
 */
function aliasedTable(text, at, alias) {
    FROM_AT.lastIndex = at;
    if (!FROM_AT.test(text))
        return [undefined, at];
    const wanted = alias.replace(/["`[\]]/g, '').toLowerCase();
    let i = FROM_AT.lastIndex;
    let item = true;
    for (;;) {
        if (item) {
            TABLE_ALIAS.lastIndex = i;
            const t = TABLE_ALIAS.exec(text);
            if (t && t[2].replace(/["`[\]]/g, '').toLowerCase() === wanted && t[1].replace(/["`[\]]/g, '').toLowerCase() !== wanted)
                return [t[1], TABLE_ALIAS.lastIndex];
        }
        i = readSqlValue(text, i, () => { }, FROM_ITEM_END);
        FROM_ITEM_HINTS.lastIndex = i;
        if (FROM_ITEM_HINTS.test(text)) {
            // The hints' brackets are read past as the item's, to what ends the item after them.
            i = FROM_ITEM_HINTS.lastIndex;
            item = false;
            continue;
        }
        if (text[i] === ',') {
            i++;
            item = true;
            continue;
        }
        FROM_ITEM_NEXT.lastIndex = i;
        const next = FROM_ITEM_NEXT.exec(text);
        if (!next)
            return [undefined, i];
        i = FROM_ITEM_NEXT.lastIndex;
        item = next[1].toLowerCase() === 'join';
    }
}
/** A COPY's data rows, from the line after its head to `\.`: the secret columns' fields. Returns where they end. */
function readCopy(text, at, columns, rule, hide) {
    if (!columns)
        return at;
    let row = NEW_ROW;
    let eol = text.indexOf('\n', at);
    while (eol >= 0) {
        const start = eol + 1;
        const next = text.indexOf('\n', start);
        const end = next < 0 ? text.length : next;
        if (endsCopy(text.slice(start, Math.min(end, start + 3))))
            return end;
        row = copyFields(text, start, end, columns, row, rule, hide);
        eol = next;
    }
    return text.length;
}
/**
 * An INSERT's columns and source, from `at` (past its head and its tail, INSERT_TAIL): rows,
 * SELECT lists, MySQL's SET, or a source read to the statement's end. Returns where it stopped.
 */
function readInsert(text, at, table, list, source, rule, judge, assignments, refer) {
    let i = at;
    if (/^set/i.test(source))
        return assignments(i, table);
    const columns = list === undefined ? undefined : columnNames(list);
    const names = columns?.map((c) => (c === undefined ? undefined : rule.column(table, c)));
    const row = columns ? undefined : rule.row(table);
    const judgeColumn = (column) => judge(names ? names[column] : row);
    // What a source the plain reading does not follow writes: every literal to the statement's end.
    const secretName = names ? names.find((name) => name !== undefined) : row;
    const hideRest = (from) => (secretName === undefined ? from : statementLiterals(text, from, judge(secretName)));
    if (source === '')
        return hideRest(i);
    // SELECT lists: `'a', 'b' FROM \u2026 UNION ALL SELECT 'c', 'd'`.
    while (/^select/i.test(source)) {
        DISTINCT_ON.lastIndex = i;
        if (DISTINCT_ON.test(text))
            return hideRest(i);
        for (let column = 0;; column++) {
            const start = i;
            i = readSqlValue(text, i, judgeColumn(column), SELECT_LIST_END);
            refer(names?.[column], start, i);
            if (text[i] !== ',')
                break;
            i++;
        }
        // A FROM's strings may be what the list writes (`FROM (SELECT '\u2026' AS k) t`, `(VALUES \u2026)`):
        // all of them, at any depth, to the next clause.
        FROM_AT.lastIndex = i;
        if (FROM_AT.test(text)) {
            i = FROM_AT.lastIndex;
            while ((i = readSqlValue(text, i, judge(secretName), FROM_END)) < text.length && text[i] === ',')
                i++;
        }
        // The rest of this SELECT (WHERE, GROUP BY, a subquery's literals there) writes nothing: read past it.
        while ((i = readSqlValue(text, i, () => { }, UNION_AT)) < text.length && text[i] === ',')
            i++;
        UNION_SELECT.lastIndex = i;
        if (!UNION_SELECT.test(text)) {
            SET_OPERATION.lastIndex = i;
            if (SET_OPERATION.test(text))
                i = hideRest(SET_OPERATION.lastIndex);
            return i;
        }
        i = UNION_SELECT.lastIndex;
    }
    // Rows: `(\u2026, \u2026)`, `, (\u2026)` and so on; a value that is a reference (MERGE's `s.pw`) says its column is secret.
    return readRows(text, i, judgeColumn, (column, start, end) => refer(names?.[column], start, end));
}
/** `text` with its spans (in order of their starts) shown as `***`; a span inside one shown already adds nothing. */
function hideSpans(text, spans) {
    let out = '';
    let done = 0;
    for (const [start, end] of spans) {
        if (start < done)
            continue;
        out += `${text.slice(done, start)}***`;
        done = end;
    }
    return out + text.slice(done);
}
/** `text` with the literals its SQL writes put into secret columns hidden. */
function hideSqlWrites(text, rule) {
    return hideSpans(text, sqlSecretSpans(text, rule));
}
/** How many lines an SQL write is followed over by sqlWriteLines, from the line with its head. */
const SQL_LINES = 20;
/** A line that begins a write (not ON CONFLICT's or MERGE's UPDATE or INSERT, which go on one), or a CTE of rows before one. */
const SQL_LINE_HEAD = /(?<![A-Za-z0-9_])(?<!(?:do|then|key)\s+)(?:insert|update|replace\s+into|merge|copy|with(?:\s+recursive)?\s+[A-Za-z_][A-Za-z0-9_]*\s*\([^()]*\)\s*as\s*\(\s*values)(?![A-Za-z0-9_])/i;
/** A line that goes on with an INSERT's rows: another row (after a line ending in `,`, or after its own `,`), or ON CONFLICT / ON DUPLICATE KEY after them. */
const ROWS_GO_ON = /^\s*(?:,?\s*(?:row\s*)?\(|on\s+(?:conflict|duplicate)(?![A-Za-z0-9_]))/i;
const VALUES_WORD = /(?<![A-Za-z0-9_])values(?![A-Za-z0-9_])/i;
/** A COPY whose data follows on the next lines, alone on its line. */
const COPY_LINE = new RegExp(`(?<![A-Za-z0-9_])copy\\s+(${NAME})\\s*\\(([^()]*)\\)\\s*from\\s+stdin${END}((?:[^;\\n']|'[^'\\n]*')*)`, 'i');
/**
 * A line filter for output read line by line (a command's), as privateKeyLines is: an SQL write
 * printed over several lines (`INSERT INTO api_keys (name, key)` then `VALUES ('ci', '\u2026');`, as
 * `psql -e` echoes a seed file) is read from the line with its head, up to SQL_LINES lines, so a
 * secret on a later line is hidden as on one line. A line with a head starts again. A line shown
 * cannot be taken back: a derived table's rows printed before what decides them (their alias, a
 * MERGE's WHEN clauses, a CTE's write) are hidden as undecided (spansOneWay's `open`), and a long
 * INSERT's rows, a row a line, are read after its head however many there are. After `COPY t
 * (cols) FROM stdin`, each line up to `\.` is a data row, its secret columns' fields hidden (as
 * many rows as there are). Give it each line after the one-line redaction.
 */
function sqlWriteLines(rule) {
    let lines = [];
    let copy;
    let row = NEW_ROW;
    return (line) => {
        if (copy) {
            if (endsCopy(line))
                copy = undefined;
            else {
                const hide = [];
                row = copyFields(line, 0, line.length, copy, row, rule, hide);
                return hideSpans(line, hide);
            }
            return line;
        }
        if (lines.length >= SQL_LINES && ROWS_GO_ON.test(line) && (!/^\s*\(/.test(line) || /,\s*$/.test(lines.at(-1)))) {
            // A long INSERT's rows, one a line (a seed file echoed): the rows read already are let go but
            // the head (to its VALUES), the line after it and the last one, which keep this row's place in
            // the statement (after a `,`, or a first row for a `, (\u2026)`), so it is still read as the head's.
            // Each line is read against at most SQL_LINES before it, as ever.
            const values = lines.findIndex((l) => VALUES_WORD.test(l));
            if (values >= 0 && values < SQL_LINES - 3)
                lines = [...lines.slice(0, values + 2), lines.at(-1)];
        }
        if (!SQL_KEYWORD.test(line) && (lines.length === 0 || lines.length >= SQL_LINES)) {
            lines = [];
            return line;
        }
        const c = COPY_LINE.exec(line);
        if (c) {
            copy = copyColumns(c[1], c[2], c[3], rule);
            row = NEW_ROW;
            lines = [];
            return line;
        }
        if (SQL_LINE_HEAD.test(line))
            lines = [];
        else if (lines.length === 0 || lines.length >= SQL_LINES) {
            lines = [];
            return line;
        }
        const before = lines.join('\n');
        const from = lines.length ? before.length + 1 : 0;
        // The head's own line too: read whole already, but as a statement over, not one whose WHEN
        // clauses may follow (unless its `;` says it is over).
        if (!lines.length && line.trimEnd().endsWith(';')) {
            lines.push(line);
            return line;
        }
        const spans = sqlSecretSpans(lines.length ? `${before}\n${line}` : line, rule, true)
            .filter(([, end]) => end > from)
            .map(([start, end]) => [Math.max(start, from) - from, end - from]);
        const shown = hideSpans(line, spans);
        lines.push(shown);
        return shown;
    };
}

// EXTERNAL MODULE: ./.build/core/url-secrets.js + 1 modules
var url_secrets = __nccwpck_require__(7495);
;// CONCATENATED MODULE: ./.build/core/token-shapes.js
/**
 * Credentials known by their shape rather than because we were given them: what a user's rollback
 * command, a git remote or an API error body prints may hold a token rollback-kit never saw (a
 * deploy tool echoing its own GITHUB_TOKEN, an `env` dump, a debug header). The Log applies this to
 * every line after the registered secrets (Log.redact), so it reaches every log line, summary,
 * output, report file and message sent out through the one writer.
 *
 * Each shape is anchored to the start of a run of its own characters (a look-behind), so a match is
 * tried once a run and scans it once: linear on any text (test/core/linear-regexes.test.ts). What
 * says what kind of credential it was (`ghp_`, `Bearer`, a variable's name) is kept, so a reader
 * knows what to rotate.
 *
 * Vercel's account tokens have no documented prefix (24 letters and digits, like many ids), so they
 * are recognised only where something names them: an Authorization header or a `VERCEL_TOKEN=`.
 *
 * This is the one shape redactor: every free text we print or send passes through it, whether a
 * program printed it or a person typed it (the rollback's reason, which becomes an issue title and
 * chat messages), so a credential hidden in one is hidden in all.
 */



const HIDDEN = '***';
/** Base64 of `user:password`, as a Basic Authorization value carries: printable text with a colon. */
function isBasicCredential(value) {
    if (value.length % 4 !== 0)
        return false;
    const decoded = Buffer.from(value, 'base64').toString('latin1');
    return decoded.includes(':') && /^[\x20-\x7e]+$/.test(decoded);
}
/**
 * Names of values that are credentials, in free text. Narrower than the URL parameters' list
 * (url-secrets.ts): `code=1`, `session=3` and `author:` are ordinary there. `auth` only as a whole
 * word of the name (`auth`, `basic_auth`, `auth-key`), never `author` or `authority`; `pass` as
 * the last word of a name (`DB_PASS`, `redis-cli --pass`, keytool's `-storepass`) or glued to what
 * it is for (`SSHPASS`, as sshpass -e reads it, `PGPASS`, `ROOTPASS`), not alone (`first pass: done`)
 * nor in a word (`compass`). A session
 * only as a cookie well known to carry one (`JSESSIONID`, `PHPSESSID`, Django's `sessionid`,
 * Express's `connect.sid`, Rails' `_app_session`). `signature` as the last word of a name (AWS
 * SigV4's `Signature=` and `X-Amz-Signature=`: a signature made with the secret key lets anyone
 * replay the request until it expires).
 */
const NAMED_SECRET = /passw|pwd|secret|token|passphrase|bypass|api[-_]?key|access[-_]?key|private[-_]?key|credential|(?:^|[-_.])signature$|(?:^|[-_.])auth(?:[-_]?key)?$|[-_.]key$|(?:^|[-_.])cookie$|^(?:j|php)?sess(?:ion)?id$|^connect\.sid$|^asp\.net_sessionid$|^(?:laravel|_[a-z0-9]+)_session$|[-_.]pass$|(?:store|key|ssh|pg|db|ldap|smb|ftp|root|admin|user|mail|vnc)pass$/i;
/**
 * Names ending `_key` that name a row or a cache entry, not a credential (`primary_key: id`,
 * `cache-key: linux-npm-3f2a`): `session_key`, `signing_key` and `x-functions-key` stay secret.
 */
const NOT_A_KEY = /(?:primary|foreign|sort|partition|cache|idempotency|unique|incident|dedup(?:e|lication)?|lookup|row|group|map|hash|order)[-_.]key$/i;
/** Names whose value may be a plain number (a PIN); under `max_tokens` or `token_count` a number is a count. */
const NUMERIC_SECRET = /passw|pwd|secret|passphrase/i;
/**
 * Names whose value is where a credential is kept, not the credential: only under one is a value
 * that starts like a path (`/`, `~/`, `./`) left alone. Base64 secrets start with `/` one time in
 * 64 (`AWS_SECRET_ACCESS_KEY=/wJal\u2026`), so a leading slash alone says nothing.
 */
const PATH_NAME = /[-_.](?:file|path|dir)$/i;
/** The shell's working directories, in capitals: a lower-case `pwd` may be a password. */
const DIR_VARIABLE = /^(?:OLD)?PWD$/;
/**
 * Names of a setting about a credential, not one: `SET password_encryption = scram-sha-256`,
 * `token_type`, `password_min_length`.
 */
const ABOUT_A_SECRET = /[-_.](?:encryption|algorithm|type|ttl|expiry|expires(?:[-_](?:in|at))?|length)$/i;
/**
 * A migration's name (`003_secret_store`, `0042_add_api_key.sql`, Flyway's `V3__add_token`): what
 * follows it is how the migration went (`3 rows`, `12ms`, `applied`), not a value.
 */
const MIGRATION_NAME = /^(?:\d+[-_]|V\d+(?:[._]\d+)*__)/;
const MIGRATION_STATUS = /^(?:\d+(?:\.\d+)?(?:ms|s|m|min|h|rows?)?|[A-Za-z]+[.,:;!?)]?)$/i;
/** Values that say something about a credential without being one. */
const NOT_A_VALUE = /^(?:\u2026+|\.{3,}|x+|<[^>]*>|%s|optional|hidden|masked|redacted|bearer|basic|token)$/i;
/**
 * A status said about a credential (`token: expired, password: incorrect, auth: ok`, `Signature:
 * verified`, `token: refreshed`), a word and perhaps the punctuation that ends it: a plain English
 * word is rarely a secret, and these are what tools print about one.
 */
const STATUS_WORD = /^(?:expired|incorrect|invalid|valid|missing|ok|set|unset|not[-_]set|required|none|true|false|empty|revoked|wrong|present|absent|configured|provided|verified|unverified|refreshed|renewed|rotated|pending|accepted|rejected|denied|granted|failed|passed|matched|mismatch|unknown|changed|updated|generated)[.,:;!?)]?$/i;
/** The name of an environment variable or a secret (`Secret: VERCEL_TOKEN`), not its value. */
const ENV_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)+$/;
/** What a count is counted in, after a number (`secret_store: 3 rows`, `token refresh: 12 ms`). */
const COUNT_UNIT = /^(?:rows?|ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|days?|items?|entries|records?|files?|bytes|[KMG]i?B|times|keys?|tokens?|secrets?|chars?|characters?|attempts?|tries|left|of)$/i;
/** A capitalised word under `token:` (`Token: Vercel`): a product's name; passwords are not judged so. */
const CAPITALISED_WORD = /^[A-Z][a-z]{2,11}$/;
const JSON_NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/**
 * Whether `value`, written under `name`, is hidden. Left alone: a value already hidden, a
 * placeholder or common word (`$TOKEN`, `${{ secrets.X }}`, `\u2026`, `true`, `none`), a URL or a path
 * (`token_url=https://\u2026`; a path only under a path's name: `TOKEN_FILE=/run/token`, `PWD=/home/app`), a count
 * (`max_tokens=100`), and after a bare `name: ` (no quotes) one word of letters with more words
 * after it, which is prose (`the token: Vercel said\u2026`, our own hints' `from a secret:
 * vercel-token: \u2026`; a lone last word, `password: correcthorse`, is hidden), or no space at all
 * (`token:x` is a user and password, the URL shape's).
 */
function namedSecret(name, value, formOf) {
    if (!value || !NAMED_SECRET.test(name) || ABOUT_A_SECRET.test(name) || NOT_A_KEY.test(name))
        return false;
    if (STATUS_WORD.test(value))
        return false;
    // Read only for a name that says secret: most names on a line do not, and the form scans the text after the value.
    const form = formOf();
    // A count and what it counts: `secret_store: 3 rows`, `3ms`.
    if (/^\d+(?:\.\d+)?$/.test(value) && form.nextWord !== undefined && COUNT_UNIT.test(form.nextWord))
        return false;
    if (/^\d+(?:\.\d+)?(?:ms|s|min|h)$/.test(value))
        return false;
    if (form.colon && form.spaced && !form.valueQuoted) {
        if (ENV_NAME.test(value))
            return false;
        // `pwd: /home/runner/work` is where a script ran, as `PWD=` is.
        if (/^pwd$/i.test(name) && /^(?:\/|~\/)/.test(value))
            return false;
        if (/token/i.test(name) && !NUMERIC_SECRET.test(name) && CAPITALISED_WORD.test(value))
            return false;
    }
    if (MIGRATION_NAME.test(name) && MIGRATION_STATUS.test(value))
        return false;
    // JSON's true, false and null, and numbers but a password's (hidden as the string "***"): a
    // bare `***` would leave JSON that no longer parses (error bodies are redacted before they are
    // read: Vercel's `"invalidToken":true`, `"token_count":3`).
    if (form.nameQuoted && !form.valueQuoted && !(NUMERIC_SECRET.test(name) && JSON_NUMBER.test(value)))
        return false;
    if (value.includes(HIDDEN) || (0,url_secrets/* isPlaceholder */.wK)(value) || NOT_A_VALUE.test(value) || value.includes('://'))
        return false;
    if (/^(?:\/|~\/|\.\.?\/)/.test(value) && (PATH_NAME.test(name) || DIR_VARIABLE.test(name)))
        return false;
    if ((0,core_secrets/* isCommonValue */.Tp)(value) && !(NUMERIC_SECRET.test(name) && /^\d+$/.test(value)))
        return false;
    if (form.colon && !form.nameQuoted && !form.valueQuoted && ((!form.spaced && !form.header) || (form.wordsFollow && /^[A-Za-z][A-Za-z-]*[.,:;!?)]?$/.test(value))))
        return false;
    return true;
}
/**
 * A word of prose after `Bearer` or a scheme (`tokens.`, `token-based`, `JWT`, `OAuth2`): a short
 * word of letters, perhaps hyphenated, or one of the acronyms written there. A real token has
 * digits, capitals inside or more length.
 */
function proseWord(value) {
    const word = value.replace(/\.+$/, '');
    return word.length < 16 && (/^[A-Za-z][a-z]*(?:-[a-z]+)*$/.test(word) || /^(?:JWTs?|OAuth2?|OIDC|API|HTTPS?|SSO)$/.test(word));
}
/**
 * Cookie pairs: `name=value`, then `; name=value` or an attribute (`; HttpOnly`), or `, name=value`.
 * A name has none of the separators a value ends at, nor `=` or `:`, so each pair is read one way.
 * Spaces around the `=` are taken (`Cookie: sid = x`, as some clients and people write it): a value
 * starts after them, so they are read one way too.
 */
const COOKIE_NAME = `[^\\s=;,:"'\\\\/()<>@[\\]?{}]+`;
const COOKIE_VALUE = `[^\\s;,"'\\\\]*`;
const COOKIE_EQ = `[ \\t]*=[ \\t]*`;
const COOKIE_PAIRS = `${COOKIE_NAME}${COOKIE_EQ}${COOKIE_VALUE}(?:;[ \\t]*${COOKIE_NAME}(?:${COOKIE_EQ}${COOKIE_VALUE})?|,[ \\t]*${COOKIE_NAME}${COOKIE_EQ}${COOKIE_VALUE})*`;
/** Where a cookie name may start: not inside a run of a name's characters, so each run is tried once. */
const COOKIE_NAME_START = `(?<![^\\s=;,:"'\\\\/()<>@[\\]?{}])`;
/**
 * Authorization schemes (RFC 9110's registry and what APIs use: Okta's SSWS, Splunk's, Kerberos'
 * Negotiate, NTLM): kept, the credential after them hidden.
 */
const AUTH_SCHEMES = 'bearer|basic|token|bot|api-?key|key|negotiate|ntlm|kerberos|ssws|splunk|dpop|digest|oauth|aws4-hmac-sha256';
const AUTH_SCHEME = new RegExp(`^(?:${AUTH_SCHEMES})$`, 'i');
/**
 * Where a header's name may start: not inside a word, or right after curl's or wget's `-H` glued
 * to it with no space or quote (`-HAuthorization:\u2026`, `-HCookie:\u2026`), which getopt reads as `-H \u2026`.
 */
const HEADER_NAME_START = `(?:(?<![A-Za-z0-9-])|(?<=(?:^|[\\s"'=])-H))`;
/**
 * What is glued to a known token with no separator: more token characters, and a `.` between them
 * (not a sentence's last `.`). Two tokens pasted together (`ghp_\u2026ghp_\u2026`, `xoxb-\u2026ya29.\u2026`) would
 * otherwise show the second one's body: the first's ended where its characters did, and the second's
 * prefix, read as part of the first, was not found at a word's start. Hidden with the first; one `*`
 * with a one-character look-ahead, so linear.
 */
const GLUED = '(?:[A-Za-z0-9_-]|\\.(?=[A-Za-z0-9_-]))*';
/** A token known by its prefix (the pattern's first group), kept; the rest and whatever is glued to it hidden. */
function prefixed(pattern) {
    return { pattern: new RegExp(`${pattern.source}${GLUED}`, pattern.flags), replace: (_m, prefix) => `${prefix}${HIDDEN}` };
}
/**
 * A dollar-quoted SQL literal (`$$\u2026$$`, `$tag$\u2026$tag$`) where a secret value stands, in groups: the
 * opening tag, the content (spaces and all: nothing inside is special), and the closing tag, absent
 * when the literal is cut short (a line's end), whose content is then hidden as far as it is seen.
 * The content is bounded, so a tag that never closes is read at most that far once (linear);
 * `$1` (a parameter) and `$TOKEN` open none.
 */
const DOLLAR_LITERAL = '(?<tag>\\$(?:[A-Za-z_][A-Za-z0-9_]*)?\\$)((?:(?!\\k<tag>)[^\\r\\n]){0,1000})(\\k<tag>)?';
const SHAPES = [
    // GitHub: personal (ghp_), OAuth (gho_), user-to-server (ghu_), installation and Actions (ghs_),
    // refresh (ghr_): 36 or more letters and digits; fine-grained personal tokens: github_pat_\u2026.
    prefixed(/(?<![A-Za-z0-9_])(gh[pousr]_)[A-Za-z0-9]{30,}/g),
    prefixed(/(?<![A-Za-z0-9_])(github_pat_)[A-Za-z0-9_]{22,}/g),
    // Slack: bot, user, app-level legacy, refresh, session and config tokens (xoxb-123-456-abc).
    prefixed(/(?<![A-Za-z0-9-])(xox[abeoprs]-)[A-Za-z0-9-]{10,}/g),
    // AWS access key ids: long-term (AKIA) and temporary (ASIA), 16 more capitals and digits, not
    // inside a longer run of capitals unless what follows is another key's prefix (two glued).
    prefixed(/(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?:(?![A-Z0-9])|(?=AKIA|ASIA|AIza|HRKU-|SG\.))/g),
    // A JSON Web Token (an OIDC id token, Vercel's OIDC token): base64url header and payload, both
    // JSON objects (`eyJ` is `{"`), and a signature.
    { pattern: new RegExp(`(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\\.eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+${GLUED}`, 'g'), replace: () => HIDDEN },
    // An Authorization header, however quoted (`Authorization: Bearer x`, `"authorization":"token x"`,
    // and inside a JSON string, `authorization: \"Bearer x\"`): the scheme is kept, the credential
    // hidden. A backslash ends the credential: it begins an escape, which must stay whole, or the JSON
    // it is in no longer parses.
    // Left alone: a variable or a placeholder standing for the credential (`Bearer $TOKEN`,
    // `Bearer ${{ secrets.T }}`, `Bearer <token>`), a scheme with no credential (`Authorization:
    // Bearer`), the header named in prose (`the Authorization: Bearer header is missing`), and a
    // scheme's parameters (Digest's `username="a"`; Digest's `response=`, below; a secret-named one,
    // OAuth's `oauth_token=`, AWS SigV4's `Signature=`, is hidden by its name).
    {
        pattern: new RegExp(`${HEADER_NAME_START}((?:proxy-)?authorization\\\\?["']?[ \\t]*[:=][ \\t]*\\\\?["']?)(?:(${AUTH_SCHEMES})[ \\t]+)?([^\\s"',;\\\\]+)(?=([ \\t]+[A-Za-z])?)`, 'gi'),
        replace: (m, head, scheme, credential, wordAfter) => {
            if ((0,url_secrets/* isPlaceholder */.wK)(credential) || /^\$[{(]/.test(credential) || /^<[^>]*>$/.test(credential))
                return m;
            if (!scheme && (AUTH_SCHEME.test(credential) || STATUS_WORD.test(credential)))
                return m;
            if (scheme && /^[A-Za-z_-]+=(?:"|$)/.test(credential))
                return m;
            if (scheme && wordAfter && proseWord(credential))
                return m;
            return `${head}${scheme ? `${scheme} ` : ''}${HIDDEN}`;
        },
    },
    // HTTP Digest's `response=` (RFC 7616), the one auth-param computed from the password (a hash of
    // it with the nonce and the request); username, realm, nonce, uri, cnonce, qop and nc are sent in
    // the clear, and stay. Each param before it is read one way: a `,` ends every one.
    {
        pattern: /(?<![A-Za-z0-9_-])(digest[ \t]+(?:[A-Za-z0-9_-]+[ \t]*=[ \t]*(?:\\?"[^"\r\n]*"|[^\s",]*)[ \t]*,[ \t]*)*response[ \t]*=[ \t]*\\?"?)([^\s",\\]+)/gi,
        replace: (m, head, value) => (value === HIDDEN ? m : `${head}${HIDDEN}`),
    },
    // A bearer token or a Basic credential written anywhere else (curl -v, a debug dump); a Basic
    // value only when it decodes to `user:password`, so the word "Basic" in a sentence stays.
    // `Bearer: x` too. Not a word of prose ("a Bearer token", "Bearer tokens.", "a Bearer JWT"),
    // nor a challenge's parameters (`WWW-Authenticate: Bearer realm="api", error="invalid_token"`).
    {
        pattern: /(?<![A-Za-z0-9_-])(bearer(?:[ \t]*:)?[ \t]+)([A-Za-z0-9._~+/-]+=*)(?=(["A-Za-z0-9._~+/-])?)/gi,
        replace: (m, head, value, next) => {
            if (proseWord(value))
                return m;
            if (next && /^[a-z_]+=$/.test(value))
                return m;
            return `${head}${HIDDEN}`;
        },
    },
    { pattern: /(?<![A-Za-z0-9_-])(Basic[ \t]+)([A-Za-z0-9+/]{8,}={0,2})/g, replace: (m, head, value) => (isBasicCredential(value) ? `${head}${HIDDEN}` : m) },
    // Stripe secret and restricted keys, npm access tokens, Heroku's HRKU- tokens.
    prefixed(/(?<![A-Za-z0-9_])([sr]k_(?:live|test)_)[A-Za-z0-9]{10,}/g),
    prefixed(/(?<![A-Za-z0-9_])(npm_)[A-Za-z0-9]{30,}/g),
    prefixed(/(?<![A-Za-z0-9_-])(HRKU-)[A-Za-z0-9_-]{16,}/g),
    // Google's OAuth access tokens (`gcloud auth print-access-token`), and OpenSSL's `-passin pass:\u2026`
    // (`env:`, `file:` and `fd:` name where the password is, and stay).
    prefixed(/(?<![A-Za-z0-9_.-])(ya29\.)[A-Za-z0-9_-]{20,}/g),
    { pattern: /(?<![A-Za-z0-9_-])(-pass(?:in|out)?[ \t]+["']?pass:)([^\s'"]+)/g, replace: (m, head, password) => (password === HIDDEN || (0,url_secrets/* isPlaceholder */.wK)(password) ? m : `${head}${HIDDEN}`) },
    // GitLab's tokens (personal, deploy, runner, trigger, CI job), Google's API keys, OpenAI's and
    // Anthropic's keys, Slack's app-level tokens, Docker Hub's and PyPI's tokens, SendGrid's keys,
    // Vault's service, batch and recovery tokens, DigitalOcean's and Shopify's tokens.
    prefixed(/(?<![A-Za-z0-9_-])(gl(?:pat|dt|rt|ptt|cbt)-)[A-Za-z0-9_-]{20,}/g),
    prefixed(/(?<![A-Za-z0-9_-])(AIza)[A-Za-z0-9_-]{35}/g),
    prefixed(/(?<![A-Za-z0-9_-])(sk-(?:proj|ant|svcacct|admin)-)[A-Za-z0-9_-]{20,}/g),
    prefixed(/(?<![A-Za-z0-9_-])(sk-)[A-Za-z0-9]{32,}/g),
    prefixed(/(?<![A-Za-z0-9-])(xapp-)[A-Za-z0-9-]{10,}/g),
    prefixed(/(?<![A-Za-z0-9_-])(dckr_pat_|pypi-(?=AgE))[A-Za-z0-9_-]{20,}/g),
    prefixed(/(?<![A-Za-z0-9_.-])(SG\.)[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g),
    prefixed(/(?<![A-Za-z0-9_.-])(hv[sbr]\.)[A-Za-z0-9_-]{24,}/g),
    prefixed(/(?<![A-Za-z0-9_-])(do[por]_v1_|shp(?:at|ca|pa|ss)_)[A-Fa-f0-9]{32,}/g),
    // Cookies (`sid=\u2026; theme=dark`, `sid=\u2026; Path=/; HttpOnly`): every `name=value` pair and
    // attribute, as a Cookie or Set-Cookie header, a `cookie:` or `cookie=` in any case, `cookie \u2026`
    // in prose and curl's `-b` (glued too: `-bsid=\u2026`) / `--cookie`; what follows the pairs (the rest of a sentence, a
    // closing bracket) stays. Only a value with `name=` in it, so "the Cookie: header" and
    // `curl -b cookies.txt` stay.
    {
        pattern: new RegExp(`${HEADER_NAME_START}((?:(?:set-)?cookies?(?:[ \\t]+header)?(?:\\\\?["']?[ \\t]*[:=][ \\t]*|[ \\t]+)|-b(?:[ \\t]+|=)?|--cookie(?:[ \\t]+|=))\\\\?["']?)(${COOKIE_PAIRS})`, 'gi'),
        replace: (m, head, pairs) => {
            // Spaces around the first `=` only in a header (`Cookie: a = b`): in prose and after curl's
            // -b they are other words (`cookie size = 4096`).
            const eq = pairs.indexOf('=');
            if (!head.includes(':') && /[ \t]/.test(`${pairs[eq - 1]}${pairs[eq + 1] ?? ''}`))
                return m;
            return `${head}${HIDDEN}${/[)\]}]*$/.exec(pairs)[0]}`;
        },
    },
    // Set-Cookie as a list, as JSON and Node print a response's headers (`"set-cookie":["sid=\u2026; Path=/","b=\u2026"]`):
    // every cookie in it, to the list's end or the line's.
    {
        pattern: /(?<![A-Za-z0-9-])(set-cookie\\?["']?[ \t]*:[ \t]*\[)([^\]\r\n]*)/gi,
        replace: (_m, head, list) => `${head}${list.replace(new RegExp(`${COOKIE_NAME_START}${COOKIE_PAIRS}`, 'g'), HIDDEN)}`,
    },
    // curl's `-u user:password` (glued too: `-uuser:password`) / `--user user:password`: the user stays. `-u 1000:1000` (docker's
    // uid:gid) and `-u user:$PASS` are no password, and `-u redis://\u2026` is a URL (redis-cli's), whose
    // password the URL shape hides.
    {
        pattern: /(?<![A-Za-z0-9_-])((?:-u(?:[ \t]+|=)?|--user(?:[ \t]+|=))(?:(['"])[^\s:'"]+:|[^\s:'"]+:))((?<=['"][^\s:'"]+:)[^'"\r\n]+|[^\s'"]+)/g,
        replace: (m, head, _quote, password) => ((0,url_secrets/* isPlaceholder */.wK)(password) || /^\d+$/.test(password) || password.startsWith('//') ? m : `${head}${HIDDEN}`),
    },
    // A DSN whose URL user is a 32-hex key (Sentry's `https://<key>@o1.ingest.sentry.io/1`).
    { pattern: /(:\/\/)[0-9a-f]{32}@/gi, replace: (_m, head) => `${head}${HIDDEN}@` },
    // A password in a URL's userinfo (postgres://app:pw@db, https://x-access-token:\u2026@github.com),
    // unless already hidden.
    { pattern: /(:\/\/[^\s/?#@:"'<>\\]*:)([^\s/?#@"'<>\\]+)@/g, replace: (m, head, password) => ((0,url_secrets/* isPlaceholder */.wK)(password) ? m : `${head}${HIDDEN}@`) },
    // SQL's `PASSWORD '\u2026'` (CREATE/ALTER ROLE, CREATE USER \u2026 WITH ENCRYPTED PASSWORD), `''` inside
    // as SQL writes a quote; a statement quoted in a log line or a JSON string too.
    { pattern: /(?<![A-Za-z0-9_])(password[ \t]+)'((?:[^'\r\n]|'')*)'/gi, replace: (m, head, value) => (value === '' || value === HIDDEN ? m : `${head}'${HIDDEN}'`) },
    // \u2026and dollar-quoted (`PASSWORD $$\u2026$$`, `$x$\u2026$x$`), taken whole, spaces and all (DOLLAR_LITERAL).
    {
        pattern: new RegExp(`(?<![A-Za-z0-9_])(password[ \\t]+)${DOLLAR_LITERAL}`, 'gi'),
        replace: (m, head, tag, value, close) => (value === '' || value === HIDDEN ? m : `${head}${tag}${HIDDEN}${close ?? ''}`),
    },
];
/**
 * A name, how it is separated from its value, and the value: a JSON string (escapes and all), one
 * inside a JSON string (`\"\u2026`, ending at the next backslash), a single-quoted one (escapes and all,
 * as libpq reads `password='a\'b'`), a dollar-quoted SQL literal (`SET password = $pw$a b$pw$`,
 * DOLLAR_LITERAL), or a bare word
 * (which ends at a bracket: `{"a":{"token":true}}`).
 * The name is read as a whole run (the look-behind) and judged afterwards, so a run is scanned once.
 */
const NAMED_VALUE = new RegExp(`(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)(\\\\?["']?)([ \\t]*(?:=>|[:=])[ \\t]*)(?:(")((?:[^"\\\\\\r\\n]|\\\\.)*)|(\\\\")([^"\\\\\\r\\n]*)|(')((?:[^'\\\\\\r\\n]|\\\\.)*)|${DOLLAR_LITERAL}|([^\\s"'\`,;&<>\\\\{}[\\]()]+))`, 'g');
/**
 * Whether a quoted value ends where a value can end: at its closing quote, followed by the end, a
 * space, `,;)}]`, or a quote of another kind or a backslash that ends what holds it. A quote that does not
 * close a value begins something else: in `{"message":"Invalid token:","code":"x"}` the "value"
 * after `token:` is `,` up to the next key's quote, and hiding it left JSON that no longer parses.
 */
function token_shapes_closed(text, end, quote) {
    if (!text.startsWith(quote, end))
        return false;
    const next = text[end + quote.length];
    // Another quote or a backslash ends what the value was quoted in (`"cmd":"psql password='x'"`).
    return next === undefined || (/[\s,;)}\]"'`\\]/.test(next) && next !== quote.at(-1));
}
/** What precedes a header given to curl or wget: `-H "`, `--header '`, `-H=`, and glued, `-H'`. */
const CURL_HEADER = /(?:^|\s)(?:-H|--header)(?:[ \t]+|=)?["']?$/;
/** A header's name glued to `-H` with nothing between (`-Htoken`), read as one name run by NAMED_VALUE. */
const GLUED_HEADER = /^-H[A-Za-z]/;
/** The rest of a bare value from an `&`, and white space then a word after a value. */
const AMPERSAND_RUN = /[^\s"'`,;<>\\{}[\]()]*/y;
const WORDS_FOLLOW = /[ \t]+\S/y;
/** The word after a value (bounded, so a long run of letters is not read again per value). */
const NEXT_WORD = /[ \t]+([A-Za-z]{1,16})(?![A-Za-z:=])/y;
function nextWord(text, at) {
    NEXT_WORD.lastIndex = at;
    return NEXT_WORD.exec(text)?.[1];
}
/**
 * A value whose name says secret, however it is written: `VERCEL_TOKEN=\u2026` as `env` prints it,
 * `password=\u2026`, `--db-password=\u2026`, `Password: \u2026` and `secret: \u2026` as YAML or a header, and JSON's
 * `"client_secret":"\u2026"` (escaped inside a JSON string too, `\"token\":\"\u2026\"`). See namedSecret for
 * what is left alone. A quoted value under another name is read again from its start: a JSON
 * string can hold JSON (`"body":"{\"token\":\"\u2026\"}"`).
 */
function hideNamedValues(text) {
    let out = '';
    let done = 0;
    const re = new RegExp(NAMED_VALUE);
    for (let m = re.exec(text); m; m = re.exec(text)) {
        const [whole, written, nameQuote, sep, q1, v1, q2, v2, q3, v3, tag, dollarValue, closeTag, bare] = m;
        // A header glued to curl's or wget's -H (`-Htoken:\u2026`, `-HX-Api-Key:\u2026`): the name is what follows it.
        const glued = sep.includes(':') && GLUED_HEADER.test(written);
        const name = glued ? written.slice(2) : written;
        if (tag !== undefined) {
            // A dollar-quoted literal: taken whole, its tags kept; one cut short hidden as far as it is
            // seen. Read on after it (a `$` run that is no value is read once: the next match starts past it).
            const start = m.index + whole.length - (dollarValue?.length ?? 0) - (closeTag?.length ?? 0);
            if (namedSecret(name, dollarValue ?? '', () => ({ nameQuoted: Boolean(nameQuote), valueQuoted: true, spaced: /:[ \t]/.test(sep), colon: sep.includes(':'), wordsFollow: false }))) {
                out += `${text.slice(done, start)}${HIDDEN}${closeTag ?? ''}`;
                done = m.index + whole.length;
            }
            else
                re.lastIndex = start;
            continue;
        }
        const quote = q1 ?? q2 ?? q3;
        const head = m.index + written.length + nameQuote.length + sep.length;
        const colon = sep.includes(':');
        let end = m.index + whole.length;
        // `&` ends a value in a URL's query (`a=b&c=d`), not in `Password: Tr0ub4dor&3`.
        if (bare !== undefined && colon && text[end] === '&') {
            AMPERSAND_RUN.lastIndex = end;
            end += AMPERSAND_RUN.exec(text)[0].length;
        }
        const value = v1 ?? v2 ?? v3 ?? text.slice(head, end);
        const form = () => {
            WORDS_FOLLOW.lastIndex = end;
            const header = glued || CURL_HEADER.test(text.slice(Math.max(0, m.index - 12), m.index));
            return { nameQuoted: Boolean(nameQuote), valueQuoted: Boolean(quote), spaced: /:[ \t]/.test(sep), colon, wordsFollow: WORDS_FOLLOW.test(text), nextWord: nextWord(text, end), header };
        };
        if (quote && !token_shapes_closed(text, end, quote)) {
            re.lastIndex = head;
        }
        else if (namedSecret(name, value, form)) {
            // A JSON number (a PIN) becomes the string "***", so the JSON still parses.
            out += `${text.slice(done, head)}${quote ?? ''}${nameQuote && !quote ? `${nameQuote}${HIDDEN}${nameQuote}` : HIDDEN}`;
            done = end;
        }
        else if (quote) {
            re.lastIndex = head;
        }
        else {
            // A bare value that is a name and a value itself (kubectl's `--from-literal=password=\u2026`,
            // helm's `--set=db.password=\u2026`, a header given to curl or wget unquoted, `--header=token:\u2026`),
            // read once: its own value is not read again.
            const asHeader = HEADER_OPTION.test(name);
            const inner = (asHeader ? INNER_HEADER : INNER_NAMED).exec(value);
            const innerName = inner?.[1]?.slice(asHeader ? 0 : inner[1].lastIndexOf('.') + 1);
            const innerForm = asHeader ? () => ({ ...form(), colon: true, spaced: false, header: true }) : form;
            if (inner && innerName && namedSecret(innerName, inner[3], innerForm)) {
                out += `${text.slice(done, head + inner[1].length + inner[2].length)}${HIDDEN}`;
                done = end;
            }
        }
    }
    return out + text.slice(done);
}
const INNER_NAMED = /^([A-Za-z0-9_.-]+)(=)(.+)$/;
/** `--header=name:value` (curl's and wget's): a header's name, its colon, and its value. */
const HEADER_OPTION = /^(?:-H|--header)$/;
const INNER_HEADER = /^([A-Za-z0-9_.-]+)(:)(.+)$/;
/**
 * A long option whose last word says secret and its value after a space (`--password s3cr3t`,
 * `--api-key 'k'`, and with one dash as Java's and some databases' tools write them: keytool's
 * `-storepass`, influx's `-password`); `--name=value` is a NAMED_VALUE. Not `--no-password`, nor a
 * flag such as `--password-stdin` (its last word is no secret's). A value never starts with `-`
 * (the next option).
 */
const OPTION_VALUE = /(?<![A-Za-z0-9_-])(--(?!no-)[A-Za-z0-9][A-Za-z0-9_-]*|-[A-Za-z][A-Za-z0-9_-]+)([ \t]+)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s"'`<>|&;()-][^\s"'`<>|&;()]*))/g;
const OPTION_SECRET = /(?:passw(?:or)?d|(?:^|-)pass|(?:store|key)pass|pwd|secret|token|passphrase|api[-_]?key|access[-_]?key|private[-_]?key|credentials?|auth)$/i;
/** The quote a value read by an option's pattern was written in (its single, double or bare group), to keep around ***. */
const quoteOf = (single, double) => (single !== undefined ? "'" : double !== undefined ? '"' : '');
function hideOptionValues(text) {
    return text.replace(OPTION_VALUE, (m, name, space, single, double, bare, at) => {
        const value = single ?? double ?? bare ?? '';
        const form = () => {
            WORDS_FOLLOW.lastIndex = at + m.length;
            return { nameQuoted: false, valueQuoted: bare === undefined, spaced: true, colon: true, wordsFollow: WORDS_FOLLOW.test(text), nextWord: nextWord(text, at + m.length) };
        };
        if (!OPTION_SECRET.test(name) || !namedSecret(name, value, form))
            return m;
        const quote = quoteOf(single, double);
        return `${name}${space}${quote}${HIDDEN}${quote}`;
    });
}
/**
 * Short password options: mysql's (and mariadb's) `-p<password>`, joined (`-p` alone asks for
 * it), redis-cli's and valkey-cli's `-a <password>`, a registry login's `-p <password>`, sqlcmd's `-P
 * <password>`, the LDAP tools' `-w <password>` and ldappasswd's `-a <old> -s <new>`, spaced or glued
 * (`-pPASS`: their parsers read it as `-p PASS`). Hidden only in that
 * program's command: after its name, before the command's end (`;`, `|`, `&`, a line's end), so
 * `mkdir -p`, `docker run -p8080:80` and `cp -a` stay. sshpass' -p is read apart (hideSshpass).
 */
const CLIENT_OPTIONS = [
    // `docker login -u ci -p \u2026` (and podman's, helm registry's, az's), MongoDB's shells and tools.
    // SQL Server's sqlcmd and bcp: `-P \u2026`.
    {
        option: /(?<![A-Za-z0-9_-])(-p[ \t]*)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&-][^\s'";|&]*))/g,
        client: /(?:^|[\s/"'])(?:(?:docker|podman|nerdctl|buildah|skopeo|oras|helm[ \t]+registry|az|cf)[ \t]+login|mongo(?:sh|dump|restore|export|import|stat|top)?)[ \t]/g,
    },
    { option: /(?<![A-Za-z0-9_-])(-P[ \t]*)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&-][^\s'";|&]*))/g, client: /(?:^|[\s/"'])(?:sqlcmd|bcp)[ \t]/g },
    { option: /(?<![A-Za-z0-9_-])(-p)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&]+))/g, client: /(?:^|[\s/"'])(?:mysql[a-z]*|mariadb(?:-[a-z]+)?)[ \t]/g },
    // redis-cli's `-a <password>`, and Valkey's, its fork's.
    { option: /(?<![A-Za-z0-9_-])(-a[ \t]+)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&-][^\s'";|&]*))/g, client: /(?:^|[\s/"'])(?:redis|valkey)-cli[ \t]/g },
    // OpenLDAP's tools: `-w <bind password>`, spaced or glued (getopt reads `-wPASS` so); `-W` asks
    // for it and `-y` names a file, and stay.
    { option: /(?<![A-Za-z0-9_-])(-w[ \t]*)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&-][^\s'";|&]*))/g, client: /(?:^|[\s/"'])ldap(?:search|modify|add|delete|whoami|passwd|compare|modrdn|exop|url)[ \t]/g },
    // ldappasswd's `-a <old password>` and `-s <new password>` (`-A` and `-S` ask for them).
    { option: /(?<![A-Za-z0-9_-])(-[as][ \t]*)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&-][^\s'";|&]*))/g, client: /(?:^|[\s/"'])ldappasswd[ \t]/g },
];
const COMMAND_END = /[;|&\n]/g;
/**
 * Where in `text` each command of `client` has its arguments: from after the client's name to the
 * command's end, in order. Each search goes on from the last command's end, so the text is read once.
 */
function clientCommands(text, client) {
    const commands = [];
    const re = new RegExp(client);
    for (let m = re.exec(text); m; m = re.exec(text)) {
        const start = m.index + m[0].length;
        COMMAND_END.lastIndex = start;
        const end = COMMAND_END.exec(text)?.index ?? text.length;
        commands.push([start, end]);
        re.lastIndex = end;
    }
    return commands;
}
/** Whether a password option's value is one to hide: not empty, not hidden already, no placeholder. */
const hideable = (value) => value !== '' && value !== HIDDEN && !(0,url_secrets/* isPlaceholder */.wK)(value);
function hideClientPasswords(text) {
    let out = hideSshpass(text);
    for (const { option, client } of CLIENT_OPTIONS) {
        const commands = clientCommands(out, client);
        if (!commands.length)
            continue;
        let k = 0;
        out = out.replace(option, (m, flag, single, double, bare, at) => {
            // Matches come in order: the commands that end before this one are passed once.
            while (k < commands.length && commands[k][1] <= at)
                k++;
            const inside = k < commands.length && commands[k][0] <= at;
            if (!inside || !hideable(single ?? double ?? bare ?? ''))
                return m;
            const quote = quoteOf(single, double);
            return `${flag}${quote}${HIDDEN}${quote}`;
        });
    }
    return out;
}
/**
 * `sshpass -p \u2026`: sshpass runs the command after its own options, so only a -p among those is its
 * password; in `sshpass -p \u2026 ssh -p 2222 host` the second is ssh's port. Its options are read
 * forward from its name, however many and however long (`-f` with a long path): -f, -d, -p and -P
 * take a value, spaced or glued (`-pPASS`, as getopt reads it), and -e, -v, -h and -V none. Each
 * option is read one way, and the search goes on after the last one, so the text is read once.
 */
const SSHPASS = /(?:^|[\s/"'])sshpass(?=[ \t])/g;
const SSHPASS_OPTION = /[ \t]+(?:(-[fdpP])([ \t]*)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&]+))|-[evhV]+(?![^\s;|&]))/y;
function hideSshpass(text) {
    let out = '';
    let done = 0;
    const re = new RegExp(SSHPASS);
    for (let m = re.exec(text); m; m = re.exec(text)) {
        let i = m.index + m[0].length;
        for (;;) {
            SSHPASS_OPTION.lastIndex = i;
            const o = SSHPASS_OPTION.exec(text);
            if (!o)
                break;
            const [whole, flag, space, single, double, bare] = o;
            if (flag === '-p' && hideable(single ?? double ?? bare ?? '')) {
                const quote = quoteOf(single, double);
                const value = i + whole.indexOf(flag) + flag.length + space.length;
                out += `${text.slice(done, value)}${quote}${HIDDEN}${quote}`;
                done = i + whole.length;
            }
            i += whole.length;
        }
        re.lastIndex = Math.max(i, re.lastIndex);
    }
    return out + text.slice(done);
}
/**
 * A setting written by a tool's `config set` (`aws configure set aws_secret_access_key \u2026`,
 * `yarn config set npmAuthToken \u2026`, `git config --global github.token \u2026`): the value after a space
 * when the setting's last word (after `.`, `:` or `/`) says secret.
 */
const CONFIG_SET = /(?<![A-Za-z0-9_-])((?:config(?:ure)?[ \t]+set|git[ \t]+config)(?:[ \t]+--?[A-Za-z][A-Za-z-]*)*[ \t]+)([A-Za-z0-9_.:/@-]+)([ \t]+)(?:'([^'\r\n]*)'|"([^"\r\n]*)"|([^\s'";|&]+))/g;
function hideConfigValues(text) {
    return text.replace(CONFIG_SET, (m, head, setting, space, single, double, bare) => {
        const value = single ?? double ?? bare ?? '';
        const name = setting.slice(Math.max(setting.lastIndexOf('.'), setting.lastIndexOf(':'), setting.lastIndexOf('/')) + 1);
        const form = () => ({ nameQuoted: false, valueQuoted: bare === undefined, spaced: true, colon: false, wordsFollow: false });
        if (!namedSecret(name, value, form))
            return m;
        const quote = quoteOf(single, double);
        return `${head}${setting}${space}${quote}${HIDDEN}${quote}`;
    });
}
/**
 * A line of a libpq password file (`host:port:database:user:password`, as `cat ~/.pgpass` prints
 * it): the port a number or `*`, the password the rest of the line.
 */
const PGPASS_LINE = /^([^\s:]+:(?:\d{1,5}|\*):[^\s:]+:[^\s:]+:)(\S+)$/gm;
function hidePgpassLines(text) {
    return text.replace(PGPASS_LINE, (m, head, password) => (password === HIDDEN || (0,url_secrets/* isPlaceholder */.wK)(password) ? m : `${head}${HIDDEN}`));
}
const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]{0,40})PRIVATE KEY-----/g;
/**
 * A PEM private key's body (`-----BEGIN OPENSSH PRIVATE KEY-----` \u2026 `-----END \u2026 PRIVATE KEY-----`),
 * on one line or many; the BEGIN and END lines stay, saying what to rotate. A BEGIN without its
 * END hides the rest of the text (a key cut short is still a key). Each END is looked for once
 * from its BEGIN and the scan goes on after it, so the text is read once.
 */
function hidePrivateKeys(text) {
    let out = '';
    let done = 0;
    const re = new RegExp(PEM_BEGIN);
    for (let m = re.exec(text); m; m = re.exec(text)) {
        const bodyStart = m.index + m[0].length;
        const end = text.indexOf(`-----END ${m[1]}PRIVATE KEY-----`, bodyStart);
        const body = text.slice(bodyStart, end < 0 ? undefined : end);
        const hidden = body.trim() === '' || body.trim() === HIDDEN ? body : `${/^\r?\n/.exec(body)?.[0] ?? ''}${HIDDEN}${/\r?\n$/.exec(body)?.[0] ?? ''}`;
        out += text.slice(done, bodyStart) + hidden;
        if (end < 0)
            return out;
        done = end;
        re.lastIndex = end;
    }
    return out + text.slice(done);
}
/**
 * A line filter for output read line by line (a command's, Log.programLines): inside a PEM private
 * key, from a line with its BEGIN to the line with its END, every line is `***`, which
 * hidePrivateKeys cannot see one line at a time. Give it each line after hideKnownTokens.
 */
function privateKeyLines() {
    let inside;
    return (line) => {
        if (inside !== undefined) {
            if (!line.includes(inside))
                return HIDDEN;
            inside = undefined;
            return line;
        }
        const begins = [...line.matchAll(PEM_BEGIN)].at(-1);
        if (begins && !line.includes(`-----END ${begins[1]}PRIVATE KEY-----`, begins.index + begins[0].length))
            inside = `-----END ${begins[1]}PRIVATE KEY-----`;
        return line;
    };
}
/**
 * XML's `<password>\u2026</password>` (and `<db:secret>`, `<apiToken>`): the value between an element's
 * tags when the element's name says secret. The value stops at the next `<`, so each run is read once.
 */
const XML_VALUE = /<([A-Za-z_][A-Za-z0-9_.:-]{0,60})>([^<\r\n]+)<\/([A-Za-z_][A-Za-z0-9_.:-]{0,60})>/g;
function hideXmlValues(text) {
    return text.replace(XML_VALUE, (m, open, value, close) => {
        const name = open.slice(open.lastIndexOf(':') + 1);
        const form = () => ({ nameQuoted: false, valueQuoted: true, spaced: false, colon: false, wordsFollow: false });
        return open === close && namedSecret(name, value, form) ? `<${open}>${HIDDEN}</${close}>` : m;
    });
}
/**
 * Which SQL columns hold secrets, for the reader of SQL writes (sql-writes.ts): a column whose name
 * says so (`token`, `password_hash`, `api_secret`), or a `key` or `value` of a table whose name does
 * (`api_keys`, `secrets`); `('theme', 'dark')` into `settings (key, value)` stays. A value is judged
 * as a quoted value under that name (namedSecret): `true`, `$1` or a placeholder is no secret.
 */
/** A table's own name (the last of `schema.table`) and its singular, and whether its name says it holds secrets. */
function tableName(table) {
    const name = table.replace(/["`[\]]/g, '').split('.').at(-1);
    const singular = name.replace(/s$/i, '');
    return { name, singular, secret: [name, singular].some((n) => NAMED_SECRET.test(n) && !NOT_A_KEY.test(n)) };
}
/** The columns a table's name can make secret (`api_keys.key`, `secrets.value`). */
const KEY_OR_VALUE = /^(?:key|value)$/i;
/** The name a column's values are judged under, when they are secret; undefined when they are not. */
function secretColumn(table, column) {
    if (NAMED_SECRET.test(column))
        return column;
    const { singular, secret } = tableName(table);
    return secret && KEY_OR_VALUE.test(column) ? singular : undefined;
}
/** Tables whose rows by custom hold an account's password or its hash beside its name. */
const ACCOUNT_TABLE = /^(?:auth_)?(?:users?|accounts?|logins?|members?|admins?)$/i;
/**
 * The name every value of an INSERT without a column list (`INSERT INTO users VALUES ('alice',
 * 'hunter2')`) is judged under, or undefined when they are not secret. Which value goes into
 * which column is in the table's definition, which the text does not show, so the table's name
 * decides for the whole row: one named for secrets (`api_keys`, `secrets`, `user_tokens`) or for
 * accounts (`users`, `accounts`, Django's `auth_user`), where a password conventionally sits beside
 * the user's name. The row's other strings (the name, an email) are hidden with it: a write of
 * accounts that names no columns is rare, and a name hidden costs less than a password shown.
 * Every other table's rows stay (`INSERT INTO orders VALUES (1, 'shipped')`), so ordinary SQL is
 * not hidden for lack of a column list; numbers, NULL and placeholders (`$1`) are no literals.
 */
function secretRow(table) {
    const { name, singular, secret } = tableName(table);
    if (secret)
        return singular;
    return ACCOUNT_TABLE.test(name) ? 'password' : undefined;
}
const SQL_RULE = {
    column: (table, column) => secretColumn(table, column),
    row: (table) => secretRow(table),
    value: (name, value) => namedSecret(name, value, () => ({ nameQuoted: false, valueQuoted: true, spaced: false, colon: false, wordsFollow: false })),
    byTable: (column) => KEY_OR_VALUE.test(column),
};
function hideSqlValues(text) {
    return hideSqlWrites(text, SQL_RULE);
}
/** sqlWriteLines (sql-writes.ts) with the rule of which columns are secret. */
function token_shapes_sqlWriteLines() {
    return sqlWriteLines(SQL_RULE);
}
/**
 * `text` with every credential of a known shape hidden (see the list above), every value a name
 * says is secret (hideNamedValues), and every URL's sensitive parameters (`?token=`, `&sig=`) and a
 * chat webhook's secret path (hideUrlSecrets). `dropUserinfo`: every URL's userinfo too, the user
 * name with the password (for text a user's own program printed: an HTTP user name alone can be
 * the credential).
 */
function hideKnownTokens(text, opts = {}) {
    let out = (0,url_secrets/* hideUrlSecrets */.BF)(text, { keepUserinfo: !opts.dropUserinfo });
    for (const { pattern, replace } of SHAPES)
        out = out.replace(pattern, replace);
    const commands = hidePgpassLines(hideConfigValues(hideClientPasswords(out)));
    return hideNamedValues(hideOptionValues(hideXmlValues(hideSqlValues(hidePrivateKeys(commands)))));
}

;// CONCATENATED MODULE: ./.build/core/log.js
/**
 * Where library code reports progress. Every line passes through `redact`, so a secret registered
 * with `secret()` never reaches a log, whichever sink (GitHub runner, terminal, test) is behind it,
 * and neither does a credential of a well-known shape that we were never given (token-shapes.ts).
 */


/** `log`, registering every secret for our own output only (SecretScope `own`). */
function ownOutputOnly(log) {
    return { ...log, secret: (value, source, from) => log.secret(value, source, from, 'own') };
}
function createLog(sink) {
    const secrets = new core_secrets/* SecretSet */.rE();
    // Registered secrets first: the mask knows them whole, in every encoded form.
    const redact = (text, opts = {}) => hideKnownTokens(secrets.redact(text), opts);
    const warnedWeak = new Set();
    /** The forms the runner was asked to mask: each once, whenever it was first registered. */
    const askedToMask = new Set();
    return {
        info: (m) => sink.info(redact(m)),
        progress: (m) => (sink.progress ?? sink.info)(redact(m)),
        warning: (m) => sink.warning(redact(m)),
        debug: (m) => sink.debug(redact(m)),
        secret(value, source = 'declared', from, scope = 'job') {
            const added = secrets.add(value, source);
            if (!added || scope === 'own')
                return;
            for (const form of added.maskable) {
                if (askedToMask.has(form))
                    continue;
                askedToMask.add(form);
                sink.mask?.(form);
            }
            // Only where a runner masks secrets (a terminal has none to ask). Said once for each place
            // it came from, naming it, so a short password is never protected less without anyone knowing
            // which one to change.
            if (added.strength === 'weak' && added.fresh && sink.mask && !warnedWeak.has(from ?? '')) {
                warnedWeak.add(from ?? '');
                sink.warning(redact(`A secret given to this step${from ? ` (${from})` : ''} is shorter than ${core_secrets/* MIN_SECRET_LENGTH */.vb} characters, a number or a common word: rollback-kit keeps it out of its own output, but does not ask the runner to mask it everywhere in the job log (that would hide every such word). Use a longer secret.`));
            }
        },
        redact: (text) => redact(text),
        excerpt: (text, max) => (0,core_secrets/* clip */.$Q)(redact(text), max),
        failedOutput: (heading, lines) => sink.failedOutput?.(redact(heading), lines.map((line) => redact(line))),
        programLines() {
            // A private key, or an SQL write, printed over many lines: each line alone does not show it is inside one.
            const keyLines = privateKeyLines();
            const sqlLines = token_shapes_sqlWriteLines();
            // A base64 form a tool wrapped over lines (76 or 64 columns): each line holds only a piece.
            const wrapped = secrets.wrappedLines();
            return (line) => {
                // Registered secrets first (redact): the mask knows them whole, and a URL shown without its
                // userinfo no longer reads as the whole secret (a webhook URL whose path is its credential).
                const text = sqlLines(keyLines(wrapped(redact(line, { dropUserinfo: true }))));
                sink.info(text);
                return text;
            };
        },
    };
}
/** A log that keeps its lines in memory: for library tests. */
function memoryLog() {
    const lines = [];
    const log = createLog({
        info: (m) => lines.push(m),
        warning: (m) => lines.push(`warning: ${m}`),
        debug: (m) => lines.push(`debug: ${m}`),
    });
    return Object.assign(log, { lines });
}


/***/ }),

/***/ 8975:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   CG: () => (/* binding */ output)
/* harmony export */ });
/* unused harmony exports inertLine, inertLines, terminalLines */
/* harmony import */ var _actions_core_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(152);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(8161);
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
        const { createInterface } = await Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 6848, 19));
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

/***/ 8347:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   DU: () => (/* binding */ declareEnvironmentSecrets),
/* harmony export */   jY: () => (/* binding */ secretInput)
/* harmony export */ });
/* unused harmony export TOKEN_ENV */
/* harmony import */ var _action_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(9192);
/* harmony import */ var _input_size_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(228);
/* harmony import */ var _log_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(1685);
/* harmony import */ var _url_secrets_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(7495);
/**
 * Platform tokens for the entry points: each from its input or, when that is empty, from the
 * environment variable the platform's own CLI reads, so a workflow that already exports it for the
 * CLI needs no second secret. Masked the moment it is read.
 */




/** The documented environment variable of each token input (DESIGN, "The whole rollback"). */
const TOKEN_ENV = {
    'vercel-token': 'VERCEL_TOKEN',
    'fly-token': 'FLY_API_TOKEN',
    'railway-token': 'RAILWAY_TOKEN',
    'render-token': 'RENDER_API_KEY',
    'netlify-token': 'NETLIFY_AUTH_TOKEN',
    'github-token': 'GITHUB_TOKEN',
    'database-url': 'DATABASE_URL',
    'notify-webhook-url': 'ROLLBACK_WEBHOOK_URL',
};
/**
 * A secret from its input or, failing that, its documented environment variable; masked at once.
 * `env` is the entry point's process environment (only entry points read it); `inputs` the action's
 * inputs or the CLI's flags.
 */
function secretInput(name, env, log, inputs = _action_js__WEBPACK_IMPORTED_MODULE_0__/* .input */ .hF) {
    const fromEnv = env[TOKEN_ENV[name]]?.trim() || undefined;
    const value = inputs.secret(name, log) ?? (fromEnv && (0,_input_size_js__WEBPACK_IMPORTED_MODULE_1__/* .withinSize */ .L)(name, fromEnv, TOKEN_ENV[name]));
    log.secret(value, 'declared', TOKEN_ENV[name]);
    return value;
}
/**
 * Every documented secret variable the process was given, masked before anything runs, whether or
 * not this step reads it: a command the step runs (the command provider, a check) inherits the
 * environment and may print any of them.
 */
function declareEnvironmentSecrets(env, log) {
    for (const variable of Object.values(TOKEN_ENV))
        log.secret(env[variable]?.trim() || undefined, 'declared', variable);
    // The URLs hold their secrets inside, in forms of their own: a command may print the database's
    // password alone, or the token in a webhook's path. Registered as their readers register them, but
    // for our own output only: a step that reads the URL registers them for the job (log.ts, SecretScope).
    const own = (0,_log_js__WEBPACK_IMPORTED_MODULE_2__/* .ownOutputOnly */ .qQ)(log);
    (0,_url_secrets_js__WEBPACK_IMPORTED_MODULE_3__/* .registerConnectionSecrets */ .NK)(env[TOKEN_ENV['database-url']], own, TOKEN_ENV['database-url']);
    const webhook = env[TOKEN_ENV['notify-webhook-url']]?.trim();
    if (webhook)
        (0,_url_secrets_js__WEBPACK_IMPORTED_MODULE_3__/* .registerWebhookSecrets */ .y1)(webhook, own);
}


/***/ }),

/***/ 9205:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   $Q: () => (/* binding */ clip),
/* harmony export */   Tp: () => (/* binding */ isCommonValue),
/* harmony export */   rE: () => (/* binding */ SecretSet),
/* harmony export */   vb: () => (/* binding */ MIN_SECRET_LENGTH)
/* harmony export */ });
/* unused harmony exports secretStrength, encodedForms, MIN_BASE64_CORE, base64Forms, redactDeep */
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
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   em: () => (/* binding */ sentence),
/* harmony export */   l2: () => (/* binding */ capitalized),
/* harmony export */   v6: () => (/* binding */ ended)
/* harmony export */ });
/* unused harmony export onOneLine */
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

/***/ 5915:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   x: () => (/* binding */ firstAtOrAfter)
/* harmony export */ });
/** The first of `sorted` (ascending) at or after `at`, or -1: one binary search for every index of positions. */
function firstAtOrAfter(sorted, at) {
    if (!sorted)
        return -1;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid] < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sorted.length ? sorted[lo] : -1;
}


/***/ }),

/***/ 1042:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   ZI: () => (/* binding */ stopOnSignals),
/* harmony export */   kB: () => (/* binding */ stoppedFailure),
/* harmony export */   w3: () => (/* binding */ stopCause),
/* harmony export */   ws: () => (/* binding */ stopName)
/* harmony export */ });
/* unused harmony exports holdStopSignals, StopOutlasted, stopReason, stopSignalName */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(8005);
/* harmony import */ var _output_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(8975);
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

/***/ 7495:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  Qy: () => (/* binding */ displayUrl),
  BF: () => (/* binding */ hideUrlSecrets),
  wK: () => (/* binding */ isPlaceholder),
  NK: () => (/* binding */ registerConnectionSecrets),
  AI: () => (/* binding */ registerUrlSecrets),
  y1: () => (/* binding */ registerWebhookSecrets)
});

// UNUSED EXPORTS: POSTGRES_URL, decodedForms, isSensitiveName, splitCredentials, urlSecrets

// EXTERNAL MODULE: ./.build/core/errors.js
var errors = __nccwpck_require__(8005);
;// CONCATENATED MODULE: ./.build/core/libpq-pairs.js
/**
 * libpq's key=value connection strings (`host=db port=5432 password='a b'`), read as libpq reads
 * them: a value is bare up to white space or quoted with '\u2026', and a backslash takes the next
 * character as it is. Nothing is percent-decoded.
 */

/** The pairs, keys lowercased. Throws on text that is not key=value pairs, naming no value. */
function libpqPairs(text) {
    const params = {};
    let i = 0;
    while (i < text.length) {
        while (i < text.length && /\s/.test(text[i]))
            i++;
        if (i >= text.length)
            break;
        const keyMatch = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/.exec(text.slice(i));
        if (!keyMatch) {
            throw new errors/* RollbackKitError */.dp('The connection string is neither a postgres:// URL nor key=value pairs.', 'Expected postgres://user:password@host:5432/dbname or host=... port=... dbname=... user=... password=....');
        }
        const key = keyMatch[1].toLowerCase();
        i += keyMatch[0].length;
        let value = '';
        if (text[i] === "'") {
            i++;
            while (i < text.length && text[i] !== "'") {
                if (text[i] === '\\' && i + 1 < text.length)
                    i++;
                value += text[i];
                i++;
            }
            if (text[i] !== "'")
                throw new errors/* RollbackKitError */.dp(`The connection string has an unterminated quote in the value of ${key}.`);
            i++;
        }
        else {
            while (i < text.length && !/\s/.test(text[i])) {
                if (text[i] === '\\' && i + 1 < text.length)
                    i++;
                value += text[i];
                i++;
            }
        }
        params[key] = value;
    }
    return params;
}

;// CONCATENATED MODULE: ./.build/core/url-secrets.js
/**
 * The secrets inside a URL: a user name and password (`https://admin:pw@host`), and query or
 * fragment values whose names say secret (`?token=\u2026`, `?x-vercel-protection-bypass=\u2026`), or all of
 * them for a URL whose query is the credential (a webhook's). Every URL input of every action goes
 * through here before anything can print it, and requests never carry userinfo: it is sent as an
 * Authorization header instead (fetch refuses URLs with credentials).
 */

/**
 * The one list, for query and fragment parameters and for headers alike. `key` as a whole name or
 * the last word of one (`api_key`, `access_key`, `x-functions-key`, `ocp-apim-subscription-key`),
 * and `code`: an Azure Functions key (`?code=`) or an OAuth authorization code. `auth` only as a
 * whole word (`auth`, `x-auth`, `oauth_verifier`) or in `authorization` and `authkey`: `?author=` is ordinary.
 */
const SENSITIVE_NAME = /(?:^|[-_.])o?auth(?:[-_.]|$)|authori[sz]ation|auth[-_]?(?:key|code)|cookie|token|secret|passw|^pass$|^pwd$|api[-_]?key|apikey|accesskey|(^|[-_.])key$|^code$|signature|^sig$|session|credential|bypass/i;
/** Names that look sensitive but carry a switch: Vercel's `x-vercel-set-bypass-cookie=true|samesitenone`. */
const NOT_SENSITIVE = /^x-vercel-set-bypass-cookie$/i;
/** Whether a header, query or fragment parameter of this name carries a secret. */
function isSensitiveName(name) {
    return SENSITIVE_NAME.test(name) && !NOT_SENSITIVE.test(name);
}
/**
 * A URL password that stands for one: already hidden, the word itself in an example
 * (`postgres://user:password@host`), or a shell variable. A real password we were given is hidden
 * before this list runs (Log.redact), whatever it is.
 */
const PLACEHOLDER = /^(?:\*\*\*|password|pass|passwd|pw)$/i;
/**
 * A shell variable or substitution standing for a value: `$NAME` in capitals, `${\u2026}` (and
 * `${{ secrets.X }}`), `$(\u2026)`, or a lone `$` (a bare value ends at a bracket). `$ecret\u2026` is a value.
 */
const VARIABLE = /^\$(?:[A-Z_][A-Z0-9_]*|\{.*\}|\(.*\))?$/;
const isPlaceholder = (value) => PLACEHOLDER.test(value) || VARIABLE.test(value);
/** `scheme://` then the authority up to its last `@`, as the WHATWG URL parser reads it. */
const USERINFO = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\\]*)@/i;
const decode = (text) => {
    try {
        return decodeURIComponent(text);
    }
    catch {
        return undefined;
    }
};
/** A value as written and, when it decodes to something else, percent-decoded. */
function decodedForms(text) {
    const decoded = decode(text);
    return decoded === undefined || decoded === text ? [text] : [text, decoded];
}
/**
 * Every form the URL's secrets can take in text: as written, as the URL parser serialises them,
 * percent-decoded (with and without `+` as a space); Log.secret adds the re-encoded forms.
 */
function urlSecrets(text, opts = {}) {
    const declared = [];
    const guessed = [];
    let serialised;
    try {
        serialised = new URL(text).href;
    }
    catch {
        serialised = undefined;
    }
    for (const written of new Set([text, ...(serialised ? [serialised] : [])])) {
        const userinfo = USERINFO.exec(written)?.[1];
        if (userinfo) {
            const colon = userinfo.indexOf(':');
            const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
            const password = colon < 0 ? '' : userinfo.slice(colon + 1);
            // Without a password an HTTP user name is the credential (https://<token>@host); a database
            // user name alone is an identity (its password comes from PGPASSWORD, a passfile or trust).
            const userIsCredential = !/^postgres(ql)?:/i.test(written);
            const parts = password ? [userinfo, password, `${decode(user) ?? user}:${decode(password) ?? password}`] : userIsCredential ? [user] : [];
            for (const part of parts)
                declared.push(...decodedForms(part));
        }
        for (const part of rawParts(written)) {
            const eq = part.indexOf('=');
            const name = eq < 0 ? part : part.slice(0, eq);
            const value = eq < 0 ? part : part.slice(eq + 1);
            const secret = opts.everyParameter || (eq > 0 && isSensitiveName(decode(name) ?? name));
            if (!secret || !value)
                continue;
            guessed.push(value, ...[decode(value), decode(value.replace(/\+/g, ' '))].filter((d) => d !== undefined));
        }
    }
    // Only HTTP sends userinfo as Basic authorization; a database URL never does.
    const basic = /^https?:/i.test(text.trim()) ? basicAuthorization(text) : undefined;
    if (basic)
        declared.push(basic, basic.slice('Basic '.length));
    return { declared: [...new Set(declared)], guessed: [...new Set(guessed)] };
}
function registerUrlSecrets(text, log, opts = {}) {
    if (!text)
        return;
    const found = urlSecrets(text, opts);
    for (const value of found.declared)
        log.secret(value, 'declared', opts.from && `the user name or password in ${opts.from}`);
    for (const value of found.guessed)
        log.secret(value, 'guessed');
}
/**
 * Registers every form the webhook URL's secrets can take: the whole URL, its path and query (the
 * credential of Slack's and Discord's URLs), path segments that look like tokens, and through
 * registerUrlSecrets every query and fragment value raw and decoded (the whole URL is a secret,
 * whatever a parameter is called, `?abc` too), the user name, password and the Basic authorization
 * value sent for them. A receiver that echoes any of them (a 401 page quoting what it got) is then
 * redacted.
 */
function registerWebhookSecrets(webhookUrl, log) {
    log.secret(webhookUrl);
    const text = webhookUrl.trim();
    log.secret(text);
    // Short or common values (`?v=2`, `?format=json`) are no secret; as guessed ones they are dropped.
    registerUrlSecrets(text, log, { everyParameter: true, from: 'notify-webhook-url' });
    let url;
    try {
        url = new URL(text);
    }
    catch {
        return;
    }
    log.secret(url.href);
    // Guessed, not declared: only part of what was given, so a short one (`/hook`) is no secret
    // of its own (the whole URL is registered above), and no warning blames the user for it.
    log.secret(`${url.pathname}${url.search}`, 'guessed');
    // Slack's T\u2026/B\u2026/token and Discord's id/token: a long segment with letters and digits is a token,
    // "services" or "webhooks" is not (masking those would hide ordinary words in the whole job log).
    for (const segment of url.pathname.split('/')) {
        if (segment.length >= 16 && /[a-z]/i.test(segment) && /\d/.test(segment))
            for (const form of decodedForms(segment))
                log.secret(form);
    }
}
/** A connection string written as a URL (`postgres://` or `postgresql://`), not as key=value pairs. */
const POSTGRES_URL = /^postgres(ql)?:\/\//i;
/**
 * The secrets of a PostgreSQL connection string, as a URL or as libpq's key=value pairs: the whole
 * string, and the password in every form (a command may print it alone). Text that is neither form
 * registers as a whole only: whoever reads it as a connection refuses it then.
 */
function registerConnectionSecrets(text, log, from = 'the connection string') {
    const trimmed = text?.trim();
    if (!trimmed)
        return;
    log.secret(trimmed);
    if (POSTGRES_URL.test(trimmed)) {
        registerUrlSecrets(trimmed, log, { from });
        return;
    }
    let password;
    try {
        password = libpqPairs(trimmed).password;
    }
    catch {
        return;
    }
    log.secret(password, 'declared', `the password in ${from}`);
}
/** The `&`-separated parts of the query and the fragment (`name=value`, or a bare `abc`), exactly as written. */
function rawParts(text) {
    const hash = text.indexOf('#');
    const question = text.indexOf('?');
    const query = question >= 0 && (hash < 0 || question < hash) ? text.slice(question + 1, hash > question ? hash : undefined) : '';
    const fragment = hash >= 0 ? text.slice(hash + 1) : '';
    return [...query.split('&'), ...fragment.split('&')].filter((part) => part !== '');
}
/** The URL's user name and password as an HTTP Basic Authorization value, percent-decoded as curl does. */
function basicAuthorization(text) {
    let url;
    try {
        url = new URL(text);
    }
    catch {
        return undefined;
    }
    if (!url.username && !url.password)
        return undefined;
    const credentials = `${decode(url.username) ?? url.username}:${decode(url.password) ?? url.password}`;
    return `Basic ${Buffer.from(credentials).toString('base64')}`;
}
/**
 * Splits a URL into what is requested and printed (no userinfo) and the Basic Authorization value
 * its userinfo stands for. A URL without userinfo comes back unchanged.
 */
function splitCredentials(text) {
    const authorization = basicAuthorization(text);
    if (!authorization)
        return { url: text };
    const url = new URL(text);
    url.username = '';
    url.password = '';
    return { url: url.href, authorization };
}
/**
 * Chat webhooks whose path is the credential (anyone holding it can post): Slack's
 * `/services/T\u2026/B\u2026/<secret>` (and workflow triggers), Discord's `/api/webhooks/<id>/<token>`, Teams'
 * `<tenant>.webhook.office.com/webhookb2/\u2026` (and the older outlook.office.com form). Everything
 * after the prefix is hidden; Teams' newer Power Automate URLs carry theirs in `?sig=`, a sensitive name.
 */
const WEBHOOK_PATHS = [
    { host: /(^|\.)hooks\.slack\.com$/i, prefix: /^\/(?:services|workflows|triggers)\//i },
    { host: /(^|\.)discord(?:app)?\.com$/i, prefix: /^\/api\/(?:v\d+\/)?webhooks\//i },
    { host: /(^|\.)webhook\.office\.com$|(^|\.)outlook\.office(?:365)?\.com$/i, prefix: /^\/webhook(?:b2)?\//i },
];
/** `scheme://authority` and the rest, for text that may not be a valid URL. */
const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#\\]*)/i;
function hideWebhookPath(text) {
    const head = AUTHORITY.exec(text);
    if (!head)
        return text;
    const host = head[2].slice(head[2].lastIndexOf('@') + 1).replace(/:\d*$/, '');
    const rest = text.slice(head[0].length);
    for (const { host: h, prefix } of WEBHOOK_PATHS) {
        const p = h.test(host) ? prefix.exec(rest) : null;
        if (!p)
            continue;
        // The path after the prefix, up to the query or fragment (kept: their sensitive values are hidden by name).
        const end = rest.slice(p[0].length).search(/[?#]/);
        return `${head[0]}${p[0]}***${end < 0 ? '' : rest.slice(p[0].length + end)}`;
    }
    return text;
}
/**
 * A URL fit for an error message about that very URL, when its secrets may not be registered yet:
 * no userinfo, sensitive parameter values shown as `***`, a chat webhook's secret path as `***`.
 * Works on text that is not a valid URL. `keepUserinfo`: leave the userinfo to the caller (the
 * Log's shapes show `user:***@`, keeping who it was).
 */
function displayUrl(text, opts = {}) {
    const noUserinfo = opts.keepUserinfo ? text : text.replace(USERINFO, (match, userinfo) => match.slice(0, match.length - userinfo.length - 1));
    // The name holds no `?`: each `?` would otherwise start a scan to the URL's end, quadratic on `?????\u2026`.
    const params = noUserinfo.replace(/([?&#])([^=&#?]+)=([^&#]*)/g, (match, sep, name, value) => isSensitiveName(decode(name) ?? name) && value !== '' && value !== '***' ? `${sep}${name}=***` : `${sep}${name}=${hideEncodedSecrets(value)}`);
    return hideWebhookPath(params);
}
/** How many times a value is percent-decoded looking for a URL inside it (`%3A`, `%253A`, `%25253A`). */
const MAX_ENCODINGS = 3;
const HEX = /^[0-9A-Fa-f]{2}$/;
/**
 * `text` with its ASCII escapes (`%3A`, `%2f`) decoded once, and for each character where it was
 * written in the original (`at`, one longer than the text: the end maps to the end).
 */
function decodeOnce(text, at) {
    let out = '';
    const map = [];
    for (let i = 0; i < text.length;) {
        const code = text[i] === '%' && HEX.test(text.slice(i + 1, i + 3)) ? parseInt(text.slice(i + 1, i + 3), 16) : -1;
        map.push(at[i]);
        if (code >= 0 && code < 0x80) {
            out += String.fromCharCode(code);
            i += 3;
        }
        else {
            out += text[i];
            i++;
        }
    }
    map.push(at[text.length]);
    return { text: out, at: map };
}
/**
 * A URL's password, and a query or fragment value under a sensitive name, in decoded text. A value
 * ends at a `?` too: in `redirect_uri=https://h/?token=\u2026` the URL inside is a value, and its query
 * is read as well.
 */
const INNER_PASSWORD = /:\/\/[^\s/?#@:"'<>\\]*:([^\s/?#@"'<>\\]+)@/g;
const INNER_PARAMETER = /(?:^|[?&#;])([^=&#?;]+)=([^&#;?]*)/g;
/**
 * A query value holding a URL percent-encoded once or more (`?next=https%3A%2F%2Fuser%3Apw%40db%2F%3Ftoken%3D\u2026`):
 * the inner URL's password and sensitive parameters hidden where they are written, encoded as
 * they are; the rest stays as written. Each decoding is one pass, at most MAX_ENCODINGS of them.
 */
function hideEncodedSecrets(value) {
    if (!value.includes('%'))
        return value;
    const hide = [];
    let level = { text: value, at: Array.from({ length: value.length + 1 }, (_v, i) => i) };
    for (let n = 0; n < MAX_ENCODINGS && level.text.includes('%'); n++) {
        const next = decodeOnce(level.text, level.at);
        if (next.text === level.text)
            break;
        level = next;
        const { text, at } = level;
        for (const m of text.matchAll(INNER_PASSWORD)) {
            const start = m.index + m[0].length - 1 - m[1].length;
            if (!isPlaceholder(m[1]))
                hide.push([at[start], at[start + m[1].length]]);
        }
        for (const m of text.matchAll(INNER_PARAMETER)) {
            const [whole, name, inner] = m;
            if (inner === '' || inner === '***' || !isSensitiveName(name))
                continue;
            const start = m.index + whole.length - inner.length;
            hide.push([at[start], at[start + inner.length]]);
        }
    }
    if (hide.length === 0)
        return value;
    hide.sort((a, b) => a[0] - b[0]);
    let out = '';
    let done = 0;
    for (const [start, end] of hide) {
        if (end <= done)
            continue;
        out += `${value.slice(done, Math.max(done, start))}${start >= done ? '***' : ''}`;
        done = end;
    }
    return out + value.slice(done);
}
/** How far back from a `://` a scheme is looked for: schemes are short, and the bound keeps the scan linear. */
const MAX_SCHEME = 32;
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;
/** Where a URL written in free text ends: white space, quotes and angle brackets. */
const URL_END = /[\s"'<>`]/;
/** Closing brackets, each with its opening one. */
const CLOSERS = { ')': '(', ']': '[', '}': '{' };
/** Punctuation that ends a sentence or a clause, not a URL written in it (`see https://h/?token=\u2026.`). */
const TRAILING = /[.,;:!?]/;
/**
 * Where a URL written in free text ends once what follows it is left out: the closing brackets it
 * does not open, and the punctuation of the sentence around it. `(https://h/x?api_key=\u2026)` ends
 * before the `)`, which the text around it opened, so that a parameter's hidden value does not take
 * the bracket with it (`\u2026?api_key=***)`). A bracket the URL itself opens stays its own
 * (`https://h/wiki/A_(b)`). Counted once, so linear on any run of brackets.
 */
function ownEnd(text, start, end) {
    const last = text[end - 1];
    if (!CLOSERS[last] && !TRAILING.test(last))
        return end;
    const open = { '(': 0, '[': 0, '{': 0 };
    const close = { ')': 0, ']': 0, '}': 0 };
    for (let i = start; i < end; i++) {
        const c = text[i];
        if (c in open)
            open[c]++;
        else if (c in close)
            close[c]++;
    }
    while (end > start) {
        const c = text[end - 1];
        const opener = CLOSERS[c];
        if (opener && close[c] > open[opener])
            close[c]--;
        else if (!TRAILING.test(c))
            break;
        end--;
    }
    return end;
}
/**
 * Free text with every URL in it shown as displayUrl shows one: no userinfo, sensitive parameter
 * values and a chat webhook's path as `***`. The Log's shapes (token-shapes.ts) run it on every line
 * with `keepUserinfo`, since any free text (a program's output, an API error, the reason a person
 * typed) can hold a signed URL we were never given; the command provider's lines (Log.programLines)
 * drop the userinfo of their URLs whole (an HTTP user name alone can be the credential). Linear: each `://`
 * is found once, its scheme looked for a bounded way back, and the text between URLs read once for
 * its brackets. A closing bracket after a URL that the URL does not open is the text's, not the URL's
 * (ownEnd), and so is the punctuation after it; but when a hidden value runs to where the URL ends,
 * what ownEnd left out may be the value's own (`?token=s3cr3t!!`), and is hidden with it (secretEnd).
 */
function hideUrlSecrets(text, opts = {}) {
    let at = text.indexOf('://');
    if (at === -1)
        return hideEncodedUrls(text);
    let out = '';
    let done = 0;
    /** The brackets the text outside URLs opened and has not closed, read up to `read`. */
    const opened = { '(': 0, '[': 0, '{': 0 };
    let read = 0;
    while (at !== -1) {
        let start = at;
        while (start > done && at - start < MAX_SCHEME && SCHEME_CHAR.test(text[start - 1]))
            start--;
        while (start < at && !/[A-Za-z]/.test(text[start]))
            start++;
        let end = at + 3;
        while (end < text.length && !URL_END.test(text[end]))
            end++;
        if (start < at) {
            for (; read < start; read++)
                countBracket(opened, text[read]);
            const own = ownEnd(text, start, end);
            let shown = displayUrl(text.slice(start, own), opts);
            let until = own;
            if (own < end && shown.endsWith('***') && !text.slice(start, own).endsWith('***')) {
                until = secretEnd(text, own, end, opened);
                shown = displayUrl(text.slice(start, until), opts);
            }
            out += text.slice(done, start) + shown;
            done = until;
            read = until;
        }
        at = text.indexOf('://', end);
    }
    return hideEncodedUrls(out + text.slice(done));
}
/** An opening bracket counted, a closing one closing the one it pairs with, if open. */
function countBracket(opened, c) {
    if (c in opened)
        opened[c]++;
    else if (CLOSERS[c] && opened[CLOSERS[c]] > 0)
        opened[CLOSERS[c]]--;
}
/**
 * Where a hidden value that runs to a URL's own end (ownEnd) ends, when the characters ownEnd left
 * out (`cut`, from `own` to `end`) may be its own: a secret never shows a character of itself, so
 * they are hidden with it, but for what is plausibly the text's. That is a closing bracket the text
 * opened before the URL (`(see https://h/?token=\u2026)`), and all after it; or, with none, a single `.`
 * or `,` at the end followed by white space or the end of the text (the end of a sentence). Every
 * other `!`, `?`, `;`, `:`, bracket and further `.` is taken as the value's (`?token=s3cr3t!!`,
 * `?password=hunter2)`).
 */
function secretEnd(text, own, end, opened) {
    for (let i = own; i < end; i++) {
        const opener = CLOSERS[text[i]];
        if (opener && opened[opener] > 0)
            return i;
    }
    const last = text[end - 1];
    return (last === '.' || last === ',') && (end === text.length || /\s/.test(text[end])) ? end - 1 : end;
}
/** `://` percent-encoded once or more (`%3A%2F%2F`, `%253A%252F%252F`). */
const ENCODED_SCHEME = /%(?:25)*3A%(?:25)*2F%(?:25)*2F/gi;
/**
 * A percent-encoded URL written outside any URL (`redirect_uri=https%3A%2F%2Fu%3Apw%40h\u2026` in a
 * log line): the run of text around it read as hideEncodedSecrets reads a query value. A run with
 * a `://` in it was read as a URL already. Each run is read once.
 */
function hideEncodedUrls(text) {
    const re = new RegExp(ENCODED_SCHEME);
    let out = '';
    let done = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
        let start = m.index;
        while (start > done && !URL_END.test(text[start - 1]))
            start--;
        let end = m.index + m[0].length;
        while (end < text.length && !URL_END.test(text[end]))
            end++;
        const run = text.slice(start, end);
        out += text.slice(done, start) + (run.includes('://') ? run : hideEncodedSecrets(run));
        done = end;
        re.lastIndex = end;
    }
    return out + text.slice(done);
}


/***/ }),

/***/ 9430:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   U: () => (/* binding */ startedByDeploymentEvent)
/* harmony export */ });
/**
 * Whether a rollback was started by a deployment signal rather than by a person: the events
 * auto-rollback.yml listens to (and the ones a deploy pipeline of one's own might). A reusable
 * workflow sees its caller's event, so rollback.yml called from auto-rollback.yml counts too.
 * "Run workflow" (workflow_dispatch) and the command line are a person's decision.
 */
const DEPLOYMENT_EVENTS = new Set(['deployment_status', 'deployment', 'repository_dispatch', 'workflow_run', 'status', 'check_run', 'check_suite']);
function startedByDeploymentEvent(eventName) {
    return DEPLOYMENT_EVENTS.has(eventName ?? '');
}


/***/ }),

/***/ 8877:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   c: () => (/* binding */ COMPONENT_URL_INPUTS),
/* harmony export */   m: () => (/* binding */ componentUrls)
/* harmony export */ });
/**
 * A component's fields that may hold a URL, and with it a secret (a user name and password, a token
 * in the query): target and from may be deployment URLs, the API bases may carry a proxy's
 * credentials. The one list every place registers before anything can print them: the rollback
 * plan (registerPlanSecrets), promote-previous's inputs (readPromoteRequest) and its request
 * (promotePrevious). A URL field added to a component goes here, and so to all three;
 * test/secrets/component-urls.test.ts fails for a field of the component types that is neither
 * here nor named as never holding a URL.
 */
/** Each field by its input and plan-file key (promote-previous's input names). */
const COMPONENT_URL_INPUTS = {
    target: 'target',
    from: 'from',
    apiUrl: 'api-url',
    machinesApiUrl: 'machines-api-url',
    registryUrl: 'registry-url',
};
/** The URLs a component holds, to register as secrets before anything is printed. */
function componentUrls(component) {
    const fields = Object.keys(COMPONENT_URL_INPUTS);
    return [...fields.map((f) => component[f]), component.github?.apiUrl].filter((url) => !!url);
}


/***/ }),

/***/ 19:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   C: () => (/* binding */ refuseNotLive)
/* harmony export */ });
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(8005);
/* harmony import */ var _promote_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(1418);
/**
 * promote-previous on its own (the action, `rollback-kit promote`): a change the platform accepted
 * but did not make live (a promotion Vercel queued behind a rolling release) fails the step, as it
 * fails a component of the whole rollback, so nothing after it treats the target as serving.
 */


function refuseNotLive(outcome, request) {
    const notLive = (0,_promote_js__WEBPACK_IMPORTED_MODULE_1__/* .notLiveYet */ .E)(outcome, request.provider === 'vercel' ? `project ${request.project}` : request.provider);
    if (!notLive)
        return;
    throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(notLive.message, `Finish (or abort) the rolling release in Vercel (project Settings \u2192 Rolling Releases). Once production serves ${outcome.to.id}, running the step again reports already-current.`);
}


/***/ }),

/***/ 5755:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   S: () => (/* binding */ readPromoteRequest)
/* harmony export */ });
/* unused harmony export choice */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(8005);
/* harmony import */ var _core_secret_input_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(8347);
/* harmony import */ var _core_url_secrets_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(7495);
/* harmony import */ var _component_urls_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(8877);
/* harmony import */ var _promote_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(1418);





function choice(inputs, name, allowed, fallback) {
    const value = (inputs.string(name) ?? fallback).toLowerCase();
    if (!allowed.includes(value)) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Input ${name} must be one of ${allowed.join(', ')}; got "${value}".`);
    }
    return value;
}
function readPromoteRequest(inputs, ctx, log) {
    const vercelToken = ctx.everyTokenFromEnv ? (0,_core_secret_input_js__WEBPACK_IMPORTED_MODULE_1__/* .secretInput */ .jY)('vercel-token', ctx.env, log, inputs) : inputs.secret('vercel-token', log);
    const githubToken = ctx.everyTokenFromEnv ? (0,_core_secret_input_js__WEBPACK_IMPORTED_MODULE_1__/* .secretInput */ .jY)('github-token', ctx.env, log, inputs) : inputs.secret('github-token', log);
    const flyToken = (0,_core_secret_input_js__WEBPACK_IMPORTED_MODULE_1__/* .secretInput */ .jY)('fly-token', ctx.env, log, inputs);
    const railwayToken = (0,_core_secret_input_js__WEBPACK_IMPORTED_MODULE_1__/* .secretInput */ .jY)('railway-token', ctx.env, log, inputs);
    const renderToken = (0,_core_secret_input_js__WEBPACK_IMPORTED_MODULE_1__/* .secretInput */ .jY)('render-token', ctx.env, log, inputs);
    const netlifyToken = (0,_core_secret_input_js__WEBPACK_IMPORTED_MODULE_1__/* .secretInput */ .jY)('netlify-token', ctx.env, log, inputs);
    // target and from may be deployment URLs; the API bases may carry a user name and password.
    for (const name of Object.values(_component_urls_js__WEBPACK_IMPORTED_MODULE_3__/* .COMPONENT_URL_INPUTS */ .c))
        (0,_core_url_secrets_js__WEBPACK_IMPORTED_MODULE_2__/* .registerUrlSecrets */ .AI)(inputs.string(name), log);
    const provider = choice(inputs, 'provider', _promote_js__WEBPACK_IMPORTED_MODULE_4__/* .PROVIDERS */ .xq, 'vercel');
    // Each platform has its own API base: Vercel's must never become another provider's default.
    const apiUrl = inputs.string('api-url') ?? (0,_promote_js__WEBPACK_IMPORTED_MODULE_4__/* .defaultApiUrl */ .zq)(provider) ?? '';
    const common = {
        target: inputs.string('target', { default: 'previous' }),
        from: inputs.string('from'),
        reason: inputs.string('reason'),
        timeoutSeconds: inputs.integer('timeout-seconds', { default: 180, min: 1, max: 3600 }),
        dryRun: inputs.boolean('dry-run', false),
    };
    switch (provider) {
        case 'vercel':
            return {
                ...common,
                provider,
                token: vercelToken,
                project: inputs.string('project'),
                team: inputs.string('team'),
                apiUrl,
                method: choice(inputs, 'method', _promote_js__WEBPACK_IMPORTED_MODULE_4__/* .METHODS */ .J8, 'rollback'),
                // target last-verified reads the rollback-kit/verified commit statuses there.
                github: { token: githubToken, repository: ctx.repository, apiUrl: ctx.githubApiUrl || 'https://api.github.com' },
            };
        case 'fly':
            return {
                ...common,
                provider,
                token: flyToken,
                app: inputs.string('app'),
                apiUrl,
                machinesApiUrl: inputs.string('machines-api-url', { default: _promote_js__WEBPACK_IMPORTED_MODULE_4__/* .FLY_MACHINES_API_URL */ .wB }),
                registryUrl: inputs.string('registry-url'),
            };
        case 'railway':
            return { ...common, provider, token: railwayToken, project: inputs.string('project'), environment: inputs.string('environment'), service: inputs.string('service'), apiUrl };
        case 'render':
            return { ...common, provider, token: renderToken, service: inputs.string('service'), apiUrl };
        case 'netlify':
            return { ...common, provider, token: netlifyToken, site: inputs.string('site'), apiUrl };
        case 'git-revert':
            return {
                ...common,
                provider,
                githubToken,
                repoDir: ctx.workspace || process.cwd(),
                repository: ctx.repository ?? '',
                apiUrl: ctx.githubApiUrl || 'https://api.github.com',
                baseBranch: ctx.baseBranch,
            };
        case 'command':
            return { ...common, provider, command: inputs.string('command'), verifyCommand: inputs.string('verify-command'), cwd: ctx.workspace, baseEnv: ctx.env };
    }
}


/***/ }),

/***/ 1418:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  wB: () => (/* reexport */ FLY_MACHINES_API_URL),
  J8: () => (/* binding */ METHODS),
  xq: () => (/* binding */ PROVIDERS),
  zq: () => (/* binding */ defaultApiUrl),
  O0: () => (/* binding */ frozenNotes),
  E: () => (/* binding */ notLiveYet),
  Ay: () => (/* binding */ promotePrevious)
});

// UNUSED EXPORTS: DEFAULT_API_URLS, DEFAULT_VERCEL_API_URL, changedProduction, checkApiUrl, checkHttpUrl, checkPromoteRequest, isHttpUrl

// EXTERNAL MODULE: ./.build/core/errors.js
var errors = __nccwpck_require__(8005);
// EXTERNAL MODULE: ./.build/core/url-secrets.js + 1 modules
var url_secrets = __nccwpck_require__(7495);
// EXTERNAL MODULE: ./.build/platforms/component-urls.js
var component_urls = __nccwpck_require__(8877);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
;// CONCATENATED MODULE: ./.build/core/process.js
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
    const { spawn } = await Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 1421, 19));
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

;// CONCATENATED MODULE: ./.build/platforms/command/run.js
/**
 * command: the rollback is the user's own command (docker, pm2, kubectl\u2026). It runs under bash with
 * the target in its environment, its output streamed to the log, and a time limit. When the limit
 * is reached or the step is stopped (the run cancelled, Ctrl-C), the command and everything it
 * started are ended (runProcess: its own process group, SIGTERM, then SIGKILL 10 s later), so no
 * background job of it goes on acting on production after the step said it failed. Its output passes through the Log
 * like every other line, so a line it prints cannot act as a workflow command. An optional verify
 * command (`kubectl rollout status`, a health check) runs after it within the same time limit: the
 * rollback is done only when that passes too.
 *
 * The command can say it changed nothing, the GitHub Actions way (as GITHUB_OUTPUT): ROLLBACK_KIT_OUTCOME
 * names an empty file it may write `status=already-current` (and `to=<id>`, what serves) into. That
 * file is outside text: read up to a cap, only a regular file, every line checked; anything else is
 * ignored with a warning, and the outcome is rolled-back as when nothing is written.
 *
 * Unlike the platform providers, this one cannot tell whether the release in production was put
 * there by a rollback, so the rollback-cascade guard (notPutBackAgain) cannot apply: an automatic
 * run says so (NO_CASCADE_GUARD) and the command decides, through the outcome file.
 */






/** How many of a failed command's last lines are said again where its output was not shown (Log.failedOutput). */
const OUTPUT_TAIL_LINES = 20;
/** How long the command and what it started may take to end after SIGTERM (the limit, a stop) before SIGKILL. */
const KILL_AFTER_MS = 10_000;
/** The variable naming the file the command may write its outcome into. */
const OUTCOME_VARIABLE = 'ROLLBACK_KIT_OUTCOME';
/** Two short lines are all the file holds: anything longer is not an outcome. */
const OUTCOME_MAX_BYTES = 1024;
/** A deployment id, tag or image reference: no spaces, no control or Markdown characters. */
const OUTCOME_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,199}$/;
/** What an automatic run says: the rollback-cascade guard of the platform providers cannot apply here. */
const NO_CASCADE_GUARD = `The command provider cannot tell whether the release in production was put there by a rollback, so the rollback-cascade guard does not apply to this automatic run: the command rolls back as for any other. If the command can tell (its own record of rollbacks), have it write status=already-current to $${OUTCOME_VARIABLE} rather than roll back from a release a rollback put there.`;
/**
 * The outcome file's text: lines `status=rolled-back|already-current` and `to=<id>`, each at most
 * once; blank lines and a final newline are fine. No status line means rolled-back, as a command
 * that writes nothing does: `to=` alone says what serves after the rollback it made.
 */
function parseOutcome(text) {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (lines.length === 0)
        return { status: 'rolled-back' };
    const seen = new Map();
    for (const line of lines) {
        const m = /^(status|to)=(.*)$/.exec(line);
        if (!m)
            return { invalid: 'a line that is not status=\u2026 or to=\u2026' };
        if (seen.has(m[1]))
            return { invalid: `${m[1]} given twice` };
        seen.set(m[1], m[2]);
    }
    const status = seen.get('status') ?? 'rolled-back';
    if (status !== 'rolled-back' && status !== 'already-current')
        return { invalid: 'a status other than already-current or rolled-back' };
    const to = seen.get('to');
    if (to !== undefined && !OUTCOME_ID.test(to))
        return { invalid: 'a to= value that is not an id (letters, digits and ._:/@+=- only, at most 200)' };
    return { status, ...(to !== undefined ? { to } : {}) };
}
/** Reads the outcome file without ever blocking or filling memory: a regular file only, up to the cap. */
async function readOutcome(path) {
    let info;
    try {
        info = await (0,promises_namespaceObject.lstat)(path);
    }
    catch {
        // Removed by the command: nothing written.
        return { status: 'rolled-back' };
    }
    // A FIFO would block the read forever, a link could point anywhere.
    if (!info.isFile())
        return { invalid: 'not a regular file' };
    if (info.size > OUTCOME_MAX_BYTES)
        return { invalid: `larger than ${OUTCOME_MAX_BYTES} bytes` };
    const file = await (0,promises_namespaceObject.open)(path, external_node_fs_.constants.O_RDONLY | external_node_fs_.constants.O_NOFOLLOW | external_node_fs_.constants.O_NONBLOCK);
    try {
        const buffer = Buffer.alloc(OUTCOME_MAX_BYTES + 1);
        const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
        if (bytesRead > OUTCOME_MAX_BYTES)
            return { invalid: `larger than ${OUTCOME_MAX_BYTES} bytes` };
        const text = buffer.subarray(0, bytesRead).toString('utf8');
        // eslint-disable-next-line no-control-regex
        if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text))
            return { invalid: 'control characters' };
        return parseOutcome(text);
    }
    finally {
        await file.close();
    }
}
async function runRollbackCommand(opts, log) {
    const command = opts.command.trim();
    if (!command)
        throw new errors/* RollbackKitError */.dp('Input command is required when provider is command.', 'Set command to the shell command that rolls back, e.g. docker compose up -d app@"$ROLLBACK_TARGET".');
    const verify = opts.verifyCommand?.trim() || undefined;
    const vars = { ROLLBACK_TARGET: opts.target, ROLLBACK_FROM: opts.from ?? '', ROLLBACK_REASON: opts.reason ?? '' };
    log.info(`Rollback command (bash, limit ${opts.timeoutSeconds} s) with ROLLBACK_TARGET=${vars.ROLLBACK_TARGET}${opts.from ? ` ROLLBACK_FROM=${opts.from}` : ''}:`);
    // A URL written into the command (a connection string) is shown as its output's are.
    log.programLines()(`  ${command}`);
    if (verify) {
        log.info('Then the verify command, within the same limit:');
        log.programLines()(`  ${verify}`);
    }
    const unguarded = opts.automatic ? [NO_CASCADE_GUARD] : [];
    for (const note of unguarded)
        log.warning(note);
    if (opts.dryRun)
        return { status: 'dry-run', ...namedTarget(opts.target), verified: false, notes: [`Dry run: the command${verify ? ' and the verify command were' : ' was'} not run.`, ...unguarded] };
    // The command gets the runner's environment but not this step's inputs: those include tokens
    // it has no business reading (INPUT_VERCEL-TOKEN, INPUT_GITHUB-TOKEN).
    const env = {};
    for (const [k, v] of Object.entries(opts.baseEnv))
        if (v !== undefined && !k.startsWith('INPUT_'))
            env[k] = v;
    Object.assign(env, vars);
    // A fresh directory only this step uses (RUNNER_TEMP on a runner, which the job cleans up).
    const outcomeDir = await (0,promises_namespaceObject.mkdtemp)((0,external_node_path_.join)(opts.baseEnv.RUNNER_TEMP || (0,external_node_os_.tmpdir)(), 'rollback-kit-outcome-'));
    try {
        const outcomeFile = (0,external_node_path_.join)(outcomeDir, 'outcome');
        await (await (0,promises_namespaceObject.open)(outcomeFile, 'w', 0o600)).close();
        env[OUTCOME_VARIABLE] = outcomeFile;
        const result = await runWithOutcome(command, verify, outcomeFile, env, opts, log);
        return { ...result, notes: [...result.notes, ...unguarded] };
    }
    finally {
        await (0,promises_namespaceObject.rm)(outcomeDir, { recursive: true, force: true });
    }
}
async function runWithOutcome(command, verify, outcomeFile, env, opts, log) {
    const deadline = Date.now() + opts.timeoutSeconds * 1000;
    // The command changes production: not started once the run is stopped (change-guard.ts); started,
    // a stop ends it and what it started (runProcess), and it fails as stopped.
    opts.stop?.beforeChange('the rollback command');
    const ran = await runBash('the rollback command', command, opts.timeoutSeconds, env, opts, log);
    if ('timedOut' in ran) {
        throw new errors/* RollbackKitError */.dp(`The rollback command did not finish within ${opts.timeoutSeconds} s and was stopped, with everything it had started.`, 'Raise timeout-seconds, or make the command faster; check what it changed before re-running.');
    }
    if ('stopped' in ran) {
        throw new errors/* RollbackKitError */.dp('The rollback command was stopped before it finished, with everything it had started.', 'Check what it changed before re-running.');
    }
    const code = ran.code;
    if (code !== 0) {
        throw new errors/* RollbackKitError */.dp(`The rollback command exited with status ${code}.`, 'Its output is above; fix the cause and re-run the step.');
    }
    const outcome = await readOutcome(outcomeFile);
    if ('invalid' in outcome) {
        log.warning(`The rollback command's ${OUTCOME_VARIABLE} file was ignored (${outcome.invalid}): it may hold only the lines status=already-current or status=rolled-back, and to=<id>. The step reports rolled-back.`);
    }
    const said = 'invalid' in outcome ? { status: 'rolled-back' } : outcome;
    const to = said.to ?? namedTarget(opts.target).to;
    // Without a release to name, say what is known: what the command was given, and how it can tell.
    const unnamed = `it did not say which release serves now (it can: to=<id> in $${OUTCOME_VARIABLE})`;
    const notes = said.status === 'already-current'
        ? [`The rollback command finished (exit 0) and said through ${OUTCOME_VARIABLE} that nothing needed changing: ${to ? `${to} already serves` : `what served stays; ${unnamed}`}.`]
        : [to ? `The rollback command finished (exit 0) for target ${to}.` : `The rollback command finished (exit 0) with ROLLBACK_TARGET=${opts.target}; ${unnamed}.`];
    log.info(notes[0]);
    const result = { status: said.status, ...(to ? { to } : {}), exitCode: code };
    if (!verify)
        return { ...result, verified: false, notes };
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) {
        throw new errors/* RollbackKitError */.dp(`The rollback command used the whole ${opts.timeoutSeconds} s, so the verify command could not run: the rollback is not confirmed.`, 'Raise timeout-seconds and re-run the step.');
    }
    opts.stop?.check('the verify command');
    log.info(`Verify command (limit ${left} s):`);
    const verified = await runBash('the verify command', verify, left, env, opts, log);
    if ('stopped' in verified) {
        throw new errors/* RollbackKitError */.dp('The rollback command finished, but the verify command was stopped before it passed: the rollback is not confirmed.', 'Check the service now, then re-run the step.');
    }
    if ('timedOut' in verified) {
        throw new errors/* RollbackKitError */.dp(`The rollback command finished, but the verify command did not pass within the ${opts.timeoutSeconds} s limit and was stopped: the rollback is not confirmed.`, 'Check the service now; raise timeout-seconds if it needs longer to become healthy, then re-run the step.');
    }
    const verifyCode = verified.code;
    if (verifyCode !== 0) {
        throw new errors/* RollbackKitError */.dp(`The rollback command finished, but the verify command exited with status ${verifyCode}: the rollback is not confirmed.`, 'Its output is above; check the service now, fix the cause and re-run the step.');
    }
    notes.push('The verify command passed (exit 0).');
    log.info(notes[1]);
    return { ...result, verified: true, notes };
}
/** The target as a release's name, unless it is the keyword `previous`, which names none. */
function namedTarget(target) {
    const t = target.trim();
    return t && t.toLowerCase() !== 'previous' ? { to: t } : {};
}
/**
 * Runs `command`; when it fails (a status other than 0, or stopped), its last lines are said again
 * through Log.failedOutput under `what` ("the rollback command"), for a terminal that hid them.
 */
async function runBash(what, command, seconds, env, opts, log) {
    const tail = [];
    // What the user's script prints is theirs: a database URL or a signed link it echoes holds a
    // secret we were never given, so the log mask cannot know it (Log.programLines).
    const write = log.programLines();
    const line = (raw) => {
        const text = write(raw);
        tail.push(text);
        if (tail.length > OUTPUT_TAIL_LINES)
            tail.shift();
    };
    const ended = await runBashLines(command, seconds, env, opts, line);
    if (!('code' in ended && ended.code === 0) && tail.length)
        log.failedOutput(`The last ${tail.length === 1 ? 'line' : `${tail.length} lines`} of ${what}'s output:`, tail);
    return ended;
}
async function runBashLines(command, seconds, env, opts, line) {
    const out = lineBuffer(line);
    const err = lineBuffer(line);
    let result;
    try {
        // Its output reaches the log through our writer, line by line: what a deploy tool prints
        // (image labels, server messages) must not become a workflow command of this step. The command
        // gets only this environment (`env`), not ours.
        result = await runProcess('bash', ['-eo', 'pipefail', '-c', command], {
            cwd: opts.cwd,
            env,
            inheritEnv: false,
            timeoutMs: seconds * 1000,
            killGraceMs: KILL_AFTER_MS,
            signal: opts.stop?.signal,
            onStdout: out.write,
            onStderr: err.write,
        });
    }
    catch (error) {
        throw new errors/* RollbackKitError */.dp(`Could not start the rollback command: ${error.message}.`, 'The runner needs bash (Linux and macOS runners have it).');
    }
    out.flush();
    err.flush();
    if (result.timedOut)
        return { timedOut: true };
    if (opts.stop?.stopped)
        return { stopped: true };
    // Ended by a signal from elsewhere: the shell's convention, 128 + its number.
    return { code: result.code ?? 128 + (result.signal ? (external_node_os_.constants.signals[result.signal] ?? 0) : 0) };
}
/**
 * Whole lines out of a child's output chunks (already decoded); the last line is kept even without
 * a newline.
 */
function lineBuffer(emit) {
    let pending = '';
    return {
        write(chunk) {
            const lines = (pending + chunk).split('\n');
            pending = lines.pop() ?? '';
            for (const line of lines)
                emit(line);
        },
        flush() {
            if (pending)
                emit(pending);
            pending = '';
        },
    };
}

;// CONCATENATED MODULE: ./.build/core/blocked-port.js
/**
 * Node's fetch (undici) refuses to connect to the ports the Fetch standard blocks ("bad port": ports
 * of other protocols, such as 1, 7, 9, 6000, 6665-6669 and 10080). The refusal is decided by the URL
 * alone, before anything is sent, so it is no network failure: trying again cannot help, and the
 * only way on is another port. Every fetch rollback-kit makes (platform and GitHub API clients,
 * chat webhooks, smoke checks) tells it apart by this one classification. The artifact upload is
 * no fetch (github/artifact.ts): its client connects to these ports.
 */
/** Whether `err` is fetch's refusal of a blocked port: a TypeError whose cause says "bad port" (it carries no error code). */
function isBlockedPortError(err) {
    if (!(err instanceof TypeError))
        return false;
    const cause = err.cause;
    if (cause && cause.code !== undefined)
        return false;
    return (cause?.message ?? err.message) === 'bad port';
}
/** The port a URL names, or its scheme's default when it names none. */
function portOf(url) {
    return url.port || (url.protocol === 'https:' ? '443' : '80');
}
/** "Node's fetch refuses to connect to port 1 of 127.0.0.1 (\u2026)": the refusal, named, for any message. */
function blockedPortText(url) {
    return `Node's fetch refuses to connect to port ${portOf(url)} of ${url.hostname} (a port the Fetch standard blocks, "bad port")`;
}
/** What to do about it, for the setting that holds the URL. */
function blockedPortWay(setting) {
    return `Use another port in ${setting}: run the server, stand-in or proxy on one fetch allows (8080, say).`;
}

;// CONCATENATED MODULE: ./.build/core/read-body.js
/**
 * Reads an HTTP response body up to a byte cap. Node's `res.text()` / `res.json()` read whatever
 * arrives until the request's timeout: a proxy that answers with an endless or huge body would fill
 * the runner's memory first. Every body this project reads goes through here.
 */
/** The body as text, up to `maxBytes`; `cut` when the response had more (it is read no further). */
async function readCapped(res, maxBytes) {
    if (!res.body)
        return { text: '', cut: false };
    const reader = res.body.getReader();
    const chunks = [];
    let size = 0;
    let cut = false;
    for (;;) {
        const { done, value } = await reader.read();
        if (done)
            break;
        chunks.push(value);
        size += value.byteLength;
        if (size > maxBytes) {
            cut = true;
            // Stops the transfer: the connection is dropped rather than drained.
            await reader.cancel().catch(() => undefined);
            break;
        }
    }
    return { text: new TextDecoder().decode(Buffer.concat(chunks).subarray(0, maxBytes)), cut };
}

;// CONCATENATED MODULE: ./.build/platforms/http/retry.js
/**
 * When a failed platform API request is worth repeating, and how long to wait first. The rules follow
 * the Vercel CLI (and agree with flyctl and the Railway CLI: 5xx yes, 4xx never): 429 and 503 wait for `Retry-After` plus jitter (limits use one-minute buckets, so many
 * clients waking at once would collide again), other 5xx and network errors back off a few times,
 * every other 4xx is final.
 */
const DEFAULT_RETRY = {
    rateLimitRetries: 5,
    serverErrorRetries: 3,
    baseDelayMs: 500,
    jitterMs: 1000,
    maxDelayMs: 60_000,
};
/** `Retry-After` is seconds or an HTTP date; missing or unreadable counts as 0, as in the CLI. */
function parseRetryAfter(value, now = Date.now()) {
    if (!value)
        return 0;
    const trimmed = value.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed))
        return Math.round(Number(trimmed) * 1000);
    const at = Date.parse(trimmed);
    return Number.isNaN(at) ? 0 : Math.max(0, at - now);
}
/**
 * Whether an answer is a rate limit. GitHub documents two shapes besides 429: a 403 with
 * `x-ratelimit-remaining: 0` (the primary limit is used up) or with `Retry-After` (a secondary
 * limit), and secondary limits that say so only in their message. Such a 403 is a wait, not a
 * missing permission. The HTTP client and the incident issue share this one rule.
 */
function isRateLimit(status, headers, message = '') {
    if (status === 429)
        return true;
    return status === 403 && (headers.get('retry-after') !== null || headers.get('x-ratelimit-remaining') === '0' || /rate limit/i.test(message));
}
/**
 * How long a rate limit asks to wait: `Retry-After`, else until a used-up window resets
 * (`x-ratelimit-reset`, epoch seconds), else undefined (the caller's default: GitHub asks for at
 * least a minute, Vercel's CLI retries at once).
 */
function rateLimitWait(headers, now = Date.now()) {
    const retryAfter = headers.get('retry-after');
    if (retryAfter !== null)
        return parseRetryAfter(retryAfter, now);
    const reset = Number(headers.get('x-ratelimit-reset'));
    if (headers.get('x-ratelimit-remaining') === '0' && Number.isFinite(reset) && reset > 0)
        return Math.max(0, reset * 1000 - now);
    return undefined;
}
const waitsAsTold = (failure) => failure.kind === 'status' && (failure.rateLimitWaitMs !== undefined || failure.status === 429 || failure.status === 503);
/** The wait the server asked for (a rate limit's, or Retry-After of a 503, 0 when absent), or undefined for other failures. */
function askedWait(failure, now = Date.now()) {
    if (failure.kind !== 'status' || !waitsAsTold(failure))
        return undefined;
    return failure.rateLimitWaitMs ?? parseRetryAfter(failure.retryAfter, now);
}
/**
 * The wait before attempt number `attempt + 1` (attempt counts from 0), or undefined when the
 * failure is final. `maxWaitMs` bounds the wait (the policy's maxDelayMs unless the client knows
 * the time left before the step's deadline).
 */
function retryDelay(failure, attempt, policy, random = Math.random, maxWaitMs = policy.maxDelayMs) {
    const jitter = Math.floor(random() * policy.jitterMs);
    if (failure.kind === 'status' && waitsAsTold(failure)) {
        if (attempt >= policy.rateLimitRetries)
            return undefined;
        return Math.min(askedWait(failure) + jitter, maxWaitMs);
    }
    if (failure.kind === 'network' || failure.status >= 500) {
        if (attempt >= policy.serverErrorRetries)
            return undefined;
        return Math.min(policy.baseDelayMs * 2 ** attempt + jitter, maxWaitMs);
    }
    return undefined;
}

;// CONCATENATED MODULE: ./.build/platforms/http/client.js
/**
 * A small JSON-over-HTTP client for platform APIs on Node's fetch: fixed auth headers, a timeout on
 * every call, the shared retry rules (429/503 after Retry-After, other 5xx and network errors with
 * backoff, other 4xx never), no redirect followed (a GitHub client: only on the API's own origin),
 * every body read up to a cap (MAX_API_BODY_BYTES), and error bodies read defensively. It returns parsed JSON as
 * `unknown`: callers read only the fields they need. The caller registers its token with the log
 * before building the headers, so no retry line can print it.
 */




const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/**
 * The most of one answer read: a page of deployments is tens of KB, but a page of 100 GitHub issues
 * may carry bodies of up to 65,536 characters each (up to ~26 MB) and a Fly app's machine list grows
 * with its machines; past 32 MB it is a proxy or a misconfigured api-url, not the platform, and
 * reading on would only fill memory.
 */
const MAX_API_BODY_BYTES = 32 * 1024 * 1024;
/** The platform answered with a non-2xx status (after any retries). */
class HttpApiError extends Error {
    service;
    status;
    code;
    serverMessage;
    request;
    constructor(service, status, code, serverMessage, request) {
        super(`${request} answered ${status}${code ? ` ${code}` : ''}: ${serverMessage}`);
        this.service = service;
        this.status = status;
        this.code = code;
        this.serverMessage = serverMessage;
        this.request = request;
        this.name = 'HttpApiError';
    }
    /** The answer was a rate limit (retry.ts isRateLimit), whatever its status: a wait, not a refusal. */
    rateLimited = false;
}
/** A 403 rate limit without a stated wait: GitHub asks for at least a minute. */
const UNSTATED_403_WAIT_MS = 60_000;
/** A request cut short by the step's deadline: a listing that read pages before it has its own, fuller, message. */
class OutOfTime extends errors/* RollbackKitError */.dp {
}
/**
 * The server asked for a wait the caller will not make: longer than longestWaitMs, or than what is
 * left of the step's deadline. `last` is the answer that asked for it.
 */
class WaitTooLong extends errors/* RollbackKitError */.dp {
    last;
    askedMs;
    because;
    constructor(message, hint, last, askedMs, because) {
        super(message, hint);
        this.last = last;
        this.askedMs = askedMs;
        this.because = because;
    }
}
/** Redirects followed on the API's own origin before the answer counts as a refusal. */
const MAX_REDIRECTS = 5;
/** An answer larger than MAX_API_BODY_BYTES: read no further, and not retried (the same address would send it again). */
class BodyTooLarge extends errors/* RollbackKitError */.dp {
}
/** The API URL's port is one Node's fetch refuses to use: nothing was sent, and it is not retried. */
class BlockedPort extends errors/* RollbackKitError */.dp {
}
/** `label` (GET /v9/projects/shop) to `service` could not be sent: `url`'s port is one fetch refuses (core/blocked-port.ts); `setting` holds the URL. */
function blockedPortError(service, label, url, setting) {
    return new BlockedPort(`${service}: ${label} could not be sent: ${blockedPortText(url)}. Nothing went out, and trying again cannot help, so it was not retried.`, blockedPortWay(setting));
}
/** The platform could not be reached, or did not answer within the request timeout. */
class HttpNetworkError extends Error {
    host;
    underlying;
    timedOut;
    constructor(host, underlying, timedOut) {
        super(timedOut ? `no answer from ${host} in time` : `cannot reach ${host}: ${underlying?.message ?? String(underlying)}`);
        this.host = host;
        this.underlying = underlying;
        this.timedOut = timedOut;
        this.name = 'HttpNetworkError';
    }
}
/** What of an error body a message quotes: enough to explain, never a dump. */
const MAX_ERROR_TEXT = 300;
const client_sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const str = (v) => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined);
/**
 * Error bodies differ by platform and even by endpoint: `{error:{code,message}}` and `{err:{\u2026}}`
 * (Vercel), `{error:"\u2026"}` (Fly Machines), `{code,message}` (Netlify), `{id,message}` (Render),
 * `{errors:[{message}]}` (GraphQL), or plain text / HTML from a proxy.
 */
function readErrorBody(text, log) {
    // Redact, then cut: a cut first would leave a prefix of an echoed token that no longer matches it.
    const quote = (t, max = MAX_ERROR_TEXT) => log.excerpt(t.replace(/\s+/g, ' ').trim(), max);
    try {
        const parsed = JSON.parse(text);
        const inner = (parsed?.error ?? parsed?.err);
        const code = (v) => (str(v) === undefined ? undefined : quote(str(v), 100));
        if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
            const o = inner;
            return { code: code(o.code), message: quote(str(o.message) ?? JSON.stringify(o)), inner: o };
        }
        if (typeof inner === 'string')
            return { code: code(parsed.code), message: quote(inner) };
        if (Array.isArray(parsed?.errors) && parsed.errors.length) {
            const messages = parsed.errors.map((e) => str(e?.message) ?? JSON.stringify(e));
            return { message: quote(messages.join('; '), 500) };
        }
        if (typeof parsed?.message === 'string')
            return { code: code(parsed.code), message: quote(parsed.message) };
    }
    catch {
        // not JSON: fall through to the text itself
    }
    return { message: quote(text) || '(empty body)' };
}
class HttpClient {
    opts;
    service;
    base;
    retry;
    timeoutMs;
    wait;
    random;
    constructor(opts) {
        this.opts = opts;
        this.service = opts.service;
        this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
        this.retry = { ...DEFAULT_RETRY, ...opts.retry };
        this.timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
        this.wait = opts.stop ? opts.stop.sleep(opts.sleep ?? client_sleep) : (opts.sleep ?? client_sleep);
        this.random = opts.random ?? Math.random;
    }
    get host() {
        return this.base.host;
    }
    /** Replaces every registered secret in text that came from the platform. */
    redact(text) {
        return this.opts.log.redact(text);
    }
    /**
     * Paths are relative to the base URL (its own path kept), so a proxy prefix survives; an empty
     * path is the base URL exactly as given (a GraphQL endpoint).
     */
    url(path, query = {}) {
        const url = path ? new URL(path.replace(/^\//, ''), this.base) : new URL(this.opts.baseUrl);
        for (const [k, v] of Object.entries({ ...query, ...this.opts.scope?.() }))
            if (v !== undefined)
                url.searchParams.set(k, String(v));
        return url;
    }
    /**
     * `path` is relative to the base URL, or a whole URL on the API's own origin (a Link header's next
     * page): the headers, with the token, are never sent anywhere else.
     *
     * `cut`: once aborted, the request ends where it is (its answer, a retry's wait) and throws the
     * abort's reason: a stopped run's report (report/incident.ts) is not awaited past its bound.
     * `noRetryAfter`: once aborted, a failed attempt is not retried (its failure is thrown), and a
     * retry's wait ends with it: after a stop, one attempt.
     */
    async request(method, path, opts = {}) {
        const url = typeof path === 'string' ? this.url(path, opts.query) : path;
        if (url.origin !== this.base.origin)
            throw new errors/* RollbackKitError */.dp(`${this.service}: a request to ${url.origin} was refused, as it is not the API's own ${this.base.origin}.`, 'This is a bug in rollback-kit: please report it.');
        const label = `${method} ${url.pathname}`;
        // A write (a POST that is not a GraphQL query: `reads`) may change production: after the stop it
        // is not sent, nor sent again; once sent, its answer is awaited (the platform has it already).
        const changes = !opts.reads && method !== 'GET' && method !== 'HEAD';
        const stop = this.opts.stop;
        const bound = opts.cut;
        for (let attempt = 0;; attempt++) {
            if (bound?.aborted)
                throw bound.reason;
            if (changes && attempt === 0)
                stop?.beforeChange(`${label} to ${this.service}`);
            else
                stop?.check(label);
            let failure;
            let lastError;
            // The answer is not awaited past the step's deadline. A request made once it has passed (a
            // wait's last look) is the caller's choice, and gets the request timeout.
            const before = this.opts.deadline?.left();
            const cut = before !== undefined && before > 0 && before < this.timeoutMs;
            try {
                const timeout = AbortSignal.timeout(cut ? Math.ceil(before) : this.timeoutMs);
                const ends = changes || !stop ? timeout : stop.readSignal(timeout);
                const res = await this.send(method, url, label, opts, bound ? AbortSignal.any([ends, bound]) : ends);
                const { text: raw, cut: overCap } = await readCapped(res, MAX_API_BODY_BYTES);
                // An error body is only quoted (its first few hundred characters): what was read is enough.
                if (overCap && res.ok)
                    throw this.tooLarge(label);
                if (res.ok) {
                    let data = undefined;
                    if (raw.trim()) {
                        try {
                            data = JSON.parse(raw);
                        }
                        catch {
                            data = raw;
                        }
                    }
                    return { status: res.status, data, headers: res.headers };
                }
                // Some APIs echo what they were sent; an error message must never carry the token on.
                const text = this.redact(raw);
                const apiError = this.opts.apiError ? this.opts.apiError(res.status, text, label) : defaultApiError(this.service, res.status, text, label, this.opts.log);
                apiError.rateLimited = isRateLimit(res.status, res.headers, apiError.serverMessage);
                lastError = apiError;
                failure = {
                    kind: 'status',
                    status: res.status,
                    retryAfter: res.headers.get('retry-after'),
                    rateLimitWaitMs: apiError.rateLimited ? (rateLimitWait(res.headers) ?? (res.status === 403 ? UNSTATED_403_WAIT_MS : 0)) : undefined,
                };
            }
            catch (err) {
                if (bound?.aborted)
                    throw bound.reason;
                if (err instanceof errors/* RollbackKitError */.dp)
                    throw err;
                // A read ended by the stop: nothing more is asked of the platform.
                if (!changes)
                    stop?.check(label);
                const timedOut = err?.name === 'TimeoutError' || err?.name === 'AbortError';
                if (timedOut && cut)
                    throw this.outOfTime(label);
                // Refused by fetch itself for the URL's port: nothing was sent, and no retry could send it.
                if (isBlockedPortError(err))
                    throw this.blockedPort(label, url);
                lastError = new HttpNetworkError(this.base.host, err?.cause ?? err, timedOut);
                failure = { kind: 'network' };
            }
            const left = this.opts.deadline?.left();
            const asked = askedWait(failure);
            const secs = (ms) => `${Math.ceil(ms / 1000)} s`;
            if (this.opts.longestWaitMs !== undefined && asked !== undefined && asked > this.opts.longestWaitMs && attempt < this.retry.rateLimitRetries) {
                throw new WaitTooLong(`${this.service} asked to wait ${secs(asked)} before ${label} again (${lastError.message}), longer than the ${secs(this.opts.longestWaitMs)} this step waits.`, 'Re-run the step once the limit has reset.', lastError, asked, 'longest-wait');
            }
            if (left !== undefined && asked !== undefined && asked > left && attempt < this.retry.rateLimitRetries) {
                throw new WaitTooLong(`${this.service} asked to wait ${secs(asked)} (${failure.kind === 'status' && failure.retryAfter === null ? 'until its rate limit resets' : 'Retry-After'}) before ${label} again (${lastError.message}), but only ${secs(left)} of ${this.opts.deadline.input} (${this.opts.deadline.seconds} s) are left.`, `Wait ${secs(asked)}, then re-run the step (it is safe to repeat), or raise ${this.opts.deadline.input}.`, lastError, asked, 'deadline');
            }
            const once = opts.noRetryAfter;
            const delay = (left === undefined || left > 0) && !once?.aborted ? retryDelay(failure, attempt, this.retry, this.random, left) : undefined;
            if (delay === undefined)
                throw lastError;
            // Progress, which a terminal shows without --verbose: a platform that does not answer would
            // otherwise hold a phase silent for every attempt's request timeout.
            const attempts = 1 + (asked !== undefined ? this.retry.rateLimitRetries : this.retry.serverErrorRetries);
            const what = lastError instanceof HttpNetworkError && lastError.timedOut ? `${this.service} has not answered ${label} in ${+(this.timeoutMs / 1000).toFixed(1)} s` : `${this.service}: ${lastError.message}`;
            this.opts.log.progress(`${what}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 2} of ${attempts}).`);
            const ends = [bound, once].filter((s) => !!s);
            await (ends.length ? untilAborted(this.wait(delay), ends.length > 1 ? AbortSignal.any(ends) : ends[0]) : this.wait(delay));
            if (once?.aborted)
                throw lastError;
        }
    }
    /**
     * One answer to `method url`, after any redirects this client follows (redirects: same-origin):
     * to the API's own origin only, at most MAX_REDIRECTS, and a write only by 307/308, which keep
     * its method and body (a 301/302/303 would turn it into a GET that reads instead of writing).
     */
    async send(method, url, label, opts, signal) {
        let current = url;
        for (let hop = 0;; hop++) {
            const res = await fetch(current, {
                method,
                headers: {
                    // A client's own headers may ask for a media type of its own (GitHub's application/vnd.github+json).
                    Accept: 'application/json',
                    ...this.opts.headers,
                    ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
                    ...opts.headers,
                },
                body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
                // fetch drops Authorization on a redirect to another origin, but not a token in another
                // header (Railway's Project-Access-Token): fetch follows no redirect, this client decides.
                redirect: 'manual',
                signal,
            });
            if (res.status < 300 || res.status >= 400)
                return res;
            await res.body?.cancel().catch(() => undefined);
            const next = this.opts.redirects === 'same-origin' && hop < MAX_REDIRECTS ? this.followable(res, current, method) : undefined;
            if (!next)
                throw this.redirected(res, current, label);
            current = next;
        }
    }
    followable(res, from, method) {
        const keepsMethod = res.status === 307 || res.status === 308;
        if (!keepsMethod && !((res.status === 301 || res.status === 302 || res.status === 303) && (method === 'GET' || method === 'HEAD')))
            return undefined;
        try {
            const to = new URL(res.headers.get('location') ?? '', from);
            return res.headers.get('location') && to.origin === this.base.origin ? to : undefined;
        }
        catch {
            return undefined;
        }
    }
    /** No answer to `label` before the step's deadline. */
    outOfTime(label) {
        const { input, seconds } = this.opts.deadline;
        return new OutOfTime(`${this.service} did not answer ${label} (${this.host}) before the step's deadline: ${input} (${seconds} s) ran out.`, `Check that ${this.host} is reachable and answering, then re-run the step (it is safe to repeat), or raise ${input}.`);
    }
    /** The API URL's port is one fetch never connects to (core/blocked-port.ts): said at once, not retried. */
    blockedPort(label, url) {
        return blockedPortError(this.service, label, url, 'the API URL (api-url, machines-api-url, registry-url or GITHUB_API_URL)');
    }
    /** Names the host and the path, never the query string (Vercel's teamId, a registry's scope) nor a header. */
    tooLarge(label) {
        return new BodyTooLarge(`${this.service} (${this.host}) answered ${label} with a body larger than ${MAX_API_BODY_BYTES / 1024 / 1024} MB, which was read no further: no platform API answers this much, so something between the runner and the API (a proxy, a wrong API URL) is answering instead.`, `Check that the API URL (api-url, machines-api-url, registry-url or GITHUB_API_URL) points at the platform's API and that no proxy rewrites its answers, then re-run the step.`);
    }
    redirected(res, from, label) {
        let where = 'an address it did not give';
        try {
            const to = new URL(res.headers.get('location') ?? '', from);
            where = to.origin === from.origin ? `${to.pathname} on the same host` : to.origin;
        }
        catch {
            // an unreadable Location: named as missing
        }
        const rule = this.opts.redirects === 'same-origin' ? 'API requests follow a redirect only on the API\'s own host (a write only by 307 or 308), and at most 5' : 'API requests never follow a redirect';
        return new errors/* RollbackKitError */.dp(`${this.service} answered ${label} with a redirect (${res.status}) to ${this.redact(where)}. ${rule}, so the token goes nowhere but the API URL given.`, `Check the API URL (api-url, machines-api-url, registry-url or GITHUB_API_URL): set it to the address the API answers on itself, if you trust that address.`);
    }
    async get(path, query = {}) {
        return (await this.request('GET', path, { query })).data;
    }
}
/** `work`, or as soon as `signal` is aborted, whichever comes first (the caller then looks at the signal). */
async function untilAborted(work, signal) {
    if (signal.aborted)
        return;
    let onAbort = () => undefined;
    const aborted = new Promise((resolve) => {
        onAbort = resolve;
        signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
        await Promise.race([work, aborted]);
    }
    finally {
        signal.removeEventListener('abort', onAbort);
    }
}
function defaultApiError(service, status, text, request, log) {
    const body = readErrorBody(text, log);
    return new HttpApiError(service, status, body.code, body.message, request);
}

;// CONCATENATED MODULE: ./.build/platforms/http/graphql.js
/** The server answered 200 with `errors` (and maybe partial data): the operation did not happen. */
class GraphQLError extends Error {
    service;
    messages;
    code;
    operation;
    constructor(service, messages, 
    /** `extensions.code` of the first error when given (NOT_FOUND, UNAUTHENTICATED, \u2026). */
    code, operation) {
        super(`${service} ${operation} failed: ${messages.join('; ')}`);
        this.service = service;
        this.messages = messages;
        this.code = code;
        this.operation = operation;
        this.name = 'GraphQLError';
    }
}
async function graphql(client, path, operation, query, variables = {}) {
    // A query only reads; a mutation changes production (change-guard.ts: not sent after a stop).
    const res = await client.request('POST', path, { body: { query, variables }, reads: !/^\s*mutation\b/.test(query) });
    const body = (res.data && typeof res.data === 'object' ? res.data : {});
    if (Array.isArray(body.errors) && body.errors.length > 0) {
        const errors = body.errors;
        const messages = errors.map((e) => client.redact(typeof e?.message === 'string' ? e.message : JSON.stringify(e)).slice(0, 300));
        const ext = errors[0]?.extensions;
        throw new GraphQLError(client.service, messages, typeof ext?.code === 'string' ? ext.code : undefined, operation);
    }
    const data = body.data;
    if (!data || typeof data !== 'object')
        throw new GraphQLError(client.service, ['the answer carried no data'], undefined, operation);
    return data;
}

// EXTERNAL MODULE: ./.build/core/sentence.js
var sentence = __nccwpck_require__(7823);
;// CONCATENATED MODULE: ./.build/platforms/http/errors.js
/**
 * Turns a failed platform call into the one line the on-call engineer reads: what we were doing,
 * the status mapped to its likely cause, the platform's own words, and the next step. Built only
 * from the platform's answer and names we chose, never from the token.
 */




const PLATFORM_API = { name: 'the platform API', urlSetting: 'api-url' };
/** A response that lacks what we cannot do without (an id): the API is not the one we expect. */
class UnexpectedShape extends Error {
    constructor(what) {
        super(`unexpected shape of ${what}`);
        this.name = 'UnexpectedShape';
    }
}
const SAFE = 'Re-running the step is safe.';
function platformError(err, ctx) {
    if (err instanceof errors/* RollbackKitError */.dp)
        return err;
    const api = ctx.api ?? PLATFORM_API;
    if (err instanceof HttpNetworkError) {
        return new errors/* RollbackKitError */.dp((0,sentence/* sentence */.em)(`${api.name} could not be reached while ${ctx.doing}: ${err.message} (retried).`), `Check the runner network and ${api.urlSetting}. ${SAFE}`);
    }
    if (err instanceof UnexpectedShape) {
        return new errors/* RollbackKitError */.dp(`The API answered with an ${err.message} while ${ctx.doing}.`, `Check that ${api.urlSetting} points at ${api.name}.`);
    }
    if (err instanceof GraphQLError) {
        const said = `${err.service} said: "${err.messages.join('; ')}".`;
        const text = err.messages.join(' ').toLowerCase();
        if (err.code === 'UNAUTHENTICATED' || /not authori[sz]ed|unauthori[sz]ed|invalid token|authenticat/.test(text)) {
            return new errors/* RollbackKitError */.dp(`${err.service} rejected the token while ${ctx.doing}. ${said}`, `Check the ${ctx.tokenInput} secret: it may be expired, revoked, empty, or of a kind without access to this project.`);
        }
        if (err.code === 'NOT_FOUND' || /not found|could not find|does not exist/.test(text)) {
            return new errors/* RollbackKitError */.dp(`${ctx.notFound} was not found while ${ctx.doing}. ${said}`, ctx.notFoundHint);
        }
        return new errors/* RollbackKitError */.dp(`${err.service} refused the request while ${ctx.doing}. ${said}`, `Check the inputs and the platform dashboard. ${SAFE}`);
    }
    if (!(err instanceof HttpApiError))
        return err instanceof Error ? err : new Error(String(err));
    const said = err.serverMessage ? ` ${err.service} said: "${err.serverMessage}".` : '';
    if (err.rateLimited) {
        return new errors/* RollbackKitError */.dp(`${err.service} kept rate-limiting the requests (${err.status}) while ${ctx.doing}.${said}`, `Wait for the limit to reset and re-run the step; it is safe to repeat.`);
    }
    switch (err.status) {
        case 401:
            return new errors/* RollbackKitError */.dp(`${err.service} rejected the token (401) while ${ctx.doing}.${said}`, `Check the ${ctx.tokenInput} secret: it may be expired, revoked or empty.`);
        case 403:
            return new errors/* RollbackKitError */.dp(`${err.service} refused access (403) while ${ctx.doing}.${said}`, `Check that the ${ctx.tokenInput} secret has access to it (a token scoped to another app, project or team is refused).`);
        case 404:
            return new errors/* RollbackKitError */.dp(`${ctx.notFound} was not found (404) while ${ctx.doing}.${said}`, ctx.notFoundHint);
        case 409:
        case 422:
            return new errors/* RollbackKitError */.dp(`${err.service} refused the change (${err.status}) while ${ctx.doing}.${said}`, `Another deploy or rollback may be running: check the platform dashboard, then re-run the step.`);
        default:
            if (err.status >= 500) {
                return new errors/* RollbackKitError */.dp(`${err.service} failed with ${err.status} while ${ctx.doing}, after retries.${said}`, `${ctx.statusPage ? `Check ${ctx.statusPage} and re-run` : 'Re-run'} the step; it is safe to repeat.`);
            }
            return new errors/* RollbackKitError */.dp(`${err.service} answered ${err.status} while ${ctx.doing}.${said}`, `Check the inputs. ${SAFE}`);
    }
}
/** Runs one platform call and maps its failure with the given context. */
async function calling(ctx, fn) {
    try {
        return await fn();
    }
    catch (err) {
        throw platformError(err, ctx);
    }
}

;// CONCATENATED MODULE: ./.build/platforms/http/read.js
/**
 * Tolerant readers for platform JSON: a field is used only when it has the expected type, so an
 * API that adds, drops or retypes a field degrades to "unknown" instead of a crash.
 */
/** A plain object, or undefined (arrays and null are not objects here). */
const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : undefined);
/** A non-empty string, or undefined. */
const read_str = (v) => (typeof v === 'string' && v ? v : undefined);

;// CONCATENATED MODULE: ./.build/platforms/fly/model.js
/**
 * The fields of Fly releases and machines a rollback needs, read tolerantly: unknown fields
 * ignored, unknown statuses kept; a release without a version or a machine without an id is the
 * only parse error.
 */


function parseRelease(raw) {
    const o = obj(raw);
    const version = typeof o?.version === 'number' ? o.version : Number(o?.version);
    if (!o || !Number.isInteger(version))
        throw new UnexpectedShape('a Fly release');
    return {
        id: read_str(o.id) ?? `v${version}`,
        version,
        status: (read_str(o.status) ?? 'unknown').toLowerCase(),
        stable: o.stable === true,
        imageRef: read_str(o.imageRef) ?? read_str(o.image_ref),
        createdAt: read_str(o.createdAt) ?? read_str(o.created_at),
    };
}
function parseMachine(raw) {
    const o = obj(raw);
    const id = read_str(o?.id);
    if (!o || !id)
        throw new UnexpectedShape('a Fly machine');
    const config = obj(o.config) ?? {};
    return { id, name: read_str(o.name), state: read_str(o.state) ?? 'unknown', region: read_str(o.region), instanceId: read_str(o.instance_id), config, image: read_str(config.image) };
}
/**
 * The note a rollback leaves in each machine's metadata: the images it moved the machine off as
 * bad, newest last. Updating machines creates no Fly release, so once the next deploy ships,
 * nothing in the release list says the rolled-back release was bad; without the note, `previous`
 * would put it back. flyctl's deploy starts from each machine's own config and only sets its
 * `fly_` keys, so the note survives it.
 */
const ROLLED_BACK_FROM_KEY = 'rollback_kit_rolled_back_from';
/** Images kept in the note: enough for a run of bad releases, short enough for a metadata value. */
const ROLLED_BACK_FROM_KEPT = 5;
/** Every image the machines' notes say production was rolled back from. */
function rolledBackFrom(machines) {
    const out = new Set();
    for (const m of machines) {
        const note = obj(m.config.metadata)?.[ROLLED_BACK_FROM_KEY];
        if (typeof note === 'string')
            for (const image of note.split(/\s+/))
                if (image)
                    out.add(image);
    }
    return out;
}
/** The machine's config with the note updated for a rollback to `target`: `from` added, `target` dropped (it was chosen on purpose). */
function withRollbackNote(config, from, target) {
    const metadata = { ...obj(config.metadata) };
    const earlier = typeof metadata[ROLLED_BACK_FROM_KEY] === 'string' ? metadata[ROLLED_BACK_FROM_KEY].split(/\s+/) : [];
    const images = [...earlier.filter((i) => i && !from.includes(i)), ...from].filter((i) => i !== target).slice(-ROLLED_BACK_FROM_KEPT);
    if (images.length)
        metadata[ROLLED_BACK_FROM_KEY] = images.join(' ');
    else
        delete metadata[ROLLED_BACK_FROM_KEY];
    // A config that had no metadata and gets no note is sent as it was read.
    return config.metadata === undefined && !images.length ? config : { ...config, metadata };
}
const RELEASE_DONE = new Set(['complete', 'completed', 'succeeded', 'success']);
const describeRelease = (r) => `v${r.version} (${r.id}, ${r.status}${r.stable ? ', stable' : ''}${r.imageRef ? `, image ${r.imageRef}` : ''})`;
/** An image reference split for the registry API: host, repository and tag or digest. */
function splitImage(ref) {
    const at = ref.indexOf('@');
    let name = ref;
    let reference;
    if (at >= 0) {
        name = ref.slice(0, at);
        reference = ref.slice(at + 1);
    }
    else {
        const colon = ref.lastIndexOf(':');
        if (colon > ref.lastIndexOf('/')) {
            name = ref.slice(0, colon);
            reference = ref.slice(colon + 1);
        }
    }
    const slash = name.indexOf('/');
    const first = slash >= 0 ? name.slice(0, slash) : '';
    const hasHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
    const repository = hasHost ? name.slice(slash + 1) : name;
    if (!repository)
        return undefined;
    return { host: hasHost ? first : undefined, repository, reference: reference ?? 'latest' };
}

// EXTERNAL MODULE: ./.build/core/secrets.js
var secrets = __nccwpck_require__(9205);
;// CONCATENATED MODULE: ./.build/platforms/listing.js
/**
 * How long a provider may spend paging through its list of releases or deploys: the step's
 * timeout-seconds, not a page count, so a last good one however far back is found when there is
 * time to reach it, and a listing that never ends still ends. The time is the step's own deadline
 * (StepDeadline), the one clock of the search for the target that bounds its retries too, so the
 * listing cannot outlive the search it belongs to.
 */



function listingBound(deadline, what) {
    return { deadline, what };
}
/** Past the deadline with a page read: the listing's time has run out. The first page is always asked for. */
function pastDeadline(bound, pagesRead) {
    return !!bound && pagesRead > 0 && bound.deadline.left() === 0;
}
/** Before each page after the first: past the deadline, a clear error saying how far it got. */
function checkListingTime(bound, pagesRead) {
    if (pastDeadline(bound, pagesRead))
        throw outOfListingTime(bound, pagesRead);
}
/**
 * One page, asked for only in time; undefined when the listing's time has run out, before the page
 * or while it was on its way (the client cuts each request to the time left). The first page is
 * always asked for, and its request failing is that failure, not the listing's time running out.
 */
async function pageInTime(bound, pagesRead, read) {
    if (pastDeadline(bound, pagesRead))
        return undefined;
    try {
        return { page: await read() };
    }
    catch (err) {
        if (bound && pagesRead > 0 && err instanceof OutOfTime)
            return undefined;
        throw err;
    }
}
/** One page, as pageInTime; the listing's time running out is a clear error saying how far it got. */
async function listingPage(bound, pagesRead, read) {
    const got = await pageInTime(bound, pagesRead, read);
    if (!got)
        throw outOfListingTime(bound, pagesRead);
    return got.page;
}
function outOfListingTime(bound, pagesRead) {
    return new errors/* RollbackKitError */.dp(`Listing ${bound.what} took longer than ${bound.deadline.input} (${bound.deadline.seconds} s): ${pagesRead} page(s) read, and the list goes on.`, `Raise ${bound.deadline.input} to look further back, or name the target to return to.`);
}
/** What a message quotes of a cursor: enough to recognise it (a longer one is cut to 40 characters and an ellipsis). */
const CURSOR_SHOWN = 41;
/**
 * Stops a listing whose API hands out a page it has given before (the same cursor again, or for
 * page-number paging the same page content), which would otherwise go round until timeout-seconds
 * and then blame the length of the list. Every paginated listing shares it: releases, deploys,
 * deployments, commit statuses.
 */
class PageGuard {
    what;
    seen = new Set();
    pages = 0;
    constructor(what) {
        this.what = what;
    }
    /** Records the page just read by its next cursor (or, with page numbers, by what it held). */
    check(key, kind = 'cursor') {
        this.pages++;
        if (this.seen.has(key))
            this.stuck(kind === 'cursor' ? `the same next-page cursor (${(0,secrets/* clip */.$Q)(key, CURSOR_SHOWN)}) as an earlier page` : 'a page it had already given');
        this.seen.add(key);
    }
    /** Ends the listing: the API's paging went wrong in the way `how` says. */
    stuck(how) {
        throw new errors/* RollbackKitError */.dp(`Listing ${this.what} stopped after ${this.pages} page(s): the API answered with ${how}, so the list would never end.`, 'Name the target to return to instead; if api-url points at a proxy, check that it passes the paging parameters on.');
    }
}

;// CONCATENATED MODULE: ./.build/platforms/fly/api.js




const FLY_API_URL = 'https://api.fly.io';
const FLY_MACHINES_API_URL = 'https://api.machines.dev';
/** Fly's own registry: the only host the Fly token goes to unasked (registry-url names any other). */
const FLY_REGISTRY_HOST = 'registry.fly.io';
function flyClients(opts) {
    opts.log.secret(opts.token);
    const common = { log: opts.log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep: opts.sleep, deadline: opts.deadline, stop: opts.stop };
    const bearer = { Authorization: `Bearer ${opts.token}` };
    // The registry takes the same token as a password (as `flyctl auth docker` sets it up).
    const basic = `Basic ${Buffer.from(`x:${opts.token}`).toString('base64')}`;
    opts.log.secret(basic.slice('Basic '.length));
    return {
        api: new HttpClient({ service: 'Fly', baseUrl: opts.apiUrl || FLY_API_URL, headers: bearer, ...common }),
        machines: new HttpClient({ service: 'Fly Machines', baseUrl: opts.machinesApiUrl || FLY_MACHINES_API_URL, headers: bearer, ...common }),
        registry: (host) => {
            // An image may name any registry (ghcr.io, docker.io, a vendor's): the Fly token is a
            // credential for Fly's registry alone, so another host is asked without it.
            const withToken = !!opts.registryUrl || (host ?? FLY_REGISTRY_HOST).toLowerCase() === FLY_REGISTRY_HOST;
            const baseUrl = opts.registryUrl || `https://${host ?? FLY_REGISTRY_HOST}`;
            return { client: new HttpClient({ service: 'Fly registry', baseUrl, headers: withToken ? { Authorization: basic } : {}, ...common }), withToken };
        },
    };
}
const RELEASE_PAGE = 50;
/** Releases, newest first, one page per iteration, for as long as `bound` allows. */
async function* releases(c, app, bound) {
    const guard = new PageGuard(`the releases of app ${app}`);
    let after;
    for (let page = 0;; page++) {
        const data = await listingPage(bound, page, () => graphql(c.api, 'graphql', 'releases', `query releases($app: String!, $first: Int, $after: String) {
        app(name: $app) { releasesUnprocessed(first: $first, after: $after) { nodes { id version status imageRef stable createdAt } pageInfo { hasNextPage endCursor } } }
      }`, { app, first: RELEASE_PAGE, after }));
        const conn = data.app?.releasesUnprocessed;
        const list = (conn?.nodes ?? []).map(parseRelease).sort((a, b) => b.version - a.version);
        yield list;
        if (!conn?.pageInfo?.hasNextPage || !conn.pageInfo.endCursor || list.length === 0)
            return;
        guard.check(conn.pageInfo.endCursor);
        after = conn.pageInfo.endCursor;
    }
}
const appPath = (app) => `/v1/apps/${encodeURIComponent(app)}/machines`;
async function listMachines(c, app) {
    const data = await c.machines.get(appPath(app));
    return (Array.isArray(data) ? data : []).map(parseMachine);
}
/**
 * Sends the machine's full config (as read, or with the rollback note: model.ts) with only the image
 * changed; Fly gives it a new instance.
 */
async function updateImage(c, app, m, image, skipLaunch, config = m.config) {
    const res = await c.machines.request('POST', `${appPath(app)}/${encodeURIComponent(m.id)}`, { body: { config: { ...config, image }, ...(skipLaunch ? { skip_launch: true } : {}) } });
    return parseMachine(res.data);
}
/**
 * One bounded wait for a machine instance to reach a state. True when it did, false when Fly's
 * wait timed out (408) and the caller should ask again.
 */
async function waitForState(c, app, machineId, instanceId, state, timeoutSeconds) {
    try {
        await c.machines.request('GET', `${appPath(app)}/${encodeURIComponent(machineId)}/wait`, { query: { state, timeout: timeoutSeconds, instance_id: instanceId } });
        return true;
    }
    catch (err) {
        if (err instanceof HttpApiError && err.status === 408)
            return false;
        throw err;
    }
}
/**
 * Asks the registry for the image's manifest (Docker Registry HTTP API v2). A registry other than
 * Fly's is asked without credentials: its 401 or 403 means it could not be checked, never "gone".
 */
async function imageInRegistry(c, image) {
    const parts = splitImage(image);
    if (!parts)
        return { found: 'unknown', why: `cannot read the image reference ${image}` };
    const { client, withToken } = c.registry(parts.host);
    try {
        await client.request('HEAD', `/v2/${parts.repository}/manifests/${encodeURIComponent(parts.reference)}`, {
            headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json' },
        });
        return { found: true };
    }
    catch (err) {
        if (err instanceof HttpApiError && err.status === 404)
            return { found: false };
        if (!withToken && err instanceof HttpApiError && (err.status === 401 || err.status === 403)) {
            return {
                found: 'unknown',
                why: `${client.host} asks for credentials (${err.status}), and the Fly token is sent only to ${FLY_REGISTRY_HOST} or to registry-url, so the image could not be checked`,
            };
        }
        return { found: 'unknown', why: err.message };
    }
}

// EXTERNAL MODULE: ./.build/core/stop-signals.js
var stop_signals = __nccwpck_require__(1042);
;// CONCATENATED MODULE: ./.build/platforms/change-guard.js
/**
 * The run's stop (SIGINT, SIGTERM: Ctrl-C, a cancelled job) as a platform provider honours it.
 * Once the stop came, no NEW request that changes production is sent: the HTTP client asks
 * `beforeChange` right before each one, and the git-revert and command providers before their push,
 * pull request or command. A change already sent is let finish (its answer is read); a rollback
 * command, and git-revert's push and pull request, are ended at the stop instead (they could take
 * minutes), and count as sent all the same. Nothing else is waited on: reads, retry backoffs and
 * the polling after the request end at the stop (`sleep`, `check`, and the read requests' own fetch
 * signal). The provider's error is then replaced by the guard's (`error`),
 * which says what production is: not touched, when no change was sent; else sent and not confirmed,
 * naming what to check.
 */


/** Thrown where the stop interrupts a provider; promotePrevious replaces it with ChangeGuard.error(). */
class StoppedHere extends errors/* RollbackKitError */.dp {
    constructor(what) {
        super(`stopped before ${what}`, undefined, { stopped: true });
    }
}
/** A platform that can be asked what it serves: a re-run finds the rollback that went live. */
const RERUN_RECOGNISES = 'Re-running the same rollback continues it: a rollback that went live is recognised and left alone.';
class ChangeGuard {
    signal;
    subject;
    checkWhere;
    rerun;
    /** What changes were sent to the platform before the stop, in order ("POST /v9/projects/x/rollback/y"). */
    sent = [];
    /** The stop interrupted the provider: its error is the guard's. */
    hit = false;
    constructor(signal, 
    /** "web (Vercel project shop)": whose production, for the messages. */
    subject, 
    /** Where a person checks what production serves (the platform's dashboard, its CLI). */
    checkWhere, 
    /** What running the same rollback again does with a change sent and not confirmed (the provider knows). */
    rerun = RERUN_RECOGNISES) {
        this.signal = signal;
        this.subject = subject;
        this.checkWhere = checkWhere;
        this.rerun = rerun;
    }
    get stopped() {
        return this.signal?.aborted === true;
    }
    /** The stop interrupted the provider (so its outcome is this guard's error). */
    get interrupted() {
        return this.hit;
    }
    /** Throws if the run was stopped: before a read, a poll, a retry. */
    check(what) {
        if (!this.stopped)
            return;
        this.hit = true;
        throw new StoppedHere(what);
    }
    /** Right before a request or program that changes production: throws if stopped, else counts it as sent. */
    beforeChange(what) {
        this.check(what);
        this.sent.push(what);
    }
    /** A wait (a poll interval, a retry backoff) that ends at the stop, throwing. */
    sleep(inner) {
        return async (ms) => {
            this.check('a wait');
            const signal = this.signal;
            if (!signal)
                return inner(ms);
            let onAbort = () => undefined;
            const aborted = new Promise((resolve) => {
                onAbort = resolve;
                signal.addEventListener('abort', onAbort, { once: true });
            });
            try {
                await Promise.race([inner(ms), aborted]);
            }
            finally {
                signal.removeEventListener('abort', onAbort);
            }
            this.check('a wait');
        };
    }
    /** The signal a read request's fetch also ends on. */
    readSignal(timeout) {
        return this.signal ? AbortSignal.any([timeout, this.signal]) : timeout;
    }
    /** What the stop left production in, with what to do next (changed: 'no' or 'unknown'). */
    error() {
        const by = (0,stop_signals/* stopName */.ws)(this.signal);
        if (!this.sent.length) {
            return new errors/* RollbackKitError */.dp(`${this.subject}: the run was stopped (${by}) before any request that changes production was sent, so production was not touched: it still serves what it served before this run.`, 'Run the rollback again when it can run to its end.', { changed: 'no', stopped: true });
        }
        return new errors/* RollbackKitError */.dp(`${this.subject}: the run was stopped (${by}) after ${this.sent.join(', then ')} was sent, before the rollback was confirmed live: production may be rolled back or may still serve the bad release (sent, not confirmed).`, `Check what production serves in ${this.checkWhere}. ${this.rerun}`, { changed: 'unknown', stopped: true });
    }
}
/** `inner`, ending at the stop when there is one. */
function guardedSleep(stop, inner) {
    return stop ? stop.sleep(inner) : inner;
}

;// CONCATENATED MODULE: ./.build/platforms/outcome.js
/**
 * What every promote-previous provider returns: the same shape as Vercel's result (status, from,
 * to, the releases passed over with the reason, plain notes for the summary) plus what was frozen
 * so the next push cannot re-ship the bad release, and how to undo that.
 */
/**
 * A provider's plan block (what serves, what goes back, what it passes over), logged before anything
 * changes: not again when the caller already logged the same plan (ProviderRunOptions.planLogged).
 */
function logPlan(log, lines, plan, logged) {
    if (logged && logged.from === plan.from && logged.to === plan.to)
        return;
    for (const line of lines)
        log.info(line);
}
/** Passed-over releases as one sentence for error messages: the first few, then a count. */
function describeSkipped(skipped, max = 5) {
    if (!skipped.length)
        return '';
    const shown = skipped.slice(0, max).map((s) => `${s.id} (${s.reason})`).join('; ');
    return ` Passed over: ${shown}${skipped.length > max ? `; and ${skipped.length - max} more` : ''}.`;
}
/** Bounded polling: the wait before the next poll, never past the deadline. */
function nextPoll(intervalMs, deadline, now) {
    return Math.max(0, Math.min(intervalMs, deadline - now));
}
/** How the note of the rollback-cascade guard begins: the workflows and the pipeline recognise it by this. */
const NOT_ROLLED_BACK_AGAIN = 'Not rolled back again: this deployment was put there by a rollback';
/**
 * How the note of the guard goes on when this run's `from` did not name the deployment in
 * production (none given, or one that proves nothing: a production URL, a commit it records none
 * of): the event may be one an earlier run of this same incident already handled (a re-delivery,
 * a re-run), not a failure of what that rollback put back. The workflows look for these words.
 */
const PERHAPS_A_REPEAT = 'This run cannot tell which rollback that was';
/**
 * The note of an automatic run that found production put there by a rollback and left it: an
 * outage that outlasts a rollback is most likely not the deploy's, and walking production back
 * release by release would not fix it. `how` says what the platform recorded; `status` where the
 * platform reports its own outages.
 */
function notPutBackAgain(current, how, status, opts) {
    const further = opts.fromGoesFurther ?? true ? `with from naming ${current}, or name the deployment in target` : 'naming the release to go back to in target';
    const check = `check the database, third-party services (payments, auth, email) and ${status} first`;
    const person = `A person decides whether to go further back: run the rollback by hand ${further}.`;
    if (opts.fromNamesIt)
        return `${NOT_ROLLED_BACK_AGAIN} (${current}: ${how}); the outage is likely not the deploy's \u2014 ${check}. ${person}`;
    return `${NOT_ROLLED_BACK_AGAIN} (${current}: ${how}). ${PERHAPS_A_REPEAT}, as its from does not name ${current}: either an earlier run of this same incident put it there and this run only repeats that one (a re-run, or a re-delivered event: what that run did is on its incident issue), or another rollback did and ${current} failed its checks too, so the outage is likely not the deploy's \u2014 ${check}. ${person}`;
}

;// CONCATENATED MODULE: ./.build/platforms/from-ref.js
/** A commit SHA, full or abbreviated (git's shortest is 7). */
const COMMIT_SHA = /^[0-9a-f]{7,40}$/i;
function commitSha(raw) {
    const v = raw.trim();
    return COMMIT_SHA.test(v) ? v.toLowerCase() : undefined;
}
/** The host of an http(s) URL, lower case; undefined for anything else. */
function urlHost(raw) {
    const v = raw.trim();
    if (!/^https?:\/\//i.test(v))
        return undefined;
    try {
        return new URL(v).host.toLowerCase() || undefined;
    }
    catch {
        return undefined;
    }
}
/**
 * An http(s) URL as two spellings of one address compare equal: scheme and host in lower case (as
 * the URL parser writes them), the default port dropped, no trailing slash on the path. The path,
 * query and fragment keep their case: they may name different things. Undefined for anything else.
 */
function comparableUrl(raw) {
    const v = raw.trim();
    if (!/^https?:\/\//i.test(v))
        return undefined;
    try {
        const url = new URL(v);
        if (!url.host)
            return undefined;
        url.pathname = url.pathname.replace(/\/+$/, '');
        return url.href.replace(/\/$/, '');
    }
    catch {
        return undefined;
    }
}
/** A SHA against the commit the serving release records: none recorded proves nothing. */
function compareCommit(sha, served) {
    if (!served)
        return 'unproven';
    return served.toLowerCase().startsWith(sha) ? 'names-live' : 'not-live';
}
/** Says, once, why from counts as no from. */
function warnUnproven(log, from, why) {
    log.warning(`from (${from.trim()}) ${why}, so it cannot be compared with what serves: it counts as no from.`);
}
/** A Netlify deploy's own URL (its permalink): https://<deploy id>--<site>.netlify.app. */
const NETLIFY_PERMALINK = /^([a-f0-9]{24})--/;
/**
 * Whether `from` is a URL that names a service, never one of its deploys: Render's service URL,
 * Fly's app URL, a Netlify site's domain (not a deploy's permalink). It is the same for every
 * deploy, so it cannot name an incident (pipeline/rollback.ts keyFrom): the provider finds the
 * deploy it rolls back from instead. Known from the plan alone, so a job that does not roll the
 * component back (the database job of a split rollback) knows it too.
 */
function namesServiceNotDeploy(provider, from) {
    const host = from ? urlHost(from) : undefined;
    if (!host)
        return false;
    if (provider === 'render' || provider === 'fly')
        return true;
    return provider === 'netlify' && !NETLIFY_PERMALINK.test(host);
}

;// CONCATENATED MODULE: ./.build/platforms/http/deadline.js
/**
 * The step's deadline as the HTTP client sees it: timeout-seconds from the start of each phase (the
 * search for the target, then the wait after the request, as timeout-seconds is documented), so no
 * retry, no wait a rate limit asks for, and no wait for an answer outlives the step.
 */
class StepDeadline {
    now;
    seconds;
    input;
    at;
    constructor(now, 
    /** The input's value, for messages. */
    seconds, 
    /** The input that sets it, for messages: smoke-test's is deadline-seconds. */
    input = 'timeout-seconds') {
        this.now = now;
        this.seconds = seconds;
        this.input = input;
        this.at = now() + seconds * 1000;
    }
    /** The next phase (the wait after the request) gets timeout-seconds of its own; returns its end. */
    restart() {
        this.at = this.now() + this.seconds * 1000;
        return this.at;
    }
    /** Brings the end forward to `ms` from now, when that is sooner (a stopped run's report: report/incident.ts). */
    shorten(ms) {
        this.at = Math.min(this.at, this.now() + ms);
    }
    /** Milliseconds left, never below 0. */
    left() {
        return Math.max(0, this.at - this.now());
    }
}

;// CONCATENATED MODULE: ./.build/platforms/fly/rollback.js
/**
 * Puts an earlier Fly release back. Fly has no rollback call: what serves is whatever image the
 * app's machines run (updating machines creates no release), so this compares the machines' images
 * with the release list, picks the newest completed, stable release below the one being served,
 * checks its image is still in the registry, then updates every machine to that image (full config,
 * only the image changed) and waits for each to start on its new instance. A machine left on
 * another image makes the app half rolled back: reported by machine id, and a re-run updates only
 * the machines still left. Because no release records a rollback, each machine carries a note of the
 * images it was rolled back from (model.ts), and "previous" never picks one of those again. A run
 * started by a deployment event never moves machines already moved back to an older release, by
 * rollback-kit or by `fly deploy --image <older image>` (the rollback cascade: notPutBackAgain).
 */










const FLY_NOTHING_FROZEN = {
    frozen: false,
    what: 'Fly has nothing to freeze: the next `fly deploy` (or deploy workflow run) ships a new release to every machine as usual, so hold deploys until the fix is ready.',
};
function parseReleaseRef(raw, input) {
    const v = raw.trim();
    if (input === 'target' && (v === '' || v.toLowerCase() === 'previous'))
        return { kind: 'previous' };
    const version = /^v?(\d{1,9})$/i.exec(v);
    if (version)
        return { kind: 'version', version: Number(version[1]) };
    if (input === 'from' && urlHost(v))
        return { kind: 'url', url: v };
    if (input === 'from' && /^[a-z0-9.:-]+(\/[a-z0-9._-]+)+([:@][A-Za-z0-9._:-]+)?$/i.test(v))
        return { kind: 'image', image: v };
    const sha = input === 'from' ? commitSha(v) : undefined;
    if (sha)
        return { kind: 'sha', sha, raw: v };
    if (/^[A-Za-z0-9_-]{4,}$/.test(v))
        return { kind: 'id', id: v };
    throw new errors/* RollbackKitError */.dp(`Input ${input} must be ${input === 'target' ? '"previous", ' : ''}a Fly release version (v12), a release id${input === 'from' ? ', an image reference, a commit SHA or a URL' : ''}; got "${raw}".`, 'Copy it from `fly releases --image`.');
}
const imageTag = (image) => (image ? splitImage(image)?.reference.toLowerCase() : undefined);
/** A tag component that can be a commit SHA: git's shortest abbreviation (7) to a full one. */
const SHA_PART = /^[0-9a-f]{7,40}$/;
/**
 * Whether the image's tag names commit `sha` (lower case, 7 to 40 hex digits). Fly releases record
 * no commit: teams tag the image with it, whole or abbreviated, alone or joined to a word
 * (`abc1234f`, `sha-abc1234f`, `main-abc1234f`, `main_abc1234f`, `1.4.0-abc1234f`). A component of
 * the tag (split at - _ . +) names the commit when one of the two is a prefix of the other, both
 * being at least 7 hex digits long. A digest (`@sha256:\u2026`) is no tag, and never a commit.
 */
function tagNamesCommit(image, sha) {
    const tag = imageTag(image);
    if (!tag || tag.includes(':'))
        return false;
    return tag.split(/[-_.+]/).some((part) => SHA_PART.test(part) && (sha.startsWith(part) || part.startsWith(sha)));
}
const matches = (ref, r) => (ref.kind === 'version' && r.version === ref.version) ||
    (ref.kind === 'id' && r.id === ref.id) ||
    (ref.kind === 'image' && r.imageRef === ref.image) ||
    (ref.kind === 'sha' && (r.id === ref.raw || tagNamesCommit(r.imageRef, ref.sha)));
/**
 * The release `from` names. A commit SHA may name several releases: the same image deployed again
 * (one image, so one answer: the newest), or images of different commits that share the prefix
 * given, or different images of the one commit. The last two are refused, naming them: a guess
 * could end the run as "nothing to do" while the bad image serves, or move the wrong machines.
 */
function fromRelease(ref, all, app, raw) {
    const found = all.filter((r) => matches(ref, r));
    const images = [...new Set(found.map((r) => r.imageRef))];
    if (ref.kind === 'sha' && images.length > 1) {
        const listed = images.map((image) => {
            const rs = found.filter((r) => r.imageRef === image).map((r) => `v${r.version}`);
            return `${rs.join(', ')} (image ${image ?? 'none recorded'})`;
        });
        throw new errors/* RollbackKitError */.dp(`from (${raw}) names more than one image of app ${app}: releases ${listed.join('; ')} all have image tags that name commit ${ref.sha}. Nothing was changed.`, 'Give from as the bad release itself: its version (v12) or its image, from `fly releases --image`; or a longer commit SHA that only one of those tags names.');
    }
    return found[0];
}
const info = (r, image) => ({ id: r?.id, version: r?.version, image: r?.imageRef ?? image });
/** Why an older release cannot be what "previous" means, or undefined when it can. `rolledBack`: images an earlier rollback moved off. */
function skipReason(r, current, rolledBack = new Set()) {
    if (r.imageRef && rolledBack.has(r.imageRef))
        return 'an earlier rollback moved the app off its image (noted on the machines)';
    if (!RELEASE_DONE.has(r.status))
        return `status ${r.status}, not complete`;
    if (!r.stable)
        return 'not marked stable';
    if (!r.imageRef)
        return 'no image recorded';
    if (r.imageRef === current.imageRef)
        return 'same image as the release being served';
    return undefined;
}
const STOPPED = new Set(['stopped', 'suspended']);
/**
 * Whether the release every machine runs (`current`, the newest release with their image) was put
 * there by a rollback, and from what. Two ways: the machines run a release older than the newest
 * completed one, which no deploy does (rollback-kit updates machines, making no release; its note on
 * them names what it moved them off: `noted`); or `current` deployed again the image of an older
 * release after a completed release of another image had replaced it, which is how Fly's own
 * rollback guide rolls back (`fly deploy --image <older image>` makes a new release with the old
 * image). A new release with the image it replaced (`fly secrets set`, a config change) is not one:
 * the release between must carry another image.
 */
function movedBackOf(all, current, noted) {
    const newest = all.find((r) => RELEASE_DONE.has(r.status));
    if (newest && newest.version > current.version) {
        return {
            current,
            from: noted,
            serves: ` although release v${newest.version} is newer`,
            how: noted
                ? `the machines run it although v${newest.version} is newer: rollback-kit's note on them says they were rolled back from ${noted.imageRef} (v${noted.version})`
                : `the machines run it although v${newest.version} is newer, and no deploy moves machines back: something rolled them back (no rollback-kit note on them)`,
        };
    }
    if (!current.imageRef)
        return undefined;
    const older = all.filter((r) => r.version < current.version);
    const replaced = older.find((r) => RELEASE_DONE.has(r.status) && r.imageRef && r.imageRef !== current.imageRef);
    const source = replaced && older.find((r) => r.version < replaced.version && r.imageRef === current.imageRef);
    if (!replaced || !source)
        return undefined;
    return {
        current,
        from: replaced,
        serves: `, which deploys again the image of release v${source.version} (${current.imageRef}) after v${replaced.version} replaced it`,
        how: `it deploys again the image of v${source.version} (${current.imageRef}) after v${replaced.version} replaced it, as \`fly deploy --image <older image>\` does to roll back`,
    };
}
async function promoteOnFly(opts, log) {
    log.secret(opts.token);
    const app = opts.app.trim();
    if (!app)
        throw new errors/* RollbackKitError */.dp('Input app is required when provider is fly.', 'Set app to the Fly app name (as in fly.toml).');
    if (!/^[a-z0-9][a-z0-9-]*$/i.test(app))
        throw new errors/* RollbackKitError */.dp(`Input app must be a Fly app name; got "${opts.app}".`, 'Use the app name from fly.toml.');
    const targetRef = parseReleaseRef(opts.target || 'previous', 'target');
    const fromRef = opts.from?.trim() ? parseReleaseRef(opts.from, 'from') : undefined;
    const sleep = guardedSleep(opts.stop, opts.sleep ?? client_sleep);
    const now = opts.now ?? Date.now;
    const step = new StepDeadline(now, opts.timeoutSeconds, opts.timeoutInput);
    const c = flyClients({ token: opts.token, apiUrl: opts.apiUrl, machinesApiUrl: opts.machinesApiUrl, registryUrl: opts.registryUrl, log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep, deadline: step, stop: opts.stop });
    const ctx = (doing) => ({ doing, tokenInput: 'fly-token', notFound: `App ${app}`, notFoundHint: 'Check the app input and that the token (a deploy token is scoped to one app) belongs to it.', statusPage: 'https://status.flyio.net' });
    const base = { skipped: [], frozen: FLY_NOTHING_FROZEN };
    const machines = await calling(ctx(`listing the machines of app ${app}`), () => listMachines(c, app));
    if (!machines.length)
        throw new errors/* RollbackKitError */.dp(`App ${app} has no machines, so nothing serves and there is nothing to roll back.`, 'Check the app input.');
    const all = [];
    await calling(ctx(`listing the releases of app ${app}`), async () => {
        for await (const page of releases(c, app, listingBound(step, `the releases of app ${app}`)))
            all.push(...page);
    });
    all.sort((a, b) => b.version - a.version);
    const releaseOf = (image) => all.find((r) => r.imageRef === image);
    const images = [...new Set(machines.map((m) => m.image))];
    const served = images.map((image) => ({ image, release: releaseOf(image) }));
    for (const s of served) {
        const on = machines.filter((m) => m.image === s.image).map((m) => m.id);
        log.info(`Machines ${on.join(', ')} run ${s.release ? `release ${describeRelease(s.release)}` : `image ${s.image ?? '(none)'}, which matches no release`}.`);
    }
    // The newest code still serving is what is being rolled back from.
    const current = served.map((s) => s.release).filter((r) => !!r).sort((a, b) => b.version - a.version)[0];
    // The image from names, when it names a release (or an image) at all: proven, unlike a URL or an unmatched SHA.
    let fromImage;
    if (fromRef) {
        const from = fromRelease(fromRef, all, app, opts.from.trim());
        fromImage = fromRef.kind === 'image' ? fromRef.image : from?.imageRef;
        if (fromRef.kind === 'url')
            warnUnproven(log, opts.from, 'is a URL, which names a Fly app, not one of its releases');
        else if (fromRef.kind === 'sha' && !fromImage)
            warnUnproven(log, opts.from, `is a commit, and no release of app ${app} has an image tag that names it (Fly releases record no commit; deploy with --image-label <sha>, or a tag such as sha-<sha> or <branch>-<sha>, to name them so)`);
        else if (!fromImage)
            throw new errors/* RollbackKitError */.dp(`Release ${opts.from} (input from) is not among the ${all.length} releases of app ${app}.`, 'Check the from input: a release version (v12), id or image.');
        if (fromImage && !machines.some((m) => m.image === fromImage)) {
            const note = `No machine of app ${app} runs ${opts.from.trim()} (${fromImage}) any more. Nothing to do.`;
            log.info(note);
            return { ...base, status: 'already-current', from: info(current, images[0]), to: info(current, images[0]), notes: [note] };
        }
    }
    const movedBack = images.length === 1 && current ? movedBackOf(all, current, releaseOf([...rolledBackFrom(machines)].at(-1))) : undefined;
    // The rollback cascade (vercel/rollback.ts): the release a rollback put back failing its checks
    // for an outage that is not the deploy's must not start another rollback, release by release. A
    // person may go further back with a target ("previous" stops at the re-run guard below).
    if (opts.automatic && movedBack) {
        const note = notPutBackAgain(`v${movedBack.current.version}`, movedBack.how, "Fly.io's status page", { fromGoesFurther: false, fromNamesIt: !!fromImage });
        log.warning(note);
        return { ...base, status: 'already-current', from: info(current), to: info(current), notes: [note], rolledBackFrom: movedBack.from?.id, putThereByRollback: true };
    }
    let target;
    const skipped = [];
    if (targetRef.kind !== 'previous') {
        target = all.find((r) => matches(targetRef, r));
        if (!target)
            throw new errors/* RollbackKitError */.dp(`Release ${opts.target.trim()} is not among the ${all.length} releases of app ${app}.`, 'Check the target input against `fly releases --image`.');
        if (!RELEASE_DONE.has(target.status) || !target.imageRef) {
            throw new errors/* RollbackKitError */.dp(`Release ${describeRelease(target)} of app ${app} did not complete${target.imageRef ? '' : ' and has no image'}: it cannot be put back.`, 'Choose a completed release as target.');
        }
        if (!target.stable)
            log.warning(`Release v${target.version} is not marked stable; going ahead because it was named explicitly.`);
    }
    else {
        if (!current) {
            throw new errors/* RollbackKitError */.dp(`The machines of app ${app} run images that match no release (${images.join(', ')}), so "previous" has no meaning here.`, 'Name the release to put back in target (v12).');
        }
        if (movedBack) {
            const note = `App ${app} serves release v${current.version}${movedBack.serves}: an earlier rollback has already moved it back. Nothing to do; to go further back, name the release in target.`;
            log.info(note);
            // What that rollback moved production off (movedBackOf).
            return { ...base, status: 'already-current', from: info(current), to: info(current), notes: [note], rolledBackFrom: movedBack.from?.id };
        }
        const rolledBack = rolledBackFrom(machines);
        for (const r of all) {
            if (r.version >= current.version)
                continue;
            const reason = skipReason(r, current, rolledBack);
            if (!reason) {
                target = r;
                break;
            }
            skipped.push({ id: `v${r.version}`, reason });
        }
        if (!target) {
            throw new errors/* RollbackKitError */.dp(`No earlier release of app ${app} can take over from v${current.version}: none below it completed, is stable and has another image.${describeSkipped(skipped)}`, 'Name the release to put back in target, or deploy a fix.');
        }
    }
    const image = target.imageRef;
    const todo = machines.filter((m) => m.image !== image);
    if (!todo.length) {
        const note = `Every machine of app ${app} already runs release ${describeRelease(target)}. Nothing to do.`;
        log.info(note);
        // Put there by an earlier rollback: what it moved production off names its incident (movedBackOf).
        return { ...base, status: 'already-current', from: info(current), to: info(target), skipped, notes: [note], ...(movedBack?.from ? { rolledBackFrom: movedBack.from.id } : {}) };
    }
    const plan = [
        `Plan: roll back app ${app}`,
        `  from ${current ? describeRelease(current) : images.join(', ')}`,
        `  to   ${describeRelease(target)}`,
        `  machines to update: ${todo.map((m) => m.id).join(', ')}${todo.length < machines.length ? ` (already on it: ${machines.filter((m) => m.image === image).map((m) => m.id).join(', ')})` : ''}`,
        ...skipped.map((s) => `  skipped ${s.id}: ${s.reason}`),
    ];
    logPlan(log, plan, { from: info(current).id, to: info(target).id }, opts.planLogged);
    if (opts.dryRun) {
        return { ...base, status: 'dry-run', from: info(current), to: info(target), skipped, notes: [`Dry run: nothing was changed. A real run would update ${todo.length} machine(s) to release v${target.version}.`] };
    }
    // Before any machine changes: an image gone from the registry would leave machines unable to start.
    const check = await imageInRegistry(c, image);
    if (check.found === false) {
        throw new errors/* RollbackKitError */.dp(`The image of release v${target.version} (${image}) is no longer in the registry, so app ${app} cannot be rolled back to it. No machine was changed.`, 'Choose an older release whose image still exists (target: v<N>), or rebuild and deploy the good commit.');
    }
    if (check.found === 'unknown')
        log.warning(`Could not confirm that ${image} is still in the registry (${check.why}); going ahead.`);
    const startedAt = now();
    const deadline = step.restart();
    const problems = new Map();
    // What is being rolled back from: every image served now other than the target.
    // Oldest release first, so the note's last image is the release this rollback is from (its incident: promote.ts rolledBackFrom).
    const badImages = images.filter((i) => !!i && i !== image).sort((a, b) => (releaseOf(a)?.version ?? -1) - (releaseOf(b)?.version ?? -1));
    for (const m of todo) {
        if (now() >= deadline) {
            problems.set(m.id, 'not updated: the time limit was reached first');
            continue;
        }
        const problem = await rollMachine(c, app, m, image, withRollbackNote(m.config, badImages, image), { deadline, now, sleep, slice: opts.waitSliceSeconds ?? 15 }, log).catch((err) => {
            // The stop is not one machine's problem: the machines left are not touched (change-guard.ts).
            if (err instanceof StoppedHere)
                throw err;
            if (err instanceof HttpApiError)
                return `${err.service} answered ${err.status}: ${err.serverMessage}`;
            return platformError(err, ctx(`updating machine ${m.id}`)).message;
        });
        if (problem) {
            problems.set(m.id, problem);
            log.warning(`Machine ${m.id}: ${problem}`);
        }
    }
    // Confirm from Fly's own view, not from what we sent.
    const after = await calling(ctx(`checking the machines of app ${app}`), () => listMachines(c, app));
    const left = after.filter((m) => m.image !== image || problems.has(m.id));
    if (left.length) {
        const done = after.filter((m) => !left.includes(m));
        const lines = left.map((m) => `${m.id} (${m.image === image ? 'on the target image but' : `still on ${m.image ?? 'no image'}`}${problems.has(m.id) ? `: ${problems.get(m.id)}` : ''})`);
        throw new errors/* RollbackKitError */.dp(`App ${app} is half rolled back to release v${target.version}: ${done.length} of ${after.length} machine(s) run it (${done.map((m) => m.id).join(', ') || 'none'}); not done: ${lines.join('; ')}.`, `Re-run the step with target v${target.version}: it updates only the machines left. Check them with \`fly machine status <id> -a ${app}\`.`);
    }
    const note = `App ${app} now serves release ${describeRelease(target)} on all ${after.length} machine(s) (rolled back from ${current ? `v${current.version}` : images.join(', ')} in ${((now() - startedAt) / 1000).toFixed(1)} s).`;
    log.info(note);
    return { ...base, status: 'rolled-back', from: info(current), to: info(target), skipped, notes: [note, FLY_NOTHING_FROZEN.what] };
}
/** Updates one machine and waits for its new instance; returns a problem, or undefined when it is up. */
async function rollMachine(c, app, m, image, config, t, log) {
    // A machine that was stopped (autostop) stays stopped: starting it is Fly's proxy's job.
    const wasStopped = STOPPED.has(m.state);
    const updated = await updateImage(c, app, m, image, wasStopped, config);
    const state = wasStopped ? 'stopped' : 'started';
    log.info(`Machine ${m.id} updated to ${image} (instance ${updated.instanceId ?? 'unknown'}); waiting for it to be ${state}.`);
    for (;;) {
        const remaining = Math.floor((t.deadline - t.now()) / 1000);
        if (remaining <= 0)
            return `updated, but not ${state} on its new instance within the time limit`;
        const slice = Math.min(t.slice, remaining);
        const asked = t.now();
        if (await waitForState(c, app, m.id, updated.instanceId, state, slice))
            return undefined;
        // Fly held the call for the slice before its 408; one that answers sooner is not asked again
        // before the slice is over, so the loop never spins.
        await t.sleep(Math.max(0, asked + slice * 1000 - t.now()));
    }
}

// EXTERNAL MODULE: ./.build/report/markdown.js + 1 modules
var markdown = __nccwpck_require__(6479);
;// CONCATENATED MODULE: ./.build/platforms/git-revert/git.js
/**
 * Runs git in the checkout with a bounded wait; failures carry git's own words, redacted. The run's
 * stop (change-guard.ts) ends every git command where it is, a push too: nothing waits on git after
 * the stop. A push is counted as sent once it starts (the guard then says "sent, not confirmed": a
 * push ended mid-way may have updated the remote branch); after the stop none starts.
 */


/** The last lines git wrote, where it says why it failed. */
const gitSaid = (r) => (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ');
/** A CI checkout often has no identity configured; reverts need one to commit. */
const BOT_IDENTITY = {
    GIT_AUTHOR_NAME: 'github-actions[bot]',
    GIT_AUTHOR_EMAIL: '41898283+github-actions[bot]@users.noreply.github.com',
    GIT_COMMITTER_NAME: 'github-actions[bot]',
    GIT_COMMITTER_EMAIL: '41898283+github-actions[bot]@users.noreply.github.com',
};
async function openGit(cwd, log, timeoutMs = 120_000, stop) {
    const env = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
    const spawn = async (args, signal) => {
        log.debug(`git ${args.join(' ')}`);
        try {
            // Whole: what git lists (commits, files) is read as data, not shown as a log.
            return await runProcess('git', args, { cwd, env, timeoutMs, signal, wholeStdout: true });
        }
        catch (err) {
            throw new errors/* RollbackKitError */.dp(`Could not run git: ${err.message}.`, 'Install git on the runner.');
        }
    };
    /** Ended at the stop: what it was doing is then the guard's to say (StoppedHere), whatever git made of it. */
    const exec = async (args) => {
        stop?.check(`git ${args[0]}`);
        const r = await spawn(args, stop?.signal);
        stop?.check(`git ${args[0]}`);
        return r;
    };
    const checked = (args, what, r) => {
        if (r.code === 0)
            return r.stdout.trim();
        const said = gitSaid(r);
        throw new errors/* RollbackKitError */.dp(`${what} failed: git ${args[0]} ${r.timedOut ? 'timed out' : `exited with ${r.code}`}: ${log.redact(said)}`);
    };
    const git = {
        try: (args) => exec(args),
        run: async (args, what) => checked(args, what, await exec(args)),
        async change(args, what, sent) {
            stop?.beforeChange(sent);
            const r = await spawn(args, stop?.signal);
            stop?.check(sent);
            return checked(args, what, r);
        },
        cleanUp: (args) => spawn(args, undefined),
    };
    const inside = await git.try(['rev-parse', '--is-inside-work-tree']);
    if (inside.code !== 0 || inside.stdout.trim() !== 'true') {
        throw new errors/* RollbackKitError */.dp(`The workspace ${cwd} is not a git checkout.`, 'Run actions/checkout with fetch-depth: 0 before this step.');
    }
    const email = await git.try(['config', 'user.email']);
    if (email.code !== 0 || !email.stdout.trim())
        Object.assign(env, BOT_IDENTITY);
    return git;
}
/** Whether commit `a` is in the history of `b` (or is `b`). */
const isAncestor = async (git, a, b) => (await git.try(['merge-base', '--is-ancestor', a, b])).code === 0;

;// CONCATENATED MODULE: ./.build/platforms/git-revert/merged.js
/**
 * What the deployed branch's history says about rollbacks already merged, so that a re-run never
 * undoes one: a HEAD that is (the merge of) a rollback, for target previous and for an explicit
 * target it already reached, and a `from` commit whose changes are already gone. Each read stops
 * at the newest HISTORY_LIMIT commits, and every git command is bounded by the step's timeout (openGit).
 */

/** A merged rollback and the target it restored sit among the newest commits of the branch. */
const HISTORY_LIMIT = 100;
/** Every revert commit of ours ends with these trailers, naming the target and the HEAD it was made from in full (rollbackTrailers). */
const TARGET_TRAILER = 'Rollback-kit-target';
const FROM_TRAILER = 'Rollback-kit-from';
const merged_short = (sha) => sha.slice(0, 7);
/**
 * The branch and the pull request title name the target by its short SHA; mergedRollback reads
 * them back. With `from` (the HEAD the rollback is made from), the name no earlier rollback to the
 * same target can have taken (branch.ts).
 */
const rollbackBranch = (target, from) => `rollback/${merged_short(target)}${from ? `-from-${merged_short(from)}` : ''}`;
const rollbackTitle = (target) => `Rollback to ${merged_short(target)}`;
/**
 * Appended to each revert's message: they survive a merge commit and a rebase merge (the commits
 * themselves), and a squash merge whose message lists the commit messages (GitHub's default). The
 * target says which rollback it is; `from`, what production ran when it was made: a re-run after
 * the merge names the incident by it, as the run that made the rollback did.
 */
const rollbackTrailers = (target, from) => `${TARGET_TRAILER}: ${target}\n${FROM_TRAILER}: ${from}`;
/** Whether a commit message is one of our reverts back to `target`. */
const revertsTo = (message, target) => new RegExp(`^${TARGET_TRAILER}: ${target}[ \\t]*$`, 'm').test(message);
/**
 * The targets a merged rollback's messages name, each a full or a 7-character SHA. The shapes are
 * anchored at a line's start, so a revert of our rollback (`Revert "Rollback to \u2026"`, GitHub's
 * branch `revert-5-rollback/\u2026`) names none: its HEAD is not a rollback.
 * - the trailer of our revert commits;
 * - the pull request title, the subject of a squash merge and the body of GitHub's merge commit;
 * - GitHub's merge commit subject, `Merge pull request #5 from owner/rollback/<short>[-from-<short>]`.
 */
function namedTargets(text) {
    const shapes = [
        new RegExp(`^${TARGET_TRAILER}: ([0-9a-f]{40})[ \\t]*$`, 'gm'),
        /^Rollback to ([0-9a-f]{7})(?=[: ]|$)/gm,
        /^Merge pull request #\d+ from [^/\s]+\/rollback\/([0-9a-f]{7})(?:-from-[0-9a-f]{7})?[ \t]*$/gm,
    ];
    return shapes.flatMap((shape) => [...text.matchAll(shape)].map((m) => m[1]));
}
/** The HEAD a rollback to `target` was made from: the from trailer right under its target trailer. */
function namedFrom(text, target) {
    return new RegExp(`^${TARGET_TRAILER}: ${target}[ \\t]*\\n${FROM_TRAILER}: ([0-9a-f]{40})[ \\t]*$`, 'm').exec(text)?.[1];
}
/** HEAD and its first parents, newest first. */
async function firstParents(git, head) {
    const out = await git.run(['log', '--first-parent', `-n${HISTORY_LIMIT}`, '--format=%H %T', head], 'Reading the branch history');
    return out
        .split('\n')
        .filter(Boolean)
        .map((line) => {
        const [sha, tree] = line.split(' ');
        return { sha: sha, tree: tree };
    });
}
/** The full messages of the commits in `range`, newest first, each with its SHA. */
async function messages(git, range) {
    const out = await git.run(['log', '-z', `-n${HISTORY_LIMIT}`, '--format=%H%n%B', range], 'Reading the commit messages');
    return out
        .split('\0')
        .filter(Boolean)
        .map((record) => {
        const at = record.indexOf('\n');
        return { sha: record.slice(0, at < 0 ? undefined : at).trim(), message: at < 0 ? '' : record.slice(at + 1) };
    });
}
/**
 * The nearest older first-parent commit whose files HEAD has again, exactly, while HEAD^ has other
 * files: what a rollback whose messages were rewritten (a squash with a blank or edited message)
 * still shows. Not when a commit in between had the files of a commit older still: HEAD then
 * undoes that restore (a re-land after a rollback), which a new rollback may well undo.
 */
function restoredAncestor(history) {
    const [head, parent] = history;
    if (!head || !parent || parent.tree === head.tree)
        return undefined;
    const at = history.findIndex((c, i) => i >= 2 && c.tree === head.tree);
    if (at < 0)
        return undefined;
    const older = new Set(history.slice(at + 1).map((c) => c.tree));
    if (history.slice(1, at).some((c) => older.has(c.tree)))
        return undefined;
    return history[at].sha;
}
/**
 * What HEAD says of itself as a rollback: the targets its message names (with a merge commit, the
 * messages of the commits it brought in: our reverts), the one of them found in the history read,
 * and the HEAD it was made from. Without names, HEAD's files show the target (restoredAncestor)
 * and its first parent is what it was made from: a squash's parent is what the branch had when it
 * was merged, and the branch cannot have moved on since, or HEAD would not have the target's files
 * exactly. Undefined when HEAD is no rollback.
 */
async function readRollback(git, head) {
    if ((await git.try(['rev-parse', '--verify', '--quiet', `${head}^1`])).code !== 0)
        return undefined;
    const history = await firstParents(git, head);
    const text = (await messages(git, `${head}^1..${head}`)).map((c) => c.message).join('\n');
    const names = namedTargets(text);
    if (!names.length) {
        const restored = restoredAncestor(history);
        return restored ? { names, found: { target: restored, from: history[1].sha } } : undefined;
    }
    const target = history.slice(1).find((c) => names.some((name) => c.sha.startsWith(name)))?.sha;
    return { names, found: target ? { target, from: namedFrom(text, target) } : undefined };
}
/**
 * The rollback HEAD is (the merge of), or undefined when HEAD is no rollback. Names come first:
 * they also hold when the branch moved on before the merge, so that HEAD's files are the target's
 * plus that change.
 */
async function mergedRollback(git, head, branch) {
    const read = await readRollback(git, head);
    if (!read || read.found)
        return read?.found;
    throw new errors/* RollbackKitError */.dp(`${branch} (${merged_short(head)}) is the merge of a rollback to ${merged_short(read.names[0])} made by rollback-kit, but that commit is not among the ${HISTORY_LIMIT} newest first-parent commits of ${branch} in this checkout, so target previous cannot tell where that rollback went; reverting ${merged_short(head)} would ship the rolled-back code again. Nothing was changed.`, 'Give the commit to go back to as target (its SHA), and check out with fetch-depth: 0.');
}
/** The rollback HEAD is (the merge of) when it went back to `target`: a re-run to the same commit has nothing to do. */
async function mergedRollbackTo(git, head, target) {
    const read = await readRollback(git, head);
    if (read?.found)
        return read.found.target === target ? read.found : undefined;
    // Named, but beyond the history read (a shallow checkout): the name itself says it is this target.
    return read?.names.some((name) => target.startsWith(name)) ? { target } : undefined;
}
/**
 * Why HEAD no longer has `from`'s changes, or undefined while it has them: HEAD's files are those
 * from before it, or a commit since reverted it ("This reverts commit <from>", in our reverts, a
 * squash merge's list of them, or anyone's), and that revert was not itself reverted.
 */
async function undoneOnHead(git, from, head) {
    const trees = await git.try(['rev-parse', `${from}^{tree}`, `${from}^1^{tree}`, `${head}^{tree}`]);
    if (trees.code === 0) {
        const [own, before, now] = trees.stdout.trim().split('\n');
        // An empty commit (a redeploy) has its parent's files: having them says nothing about it.
        if (own !== before && now === before)
            return `its files are those from before ${merged_short(from)}`;
    }
    const revertedBy = new Map();
    for (const c of await messages(git, `${from}..${head}`)) {
        for (const m of c.message.matchAll(/^This reverts commit ([0-9a-f]{40})\b/gm))
            revertedBy.set(m[1], [...(revertedBy.get(m[1]) ?? []), c.sha]);
    }
    // A revert counts unless a later commit reverted it in turn (a re-land), and so on.
    const standing = (sha) => (revertedBy.get(sha) ?? []).find((r) => !standing(r));
    const revert = standing(from);
    return revert ? `${merged_short(revert)} reverted it` : undefined;
}

;// CONCATENATED MODULE: ./.build/platforms/git-revert/branch.js
/**
 * Which branch a rollback goes on, never one that is not its own. `rollback/<target>` comes first.
 * The remote may already have a branch of that name that is not this rollback's: an earlier
 * rollback to the same commit kept after its merge (a repository without "Automatically delete
 * head branches"), one made from another commit of the branch, or anyone's own. Then the rollback
 * goes on `rollback/<target>-from-<HEAD>`, a name only this HEAD and target make, and the other
 * branch is left exactly as it is: nothing here ever pushes over a branch.
 */



/**
 * A branch is this rollback's when it holds HEAD and, on top of it, only our reverts back to the
 * target: what an earlier run with the same HEAD and target pushed. An earlier rollback already
 * merged is not (HEAD has moved past it), nor is one made from an older HEAD, nor a hand-made one.
 */
async function isThisRollback(git, tip, head, target) {
    if (!(await isAncestor(git, head, tip)))
        return false;
    const out = await git.run(['log', '-z', '--format=%B', `${head}..${tip}`], 'Reading the commits of the rollback branch');
    const commits = out.split('\0').filter((m) => m.trim());
    return commits.length > 0 && commits.every((m) => revertsTo(m, target));
}
async function chooseBranch(git, remote, head, target) {
    const names = [rollbackBranch(target), rollbackBranch(target, head)];
    const passedOver = [];
    for (const name of names) {
        const listed = await git.run(['ls-remote', '--heads', remote, `refs/heads/${name}`], `Looking for ${name} on ${remote}`);
        const tip = listed.split(/\s/)[0];
        if (!tip)
            return { name, passedOver };
        // Its commits, to read them; fetched into FETCH_HEAD only, no branch or remote ref is made.
        await git.run(['fetch', '-q', '--no-tags', remote, `refs/heads/${name}`], `Fetching ${name} from ${remote}`);
        if (await isThisRollback(git, tip, head, target))
            return { name, pushed: tip, passedOver };
        passedOver.push(name);
    }
    throw new errors/* RollbackKitError */.dp(`${names.join(' and ')} are already on ${remote} and neither is this rollback's (${merged_short(head)} and, on top of it, only reverts back to ${merged_short(target)}), so no branch is left to push it on. Nothing was pushed.`, `See who made them; once nobody needs them, delete them (git push ${remote} --delete <branch>) and re-run.`);
}

;// CONCATENATED MODULE: ./.build/platforms/http/bounded-fetch.js
/**
 * A fetch with the bounds HttpClient puts on every platform call, for a library that makes its own
 * requests (Octokit, for git-revert's pull requests): each call, its answer's body included, ends
 * within `timeoutMs`, and a body is read only up to `maxBytes`. Without it, a GitHub (or a proxy in
 * front of it) that takes the request and never answers holds the step for undici's 300 s header
 * timeout and then some, and an endless answer fills the runner's memory.
 */



/** The call got no (whole) answer within its time: `seconds` for the message. */
class NoAnswerInTime extends Error {
    seconds;
    constructor(seconds) {
        super(`no answer within ${seconds} s`);
        this.seconds = seconds;
        this.name = 'NoAnswerInTime';
    }
}
const requestUrl = (input) => new URL(String(input instanceof Request ? input.url : input));
/** Statuses whose Response must be built without a body. */
const NULL_BODY = new Set([101, 204, 205, 304]);
function boundedFetch(inner = fetch, bounds = {}) {
    const timeoutMs = bounds.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const maxBytes = bounds.maxBytes ?? MAX_API_BODY_BYTES;
    return async (input, init = {}) => {
        const timeout = AbortSignal.timeout(timeoutMs);
        const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
        try {
            // The whole body is read here, under the same signal: the time bound covers it too, and the
            // caller gets a Response it can read at once.
            const res = await inner(input, { ...init, signal });
            const { text, cut } = await readCapped(res, maxBytes);
            // An error body is only quoted: what was read of it is enough (as in HttpClient).
            if (cut && res.ok)
                throw new BodyTooLarge(`The answer to ${init.method ?? 'GET'} ${requestUrl(input).pathname} was larger than ${maxBytes} bytes, so it was not read further.`, 'Check that the API URL points at the API itself, not a proxy or a page.');
            const out = new Response(NULL_BODY.has(res.status) ? null : text, { status: res.status, statusText: res.statusText, headers: res.headers });
            // Octokit names the answer's URL in its errors.
            Object.defineProperty(out, 'url', { value: res.url });
            return out;
        }
        catch (err) {
            if (timeout.aborted && !init.signal?.aborted)
                throw new NoAnswerInTime(Math.ceil(timeoutMs / 1000));
            // Refused by fetch itself for the URL's port: named as HttpClient names it (Octokit passes it on as the cause).
            if (isBlockedPortError(err))
                throw blockedPortError('GitHub', `${init.method ?? 'GET'} ${requestUrl(input).pathname}`, requestUrl(input), 'GITHUB_API_URL');
            throw err;
        }
    };
}

;// CONCATENATED MODULE: ./.build/platforms/git-revert/pulls.js
/** The pull request side of git-revert, on @actions/github (which honours GITHUB_API_URL's value passed in). */



function parseRepository(full) {
    const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(full.trim());
    if (!m)
        throw new errors/* RollbackKitError */.dp(`GITHUB_REPOSITORY must look like owner/name; got "${full}".`, 'Run the step in GitHub Actions, or set GITHUB_REPOSITORY.');
    return { owner: m[1], repo: m[2] };
}
const pulls_status = (err) => (typeof err?.status === 'number' ? err.status : undefined);
/** Octokit's error keeps the answer's headers: a 403 may be a rate limit rather than a refusal. */
function rateLimited(err, code) {
    const headers = err?.response?.headers ?? {};
    const get = (name) => (headers[name] === undefined ? null : String(headers[name]));
    return code !== undefined && isRateLimit(code, { get }, err?.message ?? '');
}
function apiError(err, doing, repo) {
    const name = `${repo.owner}/${repo.repo}`;
    // Octokit wraps what its fetch threw (bounded-fetch.ts) in a RequestError "500": the cause says what happened.
    const cause = err?.cause ?? err;
    if (cause instanceof errors/* RollbackKitError */.dp)
        return cause;
    if (cause instanceof NoAnswerInTime) {
        return new errors/* RollbackKitError */.dp(`GitHub did not answer while ${doing} in ${name}: ${cause.message}.`, 'Check GITHUB_API_URL and the runner network, then re-run the step; it is safe to repeat.');
    }
    const code = pulls_status(err);
    if (rateLimited(err, code))
        return new errors/* RollbackKitError */.dp(`GitHub rate-limited the requests (${code}) while ${doing} in ${name}.`, 'Wait for the limit to reset (a minute for a secondary limit, up to an hour for the hourly one), then re-run the step; it is safe to repeat.');
    if (code === 401)
        return new errors/* RollbackKitError */.dp(`GitHub rejected the github-token (401) while ${doing} in ${name}.`, 'Pass secrets.GITHUB_TOKEN or a token that is still valid.');
    if (code === 403)
        return new errors/* RollbackKitError */.dp(`GitHub refused (403) ${doing} in ${name}: the token lacks permission.`, 'Grant the job permissions contents: write and pull-requests: write.');
    if (code === 404)
        return new errors/* RollbackKitError */.dp(`GitHub repository ${name} was not found (404) while ${doing}.`, 'Check that the token can see the repository.');
    const message = err?.message ?? String(err);
    return new errors/* RollbackKitError */.dp(`GitHub failed while ${doing} in ${name}${code ? ` (${code})` : ''}: ${message}`, 'Re-run the step; it is safe to repeat.');
}
/**
 * `bounds`: each call (its answer's body included) ends within timeoutMs (20 s unless given) and
 * reads at most maxBytes, as every other API call of the project does (http/client.ts).
 * `stop`: the run's stop (change-guard.ts) ends every call where it is, as the other providers'
 * reads end; opening the pull request is not started after it, and once started counts as sent (the
 * guard then says "sent, not confirmed": a request ended mid-way may have opened it).
 */
function pullRequests(token, apiUrl, repo, bounds = {}, stop) {
    // Loaded on first use: @actions/github (octokit, undici) is most of a bundle's start-up, and
    // only this provider's pull request needs it.
    let client;
    const octokit = () => (client ??= Promise.all([Promise.all(/* import() */[__nccwpck_require__.e(665), __nccwpck_require__.e(351)]).then(__nccwpck_require__.bind(__nccwpck_require__, 1351)), __nccwpck_require__.e(/* import() */ 665).then(__nccwpck_require__.bind(__nccwpck_require__, 8665))]).then(([{ getOctokit }, { defaults }]) => {
        // Octokit takes `request` whole: its defaults (the proxy-aware fetch and agent) are kept, their fetch bounded.
        const request = defaults.request;
        return getOctokit(token, { baseUrl: apiUrl.replace(/\/$/, ''), request: { ...request, fetch: boundedFetch(request?.fetch, bounds) } });
    }));
    // Octokit hands `request.signal` to its fetch (boundedFetch adds its time bound to it).
    const ending = stop?.signal ? { request: { signal: stop.signal } } : {};
    /** Before a call, and after one failed: the stop's error (StoppedHere) rather than what the cut request made of it. */
    const stopped = (what) => stop?.check(what);
    const api = {
        async checkAccess() {
            const what = `GET repository ${repo.owner}/${repo.repo}`;
            stopped(what);
            try {
                await (await octokit()).rest.repos.get({ ...repo, ...ending });
            }
            catch (err) {
                stopped(what);
                throw apiError(err, 'checking access to the repository', repo);
            }
        },
        async latest(branch) {
            const what = `GET pull requests of ${branch}`;
            stopped(what);
            try {
                // Newest first: the first page of one is all that is needed.
                const { data } = await (await octokit()).rest.pulls.list({ ...repo, state: 'all', head: `${repo.owner}:${branch}`, sort: 'created', direction: 'desc', per_page: 1, ...ending });
                const pr = data[0];
                return pr ? { number: pr.number, url: pr.html_url, state: pr.state === 'open' ? 'open' : pr.merged_at ? 'merged' : 'closed' } : undefined;
            }
            catch (err) {
                stopped(what);
                throw apiError(err, 'looking for the pull request of the branch', repo);
            }
        },
        async open({ branch, base, title, body }) {
            const what = `POST pull request from ${branch} to GitHub`;
            // Loaded first: only the request itself counts as sent.
            const client = await octokit();
            stop?.beforeChange(what);
            try {
                const { data } = await client.rest.pulls.create({ ...repo, head: branch, base, title, body, ...ending });
                return { number: data.number, url: data.html_url };
            }
            catch (err) {
                stopped(what);
                // 422 "A pull request already exists for owner:branch": a re-run, not a failure.
                if (pulls_status(err) === 422) {
                    const existing = await api.latest(branch);
                    if (existing?.state === 'open')
                        return { number: existing.number, url: existing.url };
                }
                throw apiError(err, 'opening the pull request', repo);
            }
        },
    };
    return api;
}

;// CONCATENATED MODULE: ./.build/platforms/git-revert/revert.js
/**
 * git-revert: undo the commits after the last good one on a new branch `rollback/<short-sha>`
 * (branch.ts: another name when that one is taken by a branch not this rollback's), push it, and
 * open a pull request whose merge redeploys the good code. Either all of that happens or nothing
 * is pushed: a conflict stops with the commit named and the checkout restored. A run started by a
 * deployment event never reverts from a HEAD that is (the merge of) a rollback, whatever from and
 * target say (the rollback cascade: notPutBackAgain).
 */







/** A revision the user named: a SHA or a ref name, never something git could read as an option. */
function checkRevision(raw, input) {
    const value = raw.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9._/~^-]*$/.test(value) || value.includes('..')) {
        throw new errors/* RollbackKitError */.dp(`Input ${input} must be a commit SHA or tag for provider git-revert; got "${raw}".`, 'Give the SHA of the last good commit.');
    }
    return value;
}
async function resolveCommit(git, rev, input) {
    const r = await git.try(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    if (r.code !== 0) {
        throw new errors/* RollbackKitError */.dp(`Commit ${rev} (input ${input}) is not in the checkout.`, 'Check the SHA, and run actions/checkout with fetch-depth: 0 so the whole history is there.');
    }
    return r.stdout.trim();
}
async function revertWithPullRequest(opts, log) {
    log.secret(opts.githubToken);
    const remote = opts.remote ?? 'origin';
    const previous = opts.target.trim().toLowerCase() === 'previous';
    const targetRev = previous ? undefined : checkRevision(opts.target, 'target');
    const fromRev = opts.from ? checkRevision(opts.from, 'from') : undefined;
    const repo = parseRepository(opts.repository);
    const git = await openGit(opts.repoDir, log, opts.timeoutSeconds * 1000, opts.stop);
    const head = await resolveCommit(git, 'HEAD', 'target');
    const given = targetRev ? await resolveCommit(git, targetRev, 'target') : undefined;
    const base = (await git.try(['symbolic-ref', '--short', '-q', 'HEAD'])).stdout.trim() || opts.baseBranch;
    if (!base)
        throw new errors/* RollbackKitError */.dp('The checkout is on a detached HEAD and no branch is known to open the pull request against.', 'Check out the branch that deploys production (actions/checkout with ref: main).');
    const notes = [];
    /** Nothing to do; `toSha` is the commit whose code the branch already has. */
    const done = (note, toSha, rolledBackFrom) => {
        log.info(note);
        return { status: 'already-current', fromSha: head, toSha, reverted: [], notes: [note], rolledBackFrom };
    };
    if (fromRev) {
        const from = await resolveCommit(git, fromRev, 'from');
        if (!(await isAncestor(git, from, head)))
            return done(`${base} (${merged_short(head)}) does not contain ${merged_short(from)}: nothing to revert.`, head);
        // A rollback already merged: reverting again from HEAD would revert the revert too.
        const undone = await undoneOnHead(git, from, head);
        if (undone)
            return done(`${base} (${merged_short(head)}) no longer has the changes of ${merged_short(from)}: ${undone}. Nothing to revert.`, head);
    }
    // The rollback cascade (vercel/rollback.ts): the merge of a rollback deploys, that deploy fails
    // its checks for an outage that is not the code's, and an automatic run would revert again,
    // commit by commit. A person may go further back with a target ("previous" from a rollback's
    // merge is the code it rolled back from). What HEAD says of itself: its messages name our
    // rollback (trailers, title, branch), or its files are exactly an older commit's again.
    const rollback = opts.automatic ? await readRollback(git, head) : undefined;
    if (rollback) {
        const { names, found } = rollback;
        const how = names.length
            ? `${base} is the merge of rollback-kit's rollback to ${merged_short(found?.target ?? names[0])}${found?.from ? `, made from ${merged_short(found.from)}` : ''}`
            : `${base} has exactly the files of ${merged_short(found.target)} again, which only a rollback (or a revert by hand) makes`;
        const note = notPutBackAgain(merged_short(head), how, "your hosting platform's status page", { fromGoesFurther: false, fromNamesIt: !!fromRev });
        log.warning(note);
        return { status: 'already-current', fromSha: head, toSha: found?.target ?? head, reverted: [], notes: [note], rolledBackFrom: found?.from, putThereByRollback: true };
    }
    let target;
    if (given) {
        // Reached by a rollback merged since, also when other commits landed before the merge: a
        // rollback again would revert the rollback's own reverts and those commits.
        const merged = await mergedRollbackTo(git, head, given);
        if (merged)
            return done(`${base} already holds the rollback to ${merged_short(given)} (merged as ${merged_short(head)}): nothing to revert.`, given, merged.from);
        target = given;
    }
    else {
        // HEAD^ of a merged rollback is the code it rolled back from (or, after a rebase merge, one of
        // its reverts): a rollback to it would ship that code again.
        const restored = await mergedRollback(git, head, base);
        if (restored) {
            return done(`${base} already holds the rollback to ${merged_short(restored.target)} (merged as ${merged_short(head)}): going back one commit from there would undo the rollback and ship the rolled-back code again, so target previous changes nothing. To go further back, give target: <SHA of the commit to go back to>.`, restored.target, restored.from);
        }
        target = await resolveCommit(git, 'HEAD^', 'target');
    }
    if (!(await isAncestor(git, target, head))) {
        throw new errors/* RollbackKitError */.dp(`Commit ${merged_short(target)} is not an ancestor of ${base} (${merged_short(head)}): there is no range to revert.`, 'Give a commit from the history of the deployed branch as target.');
    }
    if ((await git.try(['diff', '--quiet', target, head])).code === 0) {
        return done(`${base} (${merged_short(head)}) already has the same files as ${merged_short(target)}: nothing to revert.`, target);
    }
    if ((await git.run(['status', '--porcelain', '--untracked-files=no'], 'Checking the working tree')) !== '') {
        throw new errors/* RollbackKitError */.dp('The checkout has uncommitted changes, so the revert cannot start from a clean state.', 'Run this step on a fresh checkout.');
    }
    // First-parent history: a merged pull request is reverted as one commit (-m 1), not twice.
    const log_ = await git.run(['log', '--first-parent', '--format=%H%x09%P%x09%s', `${target}..${head}`], 'Listing the commits to revert');
    const commits = log_
        .split('\n')
        .filter(Boolean)
        .map((line) => {
        const [sha, parents, ...subject] = line.split('\t');
        return { sha: sha, merge: (parents ?? '').trim().split(' ').length > 1, subject: subject.join('\t') };
    });
    const planned = rollbackBranch(target);
    log.info(`Plan: revert ${commits.length} commit(s) on ${base} back to ${merged_short(target)}, on branch ${planned}, and open a pull request:`);
    for (const c of commits)
        log.info(`  revert ${merged_short(c.sha)} ${c.subject}`);
    const reverted = commits.map(({ sha, subject }) => ({ sha, subject }));
    if (opts.dryRun) {
        return { status: 'dry-run', fromSha: head, toSha: target, branch: planned, reverted, notes: [`Dry run: nothing was changed. A real run would revert ${commits.length} commit(s) on ${planned}.`] };
    }
    const prs = pullRequests(opts.githubToken, opts.apiUrl, repo, {}, opts.stop);
    await prs.checkAccess();
    const chosen = await chooseBranch(git, remote, head, target);
    const branch = chosen.name;
    for (const name of chosen.passedOver) {
        // A pull request still open from it (a rollback made from an older HEAD) would not revert
        // what the branch has had since: whoever merges must know which one is this rollback.
        const pull = await prs.latest(name);
        notes.push(pull?.state === 'open'
            ? `${name} on ${remote} is not this rollback's (it was made from another commit of ${base}, or by hand), and its pull request ${pull.url} is still open: it is left as it is, and this rollback uses ${branch}. Merge this rollback's pull request, not ${pull.url}, and close that one.`
            : `${name} on ${remote} is not this rollback's (an earlier rollback's, already merged or closed, or made from another commit of ${base}): it is left as it is, and this rollback uses ${branch}.`);
        log.warning(notes.at(-1));
    }
    if (chosen.pushed) {
        // An earlier run with this HEAD and target pushed it: its pull request is this rollback's,
        // open, or opened now (that run stopped first, or someone closed it).
        const earlier = await prs.latest(branch);
        if (earlier?.state === 'open') {
            notes.unshift(`Branch ${branch} was already pushed; its pull request is ${earlier.url}.`);
            log.info(notes[0]);
            return { status: 'already-current', fromSha: head, toSha: target, branch, pullRequestUrl: earlier.url, reverted, notes };
        }
        const pr = await prs.open(pullRequest(branch, base, target, head, reverted, opts.reason, log));
        notes.unshift(earlier?.state === 'closed'
            ? `Branch ${branch} was already pushed by an earlier run; its pull request ${earlier.url} was closed without merging, so this run opened ${pr.url}. If the rollback was closed on purpose, close this one too.`
            : `Branch ${branch} was already pushed by an earlier run; opened its pull request ${pr.url}.`);
        log.info(notes[0]);
        return { status: 'rolled-back', fromSha: head, toSha: target, branch, pullRequestUrl: pr.url, reverted, notes };
    }
    await git.run(['checkout', '-q', '-b', branch], `Creating branch ${branch}`);
    try {
        for (const c of commits) {
            // An empty commit ("redeploy") has nothing to undo, and git revert refuses it.
            if ((await git.try(['diff', '--quiet', `${c.sha}^1`, c.sha])).code === 0) {
                log.info(`  ${merged_short(c.sha)} changes no file: nothing to revert.`);
                continue;
            }
            const r = await git.try(['revert', '--no-edit', ...(c.merge ? ['-m', '1'] : []), c.sha]);
            if (r.code !== 0) {
                const files = (await git.try(['diff', '--name-only', '--diff-filter=U'])).stdout.trim().split('\n').filter(Boolean);
                // git ends with "Aborting" / "fatal: revert failed"; the cause is in the lines before.
                const said = log.redact((r.stderr + r.stdout)
                    .split('\n')
                    .map((l) => l.trim())
                    .filter((l) => l && !/^(hint:|Aborting$|fatal: revert failed)/.test(l))
                    .slice(0, 4)
                    .join(' ') || 'git revert failed');
                await git.try(['revert', '--abort']);
                throw new errors/* RollbackKitError */.dp(`Reverting ${merged_short(c.sha)} ("${c.subject}") failed${files.length ? ` with conflicts in ${files.join(', ')}` : ''}: ${said}. Nothing was pushed and the checkout is back on ${base}.`, 'Revert that commit by hand, or roll back the deployment with provider vercel or command.');
            }
            // The trailers name the target and this HEAD, so that a re-run after the merge knows the
            // rollback and the incident it belongs to (merged.ts).
            // --no-verify: the project's own commit hooks have no say over a message we only add lines to.
            const message = await git.run(['log', '-1', '--format=%B'], `Reading the revert of ${merged_short(c.sha)}`);
            await git.run(['commit', '--amend', '-q', '--no-verify', '-m', `${message}\n\n${rollbackTrailers(target, head)}`], `Marking the revert of ${merged_short(c.sha)}`);
        }
        if ((await git.try(['diff', '--quiet', target, 'HEAD'])).code !== 0) {
            const warning = `After the reverts, ${branch} still differs from ${merged_short(target)} (changes that did not come through ${base}'s first-parent history); review the pull request.`;
            log.warning(warning);
            notes.push(warning);
        }
        await git.change(['push', '-q', remote, `refs/heads/${branch}:refs/heads/${branch}`], `Pushing ${branch} to ${remote}`, `git push of ${branch} to ${remote}`);
    }
    catch (err) {
        // A revert the stop ended mid-way is undone before the checkout goes back to the branch.
        if (opts.stop?.stopped)
            await git.cleanUp(['revert', '--abort']);
        await git.cleanUp(['checkout', '-q', '-f', base]);
        await git.cleanUp(['branch', '-D', branch]);
        throw err;
    }
    await git.cleanUp(['checkout', '-q', base]);
    let url;
    try {
        url = (await prs.open(pullRequest(branch, base, target, head, reverted, opts.reason, log))).url;
    }
    catch (err) {
        // Leave nothing behind that looks like a rollback in progress; but after the stop nothing more
        // is pushed: the pushed branch is this rollback's, and a re-run opens its pull request.
        if (!opts.stop?.stopped)
            await git.try(['push', '-q', remote, '--delete', branch]).catch(() => undefined);
        await git.cleanUp(['branch', '-D', branch]);
        throw err;
    }
    notes.unshift(`Opened ${url}: merging it reverts ${commits.length} commit(s) and deploys ${merged_short(target)}'s code again.`);
    log.info(notes[0]);
    return { status: 'rolled-back', fromSha: head, toSha: target, branch, pullRequestUrl: url, reverted, notes };
}
/**
 * The pull request as GitHub shows it to everyone with access to the repository: the reason and
 * the commit subjects are outside text, redacted (the title's before it is cut). In the body they
 * are Markdown made inert (inlineText): a `@name` or `@org/team` in them would otherwise ping
 * people, and their Markdown would be rendered. Redacted before they are escaped, as an escaped
 * secret no longer reads as itself.
 */
function pullRequest(branch, base, target, head, reverted, reason, log) {
    const subjects = reverted.map((c) => ({ sha: c.sha, subject: log.redact(c.subject) }));
    return { branch, base, title: title(target, reason, log), body: log.redact(body(target, head, subjects, reason === undefined ? undefined : log.redact(reason))) };
}
/** A title is one line: the first line of the reason, cut to a readable length. */
function title(target, reason, log) {
    const first = (reason ?? '').split('\n')[0].trim();
    const cut = log.excerpt(first, 100);
    return `${rollbackTitle(target)}${cut ? `: ${cut}` : ''}`;
}
function body(target, head, reverted, reason) {
    return [
        `Reverts production to ${target} (from ${head}).`,
        '',
        `**Reason:** ${reason ? (0,markdown/* inlineText */.ln)(reason) : 'not given'}`,
        '',
        '**Reverted commits** (newest first):',
        ...reverted.map((c) => `- ${c.sha} ${(0,markdown/* inlineText */.ln)(c.subject)}`),
        '',
        'Opened by rollback-kit promote-previous (provider git-revert).',
    ].join('\n');
}

;// CONCATENATED MODULE: ./.build/platforms/netlify/api.js




const NETLIFY_API_URL = 'https://api.netlify.com';
function parseDeploy(raw) {
    const o = obj(raw);
    const id = read_str(o?.id);
    if (!o || !id)
        throw new UnexpectedShape('a Netlify deploy');
    const created = Date.parse(String(o.created_at ?? ''));
    const published = o.published_at === null ? null : read_str(o.published_at) ? Date.parse(read_str(o.published_at)) : undefined;
    return {
        id,
        state: (read_str(o.state) ?? 'unknown').toLowerCase(),
        context: read_str(o.context),
        commitRef: read_str(o.commit_ref),
        url: read_str(o.deploy_ssl_url) ?? read_str(o.deploy_url),
        createdAt: Number.isNaN(created) ? 0 : created,
        locked: typeof o.locked === 'boolean' ? o.locked : undefined,
        publishedAt: published === null || published === undefined || !Number.isNaN(published) ? published : undefined,
        siteId: read_str(o.site_id),
    };
}
function netlifyClient(opts) {
    opts.log.secret(opts.token);
    return new HttpClient({ service: 'Netlify', baseUrl: opts.apiUrl || NETLIFY_API_URL, headers: { Authorization: `Bearer ${opts.token}` }, log: opts.log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep: opts.sleep, deadline: opts.deadline, stop: opts.stop });
}
const site = (id) => `/api/v1/sites/${encodeURIComponent(id)}`;
async function getSite(c, id) {
    const o = obj(await c.get(site(id)));
    if (!o || !read_str(o.id))
        throw new UnexpectedShape('a Netlify site');
    const published = obj(o.published_deploy);
    return { id: read_str(o.id), name: read_str(o.name), url: read_str(o.ssl_url) ?? read_str(o.url), published: published?.id ? parseDeploy(published) : undefined };
}
const PER_PAGE = 50;
/** Ready production deploys, newest first, a page per iteration. */
async function* readyProductionDeploys(c, siteId, bound) {
    const guard = new PageGuard(`the ready production deploys of site ${siteId}`);
    for (let page = 1;; page++) {
        const data = await listingPage(bound, page - 1, () => c.get(`${site(siteId)}/deploys`, { production: true, state: 'ready', page, per_page: PER_PAGE }));
        if (!Array.isArray(data))
            throw new UnexpectedShape('the Netlify deploy list');
        const list = data.map(parseDeploy);
        yield list;
        if (list.length < PER_PAGE)
            return;
        // Page numbers always advance, so a server that ignores them shows as the same page again.
        guard.check(list.map((d) => d.id).join(' '), 'page');
    }
}
async function getDeploy(c, deployId) {
    return parseDeploy(await c.get(`/api/v1/deploys/${encodeURIComponent(deployId)}`));
}
async function restore(c, siteId, deployId) {
    return parseDeploy((await c.request('POST', `${site(siteId)}/deploys/${encodeURIComponent(deployId)}/restore`)).data);
}
async function lockDeploy(c, deployId) {
    return parseDeploy((await c.request('POST', `/api/v1/deploys/${encodeURIComponent(deployId)}/lock`)).data);
}

;// CONCATENATED MODULE: ./.build/platforms/netlify/rollback.js
/**
 * Puts the previous ready production deploy of a Netlify site back: find the published deploy,
 * choose the newest older ready production deploy with other code, restore it, confirm the site
 * publishes it, then lock it so that new builds stop publishing over the rollback. Safe to repeat:
 * a `from` that is no longer published, a target that is, or (without `from`) a published deploy
 * older than a ready one that was published before it (an earlier rollback) is reported as
 * already-current and nothing is changed. Newer deploys that were never published (built while
 * auto publishing was stopped) are no such evidence, and a `from` naming the published deploy says
 * it is bad whatever else the list shows. A run started by a deployment event never restores over a
 * deploy an earlier rollback published, whatever from and target say (the rollback cascade:
 * notPutBackAgain), but does lock it when that rollback could not.
 */









const DEFAULT_POLL_INTERVAL_MS = 1000;
const unlockHint = (deployId) => `When the fix is ready, start auto publishing again: Netlify \u2192 the site \u2192 Deploys \u2192 "Start auto publishing", or POST /api/v1/deploys/${deployId}/unlock.`;
function frozenState(siteName, published) {
    if (published?.locked)
        return { frozen: true, what: `Auto publishing of Netlify site ${siteName} is stopped (deploy ${published.id} is locked): new builds will not go live.`, undo: unlockHint(published.id) };
    return { frozen: false, what: `Auto publishing of Netlify site ${siteName} is on: the next production build goes live.` };
}
const rollback_info = (d) => ({ id: d?.id, url: d?.url, commitSha: d?.commitRef });
const describe = (d) => `${d.id} (${d.state}${d.commitRef ? `, commit ${d.commitRef.slice(0, 7)}` : ''}${d.createdAt ? `, created ${new Date(d.createdAt).toISOString()}` : ''})`;
const HEX_ID = /^[a-f0-9]{24}$/i;
/**
 * `from` as a deploy id, or as a deployment event names it (from-ref.ts): the commit it was built
 * from, or a URL. A deploy's own URL (its permalink, https://<deploy id>--<site>.netlify.app, what
 * Netlify's deployment statuses point at) names it; any other (the site's domain) names none.
 */
function parseFrom(raw) {
    const v = raw.trim();
    if (HEX_ID.test(v))
        return { kind: 'id', value: v.toLowerCase() };
    const host = urlHost(v);
    if (host) {
        const permalink = NETLIFY_PERMALINK.exec(host);
        return permalink ? { kind: 'id', value: permalink[1] } : { kind: 'url', value: v };
    }
    const sha = commitSha(v);
    if (sha)
        return { kind: 'sha', value: sha };
    throw new errors/* RollbackKitError */.dp(`Input from must be a Netlify deploy id (24 hex characters), its URL, or the commit SHA it was built from; got "${raw}".`, 'Copy the deploy id from the deploy page URL, or give the commit SHA of the bad deploy.');
}
function compareFrom(from, published) {
    if (from.kind === 'id')
        return from.value === published.id.toLowerCase() ? 'names-live' : 'not-live';
    return from.kind === 'sha' ? compareCommit(from.value, published.commitRef) : 'unproven';
}
/** Refuses a named deploy that is not this site's ready production deploy: publishing it would not be a rollback. */
function checkExplicitTarget(d, site, name, log) {
    if (d.siteId && d.siteId !== site.id) {
        throw new errors/* RollbackKitError */.dp(`Deploy ${d.id} belongs to another site (${d.siteId}), not to ${name} (${site.id}).`, 'Check the target and site inputs: target must be a deploy of this site.');
    }
    if (!d.siteId)
        log.warning(`Netlify did not say which site deploy ${d.id} belongs to; going ahead because it was named explicitly.`);
    if (d.context && d.context !== 'production') {
        throw new errors/* RollbackKitError */.dp(`Deploy ${describe(d)} of site ${name} is a ${d.context} deploy, not a production one: publishing it would put code that never passed as production live, not roll back.`, 'Choose a ready production deploy of this site as target (or leave target as previous).');
    }
    if (d.state !== 'ready')
        throw new errors/* RollbackKitError */.dp(`Deploy ${describe(d)} of site ${name} is not ready, so it cannot be published.`, 'Choose a ready production deploy.');
}
/** Why an older deploy cannot be what "previous" means, or undefined when it can. */
function rollback_skipReason(d, published) {
    if (d.state !== 'ready')
        return `state ${d.state}, not ready`;
    if (d.context && d.context !== 'production')
        return `a ${d.context} deploy, not production`;
    if (d.commitRef && d.commitRef === published.commitRef)
        return 'same commit as the published deploy';
    return undefined;
}
function earlierPublish(newer) {
    const replaced = newer.reduce((a, d) => (typeof d.publishedAt === 'number' && (!a || d.publishedAt > a.publishedAt) ? d : a), undefined);
    if (replaced)
        return { put: 'rollback', wasLive: newer.find((d) => typeof d.publishedAt === 'number'), replaced };
    const unknown = newer.find((d) => d.publishedAt === undefined);
    return unknown ? { put: 'unknown', newer: unknown } : undefined;
}
async function promoteOnNetlify(opts, log) {
    log.secret(opts.token);
    const siteId = opts.site.trim();
    if (!siteId)
        throw new errors/* RollbackKitError */.dp('Input site is required when provider is netlify.', 'Set site to the site id (Site configuration \u2192 Site details) or its name.netlify.app domain.');
    if (!/^[a-z0-9][a-z0-9.-]*$/i.test(siteId))
        throw new errors/* RollbackKitError */.dp(`Input site must be a Netlify site id or domain; got "${opts.site}".`, 'Copy the site id from Site configuration \u2192 Site details.');
    const targetInput = (opts.target || 'previous').trim();
    const targetId = targetInput.toLowerCase() === 'previous' ? undefined : targetInput;
    if (targetId && !HEX_ID.test(targetId))
        throw new errors/* RollbackKitError */.dp(`Input target must be a Netlify deploy id (24 hex characters); got "${targetId}".`, 'Copy the deploy id from the deploy page URL.');
    const from = opts.from?.trim() ? parseFrom(opts.from) : undefined;
    const sleep = guardedSleep(opts.stop, opts.sleep ?? client_sleep);
    const now = opts.now ?? Date.now;
    const step = new StepDeadline(now, opts.timeoutSeconds, opts.timeoutInput);
    const c = netlifyClient({ token: opts.token, apiUrl: opts.apiUrl, log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep, deadline: step, stop: opts.stop });
    const ctx = (doing, deploy) => ({
        doing,
        tokenInput: 'netlify-token',
        notFound: deploy ? `Deploy ${deploy} of site ${siteId}` : `Site ${siteId}`,
        notFoundHint: deploy ? 'Check the target/from input: a deploy id of this site.' : 'Check the site input (site id or name.netlify.app) and that the token belongs to a member of its team.',
        statusPage: 'https://www.netlifystatus.com',
    });
    const site = await calling(ctx(`looking up site ${siteId}`), () => getSite(c, siteId));
    const name = site.name ?? site.id;
    const published = site.published;
    if (!published)
        throw new errors/* RollbackKitError */.dp(`Site ${name} has no published deploy, so there is nothing to roll back.`, 'Check the site input.');
    log.info(`Netlify site ${name} publishes ${describe(published)}${published.locked ? ' (locked)' : ''}.`);
    const base = { skipped: [], frozen: frozenState(name, published) };
    // When the goal state is already reached (an earlier run restored but could not lock, or the
    // target is simply published), finish the freeze rather than report a site that still publishes.
    // The cascade guard does too (`guard`): locking changes nothing that serves and is undone with one
    // click, while a rollback left unlocked lets the next production build publish over it unchecked,
    // so an earlier rollback that failed half-way is finished, never walked further back.
    const alreadyCurrent = async (rolledBackFrom, note, guard = false) => {
        if (guard)
            log.warning(note);
        else
            log.info(note);
        const put = guard ? { putThereByRollback: true } : {};
        if (published.locked)
            return { ...base, status: 'already-current', from: rollback_info(published), to: rollback_info(published), notes: [note], rolledBackFrom, ...put };
        if (opts.dryRun) {
            const unfinished = `lock deploy ${published.id}, so that new builds stop publishing over it`;
            return { ...base, status: 'already-current', from: rollback_info(published), to: rollback_info(published), notes: [note, `Dry run: it is not locked; a real run would ${unfinished}.`], rolledBackFrom, unfinished, ...put };
        }
        const locked = await calling(ctx(`locking deploy ${published.id}`), () => lockDeploy(c, published.id)).catch((err) => {
            throw new errors/* RollbackKitError */.dp(`${note} Deploy ${published.id} is not locked, and locking it failed, so the next production build will publish over it: ${err.message}`, 'Stop auto publishing now: Netlify \u2192 the site \u2192 Deploys \u2192 "Stop auto publishing", or re-run the step (it locks the published deploy).');
        });
        const frozen = frozenState(name, { ...published, locked: locked.locked ?? true });
        log.warning(`${frozen.what} ${frozen.undo ?? ''}`.trim());
        return { ...base, frozen, status: 'already-current', from: rollback_info(published), to: rollback_info(published), notes: [note, `${frozen.what} ${frozen.undo ?? ''}`.trim()], rolledBackFrom, ...put };
    };
    const fromSays = from && compareFrom(from, published);
    if (fromSays === 'unproven') {
        warnUnproven(log, opts.from, from.kind === 'url' ? "is a URL that names no deploy (a deploy's own URL begins with its id)" : `is a commit, and the published deploy ${published.id} records none`);
    }
    const fromNamesPublished = fromSays === 'names-live';
    if (from && fromSays === 'not-live') {
        const note = `Site ${name} no longer publishes ${from.kind === 'sha' ? `commit ${from.value}` : from.value}; it publishes ${describe(published)}. Nothing to do.`;
        log.info(note);
        return { ...base, status: 'already-current', from: rollback_info(published), to: rollback_info(published), notes: [note] };
    }
    // One walk over the ready production deploys, newest first: those above the published one (newer,
    // not serving), then, for "previous", the older ones until the first fit. An explicit target needs
    // the walk only for an automatic run, and only as far as the published deploy.
    let target;
    const skipped = [];
    const newer = [];
    let seen = 0;
    if (!targetId || opts.automatic) {
        let below = false;
        await calling(ctx(`listing the ready production deploys of site ${name}`), async () => {
            for await (const page of readyProductionDeploys(c, site.id, listingBound(step, `the ready production deploys of site ${name}`))) {
                for (const d of page) {
                    if (d.id === published.id) {
                        below = true;
                        if (targetId)
                            return;
                        continue;
                    }
                    if (!below) {
                        if (d.createdAt > published.createdAt)
                            newer.push(d);
                        continue;
                    }
                    seen++;
                    const reason = rollback_skipReason(d, published);
                    if (!reason) {
                        target = d;
                        return;
                    }
                    skipped.push({ id: d.id, reason });
                }
            }
        });
    }
    const earlier = earlierPublish(newer);
    // The rollback cascade (vercel/rollback.ts): the deploy a rollback published failing its checks
    // for an outage that is not the deploy's must not start another restore, release by release. A
    // person may go further back: from naming the published deploy, or a target.
    if (opts.automatic && earlier?.put === 'rollback') {
        const { wasLive, replaced } = earlier;
        const how = `${wasLive.id}, newer, was published before it${replaced.id !== wasLive.id ? ` (${replaced.id} last)` : ''}, so an earlier rollback put it back`;
        return alreadyCurrent(replaced.id, notPutBackAgain(published.id, how, "Netlify's status page", { fromNamesIt: fromNamesPublished }), true);
    }
    if (opts.automatic && earlier?.put === 'unknown') {
        // Not knowing must not let an event walk production back: stop, and leave it to a person.
        throw new errors/* RollbackKitError */.dp(`Site ${name} publishes ${published.id} although ${earlier.newer.id} is newer and ready, and Netlify does not say whether that one was ever published, so this automatic run cannot tell whether an earlier rollback put ${published.id} there; rolling back from a rollback would walk production back release by release. Nothing was changed.`, `Check the site's deploys in the Netlify dashboard. If ${published.id} is the bad deploy, run the rollback by hand with from: ${published.id}; if a rollback put it there, the outage is likely not the deploy's: check the database, third-party services and Netlify's status page.`);
    }
    if (targetId) {
        if (targetId === published.id) {
            return alreadyCurrent(undefined, `${describe(published)} is already published. Nothing to restore.`);
        }
        target = await calling(ctx('looking up the target deploy', targetId), () => getDeploy(c, targetId));
        checkExplicitTarget(target, site, name, log);
    }
    else {
        // A from naming the published deploy says it is bad: nothing in the list can overrule that.
        if (!fromNamesPublished && earlier?.put === 'rollback') {
            return alreadyCurrent(earlier.replaced.id, `Site ${name} publishes ${published.id} although ${earlier.wasLive.id}, newer, was published before it: an earlier rollback has already put it back. Nothing to restore; to go further back, name the deploy in target or set from to ${published.id}.`);
        }
        if (!fromNamesPublished && earlier?.put === 'unknown') {
            throw new errors/* RollbackKitError */.dp(`Site ${name} publishes ${published.id} although ${earlier.newer.id} is newer and ready, and Netlify does not say whether that one was ever published: ${published.id} may be there because of an earlier rollback, or because auto publishing was stopped before the newer deploys. Nothing was changed.`, `If ${published.id} is the bad deploy, set from to ${published.id}: the step then rolls back from it. Or name the deploy to return to in target.`);
        }
        if (!fromNamesPublished && newer.length)
            log.info(`${newer.length} newer ready deploy(s) were never published (auto publishing was stopped before them): not the mark of an earlier rollback.`);
        if (!target) {
            throw new errors/* RollbackKitError */.dp(`No earlier ready production deploy of site ${name} can take over from ${published.id}: ${seen} older one(s) read, none with other code.${describeSkipped(skipped)}`, 'Name the deploy to return to in target, or use provider git-revert to build the previous code again.');
        }
    }
    const to = target;
    const plan = [
        `Plan: restore Netlify site ${name}`,
        `  from ${describe(published)}`,
        `  to   ${describe(to)}`,
        ...skipped.map((s) => `  skipped ${s.id}: ${s.reason}`),
        '  then lock it so new builds stop publishing',
    ];
    logPlan(log, plan, { from: rollback_info(published).id, to: rollback_info(to).id }, opts.planLogged);
    if (opts.dryRun) {
        return { ...base, status: 'dry-run', from: rollback_info(published), to: rollback_info(to), skipped, notes: [`Dry run: nothing was changed. A real run would restore ${to.id} and lock it.`] };
    }
    const requestedAt = now();
    const deadline = step.restart();
    await calling(ctx('restoring the deploy', to.id), () => restore(c, site.id, to.id));
    log.info(`Netlify accepted the restore of ${to.id}; waiting for the site to publish it.`);
    for (;;) {
        const s = await calling(ctx(`checking what site ${name} publishes`), () => getSite(c, site.id));
        if (s.published?.id === to.id)
            break;
        if (now() >= deadline) {
            throw new errors/* RollbackKitError */.dp(`Site ${name} did not publish ${to.id} within ${opts.timeoutSeconds} s of the restore; it publishes ${s.published?.id ?? 'nothing'}.`, 
            // Locking comes after the publish, so a build pushed meanwhile could still go live.
            `Nothing is locked yet. Check the site in the Netlify dashboard (Deploys), then re-run the step with target ${to.id}: it waits for the publish again and locks it.`);
        }
        await sleep(nextPoll(opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, deadline, now()));
    }
    const restored = `Site ${name} now publishes ${describe(to)} (restored from ${published.id} in ${((now() - requestedAt) / 1000).toFixed(1)} s).`;
    log.info(restored);
    const locked = await calling(ctx(`locking deploy ${to.id}`), () => lockDeploy(c, to.id)).catch((err) => {
        const e = err;
        throw new errors/* RollbackKitError */.dp(`${restored} But locking it failed, so the next production build will publish over it: ${e.message}`, `Stop auto publishing now: Netlify \u2192 the site \u2192 Deploys \u2192 "Stop auto publishing", or re-run the step (it locks the published deploy).`);
    });
    const frozen = frozenState(name, { ...to, locked: locked.locked ?? true });
    log.warning(`${frozen.what} ${frozen.undo ?? ''}`.trim());
    return { status: 'rolled-back', from: rollback_info(published), to: rollback_info(to), skipped, frozen, notes: [restored, `${frozen.what}${frozen.undo ? ` ${frozen.undo}` : ''}`] };
}

;// CONCATENATED MODULE: ./.build/platforms/railway/client.js
/**
 * The Railway GraphQL client. Railway has two token kinds with different headers (railwayapp/cli
 * `src/client.rs`): project tokens go in `Project-Access-Token`, account and workspace tokens in
 * `Authorization: Bearer`. One input holds either, and they look alike, so the first call tries the
 * project header and, if Railway says the token is not authorized, the bearer one; the kind that
 * works is kept for every later call.
 */


const RAILWAY_API_URL = 'https://backboard.railway.com/graphql/v2';
const isAuthFailure = (err) => (err instanceof HttpApiError && (err.status === 401 || err.status === 403) && !err.rateLimited) ||
    (err instanceof GraphQLError && (err.code === 'UNAUTHENTICATED' || /not authori[sz]ed|unauthori[sz]ed|invalid token/i.test(err.messages.join(' '))));
class RailwayClient {
    kind;
    clients;
    constructor(opts) {
        const { token, apiUrl, tokenKind, ...tuning } = opts;
        opts.log.secret(token);
        this.kind = tokenKind;
        const http = (headers) => new HttpClient({ ...tuning, service: 'Railway', baseUrl: apiUrl, headers });
        this.clients = { project: http({ 'Project-Access-Token': token }), account: http({ Authorization: `Bearer ${token}` }) };
    }
    /** The kind of token that worked, once a call has succeeded. */
    get tokenKind() {
        return this.kind;
    }
    async query(operation, query, variables = {}) {
        if (this.kind)
            return graphql(this.clients[this.kind], '', operation, query, variables);
        try {
            const data = await graphql(this.clients.project, '', operation, query, variables);
            this.kind = 'project';
            return data;
        }
        catch (err) {
            if (!isAuthFailure(err))
                throw err;
        }
        const data = await graphql(this.clients.account, '', operation, query, variables);
        this.kind = 'account';
        return data;
    }
}

;// CONCATENATED MODULE: ./.build/platforms/railway/model.js
/**
 * The fields of Railway deployments a rollback needs, read tolerantly: unknown fields ignored,
 * unknown statuses kept as strings; a deployment without an id is the only parse error.
 */


function parseDeployment(raw) {
    const o = obj(raw);
    const id = read_str(o?.id);
    if (!o || !id)
        throw new UnexpectedShape('a Railway deployment');
    const meta = obj(o.meta) ?? {};
    const created = typeof o.createdAt === 'number' ? o.createdAt : Date.parse(String(o.createdAt ?? ''));
    return {
        id,
        status: read_str(o.status)?.toUpperCase() ?? 'UNKNOWN',
        createdAt: Number.isNaN(created) ? 0 : created,
        canRollback: typeof o.canRollback === 'boolean' ? o.canRollback : undefined,
        commitHash: read_str(meta.commitHash),
        image: read_str(meta.image),
        url: read_str(o.staticUrl) ? `https://${read_str(o.staticUrl)}` : undefined,
    };
}
function parseDeploymentPage(data) {
    const conn = obj(data.deployments);
    if (!conn || !Array.isArray(conn.edges))
        throw new UnexpectedShape('the Railway deployment list');
    const deployments = conn.edges.map((e) => parseDeployment(obj(e)?.node));
    const page = obj(conn.pageInfo);
    return { deployments, next: page?.hasNextPage === true ? read_str(page.endCursor) : undefined };
}
/** What the code of a deployment is, to recognise a copy made by an earlier rollback. */
const codeOf = (d) => d.commitHash ?? d.image;
const describeDeployment = (d) => `${d.id} (${d.status}${d.commitHash ? `, commit ${d.commitHash.slice(0, 7)}` : d.image ? `, image ${d.image}` : ''}${d.createdAt ? `, created ${new Date(d.createdAt).toISOString()}` : ''})`;

;// CONCATENATED MODULE: ./.build/platforms/railway/api.js


const FIELDS = 'id status createdAt canRollback staticUrl meta';
const PAGE_SIZE = 50;
/** The deployments of one service in one environment, newest first, a page per iteration. */
async function* deployments(client, ref, bound) {
    const guard = new PageGuard(`the deployments of service ${ref.serviceId}`);
    let after;
    for (let page = 0;; page++) {
        const data = await listingPage(bound, page, () => client.query('deployments', `query deployments($input: DeploymentListInput!, $first: Int, $after: String) {
        deployments(input: $input, first: $first, after: $after) { edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } }
      }`, { input: ref, first: PAGE_SIZE, after }));
        const { deployments: list, next } = parseDeploymentPage(data);
        yield list;
        if (!next || list.length === 0)
            return;
        guard.check(next);
        after = next;
    }
}
async function getDeployment(client, id) {
    const data = await client.query('deployment', `query deployment($id: String!) { deployment(id: $id) { ${FIELDS} serviceId environmentId } }`, { id });
    const raw = data.deployment;
    return { ...parseDeployment(raw), serviceId: raw?.serviceId, environmentId: raw?.environmentId };
}
async function latestDeployment(client, ref) {
    const data = await client.query('serviceInstance', `query serviceInstance($environmentId: String!, $serviceId: String!) { serviceInstance(environmentId: $environmentId, serviceId: $serviceId) { latestDeployment { ${FIELDS} } } }`, { environmentId: ref.environmentId, serviceId: ref.serviceId });
    const latest = data.serviceInstance?.latestDeployment;
    return latest ? parseDeployment(latest) : undefined;
}
/** Returns only a Boolean: success is seen by polling the service's latest deployment. */
async function rollback(client, id) {
    const data = await client.query('deploymentRollback', 'mutation deploymentRollback($id: String!) { deploymentRollback(id: $id) }', { id });
    return data.deploymentRollback === true;
}

;// CONCATENATED MODULE: ./.build/platforms/railway/rollback.js
/**
 * Puts an earlier Railway deployment of a service back: find the live deployment, choose the
 * target (the newest older deployment Railway allows a rollback to), ask for `deploymentRollback`,
 * then poll the service's latest deployment until it is SUCCESS. Safe to repeat: a `from` that is no
 * longer live, a target that already is, or a live deployment that already runs the code of one below
 * the target (an earlier rollback, to "previous" or to a named deployment) is reported as already-current and nothing is changed. A rollback is a
 * new deployment copying the target's meta (commit, image), so a copy is known only by that code:
 * when neither the live deployment nor the one it could be a copy of carries any, and `from` does
 * not name the live deployment, the step refuses rather than risk putting the bad release back. An
 * explicit target that the live deployment is already a copy of (same code, made after it, a
 * release of other code between them) is already-current too: a re-run of the same request does
 * not make another copy. A run started by a deployment event never rolls back from a live
 * deployment that is an earlier rollback's copy, whatever from and target say, and, when it cannot
 * tell (no code on either side), changes nothing and fails (the rollback cascade: notPutBackAgain).
 */










const rollback_DEFAULT_POLL_INTERVAL_MS = 2000;
/** A deployment in one of these has replaced its predecessor (CRASHED did, then died). */
const TOOK_OVER = new Set(['SUCCESS', 'SLEEPING', 'CRASHED']);
const FAILED = new Set(['FAILED', 'CRASHED']);
const IN_FLIGHT = new Set(['BUILDING', 'DEPLOYING', 'INITIALIZING', 'QUEUED', 'WAITING', 'NEEDS_APPROVAL']);
const RAILWAY_NOTHING_FROZEN = {
    frozen: false,
    what: 'Railway has nothing to freeze: the next push or `railway up` to this service deploys and goes live as usual, so hold merges to the deploy branch until the fix is ready.',
};
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
function checkId(value, input, what) {
    const v = value.trim();
    if (!v)
        throw new errors/* RollbackKitError */.dp(`Input ${input} is required when provider is railway.`, `Set ${input} to the ${what} id (from the Railway dashboard URL or \`railway status --json\`).`);
    if (!ID.test(v))
        throw new errors/* RollbackKitError */.dp(`Input ${input} must be a Railway ${what} id; got "${value}".`, `Copy the ${what} id from the Railway dashboard URL.`);
    return v;
}
/** A commit SHA, full or abbreviated: Railway's deployment ids are UUIDs, never hex alone. */
const COMMIT = /^[0-9a-f]{7,40}$/i;
/**
 * `from` names the bad deployment by its id or by the commit it was built from (what a deploy
 * workflow knows: auto-rollback.yml's workflow_run trigger passes the run's head SHA). Anything
 * else cannot name a Railway deployment, and comparing it would only ever say "no longer live".
 */
function rollback_parseFrom(raw) {
    const v = raw.trim();
    if (COMMIT.test(v))
        return { kind: 'commit', value: v.toLowerCase() };
    if (ID.test(v))
        return { kind: 'id', value: v };
    throw new errors/* RollbackKitError */.dp(`Input from must be a Railway deployment id or the commit SHA it was built from; got "${raw}".`, 'Copy the deployment id from the Railway dashboard, or give the commit SHA of the bad deploy.');
}
/**
 * What `from` says about the live deployment: it names it (by id, or by the commit it carries), it
 * names another one (production has moved off it), or nothing, when it is a SHA and the live
 * deployment carries no commit (an image, or `railway up`). As on Vercel, an unproven from counts as
 * no from: it neither ends the run nor vouches for the live deployment when its code cannot.
 */
function rollback_compareFrom(from, live) {
    if (from.kind === 'id')
        return from.value === live.id ? 'names-live' : 'not-live';
    if (!live.commitHash)
        return 'unproven';
    return live.commitHash.toLowerCase().startsWith(from.value) ? 'names-live' : 'not-live';
}
/**
 * Whether the live deployment could be an earlier rollback's copy of `older` (one older than the
 * release "previous" would pick, so a release of other code lies between them). A copy carries its
 * source's commit and image, so equal code says yes and code on one side only says no; with no code
 * on either side nothing can be told.
 */
function copyOf(live, older) {
    if (!older)
        return 'no';
    const [a, b] = [codeOf(live), codeOf(older)];
    if (a && b)
        return a === b ? 'yes' : 'no';
    return a || b ? 'no' : 'unknown';
}
/** `live` is a copy of `target` (a rollback to it, or a redeploy of its code): newer, with the same commit or image. Without code nothing can be told. */
function madeFrom(live, target) {
    const code = codeOf(live);
    return !!code && code === codeOf(target) && live.createdAt > target.createdAt;
}
const railway_rollback_info = (d) => ({ id: d?.id, url: d?.url, commitSha: d?.commitHash, image: d?.image });
/** Why an older deployment cannot be what "previous" means, or undefined when it can. */
function railway_rollback_skipReason(d, live) {
    if (FAILED.has(d.status))
        return `status ${d.status}: it never served well`;
    if (d.canRollback === false)
        return `Railway does not allow a rollback to it (status ${d.status}; past the plan's retention or never deployed)`;
    if (d.canRollback === undefined && d.status !== 'REMOVED')
        return `status ${d.status}: it never served`;
    const code = codeOf(d);
    if (code && code === codeOf(live))
        return 'same code as the live deployment';
    return undefined;
}
/**
 * What "previous" means from the live deployment: the newest older one Railway allows a rollback
 * to with other code (with those passed over and why). Then whether the live deployment is a copy
 * an earlier rollback made: a rollback to "previous" copies the release right below that target, a
 * rollback to a named target any older one, so every older deployment that did not fail is compared
 * until one has the live deployment's code (or, when the live one has none, none either: then it
 * cannot be told). Reads only as far as it must: to the end of the list when the live deployment is
 * no copy.
 */
async function previousOf(read, live) {
    const skipped = [];
    let seen = 0;
    let target;
    for (let r = await read(); !r.done; r = await read()) {
        seen++;
        const reason = railway_rollback_skipReason(r.value, live);
        if (!reason) {
            target = r.value;
            break;
        }
        skipped.push({ id: r.value.id, reason });
    }
    if (!target)
        return { skipped, seen, copy: 'no' };
    let below;
    for (let r = await read(); !r.done; r = await read()) {
        if (FAILED.has(r.value.status))
            continue;
        below ??= r.value;
        const copy = copyOf(live, r.value);
        if (copy !== 'no')
            return { target, skipped, seen, copy, source: r.value, below };
    }
    return { target, skipped, seen, copy: 'no', below };
}
async function promoteOnRailway(opts, log) {
    log.secret(opts.token);
    // Every input is checked before the first request, so a typo never half-runs anything.
    const ref = { projectId: checkId(opts.project, 'project', 'project'), environmentId: checkId(opts.environment, 'environment', 'environment'), serviceId: checkId(opts.service, 'service', 'service') };
    const targetInput = (opts.target || 'previous').trim();
    const targetId = targetInput.toLowerCase() === 'previous' ? undefined : checkId(targetInput, 'target', 'deployment');
    const from = opts.from?.trim() ? rollback_parseFrom(opts.from) : undefined;
    const sleep = guardedSleep(opts.stop, opts.sleep ?? client_sleep);
    const now = opts.now ?? Date.now;
    const step = new StepDeadline(now, opts.timeoutSeconds, opts.timeoutInput);
    const client = new RailwayClient({ token: opts.token, tokenKind: opts.tokenKind, apiUrl: opts.apiUrl || RAILWAY_API_URL, log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep, deadline: step, stop: opts.stop });
    const where = `service ${ref.serviceId} in environment ${ref.environmentId} of project ${ref.projectId}`;
    const ctx = (doing, deployment) => ({
        doing,
        tokenInput: 'railway-token',
        notFound: deployment ? `Deployment ${deployment} of ${where}` : `The ${where}`,
        notFoundHint: deployment ? 'Check the target/from input: a deployment id of this service.' : 'Check the project, environment and service inputs (ids), and that the token belongs to that project or workspace.',
        statusPage: 'https://status.railway.com',
    });
    const base = { skipped: [], frozen: RAILWAY_NOTHING_FROZEN };
    // One walk over the listing, newest first: what is newer than the live one, the live one, then
    // the older ones until the first fit and the one below it.
    const listing = deployments(client, ref, listingBound(step, `the deployments of ${where}`));
    const walk = async function* () {
        for await (const page of listing)
            yield* page;
    };
    const it = walk();
    const next = () => calling(ctx(`listing the deployments of ${where}`), () => it.next());
    // The deployments older than the live one, each read once, then replayed: the search for
    // "previous" and an explicit target's check each read them from the live one down.
    const older = [];
    const olderReader = () => {
        let i = 0;
        return async () => {
            if (i < older.length)
                return { done: false, value: older[i++] };
            const r = await next();
            if (!r.done) {
                older.push(r.value);
                i++;
            }
            return r;
        };
    };
    let live;
    let newest;
    const newer = [];
    for (let r = await next(); !r.done; r = await next()) {
        newest ??= r.value;
        if (TOOK_OVER.has(r.value.status)) {
            live = r.value;
            break;
        }
        newer.push(r.value);
    }
    if (!live) {
        throw new errors/* RollbackKitError */.dp(`The ${where} has no live deployment (${newer.length} deployment(s) listed, none SUCCESS), so there is nothing to roll back.`, 'Check the project, environment and service inputs.');
    }
    log.info(`Railway ${where} serves ${describeDeployment(live)}${live.status === 'CRASHED' ? ' \u2014 it has crashed' : ''}.`);
    for (const d of newer)
        if (IN_FLIGHT.has(d.status))
            log.warning(`A newer deployment ${describeDeployment(d)} is in progress: when it finishes it replaces whatever this step puts back. Cancel it in the Railway dashboard if it carries the bad code.`);
    const fromSays = from ? rollback_compareFrom(from, live) : undefined;
    if (fromSays === 'unproven') {
        log.warning(`The live deployment ${live.id} carries no commit SHA, so from (${from.value}) cannot be compared with it: it counts as no from.`);
    }
    if (from && fromSays === 'not-live') {
        const note = `The ${where} no longer serves ${from.kind === 'commit' ? `commit ${from.value}` : from.value}; it serves ${describeDeployment(live)}. Nothing to do.`;
        log.info(note);
        return { ...base, status: 'already-current', from: railway_rollback_info(live), to: railway_rollback_info(live), notes: [note] };
    }
    const skipped = newer.map((d) => ({ id: d.id, reason: `newer than the live deployment, status ${d.status}` }));
    // "previous", and the releases below it: a live deployment with the code of one of them is an
    // earlier rollback's copy (a rollback is a new deployment carrying its source's code).
    const previous = !targetId || opts.automatic ? await previousOf(olderReader(), live) : undefined;
    const copy = previous?.copy ?? 'no';
    // What the copy is of, as the notes name it: the release below "previous", or an older one a rollback named.
    const copied = (source) => `${source.id}, ${source === previous?.below ? 'the release before' : 'older than'} ${previous.target.id}`;
    // The rollback cascade (vercel/rollback.ts): the copy an earlier rollback made failing its checks
    // for an outage that is not the deploy's must not start another rollback, release by release. A
    // person may go further back with a target ("previous" from the copy is the release rolled back from).
    if (opts.automatic && copy === 'yes') {
        const how = `it runs the same ${live.commitHash ? `commit ${live.commitHash.slice(0, 7)}` : `image ${live.image}`} as ${copied(previous.source)}, and was made after both: an earlier rollback put it back`;
        const note = notPutBackAgain(live.id, how, "Railway's status page", { fromGoesFurther: false, fromNamesIt: fromSays === 'names-live' });
        log.warning(note);
        return { ...base, status: 'already-current', from: railway_rollback_info(live), to: railway_rollback_info(live), notes: [note], rolledBackFrom: previous.target.id, putThereByRollback: true };
    }
    if (opts.automatic && copy === 'unknown') {
        // Not knowing must not let an event walk production back. Not even a from naming the live
        // deployment settles it here: the event of a rollback's copy names the copy.
        throw new errors/* RollbackKitError */.dp(`Railway cannot tell whether the live deployment ${live.id} is the bad release or a copy of ${previous.source.id} made by an earlier rollback: neither carries a commit or an image (a \`railway up\` upload records none). This run was started by a deployment event, and rolling back from a rollback's copy would walk production back release by release, so nothing was changed.`, `Check ${live.id} in the Railway dashboard. If it is the bad deployment itself, run the rollback by hand with from: ${live.id} (its deployment id); if a rollback made it, the outage is likely not the deploy's: check the database, third-party services and Railway's status page.`);
    }
    let target;
    if (targetId) {
        if (targetId === live.id) {
            const note = `${describeDeployment(live)} is already live. Nothing to do.`;
            log.info(note);
            return { ...base, status: 'already-current', from: railway_rollback_info(live), to: railway_rollback_info(live), notes: [note] };
        }
        const found = await calling(ctx('looking up the target deployment', targetId), () => getDeployment(client, targetId));
        if ((found.serviceId && found.serviceId !== ref.serviceId) || (found.environmentId && found.environmentId !== ref.environmentId)) {
            throw new errors/* RollbackKitError */.dp(`Deployment ${found.id} belongs to another service or environment, not to the ${where}.`, 'Check the target, service and environment inputs.');
        }
        // A rollback is a new deployment carrying its source's code: a live deployment made after the
        // target with the target's code is that target put back, by an earlier run of this same request.
        // Asking again would only make another copy. A from naming the live deployment says it is bad
        // all the same (a variables-only change keeps the code): then the rollback goes ahead. So does
        // one with no other code between the target and the live deployment: Railway redeploys the same
        // commit when variables change, and with nothing else served between them the live one is that
        // redeploy, not a rollback's copy (which replaced a release of other code). Going ahead when in
        // doubt only copies the target again; stopping would leave a bad release serving.
        const otherCodeBetween = async () => {
            const read = olderReader();
            for (let r = await read(); !r.done; r = await read()) {
                if (r.value.id === found.id || r.value.createdAt <= found.createdAt)
                    return false;
                const code = codeOf(r.value);
                if (code && code !== codeOf(found))
                    return true;
            }
            return false;
        };
        if (fromSays !== 'names-live' && madeFrom(live, found) && (await otherCodeBetween())) {
            const note = `The ${where} already serves ${describeDeployment(live)}, made after ${found.id} with the same ${live.commitHash ? 'commit' : 'image'}: an earlier rollback has put the target back. Nothing to do; if the live deployment is bad all the same (its variables changed), run again with from: ${live.id}.`;
            log.info(note);
            return { ...base, status: 'already-current', from: railway_rollback_info(live), to: railway_rollback_info(live), notes: [note] };
        }
        if (FAILED.has(found.status) || found.canRollback === false) {
            throw new errors/* RollbackKitError */.dp(`Railway cannot roll the ${where} back to ${describeDeployment(found)}: ${FAILED.has(found.status) ? `it is ${found.status}` : 'canRollback is false (past the plan\'s retention, or it never deployed)'}.`, 'Choose a deployment the dashboard offers to roll back to, or leave target as previous.');
        }
        target = found;
    }
    else {
        target = previous.target;
        skipped.push(...previous.skipped);
        if (!target) {
            throw new errors/* RollbackKitError */.dp(`No earlier deployment of the ${where} can take over from ${live.id}: ${previous.seen} older deployment(s) checked, none that Railway allows a rollback to with other code.${describeSkipped(skipped)}`, 'Name the deployment to return to in target, or use provider git-revert to build the previous code again.');
        }
        // A rollback leaves the live deployment running the code of a release below the bad one (the one
        // right below for "previous", any for a named target). A second "previous" would then pick the
        // bad release again: stop, and ask for an explicit target.
        // This holds even for a from naming the live deployment: "previous" goes by creation order, so
        // past a rollback's copy it would find the release rolled back from, not an older one.
        const source = previous.source;
        if (copy === 'yes') {
            const note = `The live deployment ${live.id} runs the same code as ${copied(source)}: an earlier rollback has already put it back. Nothing to do; to go elsewhere, name the deployment in target.`;
            log.info(note);
            // "previous" found the deployment the copy replaced: the rollback was made from it.
            return { ...base, status: 'already-current', from: railway_rollback_info(live), to: railway_rollback_info(live), skipped, notes: [note], rolledBackFrom: target.id };
        }
        // Without code on either side only a from naming the live deployment by itself (its id, or a
        // commit it carries) says it is the bad release and not an earlier rollback's copy.
        if (copy === 'unknown' && fromSays !== 'names-live') {
            throw new errors/* RollbackKitError */.dp(`Railway cannot tell whether the live deployment ${live.id} is the bad release or a copy of ${source.id} made by an earlier rollback: neither carries a commit or an image (a \`railway up\` upload records none), and ${from ? `from (${from.value}) is a commit SHA that cannot be compared with it` : 'no from names the bad release'}. If it is such a copy, "previous" (${target.id}) is the release that rollback replaced, so nothing was changed.`, `Check ${live.id} in the Railway dashboard. If it is the bad deployment itself, not a rollback, run again with from: ${live.id} (its deployment id); if it is a rollback, nothing needs doing. To put a given deployment back, name it in target (target: <deployment id>).`);
        }
    }
    const plan = [`Plan: roll back the ${where}`, `  from ${describeDeployment(live)}`, `  to   ${describeDeployment(target)}`, ...skipped.map((s) => `  skipped ${s.id}: ${s.reason}`)];
    logPlan(log, plan, { from: railway_rollback_info(live).id, to: railway_rollback_info(target).id }, opts.planLogged);
    if (opts.dryRun) {
        return { ...base, status: 'dry-run', from: railway_rollback_info(live), to: railway_rollback_info(target), skipped, notes: [`Dry run: nothing was changed. A real run would roll back to ${target.id}.`] };
    }
    const requestedAt = now();
    const deadline = step.restart();
    const accepted = await calling(ctx('requesting the rollback', target.id), () => rollback(client, target.id));
    if (!accepted) {
        throw new errors/* RollbackKitError */.dp(`Railway did not accept the rollback of the ${where} to ${target.id} (deploymentRollback returned false).`, 'Check the deployment in the Railway dashboard; re-running the step is safe.');
    }
    log.info(`Railway accepted the rollback to ${target.id}; waiting for the new deployment to be SUCCESS.`);
    const before = newest?.id;
    let last = 'not started yet';
    let started;
    for (;;) {
        const latest = await calling(ctx('checking the rollback'), () => latestDeployment(client, ref));
        const ours = latest && (latest.id !== before || latest.id === target.id);
        if (ours)
            started = latest.id;
        if (ours && latest.status !== last) {
            log.info(`Railway deployment ${latest.id}: ${latest.status}.`);
            last = latest.status;
        }
        if (ours && latest.status === 'SUCCESS') {
            const note = `The ${where} now serves deployment ${latest.id}, a rollback to ${target.id} (from ${live.id} in ${((now() - requestedAt) / 1000).toFixed(1)} s).`;
            log.info(note);
            return { ...base, status: 'rolled-back', from: railway_rollback_info(live), to: railway_rollback_info(target), skipped, notes: [note, RAILWAY_NOTHING_FROZEN.what] };
        }
        if (ours && (FAILED.has(latest.status) || latest.status === 'REMOVED' || latest.status === 'REMOVING' || latest.status === 'SKIPPED')) {
            throw new errors/* RollbackKitError */.dp(`The rollback of the ${where} to ${target.id} failed: Railway deployment ${latest.id} is ${latest.status}.`, `Read the deployment's logs in the Railway dashboard (deployment ${latest.id}); the service may be down. Re-run the step with target ${target.id}, or pick another target.`);
        }
        if (now() >= deadline) {
            // Railway keeps the old deployment serving until the new one is healthy, so say which is which:
            // a second rollback requested now would only queue behind this one.
            if (!started) {
                throw new errors/* RollbackKitError */.dp(`The rollback of the ${where} to ${target.id} did not finish within ${opts.timeoutSeconds} s: Railway accepted it but has not started a new deployment yet; ${live.id} still serves.`, `Watch the service in the Railway dashboard; do not request another rollback while it is queued. If nothing starts, re-run the step with target ${target.id} and a larger timeout-seconds.`);
            }
            throw new errors/* RollbackKitError */.dp(`The rollback of the ${where} to ${target.id} did not finish within ${opts.timeoutSeconds} s: Railway deployment ${started} is ${last}; ${live.id} serves until it is SUCCESS.`, `Watch deployment ${started} in the Railway dashboard and do not request another rollback while it deploys. If it ends FAILED or CRASHED, re-run the step with target ${target.id} and a larger timeout-seconds.`);
        }
        await sleep(nextPoll(opts.pollIntervalMs ?? rollback_DEFAULT_POLL_INTERVAL_MS, deadline, now()));
    }
}

;// CONCATENATED MODULE: ./.build/platforms/render/api.js




const RENDER_API_URL = 'https://api.render.com';
function api_parseDeploy(raw) {
    const o = obj(raw);
    const id = read_str(o?.id);
    if (!o || !id)
        throw new UnexpectedShape('a Render deploy');
    const created = Date.parse(String(o.createdAt ?? ''));
    return {
        id,
        status: (read_str(o.status) ?? 'unknown').toLowerCase(),
        trigger: read_str(o.trigger),
        commitId: read_str(obj(o.commit)?.id),
        image: read_str(obj(o.image)?.sha) ?? read_str(obj(o.image)?.ref),
        createdAt: Number.isNaN(created) ? 0 : created,
    };
}
function renderClient(opts) {
    opts.log.secret(opts.token);
    return new HttpClient({ service: 'Render', baseUrl: opts.apiUrl || RENDER_API_URL, headers: { Authorization: `Bearer ${opts.token}` }, log: opts.log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep: opts.sleep, deadline: opts.deadline, stop: opts.stop });
}
const svc = (id) => `/v1/services/${encodeURIComponent(id)}`;
async function getService(c, id) {
    const o = obj(await c.get(svc(id)));
    if (!o || !read_str(o.id))
        throw new UnexpectedShape('a Render service');
    return { id: read_str(o.id), name: read_str(o.name), autoDeploy: read_str(o.autoDeploy) };
}
const api_PAGE_SIZE = 20;
/** Deploys newest first, a page per iteration; the list items are `{deploy, cursor}`. */
async function* deploys(c, serviceId, bound) {
    const guard = new PageGuard(`the deploys of service ${serviceId}`);
    let cursor;
    for (let page = 0;; page++) {
        const data = await listingPage(bound, page, () => c.get(`${svc(serviceId)}/deploys`, { limit: api_PAGE_SIZE, cursor }));
        if (!Array.isArray(data))
            throw new UnexpectedShape('the Render deploy list');
        const list = data.map((item) => api_parseDeploy(obj(item)?.deploy ?? item));
        yield list;
        const last = read_str(obj(data[data.length - 1])?.cursor);
        if (list.length < api_PAGE_SIZE || !last)
            return;
        guard.check(last);
        cursor = last;
    }
}
async function api_getDeploy(c, serviceId, deployId) {
    return api_parseDeploy(await c.get(`${svc(serviceId)}/deploys/${encodeURIComponent(deployId)}`));
}
/** Starts a new deploy of the target's build; answers with that new deploy. */
async function api_rollback(c, serviceId, deployId) {
    return api_parseDeploy((await c.request('POST', `${svc(serviceId)}/rollback`, { body: { deployId } })).data);
}
async function setAutoDeploy(c, serviceId, value) {
    const o = obj((await c.request('PATCH', svc(serviceId), { body: { autoDeploy: value } })).data);
    return { id: read_str(o?.id) ?? serviceId, name: read_str(o?.name), autoDeploy: read_str(o?.autoDeploy) };
}

;// CONCATENATED MODULE: ./.build/platforms/render/rollback.js
/**
 * Puts the previous live deploy of a Render service back: find the live deploy, choose the newest
 * older deploy that was live before (deactivated), turn auto-deploy off (an API rollback leaves it
 * on, so the next push would re-ship the bad code), ask Render to roll back, and poll the new deploy
 * until it is live. Safe to repeat: a `from` that is no longer live, a target that is, or a live
 * deploy that is itself a rollback (of the named target, when one is named) is reported as
 * already-current and nothing is changed. A run started by a deployment event never rolls back
 * from a live rollback deploy, whatever the target (the rollback cascade: notPutBackAgain).
 */









const render_rollback_DEFAULT_POLL_INTERVAL_MS = 3000;
const rollback_FAILED = new Set(['build_failed', 'update_failed', 'pre_deploy_failed', 'canceled', 'deactivated']);
const NEVER_LIVE = new Set(['build_failed', 'update_failed', 'pre_deploy_failed', 'canceled', 'created', 'build_in_progress', 'update_in_progress', 'pre_deploy_in_progress']);
const undoHint = (serviceId) => `When the fix is ready, turn auto-deploy back on: Render dashboard \u2192 the service \u2192 Settings \u2192 Auto-Deploy: Yes, or PATCH /v1/services/${serviceId} with {"autoDeploy":"yes"}.`;
function rollback_frozenState(service, changedNow) {
    if (service.autoDeploy === 'no') {
        return { frozen: true, what: `Auto-deploy of Render service ${service.name ?? service.id} is off${changedNow ? '' : ' (it already was)'}: new pushes will not deploy.`, undo: undoHint(service.id) };
    }
    return { frozen: false, what: `Auto-deploy of Render service ${service.name ?? service.id} is ${service.autoDeploy ?? 'in an unknown state'}: the next push deploys.` };
}
const render_rollback_info = (d) => ({ id: d?.id, commitSha: d?.commitId, image: d?.image });
const rollback_describe = (d) => `${d.id} (${d.status}${d.trigger ? `, trigger ${d.trigger}` : ''}${d.commitId ? `, commit ${d.commitId.slice(0, 7)}` : ''})`;
function rollback_checkId(value, input, prefix, what) {
    const v = value.trim();
    if (!v)
        throw new errors/* RollbackKitError */.dp(`Input ${input} is required when provider is render.`, `Set ${input} to the ${what} id (${prefix}-\u2026), shown in the Render dashboard URL.`);
    if (!new RegExp(`^${prefix}-[a-z0-9]+$`, 'i').test(v))
        throw new errors/* RollbackKitError */.dp(`Input ${input} must be a Render ${what} id (${prefix}-\u2026); got "${value}".`, `Copy the ${what} id from the Render dashboard.`);
    return v;
}
/**
 * `from` as a deploy id, or as a deployment event names it (from-ref.ts): the commit it was built
 * from, or a URL, which on Render is the service's own and so names no deploy.
 */
function render_rollback_parseFrom(raw) {
    const v = raw.trim();
    if (/^dep-[a-z0-9]+$/i.test(v))
        return { kind: 'id', value: v };
    const sha = commitSha(v);
    if (sha)
        return { kind: 'sha', value: sha };
    if (urlHost(v))
        return { kind: 'url', value: v };
    throw new errors/* RollbackKitError */.dp(`Input from must be a Render deploy id (dep-\u2026), the commit SHA it was built from, or a URL; got "${raw}".`, 'Copy the deploy id from the Render dashboard, or give the commit SHA of the bad deploy.');
}
function render_rollback_compareFrom(from, live) {
    if (from.kind === 'id')
        return from.value === live.id ? 'names-live' : 'not-live';
    return from.kind === 'sha' ? compareCommit(from.value, live.commitId) : 'unproven';
}
/** The same code: the same image when either has one, else the same commit; nothing known is not the same. */
function sameCode(a, b) {
    if (a.image || b.image)
        return a.image === b.image;
    return !!a.commitId && a.commitId === b.commitId;
}
/** Why an older deploy cannot be what "previous" means, or undefined when it can. */
function render_rollback_skipReason(d, live) {
    if (NEVER_LIVE.has(d.status))
        return `status ${d.status}: it never went live`;
    if (d.status !== 'deactivated')
        return `status ${d.status}`;
    if (d.commitId && d.commitId === live.commitId && !d.image)
        return 'same commit as the live deploy';
    return undefined;
}
/**
 * The deploy a live rollback deploy replaced: the newest older one that was live (deactivated).
 * Render names no source on a rollback deploy, so this is what the rollback was made from.
 */
const replacedDeploy = (all, live) => all.slice(all.indexOf(live) + 1).find((d) => d.status === 'deactivated');
/**
 * A failed freeze stops the step before the rollback is asked for: its error says so, and that the
 * bad deploy is still live, so the reader of "re-run the step" knows production is not back yet.
 * A person on call may need production back before the freeze works, so the hint gives the two ways
 * to roll back anyway that still leave auto-deploy off: turn it off by hand and re-run (the step
 * skips a freeze that is already in place), or roll back in the dashboard, which turns it off itself
 * (an API rollback does not). No input skips the freeze: a rollback the next push undoes is not one.
 */
function notRolledBack(name, liveId, toId) {
    return (err) => {
        if (!(err instanceof errors/* RollbackKitError */.dp))
            throw err;
        const anyway = `To roll back anyway, either turn auto-deploy off by hand (Render dashboard \u2192 service ${name} \u2192 Settings \u2192 Auto-Deploy: No) and re-run the step, which then skips this freeze and rolls back to ${toId}; ` +
            `or roll back in the Render dashboard (service ${name} \u2192 Events \u2192 deploy ${toId} \u2192 Rollback), which turns auto-deploy off itself. ` +
            'Until auto-deploy is off, the next push re-ships the bad code.';
        throw new errors/* RollbackKitError */.dp(`${err.message} Nothing was rolled back: service ${name} still serves ${liveId}, the deploy this step was to replace; the rollback stops when auto-deploy cannot be turned off first, as the next push would undo it.`, `${err.hint ? `${err.hint} ` : ''}${anyway}`, (0,errors/* errorFacts */.u2)(err));
    };
}
async function promoteOnRender(opts, log) {
    log.secret(opts.token);
    const serviceId = rollback_checkId(opts.service, 'service', 'srv', 'service');
    const targetInput = (opts.target || 'previous').trim();
    const targetId = targetInput.toLowerCase() === 'previous' ? undefined : rollback_checkId(targetInput, 'target', 'dep', 'deploy');
    const from = opts.from?.trim() ? render_rollback_parseFrom(opts.from) : undefined;
    const sleep = guardedSleep(opts.stop, opts.sleep ?? client_sleep);
    const now = opts.now ?? Date.now;
    const step = new StepDeadline(now, opts.timeoutSeconds, opts.timeoutInput);
    const c = renderClient({ token: opts.token, apiUrl: opts.apiUrl, log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep, deadline: step, stop: opts.stop });
    const ctx = (doing, deploy) => ({
        doing,
        tokenInput: 'render-token',
        notFound: deploy ? `Deploy ${deploy} of service ${serviceId}` : `Service ${serviceId}`,
        notFoundHint: deploy ? 'Check the target/from input: a deploy id (dep-\u2026) of this service.' : 'Check the service input (srv-\u2026) and that the API key belongs to the workspace that owns it.',
        statusPage: 'https://status.render.com',
    });
    const service = await calling(ctx(`looking up service ${serviceId}`), () => getService(c, serviceId));
    const name = service.name ? `${service.name} (${service.id})` : service.id;
    const all = [];
    let live;
    let target;
    const skipped = [];
    // Read pages until the live deploy and (for "previous") the first fit one below it are known; an
    // automatic run finding a rollback deploy live reads on to the deploy it replaced (its incident).
    const enough = () => !!live && !!targetId && !(opts.automatic && live.trigger === 'rollback' && !replacedDeploy(all, live));
    await calling(ctx(`listing the deploys of service ${name}`), async () => {
        for await (const page of deploys(c, serviceId, listingBound(step, `the deploys of service ${name}`))) {
            for (const d of page) {
                all.push(d);
                if (!live) {
                    if (d.status === 'live')
                        live = d;
                    continue;
                }
                if (targetId)
                    continue;
                const reason = render_rollback_skipReason(d, live);
                if (!reason) {
                    target = d;
                    return;
                }
                skipped.push({ id: d.id, reason });
            }
            if (enough())
                return;
        }
    });
    if (!live)
        throw new errors/* RollbackKitError */.dp(`Service ${name} has no live deploy (${all.length} deploy(s) listed), so there is nothing to roll back.`, 'Check the service input, or deploy it first.');
    log.info(`Render service ${name} serves ${rollback_describe(live)}.`);
    const base = { skipped: [], frozen: rollback_frozenState(service, false) };
    const fromSays = from && render_rollback_compareFrom(from, live);
    if (fromSays === 'unproven')
        warnUnproven(log, opts.from, from.kind === 'url' ? 'is a URL, which names a Render service, not one of its deploys' : `is a commit, and the live deploy ${live.id} records none (an image deploy)`);
    if (from && fromSays === 'not-live') {
        const note = `Service ${name} no longer serves ${from.kind === 'sha' ? `commit ${from.value}` : from.value}; it serves ${rollback_describe(live)}. Nothing to do.`;
        log.info(note);
        return { ...base, status: 'already-current', from: render_rollback_info(live), to: render_rollback_info(live), notes: [note] };
    }
    // The rollback cascade (vercel/rollback.ts): a rollback's deploy failing its checks for an outage
    // that is not the deploy's must not start another rollback, release by release. Render marks the
    // deploy itself (trigger rollback, from the API or the dashboard). A person may go further back
    // with a target; from cannot help: "previous" from a rollback deploy is the deploy it replaced.
    if (opts.automatic && live.trigger === 'rollback') {
        const replaced = replacedDeploy(all, live);
        const how = `Render made it with trigger rollback${replaced ? `, replacing ${replaced.id}` : ''}${live.createdAt ? ` at ${new Date(live.createdAt).toISOString()}` : ''}`;
        const note = notPutBackAgain(live.id, how, "Render's status page", { fromGoesFurther: false, fromNamesIt: fromSays === 'names-live' });
        log.warning(note);
        return { ...base, status: 'already-current', from: render_rollback_info(live), to: render_rollback_info(live), notes: [note], rolledBackFrom: replaced?.id, putThereByRollback: true };
    }
    if (targetId) {
        if (targetId === live.id) {
            const note = `${rollback_describe(live)} is already live. Nothing to do.`;
            log.info(note);
            return { ...base, status: 'already-current', from: render_rollback_info(live), to: render_rollback_info(live), notes: [note] };
        }
        target = await calling(ctx('looking up the target deploy', targetId), () => api_getDeploy(c, serviceId, targetId));
        // A rollback deploy carries its target's commit and image: a live one made after the target with
        // its code is that target put back by an earlier run of this request; another would only copy it
        // again. A from naming the live deploy says it is bad all the same (a variables-only change).
        if (fromSays !== 'names-live' && live.trigger === 'rollback' && live.createdAt > target.createdAt && sameCode(live, target)) {
            const note = `Service ${name} already serves ${rollback_describe(live)}, a rollback made after ${target.id} with the same ${live.image ? 'image' : 'commit'}: an earlier rollback has put the target back. Nothing to do; if the live deploy is bad all the same, run again with from: ${live.id}.`;
            log.info(note);
            // What that rollback was made from names its incident, as on the "previous" path below.
            return { ...base, status: 'already-current', from: render_rollback_info(live), to: render_rollback_info(live), notes: [note], rolledBackFrom: replacedDeploy(all, live)?.id };
        }
        if (NEVER_LIVE.has(target.status))
            throw new errors/* RollbackKitError */.dp(`Deploy ${rollback_describe(target)} of service ${name} never went live, so Render cannot roll back to it.`, 'Choose a deploy that was live before (status deactivated).');
    }
    else {
        // A rollback deploy that is live already is "previous": going on would re-ship the bad deploy.
        if (live.trigger === 'rollback') {
            const note = `Service ${name} already serves ${live.id}, a rollback, and nothing has been deployed since. Nothing to do; to go further back, name the deploy in target.`;
            log.info(note);
            return { ...base, status: 'already-current', from: render_rollback_info(live), to: render_rollback_info(live), notes: [note], rolledBackFrom: replacedDeploy(all, live)?.id };
        }
        if (!target) {
            throw new errors/* RollbackKitError */.dp(`No earlier deploy of service ${name} can take over from ${live.id}: none of the ${all.length - 1} older deploy(s) read was live before with other code.${describeSkipped(skipped)}`, 'Name the deploy to return to in target (dep-\u2026), or use provider git-revert to build the previous code again.');
        }
    }
    const to = target;
    const plan = [
        `Plan: roll back Render service ${name}`,
        `  from ${rollback_describe(live)}`,
        `  to   ${rollback_describe(to)}`,
        ...skipped.map((s) => `  skipped ${s.id}: ${s.reason}`),
        `  then keep auto-deploy off (now ${service.autoDeploy ?? 'unknown'})`,
    ];
    logPlan(log, plan, { from: render_rollback_info(live).id, to: render_rollback_info(to).id }, opts.planLogged);
    if (opts.dryRun) {
        return { ...base, status: 'dry-run', from: render_rollback_info(live), to: render_rollback_info(to), skipped, notes: [`Dry run: nothing was changed. A real run would turn auto-deploy off and roll back to ${to.id}.`] };
    }
    // Freeze first: a push that lands while the rollback builds would otherwise replace it.
    let frozen = base.frozen;
    if (service.autoDeploy !== 'no') {
        const after = await calling(ctx(`turning auto-deploy off for service ${name}`), () => setAutoDeploy(c, serviceId, 'no')).catch(notRolledBack(name, live.id, to.id));
        frozen = rollback_frozenState({ ...service, autoDeploy: after.autoDeploy ?? 'no' }, true);
        log.info(frozen.what);
    }
    const frozenNote = frozen.frozen ? ` Auto-deploy stays off. ${undoHint(serviceId)}` : '';
    const failing = (err) => {
        if (err instanceof errors/* RollbackKitError */.dp)
            throw new errors/* RollbackKitError */.dp(err.message, `${err.hint ?? ''}${frozenNote}`.trim());
        throw err;
    };
    const requestedAt = now();
    const deadline = step.restart();
    const started = await calling(ctx('requesting the rollback', to.id), () => api_rollback(c, serviceId, to.id)).catch(failing);
    log.info(`Render started deploy ${started.id} (a rollback to ${to.id}); waiting for it to be live.`);
    let last = started.status;
    for (;;) {
        if (last === 'live')
            break;
        if (rollback_FAILED.has(last)) {
            failing(new errors/* RollbackKitError */.dp(`The rollback of service ${name} to ${to.id} failed: Render deploy ${started.id} is ${last}.`, `Read deploy ${started.id}'s logs in the Render dashboard; the service still serves ${live.id} unless that says otherwise. Re-run the step to try again.`));
        }
        if (now() >= deadline) {
            failing(new errors/* RollbackKitError */.dp(`The rollback of service ${name} to ${to.id} did not finish within ${opts.timeoutSeconds} s (deploy ${started.id} is ${last}).`, 'Raise timeout-seconds or watch the deploy in the Render dashboard; re-running the step is safe.'));
        }
        await sleep(nextPoll(opts.pollIntervalMs ?? render_rollback_DEFAULT_POLL_INTERVAL_MS, deadline, now()));
        const d = await calling(ctx('checking the rollback deploy', started.id), () => api_getDeploy(c, serviceId, started.id)).catch(failing);
        if (d.status !== last)
            log.info(`Render deploy ${d.id}: ${d.status}.`);
        last = d.status;
    }
    const note = `Service ${name} now serves deploy ${started.id}, a rollback to ${to.id} (from ${live.id} in ${((now() - requestedAt) / 1000).toFixed(1)} s).`;
    log.info(note);
    if (frozen.frozen)
        log.warning(`${frozen.what} ${frozen.undo}`);
    return { status: 'rolled-back', from: render_rollback_info(live), to: render_rollback_info(to), skipped, frozen, notes: [note, `${frozen.what}${frozen.undo ? ` ${frozen.undo}` : ''}`] };
}

;// CONCATENATED MODULE: ./.build/platforms/vercel/model.js
/**
 * The few fields of Vercel's project and deployment objects a rollback needs, read tolerantly:
 * unknown fields are ignored, unknown enum values are kept as strings, missing fields stay
 * undefined. A response that lacks what we cannot do without (an id) is the only parse error.
 */

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
class UnexpectedResponse extends Error {
    constructor(what) {
        super(`Vercel returned ${what} in an unexpected shape`);
        this.name = 'UnexpectedResponse';
    }
}
function model_parseDeployment(raw) {
    const d = obj(raw);
    // The list view says `uid`, the single view `id`.
    const id = read_str(d?.id) ?? read_str(d?.uid);
    if (!d || !id)
        throw new UnexpectedResponse('a deployment');
    const meta = obj(d.meta);
    const target = d.target === null ? null : read_str(d.target);
    const aliases = Array.isArray(d.alias) ? d.alias.filter((a) => typeof a === 'string') : [];
    return {
        id,
        url: read_str(d.url)?.replace(/^https?:\/\//, ''),
        createdAt: num(d.createdAt) ?? num(d.created) ?? 0,
        readyState: read_str(d.readyState) ?? read_str(d.state),
        readySubstate: read_str(d.readySubstate),
        target,
        isRollbackCandidate: typeof d.isRollbackCandidate === 'boolean' ? d.isRollbackCandidate : undefined,
        commitSha: read_str(meta?.githubCommitSha) ?? read_str(meta?.gitlabCommitSha) ?? read_str(meta?.bitbucketCommitSha),
        commitRef: read_str(meta?.githubCommitRef) ?? read_str(meta?.gitlabCommitRef) ?? read_str(meta?.bitbucketCommitRef),
        projectId: read_str(d.projectId),
        aliases,
    };
}
function parseProject(raw) {
    const p = obj(raw);
    const id = read_str(p?.id);
    if (!p || !id)
        throw new UnexpectedResponse('a project');
    const prod = obj(obj(p.targets)?.production);
    const last = obj(p.lastAliasRequest);
    return {
        id,
        name: read_str(p.name) ?? id,
        production: prod && (read_str(prod.id) || read_str(prod.uid)) ? model_parseDeployment(prod) : undefined,
        autoAssignCustomDomains: typeof p.autoAssignCustomDomains === 'boolean' ? p.autoAssignCustomDomains : undefined,
        lastAliasRequest: last
            ? {
                fromDeploymentId: read_str(last.fromDeploymentId),
                toDeploymentId: read_str(last.toDeploymentId),
                jobStatus: read_str(last.jobStatus),
                requestedAt: num(last.requestedAt),
                type: read_str(last.type),
            }
            : undefined,
    };
}
function model_parseDeploymentPage(raw) {
    const page = obj(raw);
    if (!page || !Array.isArray(page.deployments))
        throw new UnexpectedResponse('a deployment list');
    const next = num(obj(page.pagination)?.next);
    return { deployments: page.deployments.map(model_parseDeployment), next };
}
function parseAliasPage(raw) {
    const page = obj(raw);
    const list = Array.isArray(page?.aliases) ? page.aliases : [];
    const aliases = [];
    for (const item of list) {
        const a = obj(item);
        const inner = obj(a?.alias);
        const name = read_str(inner?.alias) ?? read_str(a?.alias);
        if (name)
            aliases.push({ alias: name, deploymentId: read_str(inner?.deploymentId), status: read_str(a?.status) });
    }
    return { aliases, next: num(obj(page?.pagination)?.next) };
}
/** A readable one-line name for a deployment in logs and errors. */
function model_describeDeployment(d) {
    const sha = d.commitSha ? ` commit ${d.commitSha.slice(0, 7)}` : '';
    const when = d.createdAt ? ` created ${new Date(d.createdAt).toISOString()}` : '';
    return `${d.id}${d.url ? ` (${d.url})` : ''}${sha}${when}`;
}

;// CONCATENATED MODULE: ./.build/platforms/vercel/api.js


async function getProject(client, idOrName, rollbackInfo = false) {
    const data = await client.get(`/v9/projects/${encodeURIComponent(idOrName)}`, { rollbackInfo: rollbackInfo || undefined });
    return parseProject(data);
}
async function api_getDeployment(client, idOrUrl) {
    return model_parseDeployment(await client.get(`/v13/deployments/${encodeURIComponent(idOrUrl)}`));
}
const vercel_api_PAGE_SIZE = 100;
/**
 * Production deployments of a project, newest first, one page per iteration; stops when Vercel
 * says there is no next page, or at the step's `deadline` (the one clock of the search, see
 * listing.ts), and fails clearly when a cursor does not move back in time (a listing that would
 * never end): bounded by time, not by a page count, so a target however deep is found when there
 * is time to reach it. `progress` says how far it got.
 */
async function* productionDeployments(client, projectId, opts = {}) {
    const progress = opts.progress ?? { pages: 0, timedOut: false };
    const what = `the production deployments of project ${projectId}`;
    const guard = new PageGuard(what);
    const bound = opts.deadline && listingBound(opts.deadline, what);
    let until = opts.until;
    for (;;) {
        const got = await pageInTime(bound, progress.pages, () => client.get('/v6/deployments', { projectId, target: 'production', limit: vercel_api_PAGE_SIZE, until }));
        if (!got) {
            progress.timedOut = true;
            return;
        }
        const { deployments, next } = model_parseDeploymentPage(got.page);
        progress.pages++;
        yield deployments;
        if (next === undefined || deployments.length === 0)
            return;
        guard.check(String(next));
        if (until !== undefined && next >= until)
            guard.stuck(`a next-page cursor (${next}) that does not move back in time from the last one (${until})`);
        until = next;
    }
}
/** Instant rollback; `description` is shown in the dashboard as the reason. */
async function requestRollback(client, projectId, deploymentId, description) {
    const res = await client.request('POST', `/v1/projects/${encodeURIComponent(projectId)}/rollback/${encodeURIComponent(deploymentId)}`, {
        query: { description: description || undefined },
        body: {},
    });
    return res.status;
}
/** Promotion without rebuild: 201 started, 202 queued behind a rolling release. */
async function requestPromote(client, projectId, deploymentId) {
    const res = await client.request('POST', `/v10/projects/${encodeURIComponent(projectId)}/promote/${encodeURIComponent(deploymentId)}`, { body: {} });
    return res.status;
}
/** The aliases a failed alias job could not move, all pages. */
async function failedAliases(client, projectId, kind) {
    const out = [];
    const guard = new PageGuard(`the failed aliases of project ${projectId}`);
    let until;
    for (let page = 0; page < 20; page++) {
        const data = await client.get(`/v9/projects/${encodeURIComponent(projectId)}/${kind}/aliases`, { failedOnly: true, limit: 20, until });
        const { aliases, next } = parseAliasPage(data);
        out.push(...aliases);
        if (next === undefined || aliases.length === 0)
            break;
        guard.check(String(next));
        until = next;
    }
    return out;
}

;// CONCATENATED MODULE: ./.build/platforms/vercel/client.js


/** Vercel answered with a non-2xx status (after any retries). */
class VercelApiError extends HttpApiError {
    invalidToken;
    constructor(status, code, serverMessage, 
    /** Vercel sets `invalidToken: true` on a 403 caused by the token rather than the scope. */
    invalidToken, request) {
        super('Vercel', status, code, serverMessage, request);
        this.invalidToken = invalidToken;
        this.name = 'VercelApiError';
    }
}
/** Vercel could not be reached, or did not answer within the request timeout. */
const VercelNetworkError = HttpNetworkError;
function client_readErrorBody(text, log) {
    const body = readErrorBody(text, log);
    return { code: body.code, message: body.message, invalidToken: body.inner?.invalidToken === true };
}
class VercelClient {
    http;
    constructor(opts) {
        const { token, apiUrl, team: teamInput, ...tuning } = opts;
        opts.log.secret(token);
        const team = teamInput?.trim();
        this.http = new HttpClient({
            ...tuning,
            service: 'Vercel',
            baseUrl: apiUrl,
            headers: { Authorization: `Bearer ${token}` },
            apiError: (status, text, request) => {
                const body = client_readErrorBody(text, opts.log);
                return new VercelApiError(status, body.code, body.message, body.invalidToken, request);
            },
            // The CLI sends `teamId` for `team_\u2026` ids; anything else is a team slug.
            scope: () => (team ? { [team.startsWith('team_') ? 'teamId' : 'slug']: team } : {}),
        });
    }
    get host() {
        return this.http.host;
    }
    request(method, path, opts = {}) {
        return this.http.request(method, path, opts);
    }
    get(path, query = {}) {
        return this.http.get(path, query);
    }
}

;// CONCATENATED MODULE: ./.build/platforms/vercel/errors.js
/**
 * Turns a failed Vercel call into the one line the on-call engineer reads: the status mapped to its
 * likely cause, the project and deployment named, and the next step. Never the token: it is not in
 * anything these messages are built from.
 */



/** " for project shop", unless what we were doing names it already ("looking up project shop"). */
const forProject = (ctx) => (ctx.doing.includes(`project ${ctx.project}`) ? '' : ` for project ${ctx.project}`);
const scopeName = (ctx) => (ctx.team ? `team ${ctx.team}` : 'the personal account of the token');
function vercelError(err, ctx) {
    if (err instanceof errors/* RollbackKitError */.dp)
        return err;
    if (err instanceof VercelNetworkError) {
        return new errors/* RollbackKitError */.dp(`Vercel could not be reached while ${ctx.doing}: ${err.message} (retried).`, 'Check the runner network and api-url; re-running the step is safe.');
    }
    if (err instanceof UnexpectedResponse) {
        return new errors/* RollbackKitError */.dp(`${err.message} while ${ctx.doing}.`, 'Check that api-url points at the Vercel API.');
    }
    if (!(err instanceof VercelApiError))
        return err instanceof Error ? err : new Error(String(err));
    const said = err.serverMessage ? ` Vercel said: "${err.serverMessage}".` : '';
    if (err.rateLimited) {
        return new errors/* RollbackKitError */.dp(`Vercel kept rate-limiting the requests (${err.status}) while ${ctx.doing}${forProject(ctx)}.${said}`, 'Wait a minute and re-run the step; it is safe to repeat.');
    }
    switch (err.status) {
        case 401:
            return new errors/* RollbackKitError */.dp(`Vercel rejected the token (401) while ${ctx.doing}.${said}`, 'Check the vercel-token secret: it may be expired, revoked or empty.');
        case 403:
            return err.invalidToken
                ? new errors/* RollbackKitError */.dp(`Vercel rejected the token (403) while ${ctx.doing}.${said}`, 'Check the vercel-token secret: create a new token at https://vercel.com/account/tokens.')
                : // A valid token without access to the scope is the usual cause (a personal token, or one
                    // scoped to other teams); a wrong team input gives the same answer, so name both, token first.
                    new errors/* RollbackKitError */.dp(`Vercel refused access (403) to project ${ctx.project} in ${scopeName(ctx)} while ${ctx.doing}. Vercel did not call the token invalid, so most likely it has no access to that scope, or the team input names another team.${said}`, `Check the vercel-token secret first: it must belong to a member of ${ctx.team ? `team ${ctx.team}` : "the project's team"} or be scoped to it. Then check the team input: the team_\u2026 id or slug of the team that owns the project.`);
        case 404:
            return ctx.deployment
                ? new errors/* RollbackKitError */.dp(`Deployment ${ctx.deployment} was not found in project ${ctx.project} (404) while ${ctx.doing}.${said}`, 'Check the target/from input: a deployment id (dpl_\u2026), URL or commit SHA of this project.')
                : new errors/* RollbackKitError */.dp(`Project ${ctx.project} was not found in ${scopeName(ctx)} (404) while ${ctx.doing}.${said}`, 'Check the project input (name or prj_\u2026 id) and the team input: a team project is invisible without team.');
        case 402:
            return new errors/* RollbackKitError */.dp(`Vercel refused ${ctx.deployment ? `deployment ${ctx.deployment}` : 'the request'} for project ${ctx.project} because of the plan (402): the Hobby plan can roll back only to the immediately previous production deployment.${said}`, 'Pick the previous production deployment as target, use method: promote, or upgrade the plan.');
        case 409:
        case 422:
            return new errors/* RollbackKitError */.dp(`Vercel refused the change for project ${ctx.project}${ctx.deployment ? ` to deployment ${ctx.deployment}` : ''} (${err.status} conflict) while ${ctx.doing}.${said}`, 'Another rollback or promotion may be running, or the deployment is not eligible: check the project in the Vercel dashboard, then re-run.');
        default:
            if (err.status >= 500) {
                return new errors/* RollbackKitError */.dp(`Vercel failed with ${err.status} while ${ctx.doing}${forProject(ctx)}, after retries.${said}`, 'Check https://www.vercel-status.com and re-run the step; it is safe to repeat.');
            }
            return new errors/* RollbackKitError */.dp(`Vercel answered ${err.status} while ${ctx.doing}${forProject(ctx)}.${said}`, 'Check the inputs; re-running the step is safe.');
    }
}

;// CONCATENATED MODULE: ./.build/platforms/vercel/target.js
/**
 * Which deployment to put back: the `target` and `from` inputs parsed into references, the rules
 * that make a deployment a fit rollback target, and the search for "previous" that records why
 * each newer deployment was passed over (the dry-run plan prints it).
 */

const SHAPES = '"previous", "last-verified", a deployment id (dpl_\u2026), a deployment URL (https://\u2026vercel.app) or a commit SHA (7 to 40 hex characters)';
function parseDeploymentRef(raw, inputName) {
    const value = raw.trim();
    if (inputName === 'target' && value.toLowerCase() === 'previous')
        return { kind: 'previous' };
    if (inputName === 'target' && value.toLowerCase() === 'last-verified')
        return { kind: 'last-verified' };
    if (/^dpl_[A-Za-z0-9]+$/.test(value))
        return { kind: 'id', id: value };
    if (/^[0-9a-f]{7,40}$/i.test(value))
        return { kind: 'sha', sha: value.toLowerCase() };
    const hostLike = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;
    if (/^https?:\/\//i.test(value)) {
        try {
            const host = new URL(value).host.toLowerCase();
            if (hostLike.test(host))
                return { kind: 'url', host };
        }
        catch {
            // reported below with the accepted shapes
        }
    }
    else if (hostLike.test(value)) {
        return { kind: 'url', host: value.toLowerCase() };
    }
    const shapes = inputName === 'target' ? SHAPES : SHAPES.replace('"previous", "last-verified", ', '');
    throw new errors/* RollbackKitError */.dp(`Input ${inputName} must be ${shapes}; got "${raw}".`, `Copy the id or URL from the Vercel dashboard, or leave ${inputName} ${inputName === 'target' ? 'as previous' : 'empty'}.`);
}
function describeRef(ref) {
    switch (ref.kind) {
        case 'previous':
            return 'the previous production deployment';
        case 'last-verified':
            return 'the newest production deployment whose commit carries the rollback-kit/verified status';
        case 'id':
            return ref.id;
        case 'url':
            return ref.host;
        case 'sha':
            return `commit ${ref.sha}`;
    }
}
/** Whether a deployment is the one a reference names (without asking Vercel). */
function refMatches(ref, d) {
    switch (ref.kind) {
        case 'previous':
        case 'last-verified':
            return false;
        case 'id':
            return d.id === ref.id;
        case 'url':
            return d.url?.toLowerCase() === ref.host || d.aliases.some((a) => a.toLowerCase() === ref.host);
        case 'sha':
            return !!d.commitSha && d.commitSha.toLowerCase().startsWith(ref.sha);
    }
}
/** Served production before: Vercel's own flag when present, else the substate (STAGED never did). */
function hasServedProduction(d) {
    if (d.isRollbackCandidate !== undefined)
        return d.isRollbackCandidate || d.readySubstate === 'PROMOTED';
    return d.readySubstate !== 'STAGED';
}
/**
 * Why a deployment cannot be what `previous` means, or undefined when it can. `excluded` holds the
 * deployments production was moved away from as bad (history.ts), with the reason.
 */
function target_skipReason(d, current, excluded) {
    if (d.id === current.id)
        return 'serves production now';
    const taken = excluded?.get(d.id);
    if (taken)
        return taken;
    if (d.target !== 'production')
        return d.target ? `target is ${d.target}, not production` : 'preview deployment';
    if (d.readyState !== 'READY')
        return `state is ${d.readyState ?? 'unknown'}, not READY`;
    if (!hasServedProduction(d))
        return `never served production (${d.readySubstate ?? 'not a rollback candidate'})`;
    if (current.commitSha && d.commitSha && d.commitSha === current.commitSha)
        return `built from the same commit ${d.commitSha.slice(0, 7)} as production`;
    if (d.createdAt >= current.createdAt)
        return 'newer than the deployment serving production';
    return undefined;
}
/** Skipped deployments kept with their reason; past this many only their reasons are counted. */
const SKIPPED_KEPT = 50;
/** A reason without the detail that differs per deployment (the commit), for counting. */
function reasonKind(reason) {
    return reason.replace(/ commit [0-9a-f]+ /, ' commit ');
}
/**
 * Every listed deployment but the one in production, newest first, with why it cannot be
 * `previous` (undefined when it can); `count.seen` counts every one read, production's too.
 */
async function* candidates(current, pages, excluded, count) {
    for await (const page of pages) {
        for (const deployment of page) {
            count.seen++;
            if (deployment.id !== current.id)
                yield { deployment, reason: target_skipReason(deployment, current, excluded) };
        }
    }
}
/** Walks pages (newest first) to the first fit deployment, keeping the reasons for the rest. */
async function findPrevious(current, pages, excluded) {
    const skipped = [];
    const skippedKinds = new Map();
    const count = { seen: 0 };
    for await (const { deployment: d, reason } of candidates(current, pages, excluded, count)) {
        if (!reason)
            return { chosen: d, skipped, skippedKinds, seen: count.seen };
        if (skipped.length < SKIPPED_KEPT)
            skipped.push({ deployment: d, reason });
        skippedKinds.set(reasonKind(reason), (skippedKinds.get(reasonKind(reason)) ?? 0) + 1);
    }
    return { skipped, skippedKinds, seen: count.seen };
}
/** "9,990 never served production (STAGED), 3 built from the same commit as production". */
function describeKinds(kinds) {
    return [...kinds].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${n.toLocaleString('en-US')} ${kind}`).join(', ');
}
/** Refuses an explicit target that cannot safely be put into production by this method. */
function target_checkExplicitTarget(d, projectName, method) {
    const name = `${d.id}${d.url ? ` (${d.url})` : ''}`;
    if (d.target !== 'production') {
        throw new errors/* RollbackKitError */.dp(`Deployment ${name} is a ${d.target ? `${d.target}` : 'preview'} deployment of project ${projectName}, not a production one: promoting it would start a new production build, not a rollback.`, 'Choose a production deployment as target (or leave target as previous).');
    }
    if (d.readyState !== 'READY') {
        throw new errors/* RollbackKitError */.dp(`Deployment ${name} of project ${projectName} is ${d.readyState ?? 'in an unknown state'}, not READY: it cannot serve traffic.`, 'Choose a READY production deployment as target.');
    }
    if (method === 'rollback' && !hasServedProduction(d)) {
        throw new errors/* RollbackKitError */.dp(`Deployment ${name} of project ${projectName} has never served production (${d.readySubstate ?? 'not a rollback candidate'}), so Vercel does not allow an instant rollback to it.`, 'Use method: promote to put it into production.');
    }
}
/** Commits asked about at most: each is one request, and a rollback must not wait on a long history. */
const MAX_VERIFIED_LOOKUPS = 50;
/**
 * Like findPrevious, and the commit must carry a successful rollback-kit/verified status: the
 * newest deployment that passed its checks after going live. Every newer one is listed with why
 * it was passed over (not eligible, no commit SHA, not verified, verification failed).
 */
async function findLastVerified(current, pages, lookup, maxLookups = MAX_VERIFIED_LOOKUPS, excluded) {
    const skipped = [];
    const known = new Map();
    const count = { seen: 0 };
    for await (const { deployment: d, reason } of candidates(current, pages, excluded, count)) {
        if (reason) {
            skipped.push({ deployment: d, reason });
            continue;
        }
        if (!d.commitSha) {
            skipped.push({ deployment: d, reason: 'carries no commit SHA, so no verification can be recorded for it' });
            continue;
        }
        const sha = d.commitSha.toLowerCase();
        if (!known.has(sha)) {
            if (known.size >= maxLookups)
                return { skipped, seen: count.seen, lookups: known.size };
            known.set(sha, await lookup(sha));
        }
        const state = known.get(sha);
        if (state.verified)
            return { chosen: d, skipped, seen: count.seen, lookups: known.size };
        const short = sha.slice(0, 7);
        skipped.push({
            deployment: d,
            reason: state.state
                ? `commit ${short}'s rollback-kit/verified status is ${state.state}${state.description ? ` ("${state.description}")` : ''}`
                : `commit ${short} carries no rollback-kit/verified status (never passed its checks after going live, or they were not recorded)`,
        });
    }
    return { skipped, seen: count.seen, lookups: known.size };
}

;// CONCATENATED MODULE: ./.build/platforms/vercel/history.js
/**
 * What Vercel's last alias request (`lastAliasRequest` of the project, with rollbackInfo) tells about
 * production's recent past, which creation times cannot: which deployment served right before the
 * current one, and which one production was moved away from as bad. After "A good, C bad, rolled
 * back C -> A, fix D promoted", D's predecessor is A, while the newest older deployment is C, still
 * a rollback candidate: `previous` must never put C back.
 */


/** " at <ISO time>" for a time Vercel gave, nothing without one. */
const when = (at) => (at ? ` at ${new Date(at).toISOString()}` : '');
/** A deployment by id, or undefined when Vercel no longer has it (deleted). */
async function lookUp(client, id) {
    try {
        return await api_getDeployment(client, id);
    }
    catch (err) {
        if (err instanceof VercelApiError && err.status === 404)
            return undefined;
        throw err;
    }
}
async function productionHistory(client, project, current) {
    const excluded = new Map();
    const last = project.lastAliasRequest;
    const done = last?.jobStatus === 'succeeded' || last?.jobStatus === 'skipped';
    const fromId = last?.fromDeploymentId;
    const toId = last?.toDeploymentId;
    if (!last || !done || !fromId || !toId || fromId === toId)
        return { excluded };
    const from = await lookUp(client, fromId);
    const to = toId === current.id ? current : await lookUp(client, toId);
    // A rollback always goes back; a promotion to a deployment older than the one it replaced is a
    // rollback by promotion (method: promote). Either way the one replaced was taken off as bad.
    const backwards = last.type === 'rollback' || (!!from && !!to && from.createdAt > to.createdAt);
    if (backwards) {
        const how = last.type === 'rollback' ? 'rolled back from it' : `moved off it by a promotion to the older ${toId}`;
        excluded.set(fromId, `production was ${how}${when(last.requestedAt)}`);
    }
    if (toId !== current.id)
        return { excluded };
    if (backwards)
        return { excluded, movedBack: { type: last.type ?? 'rollback', from: fromId, requestedAt: last.requestedAt } };
    return { excluded, servedBefore: from };
}

;// CONCATENATED MODULE: ./.build/platforms/vercel/wait.js
/**
 * Waits for Vercel's alias job after a rollback or promote request, the way `vercel rollback` does:
 * poll the project with rollbackInfo until `lastAliasRequest.jobStatus` for our target says
 * succeeded or skipped (done) or failed, and also until production actually serves the target,
 * because that is what the on-call engineer needs to be true.
 */



/** Vercel's clock and ours differ: an alias request stamped a little before ours is still ours. */
const CLOCK_SKEW_MS = 3 * 60_000;
async function waitForAliasJob(client, project, target, opts, log) {
    const now = opts.now ?? Date.now;
    let lastStatus = 'not reported yet';
    for (let poll = 0;; poll++) {
        let p;
        try {
            p = await getProject(client, project.id, true);
        }
        catch (err) {
            throw vercelError(err, { doing: `checking the ${opts.kind} status`, project: project.name, team: opts.team });
        }
        const job = p.lastAliasRequest;
        const ours = job && job.toDeploymentId === target.id && (job.requestedAt === undefined || job.requestedAt >= opts.requestedAt - CLOCK_SKEW_MS);
        const serving = p.production?.id === target.id;
        const status = ours ? (job.jobStatus ?? 'unknown') : undefined;
        if (status && status !== lastStatus) {
            log.info(`Vercel ${opts.kind} job: ${status}.`);
            lastStatus = status;
        }
        if (status === 'failed') {
            const aliases = await failedAliases(client, project.id, opts.kind).catch((err) => {
                log.warning(`Could not list the failed aliases: ${err.message}`);
                return [];
            });
            const list = aliases.length ? aliases.map((a) => `${a.alias}${a.status ? ` (${a.status})` : ''}`).join(', ') : 'Vercel did not list them';
            throw new errors/* RollbackKitError */.dp(`Vercel's ${opts.kind} of project ${project.name} to ${target.id} failed: not every alias could be moved. Failed aliases: ${list}.`, `Check those domains in the Vercel dashboard (Project \u2192 Domains), then re-run the step; production currently serves ${p.production?.id ?? 'an unknown deployment'}.`);
        }
        // Done means the job finished (skipped counts, as in the CLI) and production serves the target;
        // a missing or foreign job with production already switched is done as well.
        const jobDone = status === 'succeeded' || status === 'skipped' || status === undefined;
        if (jobDone && serving)
            return p;
        if (now() >= opts.deadline) {
            const where = serving ? '' : ` Production still serves ${p.production?.id ?? 'an unknown deployment'}.`;
            // The job says it finished, yet production is elsewhere: that is what went wrong, not the time.
            if (status && jobDone && !serving) {
                throw new errors/* RollbackKitError */.dp(`Vercel's ${opts.kind} job for project ${project.name} ended as ${status}, but production did not switch to ${target.id}: it still serves ${p.production?.id ?? 'an unknown deployment'}.`, 'Check the project in the Vercel dashboard (Deployments, Domains), then re-run the step; re-running is safe (it reports already-current once production serves the target).');
            }
            throw new errors/* RollbackKitError */.dp(`The ${opts.kind} of project ${project.name} to ${target.id} did not finish within the time limit (last job status: ${lastStatus}).${where}`, 'Raise timeout-seconds or check the project in the Vercel dashboard; re-running the step is safe (it reports already-current once production serves the target).');
        }
        if (poll > 0 && poll % 20 === 0)
            log.info(`Still waiting for the ${opts.kind} (job: ${lastStatus}).`);
        await opts.sleep(Math.max(0, Math.min(opts.pollIntervalMs, opts.deadline - now())));
    }
}

;// CONCATENATED MODULE: ./.build/platforms/vercel/rollback.js
/**
 * Puts a good deployment back into Vercel production: find what serves production now, choose the
 * target, ask Vercel for an instant rollback (or a promotion), wait for the alias job, and confirm
 * production serves the target. Safe to repeat: a target that already serves production, or a
 * `from` deployment that no longer does, is reported as already-current and nothing is changed.
 */












/** Skipped deployments named one per line in the log; the rest are counted by reason. */
const SKIPPED_LOGGED = 20;
const vercel_rollback_DEFAULT_POLL_INTERVAL_MS = 250;
const vercel_rollback_info = (d) => ({
    id: d?.id,
    url: d?.url ? `https://${d.url}` : undefined,
    commitSha: d?.commitSha,
    createdAt: d?.createdAt ? new Date(d.createdAt).toISOString() : undefined,
});
async function promoteOnVercel(opts, log) {
    log.secret(opts.token);
    // Every input is checked before the first request, so a typo never half-runs anything.
    const targetRef = parseDeploymentRef(opts.target || 'previous', 'target');
    if (targetRef.kind === 'last-verified' && !opts.verified) {
        throw new errors/* RollbackKitError */.dp('target last-verified needs GitHub access to read the rollback-kit/verified commit statuses, and none was given.', 'Pass github-token: ${{ secrets.GITHUB_TOKEN }} (permissions: statuses: read) and run in GitHub Actions (GITHUB_REPOSITORY).');
    }
    const fromRef = opts.from ? parseDeploymentRef(opts.from, 'from') : undefined;
    const sleep = guardedSleep(opts.stop, opts.sleep ?? client_sleep);
    const step = new StepDeadline(Date.now, opts.timeoutSeconds, opts.timeoutInput);
    const client = new VercelClient({ token: opts.token, apiUrl: opts.apiUrl, team: opts.team, log, retry: opts.retry, requestTimeoutMs: opts.requestTimeoutMs, sleep, deadline: step, stop: opts.stop });
    const ctx = (doing, deployment) => ({ doing, project: opts.project, team: opts.team, deployment });
    const call = async (c, fn) => {
        try {
            return await fn();
        }
        catch (err) {
            throw vercelError(err, c);
        }
    };
    const project = await call(ctx(`looking up project ${opts.project}`), () => getProject(client, opts.project, true));
    const current = project.production;
    if (!current) {
        throw new errors/* RollbackKitError */.dp(`Project ${project.name} has no production deployment yet, so there is nothing to roll back.`, 'Deploy to production first, or check the project input.');
    }
    // "Production of shop", or "Staging of shop-staging" in a drill: the environment the run is on.
    const environment = opts.environmentName || 'production';
    const served = `${(0,sentence/* capitalized */.l2)(environment)} of ${project.name}`;
    log.info(`${served} serves ${model_describeDeployment(current)}.`);
    const base = { autoAssignDisabled: project.autoAssignCustomDomains === false, queued: false, skipped: [], notes: [] };
    const shaUncompared = fromRef?.kind === 'sha' && !current.commitSha;
    if (shaUncompared) {
        log.warning(`The deployment in production (${current.id}) carries no commit SHA, so from (${fromRef.sha}) cannot be compared with it; going ahead.`);
    }
    else if (fromRef && !refMatches(fromRef, current)) {
        const note = `Production no longer serves ${describeRef(fromRef)}; it serves ${current.id}. Nothing to do.`;
        log.info(note);
        return { ...base, status: 'already-current', from: vercel_rollback_info(current), to: vercel_rollback_info(current), notes: [note] };
    }
    // Whether from names the deployment in production itself, rather than only whatever serves: a SHA
    // that could not be compared, or a URL that matched one of its aliases (a production domain moves
    // with every rollback), proves nothing about it, so it must not lift the re-run guard below.
    const byAlias = fromRef?.kind === 'url' && current.url?.toLowerCase() !== fromRef.host;
    const fromNamesCurrent = !!fromRef && !shaUncompared && !byAlias;
    if (byAlias)
        base.fromFollowsProduction = true;
    const relative = targetRef.kind === 'previous' || targetRef.kind === 'last-verified';
    const history = relative || opts.automatic ? await call(ctx(`reading what served production before ${current.id}`), () => productionHistory(client, project, current)) : undefined;
    // The rollback cascade: our own rollback promotes an older deployment, Vercel reports that as a
    // deployment event, its smoke test fails for the same outage (a database, a third party) and
    // an automatic run would roll back again, release by release. A person may still go further
    // back (from naming the deployment in production, or a target); an event never does.
    // Assignment off marks a rollback only when no finished alias request says how production got
    // where it is: a project can keep it off (staged production, every release promoted), and a
    // deployment aliased by hand after a rollback leaves it off; there the last request decides.
    const lastDone = project.lastAliasRequest?.jobStatus === 'succeeded' || project.lastAliasRequest?.jobStatus === 'skipped';
    if (opts.automatic && (history?.movedBack || (project.autoAssignCustomDomains === false && !lastDone))) {
        const back = history?.movedBack;
        const how = back
            ? `production was ${back.type === 'rollback' ? 'rolled back' : 'moved back by a promotion'} to it from ${back.from}${when(back.requestedAt)}`
            : 'Vercel has automatic production domain assignment off for the project, which only an instant rollback does';
        const note = notPutBackAgain(current.id, how, 'Vercel\'s status page (https://www.vercel-status.com)', { fromNamesIt: fromNamesCurrent });
        log.warning(note);
        return { ...base, status: 'already-current', from: vercel_rollback_info(current), to: vercel_rollback_info(current), notes: [note], rolledBackFrom: back?.from, putThereByRollback: true };
    }
    // A second "roll back to previous" must not walk one more step back: when production is where
    // the last alias request moved it back to (a rollback, or a promotion to an older deployment),
    // and nothing has gone live since, it already is "previous". Going further back takes an explicit
    // target, or a from that names the deployment now in production as bad.
    if (history?.movedBack && !fromNamesCurrent) {
        const back = history.movedBack;
        const how = back.type === 'rollback' ? 'rolled back' : 'moved back by a promotion';
        const note = `${served} was already ${how} to ${current.id} from ${back.from}${when(back.requestedAt)} and nothing has gone live since. Nothing to do; to go further back, name the deployment in target.`;
        log.info(note);
        return { ...base, status: 'already-current', from: vercel_rollback_info(current), to: vercel_rollback_info(current), notes: [note], rolledBackFrom: back.from };
    }
    const { target, skipped, skippedKinds, why } = await chooseTarget(client, project, current, targetRef, opts, step, ctx, log, history);
    if (target.id === current.id) {
        const note = `${model_describeDeployment(target)} already serves production. Nothing to do.`;
        log.info(note);
        return { ...base, status: 'already-current', from: vercel_rollback_info(current), to: vercel_rollback_info(target), skipped, notes: [note] };
    }
    const skippedCount = skippedKinds ? [...skippedKinds.values()].reduce((a, b) => a + b, 0) : skipped.length;
    const plan = [
        `Plan: ${opts.method} project ${project.name}`,
        `  from ${model_describeDeployment(current)}`,
        `  to   ${model_describeDeployment(target)}`,
        ...skipped.slice(0, SKIPPED_LOGGED).map((s) => `  skipped ${model_describeDeployment(s.deployment)}: ${s.reason}`),
        ...(skippedCount > SKIPPED_LOGGED ? [`  and ${(skippedCount - SKIPPED_LOGGED).toLocaleString('en-US')} more skipped (${describeKinds(skippedKinds)})`] : []),
    ];
    logPlan(log, plan, { from: current.id, to: target.id }, opts.planLogged);
    if (opts.dryRun) {
        return { ...base, status: 'dry-run', from: vercel_rollback_info(current), to: vercel_rollback_info(target), skipped, notes: [`Dry run: nothing was changed. A real run would ${opts.method} to ${target.id}.`, ...(why ? [why] : [])] };
    }
    const requestedAt = Date.now();
    const deadline = step.restart();
    let answer;
    try {
        answer = opts.method === 'rollback' ? await requestRollback(client, project.id, target.id, opts.reason) : await requestPromote(client, project.id, target.id);
        log.info(`Vercel accepted the ${opts.method} request (${answer}).`);
    }
    catch (err) {
        if (!(err instanceof VercelApiError && err.status === 409))
            throw vercelError(err, ctx(`requesting the ${opts.method}`, target.id));
        // Look at the project rather than trust the wording of the 409.
        const now = await call(ctx('checking production after a 409'), () => getProject(client, project.id, true));
        const job = now.lastAliasRequest;
        if (now.production?.id === target.id) {
            const note = `${model_describeDeployment(target)} already serves production (Vercel answered 409). Nothing to do.`;
            log.info(note);
            return { ...base, autoAssignDisabled: now.autoAssignCustomDomains === false, status: 'already-current', from: vercel_rollback_info(now.production), to: vercel_rollback_info(target), skipped, notes: [note] };
        }
        if (job?.toDeploymentId === target.id && (job.jobStatus === 'pending' || job.jobStatus === 'in-progress')) {
            // Our own earlier attempt got through before its answer was lost: wait for that job.
            log.info(`A ${opts.method} to ${target.id} is already in progress (Vercel answered 409); waiting for it.`);
            answer = 201;
        }
        else {
            throw vercelError(err, ctx(`requesting the ${opts.method}`, target.id));
        }
    }
    const notes = why ? [why] : [];
    if (answer === 202) {
        const note = `Vercel queued the promotion of ${target.id} behind a rolling release (202 queued): production still serves ${current.id} until the release moves on.`;
        log.warning(note);
        notes.push(note);
        return { ...base, status: 'promoted', queued: true, from: vercel_rollback_info(current), to: vercel_rollback_info(target), skipped, notes };
    }
    const final = await waitForAliasJob(client, project, target, { kind: opts.method, requestedAt, deadline, pollIntervalMs: opts.pollIntervalMs ?? vercel_rollback_DEFAULT_POLL_INTERVAL_MS, team: opts.team, sleep }, log);
    const verb = opts.method === 'rollback' ? 'rolled back' : 'promoted';
    notes.push(`${served} now serves ${model_describeDeployment(target)} (${verb} from ${current.id} in ${((Date.now() - requestedAt) / 1000).toFixed(1)} s).`);
    log.info(notes.at(-1));
    const autoAssignDisabled = final.autoAssignCustomDomains === false;
    if (autoAssignDisabled) {
        const warning = `Vercel has switched off automatic domain assignment for ${project.name} after the rollback: new pushes will build but will NOT go live until a deployment is promoted. ` +
            `When a fixed deployment is ready, promote it with this action (method: promote, target: <deployment id>), or run \`vercel promote <deployment>\`.`;
        log.warning(warning);
        notes.push(warning);
    }
    return { ...base, status: opts.method === 'rollback' ? 'rolled-back' : 'promoted', autoAssignDisabled, from: vercel_rollback_info(current), to: vercel_rollback_info(target), skipped, notes };
}
async function chooseTarget(client, project, current, ref, opts, 
/** The step's deadline: the search for the target, listing and GitHub look-ups alike, ends with it. */
deadline, ctx, log, history) {
    const doing = `choosing the ${opts.method} target`;
    try {
        if (ref.kind === 'previous') {
            // What served right before the current deployment is "previous" by definition (and on Hobby
            // the only deployment a rollback may go to), however many newer ones were built in between.
            const before = history?.servedBefore;
            if (before && !target_skipReason(before, current, history.excluded)) {
                const why = `previous: ${before.id} served production right before ${current.id} (Vercel's last alias request moved production from it to ${current.id}).`;
                log.info(why);
                return { target: before, skipped: [], why };
            }
            // Only deployments older than production's are candidates: start the listing there. However
            // deep the last good one is, the search goes on until timeout-seconds is spent.
            const progress = { pages: 0, timedOut: false };
            const found = await findPrevious(current, productionDeployments(client, project.id, { until: current.createdAt, deadline, progress }), history?.excluded);
            if (!found.chosen) {
                const looked = `${found.seen.toLocaleString('en-US')} older production deployment(s) on ${progress.pages} page(s) of the list`;
                const where = progress.timedOut ? `${looked} read in ${opts.timeoutSeconds} s (${deadline.input}) before the time ran out, and the list goes on` : `${looked}, all there are`;
                // Nothing counted as passed over (none was read, or none was set aside for a reason it counts): no empty list.
                const why = found.seen && found.skippedKinds.size ? ` Passed over: ${describeKinds(found.skippedKinds)}.` : '';
                const first = found.skipped.length ? ` Newest passed over: ${found.skipped.slice(0, 3).map((s) => `${s.deployment.id} (${s.reason})`).join('; ')}.` : '';
                throw new errors/* RollbackKitError */.dp(`No earlier production deployment of project ${project.name} can take over from ${current.id}: checked ${where}; none is READY, has served production before and was built from another commit.${why}${first}`, progress.timedOut
                    ? `Raise ${deadline.input} to look further back, or name the deployment to return to in target (deployment id, URL or commit SHA).`
                    : 'Name the deployment to return to in target (deployment id, URL or commit SHA), or use provider git-revert to build the previous code again.');
            }
            return { target: found.chosen, skipped: found.skipped, skippedKinds: found.skippedKinds };
        }
        if (ref.kind === 'last-verified') {
            const progress = { pages: 0, timedOut: false };
            const found = await findLastVerified(current, productionDeployments(client, project.id, { until: current.createdAt, deadline, progress }), opts.verified(deadline), MAX_VERIFIED_LOOKUPS, history?.excluded);
            if (!found.chosen) {
                const why = found.skipped.length ? ` Passed over: ${found.skipped.slice(0, 5).map((s) => `${s.deployment.id} (${s.reason})`).join('; ')}${found.skipped.length > 5 ? `; and ${found.skipped.length - 5} more` : ''}.` : '';
                const stopped = `${found.lookups >= MAX_VERIFIED_LOOKUPS ? ` Stopped after asking GitHub about ${found.lookups} commits.` : ''}${progress.timedOut ? ` The list went on past ${deadline.input} (${opts.timeoutSeconds} s).` : ''}`;
                throw new errors/* RollbackKitError */.dp(`No earlier production deployment of project ${project.name} carries the rollback-kit/verified status: ${found.seen} older production deployment(s) checked.${stopped}${why}`, 'Use target: previous (the newest eligible one, verified or not) or name the deployment in target; record passes with smoke-test verified-sha so that later rollbacks find one.');
            }
            const why = `last-verified: ${found.chosen.id} is the newest eligible production deployment whose commit ${found.chosen.commitSha.slice(0, 7)} carries a successful rollback-kit/verified status${found.skipped.length ? ` (${found.skipped.length} newer passed over, listed below)` : ''}.`;
            log.info(why);
            return { target: found.chosen, skipped: found.skipped, why };
        }
        let target;
        if (ref.kind === 'sha') {
            let matched;
            const listed = { pages: 0, timedOut: false };
            for await (const page of productionDeployments(client, project.id, { deadline, progress: listed })) {
                for (const d of page) {
                    if (!refMatches(ref, d))
                        continue;
                    matched ??= d;
                    if (d.readyState === 'READY') {
                        target = d;
                        break;
                    }
                }
                if (target)
                    break;
            }
            if (!target && matched)
                target = matched; // reported as not READY by the check below
            if (!target) {
                if (listed.timedOut) {
                    throw new errors/* RollbackKitError */.dp(`No production deployment of project ${project.name} built from commit ${ref.sha} was found in ${listed.pages} page(s) of the list read in ${opts.timeoutSeconds} s (${deadline.input}), and the list goes on.`, `Raise ${deadline.input} to look further back, or give the deployment id or URL instead.`);
                }
                throw new errors/* RollbackKitError */.dp(`No production deployment of project ${project.name} was built from commit ${ref.sha}.`, 'Check the SHA, or give the deployment id or URL instead.');
            }
        }
        else {
            const key = ref.kind === 'id' ? ref.id : ref.host;
            try {
                target = await api_getDeployment(client, key);
            }
            catch (err) {
                throw vercelError(err, ctx(doing, key));
            }
            if (target.projectId && target.projectId !== project.id) {
                throw new errors/* RollbackKitError */.dp(`Deployment ${target.id} belongs to another project (${target.projectId}), not to ${project.name}.`, 'Check the target and project inputs.');
            }
        }
        if (target.id !== current.id)
            target_checkExplicitTarget(target, project.name, opts.method);
        log.debug(`target resolved: ${model_describeDeployment(target)}`);
        return { target, skipped: [] };
    }
    catch (err) {
        throw vercelError(err, ctx(doing));
    }
}

;// CONCATENATED MODULE: ./.build/github/client.js

function githubClient(apiUrl, token, log, tuning = {}) {
    log.secret(token);
    return new HttpClient({
        service: 'GitHub',
        baseUrl: apiUrl,
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28', 'User-Agent': 'rollback-kit' },
        log,
        redirects: 'same-origin',
        ...tuning,
    });
}

;// CONCATENATED MODULE: ./.build/github/commit-status.js
/**
 * The `rollback-kit/verified` commit status: the record that a deployment passed its smoke checks
 * after it went live. smoke-test sets it on a pass (verified-sha); promote-previous's
 * `target: last-verified` reads it to pick the newest deployment that actually passed. GitHub's
 * combined status holds the latest status of each context, so a later failure overrides a pass.
 */







const VERIFIED_CONTEXT = 'rollback-kit/verified';
/** GitHub refuses a status description longer than this. */
const DESCRIPTION_MAX = 140;
/** Statuses per page of the combined status (GitHub's maximum) and pages read at most. */
const commit_status_PER_PAGE = 100;
const MAX_PAGES = 10;
/** A full commit SHA (SHA-1, or SHA-256 for repositories that use it). */
function isFullSha(value) {
    return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(value);
}
class CommitStatuses {
    client;
    repo;
    constructor(access, log, opts = {}) {
        log.secret(access.token);
        this.repo = parseRepository(access.repository);
        this.client = githubClient(access.apiUrl, access.token, log, { requestTimeoutMs: opts.requestTimeoutMs ?? 10_000, sleep: opts.sleep, deadline: opts.deadline, stop: opts.stop });
    }
    get name() {
        return `${this.repo.owner}/${this.repo.repo}`;
    }
    context(doing, sha) {
        return {
            doing: `${doing} of commit ${sha.slice(0, 12)} in ${this.name}`,
            tokenInput: 'github-token',
            // Its address is the runner's GITHUB_API_URL: no step that sets these statuses has an api-url input.
            api: { name: 'the GitHub API', urlSetting: 'GITHUB_API_URL (the runner sets it to the API of the GitHub it runs for)' },
            notFound: `Repository ${this.name} or commit ${sha.slice(0, 12)}`,
            notFoundHint: 'Check that the commit was pushed to this repository and that github-token can read it (secrets.GITHUB_TOKEN of this repository).',
        };
    }
    /** The latest rollback-kit/verified status of `sha`, reading the combined status page by page. */
    async verified(sha) {
        const path = `repos/${encodeURIComponent(this.repo.owner)}/${encodeURIComponent(this.repo.repo)}/commits/${encodeURIComponent(sha)}/status`;
        return calling(this.context('reading the commit statuses', sha), async () => {
            const guard = new PageGuard(`the commit statuses of ${sha.slice(0, 12)} in ${this.name}`);
            for (let page = 1; page <= MAX_PAGES; page++) {
                const body = obj(await this.client.get(path, { per_page: commit_status_PER_PAGE, page }));
                const statuses = body?.statuses;
                if (!body || !Array.isArray(statuses))
                    throw new UnexpectedShape('a combined commit status');
                for (const s of statuses) {
                    const status = obj(s);
                    if (read_str(status?.context) !== VERIFIED_CONTEXT)
                        continue;
                    const state = read_str(status?.state);
                    return { verified: state === 'success', state, description: read_str(status?.description) };
                }
                const total = typeof body.total_count === 'number' ? body.total_count : 0;
                if (statuses.length < commit_status_PER_PAGE || page * commit_status_PER_PAGE >= total)
                    break;
                // Page numbers always advance, so a server that ignores them shows as the same page again.
                guard.check(JSON.stringify(statuses.map((s) => obj(s)?.id ?? [read_str(obj(s)?.context), read_str(obj(s)?.updated_at)])), 'page');
            }
            return { verified: false };
        });
    }
    /** Sets rollback-kit/verified on `sha`: success after a pass. */
    async record(sha, opts) {
        const path = `repos/${encodeURIComponent(this.repo.owner)}/${encodeURIComponent(this.repo.repo)}/statuses/${encodeURIComponent(sha)}`;
        const description = opts.description.length > DESCRIPTION_MAX ? `${opts.description.slice(0, DESCRIPTION_MAX - 1)}\u2026` : opts.description;
        const ctx = this.context('setting the rollback-kit/verified status', sha);
        try {
            await this.client.request('POST', path, { body: { state: opts.state, context: VERIFIED_CONTEXT, description, ...(opts.targetUrl ? { target_url: opts.targetUrl } : {}) } });
        }
        catch (err) {
            // GitHub answers 422 "No commit found for SHA" for a commit it does not have.
            if (err instanceof HttpApiError && err.status === 422) {
                throw new errors/* RollbackKitError */.dp(`GitHub refused the rollback-kit/verified status on commit ${sha.slice(0, 12)} in ${this.name} (422): ${err.serverMessage}.`, 'verified-sha must be the full SHA of a commit pushed to this repository (the deployed commit).');
            }
            if (err instanceof HttpApiError && err.status === 403 && !err.rateLimited) {
                throw new errors/* RollbackKitError */.dp(`GitHub refused (403) to set the rollback-kit/verified status on commit ${sha.slice(0, 12)} in ${this.name}: ${err.serverMessage}.`, 'Grant the job permissions: statuses: write.');
            }
            throw platformError(err, ctx);
        }
    }
}

;// CONCATENATED MODULE: ./.build/platforms/promote.js
/**
 * promote-previous as a library call: one request keyed by provider in, one outcome out. The
 * promote-previous action and the whole rollback both go through here, so a component rolled back
 * by the root action behaves exactly as the single action would. Secrets arrive as values; the
 * caller decides where they came from (inputs, environment variables).
 */
















const PROVIDERS = ['vercel', 'fly', 'railway', 'render', 'netlify', 'git-revert', 'command'];
const METHODS = ['rollback', 'promote'];
const DEFAULT_VERCEL_API_URL = 'https://api.vercel.com';
/** Each platform's own API base: what `api-url` means when it is not set. */
const DEFAULT_API_URLS = {
    vercel: DEFAULT_VERCEL_API_URL,
    fly: FLY_API_URL,
    railway: RAILWAY_API_URL,
    render: RENDER_API_URL,
    netlify: NETLIFY_API_URL,
};

/** The default of `api-url` for a provider; undefined for those that take no API base. */
function defaultApiUrl(provider) {
    return provider in DEFAULT_API_URLS ? DEFAULT_API_URLS[provider] : undefined;
}
/** Outcomes that changed what production serves (a queued one, accepted but not live, too: see notLiveYet). */
function changedProduction(status) {
    return status === 'rolled-back' || status === 'promoted';
}
/**
 * A change the platform accepted but did not make live (Vercel queues a promotion behind a rolling
 * release, 202): production still serves the release rolled back from, so nothing that needs the
 * good release live (a database rollback, a verification of the way back) may follow it.
 */
function notLiveYet(outcome, component) {
    if (!outcome.queued)
        return undefined;
    return new errors/* RollbackKitError */.dp(`${outcome.notes[0] ?? `The promotion of ${outcome.to.id} was queued and is not live yet.`} The rollback of ${component} is not done until production serves ${outcome.to.id}.`, 'Finish (or abort) the rolling release in Vercel (project Settings \u2192 Rolling Releases), then re-run: the database is changed only once production serves the deployment rolled back to.');
}
/**
 * The checks that need no network, so a whole rollback can refuse a bad request before anything
 * runs. `where` names the place the value came from ("Input vercel-token", "components.web.project").
 */
function checkPromoteRequest(request, where = (f) => `Input ${f}`) {
    if (request.provider !== 'vercel' && isLastVerified(request.target)) {
        throw new errors/* RollbackKitError */.dp(`${where('target')} last-verified works with provider vercel only; provider is ${request.provider}.`, 'Use target: previous, or name the release to return to.');
    }
    switch (request.provider) {
        case 'vercel': {
            if (isLastVerified(request.target)) {
                if (!request.github?.token)
                    throw new errors/* RollbackKitError */.dp(`${where('github-token')} is required with target last-verified: the rollback-kit/verified commit statuses are read from GitHub.`, 'Pass github-token: ${{ secrets.GITHUB_TOKEN }} and grant the job permissions: statuses: read.');
                if (!request.github.repository)
                    throw new errors/* RollbackKitError */.dp('target last-verified needs the repository whose commits carry rollback-kit/verified, and GITHUB_REPOSITORY is not set.', 'Run the step in GitHub Actions, which sets GITHUB_REPOSITORY.');
                checkApiUrl(request.github.apiUrl, 'GITHUB_API_URL', 'https://api.github.com');
            }
            checkPlatform(request, where, 'Pass a Vercel access token from a secret: vercel-token: ${{ secrets.VERCEL_TOKEN }}.', [['project', request.project, 'Set project to the Vercel project name or its prj_\u2026 id.']]);
            return;
        }
        case 'fly':
            checkPlatform(request, where, 'Pass a Fly deploy token from a secret: fly-token: ${{ secrets.FLY_API_TOKEN }} (fly tokens create deploy), or set FLY_API_TOKEN.', [['app', request.app, 'Set app to the Fly app name (as in fly.toml).']]);
            checkApiUrl(request.machinesApiUrl, where('machines-api-url'), FLY_MACHINES_API_URL);
            if (request.registryUrl)
                checkApiUrl(request.registryUrl, where('registry-url'), 'https://registry.fly.io');
            return;
        case 'railway':
            checkPlatform(request, where, 'Pass a Railway project token (or account token) from a secret: railway-token: ${{ secrets.RAILWAY_TOKEN }}, or set RAILWAY_TOKEN.', ['project', 'environment', 'service'].map((field) => [field, request[field], `Set ${field} to the ${field} id (from the Railway dashboard URL or \`railway status --json\`).`]));
            return;
        case 'render':
            checkPlatform(request, where, 'Pass a Render API key from a secret: render-token: ${{ secrets.RENDER_API_KEY }}, or set RENDER_API_KEY.', [['service', request.service, 'Set service to the Render service id (srv-\u2026), shown in the dashboard URL.']]);
            return;
        case 'netlify':
            checkPlatform(request, where, 'Pass a Netlify personal access token from a secret: netlify-token: ${{ secrets.NETLIFY_AUTH_TOKEN }}, or set NETLIFY_AUTH_TOKEN.', [['site', request.site, 'Set site to the site id (Site configuration \u2192 Site details) or its name.netlify.app domain.']]);
            return;
        case 'git-revert':
            requireToken(request.githubToken, where('github-token'), 'git-revert', 'Pass github-token: ${{ secrets.GITHUB_TOKEN }} and grant contents: write and pull-requests: write.');
            return;
        case 'command':
            requireField(request.command, where('command'), 'command', 'Set command to the shell command that rolls back, e.g. docker compose up -d app@"$ROLLBACK_TARGET".');
            return;
    }
}
function isLastVerified(target) {
    return target?.trim().toLowerCase() === 'last-verified';
}
/**
 * What every platform provider needs, in this order: its token (input `<provider>-token`), the
 * fields that name what to roll back, and an API base URL (DEFAULT_API_URLS when not set).
 */
function checkPlatform(request, where, tokenHint, fields) {
    requireToken(request.token, where(`${request.provider}-token`), request.provider, tokenHint);
    for (const [field, value, hint] of fields)
        requireField(value, where(field), request.provider, hint);
    checkApiUrl(request.apiUrl, where('api-url'), DEFAULT_API_URLS[request.provider]);
}
function requireToken(token, what, provider, hint) {
    if (!token)
        throw new errors/* RollbackKitError */.dp(`${what} is required when provider is ${provider}.`, hint);
}
function requireField(value, what, provider, hint) {
    if (!value?.trim())
        throw new errors/* RollbackKitError */.dp(`${what} is required when provider is ${provider}.`, hint);
}
function isHttpUrl(text) {
    try {
        const url = new URL(text);
        return url.protocol === 'http:' || url.protocol === 'https:';
    }
    catch {
        return false;
    }
}
function checkHttpUrl(raw, what, example) {
    if (!isHttpUrl(raw))
        throw new errors/* RollbackKitError */.dp(`${what} must be an http(s) URL such as ${example}; got "${(0,url_secrets/* displayUrl */.Qy)(raw)}".`);
}
/** An API base URL: http(s), and no user name and password, since the token travels in Authorization. */
function checkApiUrl(raw, what, example) {
    checkHttpUrl(raw, what, example);
    const url = new URL(raw);
    if (url.username || url.password) {
        throw new errors/* RollbackKitError */.dp(`${what} holds a user name and password (${(0,url_secrets/* displayUrl */.Qy)(raw)}), but requests to the API authenticate with the token in the Authorization header, so they cannot be sent.`, `Remove the user name and password from ${what.replace(/^Input /, '')}; a proxy in front of the API must accept the token itself.`);
    }
}
/** What is frozen and how to undo it, for summaries and records, unless a note already says so. */
function frozenNotes(outcome) {
    const { frozen, what, undo } = outcome.frozen;
    const lines = outcome.notes.includes(what) ? [] : [`${frozen ? 'Frozen' : 'Nothing frozen'}: ${what}`];
    if (frozen && undo)
        lines.push(`To undo: ${undo}`);
    return lines;
}
/** What git-revert and command leave as it was: they change no platform setting. */
const NOTHING_FROZEN = {
    'git-revert': { frozen: false, what: 'git-revert freezes nothing: merging the revert pull request deploys the good code, and any other merge to the branch deploys as usual.' },
    command: { frozen: false, what: 'The command provider freezes nothing itself: if your pipeline can ship the bad release again, hold it until the fix is ready.' },
};
/** Vercel's freeze is its own doing: an instant rollback switches off automatic domain assignment. */
function vercelFrozen(project, autoAssignDisabled) {
    if (!autoAssignDisabled)
        return { frozen: false, what: `Vercel assigns the production domains of ${project} automatically: the next production deployment goes live.` };
    return {
        frozen: true,
        what: `Vercel has switched off automatic production domain assignment for ${project}: new deployments build but do not go live.`,
        undo: 'When the fix is deployed, promote it: promote-previous with method: promote and target: <its deployment id> (or `vercel promote <url>`), which turns automatic assignment back on.',
    };
}
/** The summary's second table for the releases passed over: the first 50, each with why. */
const passedOver = (skipped) => ({ header: ['passed over', 'why'], rows: skipped.slice(0, 50).map((s) => [s.id, s.reason]) });
const fromProvider = (o) => ({
    status: o.status,
    from: o.from,
    to: o.to,
    autoAssignDisabled: false,
    frozen: o.frozen,
    notes: o.notes,
    skipped: o.skipped,
    details: passedOver(o.skipped),
    rolledBackFrom: o.rolledBackFrom,
    ...(o.unfinished ? { unfinished: o.unfinished } : {}),
    ...(o.putThereByRollback ? { putThereByRollback: true } : {}),
});
/** Puts the last good deployment back (or, with dryRun, only says which one it would be). */
async function promotePrevious(request, log) {
    for (const url of (0,component_urls/* componentUrls */.m)(request))
        (0,url_secrets/* registerUrlSecrets */.AI)(url, log);
    checkPromoteRequest(request);
    const stop = new ChangeGuard(request.signal, ...whereToCheck(request));
    const common = { target: request.target, from: request.from, reason: request.reason, timeoutSeconds: request.timeoutSeconds, timeoutInput: request.timeoutInput, dryRun: request.dryRun, automatic: request.automatic, stop, planLogged: request.planLogged, environmentName: request.environmentName };
    try {
        return await promoteWith(request, common, log);
    }
    catch (err) {
        // Stopped: what production is in is the guard's to say (nothing sent: not touched; a change
        // sent: not confirmed), whatever the provider made of the interruption.
        if (!stop.interrupted && !(stop.stopped && stop.sent.length))
            throw err;
        const said = stop.error();
        if (err instanceof StoppedHere || !stop.sent.length)
            throw said;
        throw new errors/* RollbackKitError */.dp(`${said.message} It ended with: ${log.redact((0,errors/* errorLine */.BP)(err))}`, said.hint, { changed: 'unknown', stopped: true });
    }
}
/** What a re-run does after a rollback command was stopped: run it again, from the start. */
const COMMAND_RERUN = `Re-running the same rollback runs the command again from the start (a command component cannot be asked what it serves, so nothing recognises what this run changed): the command must be safe to run twice (deploy a named version), and can write status=already-current to $${OUTCOME_VARIABLE} when the target already runs.`;
/** Whose production a stop leaves, where a person checks what it serves, and what a re-run does when the provider cannot recognise its own rollback. */
function whereToCheck(request) {
    switch (request.provider) {
        case 'vercel':
            return [`Vercel project ${request.project}`, `the Vercel dashboard (project ${request.project} \u2192 Deployments: which one is Current)`];
        case 'fly':
            return [`Fly app ${request.app}`, `Fly (fly machines list -a ${request.app}: the image each machine runs)`];
        case 'railway':
            return [`Railway service ${request.service}`, `the Railway dashboard (service ${request.service} \u2192 Deployments: which one is Active)`];
        case 'render':
            return [`Render service ${request.service}`, `the Render dashboard (service ${request.service} \u2192 Events: the last deploy live)`];
        case 'netlify':
            return [`Netlify site ${request.site}`, `the Netlify dashboard (site ${request.site} \u2192 Deploys: which one is Published)`];
        case 'git-revert':
            // Production changes only once a revert pull request is merged: what a stop can leave is a pushed branch, or an open pull request.
            return [`repository ${request.repository}`, `${request.repository} (a rollback/\u2026 branch pushed, a revert pull request opened: production changes only once that pull request is merged)`];
        case 'command':
            // It cannot be asked what it serves: nothing recognises a rollback it made.
            return ['the rollback command', 'what the rollback command changes (its output above says how far it got)', COMMAND_RERUN];
    }
}
async function promoteWith(request, common, log) {
    switch (request.provider) {
        case 'vercel': {
            const result = await promoteOnVercel({ ...common, token: request.token, project: request.project, team: request.team, apiUrl: request.apiUrl, method: request.method, pollIntervalMs: request.pollIntervalMs, verified: verifiedLookup(request, log, common.stop) }, log);
            const skipped = result.skipped.map((s) => ({ id: s.deployment.id, reason: s.reason }));
            return {
                status: result.status,
                from: result.from,
                to: result.to,
                autoAssignDisabled: result.autoAssignDisabled,
                frozen: vercelFrozen(request.project, result.autoAssignDisabled),
                notes: result.notes,
                skipped,
                queued: result.queued,
                details: passedOver(skipped),
                rolledBackFrom: result.rolledBackFrom,
                putThereByRollback: result.putThereByRollback,
                ...(result.fromFollowsProduction ? { fromFollowsProduction: true } : {}),
            };
        }
        case 'fly':
            return fromProvider(await promoteOnFly({ ...common, token: request.token, app: request.app, apiUrl: request.apiUrl, machinesApiUrl: request.machinesApiUrl, registryUrl: request.registryUrl }, log));
        case 'railway':
            return fromProvider(await promoteOnRailway({ ...common, token: request.token, project: request.project, environment: request.environment, service: request.service, apiUrl: request.apiUrl, pollIntervalMs: request.pollIntervalMs }, log));
        case 'render':
            return fromProvider(await promoteOnRender({ ...common, token: request.token, service: request.service, apiUrl: request.apiUrl, pollIntervalMs: request.pollIntervalMs }, log));
        case 'netlify':
            return fromProvider(await promoteOnNetlify({ ...common, token: request.token, site: request.site, apiUrl: request.apiUrl, pollIntervalMs: request.pollIntervalMs }, log));
        case 'git-revert': {
            const result = await revertWithPullRequest({ ...common, githubToken: request.githubToken, repoDir: request.repoDir, repository: request.repository, apiUrl: request.apiUrl, baseBranch: request.baseBranch }, log);
            return {
                status: result.status,
                from: { commitSha: result.fromSha },
                to: { commitSha: result.toSha, url: result.pullRequestUrl },
                autoAssignDisabled: false,
                frozen: NOTHING_FROZEN['git-revert'],
                notes: result.notes,
                skipped: [],
                details: { header: ['reverted commit', 'subject'], rows: result.reverted.map((c) => [c.sha, c.subject]) },
                rolledBackFrom: result.rolledBackFrom,
                ...(result.putThereByRollback ? { putThereByRollback: true } : {}),
            };
        }
        case 'command': {
            const result = await runRollbackCommand({ ...common, command: request.command ?? '', verifyCommand: request.verifyCommand, cwd: request.cwd, baseEnv: request.baseEnv }, log);
            // `to` only when known: "previous" names no release, and "Rolled back to previous" says nothing.
            return { status: result.status, from: { id: common.from }, to: result.to ? { id: result.to } : {}, autoAssignDisabled: false, frozen: NOTHING_FROZEN.command, notes: result.notes, skipped: [] };
        }
    }
}
/** Reads rollback-kit/verified from GitHub, for target last-verified only (checked above: token and repository are set). */
function verifiedLookup(request, log, stop) {
    const gh = request.github;
    if (!isLastVerified(request.target) || !gh?.token || !gh.repository)
        return undefined;
    const { apiUrl, repository, token } = gh;
    // The look-ups belong to the search for the target: its deadline bounds their retries too.
    return (deadline) => {
        // Reads only: the stop ends them as it ends Vercel's.
        const statuses = new CommitStatuses({ apiUrl, repository, token }, log, { deadline, stop });
        return (sha) => statuses.verified(sha);
    };
}


/***/ }),

/***/ 6479:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  ln: () => (/* binding */ inlineText),
  R: () => (/* binding */ redactMarkdown),
  tp: () => (/* binding */ table),
  Qq: () => (/* binding */ markdown_text)
});

// UNUSED EXPORTS: backtickRuns, codeSpan, escapeCell, formatBytes, linkText, unlinked

// EXTERNAL MODULE: ./.build/core/sorted.js
var sorted = __nccwpck_require__(5915);
;// CONCATENATED MODULE: ./.build/report/fenced-code.js
/**
 * Where fenced code blocks are in Markdown, as GitHub (CommonMark) reads them: at the top level and
 * inside the containers a line opens, a block quote's `>` and a list item's marker. Inside one, a
 * reader sees every character as written (`\_` is a backslash and an underscore), so the redactor
 * must judge it so too (readerView, markdown.ts); outside it an escape is read. A fence under
 * `> ` or in a list item nested past three spaces was read as prose, and a secret written with a
 * `\_` or an `&amp;` in it (as a program printed it) was judged as other text and shown.
 *
 * CommonMark's rules, as far as they decide where code is:
 * - a block quote line starts with up to three spaces and `>`, and the one space after it is the
 *   marker's; a line without the `>` ends the quote, and a code block in it (no lazy lines for code);
 * - a list item's marker (`-`, `+`, `*`, `1.`, `1)`) is followed by 1 to 4 spaces, and its content is
 *   indented that far (past 4, one: the rest opens an indented code block); a non-blank line
 *   indented less ends the item, and a code block in it; blank lines go on in it;
 * - a fence is up to three spaces past its container's content, then three or more backticks (no
 *   backtick after them) or tildes; it is closed by the same character, at least as many, with up to
 *   three spaces before and nothing after but white space, or by its container's end, or by the
 *   document's.
 * The list items a line is in are read from the marker lines before it; a lazy paragraph line
 * (less indented, still the item's) is taken as ending the item, which only loses the item's
 * fences nested past three spaces after it. Each line is looked at once.
 */
/** A block quote's marker: up to three spaces, `>`, and the one space after it that is part of it. */
const QUOTE = / {0,3}> ?/y;
/** A list item's marker after its indentation, and the spaces after it (none: the line's end). */
const LIST_MARKER = /([-+*]|\d{1,9}[.)])( +|(?=\r?\n|$))/y;
/** A fence's opening after its indentation (CommonMark): three or more backticks (an info string after them without one) or tildes. */
const FENCE_OPEN = /(?:(`{3,})[^`\n]*|(~{3,})[^\n]*)(?=\n|$)/y;
const SPACES = / */y;
/** Where a line's content starts past `quotes` block quote markers from `at`, and how many there were (fewer when the line has fewer). */
function pastQuotes(markdown, at, quotes = Infinity) {
    let i = at;
    let n = 0;
    while (n < quotes) {
        QUOTE.lastIndex = i;
        if (!QUOTE.test(markdown))
            break;
        i = QUOTE.lastIndex;
        n++;
    }
    return { at: i, quotes: n };
}
function spacesAt(markdown, at) {
    SPACES.lastIndex = at;
    SPACES.test(markdown);
    return SPACES.lastIndex - at;
}
const blankFrom = (markdown, at) => at >= markdown.length || markdown[at] === '\n' || (markdown[at] === '\r' && markdown[at + 1] === '\n');
/**
 * A reader of a document's fenced code blocks, given each line's start in order (`fenceAt`):
 * where the block opening on that line ends (past its closing fence's line, or at the line break
 * before the line that ends its container, or the document's end), or undefined when none opens
 * there. Lines inside a block are not given to it again: what they hold opens no container.
 */
function fencedCode(markdown) {
    /** The block quotes the last line was in, and the content indents (past them) of the list items it was in, innermost last. */
    let quotes = 0;
    let items = [];
    return (at) => {
        const quoted = pastQuotes(markdown, at);
        if (quoted.quotes !== quotes) {
            // Another block quote: the list items read were the other one's.
            quotes = quoted.quotes;
            items = [];
        }
        let pos = quoted.at;
        let indent = spacesAt(markdown, pos);
        if (blankFrom(markdown, pos + indent))
            return undefined;
        while (items.length && items.at(-1) > indent)
            items.pop();
        let base = items.at(-1) ?? 0;
        // Past three spaces beyond its container's content a line is an indented code block's, or a paragraph's: no marker, no fence.
        if (indent - base > 3)
            return undefined;
        pos += indent;
        for (;;) {
            LIST_MARKER.lastIndex = pos;
            const m = LIST_MARKER.exec(markdown);
            if (!m)
                break;
            const spaces = m[2].length;
            const after = spaces === 0 || spaces > 4 ? 1 : spaces;
            indent += m[1].length + after;
            items.push(indent);
            base = indent;
            if (spaces === 0 || spaces > 4)
                return undefined;
            pos += m[1].length + after;
        }
        FENCE_OPEN.lastIndex = pos;
        const open = FENCE_OPEN.exec(markdown);
        if (!open)
            return undefined;
        return fenceEnd(markdown, FENCE_OPEN.lastIndex, open[1] ?? open[2], quotes, base);
    };
}
/**
 * Where a fence of `fence` ends, its opening line ending at `eol`, in `quotes` block quotes and a
 * list item's content indented `base` (0: none). Each line after it is looked at once.
 */
function fenceEnd(markdown, eol, fence, quotes, base) {
    const close = new RegExp(`^${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*\\r?$`);
    let line = eol + 1;
    while (line <= markdown.length && eol < markdown.length) {
        const next = markdown.indexOf('\n', line);
        const end = next < 0 ? markdown.length : next;
        const quoted = pastQuotes(markdown, line, quotes);
        // Its block quote ended (a line without the `>`), or its list item (a line indented less): the block with it.
        if (quoted.quotes < quotes)
            return line - 1;
        const indent = spacesAt(markdown, quoted.at);
        if (!blankFrom(markdown, quoted.at + indent)) {
            if (indent < base)
                return line - 1;
            if (indent - base <= 3 && close.test(markdown.slice(quoted.at + indent, end)))
                return end;
        }
        if (next < 0)
            break;
        line = next + 1;
    }
    return markdown.length;
}

;// CONCATENATED MODULE: ./.build/report/markdown.js
/**
 * Small pieces of the Markdown every job summary is made of. Outside text (paths, table and check
 * names, server messages) goes in through `text`, `inlineText` or `codeSpan`, so it cannot end a
 * table row, start a heading, or bring in HTML, a link (a bare URL included) or an image. Nothing is
 * added to the text: what a reader copies from the rendered page is what was written.
 */


const LINE_BREAKS = /\r\n|\r|\n/g;
/**
 * What GitHub's Markdown (and Slack, Discord, Mattermost) link or ping by themselves: a `scheme://`
 * URL, a `www.` name, an e-mail address or a `@name`. Fixed-length alternatives: linear.
 */
const LINKABLE = /:\/\/|(?<![\p{L}\p{N}_])www\.|@[\p{L}\p{N}_]/iu;
/** Around a link in prose, not part of it: left outside its code span, as a renderer leaves it outside the link. */
const OPENING = '([{"\'<*_~';
const CLOSING = '.,:;!?)]}"\'>*_~';
/**
 * Outside text with nothing in it a renderer links or pings by itself: GitHub's Markdown turns a
 * bare `https://\u2026`, `www.\u2026`, an e-mail address or a `@name` into a link or a mention (Slack and
 * Discord link URLs too), so a server's header quoted in a summary could carry a phishing link.
 * Each word holding one is written as a code span (`code`, codeSpan by default), which no renderer
 * links, and the rest through `prose` (the caller's escaping). The text is not changed: what a
 * reader copies from a code span is the word as it was, a host or a command that works when pasted
 * (an invisible joiner inside it, as this once used, made the pasted command fail).
 */
function unlinked(value, prose, code = codeSpan) {
    // Whitespace and `|` end a word: a pipe stays in the prose, where the caller escapes it for tables.
    return value
        .split(/([\s|]+)/)
        .map((part, i) => {
        if (i % 2 === 1 || !LINKABLE.test(part))
            return prose(part);
        let start = 0;
        let end = part.length;
        while (start < end && OPENING.includes(part[start]))
            start++;
        while (end > start && CLOSING.includes(part[end - 1]))
            end--;
        return `${prose(part.slice(0, start))}${code(part.slice(start, end))}${prose(part.slice(end))}`;
    })
        .join('');
}
/** Outside text as inline Markdown: one line, no HTML, no links (a word a renderer would link is a code span: unlinked) or images. */
function markdown_text(value) {
    return unlinked(value.replace(LINE_BREAKS, ' '), (prose) => prose.replace(/[\\`[\]]/g, '\\$&').replace(/</g, '&lt;').replace(/>/g, '&gt;')).replace(/^(\s*)#/, '$1\\#');
}
/** A table cell: `|` escaped (also inside code spans, as GFM reads it) and on one line. */
function escapeCell(value) {
    return value.replace(/\|/g, '\\|').replace(LINE_BREAKS, ' ');
}
function table(headers, rows) {
    const line = (cells) => `| ${cells.map((c) => escapeCell(String(c))).join(' | ')} |`;
    return [line(headers), `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}
function formatBytes(bytes) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let n = bytes;
    let u = 0;
    while (n >= 1024 && u < units.length - 1) {
        n /= 1024;
        u++;
    }
    return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}
// Control characters, and the bidirectional overrides that make text read differently than it is.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g;
function oneLine(text) {
    return text.replace(/\r\n|[\r\n\t]/g, ' ').replace(INVISIBLE, '');
}
/**
 * Outside text (a reason, a name, a provider's message) made inert in Markdown: on one line, HTML
 * and table pipes written as entities (no raw `|` is left for a table row to split on), every
 * character that could open a link, emphasis, a code span or a heading backslash-escaped, and no
 * bare URL, address or mention left to link (each is a code span: unlinked), so it renders as itself and nothing else.
 */
function inlineText(text) {
    return unlinked(oneLine(text), (prose) => prose
        .replace(/[\\`*_[\]#!~]/g, (c) => `\\${c}`)
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/\|/g, '&#124;'));
}
/**
 * Outside text as a code span (paths, ids, SHAs, hosts, URLs not to link): on one line, fenced so no
 * backtick inside can close it. The one code-span writer, of the summaries and the chat messages.
 */
function codeSpan(text) {
    const value = oneLine(text);
    // Reduced, not spread into Math.max: a long word of many backtick runs would overflow its arguments.
    const longest = [...value.matchAll(/`+/g)].reduce((max, m) => Math.max(max, m[0].length), 0);
    const fence = '`'.repeat(longest + 1);
    const pad = value.startsWith('`') || value.endsWith('`') || longest > 0 ? ' ' : '';
    return `${fence}${pad}${value}${pad}${fence}`;
}
/** An http(s) URL as a link a person can click; anything else as a code span. */
function linkText(url) {
    try {
        const parsed = new URL(url.trim());
        if (parsed.protocol === 'https:' || parsed.protocol === 'http:') {
            // The parser percent-encodes spaces, quotes and angle brackets; what is left cannot end the autolink.
            return `<${parsed.href.replace(/[<>\s]/g, encodeURIComponent)}>`;
        }
    }
    catch {
        // not a URL: shown as text below
    }
    return codeSpan(url);
}
/** What a backslash escapes in CommonMark: any ASCII punctuation. */
const ESCAPABLE = /[!-/:-@[-`{-~]/;
/** The entities our writers use (`&amp;`, `&lt;`, `&gt;`, `&#124;`) and any other numeric or common named one. */
const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9A-Fa-f]{1,6})|(amp|lt|gt|quot|apos));/y;
const NAMED_ENTITY = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/**
 * Markdown as a reader sees it: each backslash escape and entity as the one character it stands
 * for, a code span's content as written (escapes are literal there; only a table's `\|` is not),
 * and a fenced code block's (``` or ~~~, in a block quote or a list item too: fencedCode) as
 * written, every line of it (GitHub shows it literally).
 * `from[i]`..`from[i + 1]` is where the view's character `i` is written in `markdown`.
 */
function readerView(markdown) {
    /** Where each length of backtick run starts, read once (a search per run from each one was n\u00b2 on many runs of many lengths). */
    let runs;
    /** The end of the line the last backtick run was on (-1: the last line; -2: not looked for yet). */
    let lineEnd = -2;
    /** Each line's start is given to it, in order (see fencedCode). */
    const fenceAt = fencedCode(markdown);
    let view = '';
    const from = [];
    const put = (c, at) => {
        view += c;
        for (let k = 0; k < c.length; k++)
            from.push(at);
    };
    let i = 0;
    while (i < markdown.length) {
        const c = markdown[i];
        if (i === 0 || markdown[i - 1] === '\n') {
            // A fenced code block, at the top level or in a block quote or a list item: its lines are
            // shown as written, escapes and entities and all.
            const end = fenceAt(i);
            if (end !== undefined) {
                for (let k = i; k < end; k++)
                    put(markdown[k], k);
                i = end;
                continue;
            }
        }
        if (c === '\\' && i + 1 < markdown.length && ESCAPABLE.test(markdown[i + 1])) {
            put(markdown[i + 1], i);
            i += 2;
            continue;
        }
        if (c === '&') {
            ENTITY.lastIndex = i;
            const e = ENTITY.exec(markdown);
            const code = e ? (e[1] ? Number(e[1]) : e[2] ? parseInt(e[2], 16) : undefined) : undefined;
            const decoded = e ? (e[3] ? NAMED_ENTITY[e[3]] : code !== undefined && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined) : undefined;
            if (e && decoded !== undefined) {
                put(decoded, i);
                i += e[0].length;
                continue;
            }
        }
        if (c === '`') {
            let n = 1;
            while (markdown[i + n] === '`')
                n++;
            // The closing run: exactly as long, on the same line (our code spans are one line).
            runs ??= backtickRuns(markdown);
            const close = (0,sorted/* firstAtOrAfter */.x)(runs.get(n), i + n);
            // The line's end, found once per line: many runs on one long line would each search to it.
            if (lineEnd !== -1 && lineEnd < i)
                lineEnd = markdown.indexOf('\n', i);
            if (close >= 0 && (lineEnd < 0 || close < lineEnd)) {
                for (let k = i; k < close + n; k++) {
                    if (markdown[k] === '\\' && markdown[k + 1] === '|') {
                        put('|', k);
                        k++;
                    }
                    else
                        put(markdown[k], k);
                }
                i = close + n;
                continue;
            }
            for (let k = 0; k < n; k++)
                put('`', i + k);
            i += n;
            continue;
        }
        put(c, i);
        i++;
    }
    from.push(markdown.length);
    return { view, from };
}
/** Each backtick run's start in `markdown`, by its length, in order. */
function backtickRuns(markdown) {
    const runs = new Map();
    for (const m of markdown.matchAll(/`+/g)) {
        const list = runs.get(m[0].length);
        if (list)
            list.push(m.index);
        else
            runs.set(m[0].length, [m.index]);
    }
    return runs;
}
/**
 * The shortest edit script from `a` to `b` (Myers), as `=` (kept), `-` (a's character dropped) and
 * `+` (b's character added); undefined past `maxEdits` edits. Kept characters are found first from
 * either end, so the script is computed over what lies between the first and the last change.
 */
function editScript(a, b, maxEdits) {
    let head = 0;
    while (head < a.length && head < b.length && a[head] === b[head])
        head++;
    let tail = 0;
    while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail])
        tail++;
    const x0 = a.slice(head, a.length - tail);
    const y0 = b.slice(head, b.length - tail);
    const n = x0.length;
    const m = y0.length;
    const offset = maxEdits + 1;
    const v = new Int32Array(2 * offset + 1);
    const trace = [];
    let found = -1;
    for (let d = 0; d <= maxEdits && found < 0; d++) {
        trace.push(v.slice(offset - d - 1, offset + d + 2));
        for (let k = -d; k <= d; k += 2) {
            let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
            let y = x - k;
            while (x < n && y < m && x0[x] === y0[y]) {
                x++;
                y++;
            }
            v[offset + k] = x;
            if (x >= n && y >= m) {
                found = d;
                break;
            }
        }
    }
    if (found < 0)
        return undefined;
    const ops = [];
    let x = n;
    let y = m;
    for (let d = found; d > 0; d--) {
        const before = trace[d];
        const at = (k) => before[k + d + 1];
        const k = x - y;
        const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
        const prevX = at(prevK);
        const prevY = prevX - prevK;
        while (x > prevX && y > prevY) {
            ops.push('=');
            x--;
            y--;
        }
        if (x === prevX) {
            ops.push('+');
            y--;
        }
        else {
            ops.push('-');
            x--;
        }
    }
    for (; x > 0; x--)
        ops.push('=');
    return `${'='.repeat(head)}${ops.reverse().join('')}${'='.repeat(tail)}`;
}
/** What the redactor writes for what it hid (token-shapes.ts, secrets.ts), and one character standing for it. */
const HIDDEN = '***';
const MARK = '\uE000';
/** Past this many edits a document is redacted line by line (each line's own script is short). */
const MAX_EDITS = 2000;
/**
 * Markdown redacted as its reader sees it: `redact` is given the text with every escape and entity
 * read (readerView), so what it decides does not depend on how a writer escaped a name or a value
 * (`incident\_key = '\u2026'` is a row's key, shown, as `incident_key = '\u2026'` is; `api\_key = '\u2026'` and a
 * registered secret written `s3cr\_t` are hidden). What it leaves is written back as it was, escapes
 * and all; what it puts in (`***`) is written as itself.
 */
function redactMarkdown(markdown, redact) {
    const out = redactedInPlace(markdown, redact);
    return shows(out, redact) ? hideWhatShows(out, redact) : out;
}
/** A line the redactor's script could not place its hiding in (a last net): said so, never shown. */
const HIDDEN_LINE = '*** (a line that could not be redacted in place, so it is not shown)';
/** Whether the reader of `markdown` would still see something `redact` hides. */
function shows(markdown, redact) {
    const { view } = readerView(markdown);
    return redact(view) !== view;
}
/** Each line of `markdown` whose reader still sees a secret, replaced whole; all of it when no one line does (a secret across lines). */
function hideWhatShows(markdown, redact) {
    const lines = markdown.split('\n');
    const hidden = lines.map((line) => (shows(line, redact) ? HIDDEN_LINE : line));
    return hidden.some((line, i) => line !== lines[i]) && !shows(hidden.join('\n'), redact) ? hidden.join('\n') : HIDDEN_LINE;
}
/** redactMarkdown's work: the redaction of the reader's view written back into the Markdown as it was. */
function redactedInPlace(markdown, redact) {
    const { view, from } = readerView(markdown);
    const redacted = redact(view);
    if (redacted === view)
        return markdown;
    // What the redactor puts in is one mark to the script, so no `*` of the text (`\*`) is kept as a piece of it.
    const marks = !view.includes(HIDDEN) && !view.includes(MARK);
    const target = marks ? redacted.replaceAll(HIDDEN, MARK) : redacted;
    const script = editScript(view, target, MAX_EDITS);
    if (script === undefined) {
        const lines = markdown.split('\n');
        // A redaction across lines (a private key's body) is not line by line: the whole document then.
        // (The raw redaction misses what a writer escaped: redactMarkdown's last net then hides the line.)
        return lines.length > 1 && redacted.split('\n').length === view.split('\n').length ? lines.map((line) => redactedInPlace(line, redact)).join('\n') : redact(markdown);
    }
    let out = '';
    let i = 0;
    let j = 0;
    for (const op of script) {
        if (op === '=') {
            // A character written as several (an entity read as a surrogate pair) is written once, at its first.
            if (from[i] !== from[i - 1] || i === 0)
                out += markdown.slice(from[i], nextStart(from, i));
            i++;
            j++;
        }
        else if (op === '-')
            i++;
        else {
            const c = target[j++];
            out += marks && c === MARK ? HIDDEN : c;
        }
    }
    return out;
}
/** Where the source of the view's character after `i` starts (a character written as two shares its source). */
function nextStart(from, i) {
    let k = i + 1;
    while (k < from.length - 1 && from[k] === from[i])
        k++;
    return from[k];
}


/***/ }),

/***/ 1719:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  h: () => (/* binding */ promoteSummary)
});

;// CONCATENATED MODULE: ./.build/core/duration.js
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

// EXTERNAL MODULE: ./.build/platforms/promote.js + 42 modules
var promote = __nccwpck_require__(1418);
// EXTERNAL MODULE: ./.build/report/markdown.js + 1 modules
var markdown = __nccwpck_require__(6479);
;// CONCATENATED MODULE: ./.build/report/promote-previous-summary.js
/** promote-previous's job summary: what serves production now and why; every cell is redacted, then escaped. */



function promoteSummary(outcome, provider, durationMs, log) {
    const r = (value) => (0,markdown/* text */.Qq)(log.redact(value ?? ''));
    const row = (d) => [r(d.id), r(d.url), r(d.commitSha)];
    const parts = [
        `### promote-previous: ${outcome.status}`,
        (0,markdown/* table */.tp)(['', 'deployment', 'url', 'commit'], [['from', ...row(outcome.from)], ['to', ...row(outcome.to)]]),
        [...outcome.notes.map(r), ...(0,promote/* frozenNotes */.O0)(outcome).map(r), `provider ${provider}, ${formatDuration(durationMs)}`].map((note) => `- ${note}`).join('\n'),
    ];
    const details = outcome.details;
    if (details?.rows.length)
        parts.push((0,markdown/* table */.tp)(details.header, details.rows.map((cells) => cells.map(r))));
    return `${parts.join('\n\n')}\n`;
}


/***/ }),

/***/ 4039:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   S: () => (/* binding */ writeSummary)
/* harmony export */ });
/* harmony import */ var _core_actions_core_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(152);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(8005);
/* harmony import */ var _markdown_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(6479);
/**
 * The one way a job summary reaches GITHUB_STEP_SUMMARY: the Markdown is redacted as a whole (a
 * last net: builders redact outside text before escaping it), and a summary that cannot be written
 * is a warning, never the step's failure: the outputs and the log still say what happened.
 */



async function writeSummary(markdown, log) {
    try {
        await _core_actions_core_js__WEBPACK_IMPORTED_MODULE_0__/* .core */ .I.summary.addRaw((0,_markdown_js__WEBPACK_IMPORTED_MODULE_2__/* .redactMarkdown */ .R)(markdown, (text) => log.redact(text))).write();
    }
    catch (err) {
        // The buffer keeps what failed to write; the next summary must not carry it along.
        _core_actions_core_js__WEBPACK_IMPORTED_MODULE_0__/* .core */ .I.summary.emptyBuffer();
        log.warning(`The job summary could not be written: ${(0,_core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .systemErrorLine */ .o3)(err) ?? (err instanceof Error ? err.message : String(err))}`);
    }
}


/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/******/ // expose the modules object (__webpack_modules__)
/******/ __nccwpck_require__.m = __webpack_modules__;
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/create fake namespace object */
/******/ (() => {
/******/ 	var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 	var leafPrototypes;
/******/ 	// create a fake namespace object
/******/ 	// mode & 1: value is a module id, require it
/******/ 	// mode & 2: merge all properties of value into the ns
/******/ 	// mode & 4: return value when already ns object
/******/ 	// mode & 16: return value when it's Promise-like
/******/ 	// mode & 8|1: behave like require
/******/ 	__nccwpck_require__.t = function(value, mode) {
/******/ 		if(mode & 1) value = this(value);
/******/ 		if(mode & 8) return value;
/******/ 		if(typeof value === 'object' && value) {
/******/ 			if((mode & 4) && value.__esModule) return value;
/******/ 			if((mode & 16) && typeof value.then === 'function') return value;
/******/ 		}
/******/ 		var ns = Object.create(null);
/******/ 		__nccwpck_require__.r(ns);
/******/ 		var def = {};
/******/ 		leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 		for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 			Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 		}
/******/ 		def['default'] = () => (value);
/******/ 		__nccwpck_require__.d(ns, def);
/******/ 		return ns;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/ensure chunk */
/******/ (() => {
/******/ 	__nccwpck_require__.f = {};
/******/ 	// This file contains only the entry chunk.
/******/ 	// The chunk loading function for additional chunks
/******/ 	__nccwpck_require__.e = (chunkId) => {
/******/ 		return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 			__nccwpck_require__.f[key](chunkId, promises);
/******/ 			return promises;
/******/ 		}, []));
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/get javascript chunk filename */
/******/ (() => {
/******/ 	// This function allow to reference async chunks
/******/ 	__nccwpck_require__.u = (chunkId) => {
/******/ 		// return url for filenames based on template
/******/ 		return "" + chunkId + ".index.js";
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/make namespace object */
/******/ (() => {
/******/ 	// define __esModule on exports
/******/ 	__nccwpck_require__.r = (exports) => {
/******/ 		if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 			Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 		}
/******/ 		Object.defineProperty(exports, '__esModule', { value: true });
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/import chunk loading */
/******/ (() => {
/******/ 	// no baseURI
/******/ 	
/******/ 	// object to store loaded and loading chunks
/******/ 	// undefined = chunk not loaded, null = chunk preloaded/prefetched
/******/ 	// [resolve, Promise] = chunk loading, 0 = chunk loaded
/******/ 	var installedChunks = {
/******/ 		792: 0
/******/ 	};
/******/ 	
/******/ 	var installChunk = (data) => {
/******/ 		var {ids, modules, runtime} = data;
/******/ 		// add "modules" to the modules object,
/******/ 		// then flag all "ids" as loaded and fire callback
/******/ 		var moduleId, chunkId, i = 0;
/******/ 		for(moduleId in modules) {
/******/ 			if(__nccwpck_require__.o(modules, moduleId)) {
/******/ 				__nccwpck_require__.m[moduleId] = modules[moduleId];
/******/ 			}
/******/ 		}
/******/ 		if(runtime) runtime(__nccwpck_require__);
/******/ 		for(;i < ids.length; i++) {
/******/ 			chunkId = ids[i];
/******/ 			if(__nccwpck_require__.o(installedChunks, chunkId) && installedChunks[chunkId]) {
/******/ 				installedChunks[chunkId][0]();
/******/ 			}
/******/ 			installedChunks[ids[i]] = 0;
/******/ 		}
/******/ 	
/******/ 	}
/******/ 	
/******/ 	__nccwpck_require__.f.j = (chunkId, promises) => {
/******/ 			// import() chunk loading for javascript
/******/ 			var installedChunkData = __nccwpck_require__.o(installedChunks, chunkId) ? installedChunks[chunkId] : undefined;
/******/ 			if(installedChunkData !== 0) { // 0 means "already installed".
/******/ 	
/******/ 				// a Promise means "currently loading".
/******/ 				if(installedChunkData) {
/******/ 					promises.push(installedChunkData[1]);
/******/ 				} else {
/******/ 					if(true) { // all chunks have JS
/******/ 						// setup Promise in chunk cache
/******/ 						var promise = import("./" + __nccwpck_require__.u(chunkId)).then(installChunk, (e) => {
/******/ 							if(installedChunks[chunkId] !== 0) installedChunks[chunkId] = undefined;
/******/ 							throw e;
/******/ 						});
/******/ 						var promise = Promise.race([promise, new Promise((resolve) => (installedChunkData = installedChunks[chunkId] = [resolve]))])
/******/ 						promises.push(installedChunkData[1] = promise);
/******/ 					}
/******/ 				}
/******/ 			}
/******/ 	};
/******/ 	
/******/ 	// no prefetching
/******/ 	
/******/ 	// no preloaded
/******/ 	
/******/ 	// no external install chunk
/******/ 	
/******/ 	// no on chunks loaded
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(5134);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
