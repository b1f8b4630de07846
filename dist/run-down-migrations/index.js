import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 6982:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("crypto");

/***/ }),

/***/ 2250:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("dns");

/***/ }),

/***/ 4434:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");

/***/ }),

/***/ 9896:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");

/***/ }),

/***/ 9278:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("net");

/***/ }),

/***/ 1421:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");

/***/ }),

/***/ 7598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 3024:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 1455:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");

/***/ }),

/***/ 8161:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");

/***/ }),

/***/ 6760:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");

/***/ }),

/***/ 6848:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:readline/promises");

/***/ }),

/***/ 8522:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");

/***/ }),

/***/ 6928:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");

/***/ }),

/***/ 2203:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("stream");

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

/***/ 8253:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util/types");

/***/ }),

/***/ 960:
/***/ ((__webpack_module__, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(__webpack_module__, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _core_action_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(430);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3867);
/* harmony import */ var _core_stop_signals_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(1042);
/* harmony import */ var _migrations_revert_inputs_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(1742);
/* harmony import */ var _migrations_revert_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(4187);
/* harmony import */ var _report_run_down_migrations_summary_js__WEBPACK_IMPORTED_MODULE_5__ = __nccwpck_require__(266);
/* harmony import */ var _report_markdown_js__WEBPACK_IMPORTED_MODULE_6__ = __nccwpck_require__(6479);
/* harmony import */ var _report_write_summary_js__WEBPACK_IMPORTED_MODULE_7__ = __nccwpck_require__(4039);








function outputs(result) {
    (0,_core_action_js__WEBPACK_IMPORTED_MODULE_0__/* .setOutputs */ .n0)({
        status: result.status,
        reverted: JSON.stringify(result.reverted.map((r) => r.version)),
        count: result.reverted.length,
        plan: JSON.stringify(result.plan),
        'duration-ms': result.durationMs,
        // A failed plan's absolute end: what a new run gives to finish it (steps again would count anew).
        'finish-to-version': result.status === 'failed' ? (result.keepVersion ?? '') : undefined,
    });
}
/**
 * Every failure says status=failed (a later `if: always()` step must never read "reverted" here),
 * with what was reverted before it and how far the migration it stopped in got; the summary shows
 * those, or that nothing was changed.
 */
function failed(err, log) {
    if (err instanceof _migrations_revert_js__WEBPACK_IMPORTED_MODULE_4__/* .RevertFailed */ .s) {
        outputs(err.partial);
        const stopped = err.partial.stoppedIn;
        // Outside text (file names): redacted before it is escaped.
        const where = stopped ? `\n**Stopped in** ${(0,_report_markdown_js__WEBPACK_IMPORTED_MODULE_6__/* .codeSpan */ .SS)(stopped.file)} (version ${(0,_report_markdown_js__WEBPACK_IMPORTED_MODULE_6__/* .text */ .Qq)(stopped.version)}): ${(0,_report_markdown_js__WEBPACK_IMPORTED_MODULE_6__/* .text */ .Qq)(log.redact(stopped.state))}\n` : '';
        return `${(0,_report_run_down_migrations_summary_js__WEBPACK_IMPORTED_MODULE_5__/* .partialRevertDetails */ .wC)(err.partial)}${where}`;
    }
    // Stopped, and the run did not end in time to say what it had reverted: no count may claim it.
    if (err instanceof _core_stop_signals_js__WEBPACK_IMPORTED_MODULE_2__/* .StopOutlasted */ .K5) {
        (0,_core_action_js__WEBPACK_IMPORTED_MODULE_0__/* .setOutputs */ .n0)({ status: 'failed' });
        return undefined;
    }
    (0,_core_action_js__WEBPACK_IMPORTED_MODULE_0__/* .setOutputs */ .n0)({ status: 'failed', reverted: '[]', count: 0 });
    // Stopped before planning (snapshot, lock, inputs): nothing was changed; say so where people look.
    return err instanceof _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .RollbackKitError */ .dp ? _report_run_down_migrations_summary_js__WEBPACK_IMPORTED_MODULE_5__/* .NOTHING_REVERTED */ .CE : undefined;
}
await (0,_core_action_js__WEBPACK_IMPORTED_MODULE_0__/* .runAction */ .Cs)('run-down-migrations', async (log, signal) => {
    const context = { workspace: process.env.GITHUB_WORKSPACE || process.cwd(), tools: { searchPath: process.env.PATH ?? '' }, run: (0,_migrations_revert_inputs_js__WEBPACK_IMPORTED_MODULE_3__/* .workflowRun */ .tM)(process.env) };
    const options = (0,_migrations_revert_inputs_js__WEBPACK_IMPORTED_MODULE_3__/* .readRevertOptions */ .$O)(_core_action_js__WEBPACK_IMPORTED_MODULE_0__/* .input */ .hF, _core_action_js__WEBPACK_IMPORTED_MODULE_0__/* .input */ .hF.required('database-url'), context, log);
    const result = await (0,_migrations_revert_js__WEBPACK_IMPORTED_MODULE_4__/* .revertMigrations */ .a)({ ...options, signal }, log);
    outputs(result);
    await (0,_report_write_summary_js__WEBPACK_IMPORTED_MODULE_7__/* .writeSummary */ .S)((0,_report_run_down_migrations_summary_js__WEBPACK_IMPORTED_MODULE_5__/* .revertSummary */ .LR)(result), log);
}, failed);

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 430:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  hF: () => (/* binding */ action_input),
  Cs: () => (/* binding */ runAction),
  n0: () => (/* binding */ setOutputs)
});

// UNUSED EXPORTS: STOP_GRACE_MS, actionLog, inputsFrom, madeThisStep

// EXTERNAL MODULE: ./.build/core/actions-core.js + 3 modules
var actions_core = __nccwpck_require__(7313);
// EXTERNAL MODULE: ./.build/core/errors.js + 1 modules
var errors = __nccwpck_require__(3867);
;// CONCATENATED MODULE: ./.build/core/secrets.js
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
function sql_writes_hideSpans(text, spans) {
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
    return sql_writes_hideSpans(text, sqlSecretSpans(text, rule));
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
                return sql_writes_hideSpans(line, hide);
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
        const shown = sql_writes_hideSpans(line, spans);
        lines.push(shown);
        return shown;
    };
}

// EXTERNAL MODULE: ./.build/core/url-secrets.js
var url_secrets = __nccwpck_require__(9041);
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
    if (isCommonValue(value) && !(NUMERIC_SECRET.test(name) && /^\d+$/.test(value)))
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
    const secrets = new SecretSet();
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
                sink.warning(redact(`A secret given to this step${from ? ` (${from})` : ''} is shorter than ${MIN_SECRET_LENGTH} characters, a number or a common word: rollback-kit keeps it out of its own output, but does not ask the runner to mask it everywhere in the job log (that would hide every such word). Use a longer secret.`));
            }
        },
        redact: (text) => redact(text),
        excerpt: (text, max) => clip(redact(text), max),
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
;// CONCATENATED MODULE: ./.build/core/input-size.js
/**
 * The most characters an input may hold, checked where inputs are read (inputsFrom, and the
 * environment variables secretInput falls back to), before anything uses or prints the value. A
 * value past it is a mistake (a file pasted into a URL input), and one long enough once crashed
 * the redactor: it is refused in one line that names the limit and never quotes the value.
 */

/** A URL or a token: real ones are a few hundred characters; 8 KiB is what HTTP servers take in a request line or header. */
const URL_OR_TOKEN = { max: 8 * 1024, what: 'a URL or a token' };
/** Vercel's project names are at most 100 characters; the other platforms' ids and names are shorter. */
const input_size_NAME = { max: 100, what: 'a project, team, app or service name or id' };
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
    project: input_size_NAME,
    team: input_size_NAME,
    app: input_size_NAME,
    service: input_size_NAME,
    site: SITE,
};
/**
 * `value` of input `name`, or a refusal when it is longer than that input takes. `shownAs` is how
 * the message names where it came from (an environment variable the input falls back to).
 */
function input_size_withinSize(name, value, shownAs = `Input ${name}`) {
    const limit = LIMITS[name];
    if (limit && value.length > limit.max) {
        throw new errors/* RollbackKitError */.dp(`${shownAs} is ${value.length} characters long; ${limit.what} is at most ${limit.max}.`);
    }
    return value;
}

;// CONCATENATED MODULE: ./.build/core/secret-input.js
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
function secretInput(name, env, log, inputs = input) {
    const fromEnv = env[TOKEN_ENV[name]]?.trim() || undefined;
    const value = inputs.secret(name, log) ?? (fromEnv && withinSize(name, fromEnv, TOKEN_ENV[name]));
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
    const own = ownOutputOnly(log);
    (0,url_secrets/* registerConnectionSecrets */.NK)(env[TOKEN_ENV['database-url']], own, TOKEN_ENV['database-url']);
    const webhook = env[TOKEN_ENV['notify-webhook-url']]?.trim();
    if (webhook)
        (0,url_secrets/* registerWebhookSecrets */.y1)(webhook, own);
}

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
    return createLog({
        info: (m) => output/* output */.CG.info(m),
        warning: (m) => output/* output */.CG.annotate('warning', m),
        debug: (m) => output/* output */.CG.debug(m),
        mask: (v) => output/* output */.CG.mask(v),
    });
}
/** Reads inputs by their public names from `get` (the runner's INPUT_* variables, or the CLI's flags); every parse error names the input. */
function inputsFrom(get) {
    // Every read goes through here: an input longer than it may be is refused before it is used or printed.
    const raw = (name) => input_size_withinSize(name, get(name) ?? '');
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
const action_input = inputsFrom((name) => actions_core/* core */.I.getInput(name));
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
    declareEnvironmentSecrets(process.env, log);
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

/***/ 7313:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  I: () => (/* binding */ core)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(8161);
;// CONCATENATED MODULE: external "os"
const external_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");
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
    process.stdout.write(cmd.toString() + external_os_namespaceObject.EOL);
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
// EXTERNAL MODULE: ./.build/core/lazy-builtins.js + 1 modules
var lazy_builtins = __nccwpck_require__(6156);
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
    const delimiter = `ghadelimiter_${(0,lazy_builtins/* nodeCrypto */.S)().randomUUID()}`;
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

/***/ 3867:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  dp: () => (/* binding */ RollbackKitError),
  BP: () => (/* binding */ errorLine),
  o3: () => (/* binding */ systemErrorLine),
  rZ: () => (/* binding */ systemErrorMeaning)
});

// UNUSED EXPORTS: errorFacts, withFacts

;// CONCATENATED MODULE: ./.build/core/sentence.js
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

;// CONCATENATED MODULE: ./.build/core/errors.js

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
        return this.hint ? `${ended(this.message)} ${this.hint}` : this.message;
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
    return `${capitalized(meaning)}.`;
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

/***/ 2019:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   XF: () => (/* binding */ readRegularFile),
/* harmony export */   rV: () => (/* binding */ FileRefused)
/* harmony export */ });
/* unused harmony exports PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE, PRIVATE_UMASK, makePrivateFolder, createPrivateFile, writePrivateFile, isInside, makeDirectory, probeWritable, writeFileAtomic, asFileError */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3024);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(6760);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(3867);
/* harmony import */ var _lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(6156);
/**
 * Files the actions write where a user pointed them (output-dir, reports): folders created one
 * level at a time, refused on kernel pseudo file systems, files written whole or not at all, and
 * what holds database data private to the user who ran us.
 * And files they read from where a user pointed them (migrations, checks-file): regular files of
 * a bounded size only.
 */




/**
 * What holds a database's data (a snapshot, its CSV exports) or describes it (the manifest) is
 * readable by the user who ran us alone: a dump of production in a folder every local user can read,
 * or in the user's repository, is a leak. Files 0600 and the folders we create for them 0700, set
 * at creation and again explicitly, so that no umask (0002 on many desktops) loosens them.
 */
const PRIVATE_FILE_MODE = 0o600;
const PRIVATE_FOLDER_MODE = 0o700;
/** The umask of a program that writes such files itself (pg_dump): everything it creates is private. */
const PRIVATE_UMASK = 0o077;
/** Creates the folder `path` (its parent must exist; EEXIST if it does) readable by us alone. */
async function makePrivateFolder(path) {
    await nodeFsPromises().mkdir(path, { mode: PRIVATE_FOLDER_MODE });
    await nodeFsPromises().chmod(path, PRIVATE_FOLDER_MODE);
}
/** Creates the file `path` exclusively (EEXIST if anything is there), readable by us alone, and opens it for writing. */
async function createPrivateFile(path) {
    const handle = await nodeFsPromises().open(path, 'wx', PRIVATE_FILE_MODE);
    try {
        await handle.chmod(PRIVATE_FILE_MODE);
    }
    catch (err) {
        await handle.close().catch(() => undefined);
        throw err;
    }
    return handle;
}
/** Writes `data` to a new file `path` (EEXIST if anything is there), readable by us alone from its creation. */
async function writePrivateFile(path, data) {
    const handle = await createPrivateFile(path);
    try {
        await handle.writeFile(data);
    }
    finally {
        await handle.close();
    }
}
/** Whether `path` lies inside `dir` (the runner's RUNNER_TEMP, say, which GitHub deletes when the job ends). */
function isInside(path, dir) {
    if (!dir)
        return false;
    const rel = relative(resolve(dir), resolve(path));
    return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
/** /proc, /sys and /dev hold no files to keep; Node's recursive mkdir loops forever on /proc. */
const PSEUDO_FILE_SYSTEMS = (/* unused pure expression or super */ null && (['/proc', '/sys', '/dev']));
function onPseudoFileSystem(path) {
    return PSEUDO_FILE_SYSTEMS.find((root) => path === root || path.startsWith(`${root}/`));
}
/** The deepest part of `path` that exists, resolved through symbolic links. */
async function existingAncestor(path) {
    for (let current = path;; current = dirname(current)) {
        try {
            return await nodeFsPromises().realpath(current);
        }
        catch (err) {
            if (dirname(current) === current || err.code !== 'ENOENT')
                return current;
        }
    }
}
/**
 * Creates `dir` and its missing parents, one mkdir each (so the work is bounded by the path's
 * depth), after refusing paths that are, or lead through a link to, /proc, /sys or /dev.
 * `input` names the input the path came from, for the error. `private`: the folders it creates are
 * PRIVATE_FOLDER_MODE; one that was there is left as it is (its mode is its owner's choice).
 * Returns the folders it created, outermost first; `made` hears of each as soon as it is created
 * (a stop while it runs must know what it made so far).
 */
async function makeDirectory(dir, input, opts = {}) {
    const absolute = resolve(dir);
    const pseudo = onPseudoFileSystem(absolute) ?? onPseudoFileSystem(await existingAncestor(absolute));
    if (pseudo) {
        throw new RollbackKitError(`${input} ${dir} is under ${pseudo}, a kernel file system that cannot keep files.`, `Point ${input} at a writable folder, such as one under $RUNNER_TEMP.`);
    }
    const cannot = (why) => new RollbackKitError(`Cannot create ${input} ${dir}: ${why}.`, `Point ${input} at a writable folder, such as one under $RUNNER_TEMP.`);
    const missing = [];
    for (let current = absolute;; current = dirname(current)) {
        let isDirectory;
        try {
            isDirectory = (await nodeFsPromises().stat(current)).isDirectory();
        }
        catch (err) {
            // ENOTDIR: a parent is a file; the walk up finds it and says so.
            const code = err.code;
            if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(current) === current)
                throw cannot(`${current}: ${systemErrorMeaning(err) ?? err.message}`);
            missing.unshift(current);
            continue;
        }
        if (!isDirectory)
            throw cannot(`${current} is a file, not a folder`);
        break;
    }
    const created = [];
    for (const d of missing) {
        try {
            if (opts.private)
                await makePrivateFolder(d);
            else
                await nodeFsPromises().mkdir(d);
            created.push(d);
            opts.made?.(d);
        }
        catch (err) {
            // Made meanwhile by a run beside this one: not ours, so left as it is.
            const e = err;
            if (e.code !== 'EEXIST')
                throw cannot(`${d}: ${systemErrorMeaning(e) ?? e.message}`);
        }
    }
    return created;
}
/** Checks that files can be created in `dir` (permissions, read-only mounts) before any work starts. */
async function probeWritable(dir, input) {
    const probe = join(dir, `.rollback-kit-write-test-${process.pid}-${nodeCrypto().randomBytes(3).toString('hex')}`);
    try {
        await nodeFsPromises().writeFile(probe, '');
    }
    catch (err) {
        throw new RollbackKitError(`Cannot write files in ${input} ${dir}: ${systemErrorMeaning(err) ?? err.message}.`, `Point ${input} at a writable folder, such as one under $RUNNER_TEMP.`);
    }
    await nodeFsPromises().unlink(probe).catch(() => undefined);
}
/**
 * Writes a file whole or not at all: a temporary file beside it, then a rename. A full disk or a
 * crash leaves the old file (or none), never a truncated one someone could trust.
 */
async function writeFileAtomic(path, data, opts = {}) {
    const temporary = join(dirname(path), `.${basename(path)}.${nodeCrypto().randomBytes(4).toString('hex')}.tmp`);
    try {
        // Private from its creation: the rename keeps the temporary file's mode.
        if (opts.private)
            await writePrivateFile(temporary, data);
        else
            await nodeFsPromises().writeFile(temporary, data, { flag: 'wx' });
        await nodeFsPromises().rename(temporary, path);
    }
    catch (err) {
        await nodeFsPromises().rm(temporary, { force: true }).catch(() => undefined);
        // Name the file the user will look for, not the temporary one.
        const e = err;
        if (!e.path || e.path === temporary)
            Object.assign(e, { path, syscall: e.syscall === 'rename' ? 'rename' : 'write' });
        throw asFileError(e);
    }
}
/** A Node file-system error as one the user can act on: the operation, the path, what to do. */
function asFileError(err, input) {
    if (err instanceof RollbackKitError || !err.path)
        return err;
    const line = systemErrorLine(err);
    if (!line)
        return err;
    const code = err.code;
    const where = input ? `Point ${input} at a writable folder with free space, such as one under $RUNNER_TEMP.` : undefined;
    const hint = code === 'ENOSPC' || code === 'EDQUOT' ? `Free space on that disk${input ? ` or point ${input} elsewhere` : ''}, then run again.` : where;
    return new RollbackKitError(line, hint);
}
/**
 * A file readRegularFile will not read, and why (`why` ends "Cannot read X: ", as in "it is a
 * FIFO (named pipe), not a regular file"): the caller names the file and the input it came from.
 */
class FileRefused extends Error {
    path;
    why;
    constructor(path, why) {
        super(`${path}: ${why}`);
        this.path = path;
        this.why = why;
        this.name = 'FileRefused';
    }
}
const KINDS = [
    [(s) => s.isDirectory(), 'it is a directory'],
    [(s) => s.isFIFO(), 'it is a FIFO (named pipe), not a regular file'],
    [(s) => s.isSocket(), 'it is a socket, not a regular file'],
    [(s) => s.isCharacterDevice(), 'it is a character device, not a regular file'],
    [(s) => s.isBlockDevice(), 'it is a block device, not a regular file'],
];
const size = (bytes) => (bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : bytes >= 1024 ? `${Math.round((bytes / 1024) * 10) / 10} KB` : `${bytes} bytes`);
/**
 * The text (UTF-8) of a file a user pointed us at, through any symbolic links, if it is a regular
 * file of at most `maxBytes`; else FileRefused. Opened without blocking, so a FIFO (which would
 * block the read until something wrote to it, forever) or a device is refused at once, and read no
 * further than the cap, so a huge file (or one still growing) cannot fill memory. Node's own errors
 * (ENOENT, EACCES) are thrown as they are. Synchronous: these files are small, and many of them
 * read through the thread pool one by one cost more than the reads.
 */
function readRegularFile(path, maxBytes) {
    const fd = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.openSync)(path, node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.O_RDONLY | node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.O_NONBLOCK);
    try {
        const info = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.fstatSync)(fd);
        if (!info.isFile())
            throw new FileRefused(path, KINDS.find(([is]) => is(info))?.[1] ?? 'it is not a regular file');
        const tooLarge = () => new FileRefused(path, `it is larger than ${size(maxBytes)}${info.size > maxBytes ? ` (${info.size} bytes)` : ''}`);
        if (info.size > maxBytes)
            throw tooLarge();
        // Read to the end, not to the size stat gave: a file still growing is caught at the cap.
        const chunks = [];
        let total = 0;
        for (;;) {
            const chunk = Buffer.allocUnsafe(Math.min(Math.max(info.size + 1, 64 * 1024), maxBytes + 1 - total));
            const n = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readSync)(fd, chunk, 0, chunk.length, null);
            if (n === 0)
                break;
            chunks.push(chunk.subarray(0, n));
            total += n;
            if (total > maxBytes)
                throw tooLarge();
        }
        return Buffer.concat(chunks).toString('utf8');
    }
    finally {
        (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.closeSync)(fd);
    }
}


/***/ }),

/***/ 6156:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  S: () => (/* binding */ nodeCrypto)
});

// UNUSED EXPORTS: nodeFsPromises

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


/***/ }),

/***/ 2080:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   e: () => (/* binding */ libpqPairs)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3867);
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
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp('The connection string is neither a postgres:// URL nor key=value pairs.', 'Expected postgres://user:password@host:5432/dbname or host=... port=... dbname=... user=... password=....');
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
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`The connection string has an unterminated quote in the value of ${key}.`);
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


/***/ }),

/***/ 8975:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   CG: () => (/* binding */ output)
/* harmony export */ });
/* unused harmony exports inertLine, inertLines, terminalLines */
/* harmony import */ var _actions_core_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(7313);
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
/* harmony export */   K5: () => (/* binding */ StopOutlasted),
/* harmony export */   ZI: () => (/* binding */ stopOnSignals),
/* harmony export */   gi: () => (/* binding */ stopSignalName),
/* harmony export */   kB: () => (/* binding */ stoppedFailure),
/* harmony export */   w3: () => (/* binding */ stopCause)
/* harmony export */ });
/* unused harmony exports holdStopSignals, stopReason, stopName */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3867);
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

/***/ 9041:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   BF: () => (/* binding */ hideUrlSecrets),
/* harmony export */   NK: () => (/* binding */ registerConnectionSecrets),
/* harmony export */   cp: () => (/* binding */ POSTGRES_URL),
/* harmony export */   wK: () => (/* binding */ isPlaceholder),
/* harmony export */   y1: () => (/* binding */ registerWebhookSecrets)
/* harmony export */ });
/* unused harmony exports isSensitiveName, decodedForms, urlSecrets, registerUrlSecrets, splitCredentials, displayUrl */
/* harmony import */ var _libpq_pairs_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(2080);
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
        password = (0,_libpq_pairs_js__WEBPACK_IMPORTED_MODULE_0__/* .libpqPairs */ .e)(trimmed).password;
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

/***/ 9066:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   BO: () => (/* binding */ countRows),
/* harmony export */   FX: () => (/* binding */ RowSecurityHidesRows),
/* harmony export */   LX: () => (/* binding */ qualified),
/* harmony export */   WS: () => (/* binding */ listTables),
/* harmony export */   Xq: () => (/* binding */ someNames),
/* harmony export */   ce: () => (/* binding */ quoteLiteral),
/* harmony export */   hq: () => (/* binding */ doBlock),
/* harmony export */   ih: () => (/* binding */ tableKey),
/* harmony export */   t6: () => (/* binding */ NAMES_SHOWN),
/* harmony export */   v4: () => (/* binding */ quoteIdent),
/* harmony export */   wU: () => (/* binding */ seeAllRows)
/* harmony export */ });
/* unused harmony exports COUNT_BATCH, countObjects, readCatalog */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3867);
/**
 * What a database holds, as the snapshot manifest records it and restore-db compares it: each
 * table's row count, and counts of the objects a restore must bring back (views, functions,
 * triggers, sequences, RLS policies). Objects owned by extensions are left out, as pg_dump does.
 */

/** A table as a map key: schema and name can both hold dots, so they are joined by a NUL. */
const tableKey = (t) => `${t.schema}\0${t.name}`;
function quoteIdent(name) {
    return `"${name.replace(/"/g, '""')}"`;
}
function qualified(schema, name) {
    return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}
/** A string constant that reads the same whether standard_conforming_strings is on or off. */
function quoteLiteral(text) {
    const quoted = text.replace(/'/g, "''");
    return text.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}
/** An anonymous PL/pgSQL block, dollar-quoted with a tag its body does not hold. */
function doBlock(tag, body) {
    while (body.includes(`$${tag}$`))
        tag += '_';
    return `DO $${tag}$\n${body}\n$${tag}$;`;
}
/** A SQL condition selecting exactly the given schemas; the list is appended to `params`. */
function schemaCondition(schemas, params) {
    params.push(schemas);
    return `n.nspname = ANY($${params.length}::text[])`;
}
const NOT_FROM_EXTENSION = (oidExpr, classExpr) => `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${classExpr}'::regclass AND d.objid = ${oidExpr} AND d.deptype = 'e')`;
/**
 * The tables of exactly these schemas, in schema and name order, extension members left out as
 * pg_dump leaves them out. `kinds`: ordinary tables unless told (the snapshot counts their rows); a
 * restore asking what it leaves as it is wants partitioned and foreign ones too. The size of a
 * partitioned or foreign table is 0: it has no data file of its own.
 */
async function listTables(session, schemas, kinds = ['r']) {
    const params = [];
    const schemaIn = schemaCondition(schemas, params);
    params.push(kinds);
    const { rows } = await session.query(`SELECT n.nspname AS schema, c.relname AS name, c.oid::text AS oid, pg_relation_size(c.oid) AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = ANY($${params.length}::"char"[]) AND ${schemaIn} AND ${NOT_FROM_EXTENSION('c.oid', 'pg_class')}
      ORDER BY 1, 2`, params);
    return rows.map((r) => ({ schema: r.schema, name: r.name, oid: Number(r.oid), bytes: Number(r.bytes) }));
}
/**
 * Tables counted per query: one round trip per table cost seconds at a few thousand tables, yet the
 * server's time for one UNION ALL grows faster than its branches (measured on PostgreSQL 15, 300
 * small tables: about 200 ms in batches of 250, 70 ms in batches of 50), so a few dozen per query is
 * the cheaper side of that trade.
 */
const COUNT_BATCH = 50;
/**
 * A count row-level security would cut: with row_security on, count(*) sees only the rows the
 * policies show the user (none, with RLS on and no policy for it), so an "empty" table may hold rows.
 * Such a count is refused, never returned.
 */
class RowSecurityHidesRows extends _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp {
    who;
    tables;
    constructor(who, tables) {
        const one = tables.length === 1;
        super(`Row-level security hides rows of ${one ? 'table' : 'tables'} ${someNames(tables.map((t) => `${t.schema}.${t.name}`))} from user ${who}, so ${one ? 'its' : 'their'} rows cannot be counted.`, `To count them, ${seeAllRows(who, tables)}; then run again.`);
        this.who = who;
        this.tables = tables;
    }
}
/**
 * What lets `who` see every row of these tables, as "let user \u2026 bypass row-level security (\u2026), or
 * connect as its owner \u2026": BYPASSRLS always; their owners only when none is set to FORCE it.
 */
function seeAllRows(who, tables) {
    const bypass = `let user ${who} bypass row-level security (ALTER ROLE ${who} BYPASSRLS;)`;
    if (tables.some((t) => t.forced))
        return bypass;
    const owners = [...new Set(tables.map((t) => t.owner))];
    const whose = owners.length > 1 ? 'their owners' : tables.length > 1 ? 'their owner' : 'its owner';
    return `${bypass}, or connect as ${whose} ${owners.join(', ')}`;
}
/** At most this many names in a message; the rest are counted. */
const NAMES_SHOWN = 10;
/** "a, b, c", or the first `shown` of them "and 4 more": every message that lists names says them so. */
function someNames(names, shown = NAMES_SHOWN) {
    return names.length > shown ? `${names.slice(0, shown).join(', ')} and ${names.length - shown} more` : names.join(', ');
}
async function hiddenTables(session, tables) {
    const { rows } = await session.query(`SELECT quote_ident(current_user) AS who, quote_ident(pg_get_userbyid(c.relowner)) AS owner, c.relforcerowsecurity AS forced
       FROM unnest($1::text[]) WITH ORDINALITY AS t(rel, i) JOIN pg_class c ON c.oid = t.rel::regclass
      ORDER BY t.i`, [tables.map((t) => qualified(t.schema, t.name))]);
    return new RowSecurityHidesRows(rows[0].who, tables.map((t, i) => ({ ...t, owner: rows[i].owner, forced: rows[i].forced })));
}
/**
 * Exact row counts of each table's own rows (`FROM ONLY`: a parent's count leaves out its
 * inheritance children, as pg_dump's COPY of it does), so they are what the archive holds for it.
 * Runs in the caller's transaction, so it sees the same snapshot as pg_dump. `atMost`: stop counting
 * a table there (its count reads `atMost`), for a caller that only asks whether and roughly how many.
 *
 * Never a count row-level security cut: with row_security off (snapshot-db, as pg_dump) the server
 * refuses such a count; with it on, each count says whether the policies filtered it
 * (row_security_active, asked in the same statement), and one that did throws RowSecurityHidesRows.
 */
async function countRows(session, tables, excludeData = [], atMost) {
    const excluded = new Set(excludeData.map(tableKey));
    const out = tables.map((t) => ({ schema: t.schema, name: t.name, rows: null }));
    const counted = tables.map((t, i) => ({ t, i })).filter(({ t }) => !excluded.has(tableKey(t)));
    const hidden = [];
    for (let at = 0; at < counted.length; at += COUNT_BATCH) {
        const batch = counted.slice(at, at + COUNT_BATCH);
        const rowsOf = (t) => (atMost === undefined ? `ONLY ${qualified(t.schema, t.name)}` : `(SELECT 1 FROM ONLY ${qualified(t.schema, t.name)} LIMIT ${Math.floor(atMost)}) s`);
        const filtered = (t) => `row_security_active(${quoteLiteral(qualified(t.schema, t.name))}::regclass)`;
        const sql = batch.map(({ t, i }) => `SELECT ${i} AS i, count(*) AS n, ${filtered(t)} AS filtered FROM ${rowsOf(t)}`).join('\nUNION ALL ');
        const { rows } = await session.query(sql);
        for (const r of rows) {
            out[r.i].rows = Number(r.n);
            if (r.filtered)
                hidden.push(tables[r.i]);
        }
    }
    if (hidden.length)
        throw await hiddenTables(session, hidden);
    return out;
}
async function countObjects(session, schemas) {
    const params = [];
    const cond = schemaCondition(schemas, params);
    const { rows } = await session.query(`SELECT
       (SELECT count(*) FROM pg_namespace n WHERE ${cond} AND ${NOT_FROM_EXTENSION('n.oid', 'pg_namespace')}) AS schemas,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p') AND ${cond} AND ${NOT_FROM_EXTENSION('c.oid', 'pg_class')}) AS tables,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v' AND ${cond} AND ${NOT_FROM_EXTENSION('c.oid', 'pg_class')}) AS views,
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm' AND ${cond} AND ${NOT_FROM_EXTENSION('c.oid', 'pg_class')}) AS "materializedViews",
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND ${cond} AND ${NOT_FROM_EXTENSION('c.oid', 'pg_class')}) AS sequences,
       (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${cond} AND ${NOT_FROM_EXTENSION('p.oid', 'pg_proc')}) AS functions,
       (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND ${cond}) AS triggers,
       (SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${cond}) AS policies`, params);
    const r = rows[0];
    return {
        schemas: Number(r.schemas),
        tables: Number(r.tables),
        views: Number(r.views),
        materializedViews: Number(r.materializedViews),
        functions: Number(r.functions),
        triggers: Number(r.triggers),
        sequences: Number(r.sequences),
        policies: Number(r.policies),
    };
}
/** The tables and object counts of exactly these schemas; their rows are counted apart (countRows). */
async function readCatalog(session, schemas) {
    return { tables: await listTables(session, schemas), objects: await countObjects(session, schemas) };
}


/***/ }),

/***/ 401:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   HH: () => (/* binding */ parseConnectionString),
/* harmony export */   Vo: () => (/* binding */ passwordHint),
/* harmony export */   ex: () => (/* binding */ isTransactionPooler),
/* harmony export */   f3: () => (/* binding */ pgClientConfig),
/* harmony export */   ff: () => (/* binding */ describeTarget),
/* harmony export */   id: () => (/* binding */ transactionPoolerRefusal)
/* harmony export */ });
/* unused harmony exports withDatabase, connectionUrl, clientApplicationName, toolConnectMs, toolConninfo, libpqEnv */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3024);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(6760);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(3867);
/* harmony import */ var _core_libpq_pairs_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(2080);
/* harmony import */ var _core_url_secrets_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(9041);
/**
 * Connection strings, the one way every module learns where a database is. Parses URLs and libpq
 * key=value strings, registers the password as a secret before anything can print it, describes a
 * target as host:port/db for messages, and builds what node-postgres and the pg_* tools need,
 * passing the password through the environment so it never shows in a process list.
 */





const DEFAULT_PORT = 5432;
/** Parses a `postgres://` URL or a `key=value` string and masks its password in `log`. */
function parseConnectionString(raw, log) {
    const text = raw.trim();
    // The whole string (users paste it into other inputs and messages) and the password in every form
    // (as written, percent-encoded, in the query), before any message can show it.
    if (log)
        (0,_core_url_secrets_js__WEBPACK_IMPORTED_MODULE_4__/* .registerConnectionSecrets */ .NK)(text, log);
    if (!text)
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp('The connection string is empty.', 'Pass a URL such as postgres://user:password@host:5432/dbname.');
    const isUrl = _core_url_secrets_js__WEBPACK_IMPORTED_MODULE_4__/* .POSTGRES_URL */ .cp.test(text);
    const target = isUrl ? parseUrl(text) : parseKeyValue(text);
    log?.secret(target.password, 'declared', 'the password in the connection string');
    checkReferencedFiles(target);
    return target;
}
/** Connection parameters that name a file libpq (and we) will read. */
const FILE_PARAMS = ['sslrootcert', 'sslcert', 'sslkey', 'passfile'];
/**
 * A missing or unreadable certificate, key or password file fails here, up front and named,
 * instead of deep inside a connection attempt or a pg_dump run.
 */
function checkReferencedFiles(t) {
    for (const param of FILE_PARAMS) {
        const path = t.params[param];
        // sslrootcert=system means the system's certificate store (libpq 16), not a file.
        if (!path || (param === 'sslrootcert' && path === 'system'))
            continue;
        let problem;
        try {
            if (!(0,node_fs__WEBPACK_IMPORTED_MODULE_0__.statSync)(path).isFile())
                problem = 'it is not a file';
            else
                (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.accessSync)(path, node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.R_OK);
        }
        catch (err) {
            problem = (0,_core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .systemErrorMeaning */ .rZ)(err) ?? 'it cannot be read';
        }
        if (problem) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`The connection string's ${param} file ${path} cannot be used: ${problem}.`, `Write the file to that path in an earlier step of the job (from a secret), or fix the ${param} parameter.`);
        }
    }
}
const ENCODE_HINT = 'Percent-encode special characters in the user name and password (@ as %40, / as %2F, # as %23, ? as %3F, % as %25, : as %3A).';
/**
 * A password with a raw @, /, # or ? makes the URL mean something else (part of the password
 * becomes the host or the path), and the message would then show pieces of it. Refuse such a URL
 * without repeating any of it.
 */
function checkUserInfo(text) {
    const rest = text.slice(text.indexOf('//') + 2);
    // An @ in the query after the path is a value's (`?user=ops@corp`), as libpq reads it.
    const slash = rest.indexOf('/');
    const query = slash >= 0 ? rest.indexOf('?', slash) : -1;
    const head = query >= 0 ? rest.slice(0, query) : rest;
    const lastAt = head.lastIndexOf('@');
    const authorityEnd = head.search(/[/?#]/);
    // A query parameter with an @ before any = (`/db?rest@host`) is no value's: a raw / then ? in the
    // password ended the path there, and what the URL holds after it is the password's end and the host.
    const queryAt = query >= 0 && rest.slice(query + 1).split('&').some((pair) => pair.includes('@') && !pair.slice(0, pair.indexOf('@')).includes('='));
    if (queryAt || (lastAt >= 0 && authorityEnd >= 0 && authorityEnd < lastAt)) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp('The connection string\'s password (or user name) holds a character that ends the host part of a URL, so it cannot be read safely.', ENCODE_HINT);
    }
}
function decode(part) {
    try {
        return decodeURIComponent(part);
    }
    catch {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp('The connection string has a % that does not start a percent-encoded character.', ENCODE_HINT);
    }
}
const NOT_A_URL = (why) => new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`The connection string is not a valid URL: ${why}.`, `Expected postgres://user:password@host:5432/dbname. ${ENCODE_HINT}`);
/**
 * One `host[:port]` of the host list, `[v6]:port` bracketed: the host percent-decoded, as libpq
 * reads `postgresql://%2Fvar%2Frun%2Fpostgresql/db` (a Unix socket directory).
 */
function hostAndPort(spec) {
    let host = spec;
    let port;
    if (spec.startsWith('[')) {
        const close = spec.indexOf(']');
        if (close < 0)
            throw NOT_A_URL('an IPv6 host has no closing ]');
        host = spec.slice(1, close);
        const after = spec.slice(close + 1);
        if (after && !after.startsWith(':'))
            throw NOT_A_URL('unexpected text after an IPv6 host');
        port = after ? after.slice(1) : undefined;
    }
    else {
        const colon = spec.indexOf(':');
        if (colon >= 0)
            [host, port] = [spec.slice(0, colon), spec.slice(colon + 1)];
        host = decode(host);
    }
    if (/[\s<>"`{}|\\^]/.test(host))
        throw NOT_A_URL('the host holds a space or a character no host name has');
    return { host, port: port || undefined };
}
/**
 * A `postgres://` URL read as libpq reads it, not as a web URL: the host may be empty (the local
 * server's Unix socket) or a percent-encoded socket directory, and the query's host, port, dbname,
 * user and password override the URL's own. Values are percent-decoded only (`+` stays `+`), and a
 * `#` is an ordinary character.
 */
function parseUrl(text) {
    checkUserInfo(text);
    const rest = text.replace(_core_url_secrets_js__WEBPACK_IMPORTED_MODULE_4__/* .POSTGRES_URL */ .cp, '');
    const question = rest.indexOf('?');
    const beforeQuery = question >= 0 ? rest.slice(0, question) : rest;
    const query = question >= 0 ? rest.slice(question + 1) : '';
    const slash = beforeQuery.indexOf('/');
    const authority = slash >= 0 ? beforeQuery.slice(0, slash) : beforeQuery;
    const path = slash >= 0 ? beforeQuery.slice(slash + 1) : '';
    const at = authority.lastIndexOf('@');
    const userinfo = at >= 0 ? authority.slice(0, at) : '';
    const hostList = at >= 0 ? authority.slice(at + 1) : authority;
    const colon = userinfo.indexOf(':');
    // Several hosts (failover) keep one port: the target has one, and so do the pg_* tools' variables.
    const specs = hostList ? hostList.split(',').map(hostAndPort) : [];
    const ports = [...new Set(specs.map((h) => h.port).filter((p) => p !== undefined))];
    if (ports.length > 1)
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp('The connection string names several hosts with different ports.', 'Give all hosts the same port (host1:5432,host2:5432), or name one host.');
    const params = {};
    for (const pair of query.split('&').filter(Boolean)) {
        const eq = pair.indexOf('=');
        // Not quoted: a malformed URL's pieces may be its password's (checkUserInfo).
        if (eq <= 0)
            throw NOT_A_URL('a query parameter (after the ?) has no name=value');
        params[decode(pair.slice(0, eq))] = decode(pair.slice(eq + 1));
    }
    // libpq reads JDBC's ssl=true in a URL as sslmode=require.
    if (params.ssl === 'true') {
        delete params.ssl;
        params.sslmode ??= 'require';
    }
    const { host: queryHost, port: queryPort, dbname, user: queryUser, password: queryPassword, ...rest2 } = params;
    return finish({
        host: queryHost ?? specs.map((h) => h.host).join(','),
        port: queryPort ?? ports[0],
        database: dbname ?? decode(path),
        user: queryUser ?? decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo),
        password: queryPassword ?? (colon >= 0 ? decode(userinfo.slice(colon + 1)) : undefined),
        params: rest2,
    });
}
/** libpq key=value syntax: values may be single-quoted, with backslash escapes. */
function parseKeyValue(text) {
    const params = (0,_core_libpq_pairs_js__WEBPACK_IMPORTED_MODULE_3__/* .libpqPairs */ .e)(text);
    const { host = '', port, dbname = '', user = '', password, ...rest } = params;
    return { ...finish({ host, port, database: dbname, user, password, params: rest }, true), keyValue: true };
}
/**
 * How to write the password in the form of connection string the user gave: percent-encoding is
 * right for a URL and wrong for key=value pairs, where libpq decodes nothing (following it would
 * turn a right password into a wrong one).
 */
function passwordHint(target) {
    return target.keyValue
        ? "in key=value form, write it as password='\u2026', with each ' and \\ in it escaped by a \\ (\\' and \\\\); it is taken as written, never percent-decoded"
        : 'in a URL, special characters must be percent-encoded (@ as %40, / as %2F, # as %23, ? as %3F, % as %25, : as %3A)';
}
function finish(t, keyValue = false) {
    const port = t.port ? Number(t.port) : DEFAULT_PORT;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
        // Not quoted: with no @ before the host, the user name and password are read as host and port.
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp('The connection string has an invalid port: it must be a number from 1 to 65535.', 'If the URL has no @ before the host, its user name and password were read as the host and the port: write postgres://user:password@host:5432/dbname.');
    }
    refuseUnhonoured(t.host, t.params, keyValue);
    // libpq connects to hostaddr when no host is named; with neither, to the local Unix socket.
    const host = t.host || t.params.hostaddr || defaultSocketDir(port);
    const user = t.user || 'postgres';
    checkSslMode(t.params.sslmode);
    // libpq's default database is the user's name.
    const database = t.database || user;
    return { host, port, database, user, password: t.password || undefined, params: t.params };
}
/**
 * Where libpq looks for the local server's socket when no host is named: its compiled-in directory,
 * /var/run/postgresql in Debian's and Ubuntu's packages, /tmp in PostgreSQL's own builds (macOS).
 * The directory that holds this port's socket, else the first that exists.
 */
const SOCKET_DIRS = ['/var/run/postgresql', '/run/postgresql', '/tmp'];
function defaultSocketDir(port) {
    return SOCKET_DIRS.find((dir) => (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.existsSync)((0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(dir, `.s.PGSQL.${port}`))) ?? SOCKET_DIRS.find((dir) => (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.existsSync)(dir)) ?? '/tmp';
}
const ONE_SERVER = 'Name the one server to use (the primary) as the only host: postgres://user:password@host:5432/dbname.';
const SPELL_IT_OUT = 'Give the connection as a URL with its host, port, dbname and user: postgres://user:password@host:5432/dbname.';
/**
 * libpq parameters that rollback-kit's own sessions (node-postgres) do not read the way pg_dump,
 * pg_restore and psql do. A connection string that relies on one would have those reach another
 * server than the sessions that check, count and lock, or reach it another way; so it is refused
 * before anything connects, naming the parameter and what to give instead. `accepts`: the values
 * that ask for nothing beyond what the sessions do anyway (mostly libpq's defaults). Parameters that
 * are not libpq's (a migration tool's own, such as search_path or Prisma's schema) are left to the
 * tools that read them. Values are never repeated: sslpassword and oauth_client_secret are secrets.
 */
const UNHONOURED = {
    service: { why: 'rollback-kit\'s own sessions do not read pg_service.conf', instead: SPELL_IT_OUT },
    servicefile: { why: 'rollback-kit\'s own sessions do not read pg_service.conf', instead: SPELL_IT_OUT },
    passfile: { why: 'rollback-kit\'s own sessions read only ~/.pgpass or the file PGPASSFILE names', instead: (keyValue) => `Put the password in the connection string, from a secret: ${passwordHint({ keyValue: keyValue || undefined })}.` },
    target_session_attrs: { why: 'it picks among several hosts by their role, and rollback-kit connects to one server without asking its role', instead: ONE_SERVER, accepts: ['any'] },
    load_balance_hosts: { why: 'it spreads connections over several servers, and every session of a rollback must reach the same one', instead: ONE_SERVER, accepts: ['disable'] },
    requiressl: { why: 'it is libpq\'s old spelling of sslmode=require', instead: 'Use sslmode=require (or verify-full).' },
    sslpassword: { why: 'rollback-kit\'s own sessions cannot open an encrypted client key', instead: 'Use an unencrypted key file (written from a secret in an earlier step) in sslkey.' },
    sslcrl: { why: 'rollback-kit\'s own sessions do not check certificate revocation lists', instead: 'Leave it out, or connect with sslmode=verify-full and a current sslrootcert.' },
    sslcrldir: { why: 'rollback-kit\'s own sessions do not check certificate revocation lists', instead: 'Leave it out, or connect with sslmode=verify-full and a current sslrootcert.' },
    sslcertmode: { why: 'rollback-kit\'s own sessions send the client certificate whenever sslcert names one', instead: 'Leave it out.', accepts: ['allow'] },
    sslsni: { why: 'rollback-kit\'s own sessions always send the host name (SNI)', instead: 'Leave it out.', accepts: ['1'] },
    sslnegotiation: { why: 'rollback-kit\'s own sessions negotiate SSL the PostgreSQL way only', instead: 'Leave it out.', accepts: ['postgres'] },
    sslcompression: { why: 'SSL compression is not available', instead: 'Leave it out.', accepts: ['0'] },
    ssl_min_protocol_version: { why: 'rollback-kit\'s own sessions use Node.js\'s TLS versions', instead: 'Leave it out.' },
    ssl_max_protocol_version: { why: 'rollback-kit\'s own sessions use Node.js\'s TLS versions', instead: 'Leave it out.' },
    min_protocol_version: { why: 'rollback-kit\'s own sessions speak protocol 3.0 only', instead: 'Leave it out.' },
    max_protocol_version: { why: 'rollback-kit\'s own sessions speak protocol 3.0 only', instead: 'Leave it out.' },
    require_auth: { why: 'rollback-kit\'s own sessions do not limit the authentication methods the server may ask for', instead: 'Leave it out.' },
    channel_binding: { why: 'rollback-kit\'s own sessions do not use SCRAM channel binding', instead: 'Leave it out (or use channel_binding=prefer).', accepts: ['disable', 'prefer'] },
    requirepeer: { why: 'rollback-kit\'s own sessions do not check the server process\'s user', instead: 'Leave it out.' },
    gssencmode: { why: 'rollback-kit\'s own sessions have no GSSAPI encryption', instead: 'Use sslmode=require (or verify-full) instead.', accepts: ['disable', 'prefer'] },
    krbsrvname: { why: 'rollback-kit\'s own sessions have no Kerberos (GSSAPI) authentication', instead: 'Use password authentication over SSL.' },
    gsslib: { why: 'rollback-kit\'s own sessions have no GSSAPI authentication', instead: 'Use password authentication over SSL.' },
    gssdelegation: { why: 'rollback-kit\'s own sessions have no GSSAPI authentication', instead: 'Leave it out.', accepts: ['0'] },
    keepalives: { why: 'rollback-kit\'s own sessions always turn TCP keepalive on', instead: 'Leave it out.', accepts: ['1'] },
    keepalives_idle: { why: 'rollback-kit\'s own sessions set their own TCP keepalive (10 s)', instead: 'Leave it out.' },
    keepalives_interval: { why: 'rollback-kit\'s own sessions set their own TCP keepalive (10 s)', instead: 'Leave it out.' },
    keepalives_count: { why: 'rollback-kit\'s own sessions set their own TCP keepalive (10 s)', instead: 'Leave it out.' },
    tcp_user_timeout: { why: 'rollback-kit\'s own sessions do not set it', instead: 'Leave it out.' },
    client_encoding: { why: 'rollback-kit\'s own sessions read and write UTF-8', instead: 'Leave it out.', accepts: ['UTF8', 'utf8', 'UTF-8', 'utf-8'] },
    replication: { why: 'a replication connection cannot run the queries rollback-kit needs', instead: 'Leave it out.' },
    oauth_issuer: { why: 'rollback-kit\'s own sessions have no OAuth authentication', instead: 'Use password authentication over SSL.' },
    oauth_client_id: { why: 'rollback-kit\'s own sessions have no OAuth authentication', instead: 'Use password authentication over SSL.' },
    oauth_client_secret: { why: 'rollback-kit\'s own sessions have no OAuth authentication', instead: 'Use password authentication over SSL.' },
    oauth_scope: { why: 'rollback-kit\'s own sessions have no OAuth authentication', instead: 'Use password authentication over SSL.' },
};
/** sslcert and sslkey go with an SSL session: libpq's prefer and allow would send them where rollback-kit's sessions use none. */
const SSL_SESSION_MODES = ['require', 'verify-ca', 'verify-full'];
/** Refuses every libpq parameter (and host list) whose meaning rollback-kit would not keep exactly; see UNHONOURED. */
function refuseUnhonoured(host, params, keyValue) {
    const refuse = (what, why, instead) => new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`The connection string's ${what} cannot be honoured: ${why}, so pg_dump, pg_restore and psql would connect otherwise than rollback-kit's own sessions.`, `${instead} Nothing was touched.`);
    const hosts = host.split(',');
    if (hosts.length > 1)
        throw refuse(`host list (${hosts.length} hosts: ${hosts.join(', ')})`, 'libpq tries the hosts in turn, and rollback-kit connects to one server only', ONE_SERVER);
    const hostaddr = params.hostaddr;
    if (hostaddr !== undefined) {
        if (hostaddr.includes(','))
            throw refuse('hostaddr list', 'libpq tries the addresses in turn, and rollback-kit connects to one server only', ONE_SERVER);
        // Alone it is simply where to connect (finish() takes it as the host); beside another host name,
        // libpq connects to it and checks the certificate against the name, which rollback-kit cannot do.
        if (host && hostaddr !== host)
            throw refuse(`hostaddr (${hostaddr}, with host ${host})`, 'libpq connects to hostaddr and keeps host for the certificate check, and rollback-kit connects to host', 'Give the address to connect to as the host, and leave hostaddr out.');
    }
    for (const [param, value] of Object.entries(params)) {
        const rule = UNHONOURED[param];
        if (!rule || rule.accepts?.includes(value))
            continue;
        const allowed = rule.accepts ? ` (only ${rule.accepts.map((v) => `${param}=${v}`).join(' or ')} is)` : '';
        throw refuse(param, `${rule.why}${allowed}`, typeof rule.instead === 'string' ? rule.instead : rule.instead(keyValue));
    }
    for (const param of ['sslcert', 'sslkey']) {
        if (params[param] && !SSL_SESSION_MODES.includes(params.sslmode ?? '')) {
            throw refuse(`${param} without sslmode=require`, `with sslmode ${params.sslmode ?? 'prefer (the default)'} libpq may send the client certificate over SSL, and rollback-kit's own sessions use SSL only with sslmode require, verify-ca or verify-full`, 'Add sslmode=require (or verify-full with sslrootcert).');
        }
    }
}
/** libpq's values: any other sslmode is refused by psql and pg_dump, so it is refused here too, before anything runs. */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
function checkSslMode(mode) {
    if (mode === undefined || SSL_MODES.includes(mode))
        return;
    // Quoted only when it reads as a mode name: a malformed URL's value may hold part of its password.
    const shown = /^[A-Za-z-]{1,20}$/.test(mode) ? ` "${mode}"` : '';
    throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`The connection string has an invalid sslmode${shown}.`, `Use one of ${SSL_MODES.join(', ')}.`);
}
/** `host:port/db`, for every message that names the database; never contains a secret. */
function describeTarget(t) {
    const host = t.host.includes(':') ? `[${t.host}]` : t.host;
    return `${host}:${t.port}/${t.database}`;
}
/**
 * Transaction-mode poolers (Supabase's port 6543, pgbouncer with pool_mode=transaction) hand each
 * transaction to another server session: session advisory locks, SET and pg_dump do not hold there.
 */
function isTransactionPooler(t) {
    return t.port === 6543 || t.params.pgbouncer?.toLowerCase() === 'true';
}
/**
 * The one refusal of a transaction-mode pooler, for every step and the CLI: `what` is what would not
 * hold there ("pg_dump's one session for the whole dump"). Undefined when the target is not one.
 * Made before anything is asked, so nothing was changed.
 */
function transactionPoolerRefusal(t, what) {
    if (!isTransactionPooler(t))
        return undefined;
    return new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`${describeTarget(t)} is a transaction-mode pooler: it hands each transaction to another server session, so ${what} would not hold.`, 'Use the session pooler or the direct connection (port 5432; on Supabase the "Session pooler" connection string). Nothing was changed.', { changed: 'no' });
}
function withDatabase(t, database) {
    return { ...t, database };
}
/**
 * The target as one `postgres://` URL, for programs that take nothing else (dbmate): every part
 * percent-encoded, a Unix socket directory and its port in the query (`?host=/dir&port=5432`), which
 * libpq, node-postgres and dbmate all read. It holds the password: only for a child's environment.
 */
function connectionUrl(t) {
    const enc = encodeURIComponent;
    const userinfo = `${enc(t.user)}${t.password ? `:${enc(t.password)}` : ''}@`;
    const socket = t.host.startsWith('/');
    const hosts = socket ? '' : t.host.split(',').map((h) => `${h.includes(':') ? `[${h}]` : enc(h)}:${t.port}`).join(',');
    const query = [...(socket ? [['host', t.host], ['port', String(t.port)]] : []), ...Object.entries(t.params)].map(([k, v]) => `${enc(k)}=${enc(v)}`);
    return `postgres://${userinfo}${hosts}/${enc(t.database)}${query.length ? `?${query.join('&')}` : ''}`;
}
/**
 * TCP keepalive probes after this long without traffic: a peer that vanished (a server that lost
 * power, a NAT entry dropped) ends the session with an error instead of leaving it waiting forever.
 */
const KEEPALIVE_IDLE_MS = 10_000;
/** The application_name a node-postgres session of ours sends at startup: the connection string's, else `name`, else rollback-kit. */
function clientApplicationName(t, name) {
    return t.params.application_name ?? name ?? 'rollback-kit';
}
/** Options for node-postgres. `connectTimeoutMs` bounds an unreachable host. */
function pgClientConfig(t, opts = {}) {
    const config = {
        host: t.host,
        port: t.port,
        database: t.database,
        user: t.user,
        password: t.password,
        connectionTimeoutMillis: opts.connectTimeoutMs ?? connectTimeoutMs(t),
        keepAlive: true,
        keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
        application_name: clientApplicationName(t, opts.applicationName),
        ssl: sslConfig(t),
    };
    if (t.params.options)
        config.options = t.params.options;
    return config;
}
function connectTimeoutMs(t) {
    const seconds = Number(t.params.connect_timeout);
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000;
}
/**
 * How long a pg_* tool may take to open its connection: its PGCONNECT_TIMEOUT (libpqEnv writes it from connectTimeoutMs), which
 * libpq takes as at least 2 s. That is for each address it tries (a name with several, an SSL
 * attempt then one without): the stall time that follows this covers a few of those.
 */
function toolConnectMs(t) {
    return Math.max(2, Math.round(connectTimeoutMs(t) / 1000)) * 1000;
}
function sslConfig(t) {
    const mode = (t.params.sslmode ?? '').toLowerCase();
    // The client certificate, as libpq sends it (refuseUnhonoured lets sslcert through only with these modes).
    const client = {
        ...(t.params.sslcert ? { cert: (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(t.params.sslcert, 'utf8') } : {}),
        ...(t.params.sslkey ? { key: (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(t.params.sslkey, 'utf8') } : {}),
    };
    // libpq's "require" encrypts without checking the certificate; verify-* check it.
    if (mode === 'require')
        return { rejectUnauthorized: false, ...client };
    if (mode === 'verify-ca' || mode === 'verify-full') {
        // sslrootcert=system is the system's certificate store (libpq 16): Node.js's own store here.
        const root = t.params.sslrootcert;
        const ca = root && root !== 'system' ? (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(root, 'utf8') : undefined;
        return { rejectUnauthorized: true, ca, ...client, ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}) };
    }
    return false;
}
/**
 * What pg_dump and psql connect with besides libpqEnv's variables, as the conninfo string given for
 * their database (`--dbname`); the rest (host, port, database, user) still comes from those
 * variables. libpq turns TCP keepalive on by default but leaves its timing to the system (two hours
 * on Linux), and has no variable for it: a connection whose peer vanished (a server that lost
 * power, a NAT entry dropped) would leave a dump or a restore, and the locks the restore's
 * transaction holds on the server's side until it notices, waiting for hours. With these the
 * tool's connection fails after about 40 s without an answer to a probe (keepalives_*), or 60 s
 * with data unacknowledged (tcp_user_timeout, PostgreSQL 12 and later), as rollback-kit's own
 * sessions do (KEEPALIVE_IDLE_MS). The connection string may not set them itself (UNHONOURED).
 * A Unix socket ignores them. A peer that answers TCP but forwards nothing (a proxy that stalls)
 * is not caught by these: the tool's own timeout is the bound there.
 */
function toolConninfo(toolMajor) {
    const keepalive = `keepalives=1 keepalives_idle=${KEEPALIVE_IDLE_MS / 1000} keepalives_interval=10 keepalives_count=3`;
    return toolMajor >= 12 ? `${keepalive} tcp_user_timeout=60000` : keepalive;
}
/** The connection string's parameters that reach the pg_* tools, and the variable each goes in. */
const LIBPQ_ENV = {
    sslmode: 'PGSSLMODE',
    sslrootcert: 'PGSSLROOTCERT',
    sslcert: 'PGSSLCERT',
    sslkey: 'PGSSLKEY',
    application_name: 'PGAPPNAME',
    options: 'PGOPTIONS',
    connect_timeout: 'PGCONNECT_TIMEOUT',
    target_session_attrs: 'PGTARGETSESSIONATTRS',
    gssencmode: 'PGGSSENCMODE',
    channel_binding: 'PGCHANNELBINDING',
    load_balance_hosts: 'PGLOADBALANCEHOSTS',
};
/**
 * libpq's variables that node-postgres does not read: one left in the runner's environment would
 * steer the pg_* tools and not rollback-kit's own sessions. PGSERVICE is the worst: the service
 * file's host and dbname win over PGHOST and PGDATABASE, so psql would restore into the service's
 * database while every check ran on database-url's. PGCLIENTENCODING would have pg_dump write in
 * another encoding than the database's, which restore-db reads its scripts in. Each is set from the
 * connection string or removed from the child's environment. (PGPASSWORD, PGPASSFILE and PGOPTIONS
 * are read by both, so they stay as they are when the string does not set them.)
 */
const TOOL_ONLY_VARIABLES = (/* unused pure expression or super */ null && ([
    'PGHOSTADDR', 'PGSERVICE', 'PGSERVICEFILE', 'PGREQUIRESSL', 'PGSSLMODE', 'PGSSLNEGOTIATION', 'PGSSLCOMPRESSION', 'PGSSLCERT', 'PGSSLKEY',
    'PGSSLCERTMODE', 'PGSSLROOTCERT', 'PGSSLCRL', 'PGSSLCRLDIR', 'PGSSLSNI', 'PGSSLMINPROTOCOLVERSION', 'PGSSLMAXPROTOCOLVERSION',
    'PGMINPROTOCOLVERSION', 'PGMAXPROTOCOLVERSION', 'PGREQUIREPEER', 'PGREQUIREAUTH', 'PGCHANNELBINDING', 'PGGSSENCMODE', 'PGKRBSRVNAME',
    'PGGSSLIB', 'PGGSSDELEGATION', 'PGTARGETSESSIONATTRS', 'PGLOADBALANCEHOSTS', 'PGCLIENTENCODING',
]));
/**
 * Environment for pg_dump, pg_restore and psql. Everything goes through variables, the password
 * included, so no secret is ever in an argument list; and only what the connection string says
 * reaches them, so they connect exactly where and how rollback-kit's own sessions do.
 */
function libpqEnv(t) {
    const env = Object.fromEntries(TOOL_ONLY_VARIABLES.map((name) => [name, undefined]));
    Object.assign(env, {
        PGHOST: t.host,
        PGPORT: String(t.port),
        PGDATABASE: t.database,
        PGUSER: t.user,
        PGCONNECT_TIMEOUT: String(Math.round(connectTimeoutMs(t) / 1000)),
        PGAPPNAME: 'rollback-kit',
    });
    if (t.password)
        env.PGPASSWORD = t.password;
    for (const [param, name] of Object.entries(LIBPQ_ENV)) {
        const value = t.params[param];
        if (value)
            env[name] = value;
    }
    return env;
}


/***/ }),

/***/ 5133:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Af: () => (/* binding */ anyFileMatches),
/* harmony export */   CS: () => (/* binding */ listFiles),
/* harmony export */   M7: () => (/* binding */ sortVersions),
/* harmony export */   MP: () => (/* binding */ compareNames),
/* harmony export */   Zv: () => (/* binding */ listNames),
/* harmony export */   Zy: () => (/* binding */ compareVersions),
/* harmony export */   n5: () => (/* binding */ orderWarning),
/* harmony export */   tP: () => (/* binding */ leadingVersion),
/* harmony export */   tp: () => (/* binding */ outOfNumericOrder),
/* harmony export */   uT: () => (/* binding */ listFolders),
/* harmony export */   w$: () => (/* binding */ inFileOrder),
/* harmony export */   yR: () => (/* binding */ readText)
/* harmony export */ });
/* unused harmony export MAX_MIGRATION_BYTES */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3024);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(6760);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(3867);
/* harmony import */ var _core_files_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(2019);
/** Reading a migrations folder: the helpers every format shares. */




/**
 * A folder's entries; none when it cannot be read. node:fs's callback form, not fs/promises: loading
 * that module (and the readline it brings) would be start-up every run of every format pays for one
 * readdir.
 */
function entriesOf(dir) {
    return new Promise((resolve) => (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readdir)(dir, { withFileTypes: true }, (err, entries) => resolve(err ? [] : entries)));
}
/** Names in `dir` (files and folders), hidden ones left out, as the tools do. */
async function listNames(dir) {
    const entries = await entriesOf(dir);
    return entries.filter((e) => !e.name.startsWith('.')).map((e) => e.name);
}
async function listFiles(dir) {
    const entries = await entriesOf(dir);
    return entries.filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink())).map((e) => e.name);
}
async function listFolders(dir) {
    const entries = await entriesOf(dir);
    return entries.filter((e) => !e.name.startsWith('.') && e.isDirectory()).map((e) => e.name);
}
/**
 * The most of one migration file read: its down SQL is sent as one query, and a migration that
 * loads data may be large, but past this it is not a migration (a dump, a file written in a loop).
 */
const MAX_MIGRATION_BYTES = 64 * 1024 * 1024;
/**
 * A migration file's text, or undefined when it cannot be read (it does not exist). A link to a
 * file is read as the file; anything else that is not a regular file (a FIFO would block the step
 * forever), or a file larger than MAX_MIGRATION_BYTES, fails the step, saying which.
 */
async function readText(dir, name) {
    try {
        return (0,_core_files_js__WEBPACK_IMPORTED_MODULE_3__/* .readRegularFile */ .XF)((0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(dir, name), MAX_MIGRATION_BYTES);
    }
    catch (err) {
        if (err instanceof _core_files_js__WEBPACK_IMPORTED_MODULE_3__/* .FileRefused */ .rV) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`Cannot read the migration file ${err.path}: ${err.why}.`, 'Migration files must be regular files (or links to them) of SQL; move anything else out of the migrations folder.');
        }
        return undefined;
    }
}
/** The leading digits every tool uses as the version (`20240101120000_add_users.sql` \u2192 20240101120000). */
function leadingVersion(name) {
    return /^(\d+)/.exec(name)?.[1];
}
/** Numeric order of versions (they outgrow Number), then by name. */
function compareVersions(a, b) {
    if (/^\d+$/.test(a.version) && /^\d+$/.test(b.version)) {
        const x = BigInt(a.version);
        const y = BigInt(b.version);
        if (x !== y)
            return x < y ? -1 : 1;
    }
    else if (a.version !== b.version)
        return a.version < b.version ? -1 : 1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
/**
 * Names compared byte by byte (UTF-8), as Go compares strings and Rust compares &str: the order of
 * Go's os.ReadDir and of Rust's `a.cmp(b)` on names. `10_ten` comes before `9_nine`.
 */
function compareNames(a, b) {
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
/** Ids (from the tracking table) in the order of their files; an id with no file sorts by itself. */
function inFileOrder(ids, files) {
    const place = new Map(files.map((f, i) => [f.id, i]));
    return [...ids].sort((a, b) => (place.get(a) ?? Infinity) - (place.get(b) ?? Infinity) || compareNames(a, b));
}
/** The first two neighbours (in a tool's order) whose version numbers go down: where text order and numeric order part. */
function outOfNumericOrder(files) {
    const numeric = (v) => (/^\d+$/.test(v) ? BigInt(v) : undefined);
    for (let i = 1; i < files.length; i++) {
        const x = numeric(files[i - 1].version);
        const y = numeric(files[i].version);
        if (x !== undefined && y !== undefined && x > y)
            return [files[i - 1], files[i]];
    }
    return undefined;
}
/** The warning a format gives when its tool's order is not the order of the version numbers. */
function orderWarning(tool, rule, pair) {
    if (!pair)
        return [];
    const [first, second] = pair;
    return [
        `${tool} orders migrations by ${rule}, not by version number: ${first.name} comes before ${second.name}, so ${second.name} is the newer of the two to ${tool} and is reverted before ${first.name}. ` +
            'This run follows that order, as the tool would. Versions of one width keep the two orders the same.',
    ];
}
/** Sorts tracking-table versions the way files are sorted. */
function sortVersions(versions) {
    return versions.sort((a, b) => compareVersions({ version: a, name: a }, { version: b, name: b }));
}
/** Whether any of the files has text that `matches` (format detection). */
async function anyFileMatches(dir, names, matches) {
    for (const name of names) {
        const text = await readText(dir, name);
        if (text && matches(text))
            return true;
    }
    return false;
}


/***/ }),

/***/ 7669:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   p: () => (/* binding */ plain),
/* harmony export */   q: () => (/* binding */ PLAIN_TRACKING_DDL)
/* harmony export */ });
/* harmony import */ var _files_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(5133);
/* harmony import */ var _tracking_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(8641);
/**
 * Plain SQL: `<version>_name.down.sql` files (with `<version>_name.sql` or `.up.sql` beside them
 * when the up is kept too) and a tracking table of our own, rollback_kit.schema_migrations, that
 * the deploy fills as it applies migrations.
 */


const DOWN_FILE = /^(\d+)_(.*)\.down\.sql$/;
const TABLE = { schema: 'rollback_kit', name: 'schema_migrations' };
const PLAIN_TRACKING_DDL = `CREATE SCHEMA IF NOT EXISTS rollback_kit;
CREATE TABLE IF NOT EXISTS rollback_kit.schema_migrations (
  version text PRIMARY KEY,
  name text NOT NULL DEFAULT '',
  applied_at timestamptz NOT NULL DEFAULT now()
);`;
const plain = {
    name: 'plain',
    async detect(_dir, entries) {
        return entries.some((n) => DOWN_FILE.test(n)) ? 1 : 0;
    },
    async load(dir) {
        const files = await (0,_files_js__WEBPACK_IMPORTED_MODULE_0__/* .listFiles */ .CS)(dir);
        const out = [];
        for (const downFile of files) {
            const m = DOWN_FILE.exec(downFile);
            if (!m)
                continue;
            const stem = `${m[1]}_${m[2]}`;
            const up = [`${stem}.up.sql`, `${stem}.sql`].find((f) => files.includes(f));
            const downSql = await (0,_files_js__WEBPACK_IMPORTED_MODULE_0__/* .readText */ .yR)(dir, downFile);
            out.push({ version: m[1], id: m[1], name: downFile, addedPath: up ?? downFile, downFile, downSql, downLine: 1, noTransaction: false });
        }
        return out.sort(_files_js__WEBPACK_IMPORTED_MODULE_0__/* .compareVersions */ .Zy);
    },
    settings(config) {
        (0,_tracking_js__WEBPACK_IMPORTED_MODULE_1__/* .refuseTableOption */ .iX)(config, 'plain', (0,_tracking_js__WEBPACK_IMPORTED_MODULE_1__/* .describeTable */ .uq)(TABLE));
        // Our own format: the search_path the URL asks for is the one the down SQL means.
        return { searchPath: config.params.search_path, trackingTable: async () => TABLE };
    },
    tracking: (table) => ({
        ...(0,_tracking_js__WEBPACK_IMPORTED_MODULE_1__/* .versionTableTracking */ .__)(table),
        appliedAt: (session, ids) => (0,_tracking_js__WEBPACK_IMPORTED_MODULE_1__/* .readAppliedTimes */ .kD)(session, `SELECT version AS id, applied_at::timestamptz AS at FROM ${(0,_tracking_js__WEBPACK_IMPORTED_MODULE_1__/* .sqlTable */ .XJ)(table)} WHERE version = ANY($1::text[])`, ids),
    }),
};


/***/ }),

/***/ 4040:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   NW: () => (/* binding */ concurrentIndexStatement),
/* harmony export */   PJ: () => (/* binding */ beforeConcurrentIndex),
/* harmony export */   SA: () => (/* binding */ dropSql),
/* harmony export */   X1: () => (/* binding */ FIND_INVALID_SQL),
/* harmony export */   _N: () => (/* binding */ IndexInTheWay),
/* harmony export */   cH: () => (/* binding */ leftByConcurrentIndex)
/* harmony export */ });
/* harmony import */ var _sql_split_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(9247);

const IDENT = String.raw `(?:"(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)`;
const QNAME = String.raw `${IDENT}(?:\s*\.\s*${IDENT}){0,2}`;
const CREATE = new RegExp(String.raw `^create\s+(?:unique\s+)?index\s+concurrently\s+(?:if\s+not\s+exists\s+)?(?:(${IDENT})\s+)?on\s+(?:only\s+)?(${QNAME})`, 'i');
const REINDEX = new RegExp(String.raw `^reindex\s+(\([^)]*\)\s*)?(index|table|schema|database|system)\s+(concurrently\s+)?(${QNAME})?`, 'i');
const DROP = new RegExp(String.raw `^drop\s+index\s+concurrently\s+(?:if\s+exists\s+)?(${QNAME})`, 'i');
/** `"a"."b"` from a name as written (quoted or not, one to three parts): the last two parts, each quoted. */
function regclassText(written) {
    const parts = written.match(new RegExp(IDENT, 'g')).map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.toLowerCase()));
    return parts
        .slice(-2)
        .map((p) => `"${p.replace(/"/g, '""')}"`)
        .join('.');
}
/** The statement as a CONCURRENTLY index statement, or undefined when it is none. */
function concurrentIndexStatement(s) {
    const text = (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_0__/* .stripComments */ .nY)(s).trim();
    const create = CREATE.exec(text);
    if (create)
        return { kind: 'create', name: create[1] && regclassText(create[1]), table: regclassText(create[2]) };
    const reindex = REINDEX.exec(text);
    if (reindex && (reindex[3] || /\bconcurrently\b/i.test(reindex[1] ?? ''))) {
        return { kind: 'reindex', index: reindex[2].toLowerCase() === 'index' && reindex[4] ? regclassText(reindex[4]) : undefined };
    }
    const drop = DROP.exec(text);
    if (drop)
        return { kind: 'drop', index: regclassText(drop[1]) };
    return undefined;
}
/**
 * Every invalid index of the database but those being built right now (another session's build in
 * progress looks the same), each with whether the statement names it. $1: the index it names; $2
 * and $3: CREATE's index name and table (the index goes in the table's schema).
 */
const INVALID_SQL = `SELECT i.indexrelid::text AS oid, format('%I.%I', n.nspname, c.relname) AS name,
       coalesce(i.indexrelid = to_regclass($1) OR (c.relname = $2 AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass($3))), false) AS named
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT i.indisvalid AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid)
 ORDER BY 2`;
async function invalidIndexes(session, st) {
    const unquoted = st.name === undefined ? null : st.name.slice(1, -1).replace(/""/g, '"');
    return (await session.query(INVALID_SQL, [st.index ?? null, unquoted, st.table ?? null])).rows;
}
/**
 * Read just before the statement. A CREATE whose index is there already, invalid (left by an
 * earlier run that was stopped or killed, or by hand), is not run: it would fail on it, or with IF
 * NOT EXISTS keep it and the migration would count as reverted with an index queries never use.
 * Throws IndexInTheWay then.
 */
async function beforeConcurrentIndex(session, st) {
    let rows;
    try {
        rows = await invalidIndexes(session, st);
    }
    catch (err) {
        // A server before PostgreSQL 12 has no pg_stat_progress_create_index, say: the statement runs
        // all the same, as it did before this check, and a failure of it says to look by hand.
        return { unchecked: err.message };
    }
    const inTheWay = st.kind === 'create' ? rows.filter((r) => r.named).map((r) => r.name) : [];
    if (inTheWay.length)
        throw new IndexInTheWay(inTheWay);
    return { oids: new Set(rows.map((r) => r.oid)) };
}
/** A CREATE INDEX CONCURRENTLY not sent: an invalid index of that name is there already. */
class IndexInTheWay extends Error {
    indexes;
    constructor(indexes) {
        super(`not sent: the index ${indexes.join(', ')} is there already and is invalid (a CREATE INDEX CONCURRENTLY that did not finish, in an earlier run or by hand, left it): ` +
            'this statement would fail on it, or with IF NOT EXISTS keep it as it is, never used by queries');
        this.indexes = indexes;
    }
}
/**
 * After the statement ended in error: the invalid indexes it names or that were not invalid before
 * it ran. `before` is undefined when the statement failed before it was sent (nothing to look for).
 */
async function leftByConcurrentIndex(session, st, before, failure) {
    if (failure instanceof IndexInTheWay)
        return { drop: failure.indexes, finishing: [] };
    if (!before)
        return undefined;
    if ('unchecked' in before)
        return { drop: [], finishing: [], unchecked: before.unchecked };
    let rows;
    try {
        rows = await invalidIndexes(session, st);
    }
    catch (err) {
        return { drop: [], finishing: [], unchecked: err.message };
    }
    // A REINDEX's own index, invalid before it ran (rebuilding a failed CREATE INDEX CONCURRENTLY is
    // what it is for), was not left by it: dropping it would make the re-run fail on a missing index.
    const left = rows.filter((r) => (r.named && st.kind !== 'reindex') || !before.oids.has(r.oid));
    if (left.length === 0)
        return undefined;
    const finishing = st.kind === 'drop' ? left.filter((r) => r.named).map((r) => r.name) : [];
    return { drop: left.filter((r) => !finishing.includes(r.name)).map((r) => r.name), finishing };
}
/** The statement that clears one left index: what the error tells the user to run. */
function dropSql(name) {
    return `DROP INDEX CONCURRENTLY IF EXISTS ${name};`;
}
/** How to find them by hand, when they could not be read. */
const FIND_INVALID_SQL = 'SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid;';


/***/ }),

/***/ 7485:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   R9: () => (/* binding */ LEDGER_TABLE),
/* harmony export */   SC: () => (/* binding */ readLedger),
/* harmony export */   XL: () => (/* binding */ writeLedger)
/* harmony export */ });
/* unused harmony exports isClosed, readLedgerRows, ledgerUpsertSql, ledgerWritableSql, supersedeSql, ledgerKeptAcrossRestore, ledgerDoneWithRestore */
/* harmony import */ var _db_catalog_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(9066);
/* harmony import */ var _own_tables_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(2438);
/* harmony import */ var _sql_split_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(9247);



/**
 * Columns a run goes on without where this role may not add them (it does not own the table): every
 * reader takes a missing or empty one as a row an earlier version wrote, and is the more careful
 * for it (planner.ts appliedAtPlan, rollback.ts refuseAnotherRestore). Nullable: an earlier version
 * that puts the ledger back after a restore (ledgerKeptAcrossRestore) fills only the columns it
 * knows, NULL in these, and a NOT NULL would roll its whole restore back.
 */
const NEWER = ['applied', 'snapshot', 'first_snapshot'];
const NEWER_TYPE = "text[] DEFAULT '{}'";
/** The ledger's name, as to_regclass and every statement write it. */
const LEDGER_TABLE = 'rollback_kit.rollbacks';
const ROLLBACKS = {
    name: LEDGER_TABLE,
    definition: `incident_key text PRIMARY KEY, method text NOT NULL, keep_version text,
       planned text[] NOT NULL DEFAULT '{}', reverted text[] NOT NULL DEFAULT '{}', status text NOT NULL,
       started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), kept text[] NOT NULL DEFAULT '{}',
       ${NEWER.map((column) => `${column} ${NEWER_TYPE}`).join(', ')}`,
    // Every one an array, empty by default: the restore puts rows of an older table back with [] (ledgerKeptAcrossRestore).
    added: { kept: "text[] NOT NULL DEFAULT '{}'", ...Object.fromEntries(NEWER.map((column) => [column, NEWER_TYPE])) },
    optional: NEWER,
};
/** Rows whose work is over: nothing reads them as a rollback in progress or a plan to finish. */
const isClosed = (row) => row !== undefined && row.status !== 'started';
/**
 * The row for `incidentKey`, or undefined (also when the table does not exist yet: read-only).
 * `exists`: whether the table exists, when the caller asked already in a round trip of its own
 * (to_regclass of LEDGER_TABLE): then no round trip asks again, and none at all reads a table not there.
 */
async function readLedger(session, incidentKey, exists) {
    return (await readLedgerRows(session, [incidentKey], exists))[0];
}
/** The rows under any of `incidentKeys` (a key and its earlier spelling), in one query; `exists` as readLedger's. */
async function readLedgerRows(session, incidentKeys, exists) {
    if (exists === undefined)
        exists = !!(await session.query(`SELECT to_regclass(${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(LEDGER_TABLE)})::text AS t`)).rows[0]?.t;
    if (!exists)
        return [];
    // kept applied, snapshot and first_snapshot through to_jsonb: a table an earlier version created has no such column
    // until the next write (and a role that may not add applied/snapshot writes without them); a NULL
    // (an earlier version put the rows back after a restore) is an empty array too.
    const array = (column) => `ARRAY(SELECT jsonb_array_elements_text(coalesce(nullif(to_jsonb(r) -> '${column}', 'null'::jsonb), '[]'))) AS ${column}`;
    const r = await session.query(`SELECT incident_key, method, keep_version, planned, ${array('kept')}, ${array('applied')}, ${array('snapshot')}, ${array('first_snapshot')}, reverted, status
       FROM rollback_kit.rollbacks r WHERE incident_key = ANY($1::text[])`, [incidentKeys]);
    return r.rows.map((row) => ({
        incidentKey: row.incident_key,
        method: row.method,
        keepVersion: row.keep_version ?? undefined,
        planned: row.planned,
        kept: row.kept ?? [],
        applied: row.applied ?? [],
        snapshot: row.snapshot ?? [],
        firstSnapshot: row.first_snapshot ?? [],
        reverted: row.reverted,
        status: row.status === 'done' || row.status === 'superseded' ? row.status : 'started',
    }));
}
function textArray(values) {
    return `ARRAY[${values.map(_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu).join(', ')}]::text[]`;
}
/**
 * The statement that writes `row` (literals inlined), into a table as ensureTableSql leaves it: the
 * NEWER columns only where the table has them (a role that may not add them writes without them).
 */
function ledgerUpsertSql(row) {
    const always = [
        ['incident_key', (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(row.incidentKey)],
        ['method', (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(row.method)],
        ['keep_version', row.keepVersion === undefined ? 'NULL' : (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(row.keepVersion)],
        ['planned', textArray(row.planned)],
        ['kept', textArray(row.kept ?? [])],
        ['reverted', textArray(row.reverted)],
        ['status', (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(row.status)],
    ];
    const newer = { applied: textArray(row.applied ?? []), snapshot: textArray(row.snapshot ?? []), first_snapshot: textArray(row.firstSnapshot ?? []) };
    const set = (column) => `${column} = excluded.${column}`;
    const lines = [
        `DECLARE rk_columns text := ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(always.map(([c]) => c).join(', '))};`,
        `  rk_values text := ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(always.map(([, v]) => v).join(', '))};`,
        `  rk_set text := ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(always.filter(([c]) => c !== 'incident_key').map(([c]) => set(c)).join(', '))};`,
        'BEGIN',
        ...NEWER.flatMap((column) => [
            `  IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(ROLLBACKS.name)}::regclass AND attname = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(column)} AND NOT attisdropped) THEN`,
            `    rk_columns := rk_columns || ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(`, ${column}`)};`,
            `    rk_values := rk_values || ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(`, ${newer[column]}`)};`,
            `    rk_set := rk_set || ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(`, ${set(column)}`)};`,
            '  END IF;',
        ]),
        `  EXECUTE 'INSERT INTO ${ROLLBACKS.name} (' || rk_columns || ') VALUES (' || rk_values || ') ON CONFLICT (incident_key) DO UPDATE SET ' || rk_set || ', updated_at = now()';`,
        'END',
    ];
    return (0,_db_catalog_js__WEBPACK_IMPORTED_MODULE_0__/* .doBlock */ .hq)('rk_ledger_write', lines.join('\n'));
}
/**
 * One statement that changes nothing (a read-only transaction will do) and refuses a ledger this
 * role's writes would fail on: one an earlier version created that lacks a column this version
 * needs and this role may not add (as writeLedger refuses it), one it may not read and upsert, or
 * none, where it may not make one. Each refusal names the role to ask and what it runs; own-tables.ts
 * writableRefusal makes it the user's error. For a run to ask while it is planned, so that the
 * refusal comes before it changes anything (an app rolled back, a snapshot taken), not at its first write.
 */
function ledgerWritableSql() {
    // An upsert (ledgerUpsertSql): INSERT \u2026 ON CONFLICT DO UPDATE, which reads the row it updates.
    return writableTableSql(ROLLBACKS, ['SELECT', 'INSERT', 'UPDATE']);
}
/** Logs already told that the table lacks the NEWER columns: said once a run. */
const toldOmitted = new WeakSet();
/**
 * One query (literals inlined), so one round trip: the table made where it is missing, then the row;
 * after `before` (statements of the same implicit transaction: SET LOCAL bounds on its waits). A
 * table that lacks the NEWER columns, which this role may not add, is written without them, and
 * `log` is told once which statement its owner runs.
 */
async function writeLedger(session, row, opts = {}) {
    const omitted = [];
    const notice = (msg) => {
        if (msg.code === _own_tables_js__WEBPACK_IMPORTED_MODULE_1__/* .OMITTED_WARNING */ .qh && msg.message)
            omitted.push(msg.message);
    };
    session.on('notice', notice);
    try {
        // Made, or given the columns this version added, only where it lacks them: a role that may write the
        // rows but not own the table (a CI role after a migration role) needs no more (own-tables.ts).
        await (0,_own_tables_js__WEBPACK_IMPORTED_MODULE_1__/* .ensureTable */ .pI)(session, ROLLBACKS, ledgerUpsertSql(row), opts.before);
    }
    finally {
        session.off('notice', notice);
    }
    const log = opts.log;
    if (omitted[0] && log && !toldOmitted.has(log)) {
        toldOmitted.add(log);
        log.warning(omitted[0]);
    }
}
/**
 * Marks `superseded` the whole rollback's rows (method `method`, another key than `key`) left
 * 'started' by a run that stopped, once the run of `key` has finished their work: a new workflow run
 * (a "Run workflow" after the first run died midway) is another incident key, so nothing else would
 * ever close them, and the table would show a rollback in progress forever. Run where no whole
 * rollback can be under way: under the whole-rollback lock, which every whole rollback's ledger
 * write holds (run-down-migrations' rows, another method, are never touched). Down migrations:
 * only rows none of whose planned migrations is among `applied` (the tracking table, as this run
 * leaves it), so a plan with work left stays 'started' for its own re-run. A restore: the restore
 * that committed replaced what every earlier unfinished restore was for.
 */
function supersedeSql(key, method, opts = {}) {
    const work = opts.applied ? ` AND NOT (planned && ${textArray(opts.applied)})` : '';
    return `UPDATE rollback_kit.rollbacks SET status = 'superseded', updated_at = now()
     WHERE status = 'started' AND method = ${literal(method)} AND incident_key <> ${literal(key)}${work}${opts.returning ? ' RETURNING incident_key' : ''};`;
}
/** Where the ledger's rows wait, in the restore's transaction, while the snapshot's script runs (set_config's is_local: gone at its end). */
const KEPT_SETTING = 'rollback_kit.ledger_before_restore';
/**
 * Statements every restore runs in its transaction (db/restore.ts), so that the ledger comes out of
 * it as it went in: `first` before the snapshot's script holds the rows as they are, `last` after
 * everything else puts them back. A snapshot taken after an earlier rollback holds the ledger of
 * that time: restored as it is, it would forget every incident rolled back since (or bring back its
 * 'started' row), and a re-run of one would do its work again, a restore discarding the writes made
 * since or migrations reverted twice. The ledger says what runs did, which a restore of the data
 * does not undo.
 *
 * A target without the table (or whose rows this role may not read) has nothing to keep, and the
 * snapshot's copy, if it has one, stays as restored. For a re-run that is the safe side: the restored
 * data carries the work of every incident that copy says is done, and its 'done' rows stop a re-run
 * from doing it over again; without them the same re-run would plan afresh and restore or revert once
 * more. Removing them could only make a re-run do more, never less. (An unreadable table is one this
 * role does not own, which the snapshot's script then could not have replaced either.)
 */
function ledgerKeptAcrossRestore() {
    const rows = (from) => `(SELECT coalesce(jsonb_agg(r ORDER BY r ->> 'incident_key'), '[]') FROM ${from})`;
    const table = literal(ROLLBACKS.name);
    const added = `${literal(JSON.stringify(Object.fromEntries(Object.keys(ROLLBACKS.added).map((column) => [column, []]))))}::jsonb`;
    return {
        table: ROLLBACKS.name,
        first: doBlock('rk_ledger_kept', [
            'BEGIN',
            `  IF to_regclass(${table}) IS NOT NULL AND has_table_privilege(${table}, 'SELECT') THEN`,
            `    PERFORM set_config(${literal(KEPT_SETTING)}, ${rows('rollback_kit.rollbacks t, to_jsonb(t) r')}::text, true);`,
            '  END IF;',
            'END',
        ].join('\n')),
        // Statements after an IF are planned only when reached: the table may not exist in either state.
        last: doBlock('rk_ledger_back', [
            `DECLARE rk_kept jsonb := nullif(current_setting(${literal(KEPT_SETTING)}, true), '')::jsonb;`,
            'BEGIN',
            '  IF rk_kept IS NULL THEN',
            '    RETURN;',
            '  END IF;',
            // Written only where the snapshot brought other rows: a role that may write the ledger but
            // not delete from it still restores a snapshot that has no ledger of its own (the table is
            // then left as it is), or the same one.
            `  IF to_regclass(${table}) IS NOT NULL THEN`,
            `    IF ${rows('rollback_kit.rollbacks t, to_jsonb(t) r')} = ${rows('jsonb_array_elements(rk_kept) r')} THEN`,
            '      RETURN;',
            '    END IF;',
            '  END IF;',
            // The snapshot's table may be an earlier version's, without the columns the kept rows have.
            // Quiet: the run's own ledger writes, on its session, said what the owner runs.
            `  EXECUTE ${literal(ensureTableSql(ROLLBACKS, { quiet: true }))};`,
            '  DELETE FROM rollback_kit.rollbacks;',
            // Rows an earlier version's table held lack the columns added since: their defaults (every one an empty array).
            `  INSERT INTO rollback_kit.rollbacks SELECT * FROM jsonb_populate_recordset(NULL::rollback_kit.rollbacks, (SELECT jsonb_agg(${added} || r) FROM jsonb_array_elements(rk_kept) r));`,
            'END',
        ].join('\n')),
    };
}
/**
 * The whole rollback's `done` row (this incident's), in the restore's transaction (after the restore
 * has put the ledger back as it was: ledgerKeptAcrossRestore), so the restore and its 'done' row
 * commit together: a run that dies after the COMMIT leaves no 'started' row to restore again.
 */
function ledgerDoneWithRestore(done) {
    // Earlier incidents' restores left 'started' by runs that stopped are closed with it (supersedeSql).
    return { first: [], last: [ensureTableSql(ROLLBACKS, { quiet: true }), ledgerUpsertSql(done), supersedeSql(done.incidentKey, done.method)] };
}


/***/ }),

/***/ 2438:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   OJ: () => (/* binding */ INSUFFICIENT_PRIVILEGE),
/* harmony export */   Rf: () => (/* binding */ ensureTableSql),
/* harmony export */   pI: () => (/* binding */ ensureTable),
/* harmony export */   qh: () => (/* binding */ OMITTED_WARNING)
/* harmony export */ });
/* unused harmony exports addColumnSql, addColumnsSql, writableTableSql, ColumnRefused, writableRefusal */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3867);
/* harmony import */ var _db_catalog_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(9066);
/* harmony import */ var _sql_split_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(9247);
/**
 * The tables rollback-kit keeps in the database it rolls back (schema rollback_kit), made where
 * missing and given the columns later versions added.
 *
 * The role that made them is often not the one running now: a migration role creates them, and the
 * CI role that reverts later may read and write them but owns none of them. PostgreSQL checks the
 * privilege of CREATE SCHEMA / CREATE TABLE \u2026 IF NOT EXISTS (CREATE on the database or the schema)
 * and of ALTER TABLE \u2026 ADD COLUMN IF NOT EXISTS (the table's ownership) before it looks whether
 * there is anything to do, so each statement runs only when the catalog says it is needed.
 */



/** PostgreSQL's insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501';
/** The SQLSTATE of ensureTableSql's warning that optional columns are missing (a notice, not an error): PostgreSQL's warning class. */
const OMITTED_WARNING = '01RK1';
/** The statement an owner of `table` runs to give it `column`. */
function addColumnSql(table, column) {
    return `ALTER TABLE ${table.name} ADD COLUMN IF NOT EXISTS ${column} ${table.added[column]}`;
}
/**
 * The one statement an owner runs to give `table` every column later versions added: a table two
 * versions behind lacks more than the first column found missing, and one "run once" must be enough.
 */
function addColumnsSql(table) {
    return `ALTER TABLE ${table.name} ${Object.entries(table.added)
        .map(([column, type]) => `ADD COLUMN IF NOT EXISTS ${column} ${type}`)
        .join(', ')}`;
}
/**
 * The check of a column later runs rely on (not `optional`): where it is missing and this role does
 * not own the table, refused (insufficient_privilege) with the owner and the statement they run;
 * else `then` (the ALTER that adds it, or nothing).
 */
function requiredColumn(table, column, then) {
    const [schema, name] = table.name.split('.');
    const oid = `${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(table.name)}::regclass`;
    const refusal = [
        (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(`${table.name} lacks the column ${column}, which this version of rollback-kit writes (an earlier version created the table), and only the table's owner may add it: it belongs to role `),
        'rk_owner::regrole::text',
        (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(', and this run connects as role '),
        'quote_ident(current_user)',
        (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)('. Have '),
        'rk_owner::regrole::text',
        (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(` (or a superuser) run once: ${addColumnsSql(table)}; then run again.`),
    ].join(' || ');
    return [
        `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = ${oid} AND attname = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(column)} AND NOT attisdropped) THEN`,
        `    SELECT relowner INTO rk_owner FROM pg_catalog.pg_class WHERE oid = ${oid};`,
        `    IF NOT pg_has_role(rk_owner, 'USAGE') THEN`,
        `      RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = ${refusal}, SCHEMA = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(schema)}, TABLE = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(name)}, COLUMN = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(column)};`,
        '    END IF;',
        ...(then ? [then] : []),
        '  END IF;',
    ].join('\n');
}
/**
 * One statement that changes nothing and refuses (insufficient_privilege, the table named in its
 * TABLE field) what this role's first write of `table` would fail on: a column later runs rely on
 * that it may not add (as ensureTableSql refuses it, COLUMN named too), one of `privileges` it lacks
 * on the table, USAGE on its schema, or, where the table is not there yet, the CREATE that making it takes. For a run to
 * ask before it changes anything (a read-only transaction will do), rather than at its first write.
 * Each refusal names the role to ask and the statement it runs.
 */
function writableTableSql(table, privileges) {
    const [schema, name] = table.name.split('.');
    const optional = new Set(table.optional ?? []);
    const required = Object.keys(table.added).filter((column) => !optional.has(column));
    const raise = (message) => `    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = ${message}, SCHEMA = ${literal(schema)}, TABLE = ${literal(name)};`;
    const who = (parts) => parts.join(' || ');
    const makes = `${table.name} is not there yet, and this run makes it at its first write`;
    const body = [
        'DECLARE rk_owner oid; rk_table oid; rk_lacks text; rk_schema text;',
        'BEGIN',
        `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${literal(schema)}) THEN`,
        "    IF NOT has_database_privilege(current_database(), 'CREATE') THEN",
        raise(who([
            literal(`${makes}, schema ${schema} with it, which takes CREATE on the database; role `),
            'quote_ident(current_user)',
            literal(' lacks it. Have its owner (or a superuser) run once: GRANT CREATE ON DATABASE '),
            'quote_ident(current_database())',
            literal(' TO '),
            'quote_ident(current_user)',
            literal(`; (or create the schema and table as a role that may, and grant this one SELECT, INSERT, UPDATE on it); then run again.`),
        ])),
        '    END IF;',
        '    RETURN;',
        '  END IF;',
        // Before any lookup by name: to_regclass and ::regclass fail on a schema this role may not use.
        `  IF NOT has_schema_privilege(${literal(schema)}, 'USAGE') THEN`,
        `    SELECT c.oid, c.relowner INTO rk_table, rk_owner FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${literal(schema)} AND c.relname = ${literal(name)};`,
        `    rk_schema := CASE WHEN rk_owner IS NULL AND NOT has_schema_privilege(${literal(schema)}, 'CREATE') THEN 'USAGE, CREATE' ELSE 'USAGE' END;`,
        '    IF rk_owner IS NOT NULL THEN',
        `      SELECT string_agg(p, ', ') INTO rk_lacks FROM unnest(ARRAY[${privileges.map(literal).join(', ')}]) AS p WHERE NOT has_table_privilege(rk_table, p);`,
        '    END IF;',
        raise(who([
            literal(`This run writes its row to ${table.name}`),
            `CASE WHEN rk_owner IS NULL THEN ${literal(', which it makes at its first write')} ELSE '' END`,
            literal(', and role '),
            'quote_ident(current_user)',
            literal(` lacks `),
            'rk_schema',
            literal(` on schema ${schema}. Have `),
            `(SELECT n.nspowner::regrole::text FROM pg_catalog.pg_namespace n WHERE n.nspname = ${literal(schema)})`,
            literal(` (or a superuser) run once: GRANT `),
            'rk_schema',
            literal(` ON SCHEMA ${schema} TO `),
            'quote_ident(current_user)',
            literal(';'),
            // The table's grants too, when they are also missing: one "run once" is enough.
            `CASE WHEN rk_lacks IS NULL THEN '' ELSE ${literal(' and have ')} || rk_owner::regrole::text || ${literal(` (or a superuser) run once: GRANT ${privileges.join(', ')} ON ${table.name} TO `)} || quote_ident(current_user) || ';' END`,
            literal(' then run again.'),
        ])),
        '  END IF;',
        `  IF to_regclass(${literal(table.name)}) IS NULL THEN`,
        `    IF NOT has_schema_privilege(${literal(schema)}, 'CREATE') THEN`,
        raise(who([
            literal(`${makes}, which takes CREATE on schema ${schema}; role `),
            'quote_ident(current_user)',
            literal(' lacks it. Have '),
            `(SELECT n.nspowner::regrole::text FROM pg_catalog.pg_namespace n WHERE n.nspname = ${literal(schema)})`,
            literal(` (or a superuser) run once: GRANT CREATE ON SCHEMA ${schema} TO `),
            'quote_ident(current_user)',
            literal('; then run again.'),
        ])),
        '    END IF;',
        '    RETURN;',
        '  END IF;',
        // Statements after an IF are planned only when reached: the ::regclass of a table not there is never read.
        `  SELECT relowner INTO rk_owner FROM pg_catalog.pg_class WHERE oid = ${literal(table.name)}::regclass;`,
        `  SELECT string_agg(p, ', ') INTO rk_lacks FROM unnest(ARRAY[${privileges.map(literal).join(', ')}]) AS p WHERE NOT has_table_privilege(${literal(table.name)}, p);`,
        '  IF rk_lacks IS NOT NULL THEN',
        raise(who([
            literal(`This run writes its row to ${table.name}, and role `),
            'quote_ident(current_user)',
            literal(' lacks '),
            'rk_lacks',
            literal(' on it; it belongs to role '),
            'rk_owner::regrole::text',
            literal('. Have '),
            'rk_owner::regrole::text',
            literal(` (or a superuser) run once: GRANT ${privileges.join(', ')} ON ${table.name} TO `),
            'quote_ident(current_user)',
            literal('; then run again.'),
        ])),
        '  END IF;',
        ...required.map((column) => requiredColumn(table, column)),
        'END',
    ];
    return doBlock('rk_own_table_check', body.join('\n'));
}
/**
 * One statement (a DO block, literals inlined) that makes `table` as this version uses it. A column
 * that is missing while this role does not own the table is refused (insufficient_privilege) with
 * the owner and the statement they run: a column we added is one a later run relies on (the ledger's
 * `kept` tells a finished plan from one to refuse; progress's `tracking_rows` tells statements done
 * from statements to run again), so going on without it is not safe. An `optional` one is left out
 * instead, with one warning (OMITTED_WARNING, the columns in its COLUMN field) naming the statement
 * the owner runs: a run in the middle of an incident is not stopped for a column it can do without.
 * `quiet`: without that warning.
 */
function ensureTableSql(table, opts = {}) {
    const [schema, name] = table.name.split('.');
    const oid = `${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(table.name)}::regclass`;
    const optional = new Set(table.optional ?? []);
    const columns = Object.keys(table.added).map((column) => {
        const alter = addColumnSql(table, column);
        if (optional.has(column)) {
            return [
                `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = ${oid} AND attname = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(column)} AND NOT attisdropped) THEN`,
                `    SELECT relowner INTO rk_owner FROM pg_catalog.pg_class WHERE oid = ${oid};`,
                `    IF NOT pg_has_role(rk_owner, 'USAGE') THEN`,
                `      rk_omitted := rk_omitted || ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(column)}::text;`,
                '    ELSE',
                `      ${alter};`,
                '    END IF;',
                '  END IF;',
            ].join('\n');
        }
        return requiredColumn(table, column, `    ${alter};`);
    });
    const omitted = [
        (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(`${table.name} lacks the column(s) `),
        "array_to_string(rk_omitted, ', ')",
        (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(", which this version of rollback-kit writes (an earlier version created the table), and only the table's owner may add them: it belongs to role "),
        'rk_owner::regrole::text',
        (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(', and this run connects as role '),
        'quote_ident(current_user)',
        (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(`. Its rows are written without them, as an earlier version wrote them, so a re-run has only the checks such rows get. Have `),
        'rk_owner::regrole::text',
        (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(` (or a superuser) run once: ${addColumnsSql(table)};`),
    ].join(' || ');
    // Quiet where nobody reads the server's notices as ours (a restore's psql, whose output is read for its errors).
    const warn = optional.size === 0 || opts.quiet
        ? []
        : [
            '  IF cardinality(rk_omitted) > 0 THEN',
            `    RAISE WARNING USING ERRCODE = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(OMITTED_WARNING)}, MESSAGE = ${omitted}, SCHEMA = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(schema)}, TABLE = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(name)}, COLUMN = array_to_string(rk_omitted, ',');`,
            '  END IF;',
        ];
    const body = [
        `DECLARE rk_owner oid;${optional.size === 0 ? '' : " rk_omitted text[] := '{}';"}`,
        'BEGIN',
        `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(schema)}) THEN`,
        `    CREATE SCHEMA IF NOT EXISTS ${schema};`,
        '  END IF;',
        `  IF to_regclass(${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_2__/* .literal */ .eu)(table.name)}) IS NULL THEN`,
        `    CREATE TABLE IF NOT EXISTS ${table.name} (${table.definition});`,
        '  END IF;',
        ...columns,
        ...warn,
        'END',
    ].join('\n');
    return (0,_db_catalog_js__WEBPACK_IMPORTED_MODULE_1__/* .doBlock */ .hq)('rk_own_table', body);
}
/**
 * A column ensureTableSql could not add, as the user's error (not an unexpected one); `code` stays
 * insufficient_privilege for callers that go on without the table (rerun.ts).
 */
class ColumnRefused extends _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp {
    code = INSUFFICIENT_PRIVILEGE;
}
/**
 * Makes `table` as this version uses it, then runs `then` (its first use) in the same round trip,
 * after `before` (SET LOCAL bounds, say: one query is one implicit transaction, which they last).
 */
async function ensureTable(session, table, then, before) {
    try {
        await session.query([before, ensureTableSql(table), then].filter((sql) => sql !== undefined).join(';\n'));
    }
    catch (err) {
        throw columnRefused(err);
    }
}
/**
 * What writableTableSql refused, as the user's error: a column this role may not add as a
 * ColumnRefused (as ensureTable refuses it), the rest as a RollbackKitError; anything else as it came.
 */
function writableRefusal(err) {
    const e = err;
    if (e.code === INSUFFICIENT_PRIVILEGE && e.table && !e.column)
        return new RollbackKitError(e.message);
    return columnRefused(err);
}
/** ensureTableSql's refusal of a column as a ColumnRefused; PostgreSQL's own refusals (CREATE on the database, say) name no column and pass as they are. */
function columnRefused(err) {
    const e = err;
    return e.code === INSUFFICIENT_PRIVILEGE && e.column ? new ColumnRefused(e.message) : err;
}


/***/ }),

/***/ 3170:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Pj: () => (/* binding */ planReverts),
/* harmony export */   kQ: () => (/* binding */ firstCodeLine)
/* harmony export */ });
/* unused harmony exports appliedMigrations, sameVersion */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3867);
/* harmony import */ var _sql_split_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(9247);
/**
 * Which migrations to revert, newest first, and how each one runs. Everything that could stop the
 * run (a version that is not applied, a migration without down SQL, a transaction statement that
 * would break ours) is found here, before a single statement executes.
 */


const RERUN_ORIGIN = {
    who: 'An earlier attempt of this workflow run',
    hint: 'Start a new run with to-version (the last migration to keep), after checking what the migrations applied since need.',
};
const NO_FILE = 'no file for it in the migrations folder';
/** Applied ids matched to files; an id with no file gets a stand-in that cannot be reverted. */
function appliedMigrations(files, appliedIds) {
    const byId = new Map(files.map((f) => [f.id, f]));
    return appliedIds.map((id) => byId.get(id) ?? { version: id, id, name: id, addedPath: id, downLine: 1, noTransaction: false, missingReason: NO_FILE });
}
function sameVersion(f, v) {
    if (f.version === v || f.id === v)
        return true;
    return /^\d+$/.test(v) && /^\d+$/.test(f.version) && BigInt(v) === BigInt(f.version);
}
function select(format, table, files, applied, selector) {
    if (selector.kind === 'steps') {
        if (selector.steps > applied.length) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`steps is ${selector.steps}, but only ${applied.length} migration(s) are applied according to ${table}.`, 'Lower steps, or use to-version to name the last migration to keep.');
        }
        return applied.slice(applied.length - selector.steps).reverse();
    }
    if (selector.kind === 'to-version') {
        const at = applied.findIndex((f) => sameVersion(f, selector.version));
        if (at < 0) {
            const known = files.some((f) => sameVersion(f, selector.version));
            const newest = applied.at(-1);
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(known
                ? `Version ${selector.version} is not applied according to ${table}, so there is nothing to revert back to.`
                : `No migration has version ${selector.version}.`, `to-version must name an applied migration to keep${newest ? `; the newest applied is ${newest.version} (${newest.name})` : '; none is applied'}.`);
        }
        return applied.slice(at + 1).reverse();
    }
    if (selector.kind === 'recorded') {
        const kept = selector.kept ?? [];
        const chosen = applied.filter((f) => selector.planned.some((v) => sameVersion(f, v))).reverse();
        const again = chosen.filter((f) => selector.reverted?.some((v) => sameVersion(f, v)));
        if (again.length > 0) {
            const origin = selector.origin ?? RERUN_ORIGIN;
            const them = again.length === 1 ? 'it' : 'them';
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`${origin.who} reverted ${again.map((f) => f.name).join(', ')}, and ${again.length === 1 ? 'it was' : 'they were'} applied again since (a deploy ran ${them} again): reverting ${them} a second time would drop what was written since. Nothing was run.`, origin.hint);
        }
        const above = chosen.length ? applied.slice(applied.indexOf(chosen.at(-1))).filter((f) => !chosen.includes(f) && !kept.some((v) => sameVersion(f, v))) : [];
        const known = selector.appliedAtPlan?.length ? selector.appliedAtPlan : undefined;
        const since = known ? applied.filter((f) => !known.some((v) => sameVersion(f, v)) && !chosen.includes(f)) : above;
        if (since.length > 0) {
            const origin = selector.origin ?? RERUN_ORIGIN;
            const names = since.map((f) => f.name).join(', ');
            const left = chosen.map((f) => f.name).join(', ');
            const where = !chosen.length
                ? `, and none of that plan is applied any more: finishing it would leave ${since.length === 1 ? 'it' : 'them'} applied`
                : since.every((f) => above.includes(f))
                    ? `, above ${left}, which are left of that plan`
                    : `; ${left} ${chosen.length === 1 ? 'is' : 'are'} left of that plan, which did not count ${since.length === 1 ? 'it' : 'them'}`;
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`${origin.who} planned to revert ${selector.planned.join(', ')}, but ${names} ${since.length === 1 ? 'was' : 'were'} applied since${where}. Nothing was run.`, origin.hint);
        }
        return chosen;
    }
    const gone = filesGoneSince(applied);
    if (gone.length > 0) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`since-ref ${selector.ref}: ${gone.map((f) => f.version).join(', ')} ${gone.length === 1 ? 'is' : 'are'} applied according to ${table}, newer than every migration in the migrations folder, with no file in it: most likely the bad deploy's migrations, and this checkout is from before it (the last good commit, or a \`git revert\` of the bad one). Nothing was run.`, "Check out the commit that was deployed (the one that brought those files, with their down SQL; actions/checkout with ref: <that commit> and fetch-depth: 0) and keep since-ref at the last good commit.");
    }
    const chosen = applied.filter((f) => selector.added.has(f.addedPath)).reverse();
    if (format.linearHistory && chosen.length > 0) {
        const oldest = applied.indexOf(chosen[chosen.length - 1]);
        const skipped = applied.slice(oldest).filter((f) => !chosen.includes(f));
        if (skipped.length > 0) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`since-ref ${selector.ref} selects ${chosen.map((f) => f.name).join(', ')}, but ${skipped.map((f) => f.name).join(', ')} (applied after them, not added since ${selector.ref}) would have to stay: ${format.name} can only revert the newest migrations.`, 'Use to-version to revert everything after the last migration to keep.');
        }
    }
    return chosen;
}
/** Applied migrations newer than the newest one with a file: a checkout that does not have them yet, or no longer. */
function filesGoneSince(applied) {
    let newestWithFile = applied.length - 1;
    while (newestWithFile >= 0 && applied[newestWithFile].missingReason === NO_FILE)
        newestWithFile--;
    return applied.slice(newestWithFile + 1);
}
const DOWN_HINTS = {
    dbmate: 'Add a "-- migrate:down" section with the SQL that undoes the migration.',
    'golang-migrate': 'Add the <version>_<title>.down.sql file beside the .up.sql.',
    'node-pg-migrate': 'Add a "-- Down Migration" section with the SQL that undoes the migration.',
    supabase: 'Add supabase/migrations/down/<timestamp>_name.sql (a folder the Supabase CLI does not read).',
    prisma: 'Add down.sql beside migration.sql (prisma migrate diff --script can write it).',
    plain: 'Add the <version>_name.down.sql file.',
};
/** Down SQL that is there but holds no statement: "add a section" would send the reader looking for one they already have. */
const EMPTY_DOWN_HINTS = {
    dbmate: 'Write the SQL that undoes the migration under its "-- migrate:down" line: the section is there, but empty.',
    'golang-migrate': 'Write the SQL that undoes the migration in its .down.sql file: the file is there, but empty.',
    'node-pg-migrate': 'Write the SQL that undoes the migration under its "-- Down Migration" line: the section is there, but empty.',
    supabase: 'Write the SQL that undoes the migration in its file under supabase/migrations/down/: the file is there, but empty.',
    prisma: 'Write the SQL that undoes the migration in its down.sql: the file is there, but empty.',
    plain: 'Write the SQL that undoes the migration in its .down.sql file: the file is there, but empty.',
};
/** The hint for migrations with a file and nothing to run: every one empty, or some with no down SQL at all. */
function downHint(format, withFile) {
    return withFile.every((f) => f.downSql !== undefined && !f.missingReason) ? EMPTY_DOWN_HINTS[format] : DOWN_HINTS[format];
}
function prepare(file, standardConformingStrings, log) {
    const sql = file.downSql ?? '';
    let statements = (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_1__/* .splitStatements */ .Xd)({ text: sql, standardConformingStrings }).map((s) => ({
        ...s,
        line: file.downLine + (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_1__/* .lineAt */ .mh)(sql, s.offset + (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_1__/* .codeStart */ .iy)(s)) - 1,
        textLine: file.downLine + (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_1__/* .lineAt */ .mh)(sql, s.offset) - 1,
    }));
    // A down file wrapped in BEGIN \u2026 COMMIT (golang-migrate's docs suggest it): we supply that transaction.
    if (statements.length >= 2 && (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_1__/* .transactionControl */ .my)(statements[0]) === 'begin' && (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_1__/* .transactionControl */ .my)(statements.at(-1)) === 'commit') {
        statements = statements.slice(1, -1);
    }
    const copy = statements.find((s) => (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_1__/* .copyFromStdin */ .ql)(s));
    if (copy) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`${file.downFile ?? file.name} line ${copy.line}: "${log.excerpt(firstCodeLine(copy.text), 100)}" reads its rows from the client, as psql sends the lines after it; the down SQL is sent as SQL only, so it would get no rows. Nothing was run.`, 'Write the rows as INSERT statements, or COPY them FROM a file on the database server.');
    }
    const control = statements.find((s) => (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_1__/* .transactionControl */ .my)(s));
    if (control) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`${file.downFile ?? file.name} line ${control.line}: "${log.excerpt(firstCodeLine(control.text), 100)}" inside a down migration would break the transaction each migration runs in. Nothing was run.`, 'Remove transaction statements from the down SQL: each migration runs in a transaction of its own (or statement by statement when it holds CONCURRENTLY and similar).');
    }
    return { file, statements, transactional: !file.noTransaction && !statements.some((s) => (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_1__/* .needsOwnTransaction */ .i7)(s)) };
}
/** The statement's first line of code (comment lines skipped): how messages name a statement. */
function firstCodeLine(text) {
    const lines = text.split('\n').filter((l) => l.trim());
    return (lines.find((l) => !l.trim().startsWith('--')) ?? lines[0] ?? '').trim();
}
function planReverts(format, files, appliedIds, selector, context) {
    const applied = appliedMigrations(files, appliedIds);
    const chosen = select(format, context.table, files, applied, selector);
    const standardConformingStrings = context.standardConformingStrings ?? true;
    const missing = chosen.filter((f) => f.downSql === undefined || !(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_1__/* .hasCode */ .up)({ text: f.downSql, standardConformingStrings }));
    if (missing.length > 0) {
        const list = missing.map((f) => `${f.name} (${f.missingReason ?? (f.downSql === undefined ? 'no down SQL' : 'the down SQL is empty')})`).join(', ');
        // A down in code (node-pg-migrate's JS/TS) runs only in the tool: the whole plan goes through it, in its order.
        const inCode = missing.some((f) => f.downCode) && context.ownDown;
        // A migration with no file at all needs its file back, not a down section added to it.
        const noFile = missing.filter((f) => f.missingReason === NO_FILE);
        const withFile = missing.filter((f) => f.missingReason !== NO_FILE);
        const fileHint = noFile.length
            ? `${noFile.length === 1 ? 'Its file is' : 'Their files are'} not in this checkout: run from the commit that was deployed (the one that brought ${noFile.length === 1 ? 'it' : 'them'}, with the down SQL; actions/checkout with ref: <that commit> and fetch-depth: 0), or point migrations-dir at the folder that holds ${noFile.length === 1 ? 'it' : 'them'}.`
            : undefined;
        const hint = inCode
            ? `Revert with the tool's own down, which runs that code: ${context.ownDown(chosen.length)} (with the DATABASE_URL and options your deploy uses).`
            : fileHint
                ? `${fileHint}${withFile.length ? ` For the others: ${downHint(format.name, withFile)}` : ''}`
                : downHint(format.name, withFile);
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Cannot revert ${list}: nothing to run, and marking it reverted would lie. Nothing was run.`, hint);
    }
    const kept = applied.length - chosen.length - 1;
    const suffix = chosen.every((f, i) => applied[applied.length - 1 - i] === f);
    return { format: format.name, toRevert: chosen.map((f) => prepare(f, standardConformingStrings, context.log)), applied, keep: suffix && kept >= 0 ? applied[kept] : undefined };
}


/***/ }),

/***/ 8891:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   FI: () => (/* binding */ recordStatement),
/* harmony export */   G7: () => (/* binding */ statementsAlreadyRun),
/* harmony export */   K$: () => (/* binding */ progressStillHolds),
/* harmony export */   PQ: () => (/* binding */ clearProgressSql),
/* harmony export */   gQ: () => (/* binding */ readProgress),
/* harmony export */   q1: () => (/* binding */ statementHash),
/* harmony export */   sZ: () => (/* binding */ startProgressSql)
/* harmony export */ });
/* unused harmony export progressAcrossRestore */
/* harmony import */ var _core_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(6156);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3867);
/* harmony import */ var _db_catalog_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(9066);
/* harmony import */ var _own_tables_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(2438);
/* harmony import */ var _sql_split_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(9247);
/**
 * A non-transactional migration cannot be undone as a whole when a statement fails, so we record
 * each statement as it completes (rollback_kit.down_progress). The re-run after a fix skips the
 * statements that already ran instead of failing on objects that are already gone. The row is
 * deleted in the same transaction that marks the migration reverted.
 *
 * Progress describes one state of the database: the one where the migration's tracking rows are
 * the versions recorded with it (Tracking.rowVersionSql). A re-apply writes those rows again, and
 * whatever the progress lists as done may be undone by then, so it no longer counts; nor does
 * progress a restore keeps while it writes the tracking rows back (progressAcrossRestore).
 *
 * A restore brings this table back with the snapshot, unlike the ledger (migrations/ledger.ts
 * ledgerKeptAcrossRestore): the snapshot's rows describe the schema it brings back, recorded against
 * its tracking rows, so a later revert resumes where that schema stands. The restore writes both
 * anew in its one transaction, which is how progressStillHolds still knows them for a pair. The
 * target's rows kept instead would say statements ran that the restore undid, and their re-run
 * would skip them.
 */





function statementHash(text) {
    return (0,_core_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_0__/* .nodeCrypto */ .S)().createHash('sha256').update(text).digest('hex');
}
async function tableExists(session) {
    const r = await session.query(`SELECT to_regclass('rollback_kit.down_progress')::text AS t`);
    return Boolean(r.rows[0]?.t);
}
/** `exists`: whether the table exists, when the caller has asked already (else it is asked here). */
async function readProgress(session, tracking, exists) {
    const out = new Map();
    if (!(exists ?? (await tableExists(session))))
        return out;
    // Through to_jsonb: a table an earlier version created has no tracking_rows column until the next start.
    const r = await session.query(`SELECT migration, done, to_jsonb(p) ->> 'tracking_rows' AS rows, p.xmin::text AS written FROM rollback_kit.down_progress p WHERE tracking = $1`, [tracking]);
    for (const row of r.rows)
        out.set(row.migration, { done: row.done, rows: row.rows, written: row.written });
    return out;
}
/** A list of row versions as rowVersionsSql writes it: not the mark a restore leaves (progressAcrossRestore). */
const ROW_VERSIONS = /^[0-9]+(,[0-9]+)*$/;
/**
 * Whether `progress` describes the tracking rows as they are now (`rowVersionSql` gives them):
 * recorded against them, or written with them by one transaction, which only a restore does (the
 * runner's own transactions that write both end the progress, or read the rows they wrote). A
 * restore writes every row it brings back anew, so the snapshot's progress never reads its own
 * tracking rows' versions again; it was recorded against them when the snapshot was taken, unless
 * a restore made it stale before then, which that restore marks (progressAcrossRestore).
 */
async function progressStillHolds(session, progress, rowVersionSql) {
    if (progress.rows === null)
        return false;
    const r = await session.query(`SELECT (${rowVersionSql}) AS rows`);
    const now = r.rows[0]?.rows;
    if (now === progress.rows)
        return true;
    if (!now || !ROW_VERSIONS.test(progress.rows))
        return false;
    return now.split(',').every((version) => version === progress.written);
}
const DOWN_PROGRESS = {
    name: 'rollback_kit.down_progress',
    definition: `tracking text NOT NULL, migration text NOT NULL, done text[] NOT NULL DEFAULT '{}',
       updated_at timestamptz NOT NULL DEFAULT now(), tracking_rows text, PRIMARY KEY (tracking, migration)`,
    added: { tracking_rows: 'text' },
};
/**
 * Statements (literals inlined) that make the migration's progress row belong to the tracking
 * rows as `rowVersionSql` reads them in the same transaction, keeping the statements done or
 * starting over. The table is made where needed, and given the tracking_rows column where an
 * earlier version made it without one (own-tables.ts).
 */
function startProgressSql(tracking, migration, rowVersionSql, keepDone) {
    return [
        (0,_own_tables_js__WEBPACK_IMPORTED_MODULE_3__/* .ensureTableSql */ .Rf)(DOWN_PROGRESS),
        `INSERT INTO rollback_kit.down_progress AS p (tracking, migration, tracking_rows) VALUES (${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_4__/* .literal */ .eu)(tracking)}, ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_4__/* .literal */ .eu)(migration)}, (${rowVersionSql}))
       ON CONFLICT (tracking, migration) DO UPDATE SET tracking_rows = excluded.tracking_rows, updated_at = now()${keepDone ? '' : `, done = '{}'`}`,
    ];
}
async function recordStatement(session, tracking, migration, hash) {
    await session.query(`UPDATE rollback_kit.down_progress SET done = done || $3::text, updated_at = now() WHERE tracking = $1 AND migration = $2`, [tracking, migration, hash]);
}
/** The statement (literals inlined) that ends the migration's progress, in the transaction that marks it reverted. */
function clearProgressSql(tracking, migration) {
    return `DELETE FROM rollback_kit.down_progress WHERE tracking = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_4__/* .literal */ .eu)(tracking)} AND migration = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_4__/* .literal */ .eu)(migration)}`;
}
/** How many leading statements already ran; refuses when those statements were edited since. */
function statementsAlreadyRun(progress, hashes, file) {
    if (!progress || progress.done.length === 0)
        return 0;
    const matching = progress.done.findIndex((h, i) => h !== hashes[i]);
    if (matching >= 0) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .RollbackKitError */ .dp(`${file} was partly reverted by an earlier run (${progress.done.length} statement(s) ran), but statement ${matching + 1}, which already ran, has changed since.`, 'Edit only the statements that have not run yet (the one that failed and after). Check the schema by hand; then delete its row from rollback_kit.down_progress to start that migration over.');
    }
    return progress.done.length;
}
/** A tracking table as Tracking.table names it (describeTable): two parts, each plain or quoted, so parse_ident cannot fail on it. */
const TRACKING_NAME = (/* unused pure expression or super */ null && (String.raw `^("([^"]|"")+"|[a-z_][a-z0-9_$]*)\.("([^"]|"")+"|[a-z_][a-z0-9_$]*)$`));
/** What tracking_rows reads once a restore has written a progress row's tracking rows anew under it (not ROW_VERSIONS). */
const RESTORED_OVER = 'restored over';
/**
 * The statement every restore runs in its transaction after the snapshot's script (db/restore.ts).
 * A progress row the restore keeps (the snapshot has no down_progress, or not this row) while it
 * writes the tracking rows anew is stale: the schema is the snapshot's. Its own tracking_rows says
 * so already, but a snapshot taken later holds it beside those tracking rows, and restoring that
 * snapshot would write both in one transaction, which progressStillHolds takes for progress taken
 * with its tracking rows. Marked here, it stays stale in every later snapshot. Rows the snapshot
 * brought are its own, written in this transaction, and left as they are; so is a row whose
 * tracking table this role may not read (it cannot have restored that table either). The table is
 * looked up in the catalog, not by to_regclass, which fails on a schema the role may not use.
 */
function progressAcrossRestore() {
    const table = literal(DOWN_PROGRESS.name);
    // This transaction's xid as xmin reads it (txid_current has the epoch on top).
    const thisTransaction = '(txid_current() % 4294967296)::text';
    return doBlock('rk_progress_restored', [
        'DECLARE p record; t regclass; ns oid; restored boolean;',
        'BEGIN',
        `  IF to_regclass(${table}) IS NULL OR NOT has_table_privilege(${table}, 'SELECT, UPDATE') THEN`,
        '    RETURN;',
        '  END IF;',
        // A table an earlier version made has no tracking_rows: its rows are discarded anyway.
        `  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = ${table}::regclass AND attname = 'tracking_rows' AND NOT attisdropped) THEN`,
        '    RETURN;',
        '  END IF;',
        `  FOR p IN SELECT tracking, migration, parse_ident(tracking) AS name FROM rollback_kit.down_progress WHERE xmin::text <> ${thisTransaction} AND tracking ~ ${literal(TRACKING_NAME)} LOOP`,
        '    t := NULL;',
        '    SELECT c.oid, n.oid INTO t, ns FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = p.name[1] AND c.relname = p.name[2];',
        `    IF t IS NULL OR NOT has_schema_privilege(ns, 'USAGE') OR NOT has_table_privilege(t, 'SELECT') THEN`,
        '      CONTINUE;',
        '    END IF;',
        `    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE xmin::text = ${thisTransaction.replace('%', '%%')})', t) INTO restored;`,
        '    IF restored THEN',
        `      UPDATE rollback_kit.down_progress SET tracking_rows = ${literal(RESTORED_OVER)}, updated_at = now() WHERE tracking = p.tracking AND migration = p.migration;`,
        '    END IF;',
        '  END LOOP;',
        'END',
    ].join('\n'));
}


/***/ }),

/***/ 4703:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  EP: () => (/* binding */ parseFormatName),
  NV: () => (/* binding */ pickFormat),
  xM: () => (/* binding */ resolveMigrationsDir)
});

// UNUSED EXPORTS: FORMATS, MIGRATIONS_DIRS

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
// EXTERNAL MODULE: ./.build/core/errors.js + 1 modules
var errors = __nccwpck_require__(3867);
// EXTERNAL MODULE: ./.build/migrations/files.js
var migrations_files = __nccwpck_require__(5133);
// EXTERNAL MODULE: ./.build/migrations/tracking.js
var tracking = __nccwpck_require__(8641);
// EXTERNAL MODULE: ./.build/migrations/sql-split.js + 1 modules
var sql_split = __nccwpck_require__(9247);
;// CONCATENATED MODULE: ./.build/migrations/formats/dbmate.js
/**
 * dbmate: one file per migration with `-- migrate:up` and `-- migrate:down` sections;
 * `transaction:false` on the marker line opts out of the transaction. Its rollback deletes the
 * version from schema_migrations in the same transaction as the down SQL; it takes no lock.
 * The table is `--migrations-table` (DBMATE_MIGRATIONS_TABLE), in its own schema when qualified,
 * else in the first schema of the URL's search_path, else the current schema (pkg/driver/postgres).
 * The URL's search_path reaches the server as a session setting, so the migrations run under it.
 *
 * The rest follows dbmate's own rules (pkg/dbmate/db.go and migration.go, checked against its
 * binary), not what they look like:
 * - A migration is a file named `<digits><anything>.sql`; the digits are its version.
 * - Migrations are in the order of their file names compared as text, not of their versions:
 *   `10_ten.sql` comes before `9_nine.sql`, so `dbmate rollback` reverts `9_nine.sql` first. An
 *   applied version without a file is not a migration to dbmate.
 * - A file is one or more sections, each from a `-- migrate:up` line to the next one, each with
 *   one `-- migrate:down` line; rollback runs every section's down, in file order.
 * - A marker starts a line and is followed by the line's end or by white space and options:
 *   `-- migrate:up-to-date check` is a comment inside the SQL, not a marker.
 */



// Go's \s and \S (RE2: ASCII only), and its (?m) ^ and $, where only \n ends a line. JavaScript's
// \s also takes \v and Unicode spaces, and its m flag also ends lines at \r, U+2028 and U+2029.
const GO_SPACE = '[\\t\\n\\f\\r ]';
const GO_NON_SPACE = '[^\\t\\n\\f\\r ]';
/** dbmate's `(?m)^--\s*migrate:<dir>(\s*$|\s+\S+)`. */
const markerSource = (dir) => `(?<=^|\\n)--${GO_SPACE}*migrate:${dir}(?:${GO_SPACE}*(?=\\n|$)|${GO_SPACE}+${GO_NON_SPACE}+)`;
const UP_MARKER = new RegExp(markerSource('up'));
const starts = (text, dir) => [...text.matchAll(new RegExp(markerSource(dir), 'g'))].map((m) => m.index);
/** dbmate's `^(\d+).*\.sql$`, `.` being anything but \n as in Go. */
const MIGRATION_FILE = /^(\d+)[^\n]*\.sql$/;
/** What Go's strings.TrimSpace trims: Unicode white space. */
const GO_TRIM = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
/**
 * The options on a block's marker line, read as dbmate reads them: the first line, the marker cut
 * off, split at white space into `key:value` pairs; anything else is ignored, and a later pair wins.
 */
function markerOptions(block) {
    const options = new Map();
    const line = block.split('\n', 1)[0].replace(new RegExp(`^--${GO_SPACE}*migrate:(up|down)`), '').replace(GO_TRIM, '');
    if (!line)
        return options;
    for (const pair of line.split(new RegExp(`${GO_SPACE}+`))) {
        const parts = pair.split(':');
        if (parts.length === 2)
            options.set(parts[0], parts[1]);
    }
    return options;
}
const onlyCommentsOrBlank = (line) => new RegExp(`^${GO_SPACE}*(--|$)`).test(line);
/**
 * The down SQL dbmate's rollback runs for a file: every section's down block, in file order. When
 * there are several, each up block between them is blanked (lines kept, so errors point at the
 * file's own lines) behind a `;`, as dbmate sends each block as a query of its own. A file dbmate
 * refuses to read gets no down SQL and the reason, as its rollback would stop there.
 */
function parseDbmate(text) {
    const refused = (why) => ({ downLine: 1, noTransaction: false, missingReason: `${why}: dbmate refuses to read the file, and its own rollback stops there too` });
    const ups = starts(text, 'up');
    if (ups.length === 0)
        return starts(text, 'down').length ? refused('no "-- migrate:up" line') : { downLine: 1, noTransaction: false };
    const before = text.slice(0, ups[0]).split('\n');
    const statement = before.findIndex((line) => !onlyCommentsOrBlank(line));
    if (statement >= 0)
        return refused(`line ${statement + 1}: SQL before the first "-- migrate:up" line`);
    const sections = ups.map((start, i) => ({ start, end: ups[i + 1] ?? text.length }));
    const downs = [];
    for (const s of sections) {
        const found = starts(text.slice(s.start, s.end), 'down').map((at) => s.start + at);
        if (found.length > 1)
            return refused(`line ${(0,sql_split/* lineAt */.mh)(text, found[1])}: a second "-- migrate:down" line with no "-- migrate:up" line before it`);
        if (found.length === 0) {
            return sections.length === 1 ? { downLine: 1, noTransaction: false } : refused(`line ${(0,sql_split/* lineAt */.mh)(text, s.start)}: a "-- migrate:up" section with no "-- migrate:down" line`);
        }
        downs.push(found[0]);
    }
    // From the end of the first down marker's line: dbmate sends that line too, but it is a comment.
    const lineEnd = text.indexOf('\n', downs[0]);
    const start = lineEnd < 0 ? text.length : lineEnd;
    let downSql = '';
    let at = start;
    for (let i = 1; i < sections.length; i++) {
        const up = text.slice(sections[i].start, downs[i]);
        downSql += text.slice(at, sections[i].start) + ';' + up.slice(1).replace(/[^\n]/g, ' ');
        at = downs[i];
    }
    downSql += text.slice(at);
    const noTransaction = downs.some((d, i) => markerOptions(text.slice(d, sections[i].end)).get('transaction') === 'false');
    return { downSql, downLine: (0,sql_split/* lineAt */.mh)(text, start), noTransaction };
}
/** dbmate's order: file names compared byte by byte, as Go compares strings. */
const byFileName = (a, b) => (0,migrations_files/* compareNames */.MP)(a.name, b.name);
async function load(dir) {
    const out = [];
    for (const name of await (0,migrations_files/* listFiles */.CS)(dir)) {
        const version = MIGRATION_FILE.exec(name)?.[1];
        if (!version)
            continue;
        const text = (await (0,migrations_files/* readText */.yR)(dir, name)) ?? '';
        const parsed = parseDbmate(text);
        out.push({ version, id: version, name, addedPath: name, downFile: parsed.downSql === undefined ? undefined : name, ...parsed });
    }
    return out.sort(byFileName);
}
/**
 * Applied versions in dbmate's order: where their files sort (the last file with that version, the
 * one dbmate's rollback picks). A version with no file, which dbmate does not see, sorts by itself.
 */
function inDbmateOrder(versions, files) {
    const nameOf = new Map(files.map((f) => [f.id, f.name]));
    return versions.map((v) => ({ v, name: nameOf.get(v) ?? v })).sort(byFileName).map((x) => x.v);
}
const dbmate = {
    name: 'dbmate',
    ownDir: 'db/migrations',
    async detect(dir, entries) {
        const sql = entries.filter((n) => n.endsWith('.sql'));
        return (await (0,migrations_files/* anyFileMatches */.Af)(dir, sql, (text) => UP_MARKER.test(text))) ? 10 : 0;
    },
    load,
    layoutWarnings(_dir, files) {
        const pair = (0,migrations_files/* outOfNumericOrder */.tp)(files);
        if (!pair)
            return [];
        const [first, second] = pair;
        return [
            `dbmate orders migrations by file name compared as text, not by version number: ${first.name} comes before ${second.name}, so \`dbmate rollback\` reverts ${second.name} before ${first.name}. ` +
                'This run follows dbmate\'s order, as dbmate would. Versions of one width (dbmate new writes 14-digit timestamps) keep the two orders the same.',
        ];
    },
    settings(config) {
        const option = (0,tracking/* splitTableOption */.yE)(config.migrationsTable ?? 'schema_migrations', 'dbmate');
        const searchPath = config.params.search_path;
        return {
            searchPath,
            trackingTable: async (session) => ({ schema: option.schema ?? (0,tracking/* firstSearchPathSchema */.By)(searchPath) ?? (await (0,tracking/* currentSchema */.r9)(session)), name: option.name }),
        };
    },
    tracking(table) {
        return {
            ...(0,tracking/* versionTableTracking */.__)(table),
            appliedIds: (rows, files) => inDbmateOrder(rows.map((r) => String(r.version)), files),
        };
    },
};

;// CONCATENATED MODULE: ./.build/migrations/formats/golang-migrate.js
/**
 * golang-migrate: `<version>_<title>.up.sql` / `.down.sql`. schema_migrations holds one row, the
 * current version and a dirty flag. A down step writes (previous version, dirty) before running
 * the SQL and (previous version, clean) after; reverting the first migration empties the table.
 * The tool locks with pg_advisory_lock on crc32(schema, table, database) times a salt. The URL's
 * `x-migrations-table` names the table (one identifier; with `x-migrations-table-quoted=true` it is
 * `"schema"."table"`), in the current schema unless quoted with one; the rest of the URL, search_path
 * included, reaches the server as session settings (database/postgres/postgres.go).
 */




const FILE = /^(\d+)_(.*)\.(up|down)\.sql$/;
const LOCK_SALT = 1486364155;
/** golang-migrate's GenerateAdvisoryLockId(database, schema, table): names joined by NUL, crc32, times the salt, mod 2^32. */
async function golangMigrateLockKey(database, schema, table) {
    // zlib only for this format's lock: not loaded at every run's start.
    const { crc32 } = await Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 8522, 19));
    const sum = crc32(Buffer.from([schema, table, database].join('\0'), 'utf8'));
    return String(BigInt.asUintN(32, BigInt(sum) * BigInt(LOCK_SALT)));
}
async function golang_migrate_load(dir) {
    const byVersion = new Map();
    for (const name of await (0,migrations_files/* listFiles */.CS)(dir)) {
        const m = FILE.exec(name);
        if (!m)
            continue;
        // The tool parses the version as a number: 0003 and 3 are the same migration.
        const id = BigInt(m[1]).toString();
        const entry = byVersion.get(id) ?? { digits: m[1] };
        if (m[3] === 'up')
            entry.up = name;
        else
            entry.down = name;
        byVersion.set(id, entry);
    }
    const out = [];
    for (const [id, e] of byVersion) {
        const downSql = e.down ? await (0,migrations_files/* readText */.yR)(dir, e.down) : undefined;
        const name = e.up ?? e.down;
        out.push({ version: id, id, name, addedPath: name, downFile: e.down, downSql, downLine: 1, noTransaction: false });
    }
    return out.sort(migrations_files/* compareVersions */.Zy);
}
/** Go's strconv.ParseBool, which the tool reads x-migrations-table-quoted with. */
function parseGoBool(value) {
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value))
        return true;
    if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value))
        return false;
    throw new errors/* RollbackKitError */.dp(`x-migrations-table-quoted in database-url is "${value}", which golang-migrate cannot read as true or false.`);
}
/** The table option as the tool reads it: { schema } only when quoted as "schema"."table". */
function tableOption(config) {
    const fromUrl = config.params['x-migrations-table'];
    if (config.migrationsTable && fromUrl && config.migrationsTable !== fromUrl) {
        throw new errors/* RollbackKitError */.dp(`migrations-table "${config.migrationsTable}" and x-migrations-table "${fromUrl}" in database-url disagree.`, 'golang-migrate reads x-migrations-table: give the table once.');
    }
    const option = config.migrationsTable || fromUrl || 'schema_migrations';
    const quoted = config.params['x-migrations-table-quoted'] ? parseGoBool(config.params['x-migrations-table-quoted']) : false;
    if (!quoted)
        return { name: option };
    const parts = [...option.matchAll(/"(.*?)"/g)].map((m) => m[1]);
    if (!option.startsWith('"') || !option.endsWith('"') || parts.length === 0 || parts.length > 2) {
        throw new errors/* RollbackKitError */.dp(`x-migrations-table is "${option}", but with x-migrations-table-quoted it must read "schema"."table" or "table".`);
    }
    return parts.length === 2 ? { schema: parts[0], name: parts[1] } : { name: parts[0] };
}
/** The tool's SetVersion: TRUNCATE, then one row unless it is "no version" and clean. */
function setVersion(table, version, dirty) {
    const sql = [`TRUNCATE ${(0,tracking/* sqlTable */.XJ)(table)}`];
    if (version !== undefined || dirty)
        sql.push(`INSERT INTO ${(0,tracking/* sqlTable */.XJ)(table)} (version, dirty) VALUES (${(0,sql_split/* literal */.eu)(version ?? '-1')}, ${dirty})`);
    return sql;
}
const golangMigrate = {
    name: 'golang-migrate',
    linearHistory: true,
    async detect(_dir, entries) {
        return entries.some((n) => FILE.exec(n)?.[3] === 'up') ? 8 : 0;
    },
    load: golang_migrate_load,
    settings(config) {
        const option = tableOption(config);
        return {
            searchPath: config.params.search_path,
            trackingTable: async (session) => ({ schema: option.schema ?? (await (0,tracking/* currentSchema */.r9)(session)), name: option.name }),
        };
    },
    tracking: (table) => ({
        table: (0,tracking/* describeTable */.uq)(table),
        relation: (0,tracking/* sqlTable */.XJ)(table),
        async lockKey(session) {
            const r = await session.query('SELECT current_database() AS database');
            return golangMigrateLockKey(r.rows[0].database, table.schema, table.name);
        },
        appliedSql: `SELECT version::text AS version FROM ${(0,tracking/* sqlTable */.XJ)(table)} LIMIT 1`,
        appliedIds(rows, files) {
            const current = rows[0]?.version;
            if (current === undefined || current === '-1')
                return [];
            if (!files.some((f) => f.id === current)) {
                throw new errors/* RollbackKitError */.dp(`${(0,tracking/* describeTable */.uq)(table)} says version ${current} is applied, but the migrations folder has no file for version ${current}.`, 'Check that migrations-dir points at the folder this database was migrated from (and that the checkout is the deployed commit).');
            }
            return files.filter((f) => BigInt(f.id) <= BigInt(current)).map((f) => f.id);
        },
        startSql: (_m, previous) => setVersion(table, previous?.id, true),
        revertSql: (_m, previous) => setVersion(table, previous?.id, false),
        // One row for the whole table: (previous, dirty) while a down is partly done.
        rowVersionSql: () => (0,tracking/* rowVersionsSql */.yl)(table),
        async dirtyVersion(session) {
            const r = await session.query(`SELECT version::text AS version FROM ${(0,tracking/* sqlTable */.XJ)(table)} WHERE dirty LIMIT 1`);
            return r.rows[0]?.version;
        },
    }),
};

;// CONCATENATED MODULE: ./.build/migrations/formats/node-pg-migrate.js
/**
 * node-pg-migrate: SQL files with `-- Up Migration` / `-- Down Migration` markers (JS and TS
 * migrations hold their down in code, which we do not run). `pgmigrations` records the file name
 * without extension; the tool's down deletes that row in the same transaction and locks with
 * pg_try_advisory_lock(7241865325823964). Its next `up` refuses a gap (checkOrder), so only the
 * newest applied migrations can be reverted. Its table is `--migrations-schema`.`--migrations-table`
 * (default public.pgmigrations); it connects with node-postgres, which does not read a URL's
 * search_path, so neither do we for this format.
 */




const NODE_PG_MIGRATE_LOCK_KEY = '7241865325823964';
const SPACE = /\s/;
/** Where the m flag's ^ matches after: JavaScript's line terminators. */
const LINE_END = /[\n\r\u2028\u2029]/;
/**
 * Where the tool's own marker expression (src/sqlMigration.ts) `/^\s*--[\s-]*<direction>\s+migration/im`
 * first matches in `text`, or -1: text.search() with it, without its backtracking. That search
 * tries the expression at every line start, and from each one `\s*` and `[\s-]*` may run over the
 * following lines: a run of n blank lines, or of n lines of dashes, costs it n\u00b2 steps (15 s for a
 * file of 80,000 blank lines). Here every line start in a run shares one answer, so each character
 * is looked at a bounded number of times.
 */
function findMarker(text, direction) {
    const rest = new RegExp(`${direction}\\s+migration`, 'iy');
    const n = text.length;
    // The run of [\s-] read last, [runFrom, runEnd), and whether the marker's words follow it.
    let runFrom = -1;
    let runEnd = -1;
    let runMatches = false;
    for (let p = 0; p <= n;) {
        // ^\s*: the first character after the line start that is not white space.
        let q = p;
        while (q < n && SPACE.test(text[q]))
            q++;
        if (text[q] === '-' && text[q + 1] === '-') {
            // --[\s-]*: the words must start where the run of dashes and white space ends.
            const from = q + 2;
            if (from < runFrom || from > runEnd) {
                runFrom = from;
                runEnd = from;
                while (runEnd < n && (text[runEnd] === '-' || SPACE.test(text[runEnd])))
                    runEnd++;
                rest.lastIndex = runEnd;
                runMatches = rest.test(text);
            }
            if (runMatches)
                return p;
        }
        // Every line start up to q reaches the same q, and fails the same way: the next one to try is after q.
        let next = q;
        while (next < n && !LINE_END.test(text[next]))
            next++;
        p = next + 1;
    }
    return -1;
}
/** Migrations in code, named as the tool names them: a numeric (timestamp) prefix. */
const CODE_MIGRATION = /^\d+.*\.(js|cjs|mjs|ts|cts|mts)$/;
/** The argument every node-pg-migrate migration in code receives. */
const PGM = /\bpgm\b/;
function parseNodePgMigrate(text) {
    const up = findMarker(text, 'up');
    const down = findMarker(text, 'down');
    if (down < 0)
        return { downLine: 1 };
    return { downSql: text.slice(down, up < down ? undefined : up), downLine: (0,sql_split/* lineAt */.mh)(text, down) };
}
/**
 * The tool's own timestamp of a file (src/migration.ts getNumericPrefix): the name up to its first
 * `_`; 13 digits are milliseconds, 17 digits a UTC time (yyyymmddhhmmssSSS) read as milliseconds,
 * anything else Number(prefix) or 0. So `20240101000000000_a` (17 digits) sorts with the 13-digit
 * millisecond names by the time it means, and `3-add.sql` has timestamp 0.
 */
function timestampOf(name) {
    const prefix = name.split('_')[0];
    if (/^\d+$/.test(prefix)) {
        if (prefix.length === 13)
            return Number(prefix);
        if (prefix.length === 17) {
            const [y, mo, d, h, mi, s, ms] = [0, 4, 6, 8, 10, 12, 14].map((at, i, all) => prefix.slice(at, all[i + 1] ?? 17));
            return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`).valueOf();
        }
    }
    return Number(prefix) || 0;
}
/**
 * The tool's own order of files (src/migration.ts getMigrationFilePaths): timestamps subtracted,
 * then names compared by localeCompare with the tool's options. Kept as the tool writes it, NaN
 * of an impossible date included, so that one sort of the same listing gives the same order.
 */
function compare(a, b) {
    return (timestampOf(a.name) - timestampOf(b.name) ||
        a.name.localeCompare(b.name, undefined, { usage: 'sort', numeric: true, sensitivity: 'variant', ignorePunctuation: true }));
}
const nodePgMigrate = {
    name: 'node-pg-migrate',
    // node-pg-migrate's --migrations-dir defaults to ./migrations.
    ownDir: 'migrations',
    linearHistory: true,
    async detect(dir, entries) {
        if (await (0,migrations_files/* anyFileMatches */.Af)(dir, entries.filter((n) => n.endsWith('.sql')), (text) => findMarker(text, 'up') >= 0))
            return 9;
        const code = entries.filter((n) => CODE_MIGRATION.test(n));
        if (code.length === 0)
            return 0;
        // Timestamped JS/TS files are the tool's layout; the pgm argument makes it certain.
        return (await (0,migrations_files/* anyFileMatches */.Af)(dir, code, (text) => PGM.test(text))) ? 7 : 2;
    },
    async load(dir) {
        const out = [];
        for (const name of await (0,migrations_files/* listFiles */.CS)(dir)) {
            const id = name.slice(0, name.length - (0,external_node_path_.extname)(name).length);
            const version = (0,migrations_files/* leadingVersion */.tP)(name) ?? '';
            if ((0,external_node_path_.extname)(name) !== '.sql') {
                out.push({ version, id, name, addedPath: name, downLine: 1, noTransaction: false, missingReason: 'a JavaScript/TypeScript migration: its down is code, not SQL', downCode: true });
                continue;
            }
            const parsed = parseNodePgMigrate((await (0,migrations_files/* readText */.yR)(dir, name)) ?? '');
            out.push({ version, id, name, addedPath: name, downFile: parsed.downSql === undefined ? undefined : name, noTransaction: false, ...parsed });
        }
        return out.sort(compare);
    },
    layoutWarnings: (_dir, files) => (0,migrations_files/* orderWarning */.n5)('node-pg-migrate', 'the timestamp before the first "_" in the file name (13 digits are milliseconds, 17 a UTC time)', (0,migrations_files/* outOfNumericOrder */.tp)(files)),
    settings(config) {
        const option = (0,tracking/* splitTableOption */.yE)(config.migrationsTable ?? 'pgmigrations', 'node-pg-migrate');
        return { trackingTable: async () => ({ schema: option.schema ?? 'public', name: option.name }) };
    },
    tracking: (table) => ({
        table: (0,tracking/* describeTable */.uq)(table),
        relation: (0,tracking/* sqlTable */.XJ)(table),
        lockKey: async () => NODE_PG_MIGRATE_LOCK_KEY,
        // The tool's own order of what ran (runner.ts getRunMigrations).
        appliedSql: `SELECT name FROM ${(0,tracking/* sqlTable */.XJ)(table)} ORDER BY run_on, id`,
        appliedIds: (rows) => rows.map((r) => String(r.name)),
        // run_on is a timestamp without time zone, written with NOW() in the tool's session: read in
        // this session's time zone, the server's default, as the tool's own session has it.
        appliedAt: (session, ids) => (0,tracking/* readAppliedTimes */.kD)(session, `SELECT name AS id, max(run_on)::timestamptz AS at FROM ${(0,tracking/* sqlTable */.XJ)(table)} WHERE name = ANY($1::text[]) GROUP BY 1`, ids),
        revertSql: (m) => [`DELETE FROM ${(0,tracking/* sqlTable */.XJ)(table)} WHERE name = ${(0,sql_split/* literal */.eu)(m.id)}`],
        rowVersionSql: (m) => (0,tracking/* rowVersionsSql */.yl)(table, `name = ${(0,sql_split/* literal */.eu)(m.id)}`),
    }),
    ownDownCommand(count, dir, table) {
        const options = [`-m ${shellWord(dir)}`];
        if (table.schema !== 'public')
            options.push(`--migrations-schema ${shellWord(table.schema)}`);
        if (table.name !== 'pgmigrations')
            options.push(`--migrations-table ${shellWord(table.name)}`);
        return `npx node-pg-migrate down ${count} ${options.join(' ')}`;
    },
};
/** A word for a shell command line: quoted when it holds anything but plain path characters. */
function shellWord(word) {
    return /^[\w./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

// EXTERNAL MODULE: ./.build/migrations/formats/plain.js
var plain = __nccwpck_require__(7669);
// EXTERNAL MODULE: ./.build/db/catalog.js
var catalog = __nccwpck_require__(9066);
;// CONCATENATED MODULE: ./.build/migrations/formats/prisma.js
/**
 * Prisma Migrate: `prisma/migrations/<timestamp>_name/migration.sql`, with `down.sql` beside it as
 * in Prisma's documented down-migration workflow. Reverting sets `rolled_back_at` on the
 * migration's row, which is what `prisma migrate resolve --rolled-back` does; `migrate deploy` then
 * applies it again. A row neither finished nor rolled back is a migration that failed midway (the
 * partial deploy the runbooks describe): it counts as applied, so its down SQL can clean it up.
 * Prisma locks with pg_advisory_lock(72707369). The URL's `schema` parameter (default public) is
 * where Prisma keeps _prisma_migrations and the search_path its migrations run with.
 */




const PRISMA_LOCK_KEY = '72707369';
const prisma = {
    name: 'prisma',
    ownDir: 'prisma/migrations',
    async detect(dir, entries) {
        for (const name of entries)
            if ((await (0,migrations_files/* readText */.yR)(dir, `${name}/migration.sql`)) !== undefined)
                return 12;
        return 0;
    },
    async load(dir) {
        const out = [];
        for (const folder of await (0,migrations_files/* listFolders */.uT)(dir)) {
            if ((await (0,migrations_files/* readText */.yR)(dir, `${folder}/migration.sql`)) === undefined)
                continue;
            const downSql = await (0,migrations_files/* readText */.yR)(dir, `${folder}/down.sql`);
            out.push({
                version: (0,migrations_files/* leadingVersion */.tP)(folder) ?? '0',
                id: folder,
                name: `${folder}/migration.sql`,
                addedPath: `${folder}/migration.sql`,
                downFile: downSql === undefined ? undefined : `${folder}/down.sql`,
                downSql,
                downLine: 1,
                noTransaction: false,
            });
        }
        // Prisma's order: folder names compared as Rust compares strings, byte by byte (prisma-engines,
        // schema-connector migrations_directory.rs list_migrations: `a.migration_name().cmp(b.migration_name())`).
        return out.sort((a, b) => (0,migrations_files/* compareNames */.MP)(a.id, b.id));
    },
    layoutWarnings: (_dir, files) => (0,migrations_files/* orderWarning */.n5)('Prisma', 'folder name compared as text', (0,migrations_files/* outOfNumericOrder */.tp)(files)),
    settings(config) {
        const schema = config.params.schema || 'public';
        (0,tracking/* refuseTableOption */.iX)(config, 'prisma', (0,tracking/* describeTable */.uq)({ schema, name: '_prisma_migrations' }));
        return { searchPath: (0,catalog/* quoteIdent */.v4)(schema), trackingTable: async () => ({ schema, name: '_prisma_migrations' }) };
    },
    tracking: (table) => ({
        table: (0,tracking/* describeTable */.uq)(table),
        relation: (0,tracking/* sqlTable */.XJ)(table),
        lockKey: async () => PRISMA_LOCK_KEY,
        appliedSql: `SELECT DISTINCT migration_name FROM ${(0,tracking/* sqlTable */.XJ)(table)} WHERE rolled_back_at IS NULL`,
        // In Prisma's order of the folders.
        appliedIds: (rows, files) => (0,migrations_files/* inFileOrder */.w$)(rows.map((r) => String(r.migration_name)), files),
        // A row whose migration failed midway has no finished_at: when it started is when it was applied.
        appliedAt: (session, ids) => (0,tracking/* readAppliedTimes */.kD)(session, `SELECT migration_name AS id, max(coalesce(finished_at, started_at)) AS at FROM ${(0,tracking/* sqlTable */.XJ)(table)} WHERE migration_name = ANY($1::text[]) AND rolled_back_at IS NULL GROUP BY 1`, ids),
        revertSql: (m) => [`UPDATE ${(0,tracking/* sqlTable */.XJ)(table)} SET rolled_back_at = now() WHERE migration_name = ${(0,sql_split/* literal */.eu)(m.id)} AND rolled_back_at IS NULL`],
        rowVersionSql: (m) => (0,tracking/* rowVersionsSql */.yl)(table, `migration_name = ${(0,sql_split/* literal */.eu)(m.id)} AND rolled_back_at IS NULL`),
    }),
};

;// CONCATENATED MODULE: ./.build/migrations/formats/supabase.js
/**
 * Supabase CLI: `supabase/migrations/<timestamp>_name.sql`, no down files of its own; we read the
 * down SQL from a `down/` folder (which the CLI does not read) or, for folders written before that
 * was recommended, from `<timestamp>_name.down.sql` beside the migration. The CLI takes that second
 * file for a migration of its own with the same version, so it is read with a warning. Reverting
 * deletes the row from supabase_migrations.schema_migrations, as `migration repair --status
 * reverted` does.
 */


// The CLI's own migration pattern: every file in the folder that matches it is a migration to the CLI.
const UP_FILE = /^(\d+)_(.*)\.sql$/;
const TABLE = { schema: 'supabase_migrations', name: 'schema_migrations' };
const supabase = {
    name: 'supabase',
    ownDir: 'supabase/migrations',
    async detect(dir, entries) {
        const inSupabase = /(^|[\\/])supabase[\\/]migrations[\\/]*$/.test(dir);
        return inSupabase && entries.some((n) => UP_FILE.test(n)) ? 11 : 0;
    },
    async load(dir) {
        const files = await (0,migrations_files/* listFiles */.CS)(dir);
        const downFolder = await (0,migrations_files/* listFiles */.CS)(`${dir}/down`);
        const out = [];
        for (const name of files) {
            const m = UP_FILE.exec(name);
            if (!m || name.endsWith('.down.sql'))
                continue;
            const base = name.slice(0, -'.sql'.length);
            const candidates = [`${base}.down.sql`].filter((f) => files.includes(f));
            candidates.push(...[`${base}.sql`, `${base}.down.sql`].filter((f) => downFolder.includes(f)).map((f) => `down/${f}`));
            const downFile = candidates[0];
            const downSql = downFile ? await (0,migrations_files/* readText */.yR)(dir, downFile) : undefined;
            out.push({ version: m[1], id: m[1], name, addedPath: name, downFile, downSql, downLine: 1, noTransaction: false });
        }
        // The CLI's order: file names as Go's fs.ReadDir sorts them, byte by byte (supabase/cli
        // pkg/migration/list.go ListLocalMigrations), not versions as numbers.
        return out.sort((a, b) => (0,migrations_files/* compareNames */.MP)(a.name, b.name));
    },
    settings(config) {
        (0,tracking/* refuseTableOption */.iX)(config, 'supabase', (0,tracking/* describeTable */.uq)(TABLE));
        // The CLI connects with pgx, which sends the URL's search_path as a session setting.
        return { searchPath: config.params.search_path, trackingTable: async () => TABLE };
    },
    layoutWarnings(_dir, files) {
        return [...(0,migrations_files/* orderWarning */.n5)('The Supabase CLI', 'file name compared as text', (0,migrations_files/* outOfNumericOrder */.tp)(files)), ...besideWarning(files)];
    },
    tracking: (table) => ({
        ...(0,tracking/* versionTableTracking */.__)(table),
        appliedIds: (rows, files) => (0,migrations_files/* inFileOrder */.w$)(rows.map((r) => String(r.version)), files),
    }),
};
function besideWarning(files) {
    const beside = files.map((f) => f.downFile).filter((f) => f !== undefined && !f.startsWith('down/'));
    if (beside.length === 0)
        return [];
    const shown = beside.slice(0, 3).join(', ') + (beside.length > 3 ? ` and ${beside.length - 3} more` : '');
    return [
        `Down files ${shown} sit beside the migrations, where the Supabase CLI takes every <timestamp>_name.sql file for a migration: \`supabase db push\` would see each as a second migration with the version of the one it undoes, and could apply it. ` +
            'Move them to supabase/migrations/down/<timestamp>_name.sql (the CLI does not read that folder); this run reads them where they are.',
    ];
}

;// CONCATENATED MODULE: ./.build/migrations/types.js
const FORMAT_NAMES = ['dbmate', 'golang-migrate', 'node-pg-migrate', 'supabase', 'prisma', 'plain'];

;// CONCATENATED MODULE: ./.build/migrations/registry.js
/** The formats we know, and picking one for a folder: the `format` input, or what the folder looks like. */











const FORMATS = {
    dbmate: dbmate,
    'golang-migrate': golangMigrate,
    'node-pg-migrate': nodePgMigrate,
    supabase: supabase,
    prisma: prisma,
    plain: plain/* plain */.p,
};
function parseFormatName(raw) {
    const value = (raw ?? '').trim().toLowerCase() || 'auto';
    if (value === 'auto' || FORMAT_NAMES.includes(value))
        return value;
    throw new errors/* RollbackKitError */.dp(`Input format must be auto or one of ${FORMAT_NAMES.join(', ')}, got "${raw}".`);
}
/**
 * Where a migrations folder is looked for when none is given, whatever the format: every tool's own
 * folder (db/migrations, migrations, supabase/migrations, prisma/migrations), so a plain or
 * golang-migrate layout kept in any of them is found as with format auto. The one list the docs give.
 */
const MIGRATIONS_DIRS = [...new Set(Object.values(FORMATS).flatMap((f) => (f.ownDir ? [f.ownDir] : [])))];
/**
 * The folder to read: the one given, or the one of MIGRATIONS_DIRS that exists under `root`, the
 * format's own folder first: where the tool itself looks wins, as it would for the tool. Without it,
 * several existing folders leave which one to revert unclear, and are refused. `name` is how
 * messages name the given folder: the input, or the plan file's key that gave it.
 */
function resolveMigrationsDir(root, given, format, name = 'migrations-dir') {
    if (given) {
        const dir = (0,external_node_path_.resolve)(root, given);
        if (!(0,external_node_fs_.existsSync)(dir) || !(0,external_node_fs_.statSync)(dir).isDirectory()) {
            throw new errors/* RollbackKitError */.dp(`${name} ${given} is not a folder in ${root}.`, 'Check the path (relative to the workspace) and that actions/checkout ran before this step.');
        }
        return dir;
    }
    const own = format === 'auto' ? undefined : FORMATS[format].ownDir;
    const candidates = own ? [own, ...MIGRATIONS_DIRS.filter((d) => d !== own)] : MIGRATIONS_DIRS;
    const found = candidates.map((c) => (0,external_node_path_.join)(root, c)).filter((d) => (0,external_node_fs_.existsSync)(d) && (0,external_node_fs_.statSync)(d).isDirectory());
    if (found.length === 0) {
        throw new errors/* RollbackKitError */.dp(`No migrations folder found: none of ${candidates.join(', ')} exists in the workspace.`, 'Set migrations-dir to the folder holding your migrations.');
    }
    if (found.length > 1 && !(own && found[0] === (0,external_node_path_.join)(root, own))) {
        throw new errors/* RollbackKitError */.dp(`Several migrations folders exist (${found.map((d) => d.slice(root.length + 1)).join(', ')}), so which one to revert is unclear.`, 'Set migrations-dir (and format) explicitly.');
    }
    return found[0];
}
async function pickFormat(dir, format) {
    if (format !== 'auto')
        return FORMATS[format];
    const entries = await (0,migrations_files/* listNames */.Zv)(dir);
    if (entries.length === 0) {
        throw new errors/* RollbackKitError */.dp(`The migrations folder ${dir} is empty.`, 'Point migrations-dir at the folder that holds the migration files.');
    }
    let best;
    for (const f of Object.values(FORMATS)) {
        const score = await f.detect(dir, entries);
        if (score > 0 && (!best || score > best.score))
            best = { format: f, score };
    }
    if (!best) {
        throw new errors/* RollbackKitError */.dp(`Cannot tell which migration tool the files in ${dir} belong to.`, `Set format to one of ${FORMAT_NAMES.join(', ')} (see the docs for the file layout each expects).`);
    }
    return best.format;
}


/***/ }),

/***/ 6552:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Dm: () => (/* binding */ withHowToFinish),
/* harmony export */   Zf: () => (/* binding */ howToFinish),
/* harmony export */   o: () => (/* binding */ RecordedPlan),
/* harmony export */   ok: () => (/* binding */ finishWith),
/* harmony export */   qL: () => (/* binding */ runAgain)
/* harmony export */ });
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3867);
/* harmony import */ var _ledger_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(7485);
/**
 * `steps` counts from what is still applied: run again after a failure partway, it reverts that
 * many more. GitHub's "Re-run failed jobs" does exactly that (the same run id, the next attempt,
 * the same inputs), and so does a step run twice in one attempt (a shell retry loop around
 * `rollback-kit down`; matrix legs, which share the job's name), so every run writes its plan in
 * the ledger (ledger.ts) before reverting anything, keyed by run, job, step and tracking table, and
 * a later run of the same step, in any attempt, finishes that plan instead of counting again (or
 * finds it finished: nothing to do). `to-version` and `since-ref` name their target already.
 */


const METHOD = 'run-down-migrations';
/** PostgreSQL's insufficient_privilege: a role that may revert but not create the rollback_kit schema. */
const NO_PRIVILEGE = '42501';
class RecordedPlan {
    run;
    key;
    earlier;
    row;
    constructor(run, key, 
    /** The plan an earlier attempt of this run wrote down, which this attempt finishes. */
    earlier) {
        this.run = run;
        this.key = key;
        this.earlier = earlier;
        this.row = earlier;
    }
    /**
     * Reads what an earlier run of this step recorded, in this attempt or an earlier one. `ledger`:
     * whether the ledger table exists, asked in the round trip that took the lock (revert.ts
     * lockAndFindTables): without it nothing is read, and with it one query reads the row.
     */
    static async read(session, run, table, ledger) {
        const key = `${METHOD}:${run.id}:${run.job}:${run.step}:${table}`;
        const row = await (0,_ledger_js__WEBPACK_IMPORTED_MODULE_1__/* .readLedger */ .SC)(session, key, ledger);
        return new RecordedPlan(run, key, row?.method === METHOD ? row : undefined);
    }
    /** The earlier run's plan as the planner's selector, said in the log; undefined when this run plans. */
    selector(asked, log) {
        if (!this.earlier)
            return undefined;
        const plan = `revert ${this.earlier.planned.join(', ')}${this.earlier.status === 'started' ? '' : '; done'}`;
        const instead = `instead of counting ${asked.kind === 'steps' ? `\`steps: ${asked.steps}\`` : 'steps'} again from what is still applied.`;
        const step = `job ${this.run.job || '?'}, step ${this.run.step || '?'}`;
        log.info(this.run.attempt > 1
            ? `Re-run: attempt ${this.run.attempt} of workflow run ${this.run.id} (${step}) finishes the plan an earlier attempt recorded (${plan}), what is left of it, ${instead}`
            : // The first attempt too: the step ran before in it (a retry loop, a matrix leg of the same job).
                `This step (${step}) ran before in attempt 1 of workflow run ${this.run.id}: this run finishes the plan that run recorded (${plan}), what is left of it, ${instead}`);
        // What was applied when it planned: a migration a deploy applied since is refused, not left applied under "nothing to do".
        return {
            kind: 'recorded',
            planned: this.earlier.planned,
            appliedAtPlan: this.earlier.applied,
            // A finished plan reverted all of it; an unfinished one what its row says (never more than it did).
            reverted: this.earlier.status === 'started' ? this.earlier.reverted : this.earlier.planned,
            ...(this.run.attempt > 1 ? {} : { origin: { who: 'An earlier run of this step in this attempt of the workflow run', hint: 'Run it with to-version (the last migration to keep), after checking what the migrations applied since need; or give the second revert a step of its own.' } }),
        };
    }
    /** Whether a re-run of this job finishes this plan: it is written down. */
    get recorded() {
        return this.row !== undefined;
    }
    /** Writes the plan down before anything is reverted; a role that may not create the table gets a warning and the run goes on. */
    async record(session, plan, log) {
        if (this.row)
            return;
        const row = {
            incidentKey: this.key,
            method: METHOD,
            keepVersion: plan.keep?.version,
            planned: plan.toRevert.map((m) => m.file.version),
            applied: plan.applied.map((m) => m.version),
            reverted: [],
            status: 'started',
        };
        try {
            await (0,_ledger_js__WEBPACK_IMPORTED_MODULE_1__/* .writeLedger */ .XL)(session, row, { log });
            this.row = row;
        }
        catch (err) {
            if (err.code !== NO_PRIVILEGE)
                throw err;
            log.warning(`Could not write the plan to rollback_kit.rollbacks (${err.message}), so a re-run of this job would count steps again from what is still applied. If this step fails partway, finish with the to-version its error gives.`);
        }
    }
    /**
     * What this attempt reverted, added to the row; `done` once the plan is finished. For the record
     * only: a re-run selects from the tracking table what is left of the plan, so a failure here
     * changes nothing a re-run does, and is a warning.
     */
    async update(session, reverted, done, log) {
        if (!this.row)
            return;
        // A finished row found finished stays as its run wrote it: nothing to add to the record.
        if (this.row.status === 'done' && done && reverted.every((v) => this.row.reverted.includes(v)))
            return;
        this.row = { ...this.row, reverted: [...new Set([...this.row.reverted, ...reverted])], status: done ? 'done' : 'started' };
        await (0,_ledger_js__WEBPACK_IMPORTED_MODULE_1__/* .writeLedger */ .XL)(session, this.row, { log }).catch((err) => log.warning(`Could not update this run's row in rollback_kit.rollbacks (${err.message}); a re-run still finishes the plan from what the tracking table says.`));
    }
}
/** The selector a new run finishes the plan with, once `reverted` of it went (`unsure`: the one in flight may have); undefined while the same one still does. */
function finishWith(plan, reverted, unsure) {
    if (!plan || (reverted === 0 && !unsure))
        return undefined;
    return selectorLeft(plan.keep, plan.planned - reverted);
}
/** The selector for what is left of a plan: the version it keeps, or, keeping none, the `left` migrations still applied. */
function selectorLeft(keep, left) {
    return keep ? `\`to-version: ${keep}\`` : `\`steps: ${left}\``;
}
/**
 * A hint's way on (`words`: "re-run", "Run it again", "start a new run"), or, for a plan only a new
 * run with `again` finishes, "start a new run with" it: Re-run jobs runs with the inputs it ran
 * with, the same steps again.
 */
function runAgain(words, again) {
    return again ? `${/^[A-Z]/.test(words) ? 'Start' : 'start'} a new run with ${again}` : words;
}
/**
 * The exact way to finish a `steps` plan that stopped partway, said after the failure's own hint.
 * `keep`: the version the plan keeps (none when it reverts every applied migration); `left`: how
 * many of it are still applied.
 */
function howToFinish(steps, keep, left, rerunFinishes) {
    const again = selectorLeft(keep, left);
    const absolute = keep ? again : `${again}, what is left of it (everything still applied)`;
    // With nothing to keep, a larger steps is refused (more than is applied): no harm to warn of.
    const more = keep ? `\`steps: ${steps}\` would count from what is still applied and revert ${steps} more` : undefined;
    if (rerunFinishes)
        return `With steps, a re-run of this job finishes this plan (the run recorded it); a new run finishes it with ${absolute}${more ? `, while ${more}` : ''}.`;
    return `With steps, finish this plan with ${absolute}${more ? `: ${more}` : ''}.`;
}
/** The failure, with how to finish the plan (howToFinish) added to what to do. */
function withHowToFinish(err, how) {
    // A stop stays one: the callers report it as a stop, not a fault.
    return new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(err.message, err.hint ? `${err.hint} ${how}` : how, err.stopped ? { stopped: true } : {});
}


/***/ }),

/***/ 1742:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   $O: () => (/* binding */ readRevertOptions),
/* harmony export */   tM: () => (/* binding */ workflowRun)
/* harmony export */ });
/* unused harmony exports STATEMENT_TIMEOUT_SECONDS, readChoice */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3867);
/* harmony import */ var _db_connection_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(401);
/* harmony import */ var _registry_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(4703);



/** statement-timeout-seconds' default and range, for the action and the whole rollback's plan alike. */
const STATEMENT_TIMEOUT_SECONDS = { default: 300, min: 1, max: 86_400 };
function readChoice(inputs) {
    const steps = inputs.integer('steps', { min: 1 });
    const toVersion = inputs.string('to-version');
    const sinceRef = inputs.string('since-ref');
    const given = [steps !== undefined && 'steps', toVersion && 'to-version', sinceRef && 'since-ref'].filter(Boolean);
    if (given.length !== 1) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(given.length === 0 ? 'Nothing says which migrations to revert.' : `Inputs ${given.join(' and ')} conflict: they select migrations in different ways.`, 'Give exactly one of steps (how many of the newest), to-version (the last migration to keep) or since-ref (the last good commit).');
    }
    if (steps !== undefined)
        return { steps };
    return toVersion ? { toVersion } : { sinceRef: sinceRef };
}
/**
 * The workflow step from the runner's variables (`env`: the entry point's environment), so a
 * GitHub re-run of it is known as one; undefined outside GitHub Actions.
 */
function workflowRun(env) {
    if (env.GITHUB_ACTIONS !== 'true' || !env.GITHUB_RUN_ID)
        return undefined;
    const attempt = Number(env.GITHUB_RUN_ATTEMPT);
    return { id: env.GITHUB_RUN_ID, attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1, job: env.GITHUB_JOB ?? '', step: env.GITHUB_ACTION ?? '' };
}
/** `databaseUrl`: the database-url input, or the CLI's DATABASE_URL. */
function readRevertOptions(inputs, databaseUrl, ctx, log) {
    if (!databaseUrl)
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp('Input required and not supplied: database-url.');
    const target = (0,_db_connection_js__WEBPACK_IMPORTED_MODULE_1__/* .parseConnectionString */ .HH)(databaseUrl, log);
    return {
        target,
        root: ctx.workspace,
        migrationsDir: inputs.string('migrations-dir'),
        format: (0,_registry_js__WEBPACK_IMPORTED_MODULE_2__/* .parseFormatName */ .EP)(inputs.string('format')),
        migrationsTable: inputs.string('migrations-table'),
        choice: readChoice(inputs),
        dryRun: inputs.boolean('dry-run', false),
        snapshotPath: inputs.string('snapshot-path'),
        requireSnapshot: inputs.boolean('require-snapshot', true),
        lockTimeoutSeconds: inputs.number('lock-timeout-seconds', { default: 10, min: 0, max: 3600 }),
        statementTimeoutSeconds: inputs.number('statement-timeout-seconds', STATEMENT_TIMEOUT_SECONDS),
        tools: ctx.tools,
        run: ctx.run,
    };
}


/***/ }),

/***/ 4187:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  s: () => (/* binding */ RevertFailed),
  a: () => (/* binding */ revertMigrations)
});

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
;// CONCATENATED MODULE: ./.build/core/bounded-wait.js
/**
 * A wait with an end: `promise`'s value, or `fallback` once `ms` have passed, whichever comes first.
 *
 * The timer keeps the process alive while it runs. A wait the run itself awaits must: when what it
 * waits for holds no handle of its own (a session whose socket was unref'd so that it cannot delay
 * the exit), an unref'd timer leaves Node's event loop empty, and Node exits, code 0, with the run
 * half-done and nothing reported. The timer is cleared as soon as the promise settles, so it never
 * delays the end either.
 */
function bounded_wait_within(promise, ms, fallback) {
    let timer;
    const late = new Promise((resolve) => {
        timer = setTimeout(() => resolve(fallback), ms);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
/**
 * A signal aborted `ms` after `stop` is (counting from now when it already is), with the stop's
 * reason (for stopName), and none without a stop: what a stopped run still awaits gets that long.
 * Not unref'd: the run awaits what this timer ends (see within).
 */
function cutAfterStop(stop, ms) {
    if (!stop)
        return { dispose: () => undefined };
    const cut = new AbortController();
    let timer;
    const onStop = () => (timer = setTimeout(() => cut.abort(stop.reason), ms));
    if (stop.aborted)
        onStop();
    else
        stop.addEventListener('abort', onStop, { once: true });
    return {
        signal: cut.signal,
        dispose() {
            clearTimeout(timer);
            stop.removeEventListener('abort', onStop);
        },
    };
}
/**
 * `work`'s value, or `fallback()` once `ms` have passed since `stop` (cutAfterStop). `work` itself
 * is not cancelled: this only bounds how long the run waits for it after a stop.
 */
async function afterStopWithin(work, stop, ms, fallback) {
    const cut = cutAfterStop(stop, ms);
    const cutSignal = cut.signal;
    if (!cutSignal)
        return work;
    const late = Symbol('late');
    const ended = new Promise((resolve) => cutSignal.addEventListener('abort', () => resolve(late), { once: true }));
    try {
        const got = await Promise.race([work, ended]);
        return got === late ? fallback() : got;
    }
    finally {
        cut.dispose();
    }
}

// EXTERNAL MODULE: ./.build/core/errors.js + 1 modules
var errors = __nccwpck_require__(3867);
// EXTERNAL MODULE: ./.build/db/connection.js
var connection = __nccwpck_require__(401);
// EXTERNAL MODULE: ./.build/core/lazy-builtins.js + 1 modules
var lazy_builtins = __nccwpck_require__(6156);
;// CONCATENATED MODULE: external "node:stream"
const external_node_stream_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");
;// CONCATENATED MODULE: ./.build/db/session.js
/**
 * Opening a database session, with PostgreSQL's and the network's failures turned into messages
 * that name the target (host:port/db) and say what to check. Never includes the password.
 */



/**
 * A failure to open a session; `code` keeps the driver's or PostgreSQL's code (ECONNREFUSED, 28P01, \u2026),
 * `fromServer` whether PostgreSQL (or a pooler in front of it) answered the startup with an error or
 * a refusal of SSL, rather than the network failing.
 */
class ConnectionError extends errors/* RollbackKitError */.dp {
    code;
    fromServer;
    constructor(message, hint, code, fromServer = false) {
        super(message, hint);
        this.code = code;
        this.fromServer = fromServer;
        this.name = 'ConnectionError';
    }
    /**
     * The server answered and refused what the connection string asks for: a password, user, database,
     * startup option, SSL requirement or pg_hba rule. That server is up and the URL is wrong, not an
     * outage. A server that is down, starting, shutting down or out of connections is an outage.
     */
    get isConfiguration() {
        return this.fromServer && !isOutageCode(this.code);
    }
}
/**
 * What a server answers at startup when it cannot serve anyone right now: out of resources (class 53:
 * too many connections, disk full, out of memory), shutting down, crashed or starting up (57P01\u201357P03),
 * a system or internal error (58, XX). Everything else it answers means the connection string is wrong.
 */
function isOutageCode(code) {
    return /^(53|57P0[1-3]|58|XX)/.test(code);
}
/** PostgreSQL's ErrorResponse, as node-postgres hands it on: a five-character SQLSTATE and a severity. */
function isServerError(err) {
    const e = err;
    return typeof e?.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
}
/** The server answered "N" to the SSL request: it has no SSL, and the connection string requires it. */
const NO_SSL = /^The server does not support SSL connections$/;
/** The server asks for a password and the connection string has none. */
const NO_PASSWORD = /client password must be a (non-empty )?string/;
/** Node's TLS verification failures (sslmode=verify-ca / verify-full against a certificate that does not match). */
const TLS_VERIFY = /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/;
/**
 * The stop came while the session was still being opened: nothing had been sent to the database
 * but the startup, so nothing was changed (and nothing read).
 */
class ConnectStopped extends errors/* RollbackKitError */.dp {
    where;
    constructor(where) {
        super(`Stopped while still connecting to PostgreSQL at ${where}: nothing had been sent to the database, so nothing was changed.`, 'Run it again when it can run to its end.', { stopped: true, changed: 'no' });
        this.where = where;
        this.name = 'ConnectStopped';
    }
}
/** A query got no answer within its deadline; the connection was closed, the query's outcome is unknown. */
class QueryDeadlineExceeded extends Error {
    /** The code a lost connection has: code that tells connection loss apart treats it as one. */
    code = 'ETIMEDOUT';
    constructor(ms, statements, marginMs) {
        super(`no answer within ${seconds(ms)} s (the statement timeout for each of the query's ${statements} statement(s), plus ${seconds(marginMs)} s for the answer to come back), so the connection was closed`);
        this.name = 'QueryDeadlineExceeded';
    }
}
function seconds(ms) {
    return String(Math.round(ms / 100) / 10);
}
const deadlines = new WeakMap();
function isStream(value) {
    return value instanceof external_node_stream_namespaceObject.Readable || value instanceof external_node_stream_namespaceObject.Writable;
}
function isPromise(value) {
    return typeof value?.then === 'function';
}
/**
 * Every query the session sends races its deadline. At the deadline the connection is closed: the
 * query is still in flight, so nothing else could be sent on it, and its answer may never come.
 */
function enforceDeadlines(client, deadline) {
    const state = { deadline, statements: 1 };
    deadlines.set(client, state);
    const send = client.query.bind(client);
    const bounded = (...args) => {
        const result = send(...args);
        if (state.statements === undefined)
            return result;
        const statements = state.statements;
        const ms = statements * deadline.statementMs + deadline.marginMs;
        // A COPY (pg-copy-streams) is a stream, not a promise: it must have ended by the deadline too.
        if (isStream(result)) {
            const timer = setTimeout(() => {
                session_dropConnection(client);
                result.destroy(new QueryDeadlineExceeded(ms, statements, deadline.marginMs));
            }, ms);
            (0,external_node_stream_namespaceObject.finished)(result, () => clearTimeout(timer));
            return result;
        }
        if (!isPromise(result))
            return result;
        let timer;
        const expired = new Promise((_, reject) => {
            timer = setTimeout(() => {
                session_dropConnection(client);
                reject(new QueryDeadlineExceeded(ms, statements, deadline.marginMs));
            }, ms);
        });
        return Promise.race([result, expired]).finally(() => clearTimeout(timer));
    };
    Object.assign(client, { query: bounded });
}
/**
 * Runs `fn` with room for `statements` statements in each of its queries (one query holding a
 * whole migration), or with no deadline (undefined: SQL that sets statement_timeout itself, which
 * the deadline would otherwise cut short). A session without a deadline just runs `fn`.
 */
async function withQueryDeadline(session, statements, fn) {
    const state = deadlines.get(session);
    if (!state)
        return fn();
    const before = state.statements;
    state.statements = statements;
    try {
        return await fn();
    }
    finally {
        state.statements = before;
    }
}
const READ_ONLY_OPTION = '-c default_transaction_read_only=on';
async function session_connect(target, opts = {}) {
    try {
        const session = await openWithOptions(target, (0,connection/* pgClientConfig */.f3)(target, opts), opts);
        if (opts.queryDeadline)
            enforceDeadlines(session, opts.queryDeadline);
        return session;
    }
    finally {
        opts.onAsked?.();
    }
}
async function openWithOptions(target, config, opts) {
    // A transaction pooler hands the session's startup options to server sessions others share
    // (or refuses them): there the caller's own READ ONLY transaction is what holds.
    if (!opts.readOnly || (0,connection/* isTransactionPooler */.ex)(target))
        return session_open(target, config, opts.signal, opts.onAsked);
    try {
        // After the URL's own options, so that a `-c default_transaction_read_only=off` there loses.
        return await session_open(target, { ...config, options: [config.options, READ_ONLY_OPTION].filter(Boolean).join(' ') }, opts.signal, opts.onAsked);
    }
    catch (err) {
        // Poolers such as pgbouncer refuse startup parameters they do not know. The caller's own
        // READ ONLY transaction still holds there; the session default is a second line only.
        if (err instanceof ConnectionError && /unsupported startup parameter/i.test(err.message))
            return session_open(target, config, opts.signal, opts.onAsked);
        throw err;
    }
}
let driver;
/**
 * The driver, loaded with the first session, not with the bundle: a step that fails on its inputs
 * never needs it. As it loads, pg asks whether it runs in a Cloudflare Worker: where there is no
 * `navigator` (Node 20; Node 21 and later have one) it builds a fetch `Response` to find out, which
 * loads Node's bundled HTTP client, undici: about 50 ms of every step's start, for a class never
 * used. A `navigator` such as later Node versions have answers the question instead, for the
 * length of the import only.
 */
function loadDriver() {
    driver ??= (async () => {
        const global = globalThis;
        const stand = global.navigator === undefined;
        if (stand)
            Object.defineProperty(global, 'navigator', { value: { userAgent: `Node.js/${process.versions.node}` }, configurable: true, writable: true });
        try {
            return (await __nccwpck_require__.e(/* import() */ 849).then(__nccwpck_require__.bind(__nccwpck_require__, 3849))).default;
        }
        finally {
            if (stand)
                delete global.navigator;
        }
    })();
    return driver;
}
/** The parameters the server reported (ParameterStatus) for each session: at startup, and each time one changes. */
const reported = new WeakMap();
/** Keeps what the server reports of its parameters; node-postgres reads them but does not keep them. */
function keepReportedParameters(client) {
    const parameters = new Map();
    reported.set(client, parameters);
    client.connection.on('parameterStatus', (msg) => {
        parameters.set(msg.parameterName, msg.parameterValue);
    });
}
/**
 * The session's standard_conforming_strings now: off, a backslash in a '\u2026' string escapes the next
 * character. PostgreSQL reports it at the start and whenever it changes (a SET, RESET, or the end of
 * the transaction of a SET LOCAL), before the query that changed it completes, so this asks the
 * server only when it never did (a proxy that does not pass the reports on).
 */
async function standardConformingStrings(session) {
    const value = reported.get(session)?.get('standard_conforming_strings') ??
        (await session.query('SHOW standard_conforming_strings')).rows[0].standard_conforming_strings;
    return value === 'on';
}
async function session_open(target, config, signal, onAsked) {
    const { Client } = await loadDriver();
    if (signal?.aborted)
        throw new ConnectStopped((0,connection/* describeTarget */.ff)(target));
    const client = new Client(config);
    // A dropped connection must surface on the next query, not crash the process.
    client.on('error', () => undefined);
    // Before connecting: the server reports every parameter's starting value during the startup.
    keepReportedParameters(client);
    // As pg's own connect timeout ends an attempt: the socket closed, so connect() fails at once.
    const giveUp = () => session_dropConnection(client);
    signal?.addEventListener('abort', giveUp, { once: true });
    try {
        const connecting = client.connect();
        // After pg's own listener, which writes the startup (or the SSL request) as the socket connects.
        if (onAsked)
            client.connection.once('connect', onAsked);
        await connecting;
    }
    catch (err) {
        if (signal?.aborted) {
            // Not awaited: the socket is already gone, and the stopped run has no time to wait on it.
            void client.end().catch(() => undefined);
            throw new ConnectStopped((0,connection/* describeTarget */.ff)(target));
        }
        await client.end().catch(() => undefined);
        throw connectionError(target, err);
    }
    finally {
        signal?.removeEventListener('abort', giveUp);
    }
    return client;
}
/**
 * Ends a session as libpq's PQfinish does: Terminate sent and our side closed, without holding the
 * process until the server's backend has exited and closed its side, which pg's end() waits for
 * (20\u201340 ms of every run's end on a busy server, with nothing of ours left to do). Whatever must
 * land before the end (a commit, a lock released) is awaited before this is called.
 */
function session_closeSession(session) {
    const ended = session.end().catch(() => undefined);
    session.connection?.stream?.unref?.();
    // Resolves once the server has closed its side, its backend gone: for a caller that must stay
    // within a connection limit before it opens another (restore-db's lock watcher).
    return ended;
}
/**
 * Closes a session's socket at once, sending nothing: for a connection that may be stalled (a query
 * past its deadline, a connect or a wait a stop ends), where end() would wait on it. Its query in
 * flight, if any, then fails as the connection closes.
 */
function session_dropConnection(session) {
    session.connection?.stream?.destroy?.();
}
/**
 * Closes a session at the run's stop (at once if it already came), for a session that only reads
 * before anything is changed (a plan): whatever it waits for then (a table lock, up to
 * lock-timeout) ends at once, instead of outlasting the stop's grace so that the run could only say
 * its state is not known. Never for a session whose work must not be cut anywhere. Returns what
 * removes the listener.
 */
function closeAtStop(session, signal) {
    if (!signal)
        return () => undefined;
    const close = () => session_dropConnection(session);
    if (signal.aborted)
        close();
    else
        signal.addEventListener('abort', close, { once: true });
    return () => signal.removeEventListener('abort', close);
}
/** Runs `fn` with a session and always closes it. */
async function withSession(target, fn, opts = {}) {
    const session = await session_connect(target, opts);
    try {
        return await fn(session);
    }
    finally {
        session_closeSession(session);
    }
}
function connectionError(target, err) {
    const where = (0,connection/* describeTarget */.ff)(target);
    const e = err;
    const code = e?.code ?? '';
    const message = e?.message ?? String(err);
    const fromServer = isServerError(err);
    const fail = (text, hint, refused = fromServer) => new ConnectionError(text, hint, code, refused);
    switch (code) {
        case 'ECONNREFUSED':
            return fail(`Cannot reach PostgreSQL at ${where}: connection refused.`, 'Check the host and port in database-url and that the server is running.');
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
            return fail(`Cannot reach PostgreSQL at ${where}: host "${target.host}" not found.`, 'Check the host name in database-url.');
        case 'ETIMEDOUT':
        case 'EHOSTUNREACH':
        case 'ENETUNREACH':
            return fail(`Cannot reach PostgreSQL at ${where}: no answer (${code}).`, 'Check the host, port and firewall; GitHub-hosted runners reach only IPv4 addresses.');
        case '28P01':
            return fail(`PostgreSQL at ${where} rejected the password for user "${target.user}".`, `Check the password in database-url: ${(0,connection/* passwordHint */.Vo)(target)}.`);
        case '28000':
            return fail(`PostgreSQL at ${where} refused user "${target.user}": ${message}.`, 'Check the user name and the server\'s pg_hba.conf / SSL requirements (sslmode=require).');
        case '3D000':
            return fail(`Database "${target.database}" does not exist on ${target.host}:${target.port}.`, 'Check the database name in database-url.');
        case '53300':
            return fail(`PostgreSQL at ${where} has no free connection slots.`, 'Use a session pooler or free connections, then retry.');
    }
    if (NO_SSL.test(message)) {
        return fail(`PostgreSQL at ${where} does not accept SSL, and database-url requires it (sslmode=${target.params.sslmode ?? 'require'}).`, 'Turn SSL on at the server, or use sslmode=prefer (or disable) for a server that has none.', true);
    }
    if (NO_PASSWORD.test(message)) {
        return fail(`PostgreSQL at ${where} asks user "${target.user}" for a password, and database-url has none.`, target.keyValue ? `Put the password in database-url: ${(0,connection/* passwordHint */.Vo)(target)}.` : 'Put the password in database-url (postgres://user:password@host/db, percent-encoded).', true);
    }
    if (TLS_VERIFY.test(code)) {
        return fail(`PostgreSQL at ${where}: its certificate does not pass sslmode=${target.params.sslmode ?? 'verify-full'} (${code}).`, 'Check sslrootcert and the host name in database-url against the server\'s certificate.', true);
    }
    if (fromServer && !isOutageCode(code)) {
        return fail(`PostgreSQL at ${where} refused the connection: ${message} (SQLSTATE ${code}).`, 'Check the parameters of database-url (options, sslmode, user, database) against what the server accepts.');
    }
    if (/timeout/i.test(message)) {
        return fail(`Cannot reach PostgreSQL at ${where}: no answer within the connect timeout.`, 'Check the host, port and firewall; GitHub-hosted runners reach only IPv4 addresses.');
    }
    // Something answered at that port and then hung up without a word of PostgreSQL's protocol: most
    // often not a PostgreSQL server at all (an HTTP port), a proxy or load balancer that cuts the
    // session, or a server that takes only TLS. Said as the refused and timeout cases are: what to check.
    if (code === 'ECONNRESET' || /connection terminated unexpectedly|socket hang up/i.test(message)) {
        const tls = !target.params.sslmode || /^(disable|allow|prefer)$/.test(target.params.sslmode) ? '; or it requires TLS: add sslmode=require to database-url' : '';
        return fail(`Cannot connect to PostgreSQL at ${where}: the server closed the connection before it answered (${message.replace(/\.$/, '')}).`, `Check that ${target.host}:${target.port} is a PostgreSQL server (not an HTTP port, an SSH tunnel that is down, or a proxy or load balancer that cuts the session)${tls}.`);
    }
    return fail(`Cannot connect to PostgreSQL at ${where}: ${message}.`);
}

;// CONCATENATED MODULE: ./.build/db/lock-wait.js
/**
 * Lock waits. A snapshot or a restore must never wait forever behind another session (an idle
 * transaction, a stuck migration): our sessions run under a lock timeout, and while they run a
 * watcher on a separate connection notes which sessions block them, so the error can name the
 * blocking pid and what it is doing. The watcher has to look while the wait lasts: once the lock
 * timeout has fired, pg_blocking_pids has nothing left to say.
 */





const DEFAULT_LOCK_TIMEOUT_SECONDS = 30;
/** A blocker's query is cut to this: enough to recognise it, little room for literals it holds. */
const QUERY_CHARS = 80;
/**
 * What is read of a blocker's query: it is redacted before it is cut to QUERY_CHARS, and a secret
 * that begins within those must be read whole to be recognised.
 */
const QUERY_READ_CHARS = 1000;
const POLL_MS = 200;
/** PostgreSQL's lock_timeout for `seconds`; 0 means "do not wait", which for PostgreSQL is 1 ms (its 0 is "forever"). */
function lockTimeoutMs(seconds) {
    return Math.max(1, Math.round(seconds * 1000));
}
/** An application_name that picks out this run's sessions in pg_stat_activity. */
function sessionTag(kind) {
    return `rollback-kit-${kind}-${nodeCrypto().randomBytes(4).toString('hex')}`;
}
/**
 * How long a backend of a running pg_dump or psql may be missing from pg_stat_activity before its
 * connection is taken to have stalled. It is there from the program's connection to its exit (a
 * program ending takes milliseconds between the two), so this needs no room for slow work, only for
 * the watcher's own view: two minutes, more than the 40-60 s in which keepalives and
 * tcp_user_timeout end a connection whose peer really vanished (connection.ts), so that a failure
 * the program can see itself is reported in its own words first.
 */
const DEFAULT_STALL_MS = 120_000;
/** What makes a stall, and what to do: said by every program's stall error (snapshot, restore). */
const STALL_CAUSE = 'Something between this runner and the server kept the connection open after the server side had ended: a pooler (pgbouncer), a cloud SQL proxy or a NAT box whose upstream failed. Check it (or connect without it)';
/**
 * The watcher's queries read pg_stat_activity and pg_locks and answer in milliseconds: each runs no
 * longer than this, and its answer is waited for no longer than that and the margin, so a watcher
 * whose connection stalls neither polls on forever behind the one in flight nor holds stop().
 */
const WATCH_DEADLINE = { statementMs: 10_000, marginMs: 5_000 };
/**
 * How long stop() waits for a poll in flight (it may be ending the sessions of a cycle) before it
 * closes the connection under it: a poll takes milliseconds, and one on a stalled connection forever.
 */
const STOP_WAIT_MS = 2000;
/** A lock timeout, from a PostgreSQL error code or from a pg_* tool's stderr. */
function isLockTimeout(codeOrText) {
    if (!codeOrText)
        return false;
    // pg_dump waits for its table locks under statement_timeout (--lock-wait-timeout), the others under lock_timeout.
    return codeOrText === '55P03' || /lock timeout|could not obtain lock on|statement timeout[\s\S]*Query was: LOCK TABLE/i.test(codeOrText);
}
/** A watch that watches nothing: for a watcher that could not connect, or was not needed after all. */
function notWatching() {
    return { watching: false, cancelWaitsAfter: () => undefined, cancelled: () => false, stop: async () => [] };
}
/**
 * The one cancel (cancelQuery, and watchBlockers' cancel of long waits): the statement of backend
 * $1, if it is still named $2 (NULL: any) and, with $3, only while it waits for a lock. Whether one
 * was cancelled comes back in `ok` (no row: no such backend).
 */
const CANCEL_SQL = `SELECT pg_cancel_backend(pid) AS ok FROM pg_stat_activity
  WHERE pid = $1 AND ($2::text IS NULL OR application_name = $2) AND (NOT $3::boolean OR wait_event_type = 'Lock')`;
async function cancelOn(session, pid, opts) {
    const { rows } = await session.query(CANCEL_SQL, [pid, opts.applicationName ?? null, opts.onlyLockWait === true]);
    return rows[0]?.ok === true;
}
/**
 * Cancels what backend `pid` runs, from a connection of its own: for a read-only session a stop
 * ends at once (a snapshot's lock wait or count), where nothing it does can be left half-done; for a
 * down migration's transaction, which rolls back whole; `onlyLockWait` for a statement that may
 * not be cancelled once it runs (revert.ts). Best effort: the statement's own timeouts bound it anyway.
 */
async function cancelQuery(target, pid, log, opts = {}) {
    try {
        // Bounded as the watcher's queries are: a cancel on a stalled connection must end too.
        await withSession(target, (s) => cancelOn(s, pid, opts), { queryDeadline: opts.queryDeadline ?? WATCH_DEADLINE });
    }
    catch (err) {
        log.debug(`Could not cancel the query of pid ${pid}: ${err.message}`);
    }
}
/**
 * Watches, from its own connection, for sessions that block any session named `applicationName`.
 * A watcher that cannot connect watches nothing: the lock timeout still bounds the wait.
 */
async function watchBlockers(target, applicationName, log, opts = {}) {
    let session;
    const deadline = opts.queryDeadline ?? WATCH_DEADLINE;
    /** The name the watcher's session is opened with: seen as such, the server shows sessions by the names they were opened with. */
    const ownName = clientApplicationName(target);
    /** The watcher's connection ended under it (a stalled one is closed at its query deadline). */
    let lost = false;
    const opened = async () => {
        const s = await connect(target, { queryDeadline: deadline, signal: opts.signal });
        s.once('end', () => (lost = true));
        return s;
    };
    try {
        session = await opened();
    }
    catch (err) {
        log.debug(`Not watching for blocking sessions: ${err.message}`);
        return notWatching();
    }
    /** Every name whose sessions are ours: ours, and the caller's. */
    const ours = opts.callerSessions === undefined ? [applicationName] : [applicationName, opts.callerSessions];
    let last = [];
    let polling = Promise.resolve();
    /** When each session of ours was first seen waiting for a lock, in this unbroken wait. */
    const waitingSince = new Map();
    let cancelled = false;
    let cancelAfterMs;
    const cancelLongWaits = async (limitMs) => {
        const { rows } = await session.query("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [applicationName]);
        const now = Date.now();
        for (const pid of [...waitingSince.keys()])
            if (!rows.some((r) => r.pid === pid))
                waitingSince.delete(pid);
        for (const { pid } of rows) {
            const since = waitingSince.get(pid) ?? now;
            waitingSince.set(pid, since);
            if (now - since < limitMs)
                continue;
            // Only while it still waits for a lock: a statement that got its lock in the meantime is left alone.
            // Said before the answer, as cycleSeen is: the cancelled statement's error can reach its caller
            // (who then asks cancelled()) before this query's answer reaches the watcher.
            const before = cancelled;
            cancelled = true;
            if (!(await cancelOn(session, pid, { onlyLockWait: true, applicationName })))
                cancelled = before;
            waitingSince.delete(pid);
        }
    };
    let cycleSeen = false;
    /** Ends every session of ours but the watcher's own: their locks go, and so does the wait behind them. */
    const endOurs = async (blockers) => {
        cycleSeen = true;
        await session.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ANY($1::text[]) AND pid <> pg_backend_pid()', [ours]);
        opts.onCycle(blockers);
    };
    let timeoutSet = false;
    const stall = opts.stall;
    /** The most backends of the program seen at once; when fewer than those (or than all it opens) have been seen since, and how much output there was then. */
    let most = 0;
    /** A program of several's leader: of the first look that saw all its backends at once, the one that started first. */
    let leader;
    /**
     * Whether this server shows sessions by the name they were opened with (the watcher's own) and is
     * the program's (StallWatch.writes): what makes a backend of the program never seen there a gone one (dueAt).
     */
    let namesShown = false;
    let gone;
    let stallSeen = false;
    /** The server the program's backends were counted on (its postmaster's start time). */
    let server;
    /** `named`: the sessions named as ours (the watcher's own left out), with when each backend started. */
    const watchStall = async (named) => {
        if (!stall || stallSeen)
            return;
        const now = Date.now();
        const backends = stall.backends(named.map((n) => n.pid));
        const count = backends.length;
        most = Math.max(most, count);
        // Until a second backend of it has been seen, a program of several may rightly be on its first
        // alone (pg_dump reading the catalogue): all of them are due only from then on. Once all were
        // seen, its leader alone again is its end (pg_dump syncing its files after its workers left);
        // a worker alone is not: told apart by when their backends started, not by which were seen
        // first, since a first look may see them all at once.
        const all = stall.backendsInAll;
        if (all !== undefined && leader === undefined && count >= all) {
            const started = new Map(named.map((n) => [n.pid, n.startedAt]));
            leader = backends.reduce((a, b) => (started.get(b) < started.get(a) ? b : a));
        }
        const leaderAlone = leader !== undefined && count === 1 && backends[0] === leader;
        let due = leaderAlone ? 1 : all !== undefined && most > 1 ? Math.max(most, all) : most;
        // Past its connect, on a server that shows its sessions: its first backend is due, seen or not.
        const dueAt = stall.dueAt?.();
        if (due === 0 && namesShown && dueAt !== undefined && now >= dueAt)
            due = 1;
        if (!stall.running() || count >= due) {
            gone = undefined;
            return;
        }
        const bytes = await stall.progress?.().catch(() => undefined);
        if (!gone || (bytes !== undefined && bytes !== gone.bytes))
            gone = { since: now, bytes };
        if (now - gone.since < stall.afterMs || !stall.running())
            return;
        stallSeen = true;
        stall.onStall(now - gone.since);
    };
    /** The watcher's connection was opened again since the last look: it may have reached another server. */
    let reopened = false;
    const poll = async () => {
        if (lost && stall) {
            // Only a stall watch opens its connection again: it is what would see a stall, and a proxy
            // that stalled the program's connection may well have stalled the watcher's too.
            const old = session;
            session = await opened();
            lost = false;
            reopened = true;
            timeoutSet = false;
            closeSession(old);
        }
        // Set with the first poll, not before the watch starts: the wait it watches is under way.
        if (!timeoutSet) {
            await session.query("SELECT set_config('statement_timeout', $1, false)", [String(deadline.statementMs)]);
            timeoutSet = true;
        }
        // [[:space:]], not \s: a backslash in a string is an escape where standard_conforming_strings is off.
        const { rows } = await session.query(`SELECT DISTINCT b.pid, b.usename AS user, b.state, extract(epoch FROM now() - coalesce(b.xact_start, b.query_start))::int AS seconds,
              left(regexp_replace(b.query, '[[:space:]]+', ' ', 'g'), ${QUERY_READ_CHARS}) AS query,
              EXISTS (SELECT 1 FROM unnest(pg_blocking_pids(b.pid)) AS ours(pid) JOIN pg_stat_activity o ON o.pid = ours.pid WHERE o.application_name = ANY($2::text[])) AS waits_for_us
         FROM pg_stat_activity w
        CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid)
         JOIN pg_stat_activity b ON b.pid = bp.pid
        WHERE w.application_name = $1 AND NOT coalesce(b.application_name = ANY($2::text[]), false)
        ORDER BY b.pid`, [applicationName, ours]);
        const seen = rows.map((r) => ({ pid: r.pid, user: r.user ?? '?', state: r.state ?? 'unknown', seconds: r.seconds, query: r.query ?? '', waitsForUs: r.waits_for_us }));
        if (seen.length)
            last = seen;
        const cycle = seen.filter((b) => b.waitsForUs);
        if (opts.onCycle && !cycleSeen && cycle.length)
            await endOurs(cycle);
        if (cancelAfterMs !== undefined)
            await cancelLongWaits(cancelAfterMs);
        if (stall) {
            // The watcher's own name as the server shows it, and whether the server is in recovery, count
            // only until a backend of the program is seen (namesShown: for one never seen, dueAt), and
            // not once they have shown the names: asked until then, and on a connection opened again
            // (another server, maybe, where the count starts over).
            const ask = reopened || (most === 0 && !namesShown);
            const named = await session.query(`SELECT a.pid, extract(epoch FROM a.backend_start)::float8 AS backend_start, pg_postmaster_start_time()::text AS started,
                CASE WHEN $2 THEN (SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()) END AS own_name,
                CASE WHEN $2 THEN pg_is_in_recovery() END AS standby
           FROM (SELECT 1) one LEFT JOIN pg_stat_activity a ON a.application_name = $1 AND a.pid <> pg_backend_pid()`, [applicationName, ask]);
            reopened = false;
            const started = named.rows[0].started;
            if (server !== started) {
                most = 0;
                leader = undefined;
                namesShown = false;
                gone = undefined;
                server = started;
            }
            const sessions = named.rows.flatMap((r) => (r.pid === null ? [] : [{ pid: r.pid, startedAt: r.backend_start ?? 0 }]));
            if (ask) {
                const programs = stall.writes ? named.rows[0].standby === false : sessions.some((n) => !stall.backends([n.pid]).length);
                namesShown ||= named.rows[0].own_name === ownName && programs;
            }
            await watchStall(sessions);
        }
    };
    // The first look before the watch is handed over: a caller that awaits it before starting its
    // program (snapshot.ts) has it watched from its first backend on, and knows whether this server
    // shows its sessions (StallWatch.dueAt) before that backend is due. Waited for no longer than a
    // poll on a working connection takes, so that a watcher whose connection stalls holds up nothing
    // (the look goes on, as any poll does).
    let busy = true;
    polling = poll()
        .catch(() => undefined)
        .finally(() => (busy = false));
    await within(polling, STOP_WAIT_MS, undefined);
    const timer = setInterval(() => {
        if (busy)
            return;
        busy = true;
        polling = polling
            .then(poll)
            .catch(() => undefined)
            .finally(() => (busy = false));
    }, POLL_MS);
    return {
        watching: true,
        cancelWaitsAfter: (seconds) => {
            cancelAfterMs = lockTimeoutMs(seconds);
        },
        cancelled: () => cancelled,
        async stop() {
            clearInterval(timer);
            const polled = await within(polling.then(() => true), STOP_WAIT_MS, false);
            closeSession(session);
            // A poll still in flight (a stalled connection) fails as its connection closes.
            if (!polled)
                dropConnection(session);
            return last;
        },
    };
}
/**
 * Who holds what a session waited for (HeldLock), asked on that session once its wait has failed: a
 * lock_timeout only ends the statement, so the session can still ask, and the holder (an idle
 * transaction, a stuck migration) most often holds it still. The watcher (watchBlockers) has to look
 * during the wait, and takes a connection of its own: this is for a session that had none watching.
 * Nothing when it cannot ask (the error then names no session).
 */
async function lockHolders(session, held) {
    // Another session's temporary tables and tables not committed yet are never what ours read.
    const which = held === 'reads'
        ? `l.mode = 'AccessExclusiveLock' AND l.database IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))
           AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = l.relation AND c.relpersistence <> 't')`
        : 'l.relation = to_regclass($1)';
    try {
        const { rows } = await session.query(`SELECT DISTINCT a.pid, a.usename AS user, a.state, extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::int AS seconds,
              left(regexp_replace(a.query, '[[:space:]]+', ' ', 'g'), ${QUERY_READ_CHARS}) AS query
         FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
        WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid() AND ${which}
        ORDER BY a.pid`, held === 'reads' ? [] : [held.relation]);
        return rows.map((r) => ({ pid: r.pid, user: r.user ?? '?', state: r.state ?? 'unknown', seconds: r.seconds, query: r.query ?? '' }));
    }
    catch {
        return [];
    }
}
/** `pid 4242 (user app, idle in transaction for 35 s): "LOCK TABLE \u2026"`, redacted and cut short. */
function describeBlockers(blockers, log) {
    return blockers
        .map((b) => {
        const query = log.excerpt(b.query, QUERY_CHARS + 1);
        const since = b.seconds === null ? '' : ` for ${b.seconds} s`;
        return `pid ${b.pid} (user ${b.user}, ${b.state}${since}${query ? `, last query "${query}"` : ''})`;
    })
        .join('; ');
}
const SNAPSHOT_CYCLE = { held: 'this snapshot', waited: 'the snapshot (pg_dump)', letGo: 'The snapshot' };
/** A wait that went both ways, ended by ending our sessions: the sessions that waited for us. */
class LockCycleError extends errors/* RollbackKitError */.dp {
    blockers;
    constructor(message, hint, blockers, facts = {}) {
        super(message, hint, facts);
        this.blockers = blockers;
    }
}
/**
 * The error for a wait that went both ways (WatchOptions.onCycle): a session asked for a table we
 * held, and ours queued behind it. Ours were ended at once, so that session went ahead. `facts`:
 * what `state` says, for callers that decide by it (a restore: `changed: 'no'`).
 */
function lockCycleError(what, blockers, state, log, ours = SNAPSHOT_CYCLE, facts = {}) {
    const who = `${blockers.length > 1 ? 'sessions' : 'session'} ${describeBlockers(blockers, log)}`;
    return new LockCycleError(`${what} stopped: ${who} asked for a table ${ours.held} had locked, and ${ours.waited} then had to wait behind it: each waited for the other, and every query on that table waited behind both. ${ours.letGo} let go at once, so that session went ahead.`, `${state} Run again once it has finished (a migration or other schema change running now).`, blockers, { ...facts, blocked: true });
}
/** The error for a lock that was not granted in time: who holds it, what was (not) changed (`state`, and as `facts`), what to do. */
function lockTimeoutError(what, seconds, blockers, state, log, facts = {}) {
    const who = blockers.length
        ? `held by ${blockers.length > 1 ? 'sessions' : 'session'} ${describeBlockers(blockers, log)}`
        : 'another session holds it (it ended or was not seen in pg_stat_activity in time)';
    const end = blockers.length ? ` (SELECT pg_terminate_backend(${blockers[0].pid}) ends it)` : '';
    return new RollbackKitError(`${what} stopped: a lock was not granted within lock-timeout-seconds (${seconds} s), ${who}.`, `${state} Once that session has finished or been ended${end}, run again; or raise lock-timeout-seconds.`, { ...facts, blocked: true });
}

;// CONCATENATED MODULE: external "node:timers/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:timers/promises");
// EXTERNAL MODULE: ./.build/migrations/sql-split.js + 1 modules
var sql_split = __nccwpck_require__(9247);
;// CONCATENATED MODULE: ./.build/migrations/lock.js
/**
 * One migration run at a time: a session advisory lock, on the tool's own key where it has one so
 * the tool and this action exclude each other. Polled with pg_try_advisory_lock so the wait is
 * bounded, and when it runs out the error says who holds the lock.
 */



/** Ours, for tools that take no lock of their own (dbmate, Supabase, plain). */
const ROLLBACK_KIT_LOCK_KEY = '5290377542401023';
const lock_POLL_MS = 250;
/**
 * One try for the lock, as a statement with the key inlined: it can go in one query with others
 * (the run's first round trip). Its one row says in `locked` whether the lock was granted.
 */
function tryLockSql(key) {
    return `SELECT pg_try_advisory_lock(${(0,sql_split/* literal */.eu)(key)}::bigint) AS locked`;
}
async function tryLock(session, key) {
    const r = await session.query(tryLockSql(key));
    return r.rows[0]?.locked === true;
}
/** pg_locks rows `l` of the granted advisory lock $1 in this database (a bigint key shows as classid = high 32 bits, objid = low 32 bits). */
const GRANTED_ADVISORY_LOCK = `l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`;
/** Who else holds the advisory lock `key` in this database. */
async function lock_lockHolders(session, key) {
    const r = await session.query(`SELECT l.pid, a.application_name AS application, host(a.client_addr) AS client, a.usename,
            coalesce(a.xact_start, a.backend_start) AS since, a.state
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE ${GRANTED_ADVISORY_LOCK}
        AND l.pid <> pg_backend_pid()`, [key]);
    return r.rows.map((row) => ({
        pid: row.pid,
        application: row.application || '(no application_name)',
        client: row.client ?? 'local socket',
        user: row.usename ?? '?',
        since: row.since ? row.since.toISOString() : '?',
        state: row.state ?? '?',
    }));
}
/** Whether this session still holds the advisory lock `key`: false too when the session is gone. */
async function holdsLock(session, key) {
    try {
        const r = await session.query(`SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE ${GRANTED_ADVISORY_LOCK} AND l.pid = pg_backend_pid()) AS held`, [key]);
        return r.rows[0]?.held === true;
    }
    catch {
        return false;
    }
}
function describeHolder(h) {
    return `pid ${h.pid} (application "${h.application}", user ${h.user}, client ${h.client}, since ${h.since}, ${h.state})`;
}
const MIGRATION_LOCK = { lock: 'the migration lock', holder: 'Another migration run' };
/**
 * Waits up to `timeoutSeconds` for the lock; throws naming the holder when it does not come. A stop
 * (`signal`) ends the wait at once: nothing has been changed while waiting, and the step can say so.
 */
async function acquireMigrationLock(session, key, timeoutSeconds, log, what, names = MIGRATION_LOCK, signal) {
    if (await tryLock(session, key))
        return;
    const first = await lock_lockHolders(session, key);
    log.info(`Waiting up to ${timeoutSeconds} s for ${names.lock} (${what}, key ${key}), held by ${first.map(describeHolder).join(', ') || 'another session'}.`);
    const deadline = Date.now() + timeoutSeconds * 1000;
    const stopped = () => new errors/* RollbackKitError */.dp(`Stopped while waiting for ${names.lock} (${what}): nothing was changed.`, 'Re-run when the other run has finished.', { changed: 'no', stopped: true });
    while (Date.now() < deadline) {
        if (signal?.aborted)
            throw stopped();
        await (0,promises_namespaceObject.setTimeout)(Math.min(lock_POLL_MS, Math.max(0, deadline - Date.now())), undefined, { signal }).catch(() => undefined);
        if (signal?.aborted)
            throw stopped();
        if (await tryLock(session, key))
            return;
    }
    const holders = await lock_lockHolders(session, key);
    throw new errors/* RollbackKitError */.dp(`${names.holder} holds ${names.lock} (${what}, advisory key ${key}) and did not release it within ${timeoutSeconds} s: ${holders.map(describeHolder).join(', ') || 'a session that has just ended'}.`, holders.length
        ? `Wait for it to finish and re-run. If it is stuck (its runner was killed), end it with SELECT pg_terminate_backend(${holders[0].pid}); a session lock dies with its session.`
        : 'Re-run: the lock was released as the wait ended.');
}
async function releaseMigrationLock(session, key) {
    await session.query(`SELECT pg_advisory_unlock(${(0,sql_split/* literal */.eu)(key)}::bigint)`).catch(() => undefined);
}

// EXTERNAL MODULE: ./.build/migrations/planner.js
var planner = __nccwpck_require__(3170);
// EXTERNAL MODULE: ./.build/migrations/formats/plain.js
var plain = __nccwpck_require__(7669);
// EXTERNAL MODULE: ./.build/migrations/progress.js
var migrations_progress = __nccwpck_require__(8891);
// EXTERNAL MODULE: ./.build/migrations/rerun.js
var rerun = __nccwpck_require__(6552);
// EXTERNAL MODULE: ./.build/migrations/registry.js + 6 modules
var registry = __nccwpck_require__(4703);
// EXTERNAL MODULE: ./.build/migrations/run-failure.js
var run_failure = __nccwpck_require__(2048);
// EXTERNAL MODULE: ./.build/migrations/invalid-indexes.js
var invalid_indexes = __nccwpck_require__(4040);
;// CONCATENATED MODULE: ./.build/migrations/runner.js
/**
 * Runs a plan: each migration's down SQL and its bookkeeping in one transaction, or, for a
 * non-transactional migration, statement by statement with each completed statement recorded so a
 * re-run resumes. Stops at the first failure with the file, statement, line and PostgreSQL's message.
 */










/**
 * The session would read the statement otherwise than the planner split it: its
 * standard_conforming_strings is not the one the statement was read with, and a backslash in one of
 * the statement's '\u2026' strings makes a difference.
 */
function readOtherwise(s, conforming) {
    return s.standardConformingStrings !== conforming && !(0,sql_split/* readsAlike */.GD)(s);
}
const onOff = (on) => (on ? 'on' : 'off');
/** Why a statement is not sent (readOtherwise): nothing of it ran. */
function readOtherwiseError(s, conforming) {
    return new Error(`not sent: standard_conforming_strings is ${onOff(conforming)} in the session here, but the down SQL was read with it ${onOff(s.standardConformingStrings)} at this statement ` +
        `(its value at the start, or as a SET or RESET of it before the statement left it), and a backslash in one of the statement's '\u2026' strings means something else under each. ` +
        `Change it in the down SQL only with SET or RESET standard_conforming_strings, not with set_config() or in a function, or write those strings as E'\u2026'`);
}
/** A non-transactional migration stopped before statement `index` (the step being stopped): those before it ran and are recorded. */
class StoppedBefore extends Error {
    index;
    constructor(index) {
        super(`stopped before statement ${index + 1}`);
        this.index = index;
    }
}
/**
 * Runs the statements at `indices` one query each; `after` follows each one that completed. Once
 * `signal` is aborted, the next statement is not started (StoppedBefore): the one running ends
 * first, and its record with it.
 */
async function exec(session, statements, indices, after, signal) {
    for (const i of indices) {
        if (signal?.aborted)
            throw new StoppedBefore(i);
        const s = statements[i];
        // A CONCURRENTLY index statement commits an invalid index before its work is done: what it
        // leaves when it fails is looked for (invalid-indexes.ts). Only such a statement pays for it.
        const concurrent = (0,invalid_indexes/* concurrentIndexStatement */.NW)(s);
        let before;
        try {
            const conforming = await standardConformingStrings(session);
            if (readOtherwise(s, conforming))
                throw readOtherwiseError(s, conforming);
            if (concurrent)
                before = await (0,invalid_indexes/* beforeConcurrentIndex */.PJ)(session, concurrent);
            await session.query(s.text);
        }
        catch (err) {
            const failed = new run_failure/* StatementFailed */.l3(s, i, err);
            if (concurrent)
                failed.leftIndexes = (0,run_failure/* isConnectionLoss */.y7)(err) ? lostWith(before) : await (0,invalid_indexes/* leftByConcurrentIndex */.cH)(session, concurrent, before, err);
            throw failed;
        }
        if (!after)
            continue;
        try {
            await after(s);
        }
        catch (err) {
            // The statement completed: only the record of it failed.
            throw new run_failure/* StatementFailed */.l3(s, i, err, 'record');
        }
    }
}
/** The connection went while a CONCURRENTLY index statement was sent: what it left cannot be read here. */
function lostWith(before) {
    return before ? { drop: [], finishing: [], unchecked: 'the connection went' } : undefined;
}
function range(from, to) {
    return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
}
async function bookkeeping(session, sql, index) {
    try {
        for (const text of sql)
            await session.query(text);
    }
    catch (err) {
        throw new run_failure/* StatementFailed */.l3(undefined, index, err);
    }
}
const FRESH = { from: 0, replay: [], hasProgress: false };
/**
 * What the migration's progress row (if any) leaves to run. Progress recorded against other
 * tracking rows than those there now (a restore, a re-apply since) is discarded: what it lists as
 * done may have been undone. One round trip, only for a migration that has a progress row.
 */
async function remaining(session, tracking, m, saved, log) {
    if (!saved)
        return FRESH;
    let holds;
    try {
        holds = await (0,migrations_progress/* progressStillHolds */.K$)(session, saved, tracking.rowVersionSql(m.file));
    }
    catch (err) {
        throw new run_failure/* StatementFailed */.l3(undefined, -1, err, 'prepare');
    }
    if (!holds) {
        const why = saved.rows === null
            ? 'it does not say which tracking rows it belongs to (an earlier rollback-kit version wrote it)'
            : `${tracking.table} has recorded the migration anew since (a restore, or the migration applied again), so what it lists as done may be undone`;
        log.info(`  discarding the progress an earlier run recorded for ${m.file.name} (${saved.done.length} statement(s) done): ${why}; starting at statement 1`);
        return { ...FRESH, hasProgress: true };
    }
    const from = (0,migrations_progress/* statementsAlreadyRun */.G7)(saved, m.statements.map((s) => (0,migrations_progress/* statementHash */.q1)(s.text)), m.file.name);
    if (from > 0)
        log.info(`  resuming ${m.file.name} at statement ${from + 1} of ${m.statements.length}: the first ${from} ran in an earlier run`);
    const replay = range(0, from).filter((i) => (0,sql_split/* sessionSetting */.ls)(m.statements[i]));
    // A new session has none of the settings the statements that ran made: the rest would run without them.
    if (replay.length > 0)
        log.info(`  running again the session setting(s) among the statements that ran: ${replay.map((i) => log.excerpt((0,planner/* firstCodeLine */.kQ)(m.statements[i].text), 100)).join('; ')}`);
    return { from, replay, hasProgress: true };
}
/**
 * Back to the run's own settings before each migration, so that no down file's session-level SET
 * (a timeout, search_path, SET ROLE) reaches the migrations after it. RESET ALL leaves the role and
 * the session authorization alone, hence their own RESETs. Sent inside the migration's first query.
 */
function resetSql(settings) {
    return ['RESET SESSION AUTHORIZATION', 'RESET ROLE', 'RESET ALL', ...settings];
}
/**
 * The client-side deadline allows for this many statements in a query; none for a migration that
 * sets statement_timeout itself (SET LOCAL statement_timeout for a long statement) or resets it to
 * the server's (RESET ALL, DISCARD ALL), which the deadline would cut short.
 */
function allowance(m, statements) {
    return m.statements.some(sql_split/* setsStatementTimeout */.i0) ? undefined : statements;
}
/**
 * The whole migration as one query: the run's settings, BEGIN, bookkeeping, down statements (after
 * an earlier run: those it did not run, behind the session settings of those it did),
 * bookkeeping, COMMIT. One round trip instead of one per statement; PostgreSQL still runs the
 * statements one after the other and skips the rest after an error, leaving the transaction to
 * roll back. Unless standard_conforming_strings changes: PostgreSQL reads a whole query with the
 * value the session has when it arrives (`conforming`), so a down statement read with another
 * (after a SET of it, or after the RESET ALL when the migration before left another) starts the
 * next query, sent once the statements before it have set it. Our own SQL reads alike either way.
 */
function migrationQueries(m, reset, start, end, rest, conforming) {
    const queries = [];
    let query = { text: '', parts: [], statements: 0 };
    const add = (sql, statement, index, counts) => {
        if (statement && query.parts.length && readOtherwise(statement, conforming)) {
            queries.push(query);
            query = { text: '', parts: [], statements: 0 };
            conforming = statement.standardConformingStrings;
        }
        query.parts.push({ offset: query.text.length, statement, index });
        // The newline keeps the semicolon out of a trailing "--" comment.
        query.text += `${sql}\n;\n`;
        if (counts)
            query.statements++;
    };
    for (const sql of reset)
        add(sql, undefined, -1, false);
    add('BEGIN', undefined, rest.from, false);
    for (const sql of start)
        add(sql, undefined, rest.from, true);
    for (const i of [...rest.replay, ...range(rest.from, m.statements.length)])
        add(m.statements[i].text, m.statements[i], i, true);
    for (const sql of end)
        add(sql, undefined, m.statements.length, true);
    add('COMMIT', undefined, m.statements.length, false);
    queries.push(query);
    return queries;
}
/** SQLSTATE of a statement cancelled (pg_cancel_backend, statement_timeout). */
const QUERY_CANCELED = '57014';
/** The part an error position (1-based, in its query) falls in. */
function partAt(parts, position) {
    let found;
    for (const p of parts)
        if (p.offset <= position - 1)
            found = p;
    return found;
}
/**
 * PostgreSQL gives no position for many errors (a missing table, a constraint): run the migration
 * again statement by statement in a transaction that is always rolled back, to name the statement.
 */
async function diagnose(ctx, m, start, end, rest, original) {
    const { session } = ctx;
    const code = original.code;
    try {
        // The failed transaction took the reset with it: the same settings as the query that failed.
        await session.query([...ctx.reset, 'BEGIN'].join(';\n'));
        await bookkeeping(session, start, rest.from);
        await exec(session, m.statements, [...rest.replay, ...range(rest.from, m.statements.length)]);
        await bookkeeping(session, end, m.statements.length);
    }
    catch (err) {
        if (err instanceof run_failure/* StatementFailed */.l3 && err.error.code === code)
            return new run_failure/* StatementFailed */.l3(err.statement, err.index, original);
    }
    finally {
        await session.query('ROLLBACK').catch(() => undefined);
    }
    return new run_failure/* StatementFailed */.l3(undefined, -1, original);
}
/**
 * `retrying`: a lock timeout or deadlock of this attempt will be tried again, so it is not run a
 * second time to name its statement (diagnose would wait for the same lock as long again): only the
 * last attempt's failure is named.
 */
async function revertInTransaction(ctx, m, previous, rest, retrying = false) {
    const { session, tracking } = ctx;
    const start = tracking.startSql?.(m.file, previous) ?? [];
    // After an earlier run, its progress goes in the same transaction: the statements it lists ran, and the rest with them.
    const end = [...tracking.revertSql(m.file, previous), ...(rest.hasProgress ? [(0,migrations_progress/* clearProgressSql */.PQ)(tracking.table, m.file.id)] : [])];
    for (const { text, parts, statements } of migrationQueries(m, ctx.reset, start, end, rest, await standardConformingStrings(session))) {
        // A query after the first is sent once the SET before it ran: it must have set what the statements were read with.
        const conforming = await standardConformingStrings(session);
        const otherwise = parts.find((p) => p.statement && readOtherwise(p.statement, conforming));
        if (otherwise) {
            await session.query('ROLLBACK').catch(() => undefined);
            throw new run_failure/* StatementFailed */.l3(otherwise.statement, otherwise.index, readOtherwiseError(otherwise.statement, conforming));
        }
        try {
            await withQueryDeadline(session, allowance(m, statements), () => session.query(text));
        }
        catch (err) {
            if ((0,run_failure/* isConnectionLoss */.y7)(err))
                throw new run_failure/* StatementFailed */.l3(undefined, -1, err);
            await session.query('ROLLBACK').catch(() => undefined);
            const position = Number(err.position);
            const part = Number.isInteger(position) && position > 0 ? partAt(parts, position) : undefined;
            // A cancelled statement (a stop ending its lock wait, statement_timeout) is not run again to be
            // named: that would wait, or run, as long once more.
            const code = err.code;
            if (!part)
                throw code === QUERY_CANCELED || (retrying && RETRYABLE.has(code ?? '')) ? new run_failure/* StatementFailed */.l3(undefined, -1, err) : await diagnose(ctx, m, start, end, rest, err);
            const e = err;
            // The position is in the query: make it the statement's own.
            const statementError = part.statement ? { code: e.code, message: e.message, detail: e.detail, hint: e.hint, position: String(position - part.offset) } : e;
            throw new run_failure/* StatementFailed */.l3(part.statement, part.index, statementError);
        }
    }
}
/** Runs bookkeeping statements as one query in a transaction of their own; a failure is StatementFailed at `index`. */
async function inTransaction(ctx, m, sql, statements, index) {
    const { session } = ctx;
    try {
        await withQueryDeadline(session, allowance(m, statements), () => session.query(sql.join('\n;\n')));
    }
    catch (err) {
        if (!(0,run_failure/* isConnectionLoss */.y7)(err))
            await session.query('ROLLBACK').catch(() => undefined);
        throw new run_failure/* StatementFailed */.l3(undefined, index, err);
    }
}
async function revertStatementByStatement(ctx, m, previous, rest, signal) {
    const { session, tracking } = ctx;
    const id = m.file.id;
    // golang-migrate: (previous, dirty) is committed before the first statement, in one transaction
    // as the tool does. The progress row is made this state's in the same one, and the session set
    // back to the run's settings just before: one round trip.
    const start = tracking.startSql?.(m.file, previous) ?? [];
    const progress = (0,migrations_progress/* startProgressSql */.sZ)(tracking.table, id, tracking.rowVersionSql(m.file), rest.from > 0);
    await inTransaction(ctx, m, [...ctx.reset, 'BEGIN', ...start, ...progress, 'COMMIT'], start.length + 1, rest.from);
    await exec(session, m.statements, rest.replay);
    // A stop before a statement throws StoppedBefore: runPlan says it (stoppedBetweenStatements).
    await exec(session, m.statements, range(rest.from, m.statements.length), (s) => (0,migrations_progress/* recordStatement */.FI)(session, tracking.table, id, (0,migrations_progress/* statementHash */.q1)(s.text)), signal);
    const end = tracking.revertSql(m.file, previous);
    await inTransaction(ctx, m, ['BEGIN', ...end, (0,migrations_progress/* clearProgressSql */.PQ)(tracking.table, id), 'COMMIT'], end.length + 1, m.statements.length);
}
/** A non-transactional migration stopped before statement `index`: those before it committed and are recorded, a re-run starts there. */
function stoppedBetweenStatements(m, index, tracking, again) {
    const n = m.statements.length;
    const state = `It runs statement by statement (non-transactional): ${index} of ${n} statement(s) ran and are recorded in ${run_failure/* PROGRESS_TABLE */.Ll}; ${tracking.table} ${(0,run_failure/* markedUntilDone */.Nz)(tracking)}. ` +
        `A re-run starts at statement ${index + 1}.`;
    const file = m.file.downFile ?? m.file.name;
    return new run_failure/* MigrationFailed */.g6(`Stopped in ${m.file.name} before its statement ${index + 1} of ${n}. ${state}`, `${(0,rerun/* runAgain */.qL)('Run it again', again)} to finish the plan: it goes on from this migration.`, {
        version: m.file.version,
        id: m.file.id,
        file,
        transactional: false,
        statements: n,
        ran: index,
        resumeAt: index + 1,
        unsure: false,
        state,
    }, { stopped: true });
}
/**
 * The run stopped between migrations (the step being stopped): each migration before `next`
 * committed with its bookkeeping, and `next` and those after it never started.
 */
function stoppedBetweenMigrations(plan, next, tracking, again) {
    const left = plan.slice(next).map((m) => m.file.name);
    const done = next === 0 ? 'no migration was reverted' : `the ${next} migration(s) before it were reverted and committed`;
    return new errors/* RollbackKitError */.dp(`Stopped before reverting ${plan[next].file.name}: ${done}; ${left.join(', ')} ${left.length === 1 ? 'was' : 'were'} not started and ${left.length === 1 ? 'is' : 'are'} still applied in ${tracking.table}.`, `${(0,rerun/* runAgain */.qL)('Run it again', again)} to finish the plan: it reads the tracking table and reverts what is still applied of it.`, { stopped: true });
}
/**
 * A lock not granted within lock_timeout, or a deadlock with production traffic, rolls the whole
 * migration back and leaves nothing behind, so it is safe to try again after a pause. Short lock
 * waits retried beat one long wait that queues every production query behind the rollback.
 */
const RETRYABLE = new Set(['55P03', '40P01']);
const RETRY_DELAYS_MS = [500, 1000, 2000];
/**
 * A stop (`signal`) ends the retries: the attempt that failed rolled back, so its error (nothing of
 * this migration applied) is what the stopped run reports, rather than trying on past the step's
 * grace time, after which its state would read "not known".
 */
async function revertWithRetries(ctx, m, previous, rest, log, signal) {
    for (let attempt = 0;; attempt++) {
        try {
            await revertInTransaction(ctx, m, previous, rest, attempt < RETRY_DELAYS_MS.length && !signal?.aborted);
            return;
        }
        catch (err) {
            const code = err instanceof run_failure/* StatementFailed */.l3 ? err.error.code : undefined;
            const delay = RETRY_DELAYS_MS[attempt];
            const gaveUp = () => {
                if (err instanceof run_failure/* StatementFailed */.l3)
                    err.attempts = attempt + 1;
                return err;
            };
            if (!code || !RETRYABLE.has(code) || delay === undefined || signal?.aborted)
                throw gaveUp();
            log.info(`  ${code === '40P01' ? 'deadlock with another session' : 'a table lock was not granted within lock-timeout-seconds'}; nothing was changed; trying again in ${delay} ms (attempt ${attempt + 2} of ${RETRY_DELAYS_MS.length + 1})`);
            await (0,promises_namespaceObject.setTimeout)(delay, undefined, { signal }).catch(() => undefined);
            if (signal?.aborted)
                throw gaveUp();
        }
    }
}
/** What earlier runs recorded, read before anything runs: a failure here changed nothing. */
async function earlierProgress(session, table, target, exists) {
    try {
        return await (0,migrations_progress/* readProgress */.gQ)(session, table, exists);
    }
    catch (err) {
        const lost = (0,run_failure/* isConnectionLoss */.y7)(err);
        throw new errors/* RollbackKitError */.dp(`${lost ? `Lost the connection to ${target} while reading` : 'Could not read'} the progress of earlier runs from ${run_failure/* PROGRESS_TABLE */.Ll}: ${(0,run_failure/* describeError */.Uc)(err)}. Nothing was changed.`, lost ? 'Check the database is up and reachable, then re-run.' : `Fix what blocks that read (PostgreSQL's message above), then re-run.`);
    }
}
async function runPlan(plan, opts) {
    const { session, tracking, log } = opts;
    const ctx = { session, tracking, reset: resetSql(opts.sessionSettings) };
    const progress = await earlierProgress(session, tracking.table, opts.target, opts.progressTable);
    const applied = [...opts.applied];
    for (const [n, m] of plan.entries()) {
        // What a new run needs once the n before this one went, or this one may have.
        const again = (unsure) => (0,rerun/* finishWith */.ok)(opts.unrecorded, n, unsure);
        if (opts.signal?.aborted)
            throw stoppedBetweenMigrations(plan, n, tracking, again(false));
        const at = applied.findIndex((f) => f.id === m.file.id);
        const previous = at > 0 ? applied[at - 1] : undefined;
        log.info(`[${n + 1}/${plan.length}] reverting ${m.file.name}${m.transactional ? '' : ' (non-transactional: statement by statement)'}`);
        const started = Date.now();
        let rest = FRESH;
        try {
            // Each query of the migration, one statement by default, within the client-side deadline.
            await withQueryDeadline(session, allowance(m, 1), async () => {
                rest = await remaining(session, tracking, m, progress.get(m.file.id), log);
                if (m.transactional)
                    await revertWithRetries(ctx, m, previous, rest, log, opts.signal);
                else
                    await revertStatementByStatement(ctx, m, previous, rest, opts.signal);
            });
        }
        catch (err) {
            if (err instanceof run_failure/* StatementFailed */.l3)
                throw (0,run_failure/* failure */.V2)(m, err, rest.from, progress.get(m.file.id), tracking, opts.target, log, opts.signal, again);
            if (err instanceof StoppedBefore)
                throw stoppedBetweenStatements(m, err.index, tracking, again(false));
            throw err;
        }
        const durationMs = Date.now() - started;
        applied.splice(at, 1);
        log.info(`  reverted ${m.file.name} in ${durationMs} ms`);
        opts.onReverted({ version: m.file.version, id: m.file.id, file: m.file.downFile ?? m.file.name, transactional: m.transactional, statements: m.statements.length, durationMs });
    }
}

// EXTERNAL MODULE: ./.build/migrations/ledger.js
var ledger = __nccwpck_require__(7485);
// EXTERNAL MODULE: ./.build/migrations/way-back.js + 2 modules
var way_back = __nccwpck_require__(8331);
;// CONCATENATED MODULE: ./.build/migrations/revert.js
/**
 * run-down-migrations as a library call: find the folder and its format, decide what to revert,
 * check the way back (a verified snapshot), then lock, plan against the tracking table and run.
 */

















/** A failure after some migrations were reverted: carries what was done, for the outputs and summary. */
class RevertFailed extends errors/* RollbackKitError */.dp {
    failure;
    partial;
    constructor(
    /** The failure itself, without what was reverted before it: for a caller that says more of why (a lost lock). */
    failure, partial) {
        // A stop stays a stop (the callers report it as one); what changed is the partial result's to say.
        super(partial.reverted.length ? `${failure.message} Reverted before the failure: ${partial.reverted.map((r) => r.file).join(', ')}.` : failure.message, failure.hint, failure.stopped ? { stopped: true } : {});
        this.failure = failure;
        this.partial = partial;
    }
}
const APPLICATION_NAME = 'rollback-kit run-down-migrations';
/**
 * How long reading the folder waits for the connection's startup to be on its way (connect's
 * onAsked): a few milliseconds on any network that answers, so a server that does not answer at
 * all delays the folder's own errors (and the snapshot's verification) by no more than this.
 */
const ASK_WAIT_MS = 100;
/**
 * How long after a stop a down statement may still wait for a lock, or a transactional migration
 * still run: well inside a stopped step's 5 s grace (core/action.ts).
 */
const STOP_CANCEL_MS = 2000;
function planEntries(plan) {
    return plan.toRevert.map((m) => ({ version: m.file.version, id: m.file.id, file: m.file.downFile ?? m.file.name, transactional: m.transactional, statements: m.statements.length }));
}
/** The line before a dry run's plan: a real run's own plan is no dry run, and a check reverts nothing. */
function planWords(preview, count, where) {
    if (preview === 'real-run')
        return `Plan: will revert ${count} migration(s) on ${where}, in this order:`;
    if (preview === 'check')
        return `Checked, nothing reverted here: ${count} selected migration(s) are applied on ${where}, in the order a revert would run them:`;
    return `Dry run: would revert ${count} migration(s) on ${where}, in this order:`;
}
function printPlan(plan, log) {
    for (const [n, m] of plan.toRevert.entries()) {
        log.info(`${n + 1}. ${m.file.downFile ?? m.file.name} (version ${m.file.version}, ${m.statements.length} statement(s)${m.transactional ? '' : ', non-transactional'})`);
        for (const s of m.statements.slice(0, 3))
            log.info(`     ${log.excerpt((0,planner/* firstCodeLine */.kQ)(s.text), 120)}`);
        if (m.statements.length > 3)
            log.info(`     \u2026 ${m.statements.length - 3} more`);
    }
}
async function requireVerifiedSnapshot(opts, log) {
    if (!opts.requireSnapshot) {
        log.warning('require-snapshot is false: reverting without a verified snapshot to go back to.');
        return undefined;
    }
    if (!opts.snapshotPath) {
        throw new errors/* RollbackKitError */.dp('run-down-migrations refuses to change the database without a verified snapshot: snapshot-path is empty.', 'Take one with the snapshot-db action first and pass its path output as snapshot-path (or set require-snapshot: false to go without).');
    }
    // Loaded here, not with the bundle: the archive reader and the child processes it brings (zlib,
    // child_process, readline) are start-up a dry run or require-snapshot: false never uses.
    const { verifySnapshot } = await __nccwpck_require__.e(/* import() */ 103).then(__nccwpck_require__.bind(__nccwpck_require__, 9103));
    return verifySnapshot(opts.snapshotPath, log, { ...opts.tools });
}
/** The search_path the tool's own session has, set as the tool's connection sets it: for the whole session. */
async function applySearchPath(session, searchPath) {
    if (searchPath === undefined)
        return;
    try {
        await session.query("SELECT set_config('search_path', $1, false)", [searchPath]);
    }
    catch (err) {
        throw new errors/* RollbackKitError */.dp(`The search_path in database-url ("${searchPath}") is not one PostgreSQL accepts: ${err.message}.`, 'Give it as the tool reads it: comma-separated schema names.');
    }
}
/** The run's own session settings: numbers we computed and a constant, nothing from outside. */
function runSettings(opts) {
    // A rollback must not queue production behind its locks for long, nor run unbounded.
    // 0 would mean "wait forever" to PostgreSQL; here it means "do not wait".
    const settings = [`SET lock_timeout = ${Math.max(1, Math.round(opts.lockTimeoutSeconds * 1000))}`, `SET statement_timeout = ${Math.round(opts.statementTimeoutSeconds * 1000)}`];
    if (!opts.target.params.application_name)
        settings.push(`SET application_name = '${APPLICATION_NAME}'`);
    return settings;
}
/** Room above statement_timeout for an answer to come back over a slow network. */
const ANSWER_MARGIN_MS = 5_000;
/**
 * The client-side bound on a query's answer, for a connection that stalls without closing (the
 * server answers every statement within statement_timeout, so past that and the margin the answer
 * is not coming). None when statement-timeout-seconds is 0: statements may then run for ever.
 */
function queryDeadline(opts) {
    const statementMs = Math.round(opts.statementTimeoutSeconds * 1000);
    return statementMs > 0 ? { statementMs, marginMs: ANSWER_MARGIN_MS } : undefined;
}
/**
 * `first` (the run's settings), the lock's first try (`key`; none for a dry run) and which of the
 * tables the run reads exist, as one query: one round trip where each took its own. PostgreSQL
 * runs them in order, so the tables are looked up once the lock is granted.
 */
async function lockAndFindTables(session, tracking, first, key) {
    // Our tables looked up in the catalogue: to_regclass fails on a schema this role may not use (another
    // role made rollback_kit). The ledger is for the record only: one it may not use is read as none, and
    // its write then warns (rerun.ts record). Progress is not: one there is read, and its refusal named.
    const tables = `SELECT to_regclass(${(0,sql_split/* literal */.eu)(tracking.relation)}) IS NOT NULL AS tracking, ${ownTable(run_failure/* PROGRESS_TABLE */.Ll)} AS progress, ${ownTable(ledger/* LEDGER_TABLE */.R9, "AND has_schema_privilege(n.oid, 'USAGE')")} AS ledger, pg_backend_pid() AS pid`;
    const statements = [...first, ...(key ? [tryLockSql(key)] : []), tables];
    const answer = await session.query(statements.join(';\n'));
    // One result per statement; a query of one statement gets just that one.
    const results = Array.isArray(answer) ? answer : [answer];
    const found = results.at(-1).rows[0];
    return { locked: key ? results.at(-2).rows[0]?.locked === true : true, trackingTable: found.tracking, progressTable: found.progress, ledgerTable: found.ledger, pid: found.pid };
}
/** Whether rollback_kit's `name` (schema.table) is in the catalogue, and `and`; no lookup by name that fails on a schema this role may not use. */
function ownTable(name, and = '') {
    const [schema, table] = name.split('.');
    return `EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${(0,sql_split/* literal */.eu)(schema)} AND c.relname = ${(0,sql_split/* literal */.eu)(table)} ${and})`;
}
async function readAppliedIds(session, format, tracking, files, target, state) {
    if (!state.trackingTable) {
        throw new errors/* RollbackKitError */.dp(`The ${format.name} tracking table ${tracking.table} does not exist in ${target}: nothing was ever applied there with ${format.name}.`, format.name === 'plain'
            ? `Check database-url. The plain format reads the table your deploy fills: ${plain/* PLAIN_TRACKING_DDL */.q.replace(/\s+/g, ' ')}`
            : `Check database-url (its search_path and other parameters, as the tool reads them), migrations-dir, format, and migrations-table if the tool is told another table.`);
    }
    const ids = tracking.appliedIds((await session.query(tracking.appliedSql)).rows, files);
    const dirty = await tracking.dirtyVersion?.(session);
    if (dirty === undefined)
        return ids;
    // A dirty version we can resume is one of ours: a non-transactional step that stopped midway.
    const progress = await (0,migrations_progress/* readProgress */.gQ)(session, tracking.table, state.progressTable);
    const resumable = files.find((f, i) => progress.has(f.id) && (i > 0 ? files[i - 1].id : '-1') === dirty);
    if (!resumable) {
        throw new errors/* RollbackKitError */.dp(`${tracking.table} is dirty at version ${dirty}: a migration stopped midway, so the schema may be half changed.`, `Check the schema by hand and finish or undo that migration, then run \`migrate force <version>\` (golang-migrate refuses to run until then too), and re-run.`);
    }
    return [...ids, resumable.id];
}
async function prepare(opts, log, asked) {
    const dir = (0,registry/* resolveMigrationsDir */.xM)(opts.root, opts.migrationsDir, opts.format, opts.migrationsDirName);
    // Reading the folder holds the event loop: the connection's startup goes out first, so that the
    // server starts the session (a new backend, its authentication) while the files are read.
    await asked;
    const format = await (0,registry/* pickFormat */.NV)(dir, opts.format);
    const files = await format.load(dir);
    if (files.length === 0) {
        throw new errors/* RollbackKitError */.dp(`The migrations folder ${dir} holds no ${format.name} migrations.`, 'Check migrations-dir and format.');
    }
    log.info(`Migrations: ${files.length} ${format.name} migration(s) in ${dir}.`);
    for (const warning of format.layoutWarnings?.(dir, files) ?? [])
        log.warning(warning);
    const settings = format.settings({ params: opts.target.params, migrationsTable: opts.migrationsTable });
    // git runs only for since-ref: loaded then, as the snapshot's verification is.
    const added = 'sinceRef' in opts.choice ? await (await __nccwpck_require__.e(/* import() */ 265).then(__nccwpck_require__.bind(__nccwpck_require__, 2265))).filesAddedSince(dir, opts.choice.sinceRef) : undefined;
    const verified = opts.dryRun ? undefined : await requireVerifiedSnapshot(opts, log);
    return { dir, format, files, settings, added, verified };
}
async function revertMigrations(opts, log) {
    const started = Date.now();
    const where = (0,connection/* describeTarget */.ff)(opts.target);
    const pooler = (0,connection/* transactionPoolerRefusal */.id)(opts.target, 'the migration lock and the session timeouts');
    if (pooler)
        throw pooler;
    // Opened while the folder is read and the snapshot verified: the server's start of a backend
    // overlaps that work. Nothing is sent on it before they are done.
    let askedNow;
    const asked = new Promise((resolve) => (askedNow = resolve));
    const opening = session_connect(opts.target, { queryDeadline: queryDeadline(opts), signal: opts.signal, onAsked: () => askedNow() });
    // Its failure is thrown where it is awaited, after any of the folder's: never unhandled meanwhile.
    opening.catch(() => undefined);
    let prepared;
    let session;
    try {
        // A server that does not answer the connection at all must not hold the folder's errors back.
        prepared = await prepare(opts, log, bounded_wait_within(asked, ASK_WAIT_MS, undefined));
        session = await opening;
    }
    catch (err) {
        // A session that opens after all is closed at once.
        void opening.then(session_closeSession, () => undefined);
        throw err;
    }
    const { dir, format, files, settings, added, verified } = prepared;
    const result = { status: 'reverted', format: format.name, target: where, dir, plan: [], reverted: [], stillApplied: [], durationMs: 0 };
    let lockKey;
    let applied = [];
    const steps = 'steps' in opts.choice ? opts.choice.steps : undefined;
    let recorded;
    let unrecorded;
    try {
        if (verified)
            result.snapshot = await (0,way_back/* requireWayBack */.qo)(session, opts.target, verified, log);
        // The search_path first and apart, so a bad one gets its own message; the tracking table may depend on it.
        await applySearchPath(session, settings.searchPath);
        const table = await settings.trackingTable(session);
        const tracking = format.tracking(table);
        log.info(`Tracking table ${tracking.table}${settings.searchPath === undefined ? '' : `, search_path ${settings.searchPath}`}.`);
        const key = opts.dryRun ? undefined : ((await tracking.lockKey(session)) ?? ROLLBACK_KIT_LOCK_KEY);
        let state = await lockAndFindTables(session, tracking, runSettings(opts), key);
        if (!state.locked) {
            await acquireMigrationLock(session, key, opts.lockTimeoutSeconds, log, `${format.name}, ${tracking.table}`, undefined, opts.signal);
            // The tables again, as they are once the lock is ours.
            state = await lockAndFindTables(session, tracking, [], undefined);
        }
        lockKey = key;
        const appliedIds = await readAppliedIds(session, format, tracking, files, where, state);
        const asked = 'steps' in opts.choice
            ? { kind: 'steps', steps: opts.choice.steps }
            : 'toVersion' in opts.choice
                ? { kind: 'to-version', version: opts.choice.toVersion }
                : 'recorded' in opts.choice
                    ? { kind: 'recorded', ...opts.choice.recorded }
                    : { kind: 'since-ref', ref: opts.choice.sinceRef, added: added };
        recorded = opts.run && asked.kind === 'steps' ? await rerun/* RecordedPlan */.o.read(session, opts.run, tracking.table, state.ledgerTable) : undefined;
        const selector = recorded?.selector(asked, log) ?? asked;
        const ownDown = format.ownDownCommand && ((count) => format.ownDownCommand(count, (0,external_node_path_.relative)(opts.root, dir) || '.', table));
        // The value each migration starts from: the runner's RESET ALL brings the session back to it.
        const plan = (0,planner/* planReverts */.Pj)(format, files, appliedIds, selector, { table: tracking.table, ownDown, log, standardConformingStrings: await standardConformingStrings(session) });
        applied = plan.applied;
        result.plan = planEntries(plan);
        result.keepVersion = plan.keep?.version;
        if (plan.toRevert.length === 0) {
            log.info(`Nothing to do: none of the selected migrations is applied on ${where}.`);
            result.status = 'nothing-to-do';
            if (!opts.dryRun)
                await recorded?.update(session, [], true, log);
        }
        else if (opts.dryRun) {
            log.info(planWords(opts.preview, plan.toRevert.length, where));
            printPlan(plan, log);
            result.status = 'dry-run';
        }
        else {
            if (result.snapshot) {
                // Under the migration lock, before the plan is recorded or anything reverted: a snapshot that
                // predates tables holding rows now is refused here, with nothing changed.
                // What an earlier attempt of this step reverted (its plan, less what is still applied): its down SQL ran after the snapshot too.
                const earlier = recorded?.earlier?.planned.filter((v) => !plan.applied.some((m) => m.version === v)) ?? [];
                await (0,way_back/* requireCoverage */.eL)(session, verified, result.snapshot, log, earlier);
                await (0,way_back/* warnIfOlderThanReverted */.aK)(session, tracking, plan.toRevert.map((m) => m.file), result.snapshot, log);
            }
            // Written before the first statement: a re-run must find the plan even if this run dies.
            await recorded?.record(session, plan, log);
            // Nothing recorded a `steps` plan: the same steps again would count from what is still applied.
            if (steps !== undefined && !recorded?.recorded)
                unrecorded = { keep: plan.keep?.version, planned: plan.toRevert.length };
            log.info(`Reverting ${plan.toRevert.length} migration(s) on ${where}, newest first.`);
            // A stop while a migration runs: one that ends soon commits (or fails) as it would anyway. One
            // still going STOP_CANCEL_MS later is cancelled, rather than running on past the step's grace
            // time, after which its state would read "not known":
            // - a transactional migration, whatever its statement does (waits for a lock, sleeps, updates):
            //   its down SQL and its bookkeeping roll back together, so it fails as cancelled and is still
            //   applied, exactly as the error says (run-failure.ts). A cancel that lands after its COMMIT
            //   finds the next query (the plan's row, the lock's release: both best effort) or nothing.
            // - a non-transactional one only while its statement waits for a lock, as it does before it
            //   changes anything. Once running it is left to finish: each statement runs on its own, and
            //   those that make a migration non-transactional (CREATE/DROP INDEX CONCURRENTLY, a procedure
            //   that commits) commit part of their work as they go, which a cancel would leave behind
            //   unrecorded (progress.ts records a statement only once it completed): a re-run would run it
            //   again over that half. The run stops before its next statement with its progress recorded.
            //   A CONCURRENTLY index statement's lock waits come after its first commit too: CREATE INDEX
            //   CONCURRENTLY and REINDEX CONCURRENTLY have committed their invalid index by the time they
            //   wait for older transactions to end, DROP INDEX CONCURRENTLY has marked its index invalid.
            //   Those waits are cancelled all the same, rather than let run to the end of the grace: they
            //   last as long as the oldest transaction in the database, which is no one's to bound, and
            //   past the grace the step would end saying the state is not known while the statement may
            //   still finish on the server, unrecorded. Cancelled, its state is known: the runner reads
            //   the invalid index it left and the error names it with the DROP INDEX CONCURRENTLY that
            //   clears it (invalid-indexes.ts), within the grace. The cost is that the build starts over.
            // The migration in flight is the first of the plan not reverted yet; the backend's pid came with
            // the lock's round trip: the session is busy with the migration by then.
            const pid = state.pid;
            let ending;
            const cancelOnStop = () => {
                ending = setTimeout(() => {
                    const inFlight = plan.toRevert[result.reverted.length];
                    void cancelQuery(opts.target, pid, log, { onlyLockWait: !inFlight?.transactional });
                }, STOP_CANCEL_MS).unref();
            };
            opts.signal?.addEventListener('abort', cancelOnStop, { once: true });
            await runPlan(plan.toRevert, {
                session,
                tracking,
                applied,
                log,
                target: where,
                // Each migration starts from these: the search_path as applySearchPath set it, which accepted it.
                sessionSettings: [...runSettings(opts), ...(settings.searchPath === undefined ? [] : [`SELECT set_config('search_path', ${(0,sql_split/* literal */.eu)(settings.searchPath)}, false)`])],
                progressTable: state.progressTable,
                onReverted: (r) => result.reverted.push(r),
                signal: opts.signal,
                unrecorded,
            }).finally(() => {
                opts.signal?.removeEventListener('abort', cancelOnStop);
                clearTimeout(ending);
            });
            await recorded?.update(session, result.reverted.map((r) => r.version), true, log);
            const reverted = new Set(plan.toRevert.map((m) => m.file.id));
            const still = plan.applied.filter((f) => !reverted.has(f.id));
            log.info(`Reverted ${plan.toRevert.length} migration(s); ${still.length} still applied${still.length ? `, the newest ${still.at(-1).name}` : ''}.`);
        }
    }
    catch (err) {
        // Once there is a plan, migrations may have committed: every failure from here on carries what
        // was done, whatever threw it.
        if (result.plan.length > 0) {
            // Never "reverted" for a run that failed: a later `if: always()` step reads this status.
            result.status = 'failed';
            if (err instanceof run_failure/* MigrationFailed */.g6)
                result.stoppedIn = err.stoppedIn;
            const cause = err instanceof errors/* RollbackKitError */.dp ? err : unexpected(err, log, (0,rerun/* finishWith */.ok)(unrecorded, result.reverted.length, result.stoppedIn?.unsure === true));
            if (!opts.dryRun)
                await recorded?.update(session, result.reverted.map((r) => r.version), false, log);
            // `steps` again would count from what is left: say what finishes this plan.
            // A migration whose commit may have landed counts as one that went.
            const partway = steps !== undefined && (result.reverted.length > 0 || result.stoppedIn?.unsure === true || recorded?.earlier !== undefined);
            // A re-run has the same inputs: with a snapshot that lacks rows it is refused again, so it finishes nothing.
            const rerunFinishes = recorded?.recorded === true && !(err instanceof way_back/* SnapshotLacksRows */.UB);
            const how = partway ? (0,rerun/* howToFinish */.Zf)(steps, result.keepVersion, result.plan.length - result.reverted.length, rerunFinishes) : undefined;
            throw new RevertFailed(how ? (0,rerun/* withHowToFinish */.Dm)(cause, how) : cause, finish(result, applied, started));
        }
        throw err;
    }
    finally {
        if (lockKey)
            await releaseMigrationLock(session, lockKey);
        session_closeSession(session);
    }
    return finish(result, applied, started);
}
/**
 * An error that is not one of ours (a bug, or a failure nothing above turned into a message) after
 * planning: the run may have changed the database, so it is said where the state is read. Its stack
 * stays in the debug log, as the entry point keeps it for errors it does not know.
 */
function unexpected(err, log, again) {
    if (err instanceof Error && err.stack)
        log.debug(err.stack);
    return new errors/* RollbackKitError */.dp((0,errors/* errorLine */.BP)(err), `The migrations reverted before it are listed here; the tracking table and rollback_kit.down_progress say where the database is now, and ${again ? `a new run with ${again}` : 'a re-run'} continues from there.`);
}
function finish(result, applied, started) {
    const gone = new Set(result.reverted.map((r) => r.id));
    result.stillApplied = applied
        .filter((f) => !gone.has(f.id))
        .reverse()
        .map((f) => ({ version: f.version, name: f.name }));
    result.durationMs = Date.now() - started;
    return result;
}


/***/ }),

/***/ 2048:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Ll: () => (/* binding */ PROGRESS_TABLE),
/* harmony export */   Nz: () => (/* binding */ markedUntilDone),
/* harmony export */   Uc: () => (/* binding */ describeError),
/* harmony export */   V2: () => (/* binding */ failure),
/* harmony export */   g6: () => (/* binding */ MigrationFailed),
/* harmony export */   l3: () => (/* binding */ StatementFailed),
/* harmony export */   y7: () => (/* binding */ isConnectionLoss)
/* harmony export */ });
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3867);
/* harmony import */ var _core_stop_signals_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(1042);
/* harmony import */ var _invalid_indexes_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(4040);
/* harmony import */ var _planner_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(3170);
/* harmony import */ var _progress_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(8891);
/* harmony import */ var _rerun_js__WEBPACK_IMPORTED_MODULE_5__ = __nccwpck_require__(6552);
/* harmony import */ var _sql_split_js__WEBPACK_IMPORTED_MODULE_6__ = __nccwpck_require__(9247);
/**
 * What a failure inside one migration of a plan means: where it came (a statement, the
 * bookkeeping, the record of a completed statement, the check of an earlier run's progress), what
 * of the migration committed, and what the on-call user does next, in words and as the partial
 * result the step reports.
 */







/** The connection went away (terminated, network): PostgreSQL has rolled back whatever transaction was open. */
function isConnectionLoss(err) {
    const e = err;
    if (e?.code && /^(57P0[1-3]|08\d{3}|ECONNRESET|EPIPE|ETIMEDOUT)$/.test(e.code))
        return true;
    return !e?.code && /connection (terminated|ended)|not queryable|Client has encountered a connection error/i.test(e?.message ?? '');
}
class StatementFailed extends Error {
    statement;
    index;
    error;
    stage;
    /** How many times the migration was tried (lock timeouts and deadlocks are retried). */
    attempts = 1;
    /** A CONCURRENTLY index statement's: the invalid indexes it left, or that were in its way (invalid-indexes.ts). */
    leftIndexes;
    constructor(statement, index, error, stage = 'run') {
        super(error?.message ?? String(error));
        this.statement = statement;
        this.index = index;
        this.error = error;
        this.stage = stage;
    }
}
/** A failure inside one migration of the plan, with how far that migration got. */
class MigrationFailed extends _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp {
    stoppedIn;
    constructor(message, hint, stoppedIn, facts = {}) {
        super(message, hint, facts);
        this.stoppedIn = stoppedIn;
    }
}
/** PostgreSQL's message with its code and detail, or the driver's. */
function describeError(error) {
    const err = error;
    return `${err?.message ?? String(error)}${err?.code && !/^E[A-Z]/.test(err.code) ? ` [${err.code}]` : ''}${err?.detail ? ` (${err.detail})` : ''}`;
}
/** The statement named by its first line, redacted before it is cut (log.excerpt): no secret's prefix survives the cut. */
function where(m, f, err, table, log) {
    const file = m.file.downFile ?? m.file.name;
    const s = f.statement;
    if (!s)
        return f.index < 0 ? file : `${file} (bookkeeping in ${table})`;
    const pos = Number(err.position);
    const line = Number.isInteger(pos) && pos > 0 ? s.textLine + (0,_sql_split_js__WEBPACK_IMPORTED_MODULE_6__/* .lineAt */ .mh)(s.text, pos - 1) - 1 : s.line;
    return statementAt(m, s, log, line);
}
function statementAt(m, s, log, line = s.line) {
    return `${m.file.downFile ?? m.file.name} line ${line}, statement "${log.excerpt((0,_planner_js__WEBPACK_IMPORTED_MODULE_3__/* .firstCodeLine */ .kQ)(s.text), 100)}"`;
}
function statementsUpTo(n) {
    return n === 1 ? 'statement 1' : `statements 1 to ${n}`;
}
const PROGRESS_TABLE = 'rollback_kit.down_progress';
const reachable = (again) => `Check the database is up and reachable, then ${(0,_rerun_js__WEBPACK_IMPORTED_MODULE_5__/* .runAgain */ .qL)('re-run', again)}: the run continues from this migration.`;
/** The check of an earlier run's progress failed: a read, so nothing of the migration changed. */
function beforeFirstStatement({ m, saved, tracking, target, lost, pgMessage }) {
    const check = `checking the progress an earlier run recorded for it against ${tracking.table}`;
    const ran = saved?.done.length ?? 0;
    return {
        head: lost
            ? `Lost the connection to ${target} while reverting ${m.file.name}, before its first statement (${check}): ${pgMessage}.`
            : `Reverting ${m.file.name} failed before its first statement, ${check}: ${pgMessage}.`,
        state: `Nothing of it ran in this run: ${tracking.table} and ${PROGRESS_TABLE} are as the earlier run left them (${ran} of ${m.statements.length} statement(s) recorded as done), and the re-run checks that record again and goes on from it.`,
        hint: (again) => (lost ? reachable(again) : `Fix what blocks that read (PostgreSQL's message above) and ${(0,_rerun_js__WEBPACK_IMPORTED_MODULE_5__/* .runAgain */ .qL)('re-run', again)}: the run continues from this migration.`),
        ran,
        resumeAt: ran + 1,
        unsure: false,
    };
}
/** A non-transactional statement completed and committed, and the write recording it as done failed. */
function recordFailed({ m, f, tracking, target, log, lost, pgMessage, marked }) {
    const i = f.index;
    const n = m.statements.length;
    const record = `UPDATE ${PROGRESS_TABLE} SET done = done || ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_6__/* .literal */ .eu)((0,_progress_js__WEBPACK_IMPORTED_MODULE_4__/* .statementHash */ .q1)(f.statement.text))}::text WHERE tracking = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_6__/* .literal */ .eu)(tracking.table)} AND migration = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_6__/* .literal */ .eu)(m.file.id)} AND cardinality(done) = ${i}`;
    return {
        head: `${lost ? `Lost the connection to ${target} while reverting` : 'Reverting'} ${m.file.name}: statement ${i + 1} of ${n} ran (${statementAt(m, f.statement, log)}), but recording it as done in ${PROGRESS_TABLE} failed: ${pgMessage}.`,
        state: `It runs statement by statement (non-transactional): ${statementsUpTo(i + 1)} of ${n} ran and cannot be rolled back, but ${PROGRESS_TABLE} records ${i} of them` +
            `${lost ? ` (${i + 1}, if the write landed before the connection went)` : ''}; ${tracking.table} ${marked}. ` +
            `The re-run starts at statement ${i + 1} and runs it again${lost ? ` (at statement ${i + 2}, if the write landed)` : ''}.`,
        hint: (again) => (lost ? reachable(again) : `Fix what stopped the write (PostgreSQL's message above), then ${(0,_rerun_js__WEBPACK_IMPORTED_MODULE_5__/* .runAgain */ .qL)('re-run', again)}: the run continues from this migration.`),
        // The guarded UPDATE does nothing where the write did land.
        then: (again) => ` Running statement ${i + 1} again is harmless when it is written to be repeated (IF EXISTS); if it is not, record it as done before the ${again ? 'new run' : 're-run'}: ${record};`,
        ran: i + 1,
        resumeAt: i + 1,
        unsure: lost,
    };
}
/** A statement, or the bookkeeping around the statements, failed. */
function statementFailed({ m, f, skipped, tracking, target, log, lost, pgMessage, marked }) {
    const at = where(m, f, f.error, tracking.table, log);
    const head = lost ? `Lost the connection to ${target} while reverting ${m.file.name} at ${at}: ${pgMessage}.` : `Reverting ${m.file.name} failed at ${at}: ${pgMessage}.`;
    // A re-run (Re-run jobs) checks out the commit the run started from: a fixed file reaches only a new run.
    const hint = (again) => lost
        ? reachable(again)
        : `If the down SQL is wrong, fix it in ${m.file.name}, push the fix and ${(0,_rerun_js__WEBPACK_IMPORTED_MODULE_5__/* .runAgain */ .qL)('start a new run', again)}: Re-run jobs checks out the same commit and would run the same SQL again. If something else blocks it (PostgreSQL's message above), fix that and ${(0,_rerun_js__WEBPACK_IMPORTED_MODULE_5__/* .runAgain */ .qL)('re-run', again)}: the run continues from this migration.`;
    if (m.transactional) {
        let state;
        if (lost) {
            // A COMMIT in flight when the connection died may or may not have landed; either way the down
            // SQL and its bookkeeping landed together or not at all.
            state = `It may or may not have committed: its down SQL and its bookkeeping in ${tracking.table} commit together, so the database is consistent either way; the re-run reads ${tracking.table} and continues.`;
        }
        else if (skipped > 0) {
            state = `Its transaction was rolled back: ${m.file.name} is still applied in ${tracking.table}, and only its first ${skipped} statement(s), which ran in an earlier run, are done (recorded in ${PROGRESS_TABLE}).`;
        }
        else {
            state = `Its transaction was rolled back: ${m.file.name} is still applied and unchanged in the schema and in ${tracking.table}.`;
        }
        return { head, state, hint, ran: skipped, resumeAt: skipped + 1, unsure: lost };
    }
    const ran = Math.max(skipped, f.index);
    let state = `It runs statement by statement (non-transactional): ${ran} of ${m.statements.length} statement(s) ran and are recorded in ${PROGRESS_TABLE}; ${tracking.table} ${marked}.`;
    if (lost) {
        const uncertain = f.statement ? `statement ${f.index + 1} may or may not have completed` : 'its bookkeeping may or may not have committed';
        state += ` With the connection gone, ${uncertain}; the re-run reads ${tracking.table} and ${PROGRESS_TABLE} and continues.`;
    }
    return { head, state, hint, ran, resumeAt: ran + 1, unsure: lost };
}
/** What the tracking table says of a non-transactional migration until all its statements have run. */
function markedUntilDone(tracking) {
    return tracking.startSql ? 'is marked dirty until all have run' : 'still lists it as applied until all have run';
}
/**
 * The migration's state and what to do, for a failure at `f`. `skipped`: the statements an earlier
 * run did, which this one did not run again; `saved`: the progress that run recorded; `stop`: the
 * run's stop signal; `finish`: the selector a new run finishes the plan with, given whether this
 * migration may have committed (rerun.ts finishWith), undefined where running it again does.
 */
function failure(m, f, skipped, saved, tracking, target, log, stop, finish = () => undefined) {
    const code = f.error.code;
    // Cancelled after the run's own stop (revert.ts cancels what still runs): a stop, not a fault to fix.
    const ours = stop?.aborted === true && code === '57014' && f.stage === 'run' && !/statement timeout/.test(describeError(f.error));
    const facts = {
        m,
        f,
        skipped,
        saved,
        tracking,
        target,
        log,
        lost: isConnectionLoss(f.error),
        pgMessage: describeError(f.error),
        marked: markedUntilDone(tracking),
    };
    const account = f.stage === 'prepare' ? beforeFirstStatement(facts) : f.stage === 'record' ? recordFailed(facts) : statementFailed(facts);
    const again = finish(account.unsure);
    let hint = account.hint(again);
    const tried = f.attempts > 1 ? ` (tried ${f.attempts} times)` : '';
    if (ours)
        hint = `The stop cancelled it, not a fault: ${(0,_rerun_js__WEBPACK_IMPORTED_MODULE_5__/* .runAgain */ .qL)('run it again', again)} when it can run to its end; it continues from this migration.`;
    else if (code === '55P03')
        hint = `A table lock was not granted within lock-timeout-seconds${tried}: a long transaction or query holds it (see pg_stat_activity). ${(0,_rerun_js__WEBPACK_IMPORTED_MODULE_5__/* .runAgain */ .qL)('Re-run', again)} when it is gone, or raise lock-timeout-seconds.`;
    else if (code === '40P01')
        hint = `It deadlocked with another session${tried}. ${(0,_rerun_js__WEBPACK_IMPORTED_MODULE_5__/* .runAgain */ .qL)('Re-run', again)} when traffic on those tables is lower.`;
    // 57014 after the run's own stop is `ours` above; otherwise another session cancelled it: no timeout to raise either.
    else if (code === '57014' && f.stage === 'run' && /statement timeout/.test(describeError(f.error))) {
        hint = `The statement ran longer than statement-timeout-seconds. Raise it if the statement is expected to take that long, then ${(0,_rerun_js__WEBPACK_IMPORTED_MODULE_5__/* .runAgain */ .qL)('re-run', again)}.`;
    }
    else if (code === '57014' && f.stage === 'run')
        hint = `The statement was cancelled by another session (pg_cancel_backend): a stop of this step says so itself. ${(0,_rerun_js__WEBPACK_IMPORTED_MODULE_5__/* .runAgain */ .qL)('Run it again', again)} when it can run to its end.`;
    const left = f.leftIndexes && leftIndexesAccount(f, f.leftIndexes, again);
    if (left)
        hint = left.hint(hint);
    const { ran, resumeAt, unsure } = account;
    const state = `${account.state}${left?.state ?? ''}`;
    const stoppedIn = { version: m.file.version, id: m.file.id, file: m.file.downFile ?? m.file.name, transactional: m.transactional, statements: m.statements.length, ran, resumeAt, unsure, state };
    const by = (0,_core_stop_signals_js__WEBPACK_IMPORTED_MODULE_1__/* .stopSignalName */ .gi)(stop);
    const head = ours ? `Stopped${by ? ` (${by})` : ''} while reverting ${m.file.name}${f.statement ? `, at ${where(m, f, f.error, tracking.table, log)}` : ''}: the stop cancelled it.` : account.head;
    return new MigrationFailed(`${head} ${state}`, `${hint}${account.then?.(again) ?? ''}`, stoppedIn, ours ? { stopped: true } : {});
}
const list = (names) => `${names.length === 1 ? 'index' : 'indexes'} ${names.join(', ')}`;
/**
 * What the invalid indexes a CONCURRENTLY index statement left (or found in its way) mean: said in
 * the state, and the exact statements that clear them put before the hint, since the re-run would
 * fail on them or, with IF NOT EXISTS, keep them invalid. Dropping them is left to the user: why, in
 * invalid-indexes.ts.
 */
function leftIndexesAccount(f, left, again) {
    const k = f.index + 1;
    let state = '';
    if (left.drop.length && f.error instanceof _invalid_indexes_js__WEBPACK_IMPORTED_MODULE_2__/* .IndexInTheWay */ ._N) {
        state += ` Statement ${k} did not run: the invalid ${list(left.drop)} must go first.`;
    }
    else if (left.drop.length) {
        state +=
            ` Statement ${k} left the invalid ${list(left.drop)} behind, recorded nowhere: PostgreSQL commits a CONCURRENTLY index before its work is done; queries do not use it, but writes to its table still update it.` +
                ' A re-run would fail on it ("already exists") or, with IF NOT EXISTS, keep it invalid.';
    }
    if (left.finishing.length)
        state += ` Statement ${k} left the ${list(left.finishing)} invalid and half dropped (queries no longer use it): the re-run runs statement ${k} again, which finishes the drop.`;
    if (left.unchecked) {
        state +=
            ` Statement ${k} builds or drops an index CONCURRENTLY, which can leave an invalid index behind when it ends early, and that could not be checked (${left.unchecked}): ${_invalid_indexes_js__WEBPACK_IMPORTED_MODULE_2__/* .FIND_INVALID_SQL */ .X1} lists them.` +
                ` Drop one it left (not one it was dropping) with DROP INDEX CONCURRENTLY IF EXISTS <name>; before the re-run.`;
    }
    if (!left.drop.length)
        return { state, hint: (hint) => hint };
    const drops = left.drop.map(_invalid_indexes_js__WEBPACK_IMPORTED_MODULE_2__/* .dropSql */ .SA).join(' ');
    return {
        state,
        hint: (hint) => f.error instanceof _invalid_indexes_js__WEBPACK_IMPORTED_MODULE_2__/* .IndexInTheWay */ ._N
            ? `Drop it (once no session is building it: pg_stat_progress_create_index): ${drops} Then ${(0,_rerun_js__WEBPACK_IMPORTED_MODULE_5__/* .runAgain */ .qL)('re-run', again)}: the run continues from this migration.`
            : `First drop what statement ${k} left: ${drops} Then: ${hint}`,
    };
}


/***/ }),

/***/ 9247:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  iy: () => (/* binding */ codeStart),
  ql: () => (/* binding */ copyFromStdin),
  up: () => (/* binding */ hasCode),
  mh: () => (/* binding */ lineAt),
  eu: () => (/* binding */ literal),
  i7: () => (/* binding */ needsOwnTransaction),
  GD: () => (/* binding */ readsAlike),
  ls: () => (/* binding */ sessionSetting),
  i0: () => (/* binding */ setsStatementTimeout),
  Xd: () => (/* binding */ splitStatements),
  nY: () => (/* binding */ stripComments),
  my: () => (/* binding */ transactionControl)
});

// EXTERNAL MODULE: ./.build/db/catalog.js
var catalog = __nccwpck_require__(9066);
;// CONCATENATED MODULE: ./.build/db/sql-lexer.js
/**
 * Where PostgreSQL statements end, read in pieces: a `;` ends one only in code, not inside a string
 * ('\u2026', E'\u2026'), a quoted identifier, a dollar-quoted body, a comment (`--`, nested `/* \u2026 *\/`) or a
 * `BEGIN ATOMIC \u2026 END` function body. The migration splitter and the restore script reader share it,
 * so both agree on what is code.
 *
 * Where a '\u2026' string ends depends on the session's standard_conforming_strings: on (the default),
 * a backslash is an ordinary character; off (a legacy setting a database or role may still have),
 * it escapes the character after it, as it always does in E'\u2026', so 'a\';b' is one string. The
 * lexer starts from the value it is given (the session's) and follows the script's own SET and RESET
 * of it from the statement after, as psql does between the statements it sends.
 *
 * The lexer keeps its state between pieces. A piece must end after a newline (or be the last): no
 * token spans one, so none is cut. Only ASCII matters to it, so a script in any server encoding can
 * be read one character per byte (latin1), its offsets then being byte offsets.
 */
const MODE_CODE = 0;
const MODE_LINE_COMMENT = 1;
const MODE_BLOCK_COMMENT = 2;
const MODE_STRING = 3;
const MODE_ESCAPE_STRING = 4;
const MODE_IDENTIFIER = 5;
const MODE_DOLLAR = 6;
const TAB = 9;
const CR = 13;
const SPACE = 32;
const DQUOTE = 34;
const DOLLAR = 36;
const QUOTE = 39;
const STAR = 42;
const DASH = 45;
const SLASH = 47;
const SEMICOLON = 59;
const BACKSLASH = 92;
const AMPERSAND = 38;
/** The letters that make a '\u2026' right after them (and after no other word character) a string of their own kind. */
const isEscapePrefix = (c) => c === 69 || c === 101; // E'\u2026': backslash escapes, whatever the setting
const isBitPrefix = (c) => c === 66 || c === 98 || c === 88 || c === 120; // B'\u2026', X'\u2026': no escapes
const isUnicodePrefix = (c) => c === 85 || c === 117; // U&'\u2026': no backslash escapes (refused with the setting off)
const isLetter = (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isDigit = (c) => c >= 48 && c <= 57;
/** A character of a word, as \w: what makes E' and $ part of a longer token. */
const isWordChar = (c) => isLetter(c) || isDigit(c);
const isSpace = (c) => c === SPACE || (c >= TAB && c <= CR);
/** A statement longer than this is not read for a SET of standard_conforming_strings (pg_dump's is one short line). */
const SETTING_MAX = 4096;
class SqlLexer {
    mode = MODE_CODE;
    /** Block comments nest. */
    depth = 0;
    /** The `$tag$` that closes the dollar quote we are in. */
    tag = '';
    /** Inside BEGIN ATOMIC \u2026 END, semicolons belong to the body; CASE \u2026 END inside it nests. */
    atomic = 0;
    afterBegin = false;
    /**
     * The statement began CREATE [OR REPLACE] FUNCTION or PROCEDURE: only there is BEGIN ATOMIC a body,
     * as psql reads it (a table's columns may be named begin and atomic).
     */
    routine = false;
    /** Words read of the statement so far, up to the four that say whether it creates a routine. */
    head = [];
    /** Code was read since the last statement ended. */
    inStatement = false;
    /** The last two characters of the pieces before, for E'\u2026' and $\u2026$ at a piece's start. */
    last1 = -1;
    last2 = -1;
    /** standard_conforming_strings now, and what RESET brings back (the session's, as given). */
    conforming;
    resetConforming;
    onEnd;
    onPart;
    /** A SET, RESET or DISCARD statement's text from earlier pieces, read at its end; undefined for any other statement, or one too long. */
    setting;
    /** Where the statement began in the piece being read (0 when it began in an earlier one); -1 between statements. */
    statementFrom = -1;
    /** The string being read is a plain '\u2026', whose backslashes standard_conforming_strings decides. */
    plain = false;
    backslashInPlainString = false;
    constructor(options) {
        this.conforming = options.standardConformingStrings;
        this.resetConforming = options.standardConformingStrings;
        this.onEnd = options.onEnd ?? (() => undefined);
        this.onPart = options.onPart;
    }
    /** standard_conforming_strings as the text read so far leaves it. */
    get standardConformingStrings() {
        return this.conforming;
    }
    /**
     * A backslash stood inside a plain '\u2026' string of the text read so far: read with the other
     * standard_conforming_strings, that string would end elsewhere or hold something else.
     */
    get backslashInString() {
        return this.backslashInPlainString;
    }
    /** Outside any quote, comment or dollar-quoted body (possibly inside a statement). */
    get inCode() {
        return this.mode === MODE_CODE || this.mode === MODE_LINE_COMMENT;
    }
    /** Between statements: outside any quote or comment, and no code since the last one ended. */
    get idle() {
        return !this.inStatement && (this.mode === MODE_CODE || this.mode === MODE_LINE_COMMENT);
    }
    scan(text) {
        const n = text.length;
        let i = 0;
        while (i < n) {
            switch (this.mode) {
                case MODE_LINE_COMMENT: {
                    // PostgreSQL's scan.l (and psql's psqlscan.l): `newline [\n\r]` ends a -- comment, so a
                    // file with CR-only line endings has code on the line after one.
                    const nl = lineEnd(text, i);
                    if (nl < 0)
                        i = n;
                    else {
                        i = nl + 1;
                        this.enter(MODE_CODE, 'code', i);
                    }
                    break;
                }
                case MODE_BLOCK_COMMENT:
                    i = this.blockComment(text, i);
                    break;
                case MODE_STRING: {
                    const end = this.quoted(text, i, "'", QUOTE);
                    if (this.plain)
                        for (let k = i; k < end && !this.backslashInPlainString; k++)
                            this.backslashInPlainString = text.charCodeAt(k) === BACKSLASH;
                    i = end;
                    break;
                }
                case MODE_IDENTIFIER:
                    i = this.quoted(text, i, '"', DQUOTE);
                    break;
                case MODE_ESCAPE_STRING:
                    i = this.escapeString(text, i);
                    break;
                case MODE_DOLLAR: {
                    const close = text.indexOf(this.tag, i);
                    if (close < 0)
                        i = n;
                    else {
                        this.enter(MODE_CODE, 'code', close);
                        i = close + this.tag.length;
                    }
                    break;
                }
                default:
                    i = this.code(text, i);
            }
        }
        if (this.statementFrom >= 0) {
            if (this.setting !== undefined && this.isSetting())
                this.setting = this.setting.length + n - this.statementFrom <= SETTING_MAX ? this.setting + text.slice(this.statementFrom) : undefined;
            this.statementFrom = 0;
        }
        if (n >= 2)
            this.last2 = text.charCodeAt(n - 2);
        else if (n === 1)
            this.last2 = this.last1;
        if (n >= 1)
            this.last1 = text.charCodeAt(n - 1);
    }
    enter(mode, part, at) {
        this.mode = mode;
        this.onPart?.(part, at);
    }
    /**
     * The character `back` places before `i`, from an earlier piece when `i` is near this one's start
     * (the two last: a piece ends with a newline, which no prefix spans).
     */
    before(text, i, back) {
        const at = i - back;
        if (at >= 0)
            return text.charCodeAt(at);
        return at === -1 ? this.last1 : at === -2 ? this.last2 : -1;
    }
    /** The kind of string a quote at `i` opens, by what stands right before it. */
    stringAt(text, i) {
        const p = this.before(text, i, 1);
        this.plain = false;
        if (isEscapePrefix(p) && !isWordChar(this.before(text, i, 2)))
            return MODE_ESCAPE_STRING;
        if (isBitPrefix(p) && !isWordChar(this.before(text, i, 2)))
            return MODE_STRING;
        if (p === AMPERSAND && isUnicodePrefix(this.before(text, i, 2)) && !isWordChar(this.before(text, i, 3)))
            return MODE_STRING;
        this.plain = true;
        return this.conforming ? MODE_STRING : MODE_ESCAPE_STRING;
    }
    /** The statement being read began SET, RESET or DISCARD. */
    isSetting() {
        return this.head[0] === 'set' || this.head[0] === 'reset' || this.head[0] === 'discard';
    }
    /** The statement ended at `at`: a SET or RESET of standard_conforming_strings takes effect from the next one. */
    endStatement(text, at) {
        if (this.setting !== undefined && this.statementFrom >= 0 && this.isSetting() && this.setting.length + at - this.statementFrom <= SETTING_MAX) {
            const value = conformingStringsSet({ text: this.setting + text.slice(this.statementFrom, at), standardConformingStrings: this.conforming });
            if (value !== undefined)
                this.conforming = value === 'reset' ? this.resetConforming : value;
        }
        this.statementFrom = -1;
        this.setting = undefined;
    }
    /** Reads code up to the next quote or comment (returning just after its opening) or the piece's end. */
    code(text, from) {
        const n = text.length;
        let i = from;
        while (i < n) {
            const c = text.charCodeAt(i);
            if (c === DASH && text.charCodeAt(i + 1) === DASH) {
                this.enter(MODE_LINE_COMMENT, 'comment', i);
                return i + 2;
            }
            if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
                this.enter(MODE_BLOCK_COMMENT, 'comment', i);
                this.depth = 1;
                return i + 2;
            }
            if (c === SEMICOLON && this.atomic === 0) {
                this.endStatement(text, i);
                this.inStatement = false;
                this.afterBegin = false;
                this.routine = false;
                this.head = [];
                this.onEnd(i);
                i++;
                continue;
            }
            if (isSpace(c)) {
                i++;
                continue;
            }
            if (!this.inStatement) {
                this.statementFrom = i;
                this.setting = '';
            }
            this.inStatement = true;
            // Only a word right after BEGIN makes BEGIN ATOMIC: a comma, a bracket or a quote between them does not.
            if (!isLetter(c))
                this.afterBegin = false;
            if (c === QUOTE) {
                this.enter(this.stringAt(text, i), 'quoted', i + 1);
                return i + 1;
            }
            if (c === DQUOTE) {
                this.enter(MODE_IDENTIFIER, 'quoted', i + 1);
                return i + 1;
            }
            if (c === DOLLAR && !isWordChar(this.before(text, i, 1))) {
                const end = dollarTagEnd(text, i);
                if (end > 0) {
                    this.tag = text.slice(i, end);
                    this.enter(MODE_DOLLAR, 'quoted', end);
                    return end;
                }
            }
            else if (isLetter(c)) {
                let end = i + 1;
                for (let w = text.charCodeAt(end); isWordChar(w) || w === DOLLAR; w = text.charCodeAt(++end))
                    ;
                this.word(text, i, end);
                i = end;
                continue;
            }
            i++;
        }
        return i;
    }
    word(text, start, end) {
        const length = end - start;
        if (this.head.length < 4) {
            const w = length <= 9 ? text.slice(start, end).toLowerCase() : '';
            this.head.push(w);
            const h = this.head.join(' ');
            if (h === 'create function' || h === 'create procedure' || h === 'create or replace function' || h === 'create or replace procedure')
                this.routine = true;
        }
        const word = length >= 3 && length <= 6 ? text.slice(start, end).toLowerCase() : '';
        if (this.routine && this.afterBegin && word === 'atomic')
            this.atomic++;
        else if (this.atomic > 0 && word === 'case')
            this.atomic++;
        else if (this.atomic > 0 && word === 'end')
            this.atomic--;
        this.afterBegin = word === 'begin';
    }
    blockComment(text, from) {
        const n = text.length;
        let i = from;
        while (i < n) {
            const c = text.charCodeAt(i);
            if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
                this.depth++;
                i += 2;
            }
            else if (c === STAR && text.charCodeAt(i + 1) === SLASH) {
                i += 2;
                if (--this.depth === 0) {
                    this.enter(MODE_CODE, 'code', i);
                    return i;
                }
            }
            else
                i++;
        }
        return i;
    }
    /** '\u2026' or "\u2026", where a doubled quote is one quote character. */
    quoted(text, from, quote, code) {
        let i = from;
        for (;;) {
            const at = text.indexOf(quote, i);
            if (at < 0)
                return text.length;
            if (text.charCodeAt(at + 1) !== code) {
                this.enter(MODE_CODE, 'code', at);
                return at + 1;
            }
            i = at + 2;
        }
    }
    /** E'\u2026', or '\u2026' with standard_conforming_strings off: a backslash escapes the character after it. */
    escapeString(text, from) {
        const n = text.length;
        let i = from;
        while (i < n) {
            const c = text.charCodeAt(i);
            if (c === BACKSLASH) {
                if (this.plain)
                    this.backslashInPlainString = true;
                i += 2;
            }
            else if (c === QUOTE && text.charCodeAt(i + 1) === QUOTE)
                i += 2;
            else if (c === QUOTE) {
                this.enter(MODE_CODE, 'code', i);
                return i + 1;
            }
            else
                i++;
        }
        return n;
    }
}
/** The end of the `$tag$` or `$$` at `at`, or -1: `$1` is a parameter, not a quote. */
function dollarTagEnd(text, at) {
    let i = at + 1;
    if (isLetter(text.charCodeAt(i))) {
        i++;
        while (isWordChar(text.charCodeAt(i)))
            i++;
    }
    return text.charCodeAt(i) === DOLLAR ? i + 1 : -1;
}
/** Where the line from `from` ends: the first \n or \r, or -1. */
function lineEnd(text, from) {
    for (let i = from; i < text.length; i++)
        if (text[i] === '\n' || text[i] === '\r')
            return i;
    return -1;
}
const recent = new Map();
const RECENT_TEXTS = 256;
const RECENT_MAX_CHARS = 4096;
function read(sql) {
    const keep = sql.text.length <= RECENT_MAX_CHARS;
    const key = `${sql.standardConformingStrings ? 'on' : 'off'}:${sql.text}`;
    const known = keep ? recent.get(key) : undefined;
    if (known)
        return known;
    const starts = [{ part: 'code', at: 0 }];
    new SqlLexer({ standardConformingStrings: sql.standardConformingStrings, onPart: (part, at) => starts.push({ part, at }) }).scan(sql.text);
    const parts = Object.freeze(starts.map(({ part, at }, k) => Object.freeze({ part, text: sql.text.slice(at, starts[k + 1]?.at ?? sql.text.length), ...(part === 'quoted' && at > 0 ? { quote: sql.text[at - 1] } : {}) })));
    const fresh = { parts, blanked: {} };
    if (keep) {
        if (recent.size >= RECENT_TEXTS)
            recent.delete(recent.keys().next().value);
        recent.set(key, fresh);
    }
    return fresh;
}
/** `sql` cut into the parts the lexer reads it as, in order: joined, they are `sql` again. */
function sqlParts(sql) {
    return read(sql).parts;
}
/**
 * `sql` as the lexer reads it, each character that is not code replaced by a space (newlines kept,
 * so offsets and lines still hold): comments always, and with `quoted` the insides of strings,
 * quoted identifiers and dollar-quoted bodies too. For classifying a statement, never for running it.
 */
function blankSql(sql, blank) {
    const known = read(sql);
    const which = blank.quoted ? 'quoted' : 'code';
    return (known.blanked[which] ??= known.parts.map(({ part, text }) => (part === 'code' || (part === 'quoted' && !blank.quoted) ? text : text.replace(/[^\n]/g, ' '))).join(''));
}
// Read from trimmed code: the value runs to the end (a lazy value before `\s*$` backtracked over
// every run of white space inside it, n\u00b2 steps).
const SET_CONFORMING = /^set\s+(?:(?:session|local)\s+)?"?standard_conforming_strings"?\s*(?:=|\bto\b)\s*([\s\S]*)$/i;
const RESET_CONFORMING = /^(?:reset\s+(?:"?standard_conforming_strings"?|all)|discard\s+all)\s*$/i;
/**
 * What a statement sets standard_conforming_strings to: on (true), off (false), its value at the
 * session's start ('reset': RESET, RESET ALL, DISCARD ALL, SET \u2026 TO DEFAULT), or undefined for any
 * other statement or a value PostgreSQL refuses. SET LOCAL counts as SET: a down migration runs in
 * one transaction, whose rest it governs. (set_config() and a SET inside a function are not followed.)
 */
function conformingStringsSet(statement) {
    const code = blankSql(statement, { quoted: false }).trim();
    if (RESET_CONFORMING.test(code))
        return 'reset';
    const value = SET_CONFORMING.exec(code)?.[1];
    if (value === undefined)
        return undefined;
    if (/^default$/i.test(value))
        return 'reset';
    const quoted = /^(?:[eE]?'([^'\\]*)'|"([^"]*)")$/.exec(value);
    return parseBool(quoted ? (quoted[1] ?? quoted[2]) : value);
}
/** A boolean as PostgreSQL's parse_bool reads one: a prefix of true, false, yes or no, on, of(f), 1 or 0, in any case. */
function parseBool(value) {
    const v = value.toLowerCase();
    if (!v)
        return undefined;
    if ('true'.startsWith(v) || 'yes'.startsWith(v) || v === 'on' || v === '1')
        return true;
    if ('false'.startsWith(v) || 'no'.startsWith(v) || v === 'of' || v === 'off' || v === '0')
        return false;
    return undefined;
}

;// CONCATENATED MODULE: ./.build/migrations/sql-split.js
/**
 * Splits migration SQL into statements the way psql does, so each one can run alone: needed for
 * non-transactional migrations (PostgreSQL refuses CONCURRENTLY inside any transaction block,
 * including the implicit one of a multi-statement query) and to name the statement that failed.
 */


/**
 * Semicolons end a statement only outside quotes, dollar quotes, comments and `BEGIN ATOMIC`
 * function bodies. Statements that are only comments or blanks are dropped. `sql` is read from its
 * standard_conforming_strings on, following its own SETs of it, as psql would send it statement by
 * statement: each statement says what it was read with.
 */
function splitStatements(sql) {
    const out = [];
    let start = 0;
    let conforming = sql.standardConformingStrings;
    const push = (end) => {
        const raw = { text: sql.text.slice(start, end), standardConformingStrings: conforming };
        if (hasCode(raw)) {
            const lead = raw.text.length - raw.text.trimStart().length;
            out.push({ text: raw.text.trim(), offset: start + lead, standardConformingStrings: conforming });
        }
    };
    const lexer = new SqlLexer({
        standardConformingStrings: conforming,
        onEnd: (end) => {
            push(end);
            start = end + 1;
            conforming = lexer.standardConformingStrings;
        },
    });
    lexer.scan(sql.text);
    push(sql.text.length);
    return out;
}
/**
 * The statement reads the same whatever standard_conforming_strings is, where its strings end and
 * what they hold: none of its '\u2026' strings holds a backslash (E'\u2026', dollar quotes and names never differ).
 */
function readsAlike(s) {
    const lexer = new SqlLexer({ standardConformingStrings: s.standardConformingStrings });
    lexer.scan(s.text);
    return !lexer.backslashInString;
}
/** Offset of the first character that is neither whitespace nor comment (the text's length when none is). */
function codeStart(sql) {
    const at = stripComments(sql).search(/\S/);
    return at < 0 ? sql.text.length : at;
}
/** True when the text holds something other than whitespace and comments. */
function hasCode(sql) {
    return /\S/.test(stripComments(sql));
}
/**
 * The statement with its comments blanked, as the lexer that splits statements reads them: a `--`
 * or `/*` inside a string or a dollar-quoted body is not a comment. For classifying it, never for
 * running it; offsets are those of `sql`.
 */
function stripComments(sql) {
    return blankSql(sql, { quoted: false });
}
/** The statement's keywords and names only: comments, and the insides of strings, quoted identifiers and dollar-quoted bodies, blanked. */
function codeOnly(s) {
    return blankSql(s, { quoted: true });
}
/** The statement's leading words, lower-cased: enough to classify it. */
function leadingWords(s, n) {
    return codeOnly(s).trim().toLowerCase().split(/[\s(;]+/).filter(Boolean).slice(0, n);
}
/** Words that set statement_timeout, or reset it to the server's, in code. */
const TIMEOUT_WORDS = /\bstatement_timeout\b|\breset\s+all\b|\bdiscard\s+all\b/i;
/**
 * The statement sets statement_timeout (SET, SET LOCAL, ALTER ROLE \u2026 SET, set_config()) or resets
 * it to the server's (RESET ALL, DISCARD ALL), as its code says: the words in a comment or a string
 * do nothing (a row of documentation that mentions them), but a string or quoted name that is the
 * setting's name is one (set_config('statement_timeout', \u2026), SET "statement_timeout"), and a
 * dollar-quoted body is code of its own (a DO block or a function that sets it).
 */
function setsStatementTimeout(s) {
    if (TIMEOUT_WORDS.test(codeOnly(s)))
        return true;
    return sqlParts(s).some(({ part, text, quote }) => part === 'quoted' && (quote === '$' ? TIMEOUT_WORDS.test(text) : text.trim().toLowerCase() === 'statement_timeout'));
}
/**
 * Statements PostgreSQL refuses inside a transaction block (error 25001): a migration holding one
 * must run statement by statement, each of these alone.
 */
function needsOwnTransaction(s) {
    const words = leadingWords(s, 4);
    const flat = ` ${codeOnly(s).toLowerCase().replace(/\s+/g, ' ')} `;
    const [a, b] = words;
    if (a === 'vacuum')
        return true;
    if ((a === 'create' || a === 'drop') && (b === 'database' || b === 'tablespace'))
        return true;
    if (a === 'alter' && b === 'system')
        return true;
    // A word of its own, or in REINDEX's option list: `REINDEX (VERBOSE, CONCURRENTLY) TABLE t`.
    const concurrently = /[ (,]concurrently[ ),;]/.test(flat);
    if ((a === 'create' || a === 'drop' || a === 'reindex') && concurrently)
        return true;
    if (a === 'create' && b === 'unique' && concurrently)
        return true;
    if (a === 'alter' && b === 'table' && / detach partition .* concurrently /.test(flat))
        return true;
    return false;
}
/**
 * COPY \u2026 FROM STDIN: the rows come from the client after the statement, as psql sends the lines
 * that follow it. A migration runner sends SQL only, so PostgreSQL gets no rows and cancels it.
 */
function copyFromStdin(s) {
    const flat = ` ${codeOnly(s).toLowerCase().replace(/\s+/g, ' ')} `;
    return leadingWords(s, 1)[0] === 'copy' && / from stdin[ ;]/.test(flat);
}
/** BEGIN / COMMIT / ROLLBACK / SAVEPOINT \u2026: statements that would break the transaction we wrap a migration in. */
function transactionControl(s) {
    const [a, b] = leadingWords(s, 2);
    if (a === 'begin' || (a === 'start' && b === 'transaction'))
        return 'begin';
    if (a === 'commit' || a === 'end')
        return 'commit';
    if (a === 'rollback' || a === 'abort' || a === 'savepoint' || a === 'release' || (a === 'prepare' && b === 'transaction'))
        return 'other';
    return undefined;
}
/**
 * SET / RESET that lasts for the session (search_path, a timeout, SET ROLE, SET SESSION
 * AUTHORIZATION): what a statement run later in the same session depends on. SET LOCAL, SET
 * TRANSACTION and SET CONSTRAINTS end with their transaction.
 */
function sessionSetting(s) {
    const [a, b] = leadingWords(s, 2);
    if (a === 'reset')
        return true;
    // pg_dump's and `supabase db diff`'s way: SELECT pg_catalog.set_config('search_path', '', false).
    if (a === 'select')
        return /^select\s+(pg_catalog\s*\.\s*)?set_config\s*\([\s\S]*,\s*false\s*\)$/i.test(codeOnly(s).trim().replace(/;$/, '').trim());
    return a === 'set' && b !== 'local' && b !== 'transaction' && b !== 'constraints';
}
/** 1-based line of an offset, for messages that point into a file. */
function lineAt(text, offset) {
    let line = 1;
    for (let i = 0; i < offset && i < text.length; i++)
        if (text.charCodeAt(i) === 10)
            line++;
    return line;
}
/** A string literal for SQL text we build ourselves (bookkeeping): the db layer's one quoting helper. */
const literal = catalog/* quoteLiteral */.ce;


/***/ }),

/***/ 8641:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   By: () => (/* binding */ firstSearchPathSchema),
/* harmony export */   XJ: () => (/* binding */ sqlTable),
/* harmony export */   __: () => (/* binding */ versionTableTracking),
/* harmony export */   iX: () => (/* binding */ refuseTableOption),
/* harmony export */   kD: () => (/* binding */ readAppliedTimes),
/* harmony export */   r9: () => (/* binding */ currentSchema),
/* harmony export */   uq: () => (/* binding */ describeTable),
/* harmony export */   yE: () => (/* binding */ splitTableOption),
/* harmony export */   yl: () => (/* binding */ rowVersionsSql)
/* harmony export */ });
/* unused harmony export isTableOption */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3867);
/* harmony import */ var _db_catalog_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(9066);
/* harmony import */ var _files_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(5133);
/* harmony import */ var _sql_split_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(9247);
/**
 * Tracking tables: naming them as SQL and in messages, finding the schema a tool puts them in, and
 * reading the ones that keep one row per applied migration under a `version` column.
 */




/** The table as SQL: each part quoted, so case and odd characters mean what the tool meant. */
function sqlTable(t) {
    return (0,_db_catalog_js__WEBPACK_IMPORTED_MODULE_1__/* .qualified */ .LX)(t.schema, t.name);
}
const PLAIN_NAME = /^[a-z_][a-z0-9_$]*$/;
/** The table as messages name it: `schema.table`, parts quoted only where PostgreSQL would need it. */
function describeTable(t) {
    const part = (p) => (PLAIN_NAME.test(p) ? p : `"${p.replace(/"/g, '""')}"`);
    return `${part(t.schema)}.${part(t.name)}`;
}
/** The session's current schema (the first schema of its search_path that exists), or `public` when none does. */
async function currentSchema(session) {
    const r = await session.query('SELECT current_schema() AS schema');
    return r.rows[0]?.schema || 'public';
}
/** The first entry of a search_path value, trimmed, as dbmate takes it; undefined when there is none. */
function firstSearchPathSchema(searchPath) {
    return searchPath?.split(',')[0]?.trim() || undefined;
}
/** Whether `option` is `table` or `schema.table`: at most one dot, no empty part. */
function isTableOption(option) {
    const parts = option.trim().split('.');
    return parts.length <= 2 && parts.every(Boolean);
}
/**
 * A `schema.table` or `table` option, split as dbmate and node-pg-migrate split it (at the dot);
 * more than one dot, or an empty part, is refused.
 */
function splitTableOption(option, format) {
    const parts = option.trim().split('.');
    if (!isTableOption(option)) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`migrations-table "${option}" is not a table name: give table or schema.table, as ${format} takes it.`);
    }
    return parts.length === 2 ? { schema: parts[0], name: parts[1] } : { name: parts[0] };
}
/** For tools whose tracking table is fixed: a migrations-table input would be read by nobody. */
function refuseTableOption(config, format, table) {
    if (config.migrationsTable) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`migrations-table is set, but ${format} has no option for its tracking table: it always uses ${table}.`, 'Remove migrations-table, or set format if the migrations belong to another tool.');
    }
}
/**
 * The row versions of `table` (those matching `where`, literals inlined), as one text value: each
 * row's xmin, the transaction that wrote it, which a restore or an UPDATE changes and VACUUM keeps.
 */
function rowVersionsSql(table, where) {
    return `SELECT coalesce(string_agg(xmin::text, ',' ORDER BY xmin::text), '') FROM ${sqlTable(table)}${where ? ` WHERE ${where}` : ''}`;
}
/** The bookkeeping of tools that keep one row per applied migration, keyed by a `version` column (dbmate, Supabase, ours). */
function versionTableTracking(table) {
    return {
        table: describeTable(table),
        relation: sqlTable(table),
        lockKey: async () => undefined,
        appliedSql: `SELECT version FROM ${sqlTable(table)}`,
        appliedIds: (rows) => (0,_files_js__WEBPACK_IMPORTED_MODULE_2__/* .sortVersions */ .M7)(rows.map((r) => String(r.version))),
        revertSql: (m) => [`DELETE FROM ${sqlTable(table)} WHERE version = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_3__/* .literal */ .eu)(m.id)}`],
        rowVersionSql: (m) => rowVersionsSql(table, `version = ${(0,_sql_split_js__WEBPACK_IMPORTED_MODULE_3__/* .literal */ .eu)(m.id)}`),
    };
}
/**
 * When each id was applied: `sql` selects `id` and `at` (a timestamptz) for the ids in `$1`. The
 * driver turns timestamptz into an instant, whatever the session's time zone.
 */
async function readAppliedTimes(session, sql, ids) {
    const { rows } = await session.query(sql, [ids]);
    return new Map(rows.filter((r) => r.at !== null).map((r) => [r.id, r.at]));
}


/***/ }),

/***/ 8331:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  UB: () => (/* binding */ SnapshotLacksRows),
  vA: () => (/* binding */ appliedSinceText),
  My: () => (/* binding */ holdsText),
  eL: () => (/* binding */ requireCoverage),
  qo: () => (/* binding */ requireWayBack),
  dV: () => (/* binding */ takenText),
  aK: () => (/* binding */ warnIfOlderThanReverted)
});

// UNUSED EXPORTS: COUNT_CAP, ageText

// EXTERNAL MODULE: ./.build/core/errors.js + 1 modules
var errors = __nccwpck_require__(3867);
// EXTERNAL MODULE: ./.build/db/catalog.js
var catalog = __nccwpck_require__(9066);
;// CONCATENATED MODULE: ./.build/db/patterns.js
/**
 * Schema and table names as pg_dump reads them (`-n`, `-N`, `--exclude-table-data`), resolved to
 * the exact objects of one database. pg_dump folds unquoted names to lower case and treats `*` and
 * `?` as wildcards; double quotes keep case and make every character literal. We resolve the
 * user's patterns ourselves, under those same rules, and hand pg_dump only exact quoted names, so
 * the manifest and the archive can never disagree about what was dumped.
 */


function tokenize(part) {
    const tokens = [];
    let quoted = false;
    for (let i = 0; i < part.length; i++) {
        const ch = part[i];
        if (ch === '"') {
            if (quoted && part[i + 1] === '"') {
                tokens.push({ char: '"' });
                i++;
            }
            else
                quoted = !quoted;
        }
        else if (!quoted && ch === '*') {
            // "**" means what "*" means; keeping one keeps matching linear.
            if (tokens.at(-1) !== '*')
                tokens.push('*');
        }
        else if (!quoted && ch === '?')
            tokens.push('?');
        else
            tokens.push({ char: quoted ? ch : ch.toLowerCase() });
    }
    return tokens;
}
/**
 * One dot-separated part of a pattern \u2192 a test of a whole name, with psql/pg_dump's meaning. Not
 * a regular expression: "a*a*a*\u2026" against a long name backtracks exponentially there. This is the
 * classic wildcard match (retry from the last `*` only), at most name \u00d7 pattern steps.
 */
function partMatcher(part) {
    const tokens = tokenize(part);
    return (name) => {
        const chars = [...name];
        let t = 0;
        let c = 0;
        let starAt = -1;
        let resumeAt = 0;
        while (c < chars.length) {
            const token = tokens[t];
            if (token === '*') {
                starAt = t++;
                resumeAt = c;
            }
            else if (token !== undefined && (token === '?' || token.char === chars[c])) {
                t++;
                c++;
            }
            else if (starAt >= 0) {
                t = starAt + 1;
                c = ++resumeAt;
            }
            else
                return false;
        }
        while (tokens[t] === '*')
            t++;
        return t === tokens.length;
    };
}
/** Splits on dots outside double quotes. */
function splitParts(pattern) {
    const parts = [];
    let current = '';
    let quoted = false;
    for (const ch of pattern) {
        if (ch === '"')
            quoted = !quoted;
        if (ch === '.' && !quoted) {
            parts.push(current);
            current = '';
        }
        else
            current += ch;
    }
    parts.push(current);
    return parts;
}
/** A table as a pg_dump pattern that matches exactly it: a quoted identifier is taken literally. */
function exactTablePattern(t) {
    return qualified(t.schema, t.name);
}
// No backslash (a LIKE escape) in a string: with standard_conforming_strings off it would be read as an escape and dropped.
const USER_SCHEMA = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND left(n.nspname, 8) NOT IN ('pg_toast', 'pg_temp_')";
async function userSchemas(session) {
    const { rows } = await session.query(`SELECT n.nspname FROM pg_namespace n WHERE ${USER_SCHEMA}
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
      ORDER BY 1`);
    return rows.map((r) => r.nspname);
}
/**
 * A hint for a pattern that matches nothing only because of letter case: `billing` or `Billing`
 * (folded to lower case, as pg_dump does) or `"billing"` (quoted, but in the wrong case) for a
 * schema or table named `Billing`. Names the real name and how to write it.
 */
function caseHint(pattern, candidates) {
    const bare = pattern.replace(/"/g, '');
    const real = candidates.find((c) => c.toLowerCase() === bare.toLowerCase() && c !== (pattern.includes('"') ? bare : bare.toLowerCase()));
    if (!real)
        return '';
    const quoted = `"${real.replace(/"/g, '""')}"`;
    return pattern.includes('"')
        ? ` Quoted names match exactly and the name is ${real}: write ${quoted} to match it.`
        : ` Unquoted names are folded to lower case, as pg_dump does, and the name is ${real}: write ${quoted} in double quotes to match it.`;
}
/** Schema names matching one pattern (`input` names the input for messages). */
async function resolveSchemaPattern(session, pattern, input) {
    const parts = splitParts(pattern);
    if (parts.length !== 1)
        throw new RollbackKitError(`${input}: "${pattern}" is not a schema name (it has a dot).`);
    const all = await userSchemas(session);
    const matches = partMatcher(parts[0]);
    const found = all.filter(matches);
    if (!found.length && input === 'schemas') {
        throw new RollbackKitError(`schemas: "${pattern}" matches no schema; ${thereAre(all)}.${caseHint(pattern, all)}`);
    }
    return found;
}
/**
 * Tables matching one pattern: `schema.table`, or `table` meaning tables visible on the search path
 * (usually public), as pg_dump resolves it.
 */
async function resolveTablePattern(session, pattern) {
    const parts = splitParts(pattern);
    if (parts.length > 2 || parts.some((p) => !p))
        throw new RollbackKitError(`"${pattern}" is not a table name: write table or schema.table.`);
    const [schemaPart, namePart] = parts.length === 2 ? parts : [undefined, parts[0]];
    const nameMatches = partMatcher(namePart);
    const schemaMatches = schemaPart === undefined ? undefined : partMatcher(schemaPart);
    const { rows } = await session.query(`SELECT n.nspname AS schema, c.relname AS name, pg_catalog.pg_table_is_visible(c.oid) AS visible
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMA} ORDER BY 1, 2`);
    // Without a schema, a name means the tables visible on the search path, as in pg_dump.
    return rows
        .filter((r) => nameMatches(r.name) && (schemaMatches ? schemaMatches(r.schema) : r.visible))
        .map(({ schema, name }) => ({ schema, name }));
}
/** How many names a pattern that matched none of them lists (the rest are counted). */
const NAMES_LISTED = 20;
/** What there is, for a pattern that matched none of it: `there are a, b and 3 more`, bounded (someNames). */
function thereAre(names) {
    return `there are ${names.length ? someNames(names, NAMES_LISTED) : 'none'}`;
}
/** Every user table, as `schema.table`, in order: what a table pattern can name. */
async function userTables(session) {
    const { rows } = await session.query(`SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMA} ORDER BY 1, 2`);
    return rows.map((t) => `${t.schema}.${t.name}`);
}
/** Like resolveTablePattern, but a pattern that matches nothing is an error naming it and the tables there are. */
async function resolveTablesStrict(session, patterns, input) {
    const out = [];
    for (const pattern of patterns) {
        const found = await resolveTablePattern(session, pattern);
        if (!found.length) {
            const { rows } = await session.query("SELECT relname FROM pg_class WHERE relkind IN ('r','p') AND lower(relname) = lower($1) LIMIT 5", [pattern.split('.').pop().replace(/"/g, '')]);
            throw new RollbackKitError(`${input} names ${pattern}, which matches no table; ${thereAre(await userTables(session))}.${caseHint(pattern.split('.').pop(), rows.map((r) => r.relname))}`, 'Name tables as table (on the search path, usually public) or schema.table, * for any characters; or leave this one out.');
        }
        for (const t of found)
            if (!out.some((o) => o.schema === t.schema && o.name === t.name))
                out.push(t);
    }
    return out;
}

;// CONCATENATED MODULE: ./.build/db/server-identity.js
/**
 * The live server's identity. pg_control_system() is executable by every role on a stock server;
 * a managed service may revoke it, and then the comparison falls back to host, port and database.
 */
async function readServerIdentity(session, target) {
    let systemIdentifier = null;
    try {
        const r = await session.query('SELECT system_identifier::text AS id FROM pg_control_system()');
        systemIdentifier = r.rows[0]?.id ?? null;
    }
    catch {
        systemIdentifier = null;
    }
    return { host: target.host, port: target.port, database: target.database, systemIdentifier };
}
/** `host:port/db (system identifier N)`: how messages name each side; never holds a secret. */
function describeIdentity(i) {
    const host = i.host.includes(':') ? `[${i.host}]` : i.host;
    return `${host}:${i.port}/${i.database} (system identifier ${i.systemIdentifier ?? 'unknown'})`;
}
/**
 * The snapshot's source as its manifest records it. Manifests written before the server was
 * recorded hold only `target` ("host:port/db"): their identifier is null.
 */
function snapshotSource(manifest) {
    const s = manifest.server;
    if (typeof s.host === 'string' && typeof s.port === 'number') {
        return { host: s.host, port: s.port, database: manifest.database, systemIdentifier: s.systemIdentifier ?? null };
    }
    const m = /^(?:\[(.*)\]|([^:]*)):(\d+)\//.exec(manifest.target ?? '');
    return { host: m?.[1] ?? m?.[2] ?? '', port: Number(m?.[3] ?? 0), database: manifest.database, systemIdentifier: null };
}
/** The redactor's mark (core/secrets.ts): where a manifest held text equal to a secret, it reads this. */
const REDACTED = '***';
/**
 * Whether a name the manifest recorded is `actual`. snapshot-db writes the database name and host
 * through the redactor, so where one equals a secret (postgres://postgres:postgres@\u2026/postgres) it
 * reads ***: each *** then stands for some text, and the rest must match exactly.
 */
function recordedAs(recorded, actual, fold = (s) => s) {
    if (!recorded.includes(REDACTED))
        return fold(recorded) === fold(actual);
    // A scan, not a pattern built from the manifest's text: a long name would pass a regular
    // expression's size limit, whose error quotes it.
    const parts = recorded.split(REDACTED).map(fold);
    const text = fold(actual);
    const head = parts[0];
    const tail = parts[parts.length - 1];
    if (!text.startsWith(head))
        return false;
    // Each *** stands for one character or more; each part in between goes where it is first found.
    let at = head.length;
    for (const part of parts.slice(1, -1)) {
        const found = text.indexOf(part, at + 1);
        if (found === -1)
            return false;
        at = found + part.length;
    }
    return text.length - tail.length >= at + 1 && text.endsWith(tail);
}
function sameHost(recorded, actual) {
    return recordedAs(recorded, actual, (s) => s.toLowerCase());
}
/**
 * The rule: a different database name is another database. Otherwise, when both sides have a
 * system identifier it decides (same identifier = same database, whatever host name reached it);
 * when either lacks one, host and port must match too.
 */
function compareSource(snapshot, target) {
    const sides = `(snapshot: ${describeIdentity(snapshot)}; target: ${describeIdentity(target)})`;
    const haveIds = snapshot.systemIdentifier !== null && target.systemIdentifier !== null;
    const basis = haveIds ? 'system-identifier' : 'host-port-database';
    if (!recordedAs(snapshot.database, target.database)) {
        return { same: false, basis, message: `The snapshot is of another database ${sides}.` };
    }
    if (haveIds) {
        const same = snapshot.systemIdentifier === target.systemIdentifier;
        return { same, basis, message: same ? `The snapshot is of this database ${sides}.` : `The snapshot is of a database of the same name on another server ${sides}.` };
    }
    const same = sameHost(snapshot.host, target.host) && snapshot.port === target.port;
    const why = snapshot.systemIdentifier === null
        ? 'the manifest records no system identifier (taken before it was recorded, or by a user the server did not let read it)'
        : 'the server does not let this user read its system identifier';
    return {
        same,
        basis,
        message: same
            ? `The snapshot is taken to be of this database by host, port and name, because ${why} ${sides}.`
            : `The snapshot cannot be shown to be of this database: host or port differ, and ${why} ${sides}.`,
    };
}

// EXTERNAL MODULE: ./.build/migrations/ledger.js
var ledger = __nccwpck_require__(7485);
// EXTERNAL MODULE: ./.build/migrations/own-tables.js
var own_tables = __nccwpck_require__(2438);
// EXTERNAL MODULE: ./.build/migrations/run-failure.js
var run_failure = __nccwpck_require__(2048);
// EXTERNAL MODULE: ./.build/migrations/tracking.js
var tracking = __nccwpck_require__(8641);
;// CONCATENATED MODULE: ./.build/migrations/way-back.js
/**
 * Whether the verified snapshot run-down-migrations was given is a way back for what the run may
 * destroy: of this database, holding every table's rows, and how old it is next to the migrations
 * the run reverts. A down migration that drops a table takes its rows with it; the snapshot is
 * the only place they are still kept.
 */








/** "2024-05-01 10:00:00 UTC", or the text as given when it is no time. */
function utcText(iso) {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms))
        return iso;
    const s = new Date(ms).toISOString();
    return `${s.slice(0, 10)} ${s.slice(11, 19)} UTC`;
}
/** "42 s", "12 min", "3 h 4 min", "5 days 2 h": an age a person reads at a glance. */
function ageText(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60)
        return `${s} s`;
    const min = Math.floor(s / 60);
    if (min < 60)
        return `${min} min`;
    const h = Math.floor(min / 60);
    if (h < 48)
        return `${h} h ${min % 60} min`;
    return `${Math.floor(h / 24)} days ${h % 24} h`;
}
/** "taken 2024-05-01 10:00:00 UTC, 3 h 4 min before this run": for the log and the summary alike. */
function takenText(w) {
    if (w.ageMs === undefined)
        return `taken at a time its manifest does not give (createdAt "${w.takenAt}")`;
    return `taken ${utcText(w.takenAt)}, ${ageText(w.ageMs)} before this run`;
}
/** "migration 2 (2_codes.sql) was applied 2024-05-01 11:00:00 UTC, after the snapshot was taken, so \u2026": the summary's and the warning's words. */
function appliedSinceText(a) {
    return `migration ${a.version} (${a.file}) was applied ${utcText(a.appliedAt)}, after the snapshot was taken, so rows written since then are not in it`;
}
/** A snapshot of another database (or of the same name on another server) is no way back for this one. */
async function requireSameDatabase(session, target, snapshot, log) {
    const source = compareSource(snapshotSource(snapshot.manifest), await readServerIdentity(session, target));
    if (!source.same) {
        throw new errors/* RollbackKitError */.dp(`Snapshot ${snapshot.path} is no way back for the database this run would change. ${source.message}`, source.basis === 'system-identifier'
            ? 'Pass a snapshot that snapshot-db took of the database in database-url. Nothing was changed.'
            : 'Pass a snapshot that snapshot-db took of the database in database-url, with the same host and port as database-url (snapshots taken now record the server\'s identifier, which any host name for it matches). Nothing was changed.');
    }
    if (source.basis === 'host-port-database')
        log.warning(source.message);
}
/**
 * Schemas of this database the snapshot has no rows of. A snapshot of every schema lacks only those
 * it left out (exclude-schemas); one filtered by `schemas` (or from before `everySchema` was
 * recorded, read as filtered, as restore-db reads it) lacks every schema here it does not list.
 */
async function schemasMissing(session, filter) {
    if (filter.everySchema === true)
        return filter.excludeSchemas.map((name) => ({ name, why: 'excluded' }));
    const here = await userSchemas(session);
    return here
        .filter((s) => filter.excludeSchemas.includes(s) || !filter.schemas.includes(s))
        .map((name) => ({ name, why: filter.excludeSchemas.includes(name) ? 'excluded' : 'outside' }));
}
/**
 * Refuses a snapshot that does not hold every table's rows: taken with exclude-table-data, or
 * without every schema. A down migration that drops such a table would leave its rows nowhere,
 * while the summary spoke of a verified way back.
 */
async function requireEveryRow(session, snapshot) {
    const { filter, tables } = snapshot.manifest;
    // The manifest names each table whose rows were left out exactly (rows: null); its filter names
    // them as `schema.name`, which a dot in a name makes ambiguous, so it only adds what the tables miss.
    const noRows = tables.filter((t) => t.rows === null);
    const named = new Set(noRows.map((t) => `${t.schema}.${t.name}`));
    const tablesMissing = [...noRows.map(tracking/* describeTable */.uq), ...filter.excludeTableData.filter((t) => !named.has(t))];
    const schemas = await schemasMissing(session, filter);
    if (!tablesMissing.length && !schemas.length)
        return;
    const parts = [];
    if (tablesMissing.length)
        parts.push(`no rows of ${tablesMissing.length === 1 ? 'table' : 'tables'} ${(0,catalog/* someNames */.Xq)(tablesMissing)} (taken with exclude-table-data)`);
    const excluded = schemas.filter((s) => s.why === 'excluded').map((s) => s.name);
    const outside = schemas.filter((s) => s.why === 'outside').map((s) => s.name);
    if (excluded.length)
        parts.push(`nothing of ${excluded.length === 1 ? 'schema' : 'schemas'} ${(0,catalog/* someNames */.Xq)(excluded)} (left out with exclude-schemas)`);
    if (outside.length)
        parts.push(`nothing of ${outside.length === 1 ? 'schema' : 'schemas'} ${(0,catalog/* someNames */.Xq)(outside)} (outside its schemas filter, or created since it was taken)`);
    throw new errors/* RollbackKitError */.dp(`Snapshot ${snapshot.path} does not hold every table's rows: it has ${parts.join(', and ')}. A down migration that drops them would leave those rows nowhere.`, 'Take a snapshot of the whole database with snapshot-db (no schemas, exclude-schemas or exclude-table-data) and pass its path as snapshot-path; or, if those rows may be lost, set require-snapshot: false to revert without a snapshot. Nothing was changed.');
}
/**
 * Checks the verified snapshot against the database, before anything changes: the same database,
 * every table's rows as far as its filters go. Whether it lacks tables made since it was taken is
 * requireCoverage's to say, once the run knows it reverts something.
 */
async function requireWayBack(session, target, snapshot, log) {
    await requireSameDatabase(session, target, snapshot, log);
    await requireEveryRow(session, snapshot);
    const takenAt = snapshot.manifest.createdAt;
    const taken = Date.parse(takenAt);
    return { path: snapshot.path, sha256: snapshot.sha256, takenAt, ageMs: Number.isNaN(taken) ? undefined : Date.now() - taken };
}
/**
 * What the snapshot holds of this database's tables, one builder for the log's and the summary's
 * "Way back" line: never "every table's rows" for one that lacks a table, nor for one not compared.
 */
function holdsText(w) {
    if (!w.notHeld)
        return 'its tables were not compared with the database\'s, as nothing was reverted';
    const absent = w.notHeld.filter((t) => !t.renamedFrom);
    const renamed = w.notHeld.filter((t) => t.renamedFrom);
    let text = "it holds every table's rows";
    if (absent.length) {
        const one = absent.length === 1;
        const since = absent.every((t) => t.made) ? 'made since it was taken' : 'made or renamed since it was taken';
        text += ` but ${one ? 'that' : 'those'} of ${one ? 'table' : 'tables'} ${(0,catalog/* someNames */.Xq)(absent.map((t) => t.table))}, which it does not have (${since}) and which ${one ? 'was' : 'were'} empty before this run changed anything`;
    }
    if (renamed.length) {
        // Its rows of then are in the snapshot, under the name it had: never "does not have", nor "made since".
        const one = renamed.length === 1;
        const moves = (0,catalog/* someNames */.Xq)(renamed.map((t) => `${t.renamedFrom} \u2192 ${t.table}`));
        text += `; ${one ? 'table' : 'tables'} ${(0,catalog/* someNames */.Xq)(renamed.map((t) => t.table))} ${one ? 'was' : 'were'} renamed since it was taken (${moves}), so it holds ${one ? 'that table under its old name' : 'them under their old names'}, and ${one ? 'it was' : 'they were'} empty before this run changed anything`;
    }
    return text;
}
/**
 * rollback-kit's own bookkeeping, made by a run after the snapshot it was given (the whole rollback
 * writes its ledger row after its snapshot; a re-run finds the first attempt's rows): no down SQL
 * drops them, and a restore keeps the ledger as it is (db/restore.ts). Not the plain format's
 * tracking table, rollback_kit.schema_migrations: a snapshot without it is no way back for it.
 */
const OWN_BOOKKEEPING = new Set([ledger/* LEDGER_TABLE */.R9, run_failure/* PROGRESS_TABLE */.Ll]);
/**
 * Rows named per table at most: only whether a table holds rows decides anything, and a rough size
 * is enough for the message. Counting stops one past it, under the migration lock, so the check
 * cannot use up statement-timeout-seconds on a large table.
 */
const COUNT_CAP = 1_000;
/**
 * The tables here now whose rows the snapshot does not hold under their names, not rollback-kit's
 * own. A name the manifest lists is held, unless the OIDs say that table lives on under another
 * name and this one is another table. OIDs are not reused while their table lives (only after the
 * cluster's OID counter wraps round), so an OID listed and here is the same table; a database
 * restored since has new OIDs throughout, none listed, and is read by its names as before.
 */
async function tablesNotHeld(session, snapshot) {
    const { tables } = snapshot.manifest;
    const listed = new Map(tables.map((t) => [(0,catalog/* tableKey */.ih)(t), t]));
    const here = await (0,catalog/* listTables */.WS)(session, await userSchemas(session));
    const hereByOid = new Map(here.map((t) => [t.oid, t]));
    const byOid = new Map(tables.filter((t) => t.oid !== undefined).map((t) => [t.oid, t]));
    const everyOid = tables.every((t) => t.oid !== undefined);
    const out = [];
    for (const { schema, name, oid } of here) {
        if (OWN_BOOKKEEPING.has(`${schema}.${name}`))
            continue;
        const table = { schema, name };
        const then = byOid.get(oid);
        if (then) {
            if ((0,catalog/* tableKey */.ih)(then) !== (0,catalog/* tableKey */.ih)(table))
                out.push({ table, renamedFrom: (0,tracking/* describeTable */.uq)(then) });
            continue;
        }
        const sameName = listed.get((0,catalog/* tableKey */.ih)(table));
        const movedAway = sameName?.oid !== undefined ? hereByOid.get(sameName.oid) : undefined;
        if (movedAway)
            out.push({ table, ...(everyOid ? { made: true } : {}), nameWasOf: (0,tracking/* describeTable */.uq)(movedAway) });
        else if (!sameName)
            out.push(everyOid ? { table, made: true } : { table });
    }
    return out;
}
/** Why the manifest lacks these tables, as far as it can tell: "made since it was taken" only when its OIDs say so. */
function sinceText(missing, tables) {
    const keys = new Set(tables.map(catalog/* tableKey */.ih));
    const these = missing.filter((t) => keys.has((0,catalog/* tableKey */.ih)(t.table)));
    if (these.every((t) => t.made))
        return 'made since it was taken';
    return these.every((t) => t.renamedFrom) ? 'renamed since it was taken' : 'made or renamed since it was taken';
}
/**
 * Of these tables, those this role may not read (no USAGE on the schema, or SELECT on no column),
 * with the role: asked before counting, so a missing grant is named, not met as "permission denied"
 * for one of a batch.
 */
async function unreadable(session, tables) {
    const { rows } = await session.query(`SELECT quote_ident(current_user) AS who, u.i, u.usage
       FROM (SELECT 1) one
       LEFT JOIN (SELECT t.i::int AS i, has_schema_privilege(ns.oid, 'USAGE') AS usage
                    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(schema, name, i)
                    JOIN pg_namespace ns ON ns.nspname = t.schema
                    JOIN pg_class c ON c.relnamespace = ns.oid AND c.relname = t.name
                   WHERE NOT (has_schema_privilege(ns.oid, 'USAGE') AND has_any_column_privilege(c.oid, 'SELECT'))) u ON true
      ORDER BY u.i`, [tables.map((t) => t.schema), tables.map((t) => t.name)]);
    const found = rows.filter((r) => r.i !== null);
    return { who: rows[0].who, tables: found.map((r) => ({ table: tables[r.i - 1], usage: r.usage })) };
}
/** The rows of each table counted up to one past COUNT_CAP (`FROM ONLY`, as the snapshot counts them). Bounded by the run's lock_timeout and statement_timeout. */
async function countNotHeld(session, tables) {
    const counts = await (0,catalog/* countRows */.BO)(session, tables.map((t) => t.table), [], COUNT_CAP + 1);
    return counts.map((c, i) => ({ ...tables[i], rows: c.rows ?? 0 }));
}
/** What the OIDs tell of a table the refusal names, after its rows: "; renamed since the snapshot from \u2026". */
function noteText(t) {
    if (t.renamedFrom)
        return `; renamed since the snapshot from ${t.renamedFrom}`;
    if (t.nameWasOf)
        return `; ${t.made ? 'made since the snapshot' : 'made or renamed since the snapshot'}, whose ${(0,tracking/* describeTable */.uq)(t.table)} is the table now named ${t.nameWasOf}`;
    return '';
}
function rowsText(n) {
    return n > COUNT_CAP ? `more than ${COUNT_CAP.toLocaleString('en-US')} rows` : `${n} ${n === 1 ? 'row' : 'rows'}`;
}
/** A snapshot that lacks tables this role may not read: whether they hold rows cannot be told, so it is refused, naming the grant. */
function refuseUnreadable(snapshot, wayBack, who, tables, missing) {
    const one = tables.length === 1;
    const names = (0,catalog/* someNames */.Xq)(tables.map((t) => (0,tracking/* describeTable */.uq)(t.table)));
    const schemas = [...new Set(tables.filter((t) => !t.usage).map((t) => (0,catalog/* quoteIdent */.v4)(t.table.schema)))];
    const grants = [
        ...schemas.map((s) => `GRANT USAGE ON SCHEMA ${s} TO ${who};`),
        `GRANT SELECT ON ${tables.slice(0, catalog/* NAMES_SHOWN */.t6).map((t) => (0,catalog/* qualified */.LX)(t.table.schema, t.table.name)).join(', ')} TO ${who};`,
    ].join(' ');
    throw new errors/* RollbackKitError */.dp(`Snapshot ${snapshot.path} (${takenText(wayBack)}) does not list ${one ? 'table' : 'tables'} ${names} (${sinceText(missing, tables.map((t) => t.table))}), and user ${who} may not read ${one ? 'it' : 'them'}, so whether ${one ? 'it holds' : 'they hold'} rows the snapshot lacks cannot be told.`, `Let the user read ${one ? 'it' : 'them'} (${grants}) and run again; or take a fresh snapshot now with the snapshot-db action and pass its path as snapshot-path; or, if those rows may be lost, set require-snapshot: false to revert without a snapshot. Nothing was changed.`);
}
/**
 * A snapshot that lacks tables whose rows row-level security hides from this role: its count shows
 * only what the policies let it see, so "empty" cannot be told from "holds rows" (and the down SQL
 * may drop them). Refused, naming what would let it see every row.
 */
function refuseHidden(snapshot, wayBack, hidden, missing) {
    const one = hidden.tables.length === 1;
    const names = (0,catalog/* someNames */.Xq)(hidden.tables.map(tracking/* describeTable */.uq));
    throw new errors/* RollbackKitError */.dp(`Snapshot ${snapshot.path} (${takenText(wayBack)}) does not list ${one ? 'table' : 'tables'} ${names} (${sinceText(missing, hidden.tables)}), and row-level security hides ${one ? 'its' : 'their'} rows from user ${hidden.who}, so whether ${one ? 'it holds' : 'they hold'} rows the snapshot lacks cannot be told.`, `To count them, ${(0,catalog/* seeAllRows */.wU)(hidden.who, hidden.tables)}, and run again; or take a fresh snapshot now with the snapshot-db action and pass its path as snapshot-path; or, if those rows may be lost, set require-snapshot: false to revert without a snapshot. Nothing was changed.`);
}
/**
 * The snapshot given lacks rows the database holds now: only another snapshot-path (or
 * require-snapshot: false) gets past it, so a re-run with the same inputs meets it again.
 */
class SnapshotLacksRows extends errors/* RollbackKitError */.dp {
}
/**
 * Refuses a snapshot taken before tables that hold rows now (an old snapshot-db snapshot passed
 * to a later rollback): a down migration that drops one would take rows the snapshot never had,
 * while the run spoke of a way back. An empty one loses nothing (a table the reverted migration
 * made and nothing wrote): allowed, and the "Way back" line names it. Run once the run knows it
 * reverts something, before its first change; logs the "Way back" line and sets `wayBack.notHeld`.
 * A re-run after a partial revert is not refused for tables its first attempt dropped: they are
 * gone, and only tables here now are compared.
 */
async function requireCoverage(session, snapshot, wayBack, log, revertedEarlier = []) {
    let notHeld;
    let missing = [];
    try {
        missing = await tablesNotHeld(session, snapshot);
        const cannotRead = missing.length ? await unreadable(session, missing.map((t) => t.table)) : undefined;
        if (cannotRead?.tables.length)
            refuseUnreadable(snapshot, wayBack, cannotRead.who, cannotRead.tables, missing);
        notHeld = await countNotHeld(session, missing);
    }
    catch (err) {
        if (err instanceof catalog/* RowSecurityHidesRows */.FX)
            refuseHidden(snapshot, wayBack, err, missing);
        if (err instanceof errors/* RollbackKitError */.dp)
            throw err;
        const denied = err.code === own_tables/* INSUFFICIENT_PRIVILEGE */.OJ;
        throw new errors/* RollbackKitError */.dp(`Could not compare the tables of snapshot ${snapshot.path} with the database's: ${log.redact((0,errors/* errorLine */.BP)(err))}.`, denied
            ? 'The user may not read a table the snapshot does not list: grant it SELECT on that table and run again; or take a fresh snapshot now with the snapshot-db action and pass its path as snapshot-path; or set require-snapshot: false to revert without a snapshot. Nothing was changed.'
            : 'A session holding a table (a migration, a long transaction) may have kept the row counts waiting past lock-timeout-seconds or statement-timeout-seconds. Run again once it is done. Nothing was changed.');
    }
    const withRows = notHeld.filter((t) => t.rows > 0);
    if (withRows.length) {
        const one = withRows.length === 1;
        const shown = (0,catalog/* someNames */.Xq)(withRows.map((t) => `${(0,tracking/* describeTable */.uq)(t.table)} (${rowsText(t.rows)}${noteText(t)})`));
        const [it, its] = one ? ['it', 'its'] : ['them', 'their'];
        // "Predates" only when the manifest's OIDs say so: a table renamed since has its rows of then in
        // the snapshot, under its old name.
        const why = withRows.every((t) => t.made)
            ? `its manifest does not list ${it}, so the snapshot predates ${it} and holds none of ${its} rows`
            : `its manifest does not list ${it} under ${one ? 'this name' : 'these names'}${withRows.some((t) => !t.made && !t.renamedFrom) ? ' (made or renamed since it was taken)' : ''}, so the snapshot may not hold ${its} rows as they are now`;
        // A re-run with the snapshot its first attempt had: that attempt's down SQL may have made and
        // filled these tables. Which statement wrote which row is not recorded, so it is refused all the
        // same, saying why, and that the same snapshot will not do.
        const earlier = revertedEarlier.length && withRows.some((t) => !t.renamedFrom)
            ? ` An earlier attempt of this step already reverted ${(0,catalog/* someNames */.Xq)(revertedEarlier)} after the snapshot was taken: a table its down SQL made and filled is not in the snapshot either.`
            : '';
        throw new SnapshotLacksRows(`Snapshot ${snapshot.path} (${takenText(wayBack)}) is no way back for ${one ? 'table' : 'tables'} ${shown}: ${why}. A down migration that drops ${it} would leave those rows nowhere.${earlier}`, earlier
            ? // Re-run jobs runs with the inputs it ran with: never "re-run", which would pass this snapshot again.
                'Take a fresh snapshot now with the snapshot-db action (it holds what that attempt wrote) and pass its path as snapshot-path in a new run: Re-run jobs passes the same snapshot and is refused again. Or, if those rows may be lost, set require-snapshot: false in a new run to revert without a snapshot. Nothing was changed.'
            : 'Take a fresh snapshot now with the snapshot-db action and pass its path as snapshot-path; or, if those rows may be lost, set require-snapshot: false to revert without a snapshot. Nothing was changed.');
    }
    wayBack.notHeld = notHeld.map(({ table, renamedFrom, made }) => ({ table: (0,tracking/* describeTable */.uq)(table), ...(renamedFrom ? { renamedFrom } : {}), ...(made ? { made } : {}) }));
    log.info(`Way back: snapshot ${snapshot.path}, ${takenText(wayBack)}; ${holdsText(wayBack)}.`);
}
/**
 * Warns when the snapshot is older than the migrations the run reverts, as far as the tracking
 * table records when they were applied: rows written since it was taken are not in it, so what
 * the down SQL drops of them has no way back. A warning, not a refusal: a snapshot taken before
 * the deploy, or an hour ago on purpose, still holds every row up to then, and refusing would
 * leave a fresh snapshot (minutes of a large database, mid-incident) or require-snapshot: false
 * (no way back at all) as the only ways on. Sets `wayBack.appliedSince`.
 */
async function warnIfOlderThanReverted(session, tracking, reverting, wayBack, log) {
    if (wayBack.ageMs === undefined || !reverting.length)
        return;
    if (!tracking.appliedAt) {
        log.info(`${tracking.table} records no time a migration was applied, so whether the snapshot is older than the migrations reverted cannot be told.`);
        return;
    }
    let times;
    try {
        times = await tracking.appliedAt(session, reverting.map((m) => m.id));
    }
    catch (err) {
        // A check for a warning: a plain tracking table made without applied_at must not stop the rollback.
        log.info(`Could not read when the migrations were applied from ${tracking.table} (${log.redact((0,errors/* errorLine */.BP)(err))}), so whether the snapshot is older than them cannot be told.`);
        return;
    }
    const taken = Date.parse(wayBack.takenAt);
    let newest;
    for (const m of reverting) {
        const at = times.get(m.id);
        if (at && at.getTime() > taken && (!newest || at.getTime() > newest.at.getTime()))
            newest = { m, at };
    }
    if (!newest)
        return;
    wayBack.appliedSince = { version: newest.m.version, file: newest.m.addedPath, appliedAt: newest.at.toISOString() };
    log.warning(`Snapshot ${wayBack.path} was ${takenText(wayBack)}, and ${appliedSinceText(wayBack.appliedSince)}: any of them the down SQL drops has no way back. To keep such rows, take the snapshot with snapshot-db just before run-down-migrations.`);
}


/***/ }),

/***/ 6479:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  SS: () => (/* binding */ codeSpan),
  R: () => (/* binding */ redactMarkdown),
  tp: () => (/* binding */ table),
  Qq: () => (/* binding */ markdown_text)
});

// UNUSED EXPORTS: backtickRuns, escapeCell, formatBytes, inlineText, linkText, unlinked

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

/***/ 266:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   CE: () => (/* binding */ NOTHING_REVERTED),
/* harmony export */   LR: () => (/* binding */ revertSummary),
/* harmony export */   wC: () => (/* binding */ partialRevertDetails)
/* harmony export */ });
/* harmony import */ var _migrations_way_back_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(8331);
/* harmony import */ var _markdown_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(6479);


const STILL_APPLIED_SHOWN = 15;
function revertSummary(result) {
    const headline = result.status === 'dry-run'
        ? `Dry run: ${result.plan.length} migration(s) would be reverted; nothing was changed.`
        : result.status === 'nothing-to-do'
            ? 'Nothing to do: none of the selected migrations is applied.'
            : `Reverted ${result.reverted.length} of ${result.plan.length} ${result.format} migration(s) in ${result.durationMs} ms.`;
    return `## run-down-migrations\n\n${headline}\n\n${details(result)}`;
}
/** Under a failed run's heading and error line: what was reverted before the failure, and what is still applied. */
function partialRevertDetails(partial) {
    return `**Failed** after reverting ${partial.reverted.length} of ${partial.plan.length}.\n\n${details(partial)}`;
}
/** Under the heading and error line of a run that stopped before planning (snapshot, lock, inputs). */
const NOTHING_REVERTED = '**Failed before changing anything:** no migration was reverted.';
function details(result) {
    const lines = [];
    lines.push(`Database ${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_1__/* .codeSpan */ .SS)(result.target)}, ${result.format} migrations in ${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_1__/* .codeSpan */ .SS)(result.dir)}.`);
    lines.push(result.snapshot ? wayBack(result.snapshot) : result.status === 'dry-run' ? '' : 'No snapshot was required (require-snapshot: false).', '');
    const rows = result.status === 'dry-run' ? result.plan.map((p) => ({ ...p, durationMs: undefined })) : result.reverted;
    if (rows.length > 0) {
        const cells = rows.map((r, i) => {
            const time = 'durationMs' in r && r.durationMs !== undefined ? `${r.durationMs} ms` : '\u2014';
            return [i + 1, (0,_markdown_js__WEBPACK_IMPORTED_MODULE_1__/* .text */ .Qq)(r.version), (0,_markdown_js__WEBPACK_IMPORTED_MODULE_1__/* .codeSpan */ .SS)(r.file), r.transactional ? 'transaction' : 'statement by statement', time];
        });
        lines.push((0,_markdown_js__WEBPACK_IMPORTED_MODULE_1__/* .table */ .tp)(['#', 'version', 'down file', 'mode', 'time'], cells), '');
    }
    const still = result.stillApplied;
    lines.push(`**Still applied** (${still.length}${still.length > STILL_APPLIED_SHOWN ? `, newest ${STILL_APPLIED_SHOWN} shown` : ''}):${still.length ? '' : ' none'}`, '');
    for (const m of still.slice(0, STILL_APPLIED_SHOWN))
        lines.push(`- ${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_1__/* .text */ .Qq)(m.version)} ${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_1__/* .codeSpan */ .SS)(m.name)}`);
    return `${lines.join('\n')}\n`;
}
/** The snapshot the run could go back to: which, when it was taken, and what it lacks of the rows written since. */
function wayBack(w) {
    const line = `Way back: snapshot ${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_1__/* .codeSpan */ .SS)(w.path)} (sha256 ${w.sha256.slice(0, 12)}\u2026), ${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_1__/* .text */ .Qq)((0,_migrations_way_back_js__WEBPACK_IMPORTED_MODULE_0__/* .takenText */ .dV)(w))}, verified before the run; ${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_1__/* .text */ .Qq)((0,_migrations_way_back_js__WEBPACK_IMPORTED_MODULE_0__/* .holdsText */ .My)(w))}.`;
    return w.appliedSince ? `${line}\n\n**Older than the migrations reverted:** ${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_1__/* .text */ .Qq)((0,_migrations_way_back_js__WEBPACK_IMPORTED_MODULE_0__/* .appliedSinceText */ .vA)(w.appliedSince))}; any of them the down SQL dropped has no way back.` : line;
}


/***/ }),

/***/ 4039:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   S: () => (/* binding */ writeSummary)
/* harmony export */ });
/* harmony import */ var _core_actions_core_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(7313);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(3867);
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
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
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
/******/ var __webpack_exports__ = __nccwpck_require__(960);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
