import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 42613:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");

/***/ }),

/***/ 20181:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("buffer");

/***/ }),

/***/ 35317:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("child_process");

/***/ }),

/***/ 49140:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("constants");

/***/ }),

/***/ 76982:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("crypto");

/***/ }),

/***/ 72250:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("dns");

/***/ }),

/***/ 24434:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");

/***/ }),

/***/ 79896:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");

/***/ }),

/***/ 91943:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs/promises");

/***/ }),

/***/ 58611:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("http");

/***/ }),

/***/ 65692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("https");

/***/ }),

/***/ 69278:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("net");

/***/ }),

/***/ 34589:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:assert");

/***/ }),

/***/ 16698:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:async_hooks");

/***/ }),

/***/ 4573:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:buffer");

/***/ }),

/***/ 31421:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");

/***/ }),

/***/ 37540:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:console");

/***/ }),

/***/ 77598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 53053:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:diagnostics_channel");

/***/ }),

/***/ 40610:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:dns");

/***/ }),

/***/ 78474:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:events");

/***/ }),

/***/ 73024:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 51455:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");

/***/ }),

/***/ 37067:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");

/***/ }),

/***/ 32467:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http2");

/***/ }),

/***/ 44708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");

/***/ }),

/***/ 98995:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:module");

/***/ }),

/***/ 77030:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");

/***/ }),

/***/ 48161:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");

/***/ }),

/***/ 76760:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");

/***/ }),

/***/ 643:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:perf_hooks");

/***/ }),

/***/ 1708:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:process");

/***/ }),

/***/ 41792:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:querystring");

/***/ }),

/***/ 26848:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:readline/promises");

/***/ }),

/***/ 57075:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");

/***/ }),

/***/ 46193:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:string_decoder");

/***/ }),

/***/ 41692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:tls");

/***/ }),

/***/ 73136:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");

/***/ }),

/***/ 57975:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");

/***/ }),

/***/ 73429:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util/types");

/***/ }),

/***/ 75919:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:worker_threads");

/***/ }),

/***/ 38522:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");

/***/ }),

/***/ 70857:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");

/***/ }),

/***/ 16928:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");

/***/ }),

/***/ 2203:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("stream");

/***/ }),

/***/ 13193:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("string_decoder");

/***/ }),

/***/ 53557:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("timers");

/***/ }),

/***/ 64756:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tls");

/***/ }),

/***/ 52018:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tty");

/***/ }),

/***/ 87016:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("url");

/***/ }),

/***/ 39023:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util");

/***/ }),

/***/ 98253:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util/types");

/***/ }),

/***/ 43106:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("zlib");

/***/ }),

/***/ 6995:
/***/ ((__webpack_module__, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(__webpack_module__, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(76760);
/* harmony import */ var _core_action_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(87370);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(53867);
/* harmony import */ var _db_db_inputs_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(51581);
/* harmony import */ var _db_restore_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(6823);
/* harmony import */ var _github_artifact_js__WEBPACK_IMPORTED_MODULE_5__ = __nccwpck_require__(81260);
/* harmony import */ var _report_restore_db_summary_js__WEBPACK_IMPORTED_MODULE_6__ = __nccwpck_require__(84675);
/* harmony import */ var _report_write_summary_js__WEBPACK_IMPORTED_MODULE_7__ = __nccwpck_require__(44039);








/** The pre-restore snapshot once it exists, how it is kept, and whether the summary already names it. */
let preRestore;
let summarized = false;
await (0,_core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .runAction */ .Cs)('restore-db', async (log, signal) => {
    const runnerTemp = process.env.RUNNER_TEMP;
    const request = (0,_db_db_inputs_js__WEBPACK_IMPORTED_MODULE_3__/* .readRestoreRequest */ .U)(_core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .input */ .hF, _core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .input */ .hF.required('database-url'), { defaultDir: (0,node_path__WEBPACK_IMPORTED_MODULE_0__.join)(runnerTemp || process.cwd(), 'rollback-kit', 'snapshots'), searchPath: process.env.PATH ?? '' }, log);
    const onGitHub = Boolean(process.env.ACTIONS_RUNTIME_TOKEN);
    const upload = (0,_github_artifact_js__WEBPACK_IMPORTED_MODULE_5__/* .readUploadChoice */ .lx)(_core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .input */ .hF.string('upload-artifact'), onGitHub);
    const retentionDays = _core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .input */ .hF.integer('retention-days', { min: 1, max: 90 });
    if (upload === 'asked' && !request.preRestoreSnapshot)
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp('upload-artifact uploads the pre-restore snapshot, and pre-restore-snapshot is false.', 'Set pre-restore-snapshot: true, or upload-artifact: false. Nothing was changed.');
    if (upload === 'asked')
        (0,_github_artifact_js__WEBPACK_IMPORTED_MODULE_5__/* .requireArtifactRuntime */ ._n)(onGitHub, 'restore');
    const result = await (0,_db_restore_js__WEBPACK_IMPORTED_MODULE_4__/* .restoreSnapshot */ .n5)({
        ...request,
        signal,
        // A stop during the pre-restore snapshot takes away the folder it made for it while that holds nothing else.
        made: (path, withContents) => _core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .madeThisStep */ .IC.add(path, withContents),
        // Reported the moment it exists: a restore that fails after this still says where the way back
        // is. Uploaded beside the restore, which commits only once the upload is done.
        onPreRestoreSnapshot: async (pre) => {
            preRestore = (0,_report_restore_db_summary_js__WEBPACK_IMPORTED_MODULE_6__/* .keptSnapshot */ .n1)(pre.path, runnerTemp);
            (0,_core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .setOutputs */ .n0)({ 'pre-restore-snapshot-path': pre.path });
            if (upload === 'no') {
                if (preRestore.deletedWithJob)
                    log.warning(preRestore.deletedWithJob);
                return;
            }
            const artifact = await (0,_github_artifact_js__WEBPACK_IMPORTED_MODULE_5__/* .uploadSnapshotArtifact */ .eh)([pre.path, pre.manifestPath], retentionDays).catch((err) => {
                if (upload === 'asked' || !(err instanceof _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp))
                    throw err;
                throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(err.message, 'Run the step again, or set upload-artifact: false to restore without keeping it past the job (a warning then says where it is).');
            });
            preRestore = { ...preRestore, artifact: artifact.name, retentionDays };
            log.info(`Uploaded the pre-restore snapshot as artifact ${artifact.name}${retentionDays ? `, kept ${retentionDays} days` : ''}.`);
        },
    }, log);
    (0,_core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .setOutputs */ .n0)({
        'pre-restore-snapshot-path': result.preRestoreSnapshotPath ?? '',
        verified: result.verified,
        'tables-restored': result.tablesRestored,
        'duration-ms': result.durationMs,
    });
    await (0,_report_write_summary_js__WEBPACK_IMPORTED_MODULE_7__/* .writeSummary */ .S)((0,_report_restore_db_summary_js__WEBPACK_IMPORTED_MODULE_6__/* .restoreSummary */ .rk)(result, preRestore, log), log);
    summarized = true;
}, () => {
    // A failed step verified nothing: verified=false, so a step that tests it sees the failure (an
    // empty value matches neither true nor false). The pre-restore snapshot's path stays as reported.
    (0,_core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .setOutputs */ .n0)({ verified: false });
    // A restore that fails after its pre-restore snapshot still says where the way back is.
    return preRestore && !summarized ? (0,_report_restore_db_summary_js__WEBPACK_IMPORTED_MODULE_6__/* .preRestoreSnapshotDetails */ .Eo)(preRestore) : undefined;
});

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 87370:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  hF: () => (/* binding */ action_input),
  IC: () => (/* binding */ madeThisStep),
  Cs: () => (/* binding */ runAction),
  n0: () => (/* binding */ setOutputs)
});

// UNUSED EXPORTS: STOP_GRACE_MS, actionLog, inputsFrom

// EXTERNAL MODULE: ./.build/core/actions-core.js
var actions_core = __nccwpck_require__(73475);
// EXTERNAL MODULE: ./.build/core/errors.js + 1 modules
var errors = __nccwpck_require__(53867);
// EXTERNAL MODULE: ./.build/core/secrets.js
var core_secrets = __nccwpck_require__(79205);
// EXTERNAL MODULE: ./.build/core/sorted.js
var sorted = __nccwpck_require__(55915);
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

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(73024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(76760);
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

// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(48161);
;// CONCATENATED MODULE: ./.build/core/output.js
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
        write('stdout', inertLines(text).join(external_node_os_.EOL) + external_node_os_.EOL);
    },
    /** An annotation: @actions/core escapes the message and the properties (title) into one line. */
    annotate(level, message, props = {}) {
        if (level === 'error')
            actions_core/* core */.I.error(message, props);
        else if (level === 'warning')
            actions_core/* core */.I.warning(message, props);
        else
            actions_core/* core */.I.notice(message, props);
    },
    /** Only shown with step debug logging; escaped by @actions/core like an annotation. */
    debug(message) {
        actions_core/* core */.I.debug(message);
    },
    /** Asks the runner to mask a value (`::add-mask::`, escaped by @actions/core). */
    mask(value) {
        actions_core/* core */.I.setSecret(value);
    },
    /** A line for the command line's reader: `stdout` for results, `stderr` for progress and errors. */
    line(text, stream = 'stdout') {
        write(stream, terminalLines(text).join(external_node_os_.EOL) + external_node_os_.EOL);
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
        const { createInterface } = await Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 26848, 19));
        const rl = createInterface({ input, output: process.stderr });
        // Input that ends (Ctrl-D at the prompt, a stdin closed) closes the interface, and Node 20
        // leaves the question pending for ever: the person would wait out the caller's timeout for an
        // answer that can no longer come. No answer is an empty one.
        const closed = new Promise((resolve) => rl.once('close', () => resolve('')));
        try {
            return await Promise.race([rl.question(terminalLines(question).join(external_node_os_.EOL), { signal }).catch(() => ''), closed]);
        }
        finally {
            rl.close();
        }
    },
    /** The step's one `::error::` line and a non-zero exit code. */
    fail(message) {
        actions_core/* core */.I.setFailed(message);
    },
};

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

// EXTERNAL MODULE: ./.build/core/parse.js
var parse = __nccwpck_require__(30151);
;// CONCATENATED MODULE: ./.build/core/stop-signals.js
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
    const unwatchStdout = output.onStdoutClosed(() => onSignal('SIGPIPE'));
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
class StopOutlasted extends errors/* RollbackKitError */.dp {
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
        return new errors/* RollbackKitError */.dp(`${what} was stopped by ${signal} as its work ended: that work was done, and what it reports stands (its report follows in the summary).`);
    const err = settled.err;
    const hint = err instanceof errors/* RollbackKitError */.dp ? err.hint : undefined;
    const message = err instanceof errors/* RollbackKitError */.dp ? err.message : (0,errors/* errorLine */.BP)(err);
    return new errors/* RollbackKitError */.dp(`${what} was stopped by ${signal}: ${message}`, hint);
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
var write_summary = __nccwpck_require__(44039);
;// CONCATENATED MODULE: ./.build/core/action.js
/**
 * What every action entry point shares: typed input reading, a redacting log on the runner,
 * outputs, and one failure path: the summary's failure heading, one clear `::error::` line and a
 * non-zero exit.
 */












function actionLog() {
    return createLog({
        info: (m) => output.info(m),
        warning: (m) => output.annotate('warning', m),
        debug: (m) => output.debug(m),
        mask: (v) => output.mask(v),
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
            return (0,parse/* parseBoolean */.yG)(raw(name), name, fallback);
        },
        integer(name, opts = {}) {
            return (0,parse/* parseInteger */.cG)(raw(name), name, opts);
        },
        number(name, opts = {}) {
            return (0,parse/* parseNumber */.$J)(raw(name), name, opts);
        },
        list(name) {
            return (0,parse/* parseList */.E1)(raw(name));
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
    const stop = stopOnSignals({
        graceMs: STOP_GRACE_MS,
        onFirst: (name) => log.info(`Received ${stopCause(name)}: stopping; waiting up to ${STOP_GRACE_MS / 1000} s for the work under way to end \u2026`),
    });
    let reported;
    const report = (markdown) => void (reported = markdown);
    // `done`: the body finished before the stop came. Its outputs and report stand, so the action's
    // failure details (which write failure outputs: status=failed, verified=false) are not asked for.
    const fail = async (err, own, done = false) => {
        const known = [done ? undefined : await failureDetails(details, own ?? err, log), reported].filter((part) => part?.trim()).join('\n\n');
        await (0,write_summary/* writeSummary */.S)(failureSummary(action(), err, log, known), log);
        output.fail(log.redact((0,errors/* errorLine */.BP)(err)));
    };
    const unfinished = failOnUnfinishedExit(() => fail(unfinishedError(), undefined));
    try {
        const outcome = await stop.settle(body(log, stop.signal, report));
        // The body's own error, which its details read (a stop only rewords it); none when it outlasted the grace time.
        const own = outcome !== 'expired' && !outcome.ok ? outcome.err : undefined;
        const failure = stoppedFailure(action(), stop.received(), outcome, STOP_GRACE_MS) ?? own;
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

/***/ 73475:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   I: () => (/* binding */ core)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(73024);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(48161);
/* harmony import */ var _node_modules_actions_core_lib_command_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(89635);
/* harmony import */ var _node_modules_actions_core_lib_utils_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(4679);
/* harmony import */ var _lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(60325);
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

/***/ 51699:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   ux: () => (/* binding */ within)
/* harmony export */ });
/* unused harmony exports cutAfterStop, afterStopWithin */
/**
 * A wait with an end: `promise`'s value, or `fallback` once `ms` have passed, whichever comes first.
 *
 * The timer keeps the process alive while it runs. A wait the run itself awaits must: when what it
 * waits for holds no handle of its own (a session whose socket was unref'd so that it cannot delay
 * the exit), an unref'd timer leaves Node's event loop empty, and Node exits, code 0, with the run
 * half-done and nothing reported. The timer is cleared as soon as the promise settles, so it never
 * delays the end either.
 */
function within(promise, ms, fallback) {
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


/***/ }),

/***/ 53867:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  dp: () => (/* binding */ RollbackKitError),
  BP: () => (/* binding */ errorLine),
  o3: () => (/* binding */ systemErrorLine),
  rZ: () => (/* binding */ systemErrorMeaning),
  Qj: () => (/* binding */ withFacts)
});

// UNUSED EXPORTS: errorFacts

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

/***/ 32019:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   FK: () => (/* binding */ isInside),
/* harmony export */   I2: () => (/* binding */ makePrivateFolder),
/* harmony export */   Ix: () => (/* binding */ PRIVATE_UMASK),
/* harmony export */   Jg: () => (/* binding */ probeWritable),
/* harmony export */   Oh: () => (/* binding */ makeDirectory),
/* harmony export */   Pl: () => (/* binding */ writePrivateFile),
/* harmony export */   XF: () => (/* binding */ readRegularFile),
/* harmony export */   Zf: () => (/* binding */ writeFileAtomic),
/* harmony export */   aP: () => (/* binding */ createPrivateFile),
/* harmony export */   dH: () => (/* binding */ asFileError),
/* harmony export */   rV: () => (/* binding */ FileRefused)
/* harmony export */ });
/* unused harmony exports PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(73024);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(76760);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(53867);
/* harmony import */ var _lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(60325);
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
    await (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeFsPromises */ .O)().mkdir(path, { mode: PRIVATE_FOLDER_MODE });
    await (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeFsPromises */ .O)().chmod(path, PRIVATE_FOLDER_MODE);
}
/** Creates the file `path` exclusively (EEXIST if anything is there), readable by us alone, and opens it for writing. */
async function createPrivateFile(path) {
    const handle = await (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeFsPromises */ .O)().open(path, 'wx', PRIVATE_FILE_MODE);
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
    const rel = (0,node_path__WEBPACK_IMPORTED_MODULE_1__.relative)((0,node_path__WEBPACK_IMPORTED_MODULE_1__.resolve)(dir), (0,node_path__WEBPACK_IMPORTED_MODULE_1__.resolve)(path));
    return rel !== '' && rel !== '..' && !rel.startsWith(`..${node_path__WEBPACK_IMPORTED_MODULE_1__.sep}`) && !(0,node_path__WEBPACK_IMPORTED_MODULE_1__.isAbsolute)(rel);
}
/** /proc, /sys and /dev hold no files to keep; Node's recursive mkdir loops forever on /proc. */
const PSEUDO_FILE_SYSTEMS = ['/proc', '/sys', '/dev'];
function onPseudoFileSystem(path) {
    return PSEUDO_FILE_SYSTEMS.find((root) => path === root || path.startsWith(`${root}/`));
}
/** The deepest part of `path` that exists, resolved through symbolic links. */
async function existingAncestor(path) {
    for (let current = path;; current = (0,node_path__WEBPACK_IMPORTED_MODULE_1__.dirname)(current)) {
        try {
            return await (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeFsPromises */ .O)().realpath(current);
        }
        catch (err) {
            if ((0,node_path__WEBPACK_IMPORTED_MODULE_1__.dirname)(current) === current || err.code !== 'ENOENT')
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
    const absolute = (0,node_path__WEBPACK_IMPORTED_MODULE_1__.resolve)(dir);
    const pseudo = onPseudoFileSystem(absolute) ?? onPseudoFileSystem(await existingAncestor(absolute));
    if (pseudo) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`${input} ${dir} is under ${pseudo}, a kernel file system that cannot keep files.`, `Point ${input} at a writable folder, such as one under $RUNNER_TEMP.`);
    }
    const cannot = (why) => new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`Cannot create ${input} ${dir}: ${why}.`, `Point ${input} at a writable folder, such as one under $RUNNER_TEMP.`);
    const missing = [];
    for (let current = absolute;; current = (0,node_path__WEBPACK_IMPORTED_MODULE_1__.dirname)(current)) {
        let isDirectory;
        try {
            isDirectory = (await (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeFsPromises */ .O)().stat(current)).isDirectory();
        }
        catch (err) {
            // ENOTDIR: a parent is a file; the walk up finds it and says so.
            const code = err.code;
            if ((code !== 'ENOENT' && code !== 'ENOTDIR') || (0,node_path__WEBPACK_IMPORTED_MODULE_1__.dirname)(current) === current)
                throw cannot(`${current}: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .systemErrorMeaning */ .rZ)(err) ?? err.message}`);
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
                await (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeFsPromises */ .O)().mkdir(d);
            created.push(d);
            opts.made?.(d);
        }
        catch (err) {
            // Made meanwhile by a run beside this one: not ours, so left as it is.
            const e = err;
            if (e.code !== 'EEXIST')
                throw cannot(`${d}: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .systemErrorMeaning */ .rZ)(e) ?? e.message}`);
        }
    }
    return created;
}
/** Checks that files can be created in `dir` (permissions, read-only mounts) before any work starts. */
async function probeWritable(dir, input) {
    const probe = (0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(dir, `.rollback-kit-write-test-${process.pid}-${(0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeCrypto */ .S)().randomBytes(3).toString('hex')}`);
    try {
        await (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeFsPromises */ .O)().writeFile(probe, '');
    }
    catch (err) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`Cannot write files in ${input} ${dir}: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .systemErrorMeaning */ .rZ)(err) ?? err.message}.`, `Point ${input} at a writable folder, such as one under $RUNNER_TEMP.`);
    }
    await (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeFsPromises */ .O)().unlink(probe).catch(() => undefined);
}
/**
 * Writes a file whole or not at all: a temporary file beside it, then a rename. A full disk or a
 * crash leaves the old file (or none), never a truncated one someone could trust.
 */
async function writeFileAtomic(path, data, opts = {}) {
    const temporary = (0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)((0,node_path__WEBPACK_IMPORTED_MODULE_1__.dirname)(path), `.${(0,node_path__WEBPACK_IMPORTED_MODULE_1__.basename)(path)}.${(0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeCrypto */ .S)().randomBytes(4).toString('hex')}.tmp`);
    try {
        // Private from its creation: the rename keeps the temporary file's mode.
        if (opts.private)
            await writePrivateFile(temporary, data);
        else
            await (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeFsPromises */ .O)().writeFile(temporary, data, { flag: 'wx' });
        await (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeFsPromises */ .O)().rename(temporary, path);
    }
    catch (err) {
        await (0,_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_3__/* .nodeFsPromises */ .O)().rm(temporary, { force: true }).catch(() => undefined);
        // Name the file the user will look for, not the temporary one.
        const e = err;
        if (!e.path || e.path === temporary)
            Object.assign(e, { path, syscall: e.syscall === 'rename' ? 'rename' : 'write' });
        throw asFileError(e);
    }
}
/** A Node file-system error as one the user can act on: the operation, the path, what to do. */
function asFileError(err, input) {
    if (err instanceof _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp || !err.path)
        return err;
    const line = (0,_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .systemErrorLine */ .o3)(err);
    if (!line)
        return err;
    const code = err.code;
    const where = input ? `Point ${input} at a writable folder with free space, such as one under $RUNNER_TEMP.` : undefined;
    const hint = code === 'ENOSPC' || code === 'EDQUOT' ? `Free space on that disk${input ? ` or point ${input} elsewhere` : ''}, then run again.` : where;
    return new _errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(line, hint);
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

/***/ 60325:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   O: () => (/* binding */ nodeFsPromises),
/* harmony export */   S: () => (/* binding */ nodeCrypto)
/* harmony export */ });
/* harmony import */ var node_module__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(98995);
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

/***/ 32080:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   e: () => (/* binding */ libpqPairs)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(53867);
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

/***/ 30151:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   $J: () => (/* binding */ parseNumber),
/* harmony export */   E1: () => (/* binding */ parseList),
/* harmony export */   cG: () => (/* binding */ parseInteger),
/* harmony export */   yG: () => (/* binding */ parseBoolean)
/* harmony export */ });
/* unused harmony exports decimalNumber, parseTime */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(53867);
/** Parsing of the string values actions and the CLI receive; every error names the input. */

