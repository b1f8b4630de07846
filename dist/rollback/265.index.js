export const id = 265;
export const ids = [265];
export const modules = {

/***/ 32265:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   filesAddedSince: () => (/* binding */ filesAddedSince)
/* harmony export */ });
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8005);
/* harmony import */ var _core_process_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(95713);
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