function parseBoolean(raw, name, fallback) {
    const value = (raw ?? '').trim().toLowerCase();
    if (!value)
        return fallback;
    if (value === 'true')
        return true;
    if (value === 'false')
        return false;
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Input ${name} must be true or false, got "${raw}".`);
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
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Input ${name} must be ${kind}, got "${raw}".`);
    }
    // Past 2^53 a number no longer holds every whole value (99999999999999999999999 reads as 1e+23,
    // and later messages would say so): out of range for anything we count. Values quoted as typed.
    if (Math.abs(n) > Number.MAX_SAFE_INTEGER)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Input ${name} is out of range: beyond \u00b1${Number.MAX_SAFE_INTEGER}, got ${value}.`);
    if (opts.min !== undefined && n < opts.min)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Input ${name} must be at least ${opts.min}, got ${value}.`);
    if (opts.max !== undefined && n > opts.max)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Input ${name} must be at most ${opts.max}, got ${value}.`);
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


/***/ }),

/***/ 95713:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
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
    const { spawn } = await Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 31421, 19));
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

/***/ 79205:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
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

/***/ 55915:
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
/* harmony import */ var _libpq_pairs_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(32080);
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

/***/ 44263:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   FC: () => (/* binding */ onDisk),
/* harmony export */   Rj: () => (/* binding */ fingerprint),
/* harmony export */   Tz: () => (/* binding */ detectFormat),
/* harmony export */   UZ: () => (/* binding */ FINGERPRINT_VERSION),
/* harmony export */   gw: () => (/* binding */ corruptSnapshot),
/* harmony export */   hR: () => (/* binding */ FORMATS),
/* harmony export */   oD: () => (/* binding */ readWhole)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(77598);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(73024);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(51455);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(76760);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(53867);
/* harmony import */ var _core_process_js__WEBPACK_IMPORTED_MODULE_5__ = __nccwpck_require__(95713);
/* harmony import */ var _pg_tools_js__WEBPACK_IMPORTED_MODULE_6__ = __nccwpck_require__(61934);
/**
 * A snapshot's integrity: its sha256 and size (a file, or every file of a directory-format dump),
 * and a full read. `pg_restore --list` alone passes an archive whose data section was cut short;
 * reading it whole (`pg_restore -f /dev/null`) catches that.
 */







const FORMATS = ['custom', 'directory', 'plain'];
const PLAIN_HEADER = '-- PostgreSQL database dump';
const PLAIN_TRAILER = '-- PostgreSQL database dump complete';
async function hashFile(path, hash, signal) {
    for await (const chunk of (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.createReadStream)(path, { highWaterMark: 1 << 20, signal }))
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
    const info = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.stat)(path);
    const hash = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256');
    if (!info.isDirectory()) {
        await hashFile(path, hash, signal);
        return { sha256: hash.digest('hex'), sizeBytes: info.size };
    }
    let size = 0;
    for (const name of (await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.readdir)(path)).sort()) {
        const file = (0,node_path__WEBPACK_IMPORTED_MODULE_3__.join)(path, name);
        const s = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.stat)(file);
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
        const s = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.stat)(file).catch(() => undefined);
        return s ? `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}` : 'gone';
    };
    const info = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.stat)(path).catch(() => undefined);
    if (!info?.isDirectory())
        return look(path);
    const names = (await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.readdir)(path).catch(() => [])).sort();
    return (await Promise.all(names.map(async (name) => `${name}=${await look((0,node_path__WEBPACK_IMPORTED_MODULE_3__.join)(path, name))}`))).join('\n');
}
async function detectFormat(path) {
    const info = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.stat)(path);
    if (info.isDirectory())
        return 'directory';
    const fd = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.open)(path, 'r');
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
    throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .RollbackKitError */ .dp(`${path} is not a PostgreSQL dump (neither a custom-format archive, a directory dump, nor plain SQL from pg_dump).`);
}
/** A snapshot pg_restore cannot read to its end. */
function corruptSnapshot(path, why) {
    return new _core_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .RollbackKitError */ .dp(`Snapshot ${path} is corrupt or truncated: ${why.replace(/\.$/, '')}.`, 'Do not restore it; take or pick another snapshot.');
}
/**
 * Reads the whole snapshot; throws naming the problem when any part of it cannot be read.
 * `pg_restore -f /dev/null` reads the table of contents and every data block (a `--list` first would
 * only read the table of contents twice).
 */
async function readWhole(path, format, pgRestore) {
    const corrupt = (why) => corruptSnapshot(path, why);
    if (format === 'plain') {
        const info = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.stat)(path);
        const fd = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.open)(path, 'r');
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
    const read = await (0,_core_process_js__WEBPACK_IMPORTED_MODULE_5__/* .runProcess */ .R3)(pgRestore, ['--file', '/dev/null', path], { timeoutMs: 60 * 60_000 });
    if (read.code !== 0)
        throw corrupt((0,_pg_tools_js__WEBPACK_IMPORTED_MODULE_6__/* .toolErrorLine */ .$x)(read.stderr) || 'pg_restore could not read it');
}


/***/ }),

/***/ 59066:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   BO: () => (/* binding */ countRows),
/* harmony export */   LX: () => (/* binding */ qualified),
/* harmony export */   WS: () => (/* binding */ listTables),
/* harmony export */   Xq: () => (/* binding */ someNames),
/* harmony export */   ce: () => (/* binding */ quoteLiteral),
/* harmony export */   hq: () => (/* binding */ doBlock),
/* harmony export */   ih: () => (/* binding */ tableKey),
/* harmony export */   uM: () => (/* binding */ readCatalog),
/* harmony export */   v4: () => (/* binding */ quoteIdent)
/* harmony export */ });
/* unused harmony exports COUNT_BATCH, RowSecurityHidesRows, seeAllRows, NAMES_SHOWN, countObjects */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(53867);
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
/* harmony export */   id: () => (/* binding */ transactionPoolerRefusal),
/* harmony export */   kY: () => (/* binding */ libpqEnv),
/* harmony export */   rQ: () => (/* binding */ clientApplicationName),
/* harmony export */   tP: () => (/* binding */ toolConnectMs),
/* harmony export */   xE: () => (/* binding */ toolConninfo)
/* harmony export */ });
/* unused harmony exports withDatabase, connectionUrl */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(73024);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(76760);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(53867);
/* harmony import */ var _core_libpq_pairs_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(32080);
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
const TOOL_ONLY_VARIABLES = [
    'PGHOSTADDR', 'PGSERVICE', 'PGSERVICEFILE', 'PGREQUIRESSL', 'PGSSLMODE', 'PGSSLNEGOTIATION', 'PGSSLCOMPRESSION', 'PGSSLCERT', 'PGSSLKEY',
    'PGSSLCERTMODE', 'PGSSLROOTCERT', 'PGSSLCRL', 'PGSSLCRLDIR', 'PGSSLSNI', 'PGSSLMINPROTOCOLVERSION', 'PGSSLMAXPROTOCOLVERSION',
    'PGMINPROTOCOLVERSION', 'PGMAXPROTOCOLVERSION', 'PGREQUIREPEER', 'PGREQUIREAUTH', 'PGCHANNELBINDING', 'PGGSSENCMODE', 'PGKRBSRVNAME',
    'PGGSSLIB', 'PGGSSDELEGATION', 'PGTARGETSESSIONATTRS', 'PGLOADBALANCEHOSTS', 'PGCLIENTENCODING',
];
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

/***/ 51581:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   U: () => (/* binding */ readRestoreRequest)
/* harmony export */ });
/* unused harmony export readSnapshotRequest */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(53867);
/* harmony import */ var _core_parse_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(30151);
/* harmony import */ var _archive_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(44263);
/* harmony import */ var _connection_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(401);
/* harmony import */ var _lock_wait_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(60882);





/** `databaseUrl`: the database-url input (the CLI falls back to DATABASE_URL); `defaultDir` where snapshots go when output-dir is empty. */
function readSnapshotRequest(inputs, databaseUrl, ctx, log) {
    if (!databaseUrl)
        throw new RollbackKitError('Input required and not supplied: database-url.');
    const target = parseConnectionString(databaseUrl, log);
    const format = (inputs.string('format') ?? 'custom');
    if (!FORMATS.includes(format))
        throw new RollbackKitError(`Input format must be one of ${FORMATS.join(', ')}, got "${format}".`);
    return {
        target,
        format,
        jobs: inputs.integer('jobs', { default: 1, min: 1, max: 64 }),
        outputDir: inputs.string('output-dir') ?? ctx.defaultDir,
        label: inputs.string('label'),
        filter: { schemas: inputs.list('schemas'), excludeSchemas: inputs.list('exclude-schemas') },
        excludeTableData: inputs.list('exclude-table-data'),
        exportSince: parseTime(inputs.string('export-since'), 'export-since'),
        exportTables: inputs.list('export-tables'),
        exportColumn: inputs.string('export-column') ?? 'created_at',
        pgDumpPath: inputs.string('pg-dump-path'),
        lockTimeoutSeconds: inputs.number('lock-timeout-seconds', { default: DEFAULT_LOCK_TIMEOUT_SECONDS, min: 0, max: 3600 }),
        tools: { searchPath: ctx.searchPath, pathInput: 'pg-dump-path' },
    };
}
function readRestoreRequest(inputs, databaseUrl, ctx, log) {
    if (!databaseUrl)
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp('Input required and not supplied: database-url.');
    return {
        target: (0,_connection_js__WEBPACK_IMPORTED_MODULE_3__/* .parseConnectionString */ .HH)(databaseUrl, log),
        snapshotPath: inputs.required('snapshot-path'),
        confirm: inputs.string('confirm'),
        fromAnotherDatabase: inputs.boolean('from-another-database', false),
        preRestoreSnapshot: inputs.boolean('pre-restore-snapshot', true),
        jobs: inputs.integer('jobs', { default: 1, min: 1, max: 64 }),
        clean: inputs.boolean('clean', true),
        preRestoreDir: inputs.string('pre-restore-dir') ?? ctx.defaultDir,
        preRestoreDirInput: 'pre-restore-dir',
        lockTimeoutSeconds: inputs.number('lock-timeout-seconds', { default: _lock_wait_js__WEBPACK_IMPORTED_MODULE_4__/* .DEFAULT_LOCK_TIMEOUT_SECONDS */ .sK, min: 0, max: 3600 }),
        tools: { searchPath: ctx.searchPath },
    };
}


/***/ }),

/***/ 60882:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   D5: () => (/* binding */ lockTimeoutMs),
/* harmony export */   F_: () => (/* binding */ STALL_CAUSE),
/* harmony export */   MX: () => (/* binding */ DEFAULT_STALL_MS),
/* harmony export */   NP: () => (/* binding */ notWatching),
/* harmony export */   NY: () => (/* binding */ lockHolders),
/* harmony export */   OP: () => (/* binding */ LockCycleError),
/* harmony export */   Td: () => (/* binding */ isLockTimeout),
/* harmony export */   Vc: () => (/* binding */ cancelQuery),
/* harmony export */   iP: () => (/* binding */ lockCycleError),
/* harmony export */   rB: () => (/* binding */ lockTimeoutError),
/* harmony export */   sK: () => (/* binding */ DEFAULT_LOCK_TIMEOUT_SECONDS),
/* harmony export */   v2: () => (/* binding */ watchBlockers),
/* harmony export */   vZ: () => (/* binding */ sessionTag)
/* harmony export */ });
/* unused harmony export describeBlockers */
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(53867);
/* harmony import */ var _core_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(60325);
/* harmony import */ var _connection_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(401);
/* harmony import */ var _core_bounded_wait_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(51699);
/* harmony import */ var _session_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(14441);
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
    return `rollback-kit-${kind}-${(0,_core_lazy_builtins_js__WEBPACK_IMPORTED_MODULE_1__/* .nodeCrypto */ .S)().randomBytes(4).toString('hex')}`;
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
        await (0,_session_js__WEBPACK_IMPORTED_MODULE_3__/* .withSession */ .fQ)(target, (s) => cancelOn(s, pid, opts), { queryDeadline: opts.queryDeadline ?? WATCH_DEADLINE });
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
    const ownName = (0,_connection_js__WEBPACK_IMPORTED_MODULE_2__/* .clientApplicationName */ .rQ)(target);
    /** The watcher's connection ended under it (a stalled one is closed at its query deadline). */
    let lost = false;
    const opened = async () => {
        const s = await (0,_session_js__WEBPACK_IMPORTED_MODULE_3__/* .connect */ .Ng)(target, { queryDeadline: deadline, signal: opts.signal });
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
            (0,_session_js__WEBPACK_IMPORTED_MODULE_3__/* .closeSession */ .Vu)(old);
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
    await (0,_core_bounded_wait_js__WEBPACK_IMPORTED_MODULE_4__/* .within */ .ux)(polling, STOP_WAIT_MS, undefined);
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
            const polled = await (0,_core_bounded_wait_js__WEBPACK_IMPORTED_MODULE_4__/* .within */ .ux)(polling.then(() => true), STOP_WAIT_MS, false);
            (0,_session_js__WEBPACK_IMPORTED_MODULE_3__/* .closeSession */ .Vu)(session);
            // A poll still in flight (a stalled connection) fails as its connection closes.
            if (!polled)
                (0,_session_js__WEBPACK_IMPORTED_MODULE_3__/* .dropConnection */ .GM)(session);
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
class LockCycleError extends _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp {
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
    return new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`${what} stopped: a lock was not granted within lock-timeout-seconds (${seconds} s), ${who}.`, `${state} Once that session has finished or been ended${end}, run again; or raise lock-timeout-seconds.`, { ...facts, blocked: true });
}


/***/ }),

/***/ 61934:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   $x: () => (/* binding */ toolErrorLine),
/* harmony export */   I3: () => (/* binding */ warmPgTools),
/* harmony export */   fh: () => (/* binding */ findPgTool),
/* harmony export */   qj: () => (/* binding */ majorFromVersionNum),
/* harmony export */   zC: () => (/* binding */ siblingTool)
/* harmony export */ });
/* unused harmony exports DEFAULT_VERSIONED_ROOT, toolVersion */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(73024);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(76760);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(53867);
/* harmony import */ var _core_process_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(95713);
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
        const { code, stdout } = await (0,_core_process_js__WEBPACK_IMPORTED_MODULE_3__/* .runProcess */ .R3)(path, ['--version'], { timeoutMs: 15_000 });
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
    const key = `${(0,node_path__WEBPACK_IMPORTED_MODULE_1__.basename)(c.path)}\0${c.real}\0${c.id}`;
    let known = probes.get(key);
    if (!known)
        probes.set(key, (known = toolVersion(c.path)));
    return known;
}
function candidate(path) {
    try {
        (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.accessSync)(path, node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.X_OK);
        const real = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.realpathSync)(path);
        const st = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.statSync)(real);
        if (!st.isFile())
            return undefined;
        return { path, real, id: `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`, wrapper: (0,node_path__WEBPACK_IMPORTED_MODULE_1__.basename)(real) === 'pg_wrapper' };
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
        const versions = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readdirSync)(root).sort((a, b) => Number(b) - Number(a) || b.localeCompare(a));
        for (const v of versions)
            paths.push((0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(root, v, 'bin', name));
    }
    catch {
        // No versioned installs on this machine.
    }
    for (const dir of (opts.searchPath ?? '').split(node_path__WEBPACK_IMPORTED_MODULE_1__.delimiter).filter(Boolean))
        paths.push((0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(dir, name));
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
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`${name} at ${opts.explicitPath} does not exist or is not a PostgreSQL ${name}.`, installHint);
        if (v.major < serverMajor) {
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`${name} ${v.version} at ${opts.explicitPath} is older than the server (PostgreSQL ${serverMajor}) and would refuse to run.`, installHint);
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
    throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`No ${name} of version ${serverMajor} or newer: ${found}.`, installHint);
}
/** The tool of the same installation as another one (pg_restore beside the chosen pg_dump). */
async function siblingTool(of, name, serverMajor, opts = {}) {
    const beside = candidate((0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(of.path, '..', name));
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


/***/ }),

/***/ 90429:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   H8: () => (/* binding */ CREATE_TABLE_PREFIXES),
/* harmony export */   gn: () => (/* binding */ parseCreateTable),
/* harmony export */   "in": () => (/* binding */ describeColumn),
/* harmony export */   jr: () => (/* binding */ discardedBy),
/* harmony export */   nT: () => (/* binding */ TABLE_OBJECT_TYPES)
/* harmony export */ });
/* unused harmony export COUNT_BYTES_LIMIT */
/* harmony import */ var _catalog_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(59066);
/* harmony import */ var _sql_lexer_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(17614);
/* harmony import */ var _session_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(14441);
/**
 * What an in-place restore throws away on the tables it replaces: columns, indexes, constraints,
 * triggers, policies and rules added to a snapshot table since the snapshot was taken go with its
 * DROP TABLE, and the snapshot's CREATE TABLE does not bring them back. They are found while the
 * restore is planned, before anything is changed, by comparing the catalogue with the snapshot's
 * schema script: its `CREATE TABLE` statements (each table's own columns, and the constraints
 * written inside them) and its table-of-contents headers (`-- Name: orders orders_pkey; Type:
 * CONSTRAINT`). Each is listed with what the engineer needs to create it again.
 */



/** The statements whose shape is read (SnapshotTableShape). */
const CREATE_TABLE_PREFIXES = ['CREATE TABLE ', 'CREATE UNLOGGED TABLE ', 'CREATE FOREIGN TABLE '];
/** Table-of-contents types of what pg_dump writes on its own for a table, named `<table> <name>` (an index: `<name>`). */
const TABLE_OBJECT_TYPES = new Set(['INDEX', 'CONSTRAINT', 'FK CONSTRAINT', 'CHECK CONSTRAINT', 'TRIGGER', 'POLICY', 'RULE']);
/** An identifier at `at`, as pg_dump writes one (quoted with `""` for a quote, or plain), and where it ends. */
function readIdent(s, at) {
    if (s[at] !== '"') {
        const m = /^[^\s."(),;]+/.exec(s.slice(at));
        return m ? [m[0], at + m[0].length] : undefined;
    }
    let out = '';
    for (let i = at + 1; i < s.length; i++) {
        if (s[i] !== '"')
            out += s[i];
        else if (s[i + 1] === '"')
            out += s[i++];
        else
            return [out, i + 1];
    }
    return undefined;
}
/**
 * The parts of a parenthesised list starting at `open` (its `(`), split at its own commas, read with
 * the SQL lexer: commas and parentheses inside strings, quoted names, dollar-quoted bodies and
 * comments are the parts' own, as are those in nested parentheses. Undefined when the list does not
 * end. pg_dump writes its scripts with standard_conforming_strings on (it sets it at their top).
 */
function listParts(s, open) {
    const code = (0,_sql_lexer_js__WEBPACK_IMPORTED_MODULE_1__/* .blankSql */ .hh)({ text: s, standardConformingStrings: true }, { quoted: true });
    const parts = [];
    let depth = 0;
    let from = open + 1;
    for (let i = open; i < code.length; i++) {
        const c = code[i];
        if (c === '(')
            depth++;
        else if (c === ')' && --depth === 0) {
            parts.push(s.slice(from, i));
            return parts.map((p) => p.trim()).filter(Boolean);
        }
        else if (c === ',' && depth === 1) {
            parts.push(s.slice(from, i));
            from = i + 1;
        }
    }
    return undefined;
}
/**
 * A pg_dump `CREATE TABLE` statement's table, own columns and inline constraints; undefined for one
 * it does not write that way (then nothing is said about that table's columns).
 */
function parseCreateTable(statement) {
    const prefix = CREATE_TABLE_PREFIXES.find((p) => statement.startsWith(p));
    if (!prefix)
        return undefined;
    const schema = readIdent(statement, prefix.length);
    if (!schema || statement[schema[1]] !== '.')
        return undefined;
    const name = readIdent(statement, schema[1] + 1);
    if (!name)
        return undefined;
    let at = name[1];
    while (/\s/.test(statement[at] ?? ''))
        at++;
    const typed = statement.startsWith('OF ', at);
    if (typed) {
        at = statement.indexOf('(', at);
        if (at < 0)
            return { schema: schema[0], name: name[0], columns: null, constraints: [] };
    }
    if (statement[at] !== '(')
        return undefined;
    const parts = listParts(statement, at);
    if (!parts)
        return undefined;
    const columns = [];
    const constraints = [];
    for (const part of parts) {
        const constraint = /^CONSTRAINT\s+/.exec(part);
        const ident = readIdent(part, constraint ? constraint[0].length : 0);
        if (!ident)
            return undefined;
        (constraint ? constraints : columns).push(ident[0]);
    }
    return { schema: schema[0], name: name[0], columns: typed ? null : columns, constraints };
}
/**
 * Tables up to this size (all their partitions or inheritance children together) have their
 * discarded columns' values counted while the restore is planned: one scan, a fraction of a second.
 */
const COUNT_BYTES_LIMIT = 64 * 1024 * 1024;
/**
 * What the restore drops with the relations `dropped` (oids) that the snapshot does not create
 * again: columns a table has of its own that its CREATE TABLE does not list (typed tables and tables
 * whose statement was not read are left out rather than guessed at, and so are the check
 * constraints of the latter, which may be written inside it), and indexes, constraints,
 * triggers, policies and rules that no header of the snapshot and no constraint inside its CREATE
 * TABLE names. What goes along with another object is left out: an index behind a constraint, a
 * partition's copy of its parent's index, constraint or trigger, the triggers of a foreign key.
 * Read with the empty search_path restore-plan.ts existingRelations sets, so every name is schema-qualified.
 */
async function discardedBy(session, shapes, headers, dropped) {
    if (!dropped.length)
        return [];
    const listed = shapes.filter((t) => t.columns !== null);
    const columns = listed.flatMap((t) => t.columns.map((c) => [t.schema, t.name, c]));
    // A name's line break is a space in a header: the constraints inside a CREATE TABLE are named as headers name them.
    const oneLine = (s) => s.replace(/[\r\n]/g, ' ');
    const inline = shapes.flatMap((t) => t.constraints.map((c) => ({ type: 'CONSTRAINT', schema: t.schema, name: oneLine(`${t.name} ${c}`) })));
    const toc = [...headers, ...inline];
    const { rows } = await session.query(`WITH listed AS (SELECT * FROM unnest($1::text[], $2::text[]) AS t(schema, name)),
          parsed AS (SELECT * FROM unnest($10::text[], $11::text[]) AS t(schema, name)),
          cols AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[]) AS c(schema, name, col)),
          toc AS (SELECT * FROM unnest($6::text[], $7::text[], $8::text[]) AS h(type, schema, name)),
          dropped AS (
            SELECT c.oid, c.relname, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY($9::oid[])
          ),
          found AS (
            SELECT d.oid, 0 AS kind_order, 'column' AS kind, a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS detail, a.attnum AS pos
              FROM dropped d JOIN listed l ON l.schema = d.nspname AND l.name = d.relname
              JOIN pg_attribute a ON a.attrelid = d.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attislocal
             WHERE NOT EXISTS (SELECT 1 FROM cols WHERE cols.schema = d.nspname AND cols.name = d.relname AND cols.col = a.attname)
            UNION ALL
            SELECT d.oid, 1, 'index', i.relname::text, pg_get_indexdef(x.indexrelid) || ';', 0
              FROM dropped d JOIN pg_index x ON x.indrelid = d.oid JOIN pg_class i ON i.oid = x.indexrelid
             WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = d.oid AND k.contype IN ('p', 'u', 'x'))
               AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = x.indexrelid)
               AND NOT EXISTS (SELECT 1 FROM toc WHERE toc.type = 'INDEX' AND toc.schema = d.nspname AND toc.name = translate(i.relname, E'\\n\\r', '  '))
            UNION ALL
            SELECT d.oid, 2, 'constraint', k.conname::text, format('ALTER TABLE %s ADD CONSTRAINT %I %s;', d.oid::regclass, k.conname, pg_get_constraintdef(k.oid)), 0
              FROM dropped d JOIN pg_constraint k ON k.conrelid = d.oid
             WHERE k.contype IN ('p', 'u', 'x', 'c', 'f') AND k.conislocal AND k.conparentid = 0
               -- A check constraint may be written inside the CREATE TABLE: named only when that was read.
               AND (k.contype <> 'c' OR EXISTS (SELECT 1 FROM parsed WHERE parsed.schema = d.nspname AND parsed.name = d.relname))
               AND NOT EXISTS (SELECT 1 FROM toc WHERE toc.type IN ('CONSTRAINT', 'FK CONSTRAINT', 'CHECK CONSTRAINT') AND toc.schema = d.nspname
                                 AND toc.name = translate(d.relname || ' ' || k.conname, E'\\n\\r', '  '))
            UNION ALL
            SELECT d.oid, 3, 'trigger', g.tgname::text, pg_get_triggerdef(g.oid) || ';', 0
              FROM dropped d JOIN pg_trigger g ON g.tgrelid = d.oid
             WHERE NOT g.tgisinternal
               -- A partition's clone of its parent's trigger goes and comes back with the parent's.
               AND NOT EXISTS (SELECT 1 FROM pg_depend p WHERE p.classid = 'pg_trigger'::regclass AND p.objid = g.oid AND p.deptype IN ('P', 'S'))
               AND NOT EXISTS (SELECT 1 FROM toc WHERE toc.type = 'TRIGGER' AND toc.schema = d.nspname AND toc.name = translate(d.relname || ' ' || g.tgname, E'\\n\\r', '  '))
            UNION ALL
            SELECT d.oid, 4, 'policy', p.polname::text,
                   format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s;', p.polname, d.oid::regclass,
                          CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                          CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                          CASE WHEN p.polroles = '{0}' THEN 'PUBLIC'
                               ELSE (SELECT string_agg(quote_ident(r.rolname), ', ' ORDER BY r.rolname) FROM pg_roles r WHERE r.oid = ANY(p.polroles)) END,
                          ' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', ' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')'), 0
              FROM dropped d JOIN pg_policy p ON p.polrelid = d.oid
             WHERE NOT EXISTS (SELECT 1 FROM toc WHERE toc.type = 'POLICY' AND toc.schema = d.nspname AND toc.name = translate(d.relname || ' ' || p.polname, E'\\n\\r', '  '))
            UNION ALL
            SELECT d.oid, 5, 'rule', r.rulename::text, pg_get_ruledef(r.oid), 0
              FROM dropped d JOIN pg_rewrite r ON r.ev_class = d.oid
             WHERE r.rulename <> '_RETURN'
               AND NOT EXISTS (SELECT 1 FROM toc WHERE toc.type = 'RULE' AND toc.schema = d.nspname AND toc.name = translate(d.relname || ' ' || r.rulename, E'\\n\\r', '  '))
          )
     SELECT f.oid::regclass::text AS table, f.oid::int AS oid, f.kind, f.name, f.detail FROM found f ORDER BY 1, f.kind_order, f.pos, f.name`, [
        listed.map((t) => t.schema),
        listed.map((t) => t.name),
        columns.map((c) => c[0]),
        columns.map((c) => c[1]),
        columns.map((c) => c[2]),
        toc.map((h) => h.type),
        toc.map((h) => h.schema),
        toc.map((h) => h.name),
        dropped,
        shapes.map((t) => t.schema),
        shapes.map((t) => t.name),
    ]);
    const byTable = new Map();
    for (const r of rows) {
        let t = byTable.get(r.table);
        if (!t)
            byTable.set(r.table, (t = { table: r.table, oid: r.oid, columns: [], objects: [] }));
        if (r.kind === 'column')
            t.columns.push({ name: r.name, type: r.detail, nonNull: null });
        else
            t.objects.push({ kind: r.kind, name: r.name, definition: r.detail });
    }
    for (const t of byTable.values())
        if (t.columns.length)
            await countValues(session, t);
    return [...byTable.values()].map(({ oid: _oid, ...t }) => t);
}
/**
 * Counts the values the discarded columns hold, in one scan, when the table and everything under
 * it is at most COUNT_BYTES_LIMIT; a count that cannot be made (a lock) or trusted (row-level security
 * hides rows from the user) is left out.
 */
async function countValues(session, t) {
    try {
        const { rows } = await session.query(`WITH RECURSIVE tree(oid) AS (SELECT $1::oid UNION SELECT h.inhrelid FROM pg_inherits h JOIN tree ON h.inhparent = tree.oid)
       SELECT coalesce(sum(pg_relation_size(oid)), 0)::text AS bytes, row_security_active($1::oid) AS hidden FROM tree`, [t.oid]);
        // A count the policies cut would show fewer values than the restore discards: "not counted" instead.
        if (Number(rows[0].bytes) > COUNT_BYTES_LIMIT || rows[0].hidden)
            return;
        const { rows: counted } = await session.query(`SELECT ${t.columns.map((c, i) => `count(${(0,_catalog_js__WEBPACK_IMPORTED_MODULE_0__/* .quoteIdent */ .v4)(c.name)})::text AS c${i}`).join(', ')} FROM ${t.table}`);
        t.columns.forEach((c, i) => (c.nonNull = Number(counted[0][`c${i}`])));
    }
    catch (err) {
        // The connection is gone: the planning fails as any of its queries would.
        if (err instanceof _session_js__WEBPACK_IMPORTED_MODULE_2__/* .QueryDeadlineExceeded */ .q1)
            throw err;
    }
}
/** `note (text, 40 non-null value(s))`: a discarded column as the log and the summary name it. */
function describeColumn(c) {
    const values = c.nonNull === null ? 'values not counted' : `${c.nonNull} non-null value(s)`;
    return `${c.name} (${c.type}, ${values})`;
}


/***/ }),

/***/ 6823:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  n5: () => (/* binding */ restoreSnapshot)
});

// UNUSED EXPORTS: RESTORE_BOUNDS, checkConfirmation, fewerRowsCount, fewerRowsText, fewerRowsThanBefore, previewRestore, rowCheckStatement, tablesBeforeStatement

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(73024);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __nccwpck_require__(57075);
// EXTERNAL MODULE: ./.build/core/bounded-wait.js
var bounded_wait = __nccwpck_require__(51699);
// EXTERNAL MODULE: ./.build/core/errors.js + 1 modules
var errors = __nccwpck_require__(53867);
// EXTERNAL MODULE: ./.build/core/process.js
var core_process = __nccwpck_require__(95713);
// EXTERNAL MODULE: ./.build/db/catalog.js
var db_catalog = __nccwpck_require__(59066);
// EXTERNAL MODULE: ./.build/db/archive.js
var archive = __nccwpck_require__(44263);
// EXTERNAL MODULE: ./.build/db/connection.js
var connection = __nccwpck_require__(401);
// EXTERNAL MODULE: ./.build/db/lock-wait.js
var lock_wait = __nccwpck_require__(60882);
;// CONCATENATED MODULE: ./.build/db/marker-lines.js
/**
 * Lines a script has psql print (`\echo`) for restore-db to read: its session's pid, its
 * transaction's id, that the transaction is open. psql prints more than those, for as long as the
 * restore runs (a row for every sequence a snapshot sets, what a statement of the snapshot's selects),
 * and some of those lines may never come (no transaction id before PostgreSQL 10): so psql's output is
 * read a line at a time and not kept. What is held is the line not yet ended, and of that no more
 * than a marker can be: a longer line is no marker, and is passed over to its end.
 */
/** The longest line told: a marker and a 20-digit number with room to spare. */
const MARKER_LINE_CHARS = 200;
function markerLines(onLine, maxChars = MARKER_LINE_CHARS) {
    let partial = '';
    /** Inside a line already longer than the bound: nothing of it is held, up to its end. */
    let passingOver = false;
    return {
        push(chunk) {
            let start = 0;
            for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
                const fits = !passingOver && partial.length + (end - start) <= maxChars;
                const line = fits ? partial + chunk.slice(start, end) : undefined;
                partial = '';
                passingOver = false;
                start = end + 1;
                if (line !== undefined)
                    onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
            }
            if (passingOver)
                return;
            if (partial.length + (chunk.length - start) > maxChars) {
                partial = '';
                passingOver = true;
            }
            else
                partial += chunk.slice(start);
        },
        get held() {
            return partial.length;
        },
    };
}
/** The number a marker line carries (`<marker> <digits>`), or undefined when `line` is not that marker's. */
function markerNumber(line, marker) {
    if (!line.startsWith(`${marker} `))
        return undefined;
    const digits = line.slice(marker.length + 1);
    return /^\d+$/.test(digits) ? digits : undefined;
}

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
    return (0,db_catalog/* qualified */.LX)(t.schema, t.name);
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
        throw new errors/* RollbackKitError */.dp(`${input}: "${pattern}" is not a schema name (it has a dot).`);
    const all = await userSchemas(session);
    const matches = partMatcher(parts[0]);
    const found = all.filter(matches);
    if (!found.length && input === 'schemas') {
        throw new errors/* RollbackKitError */.dp(`schemas: "${pattern}" matches no schema; ${thereAre(all)}.${caseHint(pattern, all)}`);
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
        throw new errors/* RollbackKitError */.dp(`"${pattern}" is not a table name: write table or schema.table.`);
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
    return `there are ${names.length ? (0,db_catalog/* someNames */.Xq)(names, NAMES_LISTED) : 'none'}`;
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
            throw new errors/* RollbackKitError */.dp(`${input} names ${pattern}, which matches no table; ${thereAre(await userTables(session))}.${caseHint(pattern.split('.').pop(), rows.map((r) => r.relname))}`, 'Name tables as table (on the search path, usually public) or schema.table, * for any characters; or leave this one out.');
        }
        for (const t of found)
            if (!out.some((o) => o.schema === t.schema && o.name === t.name))
                out.push(t);
    }
    return out;
}

// EXTERNAL MODULE: ./.build/db/pg-tools.js
var pg_tools = __nccwpck_require__(61934);
;// CONCATENATED MODULE: external "node:stream/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream/promises");
// EXTERNAL MODULE: ./.build/db/restore-discarded.js
var restore_discarded = __nccwpck_require__(90429);
;// CONCATENATED MODULE: ./.build/db/restore-name-clashes.js
/**
 * Names the snapshot's script needs that an object it does not have already takes. In PostgreSQL
 * an index is a relation: its name must differ from every table, view, materialized view, sequence,
 * foreign table, composite type and other index of its schema, and a primary key, unique or
 * exclusion constraint is named as the index behind it. So the snapshot's `CREATE INDEX
 * customers_idx` fails where a kept table has an index (or is itself) called customers_idx, its
 * `ADD CONSTRAINT customers_pkey PRIMARY KEY` where anything in the schema is called
 * customers_pkey, and its `CREATE TABLE audit_log` where an index is called audit_log. Check and
 * foreign-key constraints have no index: their names clash only on their own table, which the
 * snapshot creates, so never with an object it does not have.
 *
 * Types share a second namespace per schema with the relations that have a row type. PostgreSQL
 * gives a table, view, materialized view, foreign table and composite type a row type of its own
 * name, and refuses a CREATE of any of those, and of a sequence too (which has none since
 * PostgreSQL 12), where a type already has the name: `type "customers" already exists`, which the
 * snapshot's script would meet only inside the restore's transaction, after the work. An enum, domain, range, multirange
 * (`customers_multirange`, a range's) or base type takes the name, not an array type PostgreSQL
 * made for another (`_customers`: it renames that one out of the way) nor a shell type (the CREATE
 * completes it). The other way round, the snapshot's type or domain cannot be created where a
 * relation the restore keeps has a row type of its name (with clean, its `DROP TYPE IF EXISTS`
 * fails first: `cannot drop type \u2026 because table \u2026 requires it`). Found by the names the
 * snapshot's table of contents gives its objects (restore-plan.ts readSnapshotContents), before
 * anything runs.
 */

/** The statement that renames a relation of each kind (pg_class.relkind). */
const RENAME_KIND = `CASE c.relkind WHEN 'i' THEN 'INDEX' WHEN 'I' THEN 'INDEX' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                       WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END`;
/**
 * A type as a refusal names it: pg_describe_object says `type` of every kind, and a multirange
 * (named after its range, as a range's own CREATE TYPE made it) is found by its range, through
 * pg_depend (pg_range says which only from PostgreSQL 14).
 */
const TYPE_KIND = `CASE y.typtype WHEN 'd' THEN 'domain' WHEN 'e' THEN 'enum type' WHEN 'r' THEN 'range type' WHEN 'm' THEN 'multirange type' ELSE 'type' END`;
/** The kinds of the snapshot's objects that take a name among its schema's types (pg_dump's `Type:`). */
const TYPE_KINDS = new Set(['TYPE', 'DOMAIN']);
/**
 * The names the snapshot's script needs (its indexes, its primary key, unique and exclusion
 * constraints, its relations) that a relation of the database already takes in the same schema,
 * other than the snapshot's own relations that exist (`named`, oids: the caller names those) and
 * their indexes, which clash only because their table does. A constraint's header names it after its
 * table (`-- Name: customers customers_pkey; Type: CONSTRAINT`): the name is what follows one of the
 * snapshot's tables of that schema. Then the names its relations need among the schema's types that
 * a type takes, and those its types and domains need that a relation it does not have (not in
 * `named`) takes with its row type. A type with a relation's name is the relation's row type: the
 * relation itself is found by the first part, or is the snapshot's own. Matched as the table of
 * contents writes names, a line break as a space. In the one query: the types add no round trip
 * to the planning. Run with the empty search_path the restore's planning sets, so names carry their schema.
 */
async function nameClashes(session, snapshot, named) {
    const indexes = snapshot.tableObjects.filter((o) => o.type === 'INDEX');
    // Only CONSTRAINT is backed by an index: pg_dump heads check and foreign-key constraints CHECK CONSTRAINT and FK CONSTRAINT.
    const constraints = snapshot.tableObjects.filter((o) => o.type === 'CONSTRAINT');
    const tables = snapshot.relations.filter((r) => r.type === 'TABLE');
    const types = snapshot.objects.filter((o) => TYPE_KINDS.has(o.type));
    if (!indexes.length && !constraints.length && !snapshot.relations.length && !types.length)
        return [];
    const { rows } = await session.query(`WITH tables AS (SELECT * FROM unnest($5::text[], $6::text[]) AS t(schema, name)),
          relations AS (SELECT * FROM unnest($7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS r(schema, name, type, pos)),
          wanted(schema, name, wanted, any_relation, pos) AS (
            SELECT i.schema, i.name, 'index ' || quote_ident(i.schema) || '.' || quote_ident(i.name), true, i.pos
              FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS i(schema, name, pos)
            UNION ALL
            SELECT k.schema, substr(k.name, length(t.name) + 2),
                   'constraint ' || quote_ident(substr(k.name, length(t.name) + 2)) || ' on table ' || quote_ident(t.schema) || '.' || quote_ident(t.name), true, 1000000 + k.pos
              FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS k(schema, name, pos)
              JOIN tables t ON t.schema = k.schema AND left(k.name, length(t.name) + 1) = t.name || ' '
            UNION ALL
            -- The snapshot's own relations that exist are named by the caller: here only an index or composite type can take their name.
            SELECT r.schema, r.name, lower(r.type) || ' ' || quote_ident(r.schema) || '.' || quote_ident(r.name), false, 2000000 + r.pos FROM relations r
          ),
          clashes AS (
            SELECT DISTINCT ON (c.oid, w.wanted) c.oid, w.wanted, w.pos,
                   pg_describe_object('pg_class'::regclass, c.oid, 0)
                     || coalesce(' of ' || pg_describe_object('pg_class'::regclass, x.indrelid, 0), '') AS taken,
                   'ALTER ' || ${RENAME_KIND} || ' ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' RENAME TO <new name>' AS rename
              FROM wanted w
              JOIN pg_namespace n ON n.nspname = w.schema
              JOIN pg_class c ON c.relnamespace = n.oid AND translate(c.relname, E'\\n\\r', '  ') = w.name
              LEFT JOIN pg_index x ON x.indexrelid = c.oid
             WHERE (w.any_relation OR c.relkind IN ('i', 'I', 'c'))
               AND NOT c.oid = ANY($10::oid[]) AND (x.indrelid IS NULL OR NOT x.indrelid = ANY($10::oid[]))
             ORDER BY c.oid, w.wanted, w.pos
          ),
          -- Every relation pg_dump names (TABLE, VIEW, MATERIALIZED VIEW, SEQUENCE, FOREIGN TABLE) is
          -- created by heap_create_with_catalog, which refuses a name a type has (a sequence's too).
          taken_types AS (
            SELECT y.oid::int AS type_oid, ${TYPE_KIND} || ' ' || quote_ident(n.nspname) || '.' || quote_ident(y.typname)
                     || coalesce(' of range type ' || (
                          SELECT quote_ident(gn.nspname) || '.' || quote_ident(g.typname) FROM pg_depend d JOIN pg_type g ON g.oid = d.refobjid JOIN pg_namespace gn ON gn.oid = g.typnamespace
                           WHERE y.typtype = 'm' AND d.classid = 'pg_type'::regclass AND d.objid = y.oid AND d.refclassid = 'pg_type'::regclass AND d.deptype = 'i'), '') AS taken,
                   lower(r.type) || ' ' || quote_ident(r.schema) || '.' || quote_ident(r.name) AS wanted, 2000000 + r.pos AS pos,
                   'ALTER ' || CASE y.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END || ' ' || quote_ident(n.nspname) || '.' || quote_ident(y.typname) || ' RENAME TO <new name>' AS rename
              FROM relations r
              JOIN pg_namespace n ON n.nspname = r.schema
              JOIN pg_type y ON y.typnamespace = n.oid AND translate(y.typname, E'\\n\\r', '  ') = r.name
             -- Not a row type (its relation is found above), a shell type (the CREATE completes it),
             -- or an array type made for its element type (PostgreSQL renames it out of the way).
             WHERE y.typrelid = 0 AND y.typisdefined
               AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = y.typelem AND e.typarray = y.oid)
            UNION ALL
            -- The other way: a relation the snapshot does not have (not in named), whose row type has the
            -- name of the snapshot's type or domain. A composite type (relkind c) of that name is the
            -- snapshot's own type: dropped with clean, named as already there without it.
            SELECT NULL::int, pg_describe_object('pg_class'::regclass, c.oid, 0),
                   lower(o.type) || ' ' || quote_ident(o.schema) || '.' || quote_ident(o.name), 3000000 + o.pos,
                   'ALTER ' || ${RENAME_KIND} || ' ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' RENAME TO <new name>'
              FROM unnest($11::text[], $12::text[], $13::text[]) WITH ORDINALITY AS o(schema, name, type, pos)
              JOIN pg_namespace n ON n.nspname = o.schema
              JOIN pg_class c ON c.relnamespace = n.oid AND translate(c.relname, E'\\n\\r', '  ') = o.name
             WHERE c.reltype <> 0 AND c.relkind <> 'c' AND NOT c.oid = ANY($10::oid[])
          )
     SELECT taken, wanted, rename, among, type_oid AS "typeOid" FROM (
       SELECT taken, wanted, rename, 'relations' AS among, NULL::int AS type_oid, pos FROM clashes
       UNION ALL SELECT taken, wanted, rename, 'types', type_oid, pos FROM taken_types
     ) c ORDER BY pos, taken`, [
        indexes.map((i) => i.schema),
        indexes.map((i) => i.name),
        constraints.map((k) => k.schema),
        constraints.map((k) => k.name),
        tables.map((t) => t.schema),
        tables.map((t) => t.name),
        snapshot.relations.map((r) => r.schema),
        snapshot.relations.map((r) => r.name),
        snapshot.relations.map((r) => r.type),
        named,
        types.map((t) => t.schema),
        types.map((t) => t.name),
        types.map((t) => t.type),
    ]);
    return rows;
}
/** How many clashes a refusal names before it says how many more. */
const NAMED = 8;
/** The clashes, each with the snapshot's object that needs its name, for a refusal's first sentence: `\u2026 already take: X has the name of the snapshot's Y.` */
function takenNames(clashes) {
    const taken = clashes.map((c) => `${c.taken} has the name of the snapshot's ${c.wanted}`);
    // Why, for each namespace a name is taken in.
    const why = [...(clashes.some((c) => c.among === 'relations') ? [SHARED_NAMES] : []), ...(clashes.some((c) => c.among === 'types') ? [TYPE_NAMES] : [])];
    return `what the snapshot holds under names objects it does not have already take: ${(0,db_catalog/* someNames */.Xq)(taken, NAMED)}. ${why.join('. ')}`;
}
/** Why a name is taken across tables. */
const SHARED_NAMES = 'An index shares the names of its schema with its tables, views, sequences and other indexes, and a primary key, unique or exclusion constraint is named as its index';
/** Why a relation's name is taken by a type, and a type's by a relation. */
const TYPE_NAMES = "A table, view, materialized view or foreign table has a row type of its own name, so it shares the names of its schema with the schema's types (enums, domains, ranges and their multiranges \u2026), and PostgreSQL refuses a sequence a type's name too";
/** The way on, after `Rename` (or `rename`): renaming what has the name frees it, and keeps it and what it holds. */
function renameWay(clashes) {
    return `what has the name (${clashes[0].rename}) and run again, or restore into an empty database.`;
}

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __nccwpck_require__(51455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(48161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(76760);
;// CONCATENATED MODULE: ./.build/db/restore-data.js
/**
 * The snapshot's rows, straight from pg_restore into psql. Nearly all of an archive's script is COPY
 * data, which restore-db's script reader (restore-script.ts) passes on as it came: reading every
 * byte in Node only to write it on again costs CPU the server and pg_restore need. So an archive's
 * script is read in two parts: everything but the data, through the reader as before, and the data
 * (its TABLE DATA and SEQUENCE SET entries), which pg_restore writes into a FIFO that psql reads
 * with `\i` at the point where pg_restore would have written it, in the same session and transaction.
 */





/** One line of `pg_restore --list`: `3356; 0 16399 TABLE DATA public events postgres`. */
const ENTRY = /^(\d+); (\d+) (\d+) (.*)$/;
/** The entries pg_restore --section=data restores, other than large objects (see splitArchive). */
const isData = (tableOid, rest) => tableOid === 0 && (rest.startsWith('TABLE DATA ') || rest.startsWith('SEQUENCE SET '));
/**
 * Entries pg_restore writes after its main pass (its _tocEntryRestorePass): privileges, then event
 * triggers, their comments and materialized views' data. The main pass writes the data where the
 * table of contents has it, before all of these.
 */
function laterPass(rest) {
    return /^(ACL|ACL LANGUAGE|DEFAULT ACL|EVENT TRIGGER|MATERIALIZED VIEW DATA) /.test(rest) || /^COMMENT \S+ EVENT TRIGGER /.test(rest);
}
/**
 * The archive's table of contents (`pg_restore --list`) split into the data and the rest, or
 * undefined when it cannot be split safely and the script must be read whole: large objects (whose
 * data pg_restore writes as function calls, in transactions of their own without
 * --single-transaction), no data at all, or a listing this does not read exactly (a line it does
 * not know, an entry listed twice).
 */
function splitArchive(listing) {
    const parts = { rest: [], data: [], before: new Set() };
    const seen = new Set();
    let dataSeen = false;
    for (const line of listing.split('\n')) {
        if (line === '' || line.startsWith(';'))
            continue;
        const m = ENTRY.exec(line);
        if (!m)
            return undefined;
        const id = Number(m[1]);
        const rest = m[4];
        if (seen.has(id))
            return undefined;
        seen.add(id);
        if (/^(BLOB|BLOBS|LARGE OBJECT|LARGE OBJECTS)( |$)/.test(rest))
            return undefined;
        if (isData(Number(m[2]), rest)) {
            parts.data.push(id);
            dataSeen = true;
            continue;
        }
        parts.rest.push(id);
        if (!dataSeen && !laterPass(rest))
            parts.before.add(id);
    }
    return parts.data.length ? parts : undefined;
}
/** A `pg_restore -L` list of these entries, in this order. */
const restoreList = (ids) => ids.map((id) => `${id};\n`).join('');
/** A path psql reads as one argument of `\i` without quoting rules of its own. */
const plainPath = (path) => /^[A-Za-z0-9/_.-]+$/.test(path);
/** pg_restore --verbose's header of each entry it writes: `-- TOC entry 3356 (class 0 OID 16399)`. */
function tocEntryId(line) {
    const m = /^-- TOC entry (\d+) \(class \d+ OID \d+\)$/.exec(line);
    return m ? Number(m[1]) : undefined;
}
/**
 * Makes the FIFO and the two lists in a directory of its own, or returns undefined when the script
 * must be read whole (see splitArchive), or when this system cannot make a FIFO.
 */
async function prepareDataPath(pgRestore, archive) {
    // Whole: past 1 MB (some 7,000 entries) an entry left out of both lists is left out of the restore.
    const listed = await (0,core_process/* runProcess */.R3)(pgRestore, ['--list', archive], { wholeStdout: true });
    const parts = listed.code === 0 ? splitArchive(listed.stdout) : undefined;
    if (!parts)
        return undefined;
    const dir = await (0,promises_.mkdtemp)((0,external_node_path_.join)((0,external_node_os_.tmpdir)(), 'rk-restore-'));
    // Also when the process exits before the restore removes it (a stopped step that could not wait).
    const atExit = () => (0,external_node_fs_.rmSync)(dir, { recursive: true, force: true });
    process.once('exit', atExit);
    const remove = async () => {
        process.off('exit', atExit);
        await (0,promises_.rm)(dir, { recursive: true, force: true });
    };
    const fifo = (0,external_node_path_.join)(dir, 'data');
    try {
        if (!plainPath(fifo) || (await (0,core_process/* runProcess */.R3)('mkfifo', ['-m', '600', fifo]).catch(() => undefined))?.code !== 0) {
            await remove();
            return undefined;
        }
        const restList = (0,external_node_path_.join)(dir, 'rest.list');
        const dataList = (0,external_node_path_.join)(dir, 'data.list');
        await (0,promises_.writeFile)(restList, restoreList(parts.rest));
        await (0,promises_.writeFile)(dataList, restoreList(parts.data));
        return { fifo, restList, dataList, before: parts.before, remove };
    }
    catch (err) {
        await remove();
        throw err;
    }
}
/** pg_restore --verbose's stderr without its progress lines (`pg_restore: creating TABLE \u2026`). */
function verboseErrors() {
    let kept = '';
    let partial = '';
    const keep = (line) => {
        if (!/^pg_restore: (creating|dropping|processing|executing|setting|connecting|disabling|enabling|implied) /.test(line) && kept.length < 64 * 1024)
            kept += `${line}\n`;
    };
    return {
        add: (chunk) => {
            const lines = (partial + chunk).split('\n');
            partial = lines.pop();
            lines.forEach(keep);
        },
        text: () => {
            if (partial)
                keep(partial);
            partial = '';
            return kept;
        },
    };
}

// EXTERNAL MODULE: ./.build/db/sql-lexer.js
var sql_lexer = __nccwpck_require__(17614);
;// CONCATENATED MODULE: ./.build/db/restore-script.js
/**
 * The one SQL stream an in-place restore sends to psql: BEGIN, the drops restore-db planned, the
 * snapshot's own script, what it puts back, a check that every table holds the manifest's rows,
 * COMMIT. The COMMIT is only ever written after the snapshot's script was read to its end without
 * error and the caller agreed (the snapshot's bytes are the manifest's), so a pg_restore that fails,
 * a psql that stops early or a failed check can never commit half a restore: the server rolls the
 * open transaction back.
 */




/** psql prints this after COMMIT succeeded; without it the restore did not happen. */
const COMMITTED = 'rollback-kit: restore committed';
const isQuiet = (line) => line === '' || line.startsWith('--') || line.startsWith('\\unrestrict') || line.startsWith('\\restrict');
/**
 * A schema the snapshot holds may also hold objects it does not have (a table a bad deploy added):
 * the schema is kept rather than dropped and created again. Its owner, comment and grants are still
 * set by the script (its grants from the baseline restore-privileges.ts resets it to first). `statement` is whole lines (a quoted name may hold a newline), read as latin1.
 */
function keepSchema(statement) {
    if (/^DROP SCHEMA IF EXISTS [\s\S]+;$/.test(statement))
        return undefined;
    const create = /^CREATE SCHEMA ([\s\S]+);$/.exec(statement);
    return create ? `CREATE SCHEMA IF NOT EXISTS ${create[1]};` : statement;
}
const NL = 0x0a;
const BACKSLASH = 0x5c;
const COPY_END = Buffer.from('\\.\n');
const DEFAULTS_FOR_ROLE = 'ALTER DEFAULT PRIVILEGES FOR ROLE ';
/** The role an `ALTER DEFAULT PRIVILEGES FOR ROLE x \u2026` statement names, as it is written (quoted or not). */
function defaultsRole(statement) {
    const rest = statement.slice(DEFAULTS_FOR_ROLE.length);
    if (!rest.startsWith('"'))
        return /^[^\s;]+/.exec(rest)?.[0];
    for (let i = 1; i < rest.length; i++) {
        if (rest[i] !== '"')
            continue;
        if (rest[i + 1] === '"')
            i++;
        else
            return rest.slice(0, i + 1);
    }
    return undefined;
}
const cutShort = (what) => new errors/* RollbackKitError */.dp(`The snapshot's restore script ${what}: it was cut short. Nothing was changed.`);
/**
 * The snapshot's script as restore-db runs it: schemas kept (see keepSchema), and with `unwrap`,
 * without the BEGIN (first statement) and COMMIT (last) of `pg_restore --single-transaction -f -`:
 * restore-db's transaction wraps them with its own statements. It acts only on statements that
 * start a line, as the SQL lexer sees it: the same text inside a function body, a string, a quoted
 * name or a comment is the user's, and everything it does not act on reaches psql as the bytes it
 * came in, in whatever encoding the server has. COPY data, nearly all of a large script, is not
 * lexed: it passes through as the slices of bytes it came in, with no copy and no wait per chunk.
 */
class ScriptStream extends external_node_stream_.Transform {
    rules;
    wrapping;
    begun;
    copying = false;
    /** The COMMIT seen last and the quiet lines after it, held until we know whether more SQL follows. */
    held = [];
    /** The incomplete last line of the previous chunk. */
    carry;
    lexer;
    /** Where in the line being read the first statement to end there ended, or -1. */
    endedAt = -1;
    /** The statement restore-db may change, while its lines are read; a schema's are held till its end. */
    acting;
    /** The key of pg_restore's `\restrict` while psql is in restricted mode. */
    restrictKey;
    dataWritten = false;
    beforeSeen = false;
    constructor(rules, wrapping) {
        super();
        this.rules = rules;
        this.wrapping = wrapping;
        this.lexer = new sql_lexer/* SqlLexer */.bS({
            // What the target's session has matters not: pg_dump's scripts SET standard_conforming_strings
            // at their top, before any string, to the value of the database dumped (off for a legacy one),
            // and the lexer follows that SET as psql does.
            standardConformingStrings: true,
            onEnd: (at) => {
                if (this.endedAt < 0)
                    this.endedAt = at;
            },
        });
        this.begun = !rules.unwrap;
        if (wrapping)
            this.push([...(wrapping.opened ? [] : ['BEGIN;']), ...wrapping.prelude, ''].join('\n'));
    }
    /** One line of statements, with its newline (the script's last line may have none). */
    statementLine(raw) {
        // One character per byte: SQL's syntax is ASCII, and the bytes go on as they came.
        const text = raw.toString('latin1');
        const line = raw[raw.length - 1] === NL ? text.slice(0, -1) : text;
        // pg_restore's own last COMMIT, which must never reach psql, is held wherever the lexer is not
        // inside a quote or body: no routine body can hold a COMMIT, so a lexer misled about a body
        // (never seen, but the cost would be a restore committed early) fails the restore at its end instead.
        const starts = this.lexer.idle || (this.rules.unwrap && this.lexer.inCode && raw.length <= 9 && /^COMMIT;\r?\n?$/.test(raw.toString('latin1')));
        this.endedAt = -1;
        // A psql meta-command (\restrict KEY) is a whole line of its own, not SQL.
        if (!(starts && raw[0] === BACKSLASH))
            this.lexer.scan(text);
        if (this.acting)
            return this.actingLine(raw, line);
        if (!this.begun && !isQuiet(line)) {
            this.begun = true;
            if (starts && line === 'BEGIN;')
                return;
            throw new errors/* RollbackKitError */.dp('pg_restore --single-transaction did not start its script with BEGIN: restore-db cannot wrap it in its own transaction. Nothing was changed.');
        }
        if (this.held.length) {
            if (isQuiet(line)) {
                this.held.push(raw);
                return;
            }
            // Only ever written last: a COMMIT before more SQL would commit part of the restore.
            throw new errors/* RollbackKitError */.dp('pg_restore --single-transaction committed before the end of its script: restore-db cannot wrap it in its own transaction. Nothing was changed.');
        }
        if (!starts) {
            this.push(raw);
            return;
        }
        this.rules.onTopLevelLine?.(raw);
        if (raw[0] === BACKSLASH)
            this.restrict(line);
        if (this.rules.dataAt && !this.dataWritten && line.startsWith('-- TOC entry ')) {
            const id = tocEntryId(line);
            // Only once the entries before it have begun: --clean's drops, all first, carry no headers.
            if (id !== undefined && this.rules.dataAt.before.has(id))
                this.beforeSeen = true;
            else if (id !== undefined && (this.beforeSeen || !this.rules.dataAt.before.size))
                this.writeData();
        }
        if (this.rules.unwrap && line === 'COMMIT;')
            this.held.push(raw);
        else if (this.rules.lockTimeout && line === 'SET lock_timeout = 0;')
            this.push(`${this.rules.lockTimeout}\n`);
        else if (line.startsWith('COPY '))
            this.actingLine(raw, line, 'copy');
        else if (line.startsWith('DROP SCHEMA IF EXISTS ') || line.startsWith('CREATE SCHEMA '))
            this.actingLine(raw, line, 'schema');
        else if (this.rules.leaveDefaultPrivilegesOf?.size && line.startsWith(DEFAULTS_FOR_ROLE))
            this.actingLine(raw, line, 'defaults');
        else if (this.rules.leaveSchemaOwners?.size && line.startsWith('ALTER SCHEMA '))
            this.actingLine(raw, line, 'owner');
        else if (this.rules.onStatement?.startsWith.some((p) => line.startsWith(p)))
            this.actingLine(raw, line, 'read');
        else
            this.push(raw);
    }
    /** Follows psql's restricted mode: `\restrict KEY` enters it, `\unrestrict KEY` leaves it. */
    restrict(line) {
        const m = /^\\(un)?restrict\s+(\S+)\s*$/.exec(line);
        if (m)
            this.restrictKey = m[1] ? undefined : m[2];
    }
    /** The data's statements (dataAt), outside psql's restricted mode, which refuses meta-commands. */
    writeData() {
        this.dataWritten = true;
        const key = this.restrictKey;
        const lines = [...(key ? [`\\unrestrict ${key}`] : []), ...this.rules.dataAt.statements, ...(key ? [`\\restrict ${key}`] : [])];
        this.push(Buffer.from(`${lines.join('\n')}\n`, 'latin1'));
    }
    /** A line of a statement restore-db may change: `start` when the statement starts on it. */
    actingLine(raw, line, start) {
        if (start)
            this.acting = { kind: start, lines: [], text: '' };
        const acting = this.acting;
        if (acting.kind === 'copy')
            this.push(raw);
        else {
            acting.lines.push(raw);
            acting.text += acting.text ? `\n${line}` : line;
        }
        if (this.endedAt < 0)
            return;
        this.acting = undefined;
        // Ended where the line does, or something else follows on it (not pg_dump's): left as it is.
        const whole = this.endedAt === line.length - 1;
        if (acting.kind === 'copy') {
            this.copying = whole && line.endsWith(' FROM stdin;');
            return;
        }
        if (acting.kind === 'read') {
            this.rules.onStatement.read(Buffer.concat(acting.lines));
            for (const l of acting.lines)
                this.push(l);
            return;
        }
        if (acting.kind === 'owner') {
            if (!(whole && this.rules.leaveSchemaOwners.has(acting.text)))
                for (const l of acting.lines)
                    this.push(l);
            return;
        }
        if (acting.kind === 'defaults') {
            const role = whole ? defaultsRole(acting.text) : undefined;
            if (role !== undefined && this.rules.leaveDefaultPrivilegesOf.has(role))
                this.rules.onLeftOut?.(acting.text);
            else
                for (const l of acting.lines)
                    this.push(l);
            return;
        }
        if (acting.text.startsWith('CREATE SCHEMA '))
            this.rules.onCreateSchema?.(Buffer.concat(acting.lines));
        const kept = whole ? keepSchema(acting.text) : acting.text;
        if (kept === acting.text)
            for (const l of acting.lines)
                this.push(l);
        else if (kept !== undefined)
            this.push(Buffer.from(`${kept}\n`, 'latin1'));
    }
    /** A whole line of COPY data, or its end. */
    copyLine(line) {
        const whole = line.length === 1 ? line[0] : Buffer.concat(line);
        if (whole.length === 3 && whole.equals(COPY_END))
            this.copying = false;
        for (const part of line)
            this.push(part);
    }
    _transform(chunk, _encoding, done) {
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
                if (this.copying)
                    this.copyLine(head);
                else
                    this.statementLine(Buffer.concat(head));
                pos = nl + 1;
            }
            while (pos < buf.length) {
                if (this.copying) {
                    // The data ends at a line that is exactly \. ; everything before it goes as it is.
                    let end = buf.indexOf(COPY_END, pos);
                    while (end > pos && buf[end - 1] !== NL)
                        end = buf.indexOf(COPY_END, end + 1);
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
                }
                else {
                    const nl = buf.indexOf(NL, pos);
                    if (nl < 0)
                        break;
                    this.statementLine(buf.subarray(pos, nl + 1));
                    pos = nl + 1;
                }
            }
            if (pos < buf.length)
                this.carry = buf.subarray(pos);
            done();
        }
        catch (err) {
            done(err);
        }
    }
    _flush(done) {
        void this.finish().then(() => done(), (err) => done(err));
    }
    async finish() {
        try {
            if (this.carry) {
                if (this.copying)
                    this.push(this.carry);
                else
                    this.statementLine(this.carry);
                this.carry = undefined;
            }
            if (this.rules.unwrap) {
                if (!this.held.length)
                    throw cutShort('did not end with its COMMIT');
                this.held.shift();
            }
            // psql would read restore-db's own statements, COMMIT included, as part of what is still open.
            if (this.copying || this.acting || !this.lexer.idle)
                throw cutShort('ended inside a statement, a quoted string or COPY data');
        }
        catch (err) {
            // A script cut short because pg_restore failed: its own reason says more.
            await this.wrapping?.sourceDone();
            throw err;
        }
        if (this.rules.dataAt && !this.dataWritten)
            this.writeData();
        for (const h of this.held)
            this.push(h);
        if (!this.wrapping)
            return;
        await this.wrapping.sourceDone();
        this.push(['', ...this.wrapping.epilogue, ''].join('\n'));
        await this.wrapping.beforeCommit();
        this.push(`COMMIT;\n\\echo '${COMMITTED}'\n`);
    }
}
/** The SQL stream for psql: BEGIN (unless `opened`), the prelude, the snapshot's script, the epilogue, then COMMIT. */
function restoreScript(parts) {
    const { opened, prelude, source, sourceDone, epilogue, beforeCommit, ...filter } = parts;
    const input = source instanceof external_node_stream_.Readable ? source : external_node_stream_.Readable.from(source);
    // pipeline, not pipe: a source that fails fails the script too, so no COMMIT can follow it.
    return (0,external_node_stream_.pipeline)(input, new ScriptStream(filter, { opened, prelude, sourceDone, epilogue, beforeCommit }), () => undefined);
}
/**
 * The script filtered statement by statement, without restore-db's wrapping: for reading pg_dump's
 * headers (give it as a process's stdout, or pipe into it) and for scripts restore-db runs whole.
 * Its output must be consumed.
 */
function scriptFilter(filter) {
    return new ScriptStream(filter);
}
/** A whole script, filtered. */
async function filterScript(script, filter) {
    const out = [];
    for await (const part of external_node_stream_.Readable.from([Buffer.from(script)]).pipe(scriptFilter(filter)))
        out.push(part);
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
function psqlError(stderr, log) {
    const lines = stderr.replace(/\n$/, '').split('\n').map((l) => l.replace(/^psql:[^:]*:\d+:\s*/, '').trim());
    const at = lines.findIndex((l) => /^(ERROR|FATAL):/.test(l));
    if (at < 0)
        return lines.find((l) => /error|fatal|could not/i.test(l)) ?? lines.find(Boolean) ?? '';
    const out = [lines[at].replace(/^(ERROR|FATAL):\s*/, '')];
    let field = 'ERROR';
    for (const l of lines.slice(at + 1)) {
        // psql's own fields, and its `LINE 12:` that quotes the statement.
        const m = /^([A-Z]+)(?: \d+)?:\s*(.*)$/.exec(l);
        if (m && /^(ERROR|FATAL)$/.test(m[1]))
            break;
        // DETAIL (which objects) may run over several lines; LINE, QUERY and CONTEXT (row data) are left out.
        if (m)
            field = m[1] === 'DETAIL' || m[1] === 'HINT' ? m[1] : undefined;
        else if (field === 'ERROR')
            out[0] += `\\n${l}`;
        if (m && field)
            out.push(`${m[1]}: ${m[2]}`);
        else if (field && field !== 'ERROR' && l)
            out.push(l);
    }
    return log.excerpt(out.join(' '), 600);
}

;// CONCATENATED MODULE: ./.build/db/restore-plan.js
/**
 * What an in-place restore must remove first, and what it must put back after. pg_restore --clean
 * drops object by object and fails on real schemas (a partition's inherited primary key cannot be
 * dropped on its own; a table added after the snapshot with a foreign key to a snapshot table, or a
 * view over one, blocks the drop). So restore-db drops the snapshot's relations itself, whole, in the
 * restore's own transaction: views first, then every table in one DROP (partitions, foreign keys
 * between them and all), then sequences. Objects the snapshot does not have are kept: a foreign key
 * from a kept table, or a kept view, that depends on a dropped relation is dropped with it and
 * re-created after the restore, in the same transaction. A partition the snapshot does not have (one
 * a cron job or pg_partman created since, or one in a schema a filtered snapshot left out) would go
 * with its partitioned table's DROP, rows and all: it is detached first and attached again after the
 * restore. Anything else that depends on a snapshot relation is named and the restore refused before
 * anything changes, and so is an object the snapshot does not have that uses a type, function,
 * operator, extension or other object the snapshot's own script drops and creates again. Nothing
 * is dropped with CASCADE: an object nobody planned for makes the transaction fail, and the
 * database stays as it was.
 */











const IDENTIFIER = String.raw `"(?:[^"]|"")+"|[^\s";]+`;
/** pg_dump's owner statement for a schema: `ALTER SCHEMA name OWNER TO role;` (a quoted name may hold a newline). */
const SCHEMA_OWNER = new RegExp(String.raw `^ALTER SCHEMA (${IDENTIFIER}) OWNER TO (${IDENTIFIER});$`);
/** pg_dump's `CREATE SCHEMA name;`, the name as the statement quotes it (a quoted name may hold a newline). */
const CREATED_SCHEMA = /^CREATE SCHEMA ([\s\S]+?);\r?\n?$/;
const RELATION_TYPES = new Set(['TABLE', 'VIEW', 'MATERIALIZED VIEW', 'SEQUENCE', 'FOREIGN TABLE']);
/**
 * Objects whose table-of-contents name keptUsersOf matches in the catalogue (see there): every kind
 * pg_dump dumps on its own, not as part of a table, that another object can use. One missing here
 * is taken for an object the snapshot does not have wherever it uses one the snapshot has.
 */
const OBJECT_TYPES = new Set([
    'TYPE', 'DOMAIN', 'FUNCTION', 'PROCEDURE', 'AGGREGATE', 'EXTENSION', 'COLLATION', 'CONVERSION', 'CAST', 'TRANSFORM',
    'PROCEDURAL LANGUAGE', 'ACCESS METHOD', 'EVENT TRIGGER', 'TEXT SEARCH CONFIGURATION', 'TEXT SEARCH DICTIONARY',
    'TEXT SEARCH PARSER', 'TEXT SEARCH TEMPLATE', 'FOREIGN DATA WRAPPER', 'SERVER', 'USER MAPPING',
]);
/**
 * Operators (`-- Name: ===`, whatever their argument types) and operator classes and families
 * (without their access method) are named by the DROP statement pg_restore --clean writes for them,
 * which says which one: `DROP OPERATOR IF EXISTS public.=== (integer, integer);`.
 */
const DROPPED_AS = /^DROP (OPERATOR|OPERATOR CLASS|OPERATOR FAMILY) IF EXISTS (.+);$/;
const TOC_COMMENT = /^-- Name: (.*); Type: (.*); Schema: (.*); Owner: .*$/;
const CLIENT_ENCODING = /^SET client_encoding = '([A-Za-z0-9_]+)';$/;
/**
 * How Node decodes a script in a server encoding (PostgreSQL's name, as the script's
 * `SET client_encoding` gives it); those not listed are read as UTF-8, and a name read wrong is then
 * not found, so the restore fails on it instead of dropping something else.
 */
const DECODERS = {
    UTF8: 'utf-8', SQL_ASCII: 'latin1', LATIN1: 'latin1', LATIN2: 'iso-8859-2', LATIN3: 'iso-8859-3', LATIN4: 'iso-8859-4',
    LATIN5: 'windows-1254', LATIN6: 'iso-8859-10', LATIN7: 'iso-8859-13', LATIN8: 'iso-8859-14', LATIN9: 'iso-8859-15', LATIN10: 'iso-8859-16',
    ISO_8859_5: 'iso-8859-5', ISO_8859_6: 'iso-8859-6', ISO_8859_7: 'iso-8859-7', ISO_8859_8: 'iso-8859-8',
    WIN866: 'ibm866', WIN874: 'windows-874', WIN1250: 'windows-1250', WIN1251: 'windows-1251', WIN1252: 'windows-1252', WIN1253: 'windows-1253',
    WIN1254: 'windows-1254', WIN1255: 'windows-1255', WIN1256: 'windows-1256', WIN1257: 'windows-1257', WIN1258: 'windows-1258',
    KOI8R: 'koi8-r', KOI8U: 'koi8-u', EUC_JP: 'euc-jp', EUC_KR: 'euc-kr', EUC_CN: 'gb18030', GB18030: 'gb18030', GBK: 'gbk', SJIS: 'shift_jis', BIG5: 'big5',
};
function decoder(encoding) {
    const label = DECODERS[encoding.toUpperCase()] ?? 'utf-8';
    if (label === 'latin1')
        return (bytes) => bytes.toString('latin1');
    const text = new TextDecoder(label);
    return (bytes) => text.decode(bytes);
}
/** The statements of a schema's ACL entry, read whole: one naming a schema or role that holds a newline runs over lines. */
const ACL_PREFIXES = ['GRANT ', 'REVOKE ', 'SET SESSION AUTHORIZATION ', 'RESET SESSION AUTHORIZATION'];
/**
 * Collects the `-- Name: \u2026; Type: \u2026; Schema: \u2026` comments pg_dump writes before every object, and the
 * DROP statements of DROPPED_AS, read only between statements: the same text in a function body, a
 * string or a table's rows is data, and must never decide what a restore drops.
 */
function tocReader(into) {
    let decode = decoder('UTF8');
    /** The statements of the schema ACL entry being read, until the next header. */
    let grants;
    const reader = scriptFilter({
        unwrap: false,
        onStatement: {
            startsWith: [...restore_discarded/* CREATE_TABLE_PREFIXES */.H8, ...ACL_PREFIXES, 'ALTER SCHEMA '],
            read: (statement) => {
                const text = decode(statement).replace(/\r?\n$/, '');
                if (ACL_PREFIXES.some((p) => text.startsWith(p)))
                    grants?.push(text);
                else if (text.startsWith('ALTER SCHEMA ')) {
                    const owned = SCHEMA_OWNER.exec(text);
                    if (owned)
                        into.schemaOwners.push({ schema: owned[1], owner: owned[2], statement: statement.toString('latin1').replace(/\r?\n$/, '') });
                }
                else {
                    const shape = (0,restore_discarded/* parseCreateTable */.gn)(text);
                    if (shape)
                        into.tables.push(shape);
                }
            },
        },
        onCreateSchema: (statement) => {
            const created = CREATED_SCHEMA.exec(decode(statement));
            if (created)
                into.schemas.push(created[1]);
        },
        onTopLevelLine: (raw) => {
            const ascii = raw.toString('latin1').replace(/\r?\n$/, '');
            const encoding = CLIENT_ENCODING.exec(ascii);
            if (encoding)
                decode = decoder(encoding[1]);
            if (ascii.startsWith('DROP OPERATOR ')) {
                const dropped = DROPPED_AS.exec(decode(raw).replace(/\r?\n$/, ''));
                if (dropped)
                    into.objects.push({ type: dropped[1], schema: '-', name: dropped[2] });
                return;
            }
            // Its statements come after the header's closing `--`; the next comment ends them (`\unrestrict` is psql's).
            if (grants && ascii.startsWith('--') && grants.length)
                grants = undefined;
            // Statements it reads whole (onStatement) are not taken line by line: a name may hold a newline.
            else if (grants && !ascii.startsWith('--') && !ascii.startsWith('\\') && ascii.trim() && !ACL_PREFIXES.some((p) => ascii.startsWith(p)))
                grants.push(decode(raw).replace(/\r?\n$/, ''));
            if (!ascii.startsWith('-- Name: '))
                return;
            grants = undefined;
            const m = TOC_COMMENT.exec(decode(raw).replace(/\r?\n$/, ''));
            if (!m)
                return;
            const [, name, type, schema] = m;
            if (type === 'ACL' && name.startsWith('SCHEMA '))
                grants = into.schemaGrants[name.slice('SCHEMA '.length)] ??= [];
            if (RELATION_TYPES.has(type))
                into.relations.push({ schema, name, type });
            else if (OBJECT_TYPES.has(type))
                into.objects.push({ schema, name, type });
            else if (restore_discarded/* TABLE_OBJECT_TYPES */.nT.has(type))
                into.tableObjects.push({ schema, name, type });
            else if (/^(BLOB|BLOBS|LARGE OBJECT)/.test(type))
                into.largeObjects = true;
        },
    });
    // Only what it was told matters: the script itself goes nowhere.
    reader.resume();
    return reader;
}
/**
 * What a snapshot creates, and drops first: from its schema script as the restore runs it, with
 * pg_restore --clean's DROP statements (archives), or the script itself (plain, dumped with them).
 */
async function readSnapshotContents(path, format, pgRestore) {
    const contents = { relations: [], tables: [], tableObjects: [], objects: [], largeObjects: false, schemas: [], schemaGrants: {}, schemaOwners: [] };
    const sink = tocReader(contents);
    if (format === 'plain') {
        try {
            await (0,promises_namespaceObject.pipeline)((0,external_node_fs_.createReadStream)(path), sink);
        }
        catch (err) {
            if (err instanceof errors/* RollbackKitError */.dp)
                throw (0,archive/* corruptSnapshot */.gw)(path, err.message);
            throw err;
        }
        return contents;
    }
    // Listening before pg_restore starts: the reader fails (a script cut short) as its input ends,
    // before runProcess returns, and an 'error' nobody listens for would end the process.
    const reading = new Promise((resolve) => {
        sink.on('finish', () => resolve(undefined));
        sink.on('error', (err) => resolve(err));
    });
    const listed = await (0,core_process/* runProcess */.R3)(pgRestore, ['--schema-only', '--clean', '--if-exists', '--file', '-', path], { stdout: sink });
    const read = await reading;
    if (listed.code !== 0)
        throw (0,archive/* corruptSnapshot */.gw)(path, (0,pg_tools/* toolErrorLine */.$x)(listed.stderr) || 'pg_restore could not read its table of contents');
    if (read)
        throw (0,archive/* corruptSnapshot */.gw)(path, read.message);
    return contents;
}
const DROP_KIND = { v: 'VIEW', m: 'MATERIALIZED VIEW' };
/**
 * Objects that need a relation in `oids` (through the relation, its indexes or its row type) and
 * would stop a DROP without CASCADE, each with the relation it belongs to.
 */
async function dependentsOf(session, oids) {
    const { rows } = await session.query(`WITH targets AS (
       SELECT 'pg_class'::regclass AS cls, c.oid FROM pg_class c WHERE c.oid = ANY($1::oid[])
       UNION ALL SELECT 'pg_class'::regclass, i.indexrelid FROM pg_index i WHERE i.indrelid = ANY($1::oid[])
       UNION ALL SELECT 'pg_type'::regclass, c.reltype FROM pg_class c WHERE c.oid = ANY($1::oid[]) AND c.reltype <> 0
     ), deps AS (
       SELECT DISTINCT d.classid, d.objid, d.objsubid FROM pg_depend d JOIN targets t ON t.cls = d.refclassid AND t.oid = d.refobjid
        WHERE d.deptype = 'n'
     ), owned AS (
       SELECT d.classid::regclass::text AS cls, d.objid::int AS objid, pg_describe_object(d.classid, d.objid, d.objsubid) AS what,
              CASE d.classid
                WHEN 'pg_class'::regclass THEN coalesce((SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = d.objid), d.objid)
                WHEN 'pg_constraint'::regclass THEN (SELECT nullif(k.conrelid, 0) FROM pg_constraint k WHERE k.oid = d.objid)
                WHEN 'pg_trigger'::regclass THEN (SELECT g.tgrelid FROM pg_trigger g WHERE g.oid = d.objid)
                WHEN 'pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid)
                WHEN 'pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_attrdef a WHERE a.oid = d.objid)
                WHEN 'pg_policy'::regclass THEN (SELECT p.polrelid FROM pg_policy p WHERE p.oid = d.objid)
              END AS owner,
              k.contype::text AS contype, k.conname::text AS conname, k.conparentid,
              CASE WHEN k.contype = 'f' THEN pg_get_constraintdef(k.oid) END AS condef
         FROM deps d LEFT JOIN pg_constraint k ON d.classid = 'pg_constraint'::regclass AND k.oid = d.objid
     )
     SELECT o.cls, o.objid, o.what, o.owner::int AS owner, c.relkind::text AS owner_kind,
            CASE WHEN c.oid IS NOT NULL THEN quote_ident(n.nspname) || '.' || quote_ident(c.relname) END AS owner_name,
            o.contype, o.conname, o.condef
       FROM owned o LEFT JOIN pg_class c ON c.oid = o.owner LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
      -- A partition's copy of a foreign key goes and comes back with its parent's.
      WHERE o.conparentid IS NULL OR o.conparentid = 0
      ORDER BY o.what`, [oids]);
    return rows;
}
/**
 * The snapshot's objects of OBJECT_TYPES and DROPPED_AS that exist now, as `snapshot` (classid,
 * objid, type, namespace, name, owners), from $1, $2, $3: the types, schemas and names of its table
 * of contents. Each kind is named as pg_dump names it (see OBJECT_TYPES and DROPPED_AS). `owners`:
 * the roles whose privileges let one drop it (any one of them: a cast's source or target type's
 * owner, one that is not a superuser first, as the refusal names the first and a GRANT of it helps); none for the kinds only a superuser may create (an access method, an event trigger, a
 * foreign-data wrapper, a text search parser or template, an operator class or family).
 */
const SNAPSHOT_OBJECTS = `toc AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS t(type, schema, name)
     ), named(classid, objid, type, namespace, name, owners) AS (
       -- Each kind under the name pg_dump gives it (see OBJECT_TYPES and DROPPED_AS).
       -- Not a relation's row type, which pg_dump names as the relation (a composite type is a relation of its own).
       SELECT 'pg_type'::regclass, t.oid, CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.typnamespace, t.typname::text, ARRAY[t.typowner] FROM pg_type t
        WHERE t.typrelid = 0 OR (SELECT r.relkind FROM pg_class r WHERE r.oid = t.typrelid) = 'c'
       UNION ALL
       SELECT 'pg_proc'::regclass, p.oid, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, p.pronamespace,
              p.proname || '(' || CASE WHEN p.prokind = 'a' AND p.pronargs = 0 THEN '*'
                ELSE array_to_string(ARRAY(SELECT format_type(a.t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i) ORDER BY a.i), ', ') END || ')',
              ARRAY[p.proowner]
         FROM pg_proc p
       UNION ALL SELECT 'pg_extension'::regclass, e.oid, 'EXTENSION', NULL, e.extname::text, ARRAY[e.extowner] FROM pg_extension e
       UNION ALL SELECT 'pg_collation'::regclass, c.oid, 'COLLATION', c.collnamespace, c.collname::text, ARRAY[c.collowner] FROM pg_collation c
       UNION ALL SELECT 'pg_conversion'::regclass, c.oid, 'CONVERSION', c.connamespace, c.conname::text, ARRAY[c.conowner] FROM pg_conversion c
       UNION ALL SELECT 'pg_cast'::regclass, c.oid, 'CAST', NULL, 'CAST (' || format_type(c.castsource, NULL) || ' AS ' || format_type(c.casttarget, NULL) || ')',
              ARRAY(SELECT t.typowner FROM pg_type t JOIN pg_roles r ON r.oid = t.typowner WHERE t.oid IN (c.castsource, c.casttarget) ORDER BY r.rolsuper, t.oid) FROM pg_cast c
       UNION ALL
       SELECT 'pg_transform'::regclass, t.oid, 'TRANSFORM', NULL, 'TRANSFORM FOR ' || format_type(t.trftype, NULL) || ' LANGUAGE ' || quote_ident(l.lanname),
              ARRAY(SELECT y.typowner FROM pg_type y WHERE y.oid = t.trftype)
         FROM pg_transform t JOIN pg_language l ON l.oid = t.trflang
       UNION ALL SELECT 'pg_language'::regclass, l.oid, 'PROCEDURAL LANGUAGE', NULL, l.lanname::text, ARRAY[l.lanowner] FROM pg_language l
       UNION ALL SELECT 'pg_am'::regclass, a.oid, 'ACCESS METHOD', NULL, a.amname::text, '{}'::oid[] FROM pg_am a
       UNION ALL SELECT 'pg_event_trigger'::regclass, e.oid, 'EVENT TRIGGER', NULL, e.evtname::text, '{}'::oid[] FROM pg_event_trigger e
       UNION ALL SELECT 'pg_ts_config'::regclass, c.oid, 'TEXT SEARCH CONFIGURATION', c.cfgnamespace, c.cfgname::text, ARRAY[c.cfgowner] FROM pg_ts_config c
       UNION ALL SELECT 'pg_ts_dict'::regclass, d.oid, 'TEXT SEARCH DICTIONARY', d.dictnamespace, d.dictname::text, ARRAY[d.dictowner] FROM pg_ts_dict d
       UNION ALL SELECT 'pg_ts_parser'::regclass, p.oid, 'TEXT SEARCH PARSER', p.prsnamespace, p.prsname::text, '{}'::oid[] FROM pg_ts_parser p
       UNION ALL SELECT 'pg_ts_template'::regclass, t.oid, 'TEXT SEARCH TEMPLATE', t.tmplnamespace, t.tmplname::text, '{}'::oid[] FROM pg_ts_template t
       UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, w.oid, 'FOREIGN DATA WRAPPER', NULL, w.fdwname::text, '{}'::oid[] FROM pg_foreign_data_wrapper w
       UNION ALL SELECT 'pg_foreign_server'::regclass, s.oid, 'SERVER', NULL, s.srvname::text, ARRAY[s.srvowner] FROM pg_foreign_server s
       -- The view, not pg_user_mapping: only a superuser may read that.
       UNION ALL SELECT 'pg_user_mapping'::regclass, m.umid, 'USER MAPPING', NULL, 'USER MAPPING ' || m.usename || ' SERVER ' || m.srvname,
              ARRAY(SELECT s.srvowner FROM pg_foreign_server s WHERE s.oid = m.srvid) FROM pg_user_mappings m
       UNION ALL
       SELECT 'pg_operator'::regclass, o.oid, 'OPERATOR', NULL,
              quote_ident(n.nspname) || '.' || o.oprname || ' (' || coalesce(format_type(nullif(o.oprleft, 0), NULL), 'NONE') || ', ' || coalesce(format_type(nullif(o.oprright, 0), NULL), 'NONE') || ')',
              ARRAY[o.oprowner]
         FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
       UNION ALL
       SELECT 'pg_opclass'::regclass, c.oid, 'OPERATOR CLASS', NULL, quote_ident(n.nspname) || '.' || quote_ident(c.opcname) || ' USING ' || quote_ident(a.amname), '{}'::oid[]
         FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace JOIN pg_am a ON a.oid = c.opcmethod
       UNION ALL
       SELECT 'pg_opfamily'::regclass, f.oid, 'OPERATOR FAMILY', NULL, quote_ident(n.nspname) || '.' || quote_ident(f.opfname) || ' USING ' || quote_ident(a.amname), '{}'::oid[]
         FROM pg_opfamily f JOIN pg_namespace n ON n.oid = f.opfnamespace JOIN pg_am a ON a.oid = f.opfmethod
     ), snapshot AS (
       SELECT o.* FROM named o LEFT JOIN pg_namespace n ON n.oid = o.namespace
         JOIN toc ON toc.type = o.type AND toc.schema = coalesce(translate(n.nspname, E'\\n\\r', '  '), '-') AND toc.name = translate(o.name, E'\\n\\r', '  ')
     )`;
/**
 * Objects the restore keeps that use a type, function, operator, extension \u2026 the snapshot's own
 * script drops (`DROP \u2026 IF EXISTS`, no CASCADE) and creates again: that DROP would fail the restore,
 * or, for an object marked DEPENDS ON EXTENSION, take it along without a word. The snapshot's
 * objects are found by the name its table of contents gives them, as pg_dump writes it (format_type
 * with the empty search_path existingRelations sets, a line break in a name written as a space), or by
 * their DROP statement (DROPPED_AS), with what goes along with them when they are dropped (an
 * extension's members, a type's array type, an operator class's members). Every object pg_depend
 * records as using one of those counts, of whatever kind (a column, view, trigger, default, index,
 * policy, operator, cast, event trigger, user mapping \u2026), unless the snapshot has it too or it is
 * part of a relation the restore drops itself. Calls PostgreSQL does not record (a PL/pgSQL body, an
 * SQL body not written BEGIN ATOMIC) are resolved by name when they run, and find the restored objects.
 */
async function keptUsersOf(session, objects, dropped) {
    if (!objects.length)
        return [];
    const { rows } = await session.query(`WITH RECURSIVE ${SNAPSHOT_OBJECTS}, goes(classid, objid, rootclass, rootobj) AS (
       -- Dropped along without CASCADE: internal, automatic and extension-member dependents. Not
       -- one marked DEPENDS ON EXTENSION ('x'): the snapshot has it (and so names it) or it is kept,
       -- and would go without a word, so it counts as a user below.
       SELECT classid, objid, classid, objid FROM snapshot
       UNION
       SELECT d.classid, d.objid, g.rootclass, g.rootobj FROM pg_depend d JOIN goes g ON d.refclassid = g.classid AND d.refobjid = g.objid
        WHERE d.deptype IN ('i', 'a', 'e')
     ), users AS (
       SELECT DISTINCT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, g.rootclass, g.rootobj,
              CASE d.classid
                WHEN 'pg_class'::regclass THEN coalesce((SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = d.objid), d.objid)
                WHEN 'pg_type'::regclass THEN (SELECT nullif(t.typrelid, 0) FROM pg_type t WHERE t.oid = d.objid)
                WHEN 'pg_constraint'::regclass THEN (SELECT nullif(k.conrelid, 0) FROM pg_constraint k WHERE k.oid = d.objid)
                WHEN 'pg_trigger'::regclass THEN (SELECT g.tgrelid FROM pg_trigger g WHERE g.oid = d.objid)
                WHEN 'pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid)
                WHEN 'pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_attrdef a WHERE a.oid = d.objid)
                WHEN 'pg_policy'::regclass THEN (SELECT p.polrelid FROM pg_policy p WHERE p.oid = d.objid)
                WHEN 'pg_statistic_ext'::regclass THEN (SELECT x.stxrelid FROM pg_statistic_ext x WHERE x.oid = d.objid)
              END AS owner
         FROM pg_depend d JOIN goes g ON d.refclassid = g.classid AND d.refobjid = g.objid
        WHERE d.deptype IN ('n', 'x') AND NOT EXISTS (SELECT 1 FROM goes h WHERE h.classid = d.classid AND h.objid = d.objid)
     ), named_users AS (
       SELECT CASE WHEN u.classid = 'pg_rewrite'::regclass AND c.relkind IN ('v', 'm') THEN pg_describe_object('pg_class'::regclass, u.owner, 0)
                   -- pg_describe_object leaves out a domain's name.
                   WHEN k.contypid <> 0 THEN 'constraint ' || k.conname || ' on domain ' || format_type(k.contypid, NULL)
                   -- An operator class's operators and functions: the family is what is dropped.
                   WHEN u.classid = 'pg_amop'::regclass THEN pg_describe_object('pg_opfamily'::regclass, (SELECT o.amopfamily FROM pg_amop o WHERE o.oid = u.objid), 0)
                   WHEN u.classid = 'pg_amproc'::regclass THEN pg_describe_object('pg_opfamily'::regclass, (SELECT p.amprocfamily FROM pg_amproc p WHERE p.oid = u.objid), 0)
                   ELSE pg_describe_object(u.classid, u.objid, u.objsubid) END AS user,
              pg_describe_object(u.refclassid, u.refobjid, 0) AS uses, pg_describe_object(u.rootclass, u.rootobj, 0) AS root,
              u.rootclass = u.refclassid AND u.rootobj = u.refobjid AS own
         FROM users u
         LEFT JOIN pg_class c ON c.oid = u.owner
         LEFT JOIN pg_constraint k ON u.classid = 'pg_constraint'::regclass AND k.oid = u.objid
        -- Part of a relation: kept unless the restore drops it, or it goes along with the snapshot's objects.
        WHERE u.owner IS NULL OR (NOT u.owner = ANY($4::oid[]) AND NOT EXISTS (SELECT 1 FROM goes h WHERE h.classid = 'pg_class'::regclass AND h.objid = u.owner))
     )
     -- What the snapshot names itself (an operator class) rather than as going with another (its family).
     SELECT DISTINCT ON ("user", uses) "user", uses, root FROM named_users ORDER BY "user", uses, own DESC, root`, [objects.map((o) => o.type), objects.map((o) => o.schema), objects.map((o) => o.name), dropped]);
    return rows;
}
/**
 * The clashes left once types the snapshot's own script drops (pg_restore --clean, no CASCADE) are
 * taken out: those that go along with one of its objects, a multirange with its range, an
 * extension's types with it, before anything is created. A type the snapshot names itself never
 * has the name of one of its relations; one renamed since is not dropped (the DROP names the old
 * name). As keptUsersOf finds them. Asked only when a type has a name the snapshot needs: a restore
 * that meets none makes no round trip more.
 */
async function goneWithSnapshotObjects(session, objects, clashes) {
    const types = clashes.flatMap((c) => (c.typeOid === null ? [] : [c.typeOid]));
    if (!types.length || !objects.length)
        return clashes;
    const { rows } = await session.query(`WITH RECURSIVE ${SNAPSHOT_OBJECTS}, goes(classid, objid) AS (
       SELECT classid, objid FROM snapshot
       UNION
       SELECT d.classid, d.objid FROM pg_depend d JOIN goes g ON d.refclassid = g.classid AND d.refobjid = g.objid WHERE d.deptype IN ('i', 'a', 'e')
     )
     SELECT objid::int AS oid FROM goes WHERE classid = 'pg_type'::regclass AND objid = ANY($4::oid[])`, [objects.map((o) => o.type), objects.map((o) => o.schema), objects.map((o) => o.name), types]);
    const gone = new Set(rows.map((r) => r.oid));
    return clashes.filter((c) => c.typeOid === null || !gone.has(c.typeOid));
}
/** Partitions of the dropped tables that are not dropped themselves: they would go with their parent. */
async function keptPartitionsOf(session, dropped) {
    const { rows } = await session.query(`SELECT c.oid::int AS oid, i.inhparent::int AS "parentOid", i.inhparent::regclass::text AS parent, c.oid::regclass::text AS partition, pg_get_expr(c.relpartbound, c.oid) AS bound,
            coalesce((SELECT array_agg(quote_ident(k.conname) ORDER BY k.conname) FROM pg_constraint k
                       WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.conparentid <> 0), '{}') AS "inheritedForeignKeys"
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE c.relispartition AND i.inhparent = ANY($1::oid[]) AND NOT c.oid = ANY($1::oid[])
      ORDER BY 3`, [dropped]);
    return rows;
}
/**
 * Kept views in an order that has each after the kept views it selects from: dropStatements drops
 * them in reverse. Found from the snapshot's tables outwards, a view over both a table and another
 * kept view may be found before that view.
 */
async function inCreationOrder(session, views) {
    if (!views.length)
        return [];
    const { rows } = await session.query(`WITH RECURSIVE kept AS (
       SELECT v.oid, v.pos FROM unnest($1::oid[]) WITH ORDINALITY AS v(oid, pos)
     ), selects AS (
       SELECT DISTINCT r.ev_class AS view, d.refobjid AS from_view
         FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
        WHERE r.ev_class IN (SELECT oid FROM kept) AND d.refobjid IN (SELECT oid FROM kept) AND d.refobjid <> r.ev_class
     ), depth(view, n) AS (
       SELECT oid, 0 FROM kept
       UNION
       SELECT s.view, d.n + 1 FROM selects s JOIN depth d ON d.view = s.from_view
     )
     SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind
       FROM (SELECT view, max(n) AS n FROM depth GROUP BY view) d JOIN kept k ON k.oid = d.view
       JOIN pg_class c ON c.oid = d.view JOIN pg_namespace n ON n.oid = c.relnamespace
      ORDER BY d.n, k.pos`, [views]);
    return rows;
}
/**
 * The snapshot's relations that exist now, in the order its table of contents creates them: what
 * planRestore drops, or what refuseExistingWithoutClean names. Sets the empty search_path the rest of
 * the planning reads under first: definitions and descriptions (pg_describe_object, format_type,
 * regclass) then name every object with its schema, as the restore script and its errors need. The
 * caller reads it once, for whichever of the two the restore takes.
 */
async function existingRelations(session, contents) {
    await session.query("SELECT set_config('search_path', '', false)");
    const { rows } = await session.query(`SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(schema, name, pos)
       JOIN pg_namespace n ON n.nspname = t.schema
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name AND c.relkind IN ('r','p','v','m','S','f')
      ORDER BY t.pos`, [contents.relations.map((r) => r.schema), contents.relations.map((r) => r.name)]);
    return rows;
}
/**
 * Kinds the snapshot's script creates only where they are missing (`CREATE EXTENSION IF NOT EXISTS`,
 * `CREATE OR REPLACE PROCEDURAL LANGUAGE`): one that exists does not fail a restore without clean.
 */
const CREATED_IF_MISSING = new Set(['EXTENSION', 'PROCEDURAL LANGUAGE']);
/**
 * A restore without clean (clean: false) runs the snapshot's script without dropping anything
 * first, so its CREATE of every relation, function, type \u2026 of the snapshot that exists fails the
 * transaction (`relation "customers" already exists`), and so does its CREATE of an index, a primary
 * key, unique or exclusion constraint, or a relation whose name an object it does not have takes in
 * its schema (restore-name-clashes.ts). Asked while the restore is planned, a dry run's too: those
 * objects are named and the restore refused before anything is locked or changed.
 * A plain snapshot is not asked: its script drops its objects itself (it is dumped with --clean).
 */
async function refuseExistingWithoutClean(session, contents, relations, where) {
    const objects = contents.objects.filter((o) => !CREATED_IF_MISSING.has(o.type));
    const { rows: others } = objects.length
        ? await session.query(`WITH RECURSIVE ${SNAPSHOT_OBJECTS}
         SELECT DISTINCT pg_describe_object(s.classid, s.objid, 0) AS what FROM snapshot s ORDER BY what`, [objects.map((o) => o.type), objects.map((o) => o.schema), objects.map((o) => o.name)])
        : { rows: [] };
    // Named as the server names them (schema-qualified under the empty search_path): `table public.customers`.
    const { rows: tables } = relations.length
        ? await session.query("SELECT pg_describe_object('pg_class'::regclass, r.oid, 0) AS what FROM unnest($1::oid[]) WITH ORDINALITY AS r(oid, pos) ORDER BY r.pos", [relations.map((r) => r.oid)])
        : { rows: [] };
    const existing = [...tables, ...others].map((o) => o.what);
    // Not the indexes of the relations named above: they clash only because their table does.
    const clashes = await nameClashes(session, contents, relations.map((r) => r.oid));
    if (!existing.length && !clashes.length)
        return;
    const found = [];
    const ways = [];
    if (existing.length) {
        found.push(`Restore into ${where} cannot create what the snapshot holds that is already there: ${(0,db_catalog/* someNames */.Xq)(existing, restore_plan_NAMED)}. clean is false, so the restore does not drop the snapshot's objects first, and its CREATE of each of these would fail.`);
        ways.push(WITHOUT_CLEAN_WAY);
    }
    if (clashes.length) {
        found.push(`${existing.length ? 'Nor can it create' : `Restore into ${where} cannot create`} ${takenNames(clashes)}, so the CREATE would fail.`);
        ways.push(`${existing.length ? 'For the names taken, rename' : 'Rename'} ${renameWay(clashes)}`);
    }
    throw new errors/* RollbackKitError */.dp(found.join(' '), `${ways.join(' ')} Nothing was changed: the check ran before anything was locked.`, { changed: 'no' });
}
/** What to do when a restore without clean meets the snapshot's objects already there (refuseExistingWithoutClean, and restore.ts when its script fails so). */
const WITHOUT_CLEAN_WAY = "Set clean: true to replace them (the restore drops the snapshot's objects and creates them again from it, in its one transaction; what the snapshot does not have is kept either way), or restore into an empty database.";
/** Plans the drop of what the snapshot holds; refuses, naming them, objects it could not put back. */
async function planRestore(session, contents, dropped, where) {
    // Names the snapshot needs that objects it does not have take: its script's DROP INDEX IF EXISTS
    // names no table, so it would drop another table's index of the name; any other would fail its CREATE.
    const clashes = await goneWithSnapshotObjects(session, contents.objects, await nameClashes(session, contents, dropped.map((r) => r.oid)));
    const dropSet = new Set(dropped.map((r) => r.oid));
    // Read with the empty search_path existingRelations set, so every name is schema-qualified.
    const keptPartitions = await keptPartitionsOf(session, [...dropSet]);
    const { rows: intoKept } = keptPartitions.length
        ? await session.query(`SELECT format('ALTER TABLE %s DROP CONSTRAINT %I;', k.conrelid::regclass, k.conname) AS statement
           FROM pg_constraint k
          WHERE k.contype = 'f' AND k.conparentid = 0 AND k.conrelid = ANY($1::oid[]) AND k.confrelid = ANY($2::oid[])
          ORDER BY 1`, [[...dropSet], [...new Set(keptPartitions.map((p) => p.parentOid))]])
        : { rows: [] };
    const keptForeignKeys = [];
    const keptViewOids = [];
    const unsupported = [];
    const seenKeys = new Set();
    let frontier = dropped.map((r) => r.oid);
    while (frontier.length) {
        const next = [];
        for (const d of await dependentsOf(session, frontier)) {
            if (d.owner !== null && dropSet.has(d.owner))
                continue;
            if (d.cls === 'pg_constraint' && d.contype === 'f' && d.owner_name) {
                if (!seenKeys.has(d.objid))
                    keptForeignKeys.push({ table: d.owner_name, name: d.conname, definition: d.condef });
                seenKeys.add(d.objid);
            }
            else if (d.cls === 'pg_rewrite' && d.owner !== null && (d.owner_kind === 'v' || d.owner_kind === 'm')) {
                keptViewOids.push(d.owner);
                dropSet.add(d.owner);
                next.push(d.owner);
            }
            else if (!unsupported.includes(d.what))
                unsupported.push(d.what);
        }
        frontier = next;
    }
    const keptViews = await inCreationOrder(session, keptViewOids);
    // After the walk above: a kept view it drops and re-creates may use what the snapshot re-creates.
    const users = await keptUsersOf(session, contents.objects, [...dropSet]);
    if (unsupported.length || users.length) {
        const found = [];
        if (unsupported.length)
            found.push(`The restore would have to drop objects the snapshot does not have, which restore-db cannot put back: ${unsupported.join('; ')}.`);
        if (users.length) {
            const uses = users.map((u) => `${u.user} uses ${u.uses}${u.root === u.uses ? '' : `, which goes with ${u.root}`}`);
            found.push(`Objects the snapshot does not have use what it re-creates, so the restore could not drop that and create it again under them: ${uses.join('; ')}.`);
        }
        const fixes = remedies([...unsupported, ...users.map((u) => u.user)]);
        const way = 'These were created after the snapshot (or are outside it) and use its tables, types, functions, operators or other objects. ' +
            `Drop them (or undo their migration with run-down-migrations), or change them so they no longer do${fixes.length ? ` (${fixes.join('; ')})` : ''}, ` +
            `and run again; do not drop with CASCADE, which takes their columns and rows with it. ${where} keeps them until then.`;
        if (!clashes.length)
            throw new errors/* RollbackKitError */.dp(`${found.join(' ')} Nothing was changed.`, way);
        throw new errors/* RollbackKitError */.dp(`${found.join(' ')} Nor can it create ${takenClean(clashes)} Nothing was changed.`, `${way} For the names taken, rename ${renameWay(clashes)}`, { changed: 'no' });
    }
    if (clashes.length) {
        throw new errors/* RollbackKitError */.dp(`Restore into ${where} cannot create ${takenClean(clashes)}`, `Rename ${renameWay(clashes)} Nothing was changed: the check ran before anything was locked.`, { changed: 'no' });
    }
    // The snapshot's own relations only: a kept view is dropped and created again as it is.
    const discarded = await (0,restore_discarded/* discardedBy */.jr)(session, contents.tables, contents.tableObjects, dropped.map((r) => r.oid));
    return { dropped, keptPartitions: keptPartitions.map(({ oid: _oid, parentOid: _parent, ...p }) => p), droppedForeignKeys: intoKept.map((r) => r.statement), keptForeignKeys, keptViews, discarded };
}
/** Names taken (restore-name-clashes.ts), and what they would do to a restore with clean. */
function takenClean(clashes) {
    // Only a relation's name can be an index's: a type's is one the script fails on.
    const index = clashes.some((c) => c.among === 'relations') ? ', or, where an index has it, drop that index first without a word (its DROP INDEX IF EXISTS names no table)' : '';
    return `${takenNames(clashes)}: the snapshot's script would fail on the name${index}.`;
}
/**
 * How to take each kind of object (as pg_describe_object names it, with the empty search_path
 * existingRelations sets: `default value for column id of table public.clients`) off what the snapshot
 * re-creates, naming the first of each kind; kinds not listed get the general advice alone.
 */
const REMEDIES = [
    {
        kind: /^default value for column (.+) of table (.+)$/,
        fix: (m) => `for a column default: ALTER TABLE ${m[2]} ALTER COLUMN ${(0,db_catalog/* quoteIdent */.v4)(m[1])} DROP DEFAULT, and after the restore give it one of its own (a sequence it owns: CREATE SEQUENCE \u2026; ALTER TABLE ${m[2]} ALTER COLUMN ${(0,db_catalog/* quoteIdent */.v4)(m[1])} SET DEFAULT nextval(\u2026))`,
    },
    { kind: /^column (.+) of table (.+)$/, fix: (m) => `for a column of its type: ALTER TABLE ${m[2]} ALTER COLUMN ${(0,db_catalog/* quoteIdent */.v4)(m[1])} TYPE text, or drop the column` },
    { kind: /^constraint (.+) on table (.+)$/, fix: (m) => `for a constraint: ALTER TABLE ${m[2]} DROP CONSTRAINT ${m[1]}` },
    { kind: /^constraint (.+) on domain (.+)$/, fix: (m) => `for a domain's check: ALTER DOMAIN ${m[2]} DROP CONSTRAINT ${m[1]}` },
    { kind: /^index (.+)$/, fix: (m) => `for an index: DROP INDEX ${m[1]}, and create it again after the restore` },
    { kind: /^trigger (.+) on table (.+)$/, fix: (m) => `for a trigger: DROP TRIGGER ${m[1]} ON ${m[2]}` },
    { kind: /^policy (.+) on table (.+)$/, fix: (m) => `for a policy: DROP POLICY ${m[1]} ON ${m[2]}` },
    { kind: /^(view|materialized view) (.+)$/, fix: (m) => `for a ${m[1]}: DROP ${m[1].toUpperCase()} ${m[2]}, and create it again after the restore` },
    { kind: /^rule (.+) on (view|materialized view) (.+)$/, fix: (m) => `for a ${m[2]}: DROP ${m[2].toUpperCase()} ${m[3]}, and create it again after the restore` },
    { kind: /^(function|procedure) (.+)$/, fix: (m) => `for a ${m[1]}: DROP ${m[1].toUpperCase()} ${m[2]}, or CREATE OR REPLACE it without what it uses` },
];
/** How many objects an error names before it says how many more. */
const restore_plan_NAMED = 8;
/**
 * What the restore needs of the role it connects as, asked while it is planned, before anything is
 * locked, kept or changed: it drops every relation of the plan (the snapshot's that exist, and the
 * views it keeps, dropped and created again) and, with the snapshot's own script (pg_restore
 * --clean), every other object the snapshot holds that exists (its functions, procedures, types,
 * domains, operators \u2026 `objects`), and creates each again. PostgreSQL lets only a role with its
 * owner's privileges (the owner, a member of the owning role, a superuser) drop an object, only one
 * with CREATE on its schema create it there, and only a superuser create some kinds (an event
 * trigger, an operator class \u2026). SELECT and UPDATE alone would get a role through the table locks
 * and the pre-restore snapshot, and fail at the first DROP. The snapshot's `schemas` are kept, but
 * created where missing (CREATE SCHEMA IF NOT EXISTS), for which PostgreSQL asks CREATE on the
 * database first, whether the schema is there or not.
 */
async function requireRestorePrivileges(session, plan, objects = [], schemas = []) {
    const relations = [...plan.dropped, ...plan.keptViews];
    if (!relations.length && !objects.length && !schemas.length)
        return;
    const fields = (owned) => `quote_ident(current_user) AS me, ${owned} AS owned, coalesce(o.rolsuper, false) AS owner_super`;
    // Names quoted by the server, as it quotes them (quote_ident): only where they need it. Described
    // with the empty search_path existingRelations set, so with their schema.
    const { rows: ofRelations } = relations.length
        ? await session.query(`SELECT ${fields("pg_has_role(current_user, o.oid, 'USAGE')")}, pg_describe_object('pg_class'::regclass, c.oid, 0) AS what,
                quote_ident(n.nspname) AS schema, quote_ident(o.rolname) AS owner, has_schema_privilege(current_user, n.oid, 'CREATE') AS creates
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(schema, name, pos)
           JOIN pg_namespace n ON n.nspname = t.schema
           JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
           JOIN pg_roles o ON o.oid = c.relowner
          ORDER BY t.pos`, [relations.map((r) => r.schema), relations.map((r) => r.name)])
        : { rows: [] };
    // A kind with no owner to ask for (owners empty) is one only a superuser may create.
    const owned = `CASE WHEN cardinality(s.owners) = 0 THEN (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user)
                      ELSE EXISTS (SELECT 1 FROM unnest(s.owners) w WHERE pg_has_role(current_user, w, 'USAGE')) END`;
    const { rows: ofObjects } = objects.length
        ? await session.query(`WITH RECURSIVE ${SNAPSHOT_OBJECTS}
         SELECT DISTINCT ${fields(owned)}, pg_describe_object(s.classid, s.objid, 0) AS what, quote_ident(n.nspname) AS schema, quote_ident(o.rolname) AS owner,
                n.oid IS NULL OR has_schema_privilege(current_user, n.oid, 'CREATE') AS creates
           FROM snapshot s LEFT JOIN pg_namespace n ON n.oid = s.namespace LEFT JOIN pg_roles o ON o.oid = s.owners[1]
          ORDER BY what`, [objects.map((o) => o.type), objects.map((o) => o.schema), objects.map((o) => o.name)])
        : { rows: [] };
    // PostgreSQL asks for CREATE on the database before it looks whether the schema is there.
    const { rows: database } = schemas.length
        ? await session.query("SELECT quote_ident(current_user) AS me, quote_ident(current_database()) AS db, has_database_privilege(current_database(), 'CREATE') AS creates")
        : { rows: [] };
    const noDatabase = database[0]?.creates === false ? database[0] : undefined;
    const rows = [...ofRelations, ...ofObjects];
    const notOwned = new Map();
    const superOnly = [];
    for (const r of rows.filter((r) => !r.owned)) {
        if (r.owner === null)
            superOnly.push(r.what);
        else
            notOwned.set(r.owner, [...(notOwned.get(r.owner) ?? []), r.what]);
    }
    const noCreate = [...new Set(rows.filter((r) => !r.creates && r.schema !== null).map((r) => r.schema))];
    if (!notOwned.size && !noCreate.length && !superOnly.length && !noDatabase)
        return;
    const role = rows[0]?.me ?? noDatabase.me;
    const named = (items) => (0,db_catalog/* someNames */.Xq)(items, restore_plan_NAMED);
    const lacks = [
        ...[...notOwned].map(([owner, theirs]) => `the privileges of ${owner}, which owns ${named(theirs)}`),
        ...(superOnly.length ? [`superuser, which alone may create ${named(superOnly)}`] : []),
        ...(noCreate.length ? [`CREATE on schema ${named(noCreate)}`] : []),
        ...(noDatabase ? [`CREATE on database ${noDatabase.db}, which the restore's CREATE SCHEMA IF NOT EXISTS of ${named(schemas)} takes even where the schema is there`] : []),
    ];
    // Membership of a superuser role is no grant to suggest: restore as that role instead.
    const supers = new Set(rows.filter((r) => r.owner_super && r.owner !== null).map((r) => r.owner));
    const grants = [
        ...[...notOwned.keys()].filter((owner) => !supers.has(owner)).map((owner) => `GRANT ${owner} TO ${role};`),
        ...noCreate.map((schema) => `GRANT CREATE ON SCHEMA ${schema} TO ${role};`),
        ...(noDatabase ? [`GRANT CREATE ON DATABASE ${noDatabase.db} TO ${role};`] : []),
    ];
    throw new errors/* RollbackKitError */.dp(`User ${role} cannot restore this snapshot: the restore drops what the snapshot holds and creates it again, which PostgreSQL lets only the objects' owner (or a member of the owning role, or a superuser) do, and it lacks ${lacks.join('; ')}.`, `Restore as the role that owns them (the one the migrations run as${superOnly.length ? ', or a superuser' : ''})${grants.length ? `, or grant it: ${grants.join(' ')}` : '.'} Nothing was changed: the check ran before anything was locked.`);
}
/** The remedies for these objects, one per kind, in the order of REMEDIES. */
function remedies(objects) {
    const out = [];
    for (const r of REMEDIES) {
        for (const o of objects) {
            const m = r.kind.exec(o);
            if (!m)
                continue;
            out.push(r.fix(m));
            break;
        }
    }
    return out;
}
/**
 * Tables and schemas the restore does not touch because the snapshot does not have them. A snapshot
 * of every schema (no `schemas` filter) does not have a schema created since, so the tables there
 * are named too; a filtered snapshot names only what its own schemas hold, the schemas it left out
 * being none of its business. A manifest from before `everySchema` was recorded cannot tell the two
 * apart, so it is read as filtered to the schemas it lists (for a snapshot of every schema, every
 * schema there was then): a schema created since goes unnamed rather than a left-out one being
 * named. Extension members are left out, as pg_dump leaves them out.
 */
async function leftAsTheyAre(session, contents, manifest) {
    const { filter } = manifest;
    const every = filter.everySchema === true;
    const scope = every ? (await userSchemas(session)).filter((n) => !filter.excludeSchemas.includes(n)) : filter.schemas;
    const rows = await (0,db_catalog/* listTables */.WS)(session, scope, ['r', 'p', 'f']);
    // The manifest's names are exact; the archive's `-- Name:` lines turn a newline in a name into a space.
    const has = new Set([...contents.relations.filter((r) => r.type === 'TABLE' || r.type === 'FOREIGN TABLE'), ...manifest.tables].map(db_catalog/* tableKey */.ih));
    return {
        tables: rows.filter((r) => !has.has((0,db_catalog/* tableKey */.ih)(r))).map((r) => `${r.schema}.${r.name}`),
        schemas: every ? scope.filter((n) => !filter.schemas.includes(n)) : [],
    };
}
/** The statements that remove what the snapshot will create, and what depends on it, in an order that needs no CASCADE. */
function dropStatements(plan) {
    const out = [];
    for (const fk of plan.keptForeignKeys)
        out.push(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${(0,db_catalog/* quoteIdent */.v4)(fk.name)};`);
    // Kept views are in creation order (inCreationOrder): the last first.
    for (const v of [...plan.keptViews].reverse())
        out.push(`DROP ${DROP_KIND[v.relkind]} ${(0,db_catalog/* qualified */.LX)(v.schema, v.name)};`);
    // Detached, a kept partition keeps its copies of the parent's foreign keys as its own; attached
    // again, it gets the restored parent's.
    out.push(...plan.droppedForeignKeys);
    for (const p of plan.keptPartitions) {
        out.push(`ALTER TABLE ${p.parent} DETACH PARTITION ${p.partition};`);
        for (const fk of p.inheritedForeignKeys)
            out.push(`ALTER TABLE ${p.partition} DROP CONSTRAINT ${fk};`);
    }
    // The table of contents lists views in creation order: dropping in reverse never drops one another needs.
    for (const r of [...plan.dropped].reverse().filter((r) => DROP_KIND[r.relkind]))
        out.push(`DROP ${DROP_KIND[r.relkind]} IF EXISTS ${(0,db_catalog/* qualified */.LX)(r.schema, r.name)};`);
    const list = (kinds) => plan.dropped.filter((r) => kinds.includes(r.relkind)).map((r) => (0,db_catalog/* qualified */.LX)(r.schema, r.name));
    // One statement for every table: partitions with their parent, foreign keys between them, no order needed.
    const tables = list(['r', 'p']);
    if (tables.length)
        out.push(`DROP TABLE IF EXISTS ${tables.join(', ')};`);
    const foreign = list(['f']);
    if (foreign.length)
        out.push(`DROP FOREIGN TABLE IF EXISTS ${foreign.join(', ')};`);
    // After the tables: a sequence a table owned is gone with it, one a default used is free now.
    const sequences = list(['S']);
    if (sequences.length)
        out.push(`DROP SEQUENCE IF EXISTS ${sequences.join(', ')};`);
    return out;
}
/**
 * Attaches the kept partitions to the restored tables, first: a kept view or foreign key over the
 * partitioned table sees their rows again. An attach that cannot be done (the restored table has
 * other columns, or its default partition holds rows of the partition's range) fails the restore.
 */
function attachStatements(plan) {
    return plan.keptPartitions.map((p) => `ALTER TABLE ${p.parent} ATTACH PARTITION ${p.partition} ${p.bound};`);
}
/** Puts back the kept foreign keys (the views come from pg_dump, see restore.ts). */
function foreignKeyStatements(plan) {
    return plan.keptForeignKeys.map((fk) => `ALTER TABLE ${fk.table} ADD CONSTRAINT ${(0,db_catalog/* quoteIdent */.v4)(fk.name)} ${fk.definition};`);
}

;// CONCATENATED MODULE: ./.build/db/restore-privileges.js
/**
 * Privileges an in-place restore must not widen. pg_dump writes each object's GRANT and REVOKE
 * relative to a baseline: the built-in default ACL (acldefault) for what it creates, a schema's
 * initial ACL (pg_init_privs) where there is one, a fixed one for `public` (schemaBaseline). Two things break that baseline in
 * a live database:
 *
 * - Objects the restore creates get the default privileges (ALTER DEFAULT PRIVILEGES) of the role
 *   that creates them, the role restoring: a table whose grant to `anon` had been revoked would come
 *   back with it (Supabase's default setup grants tables to anon). So that role's own entries are set
 *   aside for as long as the restore creates objects, and put back before its commit. Only the
 *   creating role's entries apply to what it creates (pg_restore hands objects to their owners with
 *   ALTER \u2026 OWNER, not SET ROLE), and any role may change its own: no superuser needed.
 * - A schema the snapshot holds that already exists is kept, not created again, so grants made on it
 *   since the snapshot would survive: its ACL is reset to pg_dump's baseline first.
 *
 * Everything is read and changed inside the restore's transaction, by DO blocks: what they change is
 * what is there when the restore runs, not what a planning session saw minutes earlier.
 */


/** pg_default_acl's object types, as ALTER DEFAULT PRIVILEGES names them. */
const restore_privileges_OBJECT_TYPES = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS', L: 'LARGE OBJECTS' };
const objectsCase = (col) => `CASE ${col} ${Object.entries(restore_privileges_OBJECT_TYPES).map(([t, k]) => `WHEN '${t}' THEN '${k}'`).join(' ')} END`;
const knownTypes = Object.keys(restore_privileges_OBJECT_TYPES).map((t) => `'${t}'`).join(', ');
const ME = '(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)';
const GRANTEE = (oid) => `CASE WHEN ${oid} = 0 THEN 'PUBLIC' ELSE ${oid}::regrole::text END`;
/** Where a block keeps the entries it set aside, for the block that puts them back (transaction-local). */
const STASH = { before: 'rollback_kit.default_acl_before', restored: 'rollback_kit.default_acl_restored' };
/**
 * Rows of (head, target, tail, revoke_acl, grant_acl) \u2192 the block runs, for each row in order, `REVOKE
 * ALL` from every grantee in `revoke_acl`, then grants the items of `grant_acl`, per grantee in the order they come.
 * (aclexplode refuses an empty array that has no dimension, as '{}' and ARRAY() make them.)
 */
function changeBlock(rows, before = '') {
    const body = [
        'DECLARE rk_entry record; rk_statement text;',
        'BEGIN',
        ...(before ? [`  ${before}`] : []),
        `  FOR rk_entry IN ${rows} LOOP`,
        '    FOR rk_statement IN',
        `      SELECT stmt FROM (SELECT 0 AS k, 0::bigint AS n, rk_entry.head || 'REVOKE ALL ON ' || rk_entry.target || ' FROM ' || string_agg(DISTINCT ${GRANTEE('r.grantee')}, ', ') || rk_entry.tail AS stmt`,
        `                          FROM aclexplode(nullif(rk_entry.revoke_acl, '{}')) r HAVING count(*) > 0`,
        `                        UNION ALL SELECT 1, min(g.n), rk_entry.head || 'GRANT ' || string_agg(g.privilege_type, ', ' ORDER BY g.n) || ' ON ' || rk_entry.target || ' TO ' || ${GRANTEE('g.grantee')}`,
        "                                 || CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END",
        `                          FROM aclexplode(nullif(rk_entry.grant_acl, '{}')) WITH ORDINALITY AS g(grantor, grantee, privilege_type, is_grantable, n) GROUP BY g.grantee, g.is_grantable) AS x`,
        '       ORDER BY k, n',
        '    LOOP',
        '      EXECUTE rk_statement;',
        '    END LOOP;',
        '  END LOOP;',
        'END',
    ].join('\n');
    return (0,db_catalog/* doBlock */.hq)('rk_privileges', body);
}
/** The restoring role's entries as (nsp, objtype, acl): now, or as a block set them aside. */
const CURRENT_ENTRIES = `SELECT n.nspname AS nsp, d.defaclobjtype AS objtype, d.defaclacl AS acl
         FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
        WHERE d.defaclrole = ${ME} AND d.defaclobjtype IN (${knownTypes})`;
const stashedEntries = (key) => `SELECT j.nsp, j.objtype::"char" AS objtype, j.acl::aclitem[] AS acl FROM json_to_recordset(current_setting('${key}')::json) AS j(nsp text, objtype text, acl text)`;
/**
 * Each entry with the statement head and object keyword ALTER DEFAULT PRIVILEGES takes, and pg_dump's
 * baseline for it: the built-in default for a global entry (which replaces it), none for a schema's
 * (which adds to it). acldefault names sequences 's', pg_default_acl 'S'.
 */
const withBaseline = (entries) => `SELECT e.*,
          format('ALTER DEFAULT PRIVILEGES FOR ROLE %I ', current_user) || CASE WHEN e.nsp IS NULL THEN '' ELSE format('IN SCHEMA %I ', e.nsp) END AS head,
          ${objectsCase('e.objtype')} AS target, '' AS tail,
          CASE WHEN e.nsp IS NULL THEN acldefault(CASE e.objtype WHEN 'S' THEN 's' ELSE e.objtype END, ${ME}) ELSE '{}' END AS base
     FROM (${entries}) e`;
/**
 * Sets the restoring role's default privileges aside: each entry made what pg_dump's statements
 * start from (a global one the built-in default, which PostgreSQL then drops; a schema's empty,
 * likewise), after keeping them under `stash` for putBackDefaultPrivileges.
 */
function setAsideDefaultPrivileges(stash) {
    const keep = `PERFORM set_config('${STASH[stash]}', (SELECT coalesce(json_agg(json_build_object('nsp', c.nsp, 'objtype', c.objtype, 'acl', c.acl::text)), '[]')::text FROM (${CURRENT_ENTRIES}) c), true);`;
    return changeBlock(`SELECT b.head, b.target, b.tail, b.acl AS revoke_acl, b.base AS grant_acl FROM (${withBaseline(CURRENT_ENTRIES)}) b`, keep);
}
/**
 * Puts the restoring role's default privileges back, from where both set-asides left them (each
 * entry at pg_dump's baseline): first its entries as they were before the restore, exactly; then the
 * snapshot's own entries for it (its DEFAULT ACL statements, which ran at the end of its script, and
 * which the second set-aside kept) replayed as those statements do it, relative to the baseline \u2014
 * REVOKE ALL from each grantee of the baseline the entry lacks, GRANT what it has beyond it. So the
 * entries end as plain pg_restore would have left them over the database as it was: equal to before
 * when the snapshot had the same ones, and no grantee the snapshot does not name gets anything.
 * The snapshot's are set aside for a while rather than left in place because the views the restore
 * keeps are re-created after the script, and must be created at the baseline too.
 */
function putBackDefaultPrivileges() {
    const before = `SELECT b.head, b.target, b.tail, b.base AS revoke_acl, b.acl AS grant_acl FROM (${withBaseline(stashedEntries(STASH.before))}) b`;
    const restored = `SELECT b.head, b.target, b.tail,
          ARRAY(SELECT i FROM unnest(b.base) i WHERE NOT i = ANY (b.acl)) AS revoke_acl,
          ARRAY(SELECT i FROM unnest(b.acl) i WHERE NOT i = ANY (b.base)) AS grant_acl
     FROM (${withBaseline(stashedEntries(STASH.restored))}) b`;
    // Those from before first: the snapshot's are replayed over them.
    return changeBlock(`SELECT * FROM (SELECT 0 AS step, * FROM (${before}) p UNION ALL SELECT 1, * FROM (${restored}) q) r ORDER BY step`);
}
/**
 * pg_dump's baseline for a schema's ACL, by the major version of the pg_dump that wrote the snapshot
 * (`dumpMajor`). For `public` a fixed one with the schema's actual owner: from pg_dump 15 on
 * {owner=UC/owner,=U/owner}; it ignores public's pg_init_privs, which keep naming pg_database_owner
 * after ALTER SCHEMA public OWNER, and writes no GRANT for a public at that ACL. Taking pg_init_privs
 * there would take USAGE and CREATE away from public's real owner. pg_dump 14 and older dump only
 * servers as old, whose public is created {owner=UC/owner,=UC/owner}, and write nothing for a public
 * at that ACL: read against 15's baseline, such a snapshot would take CREATE from PUBLIC.
 * Other schemas: their initial ACL (pg_init_privs) where they have one, else the built-in default.
 */
const schemaBaseline = (dumpMajor) => `CASE WHEN n.nspname = 'public'
            THEN ARRAY[makeaclitem(n.nspowner, n.nspowner, 'USAGE', false), makeaclitem(n.nspowner, n.nspowner, 'CREATE', false), makeaclitem(0, n.nspowner, 'USAGE', false)${dumpMajor < 15 ? ", makeaclitem(0, n.nspowner, 'CREATE', false)" : ''}]
            ELSE coalesce(p.initprivs, acldefault('n', n.nspowner)) END`;
/**
 * Resets every schema named that exists (the snapshot's, which the restore keeps) to the ACL pg_dump
 * writes its grants relative to (schemaBaseline of the snapshot's pg_dump, `dumpMajor`). Grants made since the snapshot go (with CASCADE,
 * those made by grantees of a grant option too); the snapshot's own grants then come from its script.
 * A schema already at its baseline is left as it is.
 */
function resetSchemaPrivileges(schemas, dumpMajor) {
    if (!schemas.length)
        return '';
    // aclitem has no ordering, so "at its baseline" compares the arrays as sets (makeaclitem gives one
    // item per privilege; aclexplode splits both alike).
    const rows = `SELECT '' AS head, 'SCHEMA ' || quote_ident(b.nspname) AS target, ' CASCADE' AS tail, b.current AS revoke_acl, b.base AS grant_acl
     FROM (${schemaAcls(schemas, dumpMajor)}) b
    WHERE EXISTS (SELECT e.grantor, e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(b.current) e
                  EXCEPT SELECT e.grantor, e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(b.base) e)
       OR EXISTS (SELECT e.grantor, e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(b.base) e
                  EXCEPT SELECT e.grantor, e.grantee, e.privilege_type, e.is_grantable FROM aclexplode(b.current) e)`;
    return changeBlock(rows);
}
/** (nspname, nspowner, oid, current, base) of each schema named that exists: its ACL now, and its schemaBaseline. */
const schemaAcls = (schemas, dumpMajor) => `SELECT n.nspname, n.nspowner, n.oid, coalesce(n.nspacl, acldefault('n', n.nspowner)) AS current, ${schemaBaseline(dumpMajor)} AS base
             FROM pg_catalog.pg_namespace n
             LEFT JOIN pg_catalog.pg_init_privs p ON p.classoid = 'pg_catalog.pg_namespace'::regclass AND p.objoid = n.oid AND p.objsubid = 0
            WHERE n.nspname = ANY (ARRAY[${schemas.map(db_catalog/* quoteLiteral */.ce).join(', ')}]::text[])`;
const IDENT = String.raw `"(?:[^"]|"")+"|[^\s";,]+`;
/** pg_dump's statements for a schema's ACL (buildACLCommands), one a line. */
const ACL_STATEMENT = new RegExp(String.raw `^(GRANT|REVOKE)( GRANT OPTION FOR)? ([A-Z]+(?:, ?[A-Z]+)*) ON SCHEMA [\s\S]+ (?:TO|FROM) (${IDENT})( WITH GRANT OPTION)?;$`);
const SET_AUTHORIZATION = new RegExp(String.raw `^SET SESSION AUTHORIZATION (${IDENT});$`);
const SCHEMA_PRIVILEGES = ['USAGE', 'CREATE'];
/**
 * The ACL a kept schema ends with: its `base` (what resetSchemaPrivileges resets it to) with the
 * snapshot's `statements` for it replayed, as its script runs them after the reset. A grant is the
 * owner's unless the script set the session's authorization to its grantor. Undefined when a
 * statement is not one pg_dump writes.
 */
function replayGrants(base, statements, owner) {
    const acl = new Map(base.map((e) => [`${e.grantor} ${e.grantee} ${e.privilege}`, { ...e }]));
    let grantor = owner;
    for (const statement of statements) {
        if (statement === 'RESET SESSION AUTHORIZATION;')
            grantor = owner;
        else if (SET_AUTHORIZATION.test(statement))
            grantor = SET_AUTHORIZATION.exec(statement)[1];
        else {
            const m = ACL_STATEMENT.exec(statement);
            if (!m)
                return undefined;
            const [, verb, optionOnly, list, grantee, withOption] = m;
            const privileges = list === 'ALL' ? SCHEMA_PRIVILEGES : list.split(/, ?/);
            if (privileges.some((p) => !SCHEMA_PRIVILEGES.includes(p)))
                return undefined;
            for (const privilege of privileges) {
                const key = `${grantor} ${grantee} ${privilege}`;
                const had = acl.get(key);
                if (verb === 'GRANT')
                    acl.set(key, { grantor, grantee, privilege, grantable: Boolean(withOption) || Boolean(had?.grantable) });
                else if (optionOnly && had)
                    had.grantable = false;
                else
                    acl.delete(key);
            }
        }
    }
    return [...acl.values()];
}
const sameEntry = (a, b) => a.grantor === b.grantor && a.grantee === b.grantee && a.privilege === b.privilege && a.grantable === b.grantable;
const describeEntry = (e) => `${e.privilege}${e.grantable ? ' WITH GRANT OPTION' : ''} for ${e.grantee} (granted by ${e.grantor})`;
/**
 * Refuses, while the restore is planned, a restore that would leave a kept schema's privileges other
 * than the snapshot's. resetSchemaPrivileges and the script's grants change a schema's ACL only where
 * PostgreSQL lets the restoring role: acting as its owner (the owner, a member of the owning role, a
 * superuser). Any other role's REVOKE takes back only the grants it made itself, and PostgreSQL only
 * warns for the rest (or, with a grant option, not even that), so a grant made since the snapshot
 * (`GRANT CREATE ON SCHEMA public TO intruder`) would outlive a restore that says it succeeded. So
 * each kept schema's ACL now is compared with the one the restore would give it (replayGrants);
 * a role that cannot make the difference go is refused, naming it. `grants` are the snapshot's
 * statements by schema, its name quoted where needed (SnapshotContents.schemaGrants); `dumpMajor`
 * the major version of the pg_dump that wrote them (the manifest's pgDump.major), which the baseline
 * they are relative to depends on: the same target resetSchemaPrivileges resets to.
 */
async function requireSchemaPrivileges(session, schemas, grants, dumpMajor) {
    if (!schemas.length)
        return;
    const entries = (acl) => `coalesce((SELECT json_agg(json_build_object('grantor', ${GRANTEE('e.grantor')}, 'grantee', ${GRANTEE('e.grantee')}, 'privilege', e.privilege_type, 'grantable', e.is_grantable)) FROM aclexplode(${acl}) e), '[]')`;
    const { rows } = await session.query(`SELECT quote_ident(b.nspname) AS quoted, ${GRANTEE(ME)} AS me, ${GRANTEE('b.nspowner')} AS owner,
            pg_has_role(current_user, b.nspowner, 'USAGE') AS acts_as_owner,
            NOT o.rolsuper AND o.rolname <> 'pg_database_owner' AS grantable_owner,
            ${entries('b.current')} AS current, ${entries('b.base')} AS base
       FROM (${schemaAcls(schemas, dumpMajor)}) b JOIN pg_catalog.pg_roles o ON o.oid = b.nspowner
      ORDER BY b.nspname`);
    const refused = [];
    for (const r of rows.filter((r) => !r.acts_as_owner)) {
        // pg_dump's table of contents writes a newline in a name as a space: two kept schemas may then
        // share an entry, and whose statements are whose cannot be told.
        const key = r.quoted.replace(/[\r\n]/g, ' ');
        if (key !== r.quoted && rows.some((o) => o.quoted === key)) {
            refused.push({
                schema: r.quoted,
                what: `the snapshot's list of contents writes the newline in its name as a space, so its privileges cannot be told from those of schema ${key}, and restore-db cannot tell whether the restore would give them back`,
                fix: [],
            });
            continue;
        }
        const statements = grants[r.quoted] ?? grants[key] ?? [];
        const target = replayGrants(r.base, statements, r.owner);
        // Its script's own grants run as they are; only a difference the role cannot undo is refused.
        const changeable = (e) => e.grantor === r.me;
        if (!target) {
            refused.push({ schema: r.quoted, what: `the snapshot's privileges for it are written in a way restore-db does not read (${statements.join(' ')}), so it cannot tell whether the restore would give them back`, fix: [] });
            continue;
        }
        const stays = r.current.filter((e) => !target.some((t) => sameEntry(t, e)) && !changeable(e));
        const missing = target.filter((t) => !r.current.some((e) => sameEntry(t, e)) && !changeable(t));
        if (!stays.length && !missing.length)
            continue;
        const what = [
            ...(stays.length ? [`${stays.map(describeEntry).join(', ')} would stay, which the snapshot does not have`] : []),
            ...(missing.length ? [`${missing.map(describeEntry).join(', ')} would be missing, which the snapshot has`] : []),
        ].join('; ');
        // As the owner, what brings its ACL to the snapshot's (grants another grantor made are theirs to revoke).
        const fix = [
            ...stays.filter((e) => e.grantor === r.owner).map((e) => `REVOKE ${e.privilege} ON SCHEMA ${r.quoted} FROM ${e.grantee} CASCADE;`),
            ...missing.filter((e) => e.grantor === r.owner).map((e) => `GRANT ${e.privilege} ON SCHEMA ${r.quoted} TO ${e.grantee}${e.grantable ? ' WITH GRANT OPTION' : ''};`),
        ];
        refused.push({ schema: r.quoted, what: `it is owned by ${r.owner}, and ${what}`, fix });
    }
    if (!refused.length)
        return;
    const me = rows[0].me;
    const owners = rows.filter((r) => !r.acts_as_owner && refused.some((f) => f.schema === r.quoted));
    const ways = [
        ...owners.filter((r) => r.grantable_owner).map((r) => `GRANT ${r.owner} TO ${me};`),
        ...owners.map((r) => `ALTER SCHEMA ${r.quoted} OWNER TO ${me};`),
    ];
    const fixes = refused.flatMap((f) => f.fix);
    throw new errors/* RollbackKitError */.dp(`User ${me} cannot restore the privileges of ${refused.map((f) => `schema ${f.schema}`).join(', ')} to the snapshot's: the restore keeps the schema and resets its privileges, which PostgreSQL lets only its owner (or a member of the owning role, or a superuser) do, and ${refused.map((f) => `for ${f.schema} ${f.what}`).join('; ')}.`, `Restore as the schema's owner, or let ${me} act as it: ${ways.join(' ')} A grant option (GRANT \u2026 WITH GRANT OPTION) is not enough: it lets a role take back only the grants it made itself.` +
        `${fixes.length ? ` Or, as the owner, make its privileges the snapshot's first: ${fixes.join(' ')}` : ''} Then run again. Nothing was changed: the check ran before anything was locked.`);
}
/** What the restore does with the restoring role's default privileges, to say so; and the entries it cannot set aside. */
async function readOwnDefaultPrivileges(session) {
    const { rows } = await session.query(`SELECT current_user AS role, d.defaclobjtype::text AS objtype, n.nspname AS nsp
       FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
      WHERE d.defaclrole = ${ME} ORDER BY 3 NULLS FIRST, ${objectsCase('d.defaclobjtype')}`);
    const role = rows[0]?.role ?? '';
    const describe = (r) => `${restore_privileges_OBJECT_TYPES[r.objtype] ?? `type '${r.objtype}'`} ${r.nsp === null ? '(all schemas)' : `in ${r.nsp}`}`;
    return { role, entries: rows.filter((r) => restore_privileges_OBJECT_TYPES[r.objtype]).map(describe), unknown: rows.filter((r) => !restore_privileges_OBJECT_TYPES[r.objtype]).map(describe) };
}

;// CONCATENATED MODULE: ./.build/db/restore-owners.js
/**
 * The owners the snapshot's script gives its schemas back (`ALTER SCHEMA name OWNER TO role;`),
 * checked while the restore is planned. PostgreSQL changes a schema's owner only for a superuser,
 * or for a role that acts as its current owner, may act as the new one (a member of it up to
 * PostgreSQL 15, one that may SET ROLE to it from 16) and may create schemas in the database; the
 * same owner again changes nothing and needs none of that. A restore that could not do it used to
 * lock the tables, take the pre-restore snapshot, and fail there, in the middle of its script: it
 * is refused first now (requireSchemaOwners), naming the schema, the owner and the GRANT to run.
 *
 * A role that is a member of the owner without its privileges (NOINHERIT, or a grant WITH INHERIT
 * FALSE) may hand the schema over, but then no longer create in it, comment on it or grant on it,
 * which the script does after that statement: its owner statement is left out where the script has
 * it, and the schema given back at the end of the restore's transaction, once the script is done
 * (giveBackSchemas): then, through SET ROLE to that owner, whose privileges the role may take that
 * way, its privileges are made the snapshot's again (handing it over rewrote the grants the role had
 * made as its owner meanwhile into the new owner's own).
 *
 * `pg_database_owner` (the owner of `public` from PostgreSQL 15 on) has the database's owner as its
 * only member and takes no GRANT: a role that is not that owner is told to restore as it.
 */


/**
 * The end of the restore's transaction for the schemas given back there: the script's own owner
 * statement, then, as that owner (SET ROLE), the schema's privileges reset to pg_dump's baseline and
 * the snapshot's grants on it (`grants`: SnapshotContents.schemaGrants; `dumpMajor`: the snapshot's
 * pg_dump) run again, as resetSchemaPrivileges and the script did them before the hand-over.
 */
function giveBackSchemas(deferred, grants, dumpMajor) {
    return deferred.flatMap((o) => [
        Buffer.from(o.statement, 'latin1').toString('utf8'),
        `SET ROLE ${o.owner};`,
        resetSchemaPrivileges([o.name], dumpMajor),
        ...(grants[o.schema] ?? []),
        'RESET ROLE;',
    ]);
}
/**
 * Refuses, before anything is locked or changed, a restore whose script would fail to give a schema
 * to the owner the snapshot has (see above); returns the owner statements to run at the end instead.
 * `serverMajor` decides which right to the new owner PostgreSQL asks for.
 */
async function requireSchemaOwners(session, owners, serverMajor) {
    if (!owners.length)
        return { deferred: [] };
    const right = serverMajor >= 16 ? 'SET' : 'MEMBER';
    const { rows } = await session.query(`SELECT x.i::int AS i, n.nspname AS name, quote_ident(current_user) AS me, quote_ident(current_database()) AS db, me.rolsuper AS superuser,
            has_database_privilege(current_database(), 'CREATE') AS creates,
            r.oid IS NOT NULL AS role, coalesce(r.rolname = 'pg_database_owner', false) AS database_owner,
            n.oid IS NOT NULL AS exists, quote_ident(c.rolname) AS current, coalesce(n.nspowner = r.oid, false) AS same,
            coalesce(pg_has_role(current_user, n.nspowner, 'USAGE'), true) AS acts_as_current,
            coalesce(pg_has_role(current_user, r.oid, '${right}'), false) AS may_give,
            coalesce(pg_has_role(current_user, r.oid, 'USAGE'), false) AS inherits
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(schema, owner, i)
       JOIN pg_catalog.pg_roles me ON me.rolname = current_user
       LEFT JOIN pg_catalog.pg_roles r ON r.rolname = (parse_ident(x.owner))[1]
       LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = (parse_ident(x.schema))[1]
       LEFT JOIN pg_catalog.pg_roles c ON c.oid = n.nspowner
      ORDER BY x.i`, [owners.map((o) => o.schema), owners.map((o) => o.owner)]);
    const refused = [];
    const fixes = [];
    const deferred = [];
    for (const r of rows) {
        const { schema, owner } = owners[r.i - 1];
        // A superuser may do it all; the same owner again changes nothing, and PostgreSQL checks nothing.
        if (r.superuser || r.same)
            continue;
        if (!r.role) {
            refused.push(`schema ${schema} is owned by ${owner} in the snapshot, a role this server does not have`);
            fixes.push(`CREATE ROLE ${owner};`);
            continue;
        }
        if (!r.acts_as_current) {
            refused.push(`schema ${schema} is owned by ${r.current} now, and only a role that acts as its owner may give it to ${owner}, the snapshot's owner`);
            // As its owner now, or a superuser: the schema is then the snapshot's owner's already, and the script's statement changes nothing.
            fixes.push(`(as ${r.current}) ALTER SCHEMA ${schema} OWNER TO ${owner};`);
        }
        if (!r.may_give) {
            refused.push(r.database_owner
                ? `schema ${schema} is owned by ${owner} in the snapshot, whose only member is the database's owner, which ${r.me} is not`
                : `schema ${schema} is owned by ${owner} in the snapshot, and only a ${right === 'SET' ? 'role that may SET ROLE to' : 'member of'} ${owner} may make it a schema's owner`);
            fixes.push(r.database_owner ? `ALTER DATABASE ${r.db} OWNER TO ${r.me};` : `GRANT ${owner} TO ${r.me};`);
        }
        if (!r.creates) {
            refused.push(`giving schema ${schema} to ${owner} takes CREATE on database ${r.db}`);
            fixes.push(`GRANT CREATE ON DATABASE ${r.db} TO ${r.me};`);
        }
        // pg_database_owner is the database owner's by inheritance, never through SET ROLE.
        if (r.acts_as_current && r.may_give && r.creates && !r.inherits && !r.database_owner)
            deferred.push({ ...owners[r.i - 1], name: r.name ?? (await realName(session, schema)) });
    }
    if (!refused.length)
        return { deferred };
    const me = rows[0].me;
    throw new errors/* RollbackKitError */.dp(`User ${me} cannot give the snapshot's schemas back to their owners, which its script does (ALTER SCHEMA \u2026 OWNER TO) and PostgreSQL lets only a superuser, or a role that acts as the schema's owner and as the new one, do: ${refused.join('; ')}.`, `Restore as a superuser or as the owner, or run: ${[...new Set(fixes)].join(' ')} Then run again. Nothing was changed: the check ran before anything was locked.`, { changed: 'no' });
}
/** A schema's name as the server reads `quoted` (the script's spelling), for one not created yet. */
async function realName(session, quoted) {
    return (await session.query('SELECT (parse_ident($1))[1] AS name', [quoted])).rows[0].name;
}

;// CONCATENATED MODULE: ./.build/db/restore-rows.js
/**
 * A dry run's count of what a restore would do to each snapshot table's rows: how many it holds now
 * against how many the snapshot brings back. Opt-in (previewRestore's countRows): a count(*) reads
 * the whole table, which the plan alone never does, so each count is bounded and the whole with it;
 * a table not counted in time, or whose lock did not come, is said as not counted, never guessed.
 */

/** One table's count may take this long; a larger table is left uncounted rather than hold the dry run. */
const COUNT_STATEMENT_MS = 30_000;
/** All the counts together: past this, the rest are left uncounted. */
const COUNT_TOTAL_MS = 120_000;
/** query_canceled (statement_timeout) and lock_not_available (lock_timeout): a count given up, not a failure. */
const GIVEN_UP = new Set(['57014', '55P03']);
/**
 * Counts each table of `manifest` now, in `session` (the restore's planning session, which reads
 * only), each under COUNT_STATEMENT_MS and all within COUNT_TOTAL_MS; the session's own
 * statement_timeout (`restoreMs`) is put back afterwards.
 */
async function countTableRows(session, manifest, restoreMs, bounds = { statementMs: COUNT_STATEMENT_MS, totalMs: COUNT_TOTAL_MS }) {
    const out = [];
    const until = Date.now() + bounds.totalMs;
    await session.query("SELECT set_config('statement_timeout', $1, false)", [String(bounds.statementMs)]);
    try {
        const own = manifest.rowCounts === 'dumped' ? undefined : await inheritedCounts(session, manifest.tables);
        for (const t of manifest.tables) {
            const name = (0,db_catalog/* qualified */.LX)(t.schema, t.name);
            const adjusted = own?.get((0,db_catalog/* tableKey */.ih)(t));
            // A count the manifest took with the children is taken so now too, so like is compared with like.
            const withChildren = adjusted === 'with-children';
            const row = { table: `${t.schema}.${t.name}`, snapshot: typeof adjusted === 'number' ? adjusted : t.rows, ...(withChildren ? { withChildren: true } : {}) };
            if (Date.now() >= until) {
                out.push({ ...row, now: null, counted: 'timeout' });
                continue;
            }
            const { rows: found } = await session.query('SELECT to_regclass($1) IS NOT NULL AS there', [name]);
            if (!found[0]?.there) {
                out.push({ ...row, now: null, counted: 'missing' });
                continue;
            }
            try {
                const { rows } = await session.query(`SELECT count(*)::text AS n FROM ${withChildren ? '' : 'ONLY '}${name}`);
                out.push({ ...row, now: Number(rows[0].n), counted: 'yes' });
            }
            catch (err) {
                if (!GIVEN_UP.has(err.code ?? ''))
                    throw err;
                out.push({ ...row, now: null, counted: 'timeout' });
            }
        }
    }
    finally {
        await session.query("SELECT set_config('statement_timeout', $1, false)", [String(restoreMs)]);
    }
    return out;
}
/**
 * What an older manifest's counts (before rowCounts: 'dumped') mean as each table's own rows. Those
 * counted a table with its inheritance children (count(*) without ONLY), while the restore brings
 * back each table's own rows and the dry run counts them now with ONLY: a parent compared so skipped
 * its children's rows on one side only, and the rows written into it since went unsaid. Its own rows
 * then are its count less its direct children's, each of which held its own descendants': exact when
 * every descendant it has now is in the manifest with rows (the tree as it stands now, which a
 * restore of this snapshot left as it found it). Otherwise (a child in a schema the snapshot left
 * out, or whose rows it left out) they cannot be told apart, and the table is counted with its
 * children now as then ('with-children'). Tables without children now are left out: their counts
 * need nothing. Partitions are not concerned: a partitioned table is not in the manifest.
 */
async function inheritedCounts(session, tables) {
    const { rows: edges } = await session.query(`SELECT pn.nspname AS ps, p.relname AS pt, cn.nspname AS cs, c.relname AS ct
       FROM pg_inherits i
       JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
       JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
      WHERE p.relkind = 'r'`);
    const out = new Map();
    if (!edges.length)
        return out;
    const children = new Map();
    for (const e of edges) {
        const parent = (0,db_catalog/* tableKey */.ih)({ schema: e.ps, name: e.pt });
        children.set(parent, [...(children.get(parent) ?? []), (0,db_catalog/* tableKey */.ih)({ schema: e.cs, name: e.ct })]);
    }
    const counted = new Map(tables.map((t) => [(0,db_catalog/* tableKey */.ih)(t), t.rows]));
    // Every descendant has a count of its own in the manifest: the tree is walked once per table, cycles being impossible in pg_inherits.
    const allCounted = (key) => (children.get(key) ?? []).every((c) => typeof counted.get(c) === 'number' && allCounted(c));
    for (const t of tables) {
        const key = (0,db_catalog/* tableKey */.ih)(t);
        const direct = children.get(key);
        if (!direct || t.rows === null)
            continue;
        const own = t.rows - direct.reduce((sum, c) => sum + (counted.get(c) ?? 0), 0);
        // Fewer than none: the tree changed since; the counts are then compared as the manifest took them.
        out.set(key, allCounted(key) && own >= 0 ? own : 'with-children');
    }
    return out;
}
/** "public.orders: 14 now, 10 from the snapshot (4 discarded)": one table of the plan, for a line. */
function tableRowsLine(t) {
    const from = t.snapshot === null ? 'emptied (the snapshot holds no rows for it)' : `${t.snapshot} from the snapshot`;
    const table = t.withChildren ? `${t.table} (with its inheritance children, as the snapshot's older manifest counted it)` : t.table;
    if (t.counted === 'missing')
        return `${table}: not there now, created with ${from}`;
    if (t.counted === 'timeout' || t.now === null)
        return `${table}: not counted now (it took too long), ${from}`;
    const lost = t.now - (t.snapshot ?? 0);
    return `${table}: ${t.now} now, ${from}${lost > 0 ? ` (${lost} discarded)` : ''}`;
}
/** What `rows` say a restore would discard: rows written since the snapshot, net of those deleted since, by table. */
function rowsDiscarded(rows) {
    const tables = rows.flatMap((t) => (t.now !== null && t.now > (t.snapshot ?? 0) ? [{ table: t.table, rows: t.now - (t.snapshot ?? 0) }] : []));
    return { total: tables.reduce((sum, t) => sum + t.rows, 0), tables, uncounted: rows.filter((t) => t.counted === 'timeout').length };
}
/** "24 row(s) (public.orders 20, public.events 4) and whatever 1 table(s) not counted hold beyond the snapshot", or "no rows". */
function rowsDiscardedText(rows) {
    const { total, tables, uncounted } = rowsDiscarded(rows);
    const each = tables.length ? ` (${tables.map((t) => `${t.table} ${t.rows}`).join(', ')})` : '';
    const rest = uncounted ? ` and whatever ${uncounted} table(s) not counted hold beyond the snapshot` : '';
    return `${total ? `${total} row(s)${each}` : 'no rows'}${rest}`;
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

// EXTERNAL MODULE: ./.build/db/session.js
var db_session = __nccwpck_require__(14441);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(77598);
// EXTERNAL MODULE: ./.build/core/files.js
var files = __nccwpck_require__(32019);
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
    await (0,files/* writeFileAtomic */.Zf)(path, `${JSON.stringify(manifest, null, 2)}\n`, { private: true });
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
        ['format must be custom, directory or plain', archive/* FORMATS */.hR.includes(m.format)],
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

;// CONCATENATED MODULE: ./.build/db/snapshot.js
/**
 * snapshot-db: a pg_dump that can be trusted mid-incident. The manifest's tables, row counts and
 * object counts and the CSV exports are read in the very snapshot pg_dump dumps (pg_export_snapshot +
 * --snapshot), so they describe exactly what the archive holds; every table is locked there before
 * pg_dump starts, so no TRUNCATE or rewrite can change what a later count sees. A schema change
 * that arrives before pg_dump has its own locks would wait for ours with pg_dump queued behind it:
 * the blocker watch sees that and ends the snapshot at once (lock-wait.ts). The small tables'
 * rows are counted while pg_dump runs; the big tables once it is done, while the archive is read
 * back, so their second scan never competes with the dump's. Nothing is reported as a snapshot
 * until it has been read back in full.
 */
















/** Tables below this size (1 MB) are counted while pg_dump runs, bigger ones after it. */
const SMALL_TABLE_BYTES = 1 << 20;
/** Schemas that hold migration history: kept even when `schemas` names only the app's own. */
const MIGRATION_HISTORY_SCHEMAS = ['supabase_migrations', 'drizzle', 'sqitch'];
/** What pg_dump has written so far: its file's size, or its directory's files' (directory format). */
async function writtenBytes(path) {
    const info = await (0,promises_.stat)(path);
    if (!info.isDirectory())
        return info.size;
    let total = 0;
    for (const name of await (0,promises_.readdir)(path))
        total += (await (0,promises_.stat)((0,external_node_path_.join)(path, name)).catch(() => ({ size: 0 }))).size;
    return total;
}
/** What a stalled pg_dump (StallWatch) was: said by the snapshot's error, and by a restore whose pre-restore snapshot it was. */
function dumpStalled(goneMs) {
    return `pg_dump's connection stalled. Its session had been gone from the server for ${Math.round(goneMs / 1000)} s (seen from a separate connection) while pg_dump still waited on it and wrote nothing more, so pg_dump was ended`;
}
/** pg_dump's connection stalled (StallWatch): its backend had been gone from the server for `goneMs` while pg_dump still waited on it. */
class SnapshotStalledError extends errors/* RollbackKitError */.dp {
    goneMs;
    constructor(where, goneMs) {
        super(`Snapshot of ${where} stopped: ${dumpStalled(goneMs)}. No snapshot was made: what it had written was removed, and the database was only read, never changed.`, `${lock_wait/* STALL_CAUSE */.F_} and run again.`);
        this.goneMs = goneMs;
    }
}
/**
 * Each query of the snapshot's own session runs no longer than this (statement_timeout) and its
 * answer is waited for no longer than that and the margin (QueryDeadline): a connection that stalls
 * without closing must not hold the snapshot (and, before a restore, the restore's table locks)
 * forever. An hour, as long as the read back may take (archive.ts): its one long query is the count
 * of the biggest tables' rows, which reads each once, as fast as the read back reads the archive.
 */
const SNAPSHOT_DEADLINE = { statementMs: 60 * 60_000, marginMs: 10_000 };
/** A snapshot stopped before it was verified: nothing of it is kept, so there is none to trust. */
function snapshotStopped(where) {
    return new errors/* RollbackKitError */.dp(`Snapshot of ${where} was stopped before it was verified, so no snapshot was made: pg_dump was ended (or never started) and what it had written was removed.`, 'Run it again when it can run to its end.', { stopped: true });
}
/** A snapshot stopped while its session was still being opened (ConnectStopped). */
function snapshotStoppedConnecting(where) {
    return new errors/* RollbackKitError */.dp(`Snapshot of ${where} was stopped while still connecting to the database, so no snapshot was made: nothing had been sent to the database, so nothing was changed.`, 'Run it again when it can run to its end.', { stopped: true, changed: 'no' });
}
/**
 * The snapshot taken before a change (restore-db's pre-restore snapshot, the rollback's and the
 * drill's): the whole database, custom format, no filters and no row exports.
 */
function wholeDatabaseSnapshot(target, where) {
    return { target, format: 'custom', jobs: 1, filter: { schemas: [], excludeSchemas: [] }, excludeTableData: [], exportTables: [], exportColumn: 'created_at', ...where };
}
const EXTENSIONS = { custom: '.dump', directory: '', plain: '.sql' };
/** Text as a part of a file name: ASCII letters, digits and `_.-` only, so it is safe on every runner. */
function safeName(text, allowed = /[^A-Za-z0-9_.-]+/g, fallback = 'db') {
    return text.replace(allowed, '-').replace(/^-+|-+$/g, '').slice(0, 60) || fallback;
}
/** What an unquoted identifier is: lower-case ASCII. Such names are file names as they are. */
const PLAIN_NAME = /^[a-z0-9_]+$/;
/**
 * The CSV file of a table's exported rows, one per table: folding names to ASCII makes `\u0437\u0430\u043a\u0430\u0437\u044b` and
 * `\u043f\u043b\u0430\u0442\u0435\u0436\u0438`, or "order items" and "order-items", the same text, and the second export would replace
 * the first. `schema.table.csv` when both are plain (lower-case ASCII, no dot, so no other table's
 * name reads the same, even where case is not kept); any other name gets a readable part and a hash
 * of its exact name, and three dots where a plain one has two.
 */
function exportFileName(t) {
    if (PLAIN_NAME.test(t.schema) && PLAIN_NAME.test(t.name))
        return `${t.schema}.${t.name}.csv`;
    const word = (text, fallback) => safeName(text, /[^A-Za-z0-9_-]+/g, fallback).slice(0, 40);
    const hash = (0,external_node_crypto_.createHash)('sha256').update((0,db_catalog/* tableKey */.ih)(t)).digest('hex').slice(0, 12);
    return `${word(t.schema, 'schema')}.${word(t.name, 'table')}.${hash}.csv`;
}
/** `<db>-<label>-<UTC time>`: sorts by time, says what it is, and holds no secret. */
function snapshotBaseName(database, label, at) {
    const time = at.toISOString().replace(/[-:]/g, '').replace('.', '');
    return [safeName(database), label ? safeName(label) : undefined, time].filter(Boolean).join('-');
}
function validateRequest(req) {
    if (req.jobs > 1 && req.format !== 'directory') {
        throw new errors/* RollbackKitError */.dp(`jobs: ${req.jobs} needs format: directory (pg_dump dumps in parallel only into a directory).`, 'Set format: directory, or leave jobs empty.');
    }
    if (req.exportSince && !req.exportTables.length) {
        throw new errors/* RollbackKitError */.dp('export-since is set but export-tables is empty.', 'List the tables whose new rows to keep, e.g. export-tables: orders, public.payments.');
    }
    if (req.exportTables.length && !req.exportSince) {
        throw new errors/* RollbackKitError */.dp('export-tables is set but export-since is empty.', 'Set export-since to the bad deploy\'s time (ISO 8601).');
    }
    if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(req.exportColumn)) {
        throw new errors/* RollbackKitError */.dp(`export-column "${req.exportColumn}" is not a plain column name.`);
    }
}
/** What a snapshot folder we create holds besides the snapshots: git leaves everything in it out. */
const SNAPSHOT_FOLDER_GITIGNORE = '# rollback-kit snapshots: database dumps, never to be committed.\n*\n';
/**
 * The folder snapshots go into (`input` names where it came from), made ready before any work
 * starts. Every folder it creates is private (PRIVATE_FOLDER_MODE), and the snapshot folder itself,
 * when created here, gets a .gitignore of `*`: the command line's default is in the current folder,
 * usually the user's repository, one `git add -A` from committing a dump of production. A folder
 * that was there is the user's: its mode is left as it is, and nothing is added to it (the
 * snapshot's own files are private wherever they are). `made` hears of each folder and file it
 * creates, as it creates them.
 */
async function prepareSnapshotFolder(dir, input, made) {
    const created = await (0,files/* makeDirectory */.Oh)(dir, input, { private: true, made });
    if (created.at(-1) === (0,external_node_path_.resolve)(dir)) {
        const ignore = (0,external_node_path_.join)(dir, '.gitignore');
        await (0,files/* writePrivateFile */.Pl)(ignore, SNAPSHOT_FOLDER_GITIGNORE).then(() => made?.(ignore), (err) => {
            // Written meanwhile by a run beside this one.
            if (err.code !== 'EEXIST')
                throw (0,files/* asFileError */.dH)(err, input);
        });
    }
    await (0,files/* probeWritable */.Jg)(dir, input);
}
/** Whether anything (a file, a folder, a broken link) is at `path`. */
async function taken(path) {
    try {
        await (0,promises_.lstat)(path);
        return true;
    }
    catch (err) {
        if (err.code === 'ENOENT')
            return false;
        throw err;
    }
}
/**
 * A snapshot path nothing else uses, claimed by creating it (an empty file, or the empty folder
 * pg_dump fills in directory format), private, so a run beside this one cannot pick it too; none of its
 * manifest or exports folder may be there either, since they are written beside it.
 */
async function claimSnapshotPath(dir, base, format) {
    for (let n = 1;; n++) {
        const candidate = (0,external_node_path_.join)(dir, `${base}${n > 1 ? `-${n}` : ''}${EXTENSIONS[format]}`);
        if ((await taken(manifestPathFor(candidate))) || (await taken(`${candidate}.exports`)))
            continue;
        try {
            // Private from the start: pg_dump writes into this file (keeping its mode) or this folder.
            if (format === 'directory')
                await (0,files/* makePrivateFolder */.I2)(candidate);
            else
                await (await (0,files/* createPrivateFile */.aP)(candidate)).close();
            return candidate;
        }
        catch (err) {
            if (err.code !== 'EEXIST')
                throw err;
        }
    }
}
function pgDumpArgs(req, pgDump, path, snapshotId, sel, lockTimeout, largeObjects) {
    const formatFlag = { custom: 'c', directory: 'd', plain: 'p' }[req.format];
    const args = [`--dbname=${(0,connection/* toolConninfo */.xE)(pgDump.major)}`, `--format=${formatFlag}`, '--file', path, '--no-password', `--snapshot=${snapshotId}`, `--lock-wait-timeout=${lockTimeout}`];
    if (req.format === 'directory' && req.jobs > 1)
        args.push('--jobs', String(req.jobs));
    // A plain script must be able to replace what is there when restore-db feeds it to psql.
    if (req.format === 'plain')
        args.push('--clean', '--if-exists');
    // pg_dump leaves large objects out once --schema is given (they belong to no schema): see countLargeObjects.
    if (sel.include.length && largeObjects)
        args.push('-b');
    // Exact quoted names only: pg_dump then dumps precisely what the manifest describes.
    for (const s of sel.include)
        args.push('--schema', (0,db_catalog/* quoteIdent */.v4)(s));
    for (const s of sel.exclude)
        args.push('--exclude-schema', (0,db_catalog/* quoteIdent */.v4)(s));
    for (const t of sel.excludeData)
        args.push('--exclude-table-data', exactTablePattern(t));
    return args;
}
async function resolveSelection(session, req, log) {
    const all = await userSchemas(session);
    const add = (list, items) => items.forEach((i) => list.includes(i) || list.push(i));
    const include = [];
    for (const p of req.filter.schemas)
        add(include, await resolveSchemaPattern(session, p, 'schemas'));
    const exclude = [];
    for (const p of req.filter.excludeSchemas) {
        const found = await resolveSchemaPattern(session, p, 'exclude-schemas');
        if (!found.length)
            log.warning(`exclude-schemas: "${p}" matches no schema, so it leaves nothing out; ${thereAre(all)}.`);
        add(exclude, found);
    }
    if (include.length) {
        // Migration history goes with the app's schemas, so a restore remembers which migrations ran.
        const history = MIGRATION_HISTORY_SCHEMAS.filter((s) => all.includes(s) && !include.includes(s) && !exclude.includes(s));
        if (history.length)
            log.info(`Also dumping migration history schema(s) ${history.join(', ')} so a restore keeps it.`);
        add(include, history);
    }
    const schemas = (include.length ? include : all).filter((s) => !exclude.includes(s));
    const excludeData = [];
    for (const p of req.excludeTableData) {
        const found = await resolveTablePattern(session, p);
        if (!found.length)
            log.warning(`exclude-table-data: "${p}" matches no table, so all its rows are dumped; ${thereAre(await userTables(session))}.`);
        for (const t of found)
            if (!excludeData.some((e) => e.schema === t.schema && e.name === t.name))
                excludeData.push(t);
    }
    const exportTables = req.exportSince ? await resolveTablesStrict(session, req.exportTables, 'export-tables') : [];
    return { schemas, include, exclude, excludeData, exportTables };
}
/**
 * The database's large objects, counted in the dumped snapshot for the manifest, and always in the
 * snapshot: they belong to no schema, so with `schemas` set pg_dump would leave every one of them
 * out without a word, and rows that refer to one by its oid would come back from a restore pointing
 * at whatever that large object holds by then, or at nothing. A snapshot taken to roll back keeps
 * them (pg_dump -b): an extra large object in it loses nothing, a missing one loses its
 * content. A plain script is refused when there are any: pg_dump writes them as statements that
 * commit on their own, so restore-db could not restore it in one transaction.
 */
async function countLargeObjects(session, req, sel, log) {
    const count = Number((await session.query('SELECT count(*) AS n FROM pg_catalog.pg_largeobject_metadata')).rows[0].n);
    if (!count)
        return 0;
    if (req.format === 'plain') {
        throw new errors/* RollbackKitError */.dp(`format: plain cannot hold this database's ${count} large object${count > 1 ? 's' : ''} in a form restore-db can restore: a plain script writes them with statements that commit on their own, so it cannot be restored in one transaction.`, 'Use format: custom (the default) or directory, which restore-db restores with the large objects in the same transaction. Nothing was kept.');
    }
    if (sel.include.length) {
        log.info(`Also dumping the database's ${count} large object${count > 1 ? 's' : ''}: they belong to no schema, so schemas alone would leave them out, and rows that refer to them could not be restored with them.`);
    }
    return count;
}
/** Tables locked per statement: one LOCK names many, a few hundred keep each statement small. */
const LOCK_BATCH = 500;
/** ACCESS SHARE on every table, as pg_dump takes it: no TRUNCATE, rewrite or DROP until the transaction ends. */
async function lockTables(session, tables) {
    for (let at = 0; at < tables.length; at += LOCK_BATCH) {
        const names = tables.slice(at, at + LOCK_BATCH).map((t) => (0,db_catalog/* qualified */.LX)(t.schema, t.name));
        await session.query(`LOCK TABLE ${names.join(', ')} IN ACCESS SHARE MODE`);
    }
}
/** What to do about a permission the server refused (SQLSTATE 42501), as pg_dump needs it too. */
function privilegeHint(user, message) {
    const who = (0,db_catalog/* quoteIdent */.v4)(user);
    if (/large object/i.test(message)) {
        return `pg_dump must read every large object: GRANT SELECT ON LARGE OBJECT <oid> TO ${who}; for each, or snapshot as their owner (or a superuser). Nothing was kept.`;
    }
    if (/row-level security/i.test(message)) {
        return `pg_dump must read every row: let user ${who} bypass row-level security (ALTER ROLE ${who} BYPASSRLS), or snapshot as the tables' owner. Nothing was kept.`;
    }
    return `pg_dump must read everything it dumps: GRANT USAGE ON SCHEMA <schema> TO ${who}; GRANT SELECT ON ALL TABLES IN SCHEMA <schema> TO ${who}; GRANT SELECT ON ALL SEQUENCES IN SCHEMA <schema> TO ${who}; (on PostgreSQL 14 or later GRANT pg_read_all_data TO ${who} covers every schema), or leave the schema out with exclude-schemas. Nothing was kept.`;
}
/** An error PostgreSQL itself sent (a severity and a five-character SQLSTATE), not one of the driver or the file system. */
function isServerError(err) {
    const e = err;
    return typeof e?.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.message === 'string';
}
/** A failure of our own session's work (listing, locking, counting, exporting) in the server's words. */
function sideError(err, where, user, log, dryRun = false) {
    if (err instanceof errors/* RollbackKitError */.dp || err instanceof db_session/* QueryDeadlineExceeded */.q1 || (0,lock_wait/* isLockTimeout */.Td)(err.code))
        return err;
    const e = err;
    if (typeof e.message !== 'string')
        return err;
    // A dry run runs no pg_dump and writes nothing: its failure says so, not "Nothing was kept".
    const next = e.code === '42501' ? privilegeHint(user, e.message) : `${dryRun ? 'It wrote nothing' : 'Nothing was kept'}; fix the cause and run again.`;
    return new errors/* RollbackKitError */.dp(`${dryRun ? 'Dry run of the snapshot' : 'Snapshot'} of ${where} failed: ${log.redact(e.message)}${e.hint ? ` (HINT: ${log.redact(e.hint)})` : ''}.`, next);
}
/**
 * Every schema, table and sequence pg_dump will read must be readable by the user: checked before
 * any lock is taken, so a missing grant is named with the GRANT that gives it, not met halfway
 * through as "permission denied" in the middle of a locked transaction.
 */
async function checkReadable(session, schemas) {
    const { rows } = await session.query(`SELECT 'user' AS kind, quote_ident(current_user) AS name
     UNION ALL
     SELECT 'schema', quote_ident(n.nspname) FROM pg_namespace n
      WHERE n.nspname = ANY($1::text[]) AND NOT has_schema_privilege(n.oid, 'USAGE')
     UNION ALL
     SELECT CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'S') AND has_schema_privilege(n.oid, 'USAGE')
        AND NOT has_table_privilege(c.oid, 'SELECT')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY 1, 2`, [schemas]);
    if (rows.length === 1)
        return;
    const of = (kind) => rows.filter((r) => r.kind === kind).map((r) => r.name);
    const [[who], noUsage, tables, sequences] = [of('user'), of('schema'), of('table'), of('sequence')];
    const missing = [
        noUsage.length ? `USAGE on schema ${(0,db_catalog/* someNames */.Xq)(noUsage)}` : '',
        tables.length ? `SELECT on table ${(0,db_catalog/* someNames */.Xq)(tables)}` : '',
        sequences.length ? `SELECT on sequence ${(0,db_catalog/* someNames */.Xq)(sequences)}` : '',
    ].filter(Boolean);
    const grants = [
        ...noUsage.map((n) => `GRANT USAGE ON SCHEMA ${n} TO ${who};`),
        tables.length + sequences.length ? `GRANT SELECT ON ${[...tables, ...sequences].join(', ')} TO ${who};` : '',
    ].filter(Boolean);
    const grantText = grants.join(' ');
    // A long list is no help to paste: one role that reads everything is.
    const grant = grantText.length > 400 ? `GRANT pg_read_all_data TO ${who}; (PostgreSQL 14 or later)` : grantText;
    throw new errors/* RollbackKitError */.dp(`User ${who} cannot read everything the snapshot must hold: it lacks ${missing.join('; ')}.`, `Grant it: ${grant} Or leave those schemas out with exclude-schemas. Nothing was kept.`);
}
async function checkExportColumn(session, tables, column) {
    for (const t of tables) {
        const { rows } = await session.query('SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3) AS ok', [t.schema, t.name, column]);
        if (!rows[0].ok)
            throw new errors/* RollbackKitError */.dp(`Table ${t.schema}.${t.name} has no column "${column}" to select new rows by.`, 'Set export-column to its creation-time column.');
    }
}
/**
 * Each table's rows newer than `since`, one CSV file each, in creation order. The folder is new
 * and every file is created exclusively: an export never replaces a file, its own or another's.
 */
async function exportRows(session, tables, column, since, dir, made) {
    await (0,files/* makePrivateFolder */.I2)(dir);
    made?.();
    const out = [];
    for (const t of tables) {
        const file = exportFileName(t);
        const table = (0,db_catalog/* qualified */.LX)(t.schema, t.name);
        // Ordered by the column that selects the rows: the table's first column may be of a type
        // without an ordering (json). toISOString() is digits and punctuation only: safe to inline
        // where COPY takes no parameters.
        const sql = `COPY (SELECT * FROM ${table} WHERE ${table}.${(0,db_catalog/* quoteIdent */.v4)(column)} > '${since.toISOString()}' ORDER BY ${table}.${(0,db_catalog/* quoteIdent */.v4)(column)}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
        const { to: copyTo } = await __nccwpck_require__.e(/* import() */ 901).then(__nccwpck_require__.t.bind(__nccwpck_require__, 26901, 19));
        const stream = session.query(copyTo(sql));
        await (0,promises_namespaceObject.pipeline)(stream, (await (0,files/* createPrivateFile */.aP)((0,external_node_path_.join)(dir, file))).createWriteStream());
        out.push({ table: `${t.schema}.${t.name}`, file, rows: stream.rowCount ?? 0 });
    }
    return out;
}
/** What takeSnapshot and its dry run refuse before they touch anything; the target as it is printed. */
function refuseUnfitRequest(req) {
    validateRequest(req);
    const pooler = (0,connection/* transactionPoolerRefusal */.id)(req.target, "pg_dump's one session for the whole dump");
    if (pooler)
        throw pooler;
    return (0,connection/* describeTarget */.ff)(req.target);
}
/** The session a snapshot (or its dry run) reads through. */
async function snapshotSession(req, where, deadline) {
    // Which pg_dump fits is known only once the server answers; asking the installed ones meanwhile is free.
    if (!req.pgDumpPath)
        (0,pg_tools/* warmPgTools */.I3)(['pg_dump', 'pg_restore'], req.tools);
    return (0,db_session/* connect */.Ng)(req.target, { queryDeadline: deadline, signal: req.signal }).catch((err) => {
        throw err instanceof db_session/* ConnectStopped */.QE ? snapshotStoppedConnecting(where) : err;
    });
}
/**
 * A dry run of takeSnapshot: what it checks before it writes anything, checked the same way, and
 * nothing written (no folder, no file, no lock taken). It connects, finds the pg_dump (and
 * pg_restore) that fit the server's version, resolves the schemas and tables the request names,
 * checks that the user may read them and the export column, and lists the tables it would dump.
 * A database that cannot be reached or a request the snapshot would refuse fails here too.
 */
async function previewSnapshot(req, log) {
    const where = refuseUnfitRequest(req);
    const session = await snapshotSession(req, where, req.queryDeadline ?? SNAPSHOT_DEADLINE);
    // It only reads: a stop ends its session at once, whatever it waits for.
    const unwatch = closeAtStop(session, req.signal);
    try {
        const { rows } = await session.query("SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version");
        const major = majorFromVersionNum(Number(rows[0].num));
        const serverVersion = rows[0].version.split(' ')[0];
        const pgDump = await findPgTool('pg_dump', major, { ...req.tools, explicitPath: req.pgDumpPath });
        if (req.format !== 'plain')
            await siblingTool(pgDump, 'pg_restore', major, req.tools);
        log.info(`Server ${where} runs PostgreSQL ${serverVersion}; the snapshot would use pg_dump ${pgDump.version} (${pgDump.path}).`);
        const selection = await resolveSelection(session, req, log);
        await checkExportColumn(session, selection.exportTables, req.exportColumn);
        const catalog = await readCatalog(session, selection.schemas);
        await checkReadable(session, selection.schemas);
        const largeObjects = await countLargeObjects(session, req, selection, log);
        return {
            target: where,
            serverVersion,
            pgDump: { version: pgDump.version, path: pgDump.path },
            format: req.format,
            outputDir: req.outputDir,
            schemas: selection.schemas,
            tables: catalog.tables.map((t) => `${t.schema}.${t.name}`),
            largeObjects,
            exportTables: selection.exportTables.map((t) => `${t.schema}.${t.name}`),
        };
    }
    catch (err) {
        // A dry run runs no pg_dump and writes nothing: its stop and its failures say so, not a snapshot's words.
        if (req.signal?.aborted)
            throw new RollbackKitError(`Dry run of the snapshot of ${where} was stopped: it only reads, and it wrote nothing.`, 'Run it again when it can run to its end.', { stopped: true });
        if (err instanceof QueryDeadlineExceeded)
            throw new RollbackKitError(`Dry run of the snapshot of ${where} stopped: a query of its session got ${err.message}.`, 'Check the network path to the database and run again.');
        throw isServerError(err) ? sideError(err, where, req.target.user, log, true) : err;
    }
    finally {
        unwatch();
        closeSession(session);
    }
}
async function takeSnapshot(req, log) {
    const started = Date.now();
    const now = req.now ?? (() => new Date());
    const where = refuseUnfitRequest(req);
    await prepareSnapshotFolder(req.outputDir, req.outputDirInput ?? 'output-dir', req.made);
    const lockTimeoutSeconds = req.lockTimeoutSeconds ?? lock_wait/* DEFAULT_LOCK_TIMEOUT_SECONDS */.sK;
    const lockTimeout = (0,lock_wait/* lockTimeoutMs */.D5)(lockTimeoutSeconds);
    // pg_dump and our counting session carry one name, so a watcher can see who blocks them.
    const tag = (0,lock_wait/* sessionTag */.vZ)('snapshot');
    const deadline = req.queryDeadline ?? SNAPSHOT_DEADLINE;
    const session = await snapshotSession(req, where, deadline);
    let path;
    let exportsDir;
    let cancelOnStop;
    try {
        // row_security off, as pg_dump sets it: a count that row-level security would cut fails instead.
        // No parallel workers for the counts: starting them costs more than a count of one table's own
        // rows, and they take the cores the verification's pg_restore runs on.
        const { rows } = await session.query(`SELECT set_config('application_name', $1, false), set_config('lock_timeout', $2, false), set_config('row_security', 'off', false),
              set_config('max_parallel_workers_per_gather', '0', false), set_config('statement_timeout', $3, false),
              current_setting('server_version_num') AS num, current_setting('server_version') AS version, pg_backend_pid() AS pid`, [tag, String(lockTimeout), String(deadline.statementMs)]);
        // The session only reads: a stop cancels whatever it waits for (a table lock, up to lock-timeout)
        // or runs (a count) at once, instead of after the stopped step's grace time.
        const pid = rows[0].pid;
        cancelOnStop = () => void (0,lock_wait/* cancelQuery */.Vc)(req.target, pid, log);
        req.signal?.addEventListener('abort', cancelOnStop, { once: true });
        const versionNum = Number(rows[0].num);
        const serverVersion = rows[0].version.split(' ')[0];
        const major = (0,pg_tools/* majorFromVersionNum */.qj)(versionNum);
        const identity = await readServerIdentity(session, req.target);
        if (identity.systemIdentifier === null) {
            log.warning(`${where} does not let user "${req.target.user}" read its system identifier (pg_control_system()): the manifest records host, port and database only, so a later run can match this snapshot to a database only by those.`);
        }
        const pgDump = await (0,pg_tools/* findPgTool */.fh)('pg_dump', major, { ...req.tools, explicitPath: req.pgDumpPath });
        const pgRestore = req.format === 'plain' ? undefined : await (0,pg_tools/* siblingTool */.zC)(pgDump, 'pg_restore', major, req.tools);
        log.info(`Server ${where} runs PostgreSQL ${serverVersion}; using pg_dump ${pgDump.version} (${pgDump.path}).`);
        const selection = await resolveSelection(session, req, log);
        await checkExportColumn(session, selection.exportTables, req.exportColumn);
        const at = now();
        // A file name is printed and uploaded: built from redacted text, so it can never carry a secret.
        const base = snapshotBaseName(log.redact(req.target.database), req.label && log.redact(req.label), at);
        path = await claimSnapshotPath(req.outputDir, base, req.format);
        // A directory-format dump is a folder of pg_dump's files, all of them this run's.
        const kept = req.made?.(path, req.format === 'directory');
        const exportsMade = {};
        await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const snapshotId = (await session.query('SELECT pg_export_snapshot() AS id')).rows[0].id;
        const largeObjects = await countLargeObjects(session, req, selection, log);
        // The watcher connects while the tables are locked (its first look done before pg_dump starts): a
        // lock waited for is waited for far longer than a connection takes, and lock-timeout bounds that wait either way.
        // A session that asks for a table we hold while pg_dump queues behind it (an ALTER TABLE that
        // arrives before pg_dump has its locks) would have each wait for the other until lock-timeout,
        // and every query on that table behind both: the watcher ends ours at once instead.
        let cycle;
        // pg_dump's backends are every one named as ours but this session's: a caller's carry a name of their own.
        let dumping = false;
        /** When pg_dump's first backend is due: its start plus its connect timeout. */
        let dumpDueAt;
        let stalled;
        const endDump = new AbortController();
        const stall = {
            backends: (pids) => pids.filter((p) => p !== pid),
            // In parallel, its leader's and one per worker.
            backendsInAll: req.jobs > 1 ? req.jobs + 1 : undefined,
            running: () => dumping,
            dueAt: () => dumpDueAt,
            afterMs: req.stallAfterMs ?? lock_wait/* DEFAULT_STALL_MS */.MX,
            progress: () => writtenBytes(path),
            onStall: (goneMs) => {
                stalled = goneMs;
                log.warning(`pg_dump's session has been gone from ${where} for ${Math.round(goneMs / 1000)} s while pg_dump still waits on its connection: ending pg_dump.`);
                endDump.abort();
            },
        };
        const watching = (0,lock_wait/* watchBlockers */.v2)(req.target, tag, log, { onCycle: (blockers) => (cycle = blockers), stall, callerSessions: req.callerSessions, signal: req.signal });
        const cycleError = (blockers) => (0,lock_wait/* lockCycleError */.iP)(`Snapshot of ${where}`, blockers, 'Nothing was kept.', log);
        let stopped;
        const stopWatching = () => (stopped ??= watching.then((w) => w.stop()));
        const done = await (async () => {
            try {
                // Every table is locked (ACCESS SHARE, as pg_dump locks them) in the exported snapshot before
                // pg_dump starts, and stays locked until the last count: a TRUNCATE or a rewrite, which older
                // snapshots do not see through, cannot slip in between the dump and a count.
                const catalog = await (0,db_catalog/* readCatalog */.uM)(session, selection.schemas);
                await checkReadable(session, selection.schemas);
                await lockTables(session, catalog.tables);
                if (req.signal?.aborted)
                    throw snapshotStopped(where);
                log.info(`Dumping ${where} (${req.format} format${req.jobs > 1 ? `, ${req.jobs} jobs` : ''}) to ${path} \u2026`);
                // The watcher has looked before pg_dump starts (or given up connecting): it watches pg_dump from
                // its first backend on, and one that ends before a look could see it is gone all the same once
                // pg_dump's connect timeout has passed (StallWatch.dueAt). It connected while the catalogue was
                // read and the tables locked, so this rarely waits.
                await watching;
                const dumpStarted = Date.now();
                dumpDueAt = dumpStarted + (0,connection/* toolConnectMs */.tP)(req.target);
                dumping = true;
                const dump = (0,core_process/* runProcess */.R3)(pgDump.path, pgDumpArgs(req, pgDump, path, snapshotId, selection, lockTimeout, largeObjects), {
                    env: { ...(0,connection/* libpqEnv */.kY)(req.target), PGAPPNAME: tag },
                    // What pg_dump creates itself (directory format's files) is private from its first byte.
                    umask: files/* PRIVATE_UMASK */.Ix,
                    signal: req.signal ? AbortSignal.any([req.signal, endDump.signal]) : endDump.signal,
                }).finally(() => (dumping = false));
                // Counting the small tables and exporting in the exported snapshot while pg_dump copies the same
                // rows. A small table's count costs opening it, which pg_dump's per-table work can share; a big
                // one's is a scan of every row, kept until pg_dump is done so the two never compete.
                const sideWork = (async () => {
                    const small = await (0,db_catalog/* countRows */.BO)(session, catalog.tables.filter((t) => t.bytes < SMALL_TABLE_BYTES), selection.excludeData);
                    let exported = [];
                    if (req.exportSince) {
                        exportsDir = (0,external_node_path_.join)(req.outputDir, `${(0,external_node_path_.basename)(path)}.exports`);
                        // Its CSV files are all this run's: a stop takes the folder whole until the snapshot is verified.
                        exported = await exportRows(session, selection.exportTables, req.exportColumn, req.exportSince, exportsDir, () => (exportsMade.kept = req.made?.(exportsDir, true)));
                    }
                    return { small, exported };
                })();
                const [dumped, side] = await Promise.allSettled([dump, sideWork]);
                if (dumped.status === 'rejected' || dumped.value.code !== 0 || side.status === 'rejected') {
                    const [blockers] = await Promise.all([stopWatching(), session.query('ROLLBACK').catch(() => undefined)]);
                    // pg_dump ended by the stop: its exit says only that it was killed.
                    if (req.signal?.aborted)
                        throw snapshotStopped(where);
                    if (stalled !== undefined)
                        throw new SnapshotStalledError(where, stalled);
                    if (cycle)
                        throw cycleError(cycle);
                    const lockWait = (dumped.status === 'fulfilled' && dumped.value.code !== 0 && (0,lock_wait/* isLockTimeout */.Td)(dumped.value.stderr)) ||
                        (side.status === 'rejected' && (0,lock_wait/* isLockTimeout */.Td)(side.reason.code));
                    if (lockWait)
                        throw (0,lock_wait/* lockTimeoutError */.rB)(`Snapshot of ${where}`, lockTimeoutSeconds, blockers, 'Nothing was kept.', log);
                    // Our own query's reason first: its failure ends the exported snapshot, and pg_dump then only
                    // says it could not import it.
                    if (side.status === 'rejected')
                        throw sideError(side.reason, where, req.target.user, log);
                    if (dumped.status === 'rejected')
                        throw new errors/* RollbackKitError */.dp(`Could not run pg_dump (${pgDump.path}): ${dumped.reason.message}.`);
                    const why = (0,pg_tools/* toolErrorLine */.$x)(dumped.value.stderr) || 'no message';
                    const next = /permission denied|row-level security/i.test(why) ? privilegeHint(req.target.user, why) : 'Nothing was kept; fix the cause and run again.';
                    throw new errors/* RollbackKitError */.dp(`pg_dump of ${where} failed: ${log.redact(why)}.`, next);
                }
                const dumpMs = Date.now() - dumpStarted;
                // Not verified yet, so not a snapshot: the full read back would outlast the grace a stopped step has.
                if (req.signal?.aborted) {
                    await session.query('ROLLBACK').catch(() => undefined);
                    throw snapshotStopped(where);
                }
                const verifyStarted = Date.now();
                // The big tables are counted in the dump's snapshot, still open and still locked.
                const counting = (async () => {
                    try {
                        const big = await (0,db_catalog/* countRows */.BO)(session, catalog.tables.filter((t) => t.bytes >= SMALL_TABLE_BYTES), selection.excludeData);
                        const counted = new Map([...side.value.small, ...big].map((t) => [(0,db_catalog/* tableKey */.ih)(t), t]));
                        return catalog.tables.map((t) => ({ ...counted.get((0,db_catalog/* tableKey */.ih)(t)), oid: t.oid }));
                    }
                    catch (err) {
                        throw sideError(err, where, req.target.user, log);
                    }
                    finally {
                        await session.query('COMMIT').catch(() => undefined);
                    }
                })();
                // Hashing here, pg_restore's full read in its own process and the server's counting run at once.
                // They read the file apart: the same identity (onDisk) before and after proves they read the same bytes.
                const identity = await (0,archive/* onDisk */.FC)(path);
                const [fp, , tables] = await Promise.all([(0,archive/* fingerprint */.Rj)(path, archive/* FINGERPRINT_VERSION */.UZ, req.signal), (0,archive/* readWhole */.oD)(path, req.format, pgRestore?.path ?? 'pg_restore'), counting]);
                if ((await (0,archive/* onDisk */.FC)(path)) !== identity) {
                    throw new errors/* RollbackKitError */.dp(`Snapshot ${path} changed while it was being verified, right after pg_dump wrote it: its files were replaced, written or cut short during the read back.`, 'Something else writes to that path (another step or job using the same output-dir?): give this step a folder of its own and run again. Nothing was kept.');
                }
                return { ...fp, tables, dumpMs, verifyMs: Date.now() - verifyStarted, exported: side.value.exported, objects: catalog.objects };
            }
            catch (err) {
                await stopWatching();
                if (cycle)
                    throw cycleError(cycle);
                if (!(0,lock_wait/* isLockTimeout */.Td)(err.code))
                    throw err;
                throw (0,lock_wait/* lockTimeoutError */.rB)(`Snapshot of ${where}`, lockTimeoutSeconds, await stopWatching(), 'Nothing was kept.', log);
            }
            finally {
                await stopWatching();
            }
        })();
        const { sha256, sizeBytes, tables, dumpMs, verifyMs } = done;
        const manifest = {
            tool: 'rollback-kit',
            manifestVersion: 1,
            createdAt: at.toISOString(),
            // What the connection string said goes through the redactor, as the file name does: the
            // manifest is uploaded, and a database named like its password must not show it.
            label: req.label ? log.redact(req.label) : null,
            database: log.redact(req.target.database),
            target: log.redact(where),
            server: { version: serverVersion, versionNum, major, host: log.redact(identity.host), port: identity.port, systemIdentifier: identity.systemIdentifier },
            pgDump: { version: pgDump.version, major: pgDump.major },
            format: req.format,
            file: (0,external_node_path_.basename)(path),
            sizeBytes,
            sha256,
            fingerprint: archive/* FINGERPRINT_VERSION */.UZ,
            filter: {
                schemas: selection.schemas,
                excludeSchemas: selection.exclude,
                excludeTableData: selection.excludeData.map((t) => `${t.schema}.${t.name}`),
                everySchema: !selection.include.length,
            },
            tables,
            rowCounts: 'dumped',
            objects: done.objects,
            largeObjects,
            exports: req.exportSince ? { since: req.exportSince.toISOString(), column: req.exportColumn, dir: (0,external_node_path_.basename)(exportsDir), tables: done.exported } : null,
            durationMs: Date.now() - started,
        };
        const manifestPath = await writeManifest(path, manifest);
        kept?.();
        exportsMade.kept?.();
        log.info(`Snapshot verified: ${sizeBytes} bytes, sha256 ${sha256}, ${manifest.tables.length} tables (dump ${dumpMs} ms, verification ${verifyMs} ms).`);
        return {
            path,
            format: req.format,
            sizeBytes,
            sha256,
            manifestPath,
            manifest,
            serverVersion,
            exportsDir,
            pgDump,
            durationMs: Date.now() - started,
            timings: { dumpMs, verifyMs },
        };
    }
    catch (err) {
        // Nothing half-done: a snapshot that did not verify is not left where someone could trust it.
        if (path)
            await (0,promises_.rm)(path, { recursive: true, force: true }).catch(() => undefined);
        if (exportsDir)
            await (0,promises_.rm)(exportsDir, { recursive: true, force: true }).catch(() => undefined);
        // Whatever a stop interrupted (a query, pg_dump, the read back) failed because of it.
        if (req.signal?.aborted)
            throw snapshotStopped(where);
        if (err instanceof db_session/* QueryDeadlineExceeded */.q1) {
            throw new errors/* RollbackKitError */.dp(`Snapshot of ${where} stopped: a query of its own session got ${err.message}.`, 'Nothing was kept. Check the network path to the database (a proxy or NAT box that stops forwarding) and run again.');
        }
        // A query the server refused (reading the catalogue, locking, resolving names) in its words,
        // never as an unexpected error.
        throw isServerError(err) ? sideError(err, where, req.target.user, log) : (0,files/* asFileError */.dH)(err, 'output-dir');
    }
    finally {
        if (cancelOnStop)
            req.signal?.removeEventListener('abort', cancelOnStop);
        (0,db_session/* closeSession */.Vu)(session);
    }
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
const sql_split_literal = db_catalog/* quoteLiteral */.ce;

;// CONCATENATED MODULE: ./.build/migrations/own-tables.js
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
const own_tables_OMITTED_WARNING = '01RK1';
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
    const oid = `${sql_split_literal(table.name)}::regclass`;
    const refusal = [
        sql_split_literal(`${table.name} lacks the column ${column}, which this version of rollback-kit writes (an earlier version created the table), and only the table's owner may add it: it belongs to role `),
        'rk_owner::regrole::text',
        sql_split_literal(', and this run connects as role '),
        'quote_ident(current_user)',
        sql_split_literal('. Have '),
        'rk_owner::regrole::text',
        sql_split_literal(` (or a superuser) run once: ${addColumnsSql(table)}; then run again.`),
    ].join(' || ');
    return [
        `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = ${oid} AND attname = ${sql_split_literal(column)} AND NOT attisdropped) THEN`,
        `    SELECT relowner INTO rk_owner FROM pg_catalog.pg_class WHERE oid = ${oid};`,
        `    IF NOT pg_has_role(rk_owner, 'USAGE') THEN`,
        `      RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = ${refusal}, SCHEMA = ${sql_split_literal(schema)}, TABLE = ${sql_split_literal(name)}, COLUMN = ${sql_split_literal(column)};`,
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
function own_tables_writableTableSql(table, privileges) {
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
function own_tables_ensureTableSql(table, opts = {}) {
    const [schema, name] = table.name.split('.');
    const oid = `${sql_split_literal(table.name)}::regclass`;
    const optional = new Set(table.optional ?? []);
    const columns = Object.keys(table.added).map((column) => {
        const alter = addColumnSql(table, column);
        if (optional.has(column)) {
            return [
                `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = ${oid} AND attname = ${sql_split_literal(column)} AND NOT attisdropped) THEN`,
                `    SELECT relowner INTO rk_owner FROM pg_catalog.pg_class WHERE oid = ${oid};`,
                `    IF NOT pg_has_role(rk_owner, 'USAGE') THEN`,
                `      rk_omitted := rk_omitted || ${sql_split_literal(column)}::text;`,
                '    ELSE',
                `      ${alter};`,
                '    END IF;',
                '  END IF;',
            ].join('\n');
        }
        return requiredColumn(table, column, `    ${alter};`);
    });
    const omitted = [
        sql_split_literal(`${table.name} lacks the column(s) `),
        "array_to_string(rk_omitted, ', ')",
        sql_split_literal(", which this version of rollback-kit writes (an earlier version created the table), and only the table's owner may add them: it belongs to role "),
        'rk_owner::regrole::text',
        sql_split_literal(', and this run connects as role '),
        'quote_ident(current_user)',
        sql_split_literal(`. Its rows are written without them, as an earlier version wrote them, so a re-run has only the checks such rows get. Have `),
        'rk_owner::regrole::text',
        sql_split_literal(` (or a superuser) run once: ${addColumnsSql(table)};`),
    ].join(' || ');
    // Quiet where nobody reads the server's notices as ours (a restore's psql, whose output is read for its errors).
    const warn = optional.size === 0 || opts.quiet
        ? []
        : [
            '  IF cardinality(rk_omitted) > 0 THEN',
            `    RAISE WARNING USING ERRCODE = ${sql_split_literal(own_tables_OMITTED_WARNING)}, MESSAGE = ${omitted}, SCHEMA = ${sql_split_literal(schema)}, TABLE = ${sql_split_literal(name)}, COLUMN = array_to_string(rk_omitted, ',');`,
            '  END IF;',
        ];
    const body = [
        `DECLARE rk_owner oid;${optional.size === 0 ? '' : " rk_omitted text[] := '{}';"}`,
        'BEGIN',
        `  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ${sql_split_literal(schema)}) THEN`,
        `    CREATE SCHEMA IF NOT EXISTS ${schema};`,
        '  END IF;',
        `  IF to_regclass(${sql_split_literal(table.name)}) IS NULL THEN`,
        `    CREATE TABLE IF NOT EXISTS ${table.name} (${table.definition});`,
        '  END IF;',
        ...columns,
        ...warn,
        'END',
    ].join('\n');
    return (0,db_catalog/* doBlock */.hq)('rk_own_table', body);
}
/**
 * A column ensureTableSql could not add, as the user's error (not an unexpected one); `code` stays
 * insufficient_privilege for callers that go on without the table (rerun.ts).
 */
class ColumnRefused extends (/* unused pure expression or super */ null && (RollbackKitError)) {
    code = INSUFFICIENT_PRIVILEGE;
}
/**
 * Makes `table` as this version uses it, then runs `then` (its first use) in the same round trip,
 * after `before` (SET LOCAL bounds, say: one query is one implicit transaction, which they last).
 */
async function own_tables_ensureTable(session, table, then, before) {
    try {
        await session.query([before, own_tables_ensureTableSql(table), then].filter((sql) => sql !== undefined).join(';\n'));
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

;// CONCATENATED MODULE: ./.build/migrations/ledger.js



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
        exists = !!(await session.query(`SELECT to_regclass(${literal(LEDGER_TABLE)})::text AS t`)).rows[0]?.t;
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
    return `ARRAY[${values.map(literal).join(', ')}]::text[]`;
}
/**
 * The statement that writes `row` (literals inlined), into a table as ensureTableSql leaves it: the
 * NEWER columns only where the table has them (a role that may not add them writes without them).
 */
function ledgerUpsertSql(row) {
    const always = [
        ['incident_key', literal(row.incidentKey)],
        ['method', literal(row.method)],
        ['keep_version', row.keepVersion === undefined ? 'NULL' : literal(row.keepVersion)],
        ['planned', textArray(row.planned)],
        ['kept', textArray(row.kept ?? [])],
        ['reverted', textArray(row.reverted)],
        ['status', literal(row.status)],
    ];
    const newer = { applied: textArray(row.applied ?? []), snapshot: textArray(row.snapshot ?? []), first_snapshot: textArray(row.firstSnapshot ?? []) };
    const set = (column) => `${column} = excluded.${column}`;
    const lines = [
        `DECLARE rk_columns text := ${literal(always.map(([c]) => c).join(', '))};`,
        `  rk_values text := ${literal(always.map(([, v]) => v).join(', '))};`,
        `  rk_set text := ${literal(always.filter(([c]) => c !== 'incident_key').map(([c]) => set(c)).join(', '))};`,
        'BEGIN',
        ...NEWER.flatMap((column) => [
            `  IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = ${literal(ROLLBACKS.name)}::regclass AND attname = ${literal(column)} AND NOT attisdropped) THEN`,
            `    rk_columns := rk_columns || ${literal(`, ${column}`)};`,
            `    rk_values := rk_values || ${literal(`, ${newer[column]}`)};`,
            `    rk_set := rk_set || ${literal(`, ${set(column)}`)};`,
            '  END IF;',
        ]),
        `  EXECUTE 'INSERT INTO ${ROLLBACKS.name} (' || rk_columns || ') VALUES (' || rk_values || ') ON CONFLICT (incident_key) DO UPDATE SET ' || rk_set || ', updated_at = now()';`,
        'END',
    ];
    return doBlock('rk_ledger_write', lines.join('\n'));
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
        if (msg.code === OMITTED_WARNING && msg.message)
            omitted.push(msg.message);
    };
    session.on('notice', notice);
    try {
        // Made, or given the columns this version added, only where it lacks them: a role that may write the
        // rows but not own the table (a CI role after a migration role) needs no more (own-tables.ts).
        await ensureTable(session, ROLLBACKS, ledgerUpsertSql(row), opts.before);
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
    const table = sql_split_literal(ROLLBACKS.name);
    const added = `${sql_split_literal(JSON.stringify(Object.fromEntries(Object.keys(ROLLBACKS.added).map((column) => [column, []]))))}::jsonb`;
    return {
        table: ROLLBACKS.name,
        first: (0,db_catalog/* doBlock */.hq)('rk_ledger_kept', [
            'BEGIN',
            `  IF to_regclass(${table}) IS NOT NULL AND has_table_privilege(${table}, 'SELECT') THEN`,
            `    PERFORM set_config(${sql_split_literal(KEPT_SETTING)}, ${rows('rollback_kit.rollbacks t, to_jsonb(t) r')}::text, true);`,
            '  END IF;',
            'END',
        ].join('\n')),
        // Statements after an IF are planned only when reached: the table may not exist in either state.
        last: (0,db_catalog/* doBlock */.hq)('rk_ledger_back', [
            `DECLARE rk_kept jsonb := nullif(current_setting(${sql_split_literal(KEPT_SETTING)}, true), '')::jsonb;`,
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
            `  EXECUTE ${sql_split_literal(own_tables_ensureTableSql(ROLLBACKS, { quiet: true }))};`,
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

// EXTERNAL MODULE: ./.build/core/lazy-builtins.js
var lazy_builtins = __nccwpck_require__(60325);
;// CONCATENATED MODULE: ./.build/migrations/progress.js
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
    return nodeCrypto().createHash('sha256').update(text).digest('hex');
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
        ensureTableSql(DOWN_PROGRESS),
        `INSERT INTO rollback_kit.down_progress AS p (tracking, migration, tracking_rows) VALUES (${literal(tracking)}, ${literal(migration)}, (${rowVersionSql}))
       ON CONFLICT (tracking, migration) DO UPDATE SET tracking_rows = excluded.tracking_rows, updated_at = now()${keepDone ? '' : `, done = '{}'`}`,
    ];
}
async function recordStatement(session, tracking, migration, hash) {
    await session.query(`UPDATE rollback_kit.down_progress SET done = done || $3::text, updated_at = now() WHERE tracking = $1 AND migration = $2`, [tracking, migration, hash]);
}
/** The statement (literals inlined) that ends the migration's progress, in the transaction that marks it reverted. */
function clearProgressSql(tracking, migration) {
    return `DELETE FROM rollback_kit.down_progress WHERE tracking = ${literal(tracking)} AND migration = ${literal(migration)}`;
}
/** How many leading statements already ran; refuses when those statements were edited since. */
function statementsAlreadyRun(progress, hashes, file) {
    if (!progress || progress.done.length === 0)
        return 0;
    const matching = progress.done.findIndex((h, i) => h !== hashes[i]);
    if (matching >= 0) {
        throw new RollbackKitError(`${file} was partly reverted by an earlier run (${progress.done.length} statement(s) ran), but statement ${matching + 1}, which already ran, has changed since.`, 'Edit only the statements that have not run yet (the one that failed and after). Check the schema by hand; then delete its row from rollback_kit.down_progress to start that migration over.');
    }
    return progress.done.length;
}
/** A tracking table as Tracking.table names it (describeTable): two parts, each plain or quoted, so parse_ident cannot fail on it. */
const TRACKING_NAME = String.raw `^("([^"]|"")+"|[a-z_][a-z0-9_$]*)\.("([^"]|"")+"|[a-z_][a-z0-9_$]*)$`;
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
    const table = sql_split_literal(DOWN_PROGRESS.name);
    // This transaction's xid as xmin reads it (txid_current has the epoch on top).
    const thisTransaction = '(txid_current() % 4294967296)::text';
    return (0,db_catalog/* doBlock */.hq)('rk_progress_restored', [
        'DECLARE p record; t regclass; ns oid; restored boolean;',
        'BEGIN',
        `  IF to_regclass(${table}) IS NULL OR NOT has_table_privilege(${table}, 'SELECT, UPDATE') THEN`,
        '    RETURN;',
        '  END IF;',
        // A table an earlier version made has no tracking_rows: its rows are discarded anyway.
        `  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = ${table}::regclass AND attname = 'tracking_rows' AND NOT attisdropped) THEN`,
        '    RETURN;',
        '  END IF;',
        `  FOR p IN SELECT tracking, migration, parse_ident(tracking) AS name FROM rollback_kit.down_progress WHERE xmin::text <> ${thisTransaction} AND tracking ~ ${sql_split_literal(TRACKING_NAME)} LOOP`,
        '    t := NULL;',
        '    SELECT c.oid, n.oid INTO t, ns FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = p.name[1] AND c.relname = p.name[2];',
        `    IF t IS NULL OR NOT has_schema_privilege(ns, 'USAGE') OR NOT has_table_privilege(t, 'SELECT') THEN`,
        '      CONTINUE;',
        '    END IF;',
        `    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE xmin::text = ${thisTransaction.replace('%', '%%')})', t) INTO restored;`,
        '    IF restored THEN',
        `      UPDATE rollback_kit.down_progress SET tracking_rows = ${sql_split_literal(RESTORED_OVER)}, updated_at = now() WHERE tracking = p.tracking AND migration = p.migration;`,
        '    END IF;',
        '  END LOOP;',
        'END',
    ].join('\n'));
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
    const format = await (0,archive/* detectFormat */.Tz)(path);
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
        throw new RollbackKitError(`Snapshot ${path} changed while it was being verified: its files were replaced, written or cut short between the start and the end of the read.`, 'Something is still writing it (an artifact download, another snapshot into the same path): let it finish and verify again, or take or pick another snapshot. Do not restore it as it is.');
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

;// CONCATENATED MODULE: ./.build/db/restore.js
/**
 * restore-db: put a verified snapshot back. Refuses unless `confirm` names the target database,
 * refuses a snapshot that does not verify or is of another database (unless that is meant), and
 * restores in place in one transaction: its own drops (see restore-plan.ts), the snapshot's script,
 * and what it keeps put back, all or nothing, with the snapshot's privileges (restore-privileges.ts).
 * That transaction locks the tables it replaces against writes first, and the pre-restore snapshot
 * of the current state is taken while it holds them, so no committed row falls between the two.
 * It commits only once every table holds the rows the manifest counts, counted in that transaction.
 */

























const RESTORE_BOUNDS = { preRestoreSnapshotMs: 2 * 60 * 60_000, keptViewsDumpMs: 5 * 60_000 };
/**
 * The fact every error of a restore that did not commit carries (RollbackKitError.changed), each
 * saying so in its own words: a caller decides by this, not by them.
 */
const UNCHANGED = { changed: 'no' };
/**
 * rollback-kit's own ledger (rollback_kit.rollbacks) comes out of every restore as it went in, whoever
 * restores (restore-db, the CLI, the whole rollback): a snapshot's older ledger would make a re-run
 * of an incident finished since do its work again (migrations/ledger.ts says why, and what a target
 * without one gets). rollback_kit.down_progress is restored with the snapshot on purpose: it describes
 * the schema the snapshot brings back (migrations/progress.ts).
 */
const LEDGER = ledgerKeptAcrossRestore();
/** Progress the restore keeps while it writes its tracking rows anew, marked stale for good (migrations/progress.ts). */
const PROGRESS = progressAcrossRestore();
function checkConfirmation(target, confirm) {
    if (confirm === target.database)
        return;
    const got = confirm ? `got "${confirm}"` : 'it is empty';
    throw new errors/* RollbackKitError */.dp(`restore-db refuses to overwrite ${(0,connection/* describeTarget */.ff)(target)}: confirm must be the target database's name "${target.database}", ${got}.`, `Set confirm: ${target.database} to restore over it. Nothing was changed.`, UNCHANGED);
}
function restoreSnapshot(req, log) {
    return restoreOrPreview(req, log, false);
}
/**
 * A dry run of restoreSnapshot: the same checks of the snapshot (its bytes included) and the same
 * plan, logged as the restore logs it, through the planning session alone; `confirm` is not needed,
 * and nothing is locked or changed. A restore the plan would refuse is refused here too.
 */
function previewRestore(req, log, options = {}) {
    return restoreOrPreview(req, log, true, options);
}
async function restoreOrPreview(req, log, dryRun, options = {}) {
    const started = Date.now();
    const where = (0,connection/* describeTarget */.ff)(req.target);
    if (!dryRun)
        checkConfirmation(req.target, req.confirm);
    const pooler = (0,connection/* transactionPoolerRefusal */.id)(req.target, "the restore's one session");
    if (pooler)
        throw pooler;
    const snapshot = await openSnapshot(req.snapshotPath);
    const manifest = snapshot.manifest;
    // psql and pg_restore read the files apart from the hash: each file's identity (onDisk), taken
    // before the hash and compared on every check, the last one after every read and before the
    // COMMIT, proves they read the bytes hashed. A change is reported first: it explains a failed read
    // or a wrong sha256 too.
    const identity = await (0,archive/* onDisk */.FC)(snapshot.path);
    const unchanged = async () => {
        if ((await (0,archive/* onDisk */.FC)(snapshot.path)) === identity)
            return;
        throw new errors/* RollbackKitError */.dp(`Snapshot ${snapshot.path} changed while it was restored: its files were replaced, written or cut short after they were checked, so the restore did not commit and nothing was changed.`, 'Restore it again from the artifact, once nothing else writes to that path (an artifact download, another snapshot into the same folder).');
    };
    // The snapshot was read back in full when it was taken; the same sha256 now proves these are those
    // bytes, and a restore that started on other bytes never commits. Hashed on Node's main thread, in
    // 1 MB slices between everything else it does: so not while it plans the restore, but once psql
    // runs it (or sooner, when something awaits it); with a pre-restore snapshot, which waits for the
    // hash, from the start.
    // The hash's result is kept, not logged, when it arrives: a matching sha256 alone does not prove
    // pg_restore can read the file (a truncated dump whose manifest was edited to match), so
    // "verified" is said once, after the restore has read it in full.
    let hashing;
    let matched;
    const bytesChecked = () => {
        hashing ??= (0,archive/* fingerprint */.Rj)(snapshot.path, manifest.fingerprint, req.signal).then((fp) => {
            checkFingerprint(snapshot, fp);
            matched = fp;
        });
        hashing.catch(() => undefined);
        const checked = hashing.then(unchanged, async (err) => {
            await unchanged();
            throw err;
        });
        checked.catch(() => undefined);
        return checked;
    };
    if (req.preRestoreSnapshot && !dryRun)
        void bytesChecked();
    (0,pg_tools/* warmPgTools */.I3)(manifest.format === 'plain' ? ['psql'] : ['pg_restore', 'psql'], req.tools);
    // Tables dumped without their rows come back empty: only a pre-restore snapshot keeps those rows.
    const withoutRows = manifest.tables.filter((t) => t.rows === null).map((t) => `${t.schema}.${t.name}`);
    if (withoutRows.length && !req.preRestoreSnapshot) {
        throw new errors/* RollbackKitError */.dp(`The snapshot holds no rows for ${withoutRows.join(', ')} (exclude-table-data), so restoring it empties them, and pre-restore-snapshot is false.`, 'Set pre-restore-snapshot: true so their rows are kept, or restore a snapshot that has them. Nothing was changed.', UNCHANGED);
    }
    // Started while the restore is planned (startRestoreProcesses); whatever fails or refuses before
    // the transaction is opened stops them, and nothing was applied.
    let processes;
    // The lock watcher connects once the planning session has gone: two connections at a time.
    let planningGone;
    const planningClosed = new Promise((resolve) => (planningGone = (gone) => void gone.then(resolve)));
    const startProcesses = (serverMajor, pgRestore) => {
        processes = startRestoreProcesses({ req, snapshot: snapshot.path, pgRestore, serverMajor, planningClosed }, log);
        processes.catch(() => undefined);
    };
    /** Whether psql has been sent the COMMIT: until then, ending it rolls the restore back. */
    const progress = { commitWritten: false };
    // A step being stopped ends psql before its COMMIT is sent: the server rolls the transaction back.
    const onAbort = () => {
        if (!progress.commitWritten)
            void processes?.then((p) => p.stop(), () => undefined);
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const stopIfAborted = () => {
        if (req.signal?.aborted)
            throw new errors/* RollbackKitError */.dp('The restore was stopped.', undefined, { stopped: true });
    };
    let preRestoreSnapshotPath;
    /** What the caller does to keep the pre-restore snapshot (onPreRestoreSnapshot): awaited before the COMMIT. */
    let keeping;
    try {
        const { serverMajor, pgRestore, contents, plan, extra, notMemberOf, defaults, source, owners, rows } = await withPlanningSession(req, where, log, async (s) => {
            const serverMajor = (0,pg_tools/* majorFromVersionNum */.qj)(Number((await s.query("SELECT current_setting('server_version_num') AS n")).rows[0].n));
            const pgRestore = manifest.format === 'plain' ? undefined : await (0,pg_tools/* findPgTool */.fh)('pg_restore', Math.max(serverMajor, manifest.pgDump.major), req.tools);
            // Its table of contents is read by pg_restore while this session asks the server the rest.
            const reading = readSnapshotContents(snapshot.path, manifest.format, pgRestore?.path);
            reading.catch(() => undefined);
            // psql connects and the pg_restore reads start while the restore is planned; nothing is sent before it is.
            if (!dryRun)
                startProcesses(serverMajor, pgRestore);
            const source = checkSource(snapshotSource(manifest), await readServerIdentity(s, req.target), req, snapshot.path, log);
            // Asked while pg_restore still reads the table of contents: neither needs it.
            // Roles whose default privileges this user cannot change (a superuser is a member of every role):
            // membership until PostgreSQL 15, the right to SET ROLE to them from 16.
            // As the script's bytes (pg_dump writes in the database's encoding), read as latin1 as the script is.
            const { rows: others } = await s.query("SELECT convert_to(quote_ident(rolname), current_setting('server_encoding')) AS r FROM pg_catalog.pg_roles WHERE NOT pg_has_role(current_user, oid, $1)", [serverMajor >= 16 ? 'SET' : 'MEMBER']);
            const notMemberOf = new Set(others.map((o) => o.r.toString('latin1')));
            const defaults = await readOwnDefaultPrivileges(s);
            // A file that changed is reported as changed, even when pg_restore also failed on it.
            const contents = await reading.catch(async (err) => {
                await bytesChecked();
                throw err;
            });
            // Tables the snapshot does not have are left as they are (and, with their foreign keys, kept by the plan).
            const extra = await leftAsTheyAre(s, contents, manifest);
            // Planned before anything is written: a dependent that cannot be put back refuses the restore here.
            // Without clean nothing is dropped first: a snapshot object that exists would fail its CREATE, so it is refused here.
            const drops = dropsFirst(req, manifest);
            // Read once for either: with clean they are what is dropped, without it what is already there.
            const existing = await existingRelations(s, contents);
            if (!drops)
                await refuseExistingWithoutClean(s, contents, existing, where);
            const plan = drops ? await planRestore(s, contents, existing, where) : { dropped: [], keptPartitions: [], droppedForeignKeys: [], keptForeignKeys: [], keptViews: [], discarded: [] };
            // Before anything is locked or kept: a role that may not drop what the plan and the snapshot's script drop would fail only at the first DROP.
            await requireRestorePrivileges(s, plan, drops ? contents.objects : [], contents.schemas);
            // The schemas resetSchemaPrivileges resets: a difference the role could not undo would outlive the restore.
            await requireSchemaPrivileges(s, manifest.filter.schemas, contents.schemaGrants, manifest.pgDump.major);
            // The schemas' owners the script gives back: a role that may not would fail in the middle of the script.
            const owners = await requireSchemaOwners(s, contents.schemaOwners, serverMajor);
            // Last, once the plan stands: a restore it refuses is refused before any table is read.
            const rows = dryRun && options.countRows ? await countTableRows(s, manifest, PLANNING_DEADLINE.statementMs) : undefined;
            return { serverMajor, pgRestore, contents, plan, extra, notMemberOf, defaults, source, owners, rows };
        }, planningGone);
        if (contents.largeObjects && manifest.format === 'plain') {
            throw new errors/* RollbackKitError */.dp(`Snapshot ${snapshot.path} is a plain SQL script with large objects, which the script commits on their own: it cannot be restored in one transaction.`, 'Restore a custom or directory format snapshot of this database. Nothing was changed.', UNCHANGED);
        }
        for (const p of plan.keptPartitions)
            log.info(`Keeping partition ${p.partition} of ${p.parent} (not in the snapshot): detached for the restore and attached again after it, with its rows.`);
        for (const fk of plan.keptForeignKeys)
            log.info(`Keeping foreign key ${fk.name} of ${fk.table} (not in the snapshot): dropped for the restore and re-created after it.`);
        for (const v of plan.keptViews)
            log.info(`Keeping ${v.relkind === 'm' ? 'materialized view' : 'view'} ${v.schema}.${v.name} (not in the snapshot): dropped for the restore and re-created after it.`);
        logDiscarded(plan.discarded, req.preRestoreSnapshot, log);
        if (defaults.entries.length) {
            log.info(`Setting aside the default privileges of ${defaults.role} (ALTER DEFAULT PRIVILEGES: ${defaults.entries.join(', ')}) while the restore creates objects, so they get the snapshot's privileges and no others; put back before the commit.`);
        }
        for (const o of owners.deferred)
            log.info(`Giving schema ${o.schema} back to ${o.owner} at the end of the restore: user "${req.target.user}" may hand it over but not use ${o.owner}'s privileges (NOINHERIT), which the snapshot's script needs in it first.`);
        if (defaults.unknown.length)
            log.warning(`Default privileges of ${defaults.role} that restore-db does not know how to set aside (${defaults.unknown.join(', ')}) still apply to what the restore creates.`);
        if (dryRun) {
            // A snapshot whose bytes are not its manifest's would be refused: the dry run says so too.
            await bytesChecked();
            // Its data is read only by the restore: the dry run claims no more than the hash and the table of contents.
            if (matched)
                log.info(`Snapshot ${snapshot.path}: sha256 ${matched.sha256.slice(0, 12)}\u2026, ${matched.sizeBytes} bytes, as its manifest records, and its table of contents read; its data is read in full only by the restore.`);
            return { target: where, snapshotPath: snapshot.path, tablesRestored: manifest.tables.length, discarded: plan.discarded, extraTables: extra.tables, extraSchemas: extra.schemas, restoredEmpty: withoutRows, ...(rows ? { rows } : {}) };
        }
        // Not worth locking tables, or keeping the current state, for a snapshot that will be refused.
        if (req.preRestoreSnapshot)
            await bytesChecked();
        stopIfAborted();
        const running = await processes;
        // From here until the COMMIT no row can be written to a table the restore replaces: a row
        // committed before the lock is in the pre-restore snapshot, one after it waits for the restore.
        await openTransaction(running, plan, req, where, log);
        stopIfAborted();
        let pre;
        if (req.preRestoreSnapshot) {
            log.info(`Keeping the current state of ${where} in a pre-restore snapshot first, while the restore's transaction holds its tables \u2026`);
            const boundMs = req.bounds?.preRestoreSnapshotMs ?? RESTORE_BOUNDS.preRestoreSnapshotMs;
            // Past its bound the snapshot is stopped as a stop would (pg_dump ended, its query cancelled):
            // the restore then rolls back, and its locks go with it.
            const overdue = AbortSignal.timeout(boundMs);
            pre = await takeSnapshot({
                ...wholeDatabaseSnapshot(req.target, {
                    outputDir: req.preRestoreDir,
                    outputDirInput: req.preRestoreDirInput,
                    lockTimeoutSeconds: req.lockTimeoutSeconds,
                    label: 'pre-restore',
                    tools: req.tools,
                }),
                made: req.made,
                // Its sessions carry a name of their own, so that its pg_dump is watched for a stall as
                // snapshot-db's is; a session that waits for the restore's table locks while the snapshot
                // queues behind it is seen as the cycle it is all the same.
                callerSessions: running.tag,
                stallAfterMs: req.stallAfterMs,
                signal: req.signal ? AbortSignal.any([req.signal, overdue]) : overdue,
            }, log).catch((err) => {
                if (err instanceof SnapshotStalledError)
                    throw preRestoreStalled(where, err.goneMs);
                if (!overdue.aborted || req.signal?.aborted)
                    throw err;
                throw new errors/* RollbackKitError */.dp(`The pre-restore snapshot of ${where} did not finish within ${(0,db_session/* seconds */.YA)(boundMs)} s while the restore's transaction held its tables (writers waited behind it), so it was stopped and the restore with it: nothing was changed.`, 'Check the network path to the database (a dump that stalled) or how long a snapshot of it takes; run again, or restore with pre-restore-snapshot: false if a snapshot of the current state is kept otherwise.', UNCHANGED);
            });
            preRestoreSnapshotPath = pre.path;
            keeping = req.onPreRestoreSnapshot?.(pre);
            keeping?.catch(() => undefined);
            stopIfAborted();
        }
        if (withoutRows.length) {
            log.warning(`The snapshot holds no rows for ${withoutRows.join(', ')}: the restore leaves them empty; their rows from before are in ${preRestoreSnapshotPath}.`);
        }
        if (req.jobs > 1) {
            log.warning(`jobs: ${req.jobs} is not used: the restore runs in one transaction, so that a failure changes nothing, and PostgreSQL cannot share one transaction between parallel workers.`);
        }
        const mode = manifest.format === 'plain' ? 'psql, one transaction' : 'pg_restore into psql, one transaction';
        log.info(`Restoring ${snapshot.path} into ${where} (${mode}) \u2026`);
        const leftOut = new Set();
        await applySnapshot({ req, snapshot: snapshot.path, manifest, bytesChecked, kept: keeping, progress, pgRestore, plan, serverMajor, preRestoreSnapshotPath, notMemberOf, leftOut, owners, contents }, running, log);
        if (leftOut.size) {
            log.warning(`Left out ${leftOut.size} statement(s) of the snapshot that set other roles' default privileges (${[...leftOut].map((t) => log.excerpt(t, 120)).join('; ')}): user "${req.target.user}" is not a member of those roles, so PostgreSQL refuses them. Their default privileges are as they were before the restore.`);
        }
        if (matched)
            log.info(`Snapshot ${snapshot.path} verified: sha256 ${matched.sha256.slice(0, 12)}\u2026, ${matched.sizeBytes} bytes, as it was when it was read back in full, and read in full by the restore.`);
        log.info(`Restore verified: all ${manifest.tables.length} tables hold the rows the snapshot holds, counted in the restore's transaction before its commit.`);
        if (extra.tables.length)
            log.warning(`Tables the snapshot does not have were left as they are: ${extra.tables.join(', ')}.`);
        if (extra.schemas.length)
            log.warning(`Schemas the snapshot does not have were left as they are: ${extra.schemas.join(', ')}.`);
        const fewerRows = (pre ? fewerRowsThanBefore(pre.manifest, manifest) : []).filter((f) => f.table !== LEDGER.table);
        for (const f of fewerRows)
            log.info(`${f.table} holds ${f.before - f.restored} row(s) fewer than before the restore (${f.before} before, ${f.restored} restored); they are in the pre-restore snapshot ${preRestoreSnapshotPath}.`);
        return {
            target: where,
            snapshotPath: snapshot.path,
            snapshotTakenAt: manifest.createdAt,
            source: describeIdentity(source.snapshot),
            targetIdentity: describeIdentity(source.target),
            fromAnotherDatabase: !source.same,
            preRestoreSnapshotPath,
            fewerRows,
            discarded: plan.discarded,
            verified: true,
            tablesRestored: manifest.tables.length,
            extraTables: extra.tables,
            extraSchemas: extra.schemas,
            restoredEmpty: withoutRows,
            mode,
            durationMs: Date.now() - started,
        };
    }
    catch (err) {
        const running = await processes?.catch(() => undefined);
        // Once stopped, the watcher has finished what it saw: a cycle it ended is known here.
        await running?.stop();
        await keeping?.catch(() => undefined);
        // Stopped while its first session was still being opened: no transaction was ever begun.
        if (err instanceof db_session/* ConnectStopped */.QE && !running) {
            throw new errors/* RollbackKitError */.dp(`Restore into ${where} was stopped while still connecting to the database, before anything was sent to it: nothing was changed, the database is as it was before.`, 'Run the step again when it can run to its end.', { ...UNCHANGED, stopped: true });
        }
        // Stopped before the COMMIT was sent: whatever it was doing, its transaction did not commit.
        if (req.signal?.aborted && !progress.commitWritten) {
            throw new errors/* RollbackKitError */.dp(`Restore into ${where} was stopped before its transaction committed, so nothing of it was applied: the database is as it was before.`, `${preRestoreSnapshotPath ? `The state before is also kept in ${preRestoreSnapshotPath}. ` : ''}Run the step again when it can run to its end.`, { ...UNCHANGED, stopped: true });
        }
        // A session and the restore waited for each other (its lock phase, the pre-restore snapshot, the
        // drops): the watcher of either ended the restore's sessions, whatever error that then caused.
        const cycle = err instanceof lock_wait/* LockCycleError */.OP ? err.blockers : running?.cycle();
        if (cycle && !progress.commitWritten) {
            const undo = preRestoreSnapshotPath ? ` The state before is also kept in ${preRestoreSnapshotPath}.` : '';
            throw (0,lock_wait/* lockCycleError */.iP)(`Restore into ${where}`, cycle, `Its transaction rolled back, so nothing was changed.${undo}`, log, RESTORE_CYCLE, UNCHANGED);
        }
        // Whatever failed before psql was sent the COMMIT (a snapshot that does not verify, a connection,
        // the pre-restore snapshot) left the transaction uncommitted: the restore knows, its maker did not.
        // Not in a preview, which changes nothing ever: there the fact stays with errors that say so.
        throw progress.commitWritten || dryRun ? err : (0,errors/* withFacts */.Qj)(err, UNCHANGED);
    }
    finally {
        req.signal?.removeEventListener('abort', onAbort);
    }
}
/**
 * Names, before anything is changed, what the restore throws away on the tables it replaces because
 * the snapshot does not have it (restore-discarded.ts), with what creates each object again.
 */
function logDiscarded(discarded, preRestoreSnapshot, log) {
    if (!discarded.length)
        return;
    for (const t of discarded) {
        const parts = [...t.columns.map((c) => `column ${(0,restore_discarded/* describeColumn */["in"])(c)}`), ...t.objects.map((o) => `${o.kind} ${o.name}: ${log.redact(o.definition)}`)];
        log.warning(`The restore discards from ${t.table} what the snapshot does not have (added since it was taken): ${parts.join('; ')}.`);
    }
    log.warning(preRestoreSnapshot
        ? 'Those columns\' values and those objects are kept in the pre-restore snapshot: create them again after the restore if they are still wanted.'
        : 'pre-restore-snapshot is false: those columns\' values are not kept anywhere. Create the objects again after the restore if they are still wanted.');
}
/**
 * The snapshot's source against the target, by the rule run-down-migrations uses (compareSource):
 * another database, or one of the same name on another server, is refused unless the request says
 * on purpose that it may be (fromAnotherDatabase); `confirm` names the target, not the source.
 */
function checkSource(snapshot, target, req, path, log) {
    const source = compareSource(snapshot, target);
    if (source.same) {
        if (source.basis === 'host-port-database')
            log.warning(source.message);
        return { same: true, snapshot, target };
    }
    if (!req.fromAnotherDatabase) {
        const sameName = snapshot.database === target.database && source.basis === 'host-port-database';
        throw new errors/* RollbackKitError */.dp(`restore-db refuses to restore ${path} into ${(0,connection/* describeTarget */.ff)(req.target)}: ${source.message.replace(/^The snapshot/, 'the snapshot')}`, 'If that is what you mean (a snapshot of production restored into staging, say), set from-another-database: true. ' +
            (sameName ? 'If it is this database under another host name, connect through the host and port the snapshot was taken through. ' : 'Otherwise pass a snapshot of this database. ') +
            'Nothing was changed.', UNCHANGED);
    }
    log.warning(`${source.message} It is restored into the target all the same: from-another-database is true.`);
    return { same: false, snapshot, target };
}
/** How many rows `fewer` adds up to: what a restore discarded (rows written since its snapshot, net of those deleted since). */
function fewerRowsCount(fewer) {
    return fewer.reduce((sum, f) => sum + f.before - f.restored, 0);
}
/** "7 row(s) (public.orders 5, public.payments 2)": fewerRows said in one phrase, each table's share named. */
function fewerRowsText(fewer) {
    const each = fewer.map((f) => `${f.table} ${f.before - f.restored}`).join(', ');
    return `${fewerRowsCount(fewer)} row(s)${each ? ` (${each})` : ''}`;
}
/** Tables of the snapshot that held more rows before the restore (the pre-restore snapshot's count) than it restored. */
function fewerRowsThanBefore(before, restored) {
    const had = new Map(before.tables.map((t) => [`${t.schema}\0${t.name}`, t.rows]));
    const out = [];
    for (const t of restored.tables) {
        const was = had.get(`${t.schema}\0${t.name}`);
        // A table restored without rows (exclude-table-data) is named on its own (restoredEmpty).
        if (typeof was === 'number' && t.rows !== null && was > t.rows)
            out.push({ table: `${t.schema}.${t.name}`, before: was, restored: t.rows });
    }
    return out;
}
/**
 * The planning session only reads the catalogue (4,000 tables, views and functions plan in under
 * two seconds), yet each of its queries is bounded: by statement_timeout, and the wait for its
 * answer by that and a margin, so that a query that runs away or a connection that stalls ends the
 * run with nothing changed.
 */
const PLANNING_DEADLINE = { statementMs: 300_000, marginMs: 10_000 };
/**
 * A session for what the restore reads before it changes anything. A table or system catalogue
 * another session has locked (an ALTER TABLE left open, VACUUM FULL pg_depend) is waited for no
 * longer than any lock of the restore, and the error names that session.
 */
async function withPlanningSession(req, where, log, fn, onClose) {
    let session;
    try {
        session = await (0,db_session/* connect */.Ng)(req.target, { queryDeadline: PLANNING_DEADLINE, signal: req.signal });
    }
    catch (err) {
        onClose?.(Promise.resolve());
        throw err;
    }
    // It only reads: a stop ends a wait for a catalogue lock (up to lock-timeout) at once.
    const release = (0,db_session/* closeAtStop */.ur)(session, req.signal);
    try {
        await session.query("SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)", [
            String((0,lock_wait/* lockTimeoutMs */.D5)(req.lockTimeoutSeconds)),
            String(PLANNING_DEADLINE.statementMs),
        ]);
        return await fn(session);
    }
    catch (err) {
        const code = err.code;
        const what = `Planning the restore into ${where}`;
        // Its queries only read the catalogue: what blocks them holds an ACCESS EXCLUSIVE lock (a stuck
        // migration's ALTER TABLE, a LOCK TABLE, a VACUUM FULL of a catalogue), and most often still does.
        if ((0,lock_wait/* isLockTimeout */.Td)(code))
            throw (0,lock_wait/* lockTimeoutError */.rB)(what, req.lockTimeoutSeconds, await (0,lock_wait/* lockHolders */.NY)(session, 'reads'), 'Nothing was changed.', log, UNCHANGED);
        if (code === '57014') {
            throw new errors/* RollbackKitError */.dp(`${what} stopped: a query of its catalogue ran longer than ${(0,db_session/* seconds */.YA)(PLANNING_DEADLINE.statementMs)} s, or was cancelled.`, 'Nothing was changed. Run again; if it happens again, report it with the number of tables and functions the database has.', UNCHANGED);
        }
        if (err instanceof db_session/* QueryDeadlineExceeded */.q1)
            throw new errors/* RollbackKitError */.dp(`${what} stopped: ${err.message}.`, 'Nothing was changed. Check the network path to the database and run again.', UNCHANGED);
        throw err;
    }
    finally {
        release();
        // Told when its backend is gone, and no later than PLANNING_CLOSE_MS: a server that does not
        // answer the Terminate does not hold the restore up.
        const gone = (0,db_session/* closeSession */.Vu)(session);
        onClose?.((0,bounded_wait/* within */.ux)(gone, PLANNING_CLOSE_MS, undefined));
    }
}
/** How long the lock watcher waits for the planning session's backend to go before it connects all the same. */
const PLANNING_CLOSE_MS = 2000;
/** What the epilogue's check raises: psql reports it as the reason the restore did not commit. */
const ROW_CHECK_PREFIX = 'rollback-kit: the restore does not hold the rows the snapshot holds: ';
/** The row check's failure for a table whose rows row-level security hides from the user: its count could not be trusted. */
const ROW_SECURITY_PREFIX = 'rollback-kit: row-level security hides rows of table ';
/**
 * The SQL text expression `expr` with its control characters written as escapes (a newline as `\n`,
 * others as `\x1b`), for a message rollback-kit raises that quotes names: psql prints a message as
 * it is, and its stderr is read line by line (psqlError), so a name holding a newline would end the
 * message there, and one holding "\nCONTEXT:  " could not be told from psql's own fields. One line,
 * it is read whole. Every RAISE rollback-kit writes that quotes a name goes through this. (chr(92), a backslash, whatever standard_conforming_strings the script left.)
 */
function visibleText(expr) {
    const escape = "chr(92) || CASE ascii(c) WHEN 10 THEN 'n' WHEN 13 THEN 'r' WHEN 9 THEN 't' ELSE 'x' || lpad(to_hex(ascii(c)), 2, '0') END";
    return `(SELECT string_agg(CASE WHEN ascii(c) < 32 OR ascii(c) BETWEEN 127 AND 159 THEN ${escape} ELSE c END, '' ORDER BY i) FROM unnest(string_to_array(${expr}, NULL)) WITH ORDINALITY AS u(c, i))`;
}
/**
 * Tables at least this big (128 MB) are counted with the server's parallel workers, smaller ones
 * without: measured on the restore's own transaction, a 260 MB table counted in 75 ms with two
 * workers and 140 ms without, a 40 MB one in 20 ms with and 18 ms without (the workers' start).
 */
const PARALLEL_COUNT_BYTES = 128 * 1024 * 1024;
/**
 * Where the prelude keeps the tables that exist when the restore's transaction begins (as a jsonb
 * object keyed by their OIDs), a setting local to that transaction.
 */
const TABLES_BEFORE_SETTING = 'rollback_kit.tables_before_restore';
/**
 * The prelude's first statement: notes every table that exists as the restore's transaction begins,
 * so the row check can tell the tables the restore created (none of these) from those it found.
 */
function tablesBeforeStatement() {
    return (0,db_catalog/* doBlock */.hq)('rk_tables_before', `BEGIN\n  PERFORM set_config(${(0,db_catalog/* quoteLiteral */.ce)(TABLES_BEFORE_SETTING)}, (SELECT coalesce(jsonb_object_agg(oid::text, 1), '{}')::text FROM pg_catalog.pg_class WHERE relkind IN ('r', 'p')), true);\nEND`);
}
/**
 * The epilogue's first statement: in the restore's transaction, before its COMMIT, finds how many
 * rows every table the snapshot holds rows for has, and fails the transaction, naming them, unless
 * each holds the manifest's rows, so rows that never came cannot commit.
 *
 * A table the restore created (not among those tablesBeforeStatement noted) holds exactly the rows
 * this transaction inserted into it less those it deleted: PostgreSQL counts both per table and
 * transaction (pg_stat_get_xact_tuples_inserted/_deleted, TRUNCATE resetting them), so these are read
 * instead of scanning every row again (at 307 MB, 0.13\u20130.28 s of the restore). Those counts are
 * taken only when they agree with the manifest; otherwise, without track_counts (no counts kept), and
 * for a table found there (not created by this restore), the rows are counted in the table itself,
 * so a table whose counts are off never fails a restore whose rows are right. The counts could agree
 * while the table holds fewer rows only if rows were inserted in a subtransaction that was rolled
 * back (their insert still counts), the table was truncated in a subtransaction still open as the
 * check runs, or rows were deleted while a superuser had turned track_counts off. pg_dump's scripts
 * do none of these and restore-db opens no subtransaction: only the database's own code that the
 * restore sets off (an event trigger, a function a CHECK constraint calls) could.
 *
 * `FROM ONLY` for manifests that counted each table's own rows; older ones counted a table with its
 * inheritance children (so those are always counted in the tables). Partitions are compared per
 * partitioned table (PostgreSQL 12 and later): a hash partition on an enum routes rows by the enum's
 * new OIDs, so rows may land in other partitions than they came from. Dynamic SQL per table keeps one
 * plan per table (a UNION ALL of thousands plans slower than it runs; batches of 50 or 200 counts per
 * statement measured no faster). The counts are kept in arrays, which PL/pgSQL appends to in place: a
 * jsonb rebuilt for every table made the check quadratic (at 1,000 small tables, 0.42 s \u2192 0.15 s).
 * A table counted whose rows row-level security hides from the user (row_security_active) fails the
 * check: its count is only what the policies show, and could match the manifest with other rows there.
 */
function rowCheckStatement(manifest, serverMajor) {
    const tables = manifest.tables.filter((t) => t.rows !== null);
    if (!tables.length)
        return '';
    const only = manifest.rowCounts === 'dumped' ? 'ONLY ' : '';
    const values = tables.map((t) => `(${(0,db_catalog/* quoteLiteral */.ce)(t.schema)}, ${(0,db_catalog/* quoteLiteral */.ce)(t.name)}, ${Number(t.rows)}::bigint)`).join(',\n    ');
    const whose = serverMajor >= 12 ? 'coalesce(pg_partition_root(rel), rel)::text' : 'rel::text';
    // Counts of the transaction are trusted only for manifests of each table's own rows.
    const before = only ? `CASE WHEN current_setting('track_counts') = 'on' THEN nullif(current_setting(${(0,db_catalog/* quoteLiteral */.ce)(TABLES_BEFORE_SETTING)}, true), '')::jsonb END` : 'NULL';
    const body = [
        "DECLARE r record; rel regclass; n bigint; keys text[] := '{}'; expected bigint[] := '{}'; restored bigint[] := '{}'; bad text[];",
        "  workers text := current_setting('max_parallel_workers_per_gather');",
        `  found_before jsonb := ${before};`,
        'BEGIN',
        `  FOR r IN SELECT * FROM (VALUES\n    ${values}) AS v(s, t, rows) LOOP`,
        "    rel := format('%I.%I', r.s, r.t)::regclass;",
        '    n := NULL;',
        '    IF found_before IS NOT NULL AND NOT found_before ? rel::oid::text THEN',
        '      n := pg_stat_get_xact_tuples_inserted(rel) - pg_stat_get_xact_tuples_deleted(rel);',
        '    END IF;',
        // Counts that disagree with the manifest are not taken at their word: the table is counted.
        '    IF n IS DISTINCT FROM r.rows THEN',
        // A count the policies cut could match the manifest while the table holds other rows.
        `      IF row_security_active(rel) THEN RAISE EXCEPTION '${ROW_SECURITY_PREFIX}%', ${visibleText('rel::text')}; END IF;`,
        `      PERFORM set_config('max_parallel_workers_per_gather', CASE WHEN pg_relation_size(rel) >= ${PARALLEL_COUNT_BYTES} THEN workers ELSE '0' END, true);`,
        `      EXECUTE format('SELECT count(*) FROM ${only}%s', rel) INTO n;`,
        '    END IF;',
        `    keys := keys || ${whose};`,
        '    expected := expected || r.rows;',
        '    restored := restored || n;',
        '  END LOOP;',
        "  SELECT array_agg(format('%s (%s expected, %s restored)', x.k, x.e, x.got) ORDER BY x.k) INTO bad",
        '    FROM (SELECT u.k, sum(u.e) AS e, sum(u.got) AS got FROM unnest(keys, expected, restored) AS u(k, e, got) GROUP BY u.k) AS x WHERE x.e <> x.got;',
        `  IF bad IS NOT NULL THEN RAISE EXCEPTION '${ROW_CHECK_PREFIX}%', ${visibleText("array_to_string(bad[1:5], ', ') || CASE WHEN cardinality(bad) > 5 THEN format(' and %s more', cardinality(bad) - 5) ELSE '' END")}; END IF;`,
        'END',
    ].join('\n');
    return (0,db_catalog/* doBlock */.hq)('rk_rows', body);
}
/** What put back kept views and materialized views exactly (definition, owner, grants, comments, data): pg_dump of just them. */
async function keptViewsScript(a, env, log) {
    if (!a.plan.keptViews.length)
        return '';
    const pgDump = await (0,pg_tools/* findPgTool */.fh)('pg_dump', a.serverMajor, a.req.tools);
    const args = [`--dbname=${(0,connection/* toolConninfo */.xE)(pgDump.major)}`, '--no-password', `--lock-wait-timeout=${(0,lock_wait/* lockTimeoutMs */.D5)(a.req.lockTimeoutSeconds)}`];
    for (const v of a.plan.keptViews)
        args.push('--table', exactTablePattern(v));
    // While the restore's transaction holds its tables: bounded, and ended by a stop, like psql.
    const boundMs = (0,lock_wait/* lockTimeoutMs */.D5)(a.req.lockTimeoutSeconds) + (a.req.bounds?.keptViewsDumpMs ?? RESTORE_BOUNDS.keptViewsDumpMs);
    // Whole: a view left out of the script would not be put back.
    const dumped = await (0,core_process/* runProcess */.R3)(pgDump.path, args, { env, timeoutMs: boundMs, signal: a.req.signal, wholeStdout: true });
    if (dumped.timedOut) {
        throw new errors/* RollbackKitError */.dp(`Could not save the definitions of the views restore-db keeps: pg_dump did not finish within ${(0,db_session/* seconds */.YA)(boundMs)} s (a connection that stalled?), so it was ended.`, 'Nothing was changed. Check the network path to the database and run again.', UNCHANGED);
    }
    if (dumped.code !== 0) {
        throw new errors/* RollbackKitError */.dp(`Could not save the definitions of the views restore-db keeps: ${log.redact((0,pg_tools/* toolErrorLine */.$x)(dumped.stderr) || 'pg_dump failed')}.`, 'Nothing was changed.', UNCHANGED);
    }
    // Its own SET lock_timeout = 0 would leave the locks its views wait for unbounded.
    return filterScript(dumped.stdout, { unwrap: false, lockTimeout: lockTimeoutStatement(a.req.lockTimeoutSeconds) });
}
/** How a lock cycle's error names the restore's part in it. */
const RESTORE_CYCLE = { held: "the restore's transaction", waited: 'the restore', letGo: 'The restore' };
/** The lock_timeout every statement of the restore runs under. */
const lockTimeoutStatement = (seconds) => `SET lock_timeout = ${(0,lock_wait/* lockTimeoutMs */.D5)(seconds)};`;
/**
 * Starts psql, the lock watcher and pg_restore's reads: their start-up and connections (50\u2013150 ms)
 * overlap the planning instead of following it. Nothing reaches the server before the script is
 * written to `input`, which only happens once the plan is made; a plan that refuses stops them.
 */
async function startRestoreProcesses(p, log) {
    const { req } = p;
    const tag = (0,lock_wait/* sessionTag */.vZ)('restore');
    const env = { ...(0,connection/* libpqEnv */.kY)(req.target), PGAPPNAME: tag };
    const stopPsql = new AbortController();
    const stopRestore = new AbortController();
    const input = new external_node_stream_.PassThrough();
    // Ended by stop() while the script may still be piped into it.
    input.on('error', () => undefined);
    const archiveOut = new external_node_stream_.PassThrough();
    // A session that waits for a table the restore holds while one of ours waits behind it (a DROP
    // behind a reader that now wants to write) would hold every query on that table until
    // lock-timeout: the watcher ends ours at the first sight of it. (The pre-restore snapshot behind an
    // ALTER TABLE is seen by the snapshot's own watcher, which counts psql's sessions as ours.)
    // It connects once the planning session has gone, psql meanwhile: two connections at a time, so
    // that a pooler or role limited to two refuses neither (a watcher refused would watch nothing, and
    // lock_timeout would still bound every wait). No lock is waited for before then.
    let cycle;
    // psql's own session, told by its pid (PSQL_PID): the kept views' pg_dump carries its name too,
    // and comes and goes.
    let psqlPid;
    let psqlRunning = true;
    /** When psql's backend is due: its start plus its connect timeout. */
    let psqlDueAt;
    let stalled;
    const stall = {
        // Until psql has said its pid, its session is the only one named so: the kept views' pg_dump
        // runs once the transaction is open, which psql says after its pid. One gone before psql could
        // say it (its upstream gone while the restore was planned) is then a stall too, not a wait for ever.
        backends: (pids) => (psqlPid === undefined ? pids : pids.filter((pid) => pid === psqlPid)),
        running: () => psqlRunning,
        dueAt: () => psqlDueAt,
        writes: true,
        afterMs: req.stallAfterMs ?? lock_wait/* DEFAULT_STALL_MS */.MX,
        onStall: (goneMs) => {
            stalled = goneMs;
            log.warning(`psql's session has been gone from ${(0,connection/* describeTarget */.ff)(req.target)} for ${Math.round(goneMs / 1000)} s while psql still waits on its connection: ending psql.`);
            stopPsql.abort();
        },
    };
    const watching = p.planningClosed.then(() => (stopped ? (0,lock_wait/* notWatching */.NP)() : (0,lock_wait/* watchBlockers */.v2)(req.target, tag, log, { onCycle: (blockers) => (cycle = blockers), stall, signal: req.signal })));
    // The data goes from pg_restore to psql without passing through Node (restore-data.ts).
    const preparing = p.pgRestore ? prepareDataPath(p.pgRestore.path, p.snapshot) : Promise.resolve(undefined);
    preparing.catch(() => undefined);
    const running = [];
    let stopped;
    const stop = () => (stopped ??= (async () => {
        stopRestore.abort();
        input.end();
        stopPsql.abort();
        // Unread, pg_restore's output would keep its stdout open and its exit unreported (runProcess).
        archiveOut.destroy();
        await Promise.all(running.map((r) => r.catch(() => undefined)));
        await (await preparing.catch(() => undefined))?.remove();
        return (await watching).stop();
    })());
    /** Told once psql has printed TRANSACTION_OPEN. */
    let opened;
    let txid;
    let committed = false;
    // Read a line at a time, none of it kept: it runs on for the whole restore, and the transaction's
    // id never comes before PostgreSQL 10.
    const markers = markerLines((line) => {
        psqlPid ??= Number(markerNumber(line, PSQL_PID)) || undefined;
        txid ??= markerNumber(line, PSQL_TXID);
        if (line === TRANSACTION_OPEN)
            opened?.();
        if (line === COMMITTED)
            committed = true;
    });
    try {
        const psql = await (0,pg_tools/* findPgTool */.fh)('psql', Math.max(p.serverMajor, p.pgRestore?.major ?? 0), req.tools);
        psqlDueAt = Date.now() + (0,connection/* toolConnectMs */.tP)(req.target);
        const applied = (0,core_process/* runProcess */.R3)(psql.path, ['-X', '--no-password', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-', '--dbname', (0,connection/* toolConninfo */.xE)(psql.major)], {
            env,
            stdin: input,
            signal: stopPsql.signal,
            // psql cancels the statement it runs (a lock wait, a COPY) and exits, so the server rolls the
            // transaction back and frees its locks now; after SIGTERM the server would go on until the
            // statement ended, holding them. One that has not ended a grace later (its cancel request
            // sent over a network that stalled) is killed (runProcess's KILL_GRACE_MS): its connection
            // then closes, and the server rolls the transaction back as soon as it sees that.
            killSignal: 'SIGINT',
            onStdout: markers.push,
        });
        void applied.finally(() => (psqlRunning = false)).catch(() => undefined);
        running.push(applied);
        const open = (statements) => {
            const isOpen = new Promise((resolve) => {
                opened = () => {
                    opened = undefined;
                    resolve(true);
                };
                applied.then(() => resolve(false), () => resolve(false));
            });
            // Its session's pid first, for the stall watch: said before anything can wait.
            // And, in the transaction, its id (txid_status: PostgreSQL 10 and later).
            const txidLines = p.serverMajor >= 10 ? `SELECT txid_current() AS rk_txid \\gset\n\\echo '${PSQL_TXID}' :rk_txid\n` : '';
            input.write(`SELECT pg_backend_pid() AS rk_psql_pid \\gset\n\\echo '${PSQL_PID}' :rk_psql_pid\n${statements.join('\n')}\n${txidLines}\\echo '${TRANSACTION_OPEN}'\n`);
            return isOpen;
        };
        log.debug(`Started psql (${psql.path}) for the restore: it runs nothing until restore-db writes its script, once the restore is planned.`);
        const watch = await watching;
        let data = await preparing;
        if (data && !watch.watching) {
            // Its script sets lock_timeout = 0, and only the watcher would bound its lock waits.
            await data.remove();
            data = undefined;
        }
        // A second more than lock_timeout: elsewhere in the script lock_timeout ends a wait first.
        if (data)
            watch.cancelWaitsAfter(req.lockTimeoutSeconds + 1);
        let restoring;
        let loading;
        // --verbose also reports every entry on stderr ("pg_restore: creating TABLE \u2026", a name that may
        // read "error"): its errors are kept apart, whatever the size of the rest.
        const verbose = verboseErrors();
        if (p.pgRestore) {
            const rest = data ? ['--verbose', '--use-list', data.restList] : [];
            restoring = (0,core_process/* runProcess */.R3)(p.pgRestore.path, ['--single-transaction', ...(req.clean ? ['--clean', '--if-exists'] : []), ...rest, '--file', '-', p.snapshot], {
                stdout: archiveOut,
                signal: stopRestore.signal,
                onStderr: data ? verbose.add : undefined,
            });
            running.push(restoring);
        }
        if (p.pgRestore && data) {
            // Without --single-transaction: it writes no BEGIN or COMMIT of its own, and psql runs it in the restore's transaction.
            loading = (0,core_process/* runProcess */.R3)(p.pgRestore.path, ['--use-list', data.dataList, '--file', data.fifo, p.snapshot], { signal: stopRestore.signal });
            running.push(loading);
            // A data read that failed ends psql at once: it may be waiting for the FIFO, and nothing can commit.
            void loading.then((r) => {
                if (r.code !== 0 && !stopRestore.signal.aborted)
                    stopPsql.abort();
            }, () => undefined);
        }
        for (const r of running)
            r.catch(() => undefined);
        return { env, tag, watch, cycle: () => cycle, stalled: () => stalled, txid: () => txid, committed: () => committed, data, input, applied, stopPsql, stopRestore, archiveOut, restoring, loading, verbose, open, stop };
    }
    catch (err) {
        await stop();
        throw err;
    }
}
/** psql prints this, then its session's pid, before anything else. */
const PSQL_PID = 'rollback-kit: restore session';
/** psql prints this, then the restore transaction's id, once it has begun it. */
const PSQL_TXID = 'rollback-kit: restore transaction';
/** psql prints this once the restore's transaction is open and holds its tables' locks. */
const TRANSACTION_OPEN = 'rollback-kit: restore transaction open';
/** Tables locked per statement: one LOCK names many, a few hundred keep each statement small. */
const restore_LOCK_BATCH = 500;
/**
 * EXCLUSIVE locks on every table the restore drops and creates again (partitions go with their
 * table): no row can be written to them, or locked for update, until the restore's transaction
 * ends, while pg_dump's ACCESS SHARE, and so the pre-restore snapshot, goes on. Views, sequences
 * and materialized views hold no rows a writer adds (a view's writes land in its tables).
 */
function lockStatements(plan) {
    const tables = plan.dropped.filter((r) => r.relkind === 'r' || r.relkind === 'p').map((r) => (0,db_catalog/* qualified */.LX)(r.schema, r.name));
    const out = [];
    for (let at = 0; at < tables.length; at += restore_LOCK_BATCH)
        out.push(`LOCK TABLE ${tables.slice(at, at + restore_LOCK_BATCH).join(', ')} IN EXCLUSIVE MODE;`);
    return out;
}
/**
 * Opens the restore's transaction in psql and locks the tables it replaces (lockStatements), before
 * the pre-restore snapshot is taken: a row committed before the lock is in that snapshot, and a
 * writer after it waits for the restore, so no committed row can fall between the two. Its waits are
 * bounded by lock_timeout, and watched; the session must outlive the snapshot while it waits idle in
 * its transaction, whatever idle_in_transaction_session_timeout the role has. When it fails, psql
 * has ended and nothing was changed.
 */
async function openTransaction(p, plan, req, where, log) {
    const locks = lockStatements(plan);
    if (locks.length)
        log.info(`Locking the ${plan.dropped.filter((r) => r.relkind === 'r' || r.relkind === 'p').length} table(s) the restore replaces against writes (reads go on): writers wait until the restore ends \u2026`);
    const statements = ['BEGIN;', lockTimeoutStatement(req.lockTimeoutSeconds), 'SET idle_in_transaction_session_timeout = 0;', 'SET client_min_messages = warning;', ...locks];
    if (await p.open(statements))
        return;
    const applied = await p.applied.catch((err) => ({ code: null, signal: null, stdout: '', stderr: err.message, timedOut: false }));
    const blockers = await p.stop();
    const stalled = p.stalled();
    if (stalled !== undefined)
        throw restoreStalled(where, stalled, false, '');
    const error = psqlError(applied.stderr, log);
    if ((0,lock_wait/* isLockTimeout */.Td)(error) || p.watch.cancelled())
        throw (0,lock_wait/* lockTimeoutError */.rB)(`Restore into ${where}`, req.lockTimeoutSeconds, blockers, 'Nothing was changed.', log, UNCHANGED);
    const reason = error || (applied.signal ? `psql ended by ${applied.signal}` : 'psql exited');
    throw new errors/* RollbackKitError */.dp(`Restore into ${where} failed before it changed anything: ${log.redact(reason).replace(/\.$/, '')}.`, 'Nothing was changed.', UNCHANGED);
}
/**
 * Runs the whole restore through the psql session `processes` started, in one transaction, ending
 * with the row check (rowCheckStatement) and a COMMIT written only once the snapshot's bytes are
 * known to be the manifest's. Throws (nothing changed) when it did not commit. Stops the processes
 * before it returns or throws.
 */
async function applySnapshot(a, processes, log) {
    const { req } = a;
    const { env, watch, data, stopPsql, restoring, loading, verbose } = processes;
    const where = (0,connection/* describeTarget */.ff)(req.target);
    const lockTimeout = lockTimeoutStatement(req.lockTimeoutSeconds);
    let views;
    try {
        views = await keptViewsScript(a, env, log);
    }
    catch (err) {
        await processes.stop();
        throw err;
    }
    const script = restoreScript({
        // openTransaction began it and set lock_timeout; the snapshot's own SET lock_timeout = 0 is
        // replaced by that one too (lockTimeout below).
        opened: true,
        prelude: [
            tablesBeforeStatement(),
            LEDGER.first,
            ...(req.inTransaction?.first ?? []),
            // Before anything is created: the snapshot's grants and revokes assume pg_dump's baseline (restore-privileges.ts).
            setAsideDefaultPrivileges('before'),
            resetSchemaPrivileges(a.manifest.filter.schemas, a.manifest.pgDump.major),
            ...(dropsFirst(req, a.manifest) ? dropStatements(a.plan) : []),
        ],
        source: a.pgRestore ? processes.archiveOut : (0,external_node_fs_.createReadStream)(a.snapshot),
        unwrap: Boolean(a.pgRestore),
        lockTimeout,
        leaveDefaultPrivilegesOf: a.notMemberOf,
        leaveSchemaOwners: new Set(a.owners.deferred.map((o) => o.statement)),
        onLeftOut: (statement) => a.leftOut.add(Buffer.from(statement, 'latin1').toString('utf8')),
        sourceDone: async () => {
            for (const read of [restoring, loading]) {
                if (!read)
                    continue;
                const r = await read;
                if (r.code === 0)
                    continue;
                // A file that changed is reported as changed, even when pg_restore also failed on it.
                await a.bytesChecked();
                throw (0,archive/* corruptSnapshot */.gw)(a.snapshot, (0,pg_tools/* toolErrorLine */.$x)(read === restoring && data ? verbose.text() : r.stderr) || 'pg_restore could not read it in full');
            }
        },
        // The data's own script sets lock_timeout = 0 at its top: the restore's is set again after it.
        dataAt: data && { before: data.before, statements: [`\\i ${data.fifo}`, lockTimeout] },
        // lock_timeout once more, should a script set it some other way than pg_dump's own line.
        // The snapshot's own default privileges (end of its script) set aside too while kept views are re-created.
        // The rows are checked first, as the snapshot's script left them: before a kept partition is
        // attached, whose rows a count of its partitioned table (older manifests) would include.
        epilogue: [
            lockTimeout,
            rowCheckStatement(a.manifest, a.serverMajor),
            setAsideDefaultPrivileges('restored'),
            ...attachStatements(a.plan),
            views,
            ...foreignKeyStatements(a.plan),
            // Once everything is created in them: the snapshot's owners get their schemas back.
            ...giveBackSchemas(a.owners.deferred, a.contents.schemaGrants, a.manifest.pgDump.major),
            putBackDefaultPrivileges(),
            PROGRESS,
            LEDGER.last,
            ...(req.inTransaction?.last ?? []),
        ],
        // Throws (and so never commits) when the bytes restored are not the snapshot's, or the
        // pre-restore snapshot could not be kept.
        beforeCommit: async () => {
            await a.bytesChecked();
            await a.kept;
            a.progress.commitWritten = true;
        },
    });
    let feedError;
    script.on('error', (err) => {
        // No COMMIT was written: ending psql now makes the server roll the transaction back.
        feedError = err;
        stopPsql.abort();
    });
    // From here psql runs the restore, and the snapshot's bytes are hashed beside it.
    script.pipe(processes.input);
    void a.bytesChecked();
    let applied;
    try {
        applied = await processes.applied;
    }
    finally {
        script.destroy();
    }
    const blockers = await processes.stop();
    // A data read that failed on its own (not ended by us) is why psql failed, whatever psql says:
    // its script stopped part way, in restricted mode or inside COPY data.
    const loaded = loading && (await loading.catch(() => undefined));
    if (loaded && loaded.code !== 0 && loaded.code !== null) {
        // A file that changed is reported as changed, even when pg_restore also failed on it.
        feedError = await a.bytesChecked().then(() => (0,archive/* corruptSnapshot */.gw)(a.snapshot, (0,pg_tools/* toolErrorLine */.$x)(loaded.stderr) || 'pg_restore could not read it in full'), (err) => err);
    }
    if (applied.code === 0 && !feedError && processes.committed())
        return;
    const state = 'The restore ran in one transaction, so the database is as it was before.';
    const undo = a.preRestoreSnapshotPath ? ` The state before is also kept in ${a.preRestoreSnapshotPath}.` : '';
    const stalled = processes.stalled();
    if (stalled !== undefined) {
        // Its session is gone, and with it the transaction: the server's record of it says how it ended.
        const status = a.progress.commitWritten ? await transactionStatus(req.target, processes.txid(), log) : 'aborted';
        if (status === 'committed') {
            log.warning(`psql's connection stalled after the COMMIT (its session gone from the server for ${Math.round(stalled / 1000)} s), so psql was ended; the server records the restore's transaction as committed: the restore is done.`);
            return;
        }
        throw restoreStalled(where, stalled, status === 'aborted' ? false : a.progress.commitWritten, undo);
    }
    // psql stopped by restore-db (stop(): SIGINT) reports the cancel it sent; the reason is ours (feedError).
    // psql says "Cancel request sent" when it sends it, and nothing more when no statement was running.
    const stderr = stopPsql.signal.aborted ? applied.stderr.replace(/^Cancel request sent\n?/gm, '') : applied.stderr;
    const ownCancel = stopPsql.signal.aborted && !watch.cancelled() && (/canceling statement due to user request/.test(stderr) || !stderr.trim());
    const error = ownCancel ? '' : psqlError(stderr, log);
    // A COMMIT that failed says so (ERROR); one psql was ended during may have committed.
    if (a.progress.commitWritten && !/^(ERROR|FATAL):/m.test(applied.stderr.replace(/^psql:[^:]*:\d+:\s*/gm, ''))) {
        throw new errors/* RollbackKitError */.dp(`Restore into ${where} may or may not have committed: psql ${applied.signal ? `was ended by ${applied.signal}` : 'ended'} after it was sent the COMMIT, without saying whether it committed.`, `Check the database before anything else: if its tables hold the rows the snapshot's manifest counts, the restore committed.${undo}`, { changed: 'unknown' });
    }
    if (error.startsWith(ROW_CHECK_PREFIX)) {
        throw new errors/* RollbackKitError */.dp(`Restore into ${where} was rolled back: the tables did not hold the rows the snapshot holds before the commit: ${log.redact(error.slice(ROW_CHECK_PREFIX.length)).replace(/\.$/, '')}.`, `${state}${undo} The snapshot and its manifest disagree: take or pick another snapshot, and report this if it repeats.`, UNCHANGED);
    }
    if (error.startsWith(ROW_SECURITY_PREFIX)) {
        const who = (0,db_catalog/* quoteIdent */.v4)(req.target.user);
        throw new errors/* RollbackKitError */.dp(`Restore into ${where} was rolled back: row-level security hides rows of table ${log.redact(error.slice(ROW_SECURITY_PREFIX.length)).replace(/\.$/, '')} from user ${who}, so whether it holds the snapshot's rows could not be checked.`, `${state}${undo} Let user ${who} bypass row-level security (ALTER ROLE ${who} BYPASSRLS;), or restore as a superuser, then run again.`, UNCHANGED);
    }
    if ((0,lock_wait/* isLockTimeout */.Td)(error) || watch.cancelled())
        throw (0,lock_wait/* lockTimeoutError */.rB)(`Restore into ${where}`, req.lockTimeoutSeconds, blockers, `${state}${undo}`, log, UNCHANGED);
    if (feedError instanceof errors/* RollbackKitError */.dp && (!error || loaded?.code))
        throw new errors/* RollbackKitError */.dp(log.redact(feedError.message), `${feedError.hint ? `${feedError.hint} ` : ''}${state}${undo}`, UNCHANGED);
    const reason = error || (feedError instanceof Error ? feedError.message : '') || (applied.signal ? `psql ended by ${applied.signal}` : 'psql exited before the restore committed');
    throw new errors/* RollbackKitError */.dp(`Restore into ${where} failed: ${log.redact(reason).replace(/\.$/, '')}.`, `${state}${undo}${advice(reason, a.plan, req.target.user, dropsFirst(req, a.manifest))}`, UNCHANGED);
}
/**
 * How the restore's transaction `txid` ended, asked on a connection of its own once psql's session is
 * gone: 'committed', 'aborted', or undefined when that cannot be told (no txid, an older server, no answer).
 */
async function transactionStatus(target, txid, log) {
    if (txid === undefined)
        return undefined;
    try {
        const status = await (0,db_session/* withSession */.fQ)(target, async (s) => (await s.query('SELECT txid_status($1::bigint) AS status', [txid])).rows[0].status, {
            queryDeadline: { statementMs: 10_000, marginMs: 5_000 },
        });
        return status === 'committed' || status === 'aborted' ? status : undefined;
    }
    catch (err) {
        log.debug(`Could not ask whether the restore's transaction committed: ${err.message}`);
        return undefined;
    }
}
/**
 * psql's connection stalled (lock-wait.ts StallWatch): its session had been gone from the server for
 * `goneMs` while psql still waited on it, so psql was ended. A session that has gone has no
 * transaction left: before its COMMIT was sent, nothing of the restore was applied; after, the
 * COMMIT may have reached the server before the connection stalled.
 */
function restoreStalled(where, goneMs, commitWritten, undo) {
    const what = `psql's connection stalled: its session had been gone from the server for ${Math.round(goneMs / 1000)} s (seen from a separate connection) while psql still waited on it, so psql was ended`;
    if (commitWritten) {
        return new errors/* RollbackKitError */.dp(`Restore into ${where} may or may not have committed: ${what}, after it was sent the COMMIT.`, `Check the database before anything else: if its tables hold the rows the snapshot's manifest counts, the restore committed.${undo} ${lock_wait/* STALL_CAUSE */.F_} before running again.`, { changed: 'unknown' });
    }
    return new errors/* RollbackKitError */.dp(`Restore into ${where} stopped: ${what}. Its transaction ended with its session, before any COMMIT was sent, so nothing of the restore was applied: the database is as it was before.`, `${lock_wait/* STALL_CAUSE */.F_} and run again.${undo}`, UNCHANGED);
}
/**
 * The pre-restore snapshot's pg_dump stalled (lock-wait.ts StallWatch) and was ended: the restore
 * stops there, before its script is sent, and its transaction (locks only) rolls back with psql.
 */
function preRestoreStalled(where, goneMs) {
    return new errors/* RollbackKitError */.dp(`Restore into ${where} stopped before it changed anything, in its pre-restore snapshot: ${dumpStalled(goneMs)}, and what it had written was removed. Nothing of the restore was applied: the database was not changed.`, `${lock_wait/* STALL_CAUSE */.F_} and run again.`, UNCHANGED);
}
/**
 * Whether the restore drops the snapshot's objects that exist before it creates them: with clean, and
 * always for a plain script, which carries its own DROP \u2026 IF EXISTS (a DROP INDEX names no table, so
 * it would take another table's index of that name): planned and checked as clean is.
 */
function dropsFirst(req, manifest) {
    return req.clean || manifest.format === 'plain';
}
/** What to change, for the failures whose cause is known. */
function advice(reason, plan, user, clean) {
    // Without clean the snapshot's script creates into what is there (refuseExistingWithoutClean names what it can see first).
    if (!clean && /already exists/.test(reason)) {
        return ` clean is false, so the restore does not drop the snapshot's objects before its script creates them, and one of them is already there. ${WITHOUT_CLEAN_WAY}`;
    }
    if (/violates foreign key constraint/.test(reason) && plan.keptForeignKeys.length) {
        return ' Rows of tables the snapshot does not have point at rows it does not have, so their foreign keys cannot be re-created: delete those rows (or the foreign key), then run again.';
    }
    if (/cannot drop .+ because other objects depend on it/.test(reason)) {
        return ' Objects the snapshot does not have (the DETAIL names them) use a type, function, operator or other object the snapshot re-creates, so it cannot be replaced under them. Drop those objects (or undo their migration with run-down-migrations) and run again; do not drop with CASCADE, which takes their columns and rows with it.';
    }
    if (plan.keptPartitions.length && /partition|not found in parent/i.test(reason)) {
        return ` A partition the snapshot does not have (${plan.keptPartitions.map((p) => p.partition).join(', ')}) could not be attached to the restored table. Detach it yourself (ALTER TABLE <table> DETACH PARTITION <partition>): it then stays as a table of its own with its rows, and the restore leaves it as it is. Then run again.`;
    }
    // What the restore drops and creates again, and the schemas it creates, are checked while it is
    // planned (requireRestorePrivileges); what else its script changes (a schema's comment, say) is not.
    if (/must be owner of|permission denied for/.test(reason)) {
        return ` User "${user}" may not drop or create an object of the snapshot: the restore drops what the snapshot holds and creates it again, which PostgreSQL lets only its owner (a member of the owning role, or a superuser) do. Restore as the role that owns them (the one the migrations run as), or GRANT that role TO "${user}", then run again.`;
    }
    // A transaction that touches every table needs a lock for each.
    if (!/max_locks_per_transaction|out of shared memory/i.test(reason))
        return '';
    return ' A one-transaction restore holds a lock on every table, index and sequence it drops or creates: raise max_locks_per_transaction (a server setting; it takes a restart) so that max_locks_per_transaction \u00d7 max_connections covers them, then run again.';
}


/***/ }),

/***/ 14441:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   GM: () => (/* binding */ dropConnection),
/* harmony export */   Ng: () => (/* binding */ connect),
/* harmony export */   QE: () => (/* binding */ ConnectStopped),
/* harmony export */   Vu: () => (/* binding */ closeSession),
/* harmony export */   YA: () => (/* binding */ seconds),
/* harmony export */   fQ: () => (/* binding */ withSession),
/* harmony export */   q1: () => (/* binding */ QueryDeadlineExceeded),
/* harmony export */   ur: () => (/* binding */ closeAtStop)
/* harmony export */ });
/* unused harmony exports ConnectionError, withQueryDeadline, standardConformingStrings, connectionError */
/* harmony import */ var node_stream__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(57075);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(53867);
/* harmony import */ var _connection_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(401);
/**
 * Opening a database session, with PostgreSQL's and the network's failures turned into messages
 * that name the target (host:port/db) and say what to check. Never includes the password.
 */



/**
 * A failure to open a session; `code` keeps the driver's or PostgreSQL's code (ECONNREFUSED, 28P01, \u2026),
 * `fromServer` whether PostgreSQL (or a pooler in front of it) answered the startup with an error or
 * a refusal of SSL, rather than the network failing.
 */
class ConnectionError extends _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .RollbackKitError */ .dp {
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
class ConnectStopped extends _core_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .RollbackKitError */ .dp {
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
    return value instanceof node_stream__WEBPACK_IMPORTED_MODULE_0__.Readable || value instanceof node_stream__WEBPACK_IMPORTED_MODULE_0__.Writable;
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
                dropConnection(client);
                result.destroy(new QueryDeadlineExceeded(ms, statements, deadline.marginMs));
            }, ms);
            (0,node_stream__WEBPACK_IMPORTED_MODULE_0__.finished)(result, () => clearTimeout(timer));
            return result;
        }
        if (!isPromise(result))
            return result;
        let timer;
        const expired = new Promise((_, reject) => {
            timer = setTimeout(() => {
                dropConnection(client);
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
async function connect(target, opts = {}) {
    try {
        const session = await openWithOptions(target, (0,_connection_js__WEBPACK_IMPORTED_MODULE_2__/* .pgClientConfig */ .f3)(target, opts), opts);
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
    if (!opts.readOnly || (0,_connection_js__WEBPACK_IMPORTED_MODULE_2__/* .isTransactionPooler */ .ex)(target))
        return open(target, config, opts.signal, opts.onAsked);
    try {
        // After the URL's own options, so that a `-c default_transaction_read_only=off` there loses.
        return await open(target, { ...config, options: [config.options, READ_ONLY_OPTION].filter(Boolean).join(' ') }, opts.signal, opts.onAsked);
    }
    catch (err) {
        // Poolers such as pgbouncer refuse startup parameters they do not know. The caller's own
        // READ ONLY transaction still holds there; the session default is a second line only.
        if (err instanceof ConnectionError && /unsupported startup parameter/i.test(err.message))
            return open(target, config, opts.signal, opts.onAsked);
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
            return (await __nccwpck_require__.e(/* import() */ 849).then(__nccwpck_require__.bind(__nccwpck_require__, 83849))).default;
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
async function open(target, config, signal, onAsked) {
    const { Client } = await loadDriver();
    if (signal?.aborted)
        throw new ConnectStopped((0,_connection_js__WEBPACK_IMPORTED_MODULE_2__/* .describeTarget */ .ff)(target));
    const client = new Client(config);
    // A dropped connection must surface on the next query, not crash the process.
    client.on('error', () => undefined);
    // Before connecting: the server reports every parameter's starting value during the startup.
    keepReportedParameters(client);
    // As pg's own connect timeout ends an attempt: the socket closed, so connect() fails at once.
    const giveUp = () => dropConnection(client);
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
            throw new ConnectStopped((0,_connection_js__WEBPACK_IMPORTED_MODULE_2__/* .describeTarget */ .ff)(target));
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
function closeSession(session) {
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
function dropConnection(session) {
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
    const close = () => dropConnection(session);
    if (signal.aborted)
        close();
    else
        signal.addEventListener('abort', close, { once: true });
    return () => signal.removeEventListener('abort', close);
}
/** Runs `fn` with a session and always closes it. */
async function withSession(target, fn, opts = {}) {
    const session = await connect(target, opts);
    try {
        return await fn(session);
    }
    finally {
        closeSession(session);
    }
}
function connectionError(target, err) {
    const where = (0,_connection_js__WEBPACK_IMPORTED_MODULE_2__/* .describeTarget */ .ff)(target);
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
            return fail(`PostgreSQL at ${where} rejected the password for user "${target.user}".`, `Check the password in database-url: ${(0,_connection_js__WEBPACK_IMPORTED_MODULE_2__/* .passwordHint */ .Vo)(target)}.`);
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
        return fail(`PostgreSQL at ${where} asks user "${target.user}" for a password, and database-url has none.`, target.keyValue ? `Put the password in database-url: ${(0,_connection_js__WEBPACK_IMPORTED_MODULE_2__/* .passwordHint */ .Vo)(target)}.` : 'Put the password in database-url (postgres://user:password@host/db, percent-encoded).', true);
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


/***/ }),

/***/ 17614:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   bS: () => (/* binding */ SqlLexer),
/* harmony export */   hh: () => (/* binding */ blankSql)
/* harmony export */ });
/* unused harmony export sqlParts */
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


/***/ }),

/***/ 81260:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   _n: () => (/* binding */ requireArtifactRuntime),
/* harmony export */   eh: () => (/* binding */ uploadSnapshotArtifact),
/* harmony export */   lx: () => (/* binding */ readUploadChoice)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(51455);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(76760);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(53867);
/** Uploading a snapshot as a workflow artifact, so it outlives the runner that took it. */



async function filesOf(path) {
    const info = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.stat)(path);
    if (!info.isDirectory())
        return [path];
    const out = [];
    for (const entry of await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readdir)(path))
        out.push(...(await filesOf((0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(path, entry))));
    return out;
}
/**
 * An `upload-artifact` input that may be `auto`: `asked` (true: upload, and fail without the
 * runtime), `auto` (upload, since the step runs on GitHub Actions with its artifact runtime), or
 * `no` (false, or auto anywhere else).
 */
function readUploadChoice(raw, onGitHub) {
    const value = (raw ?? '').trim().toLowerCase();
    if (value === '' || value === 'auto')
        return onGitHub ? 'auto' : 'no';
    if (value === 'true')
        return 'asked';
    if (value === 'false')
        return 'no';
    throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`Input upload-artifact must be true, false or auto, got "${raw}".`, 'auto (the default) uploads when the step runs on GitHub Actions.');
}
/**
 * Checked before any work: an upload that cannot happen should not wait for a long dump to say so.
 * `step` says what was not done in its words: snapshot-db dumped nothing; restore-db (whose input
 * may also be `auto`) changed nothing.
 */
function requireArtifactRuntime(available, step) {
    if (available)
        return;
    const what = 'upload-artifact needs the GitHub Actions runtime (ACTIONS_RUNTIME_TOKEN), which this run does not have.';
    if (step === 'snapshot')
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(what, 'Run inside a GitHub Actions job, or set upload-artifact: false. Nothing was dumped.');
    throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(what, 'Run inside a GitHub Actions job, or set upload-artifact: auto (uploads only when the step runs on GitHub Actions) or false. Nothing was changed: the restore did not start.', { changed: 'no' });
}
/**
 * Uploads the snapshot, its manifest and any exports under one artifact named after the snapshot.
 * No blocked-port check (core/blocked-port.ts) here: @actions/artifact sends through node:http,
 * which connects to the ports fetch refuses (test/db/upload-artifact-port.test.ts).
 */
async function uploadSnapshotArtifact(paths, retentionDays) {
    const name = (0,node_path__WEBPACK_IMPORTED_MODULE_1__.basename)(paths[0]);
    const files = (await Promise.all(paths.map(filesOf))).flat();
    try {
        // Loaded only when asked for: it is most of the bundle and slows every cold start.
        const { DefaultArtifactClient } = await __nccwpck_require__.e(/* import() */ 858).then(__nccwpck_require__.bind(__nccwpck_require__, 43858));
        const { id, size } = await new DefaultArtifactClient().uploadArtifact(name, files, (0,node_path__WEBPACK_IMPORTED_MODULE_1__.dirname)(paths[0]), retentionDays ? { retentionDays } : {});
        return { name, id, size };
    }
    catch (err) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(`Uploading artifact ${name} failed: ${err.message}; the snapshot is kept at ${paths[0]}.`, 'Retry the job, or download nothing and use the path on this runner.');
    }
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
var sorted = __nccwpck_require__(55915);
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

/***/ 84675:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  n1: () => (/* binding */ keptSnapshot),
  Eo: () => (/* binding */ preRestoreSnapshotDetails),
  rk: () => (/* binding */ restoreSummary)
});

// UNUSED EXPORTS: discardedList

// EXTERNAL MODULE: ./.build/core/secrets.js
var secrets = __nccwpck_require__(79205);
// EXTERNAL MODULE: ./.build/db/restore-discarded.js
var restore_discarded = __nccwpck_require__(90429);
// EXTERNAL MODULE: ./.build/report/markdown.js + 1 modules
var markdown = __nccwpck_require__(6479);
// EXTERNAL MODULE: ./.build/core/files.js
var files = __nccwpck_require__(32019);
;// CONCATENATED MODULE: ./.build/report/runner-temp.js
/**
 * The warning for a snapshot left only under RUNNER_TEMP and not uploaded: GitHub deletes that
 * folder when the job ends, so a step that reports success there would otherwise leave nothing to
 * restore from. restore-db's pre-restore snapshot and snapshot-db's say it in the same words.
 */

/**
 * `what`: the snapshot's name ("pre-restore snapshot"); `of`: what it is the only copy of; `toKeep`:
 * the step's own ways to keep it, before the one every step has (copy it in a later step).
 * Undefined when `path` is not under `runnerTemp`.
 */
function deletedWithJobWarning(path, runnerTemp, words) {
    if (!(0,files/* isInside */.FK)(path, runnerTemp))
        return undefined;
    return (`The ${words.what} ${path} is the only copy of ${words.of}, and it is in RUNNER_TEMP, which GitHub deletes when this job ends. ` +
        `To keep it, ${words.toKeep}, or copy it in a later step of this job with if: always().`);
}

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

;// CONCATENATED MODULE: ./.build/report/restore-db-summary.js





/** How a pre-restore snapshot at `path` is kept before any upload: under RUNNER_TEMP, it goes when the job ends. */
function keptSnapshot(path, runnerTemp) {
    const deletedWithJob = deletedWithJobWarning(path, runnerTemp, {
        what: 'pre-restore snapshot',
        of: 'the database as it was before this restore',
        toKeep: 'set upload-artifact: true (auto uploads it whenever the step runs on GitHub Actions), or pre-restore-dir to a lasting place',
    });
    return deletedWithJob ? { path, deletedWithJob } : { path };
}
function keptCell(k, path) {
    if (!path)
        return 'not taken (pre-restore-snapshot: false)';
    if (k?.artifact)
        return `${(0,markdown/* codeSpan */.SS)(path)}, uploaded as artifact ${(0,markdown/* codeSpan */.SS)(k.artifact)}${k.retentionDays ? ` (kept ${k.retentionDays} days)` : ''}`;
    if (k?.deletedWithJob)
        return `${(0,markdown/* codeSpan */.SS)(path)}, on this runner only: **deleted when this job ends**`;
    return (0,markdown/* codeSpan */.SS)(path);
}
/**
 * What a restore discards (restore-discarded.ts) as a Markdown list, one line a column or object with
 * what creates it again: restore-db's summary and the whole rollback's write it the same way.
 */
function discardedList(discarded) {
    return discarded
        .flatMap((t) => [
        ...t.columns.map((c) => `- ${(0,markdown/* codeSpan */.SS)(t.table)}: column ${(0,markdown/* codeSpan */.SS)((0,restore_discarded/* describeColumn */["in"])(c))}`),
        ...t.objects.map((o) => `- ${(0,markdown/* codeSpan */.SS)(t.table)}: ${o.kind} ${(0,markdown/* codeSpan */.SS)(o.name)}: ${(0,markdown/* codeSpan */.SS)(o.definition)}`),
    ])
        .join('\n');
}
/** With `log`, the result is redacted before anything is escaped (see redactDeep): the target's name is the connection string's. */
function restoreSummary(input, kept, log) {
    const r = log ? (0,secrets/* redactDeep */.KL)(input, log.redact) : input;
    const parts = [
        `## Restore of ${(0,markdown/* text */.Qq)(r.target)} from snapshot: verified`,
        (0,markdown/* table */.tp)(['', ''], [
            ['Snapshot', `${(0,markdown/* codeSpan */.SS)(r.snapshotPath)} (taken ${(0,markdown/* text */.Qq)(r.snapshotTakenAt)})`],
            ['Snapshot of', `${(0,markdown/* text */.Qq)(r.source)}${r.fromAnotherDatabase ? ' \u2014 **another database** (from-another-database: true)' : ''}`],
            ['Restored into', (0,markdown/* text */.Qq)(r.targetIdentity)],
            ['Pre-restore snapshot', keptCell(kept, r.preRestoreSnapshotPath)],
            ['Tables restored', String(r.tablesRestored)],
            ['Mode', r.mode],
            ['Time', formatDuration(r.durationMs)],
        ]),
    ];
    if (r.fewerRows.length) {
        const rows = r.fewerRows.map((f) => `- ${(0,markdown/* codeSpan */.SS)(f.table)}: ${f.before - f.restored} row(s) discarded (${f.before} before, ${f.restored} restored)`);
        parts.push(`### Rows the restore discarded\n\n${rows.join('\n')}\n\nThey are in the pre-restore snapshot ${(0,markdown/* codeSpan */.SS)(r.preRestoreSnapshotPath)}, with every row changed since the snapshot was taken (those were replaced too).`);
    }
    else if (r.preRestoreSnapshotPath) {
        parts.push(`No table holds fewer rows than before the restore; rows changed since the snapshot was taken were replaced, and are in the pre-restore snapshot ${(0,markdown/* codeSpan */.SS)(r.preRestoreSnapshotPath)}.`);
    }
    if (r.discarded.length) {
        const kept = r.preRestoreSnapshotPath ? `Their values and definitions are in the pre-restore snapshot ${(0,markdown/* codeSpan */.SS)(r.preRestoreSnapshotPath)}.` : 'No pre-restore snapshot was taken: those values are not kept anywhere.';
        parts.push(`### Columns and objects the restore discarded (added to snapshot tables since the snapshot)\n\n${discardedList(r.discarded)}\n\n${kept} Create again what is still wanted.`);
    }
    if (r.restoredEmpty.length) {
        parts.push(`### Restored without rows (the snapshot left their data out)\n\n${r.restoredEmpty.map((t) => `- ${(0,markdown/* codeSpan */.SS)(t)}`).join('\n')}\n\nTheir rows from before the restore are in the pre-restore snapshot.`);
    }
    if (r.extraTables.length) {
        parts.push(`### Tables the snapshot does not have (left as they are)\n\n${r.extraTables.map((t) => `- ${(0,markdown/* codeSpan */.SS)(t)}`).join('\n')}`);
    }
    if (r.extraSchemas.length) {
        parts.push(`### Schemas the snapshot does not have (left as they are)\n\n${r.extraSchemas.map((t) => `- ${(0,markdown/* codeSpan */.SS)(t)}`).join('\n')}`);
    }
    if (kept?.deletedWithJob)
        parts.push(`> **Warning:** ${(0,markdown/* text */.Qq)(kept.deletedWithJob)}`);
    if (r.preRestoreSnapshotPath) {
        const from = kept?.artifact ? ` (artifact ${(0,markdown/* codeSpan */.SS)(kept.artifact)})` : '';
        parts.push(`To undo this restore, restore ${(0,markdown/* codeSpan */.SS)(r.preRestoreSnapshotPath)}${from} the same way.`);
    }
    return parts.join('\n\n') + '\n';
}
/** A restore that failed after its pre-restore snapshot was taken: where the way back is, and whether it lasts. */
function preRestoreSnapshotDetails(k) {
    const parts = [`Pre-restore snapshot (the database as it was before this step): ${keptCell(k, k.path)}.`];
    if (k.deletedWithJob)
        parts.push(`> **Warning:** ${(0,markdown/* text */.Qq)(k.deletedWithJob)}`);
    return parts.join('\n\n');
}


/***/ }),

/***/ 44039:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   S: () => (/* binding */ writeSummary)
/* harmony export */ });
/* harmony import */ var _core_actions_core_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(73475);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(53867);
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


/***/ }),

/***/ 89635:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   L: () => (/* binding */ issueCommand)
/* harmony export */ });
/* unused harmony export issue */
/* harmony import */ var os__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(70857);
/* harmony import */ var _utils_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(4679);


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
    process.stdout.write(cmd.toString() + os__WEBPACK_IMPORTED_MODULE_0__.EOL);
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
    return (0,_utils_js__WEBPACK_IMPORTED_MODULE_1__/* .toCommandValue */ .E)(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A');
}
function escapeProperty(s) {
    return (0,_utils_js__WEBPACK_IMPORTED_MODULE_1__/* .toCommandValue */ .E)(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A')
        .replace(/:/g, '%3A')
        .replace(/,/g, '%2C');
}
//# sourceMappingURL=command.js.map

/***/ }),

/***/ 4679:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   E: () => (/* binding */ toCommandValue),
/* harmony export */   k: () => (/* binding */ toCommandProperties)
/* harmony export */ });
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
/******/ 		id: moduleId,
/******/ 		loaded: false,
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
/******/ 	// Flag the module as loaded
/******/ 	module.loaded = true;
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
/******/ /* webpack/runtime/node module decorator */
/******/ (() => {
/******/ 	__nccwpck_require__.nmd = (module) => {
/******/ 		module.paths = [];
/******/ 		if (!module.children) module.children = [];
/******/ 		return module;
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
/******/ var __webpack_exports__ = __nccwpck_require__(6995);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
