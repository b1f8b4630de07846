import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 2613:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");

/***/ }),

/***/ 181:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("buffer");

/***/ }),

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

/***/ 1455:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");

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

/***/ 6928:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");

/***/ }),

/***/ 932:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("process");

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

/***/ 7349:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);
var YAMLMap = __nccwpck_require__(4454);
var YAMLSeq = __nccwpck_require__(2223);
var resolveBlockMap = __nccwpck_require__(7103);
var resolveBlockSeq = __nccwpck_require__(334);
var resolveFlowCollection = __nccwpck_require__(3142);

function resolveCollection(CN, ctx, token, onError, tagName, tag) {
    const coll = token.type === 'block-map'
        ? resolveBlockMap.resolveBlockMap(CN, ctx, token, onError, tag)
        : token.type === 'block-seq'
            ? resolveBlockSeq.resolveBlockSeq(CN, ctx, token, onError, tag)
            : resolveFlowCollection.resolveFlowCollection(CN, ctx, token, onError, tag);
    const Coll = coll.constructor;
    // If we got a tagName matching the class, or the tag name is '!',
    // then use the tagName from the node class used to create it.
    if (tagName === '!' || tagName === Coll.tagName) {
        coll.tag = Coll.tagName;
        return coll;
    }
    if (tagName)
        coll.tag = tagName;
    return coll;
}
function composeCollection(CN, ctx, token, props, onError) {
    const tagToken = props.tag;
    const tagName = !tagToken
        ? null
        : ctx.directives.tagName(tagToken.source, msg => onError(tagToken, 'TAG_RESOLVE_FAILED', msg));
    if (token.type === 'block-seq') {
        const { anchor, newlineAfterProp: nl } = props;
        const lastProp = anchor && tagToken
            ? anchor.offset > tagToken.offset
                ? anchor
                : tagToken
            : (anchor ?? tagToken);
        if (lastProp && (!nl || nl.offset < lastProp.offset)) {
            const message = 'Missing newline after block sequence props';
            onError(lastProp, 'MISSING_CHAR', message);
        }
    }
    const expType = token.type === 'block-map'
        ? 'map'
        : token.type === 'block-seq'
            ? 'seq'
            : token.start.source === '{'
                ? 'map'
                : 'seq';
    // shortcut: check if it's a generic YAMLMap or YAMLSeq
    // before jumping into the custom tag logic.
    if (!tagToken ||
        !tagName ||
        tagName === '!' ||
        (tagName === YAMLMap.YAMLMap.tagName && expType === 'map') ||
        (tagName === YAMLSeq.YAMLSeq.tagName && expType === 'seq')) {
        return resolveCollection(CN, ctx, token, onError, tagName);
    }
    let tag = ctx.schema.tags.find(t => t.tag === tagName && t.collection === expType);
    if (!tag) {
        const kt = ctx.schema.knownTags[tagName];
        if (kt?.collection === expType) {
            ctx.schema.tags.push(Object.assign({}, kt, { default: false }));
            tag = kt;
        }
        else {
            if (kt) {
                onError(tagToken, 'BAD_COLLECTION_TYPE', `${kt.tag} used for ${expType} collection, but expects ${kt.collection ?? 'scalar'}`, true);
            }
            else {
                onError(tagToken, 'TAG_RESOLVE_FAILED', `Unresolved tag: ${tagName}`, true);
            }
            return resolveCollection(CN, ctx, token, onError, tagName);
        }
    }
    const coll = resolveCollection(CN, ctx, token, onError, tagName, tag);
    const res = tag.resolve?.(coll, msg => onError(tagToken, 'TAG_RESOLVE_FAILED', msg), ctx.options) ?? coll;
    const node = identity.isNode(res)
        ? res
        : new Scalar.Scalar(res);
    node.range = coll.range;
    node.tag = tagName;
    if (tag?.format)
        node.format = tag.format;
    return node;
}

exports.composeCollection = composeCollection;


/***/ }),

/***/ 3683:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Document = __nccwpck_require__(3021);
var composeNode = __nccwpck_require__(5937);
var resolveEnd = __nccwpck_require__(7788);
var resolveProps = __nccwpck_require__(4631);

function composeDoc(options, directives, { offset, start, value, end }, onError) {
    const opts = Object.assign({ _directives: directives }, options);
    const doc = new Document.Document(undefined, opts);
    const ctx = {
        atKey: false,
        atRoot: true,
        directives: doc.directives,
        options: doc.options,
        schema: doc.schema
    };
    const props = resolveProps.resolveProps(start, {
        indicator: 'doc-start',
        next: value ?? end?.[0],
        offset,
        onError,
        parentIndent: 0,
        startOnNewline: true
    });
    if (props.found) {
        doc.directives.docStart = true;
        if (value &&
            (value.type === 'block-map' || value.type === 'block-seq') &&
            !props.hasNewline)
            onError(props.end, 'MISSING_CHAR', 'Block collection cannot start on same line with directives-end marker');
    }
    // @ts-expect-error If Contents is set, let's trust the user
    doc.contents = value
        ? composeNode.composeNode(ctx, value, props, onError)
        : composeNode.composeEmptyNode(ctx, props.end, start, null, props, onError);
    const contentEnd = doc.contents.range[2];
    const re = resolveEnd.resolveEnd(end, contentEnd, false, onError);
    if (re.comment)
        doc.comment = re.comment;
    doc.range = [offset, contentEnd, re.offset];
    return doc;
}

exports.composeDoc = composeDoc;


/***/ }),

/***/ 5937:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Alias = __nccwpck_require__(4065);
var identity = __nccwpck_require__(1127);
var composeCollection = __nccwpck_require__(7349);
var composeScalar = __nccwpck_require__(5413);
var resolveEnd = __nccwpck_require__(7788);
var utilEmptyScalarPosition = __nccwpck_require__(2599);

const CN = { composeNode, composeEmptyNode };
function composeNode(ctx, token, props, onError) {
    const atKey = ctx.atKey;
    const { spaceBefore, comment, anchor, tag } = props;
    let node;
    let isSrcToken = true;
    switch (token.type) {
        case 'alias':
            node = composeAlias(ctx, token, onError);
            if (anchor || tag)
                onError(token, 'ALIAS_PROPS', 'An alias node must not specify any properties');
            break;
        case 'scalar':
        case 'single-quoted-scalar':
        case 'double-quoted-scalar':
        case 'block-scalar':
            node = composeScalar.composeScalar(ctx, token, tag, onError);
            if (anchor)
                node.anchor = anchor.source.substring(1);
            break;
        case 'block-map':
        case 'block-seq':
        case 'flow-collection':
            try {
                node = composeCollection.composeCollection(CN, ctx, token, props, onError);
                if (anchor)
                    node.anchor = anchor.source.substring(1);
            }
            catch (error) {
                // Almost certainly here due to a stack overflow
                const message = error instanceof Error ? error.message : String(error);
                onError(token, 'RESOURCE_EXHAUSTION', message);
            }
            break;
        default: {
            const message = token.type === 'error'
                ? token.message
                : `Unsupported token (type: ${token.type})`;
            onError(token, 'UNEXPECTED_TOKEN', message);
            isSrcToken = false;
        }
    }
    node ?? (node = composeEmptyNode(ctx, token.offset, undefined, null, props, onError));
    if (anchor && node.anchor === '')
        onError(anchor, 'BAD_ALIAS', 'Anchor cannot be an empty string');
    if (atKey &&
        ctx.options.stringKeys &&
        (!identity.isScalar(node) ||
            typeof node.value !== 'string' ||
            (node.tag && node.tag !== 'tag:yaml.org,2002:str'))) {
        const msg = 'With stringKeys, all keys must be strings';
        onError(tag ?? token, 'NON_STRING_KEY', msg);
    }
    if (spaceBefore)
        node.spaceBefore = true;
    if (comment) {
        if (token.type === 'scalar' && token.source === '')
            node.comment = comment;
        else
            node.commentBefore = comment;
    }
    // @ts-expect-error Type checking misses meaning of isSrcToken
    if (ctx.options.keepSourceTokens && isSrcToken)
        node.srcToken = token;
    return node;
}
function composeEmptyNode(ctx, offset, before, pos, { spaceBefore, comment, anchor, tag, end }, onError) {
    const token = {
        type: 'scalar',
        offset: utilEmptyScalarPosition.emptyScalarPosition(offset, before, pos),
        indent: -1,
        source: ''
    };
    const node = composeScalar.composeScalar(ctx, token, tag, onError);
    if (anchor) {
        node.anchor = anchor.source.substring(1);
        if (node.anchor === '')
            onError(anchor, 'BAD_ALIAS', 'Anchor cannot be an empty string');
    }
    if (spaceBefore)
        node.spaceBefore = true;
    if (comment) {
        node.comment = comment;
        node.range[2] = end;
    }
    return node;
}
function composeAlias({ options }, { offset, source, end }, onError) {
    const alias = new Alias.Alias(source.substring(1));
    if (alias.source === '')
        onError(offset, 'BAD_ALIAS', 'Alias cannot be an empty string');
    if (alias.source.endsWith(':'))
        onError(offset + source.length - 1, 'BAD_ALIAS', 'Alias ending in : is ambiguous', true);
    const valueEnd = offset + source.length;
    const re = resolveEnd.resolveEnd(end, valueEnd, options.strict, onError);
    alias.range = [offset, valueEnd, re.offset];
    if (re.comment)
        alias.comment = re.comment;
    return alias;
}

exports.composeEmptyNode = composeEmptyNode;
exports.composeNode = composeNode;


/***/ }),

/***/ 5413:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);
var resolveBlockScalar = __nccwpck_require__(8913);
var resolveFlowScalar = __nccwpck_require__(6842);

function composeScalar(ctx, token, tagToken, onError) {
    const { value, type, comment, range } = token.type === 'block-scalar'
        ? resolveBlockScalar.resolveBlockScalar(ctx, token, onError)
        : resolveFlowScalar.resolveFlowScalar(token, ctx.options.strict, onError);
    const tagName = tagToken
        ? ctx.directives.tagName(tagToken.source, msg => onError(tagToken, 'TAG_RESOLVE_FAILED', msg))
        : null;
    let tag;
    if (ctx.options.stringKeys && ctx.atKey) {
        tag = ctx.schema[identity.SCALAR];
    }
    else if (tagName)
        tag = findScalarTagByName(ctx.schema, value, tagName, tagToken, onError);
    else if (token.type === 'scalar')
        tag = findScalarTagByTest(ctx, value, token, onError);
    else
        tag = ctx.schema[identity.SCALAR];
    let scalar;
    try {
        const res = tag.resolve(value, msg => onError(tagToken ?? token, 'TAG_RESOLVE_FAILED', msg), ctx.options);
        scalar = identity.isScalar(res) ? res : new Scalar.Scalar(res);
    }
    catch (error) {
        const msg = error instanceof Error ? error.message : String(error);
        onError(tagToken ?? token, 'TAG_RESOLVE_FAILED', msg);
        scalar = new Scalar.Scalar(value);
    }
    scalar.range = range;
    scalar.source = value;
    if (type)
        scalar.type = type;
    if (tagName)
        scalar.tag = tagName;
    if (tag.format)
        scalar.format = tag.format;
    if (comment)
        scalar.comment = comment;
    return scalar;
}
function findScalarTagByName(schema, value, tagName, tagToken, onError) {
    if (tagName === '!')
        return schema[identity.SCALAR]; // non-specific tag
    const matchWithTest = [];
    for (const tag of schema.tags) {
        if (!tag.collection && tag.tag === tagName) {
            if (tag.default && tag.test)
                matchWithTest.push(tag);
            else
                return tag;
        }
    }
    for (const tag of matchWithTest)
        if (tag.test?.test(value))
            return tag;
    const kt = schema.knownTags[tagName];
    if (kt && !kt.collection) {
        // Ensure that the known tag is available for stringifying,
        // but does not get used by default.
        schema.tags.push(Object.assign({}, kt, { default: false, test: undefined }));
        return kt;
    }
    onError(tagToken, 'TAG_RESOLVE_FAILED', `Unresolved tag: ${tagName}`, tagName !== 'tag:yaml.org,2002:str');
    return schema[identity.SCALAR];
}
function findScalarTagByTest({ atKey, directives, schema }, value, token, onError) {
    const tag = schema.tags.find(tag => (tag.default === true || (atKey && tag.default === 'key')) &&
        tag.test?.test(value)) || schema[identity.SCALAR];
    if (schema.compat) {
        const compat = schema.compat.find(tag => tag.default && tag.test?.test(value)) ??
            schema[identity.SCALAR];
        if (tag.tag !== compat.tag) {
            const ts = directives.tagString(tag.tag);
            const cs = directives.tagString(compat.tag);
            const msg = `Value may be parsed as either ${ts} or ${cs}`;
            onError(token, 'TAG_RESOLVE_FAILED', msg, true);
        }
    }
    return tag;
}

exports.composeScalar = composeScalar;


/***/ }),

/***/ 9984:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var node_process = __nccwpck_require__(932);
var directives = __nccwpck_require__(1342);
var Document = __nccwpck_require__(3021);
var errors = __nccwpck_require__(1464);
var identity = __nccwpck_require__(1127);
var composeDoc = __nccwpck_require__(3683);
var resolveEnd = __nccwpck_require__(7788);

function getErrorPos(src) {
    if (typeof src === 'number')
        return [src, src + 1];
    if (Array.isArray(src))
        return src.length === 2 ? src : [src[0], src[1]];
    const { offset, source } = src;
    return [offset, offset + (typeof source === 'string' ? source.length : 1)];
}
function parsePrelude(prelude) {
    let comment = '';
    let atComment = false;
    let afterEmptyLine = false;
    for (let i = 0; i < prelude.length; ++i) {
        const source = prelude[i];
        switch (source[0]) {
            case '#':
                comment +=
                    (comment === '' ? '' : afterEmptyLine ? '\n\n' : '\n') +
                        (source.substring(1) || ' ');
                atComment = true;
                afterEmptyLine = false;
                break;
            case '%':
                if (prelude[i + 1]?.[0] !== '#')
                    i += 1;
                atComment = false;
                break;
            default:
                // This may be wrong after doc-end, but in that case it doesn't matter
                if (!atComment)
                    afterEmptyLine = true;
                atComment = false;
        }
    }
    return { comment, afterEmptyLine };
}
/**
 * Compose a stream of CST nodes into a stream of YAML Documents.
 *
 * ```ts
 * import { Composer, Parser } from 'yaml'
 *
 * const src: string = ...
 * const tokens = new Parser().parse(src)
 * const docs = new Composer().compose(tokens)
 * ```
 */
class Composer {
    constructor(options = {}) {
        this.doc = null;
        this.atDirectives = false;
        this.prelude = [];
        this.errors = [];
        this.warnings = [];
        this.onError = (source, code, message, warning) => {
            const pos = getErrorPos(source);
            if (warning)
                this.warnings.push(new errors.YAMLWarning(pos, code, message));
            else
                this.errors.push(new errors.YAMLParseError(pos, code, message));
        };
        // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
        this.directives = new directives.Directives({ version: options.version || '1.2' });
        this.options = options;
    }
    decorate(doc, afterDoc) {
        const { comment, afterEmptyLine } = parsePrelude(this.prelude);
        //console.log({ dc: doc.comment, prelude, comment })
        if (comment) {
            const dc = doc.contents;
            if (afterDoc) {
                doc.comment = doc.comment ? `${doc.comment}\n${comment}` : comment;
            }
            else if (afterEmptyLine || doc.directives.docStart || !dc) {
                doc.commentBefore = comment;
            }
            else if (identity.isCollection(dc) && !dc.flow && dc.items.length > 0) {
                let it = dc.items[0];
                if (identity.isPair(it))
                    it = it.key;
                const cb = it.commentBefore;
                it.commentBefore = cb ? `${comment}\n${cb}` : comment;
            }
            else {
                const cb = dc.commentBefore;
                dc.commentBefore = cb ? `${comment}\n${cb}` : comment;
            }
        }
        if (afterDoc) {
            for (let i = 0; i < this.errors.length; ++i)
                doc.errors.push(this.errors[i]);
            for (let i = 0; i < this.warnings.length; ++i)
                doc.warnings.push(this.warnings[i]);
        }
        else {
            doc.errors = this.errors;
            doc.warnings = this.warnings;
        }
        this.prelude = [];
        this.errors = [];
        this.warnings = [];
    }
    /**
     * Current stream status information.
     *
     * Mostly useful at the end of input for an empty stream.
     */
    streamInfo() {
        return {
            comment: parsePrelude(this.prelude).comment,
            directives: this.directives,
            errors: this.errors,
            warnings: this.warnings
        };
    }
    /**
     * Compose tokens into documents.
     *
     * @param forceDoc - If the stream contains no document, still emit a final document including any comments and directives that would be applied to a subsequent document.
     * @param endOffset - Should be set if `forceDoc` is also set, to set the document range end and to indicate errors correctly.
     */
    *compose(tokens, forceDoc = false, endOffset = -1) {
        for (const token of tokens)
            yield* this.next(token);
        yield* this.end(forceDoc, endOffset);
    }
    /** Advance the composer by one CST token. */
    *next(token) {
        if (node_process.env.LOG_STREAM)
            console.dir(token, { depth: null });
        switch (token.type) {
            case 'directive':
                this.directives.add(token.source, (offset, message, warning) => {
                    const pos = getErrorPos(token);
                    pos[0] += offset;
                    this.onError(pos, 'BAD_DIRECTIVE', message, warning);
                });
                this.prelude.push(token.source);
                this.atDirectives = true;
                break;
            case 'document': {
                const doc = composeDoc.composeDoc(this.options, this.directives, token, this.onError);
                if (this.atDirectives && !doc.directives.docStart)
                    this.onError(token, 'MISSING_CHAR', 'Missing directives-end/doc-start indicator line');
                this.decorate(doc, false);
                if (this.doc)
                    yield this.doc;
                this.doc = doc;
                this.atDirectives = false;
                break;
            }
            case 'byte-order-mark':
            case 'space':
                break;
            case 'comment':
            case 'newline':
                this.prelude.push(token.source);
                break;
            case 'error': {
                const msg = token.source
                    ? `${token.message}: ${JSON.stringify(token.source)}`
                    : token.message;
                const error = new errors.YAMLParseError(getErrorPos(token), 'UNEXPECTED_TOKEN', msg);
                if (this.atDirectives || !this.doc)
                    this.errors.push(error);
                else
                    this.doc.errors.push(error);
                break;
            }
            case 'doc-end': {
                if (!this.doc) {
                    const msg = 'Unexpected doc-end without preceding document';
                    this.errors.push(new errors.YAMLParseError(getErrorPos(token), 'UNEXPECTED_TOKEN', msg));
                    break;
                }
                this.doc.directives.docEnd = true;
                const end = resolveEnd.resolveEnd(token.end, token.offset + token.source.length, this.doc.options.strict, this.onError);
                this.decorate(this.doc, true);
                if (end.comment) {
                    const dc = this.doc.comment;
                    this.doc.comment = dc ? `${dc}\n${end.comment}` : end.comment;
                }
                this.doc.range[2] = end.offset;
                break;
            }
            default:
                this.errors.push(new errors.YAMLParseError(getErrorPos(token), 'UNEXPECTED_TOKEN', `Unsupported token ${token.type}`));
        }
    }
    /**
     * Call at end of input to yield any remaining document.
     *
     * @param forceDoc - If the stream contains no document, still emit a final document including any comments and directives that would be applied to a subsequent document.
     * @param endOffset - Should be set if `forceDoc` is also set, to set the document range end and to indicate errors correctly.
     */
    *end(forceDoc = false, endOffset = -1) {
        if (this.doc) {
            this.decorate(this.doc, true);
            yield this.doc;
            this.doc = null;
        }
        else if (forceDoc) {
            const opts = Object.assign({ _directives: this.directives }, this.options);
            const doc = new Document.Document(undefined, opts);
            if (this.atDirectives)
                this.onError(endOffset, 'MISSING_CHAR', 'Missing directives-end indicator line');
            doc.range = [0, endOffset, endOffset];
            this.decorate(doc, false);
            yield doc;
        }
    }
}

exports.Composer = Composer;


/***/ }),

/***/ 7103:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Pair = __nccwpck_require__(7165);
var YAMLMap = __nccwpck_require__(4454);
var resolveProps = __nccwpck_require__(4631);
var utilContainsNewline = __nccwpck_require__(9499);
var utilFlowIndentCheck = __nccwpck_require__(4051);
var utilMapIncludes = __nccwpck_require__(1187);

const startColMsg = 'All mapping items must start at the same column';
function resolveBlockMap({ composeNode, composeEmptyNode }, ctx, bm, onError, tag) {
    const NodeClass = tag?.nodeClass ?? YAMLMap.YAMLMap;
    const map = new NodeClass(ctx.schema);
    if (ctx.atRoot)
        ctx.atRoot = false;
    let offset = bm.offset;
    let commentEnd = null;
    for (const collItem of bm.items) {
        const { start, key, sep, value } = collItem;
        // key properties
        const keyProps = resolveProps.resolveProps(start, {
            indicator: 'explicit-key-ind',
            next: key ?? sep?.[0],
            offset,
            onError,
            parentIndent: bm.indent,
            startOnNewline: true
        });
        const implicitKey = !keyProps.found;
        if (implicitKey) {
            if (key) {
                if (key.type === 'block-seq')
                    onError(offset, 'BLOCK_AS_IMPLICIT_KEY', 'A block sequence may not be used as an implicit map key');
                else if ('indent' in key && key.indent !== bm.indent)
                    onError(offset, 'BAD_INDENT', startColMsg);
            }
            if (!keyProps.anchor && !keyProps.tag && !sep) {
                commentEnd = keyProps.end;
                if (keyProps.comment) {
                    if (map.comment)
                        map.comment += '\n' + keyProps.comment;
                    else
                        map.comment = keyProps.comment;
                }
                continue;
            }
            if (keyProps.newlineAfterProp || utilContainsNewline.containsNewline(key)) {
                onError(key ?? start[start.length - 1], 'MULTILINE_IMPLICIT_KEY', 'Implicit keys need to be on a single line');
            }
        }
        else if (keyProps.found?.indent !== bm.indent) {
            onError(offset, 'BAD_INDENT', startColMsg);
        }
        // key value
        ctx.atKey = true;
        const keyStart = keyProps.end;
        const keyNode = key
            ? composeNode(ctx, key, keyProps, onError)
            : composeEmptyNode(ctx, keyStart, start, null, keyProps, onError);
        if (ctx.schema.compat)
            utilFlowIndentCheck.flowIndentCheck(bm.indent, key, onError);
        ctx.atKey = false;
        if (utilMapIncludes.mapIncludes(ctx, map.items, keyNode))
            onError(keyStart, 'DUPLICATE_KEY', 'Map keys must be unique');
        // value properties
        const valueProps = resolveProps.resolveProps(sep ?? [], {
            indicator: 'map-value-ind',
            next: value,
            offset: keyNode.range[2],
            onError,
            parentIndent: bm.indent,
            startOnNewline: !key || key.type === 'block-scalar'
        });
        offset = valueProps.end;
        if (valueProps.found) {
            if (implicitKey) {
                if (value?.type === 'block-map' && !valueProps.hasNewline)
                    onError(offset, 'BLOCK_AS_IMPLICIT_KEY', 'Nested mappings are not allowed in compact mappings');
                if (ctx.options.strict &&
                    keyProps.start < valueProps.found.offset - 1024)
                    onError(keyNode.range, 'KEY_OVER_1024_CHARS', 'The : indicator must be at most 1024 chars after the start of an implicit block mapping key');
            }
            // value value
            const valueNode = value
                ? composeNode(ctx, value, valueProps, onError)
                : composeEmptyNode(ctx, offset, sep, null, valueProps, onError);
            if (ctx.schema.compat)
                utilFlowIndentCheck.flowIndentCheck(bm.indent, value, onError);
            offset = valueNode.range[2];
            const pair = new Pair.Pair(keyNode, valueNode);
            if (ctx.options.keepSourceTokens)
                pair.srcToken = collItem;
            map.items.push(pair);
        }
        else {
            // key with no value
            if (implicitKey)
                onError(keyNode.range, 'MISSING_CHAR', 'Implicit map keys need to be followed by map values');
            if (valueProps.comment) {
                if (keyNode.comment)
                    keyNode.comment += '\n' + valueProps.comment;
                else
                    keyNode.comment = valueProps.comment;
            }
            const pair = new Pair.Pair(keyNode);
            if (ctx.options.keepSourceTokens)
                pair.srcToken = collItem;
            map.items.push(pair);
        }
    }
    if (commentEnd && commentEnd < offset)
        onError(commentEnd, 'IMPOSSIBLE', 'Map comment with trailing content');
    map.range = [bm.offset, offset, commentEnd ?? offset];
    return map;
}

exports.resolveBlockMap = resolveBlockMap;


/***/ }),

/***/ 8913:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);

function resolveBlockScalar(ctx, scalar, onError) {
    const start = scalar.offset;
    const header = parseBlockScalarHeader(scalar, ctx.options.strict, onError);
    if (!header)
        return { value: '', type: null, comment: '', range: [start, start, start] };
    const type = header.mode === '>' ? Scalar.Scalar.BLOCK_FOLDED : Scalar.Scalar.BLOCK_LITERAL;
    const lines = scalar.source ? splitLines(scalar.source) : [];
    // determine the end of content & start of chomping
    let chompStart = lines.length;
    for (let i = lines.length - 1; i >= 0; --i) {
        const content = lines[i][1];
        if (content === '' || content === '\r')
            chompStart = i;
        else
            break;
    }
    // shortcut for empty contents
    if (chompStart === 0) {
        const value = header.chomp === '+' && lines.length > 0
            ? '\n'.repeat(Math.max(1, lines.length - 1))
            : '';
        let end = start + header.length;
        if (scalar.source)
            end += scalar.source.length;
        return { value, type, comment: header.comment, range: [start, end, end] };
    }
    // find the indentation level to trim from start
    let trimIndent = scalar.indent + header.indent;
    let offset = scalar.offset + header.length;
    let contentStart = 0;
    for (let i = 0; i < chompStart; ++i) {
        const [indent, content] = lines[i];
        if (content === '' || content === '\r') {
            if (header.indent === 0 && indent.length > trimIndent)
                trimIndent = indent.length;
        }
        else {
            if (indent.length < trimIndent) {
                const message = 'Block scalars with more-indented leading empty lines must use an explicit indentation indicator';
                onError(offset + indent.length, 'MISSING_CHAR', message);
            }
            if (header.indent === 0)
                trimIndent = indent.length;
            contentStart = i;
            if (trimIndent === 0 && !ctx.atRoot) {
                const message = 'Block scalar values in collections must be indented';
                onError(offset, 'BAD_INDENT', message);
            }
            break;
        }
        offset += indent.length + content.length + 1;
    }
    // include trailing more-indented empty lines in content
    for (let i = lines.length - 1; i >= chompStart; --i) {
        if (lines[i][0].length > trimIndent)
            chompStart = i + 1;
    }
    let value = '';
    let sep = '';
    let prevMoreIndented = false;
    // leading whitespace is kept intact
    for (let i = 0; i < contentStart; ++i)
        value += lines[i][0].slice(trimIndent) + '\n';
    for (let i = contentStart; i < chompStart; ++i) {
        let [indent, content] = lines[i];
        offset += indent.length + content.length + 1;
        const crlf = content[content.length - 1] === '\r';
        if (crlf)
            content = content.slice(0, -1);
        /* istanbul ignore if already caught in lexer */
        if (content && indent.length < trimIndent) {
            const src = header.indent
                ? 'explicit indentation indicator'
                : 'first line';
            const message = `Block scalar lines must not be less indented than their ${src}`;
            onError(offset - content.length - (crlf ? 2 : 1), 'BAD_INDENT', message);
            indent = '';
        }
        if (type === Scalar.Scalar.BLOCK_LITERAL) {
            value += sep + indent.slice(trimIndent) + content;
            sep = '\n';
        }
        else if (indent.length > trimIndent || content[0] === '\t') {
            // more-indented content within a folded block
            if (sep === ' ')
                sep = '\n';
            else if (!prevMoreIndented && sep === '\n')
                sep = '\n\n';
            value += sep + indent.slice(trimIndent) + content;
            sep = '\n';
            prevMoreIndented = true;
        }
        else if (content === '') {
            // empty line
            if (sep === '\n')
                value += '\n';
            else
                sep = '\n';
        }
        else {
            value += sep + content;
            sep = ' ';
            prevMoreIndented = false;
        }
    }
    switch (header.chomp) {
        case '-':
            break;
        case '+':
            for (let i = chompStart; i < lines.length; ++i)
                value += '\n' + lines[i][0].slice(trimIndent);
            if (value[value.length - 1] !== '\n')
                value += '\n';
            break;
        default:
            value += '\n';
    }
    const end = start + header.length + scalar.source.length;
    return { value, type, comment: header.comment, range: [start, end, end] };
}
function parseBlockScalarHeader({ offset, props }, strict, onError) {
    /* istanbul ignore if should not happen */
    if (props[0].type !== 'block-scalar-header') {
        onError(props[0], 'IMPOSSIBLE', 'Block scalar header not found');
        return null;
    }
    const { source } = props[0];
    const mode = source[0];
    let indent = 0;
    let chomp = '';
    let error = -1;
    for (let i = 1; i < source.length; ++i) {
        const ch = source[i];
        if (!chomp && (ch === '-' || ch === '+'))
            chomp = ch;
        else {
            const n = Number(ch);
            if (!indent && n)
                indent = n;
            else if (error === -1)
                error = offset + i;
        }
    }
    if (error !== -1)
        onError(error, 'UNEXPECTED_TOKEN', `Block scalar header includes extra characters: ${source}`);
    let hasSpace = false;
    let comment = '';
    let length = source.length;
    for (let i = 1; i < props.length; ++i) {
        const token = props[i];
        switch (token.type) {
            case 'space':
                hasSpace = true;
            // fallthrough
            case 'newline':
                length += token.source.length;
                break;
            case 'comment':
                if (strict && !hasSpace) {
                    const message = 'Comments must be separated from other tokens by white space characters';
                    onError(token, 'MISSING_CHAR', message);
                }
                length += token.source.length;
                comment = token.source.substring(1);
                break;
            case 'error':
                onError(token, 'UNEXPECTED_TOKEN', token.message);
                length += token.source.length;
                break;
            /* istanbul ignore next should not happen */
            default: {
                const message = `Unexpected token in block scalar header: ${token.type}`;
                onError(token, 'UNEXPECTED_TOKEN', message);
                const ts = token.source;
                if (ts && typeof ts === 'string')
                    length += ts.length;
            }
        }
    }
    return { mode, indent, chomp, comment, length };
}
/** @returns Array of lines split up as `[indent, content]` */
function splitLines(source) {
    const split = source.split(/\n( *)/);
    const first = split[0];
    const m = first.match(/^( *)/);
    const line0 = m?.[1]
        ? [m[1], first.slice(m[1].length)]
        : ['', first];
    const lines = [line0];
    for (let i = 1; i < split.length; i += 2)
        lines.push([split[i], split[i + 1]]);
    return lines;
}

exports.resolveBlockScalar = resolveBlockScalar;


/***/ }),

/***/ 334:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var YAMLSeq = __nccwpck_require__(2223);
var resolveProps = __nccwpck_require__(4631);
var utilFlowIndentCheck = __nccwpck_require__(4051);

function resolveBlockSeq({ composeNode, composeEmptyNode }, ctx, bs, onError, tag) {
    const NodeClass = tag?.nodeClass ?? YAMLSeq.YAMLSeq;
    const seq = new NodeClass(ctx.schema);
    if (ctx.atRoot)
        ctx.atRoot = false;
    if (ctx.atKey)
        ctx.atKey = false;
    let offset = bs.offset;
    let commentEnd = null;
    for (const { start, value } of bs.items) {
        const props = resolveProps.resolveProps(start, {
            indicator: 'seq-item-ind',
            next: value,
            offset,
            onError,
            parentIndent: bs.indent,
            startOnNewline: true
        });
        if (!props.found) {
            if (props.anchor || props.tag || value) {
                if (value?.type === 'block-seq')
                    onError(props.end, 'BAD_INDENT', 'All sequence items must start at the same column');
                else
                    onError(offset, 'MISSING_CHAR', 'Sequence item without - indicator');
            }
            else {
                commentEnd = props.end;
                if (props.comment)
                    seq.comment = props.comment;
                continue;
            }
        }
        const node = value
            ? composeNode(ctx, value, props, onError)
            : composeEmptyNode(ctx, props.end, start, null, props, onError);
        if (ctx.schema.compat)
            utilFlowIndentCheck.flowIndentCheck(bs.indent, value, onError);
        offset = node.range[2];
        seq.items.push(node);
    }
    seq.range = [bs.offset, offset, commentEnd ?? offset];
    return seq;
}

exports.resolveBlockSeq = resolveBlockSeq;


/***/ }),

/***/ 7788:
/***/ ((__unused_webpack_module, exports) => {



function resolveEnd(end, offset, reqSpace, onError) {
    let comment = '';
    if (end) {
        let hasSpace = false;
        let sep = '';
        for (const token of end) {
            const { source, type } = token;
            switch (type) {
                case 'space':
                    hasSpace = true;
                    break;
                case 'comment': {
                    if (reqSpace && !hasSpace)
                        onError(token, 'MISSING_CHAR', 'Comments must be separated from other tokens by white space characters');
                    const cb = source.substring(1) || ' ';
                    if (!comment)
                        comment = cb;
                    else
                        comment += sep + cb;
                    sep = '';
                    break;
                }
                case 'newline':
                    if (comment)
                        sep += source;
                    hasSpace = true;
                    break;
                default:
                    onError(token, 'UNEXPECTED_TOKEN', `Unexpected ${type} at node end`);
            }
            offset += source.length;
        }
    }
    return { comment, offset };
}

exports.resolveEnd = resolveEnd;


/***/ }),

/***/ 3142:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var YAMLMap = __nccwpck_require__(4454);
var YAMLSeq = __nccwpck_require__(2223);
var resolveEnd = __nccwpck_require__(7788);
var resolveProps = __nccwpck_require__(4631);
var utilContainsNewline = __nccwpck_require__(9499);
var utilMapIncludes = __nccwpck_require__(1187);

const blockMsg = 'Block collections are not allowed within flow collections';
const isBlock = (token) => token && (token.type === 'block-map' || token.type === 'block-seq');
function resolveFlowCollection({ composeNode, composeEmptyNode }, ctx, fc, onError, tag) {
    const isMap = fc.start.source === '{';
    const fcName = isMap ? 'flow map' : 'flow sequence';
    const NodeClass = (tag?.nodeClass ?? (isMap ? YAMLMap.YAMLMap : YAMLSeq.YAMLSeq));
    const coll = new NodeClass(ctx.schema);
    coll.flow = true;
    const atRoot = ctx.atRoot;
    if (atRoot)
        ctx.atRoot = false;
    if (ctx.atKey)
        ctx.atKey = false;
    let offset = fc.offset + fc.start.source.length;
    for (let i = 0; i < fc.items.length; ++i) {
        const collItem = fc.items[i];
        const { start, key, sep, value } = collItem;
        const props = resolveProps.resolveProps(start, {
            flow: fcName,
            indicator: 'explicit-key-ind',
            next: key ?? sep?.[0],
            offset,
            onError,
            parentIndent: fc.indent,
            startOnNewline: false
        });
        if (!props.found) {
            if (!props.anchor && !props.tag && !sep && !value) {
                if (i === 0 && props.comma)
                    onError(props.comma, 'UNEXPECTED_TOKEN', `Unexpected , in ${fcName}`);
                else if (i < fc.items.length - 1)
                    onError(props.start, 'UNEXPECTED_TOKEN', `Unexpected empty item in ${fcName}`);
                if (props.comment) {
                    if (coll.comment)
                        coll.comment += '\n' + props.comment;
                    else
                        coll.comment = props.comment;
                }
                offset = props.end;
                continue;
            }
            if (!isMap && ctx.options.strict && utilContainsNewline.containsNewline(key))
                onError(key, // checked by containsNewline()
                'MULTILINE_IMPLICIT_KEY', 'Implicit keys of flow sequence pairs need to be on a single line');
        }
        if (i === 0) {
            if (props.comma)
                onError(props.comma, 'UNEXPECTED_TOKEN', `Unexpected , in ${fcName}`);
        }
        else {
            if (!props.comma)
                onError(props.start, 'MISSING_CHAR', `Missing , between ${fcName} items`);
            if (props.comment) {
                let prevItemComment = '';
                loop: for (const st of start) {
                    switch (st.type) {
                        case 'comma':
                        case 'space':
                            break;
                        case 'comment':
                            prevItemComment = st.source.substring(1);
                            break loop;
                        default:
                            break loop;
                    }
                }
                if (prevItemComment) {
                    let prev = coll.items[coll.items.length - 1];
                    if (identity.isPair(prev))
                        prev = prev.value ?? prev.key;
                    if (prev.comment)
                        prev.comment += '\n' + prevItemComment;
                    else
                        prev.comment = prevItemComment;
                    props.comment = props.comment.substring(prevItemComment.length + 1);
                }
            }
        }
        if (!isMap && !sep && !props.found) {
            // item is a value in a seq
            // \u2192 key & sep are empty, start does not include ? or :
            const valueNode = value
                ? composeNode(ctx, value, props, onError)
                : composeEmptyNode(ctx, props.end, sep, null, props, onError);
            coll.items.push(valueNode);
            offset = valueNode.range[2];
            if (isBlock(value))
                onError(valueNode.range, 'BLOCK_IN_FLOW', blockMsg);
        }
        else {
            // item is a key+value pair
            // key value
            ctx.atKey = true;
            const keyStart = props.end;
            const keyNode = key
                ? composeNode(ctx, key, props, onError)
                : composeEmptyNode(ctx, keyStart, start, null, props, onError);
            if (isBlock(key))
                onError(keyNode.range, 'BLOCK_IN_FLOW', blockMsg);
            ctx.atKey = false;
            // value properties
            const valueProps = resolveProps.resolveProps(sep ?? [], {
                flow: fcName,
                indicator: 'map-value-ind',
                next: value,
                offset: keyNode.range[2],
                onError,
                parentIndent: fc.indent,
                startOnNewline: false
            });
            if (valueProps.found) {
                if (!isMap && !props.found && ctx.options.strict) {
                    if (sep)
                        for (const st of sep) {
                            if (st === valueProps.found)
                                break;
                            if (st.type === 'newline') {
                                onError(st, 'MULTILINE_IMPLICIT_KEY', 'Implicit keys of flow sequence pairs need to be on a single line');
                                break;
                            }
                        }
                    if (props.start < valueProps.found.offset - 1024)
                        onError(valueProps.found, 'KEY_OVER_1024_CHARS', 'The : indicator must be at most 1024 chars after the start of an implicit flow sequence key');
                }
            }
            else if (value) {
                if ('source' in value && value.source?.[0] === ':')
                    onError(value, 'MISSING_CHAR', `Missing space after : in ${fcName}`);
                else
                    onError(valueProps.start, 'MISSING_CHAR', `Missing , or : between ${fcName} items`);
            }
            // value value
            const valueNode = value
                ? composeNode(ctx, value, valueProps, onError)
                : valueProps.found
                    ? composeEmptyNode(ctx, valueProps.end, sep, null, valueProps, onError)
                    : null;
            if (valueNode) {
                if (isBlock(value))
                    onError(valueNode.range, 'BLOCK_IN_FLOW', blockMsg);
            }
            else if (valueProps.comment) {
                if (keyNode.comment)
                    keyNode.comment += '\n' + valueProps.comment;
                else
                    keyNode.comment = valueProps.comment;
            }
            const pair = new Pair.Pair(keyNode, valueNode);
            if (ctx.options.keepSourceTokens)
                pair.srcToken = collItem;
            if (isMap) {
                const map = coll;
                if (utilMapIncludes.mapIncludes(ctx, map.items, keyNode))
                    onError(keyStart, 'DUPLICATE_KEY', 'Map keys must be unique');
                map.items.push(pair);
            }
            else {
                const map = new YAMLMap.YAMLMap(ctx.schema);
                map.flow = true;
                map.items.push(pair);
                const endRange = (valueNode ?? keyNode).range;
                map.range = [keyNode.range[0], endRange[1], endRange[2]];
                coll.items.push(map);
            }
            offset = valueNode ? valueNode.range[2] : valueProps.end;
        }
    }
    const expectedEnd = isMap ? '}' : ']';
    const [ce, ...ee] = fc.end;
    let cePos = offset;
    if (ce?.source === expectedEnd)
        cePos = ce.offset + ce.source.length;
    else {
        const name = fcName[0].toUpperCase() + fcName.substring(1);
        const msg = atRoot
            ? `${name} must end with a ${expectedEnd}`
            : `${name} in block collection must be sufficiently indented and end with a ${expectedEnd}`;
        onError(offset, atRoot ? 'MISSING_CHAR' : 'BAD_INDENT', msg);
        if (ce && ce.source.length !== 1)
            ee.unshift(ce);
    }
    if (ee.length > 0) {
        const end = resolveEnd.resolveEnd(ee, cePos, ctx.options.strict, onError);
        if (end.comment) {
            if (coll.comment)
                coll.comment += '\n' + end.comment;
            else
                coll.comment = end.comment;
        }
        coll.range = [fc.offset, cePos, end.offset];
    }
    else {
        coll.range = [fc.offset, cePos, cePos];
    }
    return coll;
}

exports.resolveFlowCollection = resolveFlowCollection;


/***/ }),

/***/ 6842:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var resolveEnd = __nccwpck_require__(7788);

function resolveFlowScalar(scalar, strict, onError) {
    const { offset, type, source, end } = scalar;
    let _type;
    let value;
    const _onError = (rel, code, msg) => onError(offset + rel, code, msg);
    switch (type) {
        case 'scalar':
            _type = Scalar.Scalar.PLAIN;
            value = plainValue(source, _onError);
            break;
        case 'single-quoted-scalar':
            _type = Scalar.Scalar.QUOTE_SINGLE;
            value = singleQuotedValue(source, _onError);
            break;
        case 'double-quoted-scalar':
            _type = Scalar.Scalar.QUOTE_DOUBLE;
            value = doubleQuotedValue(source, _onError);
            break;
        /* istanbul ignore next should not happen */
        default:
            onError(scalar, 'UNEXPECTED_TOKEN', `Expected a flow scalar value, but found: ${type}`);
            return {
                value: '',
                type: null,
                comment: '',
                range: [offset, offset + source.length, offset + source.length]
            };
    }
    const valueEnd = offset + source.length;
    const re = resolveEnd.resolveEnd(end, valueEnd, strict, onError);
    return {
        value,
        type: _type,
        comment: re.comment,
        range: [offset, valueEnd, re.offset]
    };
}
function plainValue(source, onError) {
    let badChar = '';
    switch (source[0]) {
        /* istanbul ignore next should not happen */
        case '\t':
            badChar = 'a tab character';
            break;
        case ',':
            badChar = 'flow indicator character ,';
            break;
        case '%':
            badChar = 'directive indicator character %';
            break;
        case '|':
        case '>': {
            badChar = `block scalar indicator ${source[0]}`;
            break;
        }
        case '@':
        case '`': {
            badChar = `reserved character ${source[0]}`;
            break;
        }
    }
    if (badChar)
        onError(0, 'BAD_SCALAR_START', `Plain value cannot start with ${badChar}`);
    return unfoldLines(source);
}
function singleQuotedValue(source, onError) {
    if (source[source.length - 1] !== "'" || source.length === 1)
        onError(source.length, 'MISSING_CHAR', "Missing closing 'quote");
    return unfoldLines(source.slice(1, -1)).replace(/''/g, "'");
}
function unfoldLines(source) {
    const line = /(.*?)\r?\n/sy;
    let match = line.exec(source);
    if (!match)
        return source;
    /**
     * The negative lookbehinds in these RegExps are to
     * prevent causing a polynomial search time in certain cases.
     *
     * The try-catch is for Safari < 16.4 and other old browsers:
     * https://caniuse.com/js-regexp-lookbehind
     */
    let trimEnd, trimBoth;
    try {
        trimEnd = new RegExp('(?<![ \t])[ \t]+$');
        trimBoth = new RegExp('^[ \t]+|(?<![ \t])[ \t]+$', 'g');
    }
    catch {
        trimEnd = /[ \t]+$/;
        trimBoth = /^[ \t]+|[ \t]+$/g;
    }
    let res = match[1].replace(trimEnd, '');
    let sep = ' ';
    let pos = line.lastIndex;
    while ((match = line.exec(source))) {
        const lm = match[1].replace(trimBoth, '');
        if (lm === '') {
            if (sep === '\n')
                res += sep;
            else
                sep = '\n';
        }
        else {
            res += sep + lm;
            sep = ' ';
        }
        pos = line.lastIndex;
    }
    const last = /[ \t]*(.*)/sy;
    last.lastIndex = pos;
    match = last.exec(source);
    return res + sep + (match?.[1] ?? '');
}
function doubleQuotedValue(source, onError) {
    let res = '';
    for (let i = 1; i < source.length - 1; ++i) {
        const ch = source[i];
        if (ch === '\r' && source[i + 1] === '\n')
            continue;
        if (ch === '\n') {
            const { fold, offset } = foldNewline(source, i);
            res += fold;
            i = offset;
        }
        else if (ch === '\\') {
            let next = source[++i];
            const cc = escapeCodes[next];
            if (cc)
                res += cc;
            else if (next === '\n') {
                // skip escaped newlines, but still trim the following line
                next = source[i + 1];
                while (next === ' ' || next === '\t')
                    next = source[++i + 1];
            }
            else if (next === '\r' && source[i + 1] === '\n') {
                // skip escaped CRLF newlines, but still trim the following line
                next = source[++i + 1];
                while (next === ' ' || next === '\t')
                    next = source[++i + 1];
            }
            else if (next === 'x' || next === 'u' || next === 'U') {
                const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
                res += parseCharCode(source, i + 1, length, onError);
                i += length;
            }
            else {
                const raw = source.substr(i - 1, 2);
                onError(i - 1, 'BAD_DQ_ESCAPE', `Invalid escape sequence ${raw}`);
                res += raw;
            }
        }
        else if (ch === ' ' || ch === '\t') {
            // trim trailing whitespace
            const wsStart = i;
            let next = source[i + 1];
            while (next === ' ' || next === '\t')
                next = source[++i + 1];
            if (next !== '\n' && !(next === '\r' && source[i + 2] === '\n'))
                res += i > wsStart ? source.slice(wsStart, i + 1) : ch;
        }
        else {
            res += ch;
        }
    }
    if (source[source.length - 1] !== '"' || source.length === 1)
        onError(source.length, 'MISSING_CHAR', 'Missing closing "quote');
    return res;
}
/**
 * Fold a single newline into a space, multiple newlines to N - 1 newlines.
 * Presumes `source[offset] === '\n'`
 */
function foldNewline(source, offset) {
    let fold = '';
    let ch = source[offset + 1];
    while (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
        if (ch === '\r' && source[offset + 2] !== '\n')
            break;
        if (ch === '\n')
            fold += '\n';
        offset += 1;
        ch = source[offset + 1];
    }
    if (!fold)
        fold = ' ';
    return { fold, offset };
}
const escapeCodes = {
    '0': '\0', // null character
    a: '\x07', // bell character
    b: '\b', // backspace
    e: '\x1b', // escape character
    f: '\f', // form feed
    n: '\n', // line feed
    r: '\r', // carriage return
    t: '\t', // horizontal tab
    v: '\v', // vertical tab
    N: '\u0085', // Unicode next line
    _: '\u00a0', // Unicode non-breaking space
    L: '\u2028', // Unicode line separator
    P: '\u2029', // Unicode paragraph separator
    ' ': ' ',
    '"': '"',
    '/': '/',
    '\\': '\\',
    '\t': '\t'
};
function parseCharCode(source, offset, length, onError) {
    const cc = source.substr(offset, length);
    const ok = cc.length === length && /^[0-9a-fA-F]+$/.test(cc);
    const code = ok ? parseInt(cc, 16) : NaN;
    try {
        return String.fromCodePoint(code);
    }
    catch {
        const raw = source.substr(offset - 2, length + 2);
        onError(offset - 2, 'BAD_DQ_ESCAPE', `Invalid escape sequence ${raw}`);
        return raw;
    }
}

exports.resolveFlowScalar = resolveFlowScalar;


/***/ }),

/***/ 4631:
/***/ ((__unused_webpack_module, exports) => {



function resolveProps(tokens, { flow, indicator, next, offset, onError, parentIndent, startOnNewline }) {
    let spaceBefore = false;
    let atNewline = startOnNewline;
    let hasSpace = startOnNewline;
    let comment = '';
    let commentSep = '';
    let hasNewline = false;
    let reqSpace = false;
    let tab = null;
    let anchor = null;
    let tag = null;
    let newlineAfterProp = null;
    let comma = null;
    let found = null;
    let start = null;
    for (const token of tokens) {
        if (reqSpace) {
            if (token.type !== 'space' &&
                token.type !== 'newline' &&
                token.type !== 'comma')
                onError(token.offset, 'MISSING_CHAR', 'Tags and anchors must be separated from the next token by white space');
            reqSpace = false;
        }
        if (tab) {
            if (atNewline && token.type !== 'comment' && token.type !== 'newline') {
                onError(tab, 'TAB_AS_INDENT', 'Tabs are not allowed as indentation');
            }
            tab = null;
        }
        switch (token.type) {
            case 'space':
                // At the doc level, tabs at line start may be parsed
                // as leading white space rather than indentation.
                // In a flow collection, only the parser handles indent.
                if (!flow &&
                    (indicator !== 'doc-start' || next?.type !== 'flow-collection') &&
                    token.source.includes('\t')) {
                    tab = token;
                }
                hasSpace = true;
                break;
            case 'comment': {
                if (!hasSpace)
                    onError(token, 'MISSING_CHAR', 'Comments must be separated from other tokens by white space characters');
                const cb = token.source.substring(1) || ' ';
                if (!comment)
                    comment = cb;
                else
                    comment += commentSep + cb;
                commentSep = '';
                atNewline = false;
                break;
            }
            case 'newline':
                if (atNewline) {
                    if (comment)
                        comment += token.source;
                    else if (!found || indicator !== 'seq-item-ind')
                        spaceBefore = true;
                }
                else
                    commentSep += token.source;
                atNewline = true;
                hasNewline = true;
                if (anchor || tag)
                    newlineAfterProp = token;
                hasSpace = true;
                break;
            case 'anchor':
                if (anchor)
                    onError(token, 'MULTIPLE_ANCHORS', 'A node can have at most one anchor');
                if (token.source.endsWith(':'))
                    onError(token.offset + token.source.length - 1, 'BAD_ALIAS', 'Anchor ending in : is ambiguous', true);
                anchor = token;
                start ?? (start = token.offset);
                atNewline = false;
                hasSpace = false;
                reqSpace = true;
                break;
            case 'tag': {
                if (tag)
                    onError(token, 'MULTIPLE_TAGS', 'A node can have at most one tag');
                tag = token;
                start ?? (start = token.offset);
                atNewline = false;
                hasSpace = false;
                reqSpace = true;
                break;
            }
            case indicator:
                // Could here handle preceding comments differently
                if (anchor || tag)
                    onError(token, 'BAD_PROP_ORDER', `Anchors and tags must be after the ${token.source} indicator`);
                if (found)
                    onError(token, 'UNEXPECTED_TOKEN', `Unexpected ${token.source} in ${flow ?? 'collection'}`);
                found = token;
                atNewline =
                    indicator === 'seq-item-ind' || indicator === 'explicit-key-ind';
                hasSpace = false;
                break;
            case 'comma':
                if (flow) {
                    if (comma)
                        onError(token, 'UNEXPECTED_TOKEN', `Unexpected , in ${flow}`);
                    comma = token;
                    atNewline = false;
                    hasSpace = false;
                    break;
                }
            // else fallthrough
            default:
                onError(token, 'UNEXPECTED_TOKEN', `Unexpected ${token.type} token`);
                atNewline = false;
                hasSpace = false;
        }
    }
    const last = tokens[tokens.length - 1];
    const end = last ? last.offset + last.source.length : offset;
    if (reqSpace &&
        next &&
        next.type !== 'space' &&
        next.type !== 'newline' &&
        next.type !== 'comma' &&
        (next.type !== 'scalar' || next.source !== '')) {
        onError(next.offset, 'MISSING_CHAR', 'Tags and anchors must be separated from the next token by white space');
    }
    if (tab &&
        ((atNewline && tab.indent <= parentIndent) ||
            next?.type === 'block-map' ||
            next?.type === 'block-seq'))
        onError(tab, 'TAB_AS_INDENT', 'Tabs are not allowed as indentation');
    return {
        comma,
        found,
        spaceBefore,
        comment,
        hasNewline,
        anchor,
        tag,
        newlineAfterProp,
        end,
        start: start ?? end
    };
}

exports.resolveProps = resolveProps;


/***/ }),

/***/ 9499:
/***/ ((__unused_webpack_module, exports) => {



function containsNewline(key) {
    if (!key)
        return null;
    switch (key.type) {
        case 'alias':
        case 'scalar':
        case 'double-quoted-scalar':
        case 'single-quoted-scalar':
            if (key.source.includes('\n'))
                return true;
            if (key.end)
                for (const st of key.end)
                    if (st.type === 'newline')
                        return true;
            return false;
        case 'flow-collection':
            for (const it of key.items) {
                for (const st of it.start)
                    if (st.type === 'newline')
                        return true;
                if (it.sep)
                    for (const st of it.sep)
                        if (st.type === 'newline')
                            return true;
                if (containsNewline(it.key) || containsNewline(it.value))
                    return true;
            }
            return false;
        default:
            return true;
    }
}

exports.containsNewline = containsNewline;


/***/ }),

/***/ 2599:
/***/ ((__unused_webpack_module, exports) => {



function emptyScalarPosition(offset, before, pos) {
    if (before) {
        pos ?? (pos = before.length);
        for (let i = pos - 1; i >= 0; --i) {
            let st = before[i];
            switch (st.type) {
                case 'space':
                case 'comment':
                case 'newline':
                    offset -= st.source.length;
                    continue;
            }
            // Technically, an empty scalar is immediately after the last non-empty
            // node, but it's more useful to place it after any whitespace.
            st = before[++i];
            while (st?.type === 'space') {
                offset += st.source.length;
                st = before[++i];
            }
            break;
        }
    }
    return offset;
}

exports.emptyScalarPosition = emptyScalarPosition;


/***/ }),

/***/ 4051:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var utilContainsNewline = __nccwpck_require__(9499);

function flowIndentCheck(indent, fc, onError) {
    if (fc?.type === 'flow-collection') {
        const end = fc.end[0];
        if (end.indent === indent &&
            (end.source === ']' || end.source === '}') &&
            utilContainsNewline.containsNewline(fc)) {
            const msg = 'Flow end indicator should be more indented than parent';
            onError(end, 'BAD_INDENT', msg, true);
        }
    }
}

exports.flowIndentCheck = flowIndentCheck;


/***/ }),

/***/ 1187:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);

function mapIncludes(ctx, items, search) {
    const { uniqueKeys } = ctx.options;
    if (uniqueKeys === false)
        return false;
    const isEqual = typeof uniqueKeys === 'function'
        ? uniqueKeys
        : (a, b) => a === b || (identity.isScalar(a) && identity.isScalar(b) && a.value === b.value);
    return items.some(pair => isEqual(pair.key, search));
}

exports.mapIncludes = mapIncludes;


/***/ }),

/***/ 3021:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Alias = __nccwpck_require__(4065);
var Collection = __nccwpck_require__(101);
var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var toJS = __nccwpck_require__(4043);
var Schema = __nccwpck_require__(5840);
var stringifyDocument = __nccwpck_require__(6829);
var anchors = __nccwpck_require__(1596);
var applyReviver = __nccwpck_require__(3661);
var createNode = __nccwpck_require__(2404);
var directives = __nccwpck_require__(1342);

class Document {
    constructor(value, replacer, options) {
        /** A comment before this Document */
        this.commentBefore = null;
        /** A comment immediately after this Document */
        this.comment = null;
        /** Errors encountered during parsing. */
        this.errors = [];
        /** Warnings encountered during parsing. */
        this.warnings = [];
        Object.defineProperty(this, identity.NODE_TYPE, { value: identity.DOC });
        let _replacer = null;
        if (typeof replacer === 'function' || Array.isArray(replacer)) {
            _replacer = replacer;
        }
        else if (options === undefined && replacer) {
            options = replacer;
            replacer = undefined;
        }
        const opt = Object.assign({
            intAsBigInt: false,
            keepSourceTokens: false,
            logLevel: 'warn',
            prettyErrors: true,
            strict: true,
            stringKeys: false,
            uniqueKeys: true,
            version: '1.2'
        }, options);
        this.options = opt;
        let { version } = opt;
        if (options?._directives) {
            this.directives = options._directives.atDocument();
            if (this.directives.yaml.explicit)
                version = this.directives.yaml.version;
        }
        else
            this.directives = new directives.Directives({ version });
        this.setSchema(version, options);
        // @ts-expect-error We can't really know that this matches Contents.
        this.contents =
            value === undefined ? null : this.createNode(value, _replacer, options);
    }
    /**
     * Create a deep copy of this Document and its contents.
     *
     * Custom Node values that inherit from `Object` still refer to their original instances.
     */
    clone() {
        const copy = Object.create(Document.prototype, {
            [identity.NODE_TYPE]: { value: identity.DOC }
        });
        copy.commentBefore = this.commentBefore;
        copy.comment = this.comment;
        copy.errors = this.errors.slice();
        copy.warnings = this.warnings.slice();
        copy.options = Object.assign({}, this.options);
        if (this.directives)
            copy.directives = this.directives.clone();
        copy.schema = this.schema.clone();
        // @ts-expect-error We can't really know that this matches Contents.
        copy.contents = identity.isNode(this.contents)
            ? this.contents.clone(copy.schema)
            : this.contents;
        if (this.range)
            copy.range = this.range.slice();
        return copy;
    }
    /** Adds a value to the document. */
    add(value) {
        if (assertCollection(this.contents))
            this.contents.add(value);
    }
    /** Adds a value to the document. */
    addIn(path, value) {
        if (assertCollection(this.contents))
            this.contents.addIn(path, value);
    }
    /**
     * Create a new `Alias` node, ensuring that the target `node` has the required anchor.
     *
     * If `node` already has an anchor, `name` is ignored.
     * Otherwise, the `node.anchor` value will be set to `name`,
     * or if an anchor with that name is already present in the document,
     * `name` will be used as a prefix for a new unique anchor.
     * If `name` is undefined, the generated anchor will use 'a' as a prefix.
     */
    createAlias(node, name) {
        if (!node.anchor) {
            const prev = anchors.anchorNames(this);
            node.anchor =
                // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
                !name || prev.has(name) ? anchors.findNewAnchor(name || 'a', prev) : name;
        }
        return new Alias.Alias(node.anchor);
    }
    createNode(value, replacer, options) {
        let _replacer = undefined;
        if (typeof replacer === 'function') {
            value = replacer.call({ '': value }, '', value);
            _replacer = replacer;
        }
        else if (Array.isArray(replacer)) {
            const keyToStr = (v) => typeof v === 'number' || v instanceof String || v instanceof Number;
            const asStr = replacer.filter(keyToStr).map(String);
            if (asStr.length > 0)
                replacer = replacer.concat(asStr);
            _replacer = replacer;
        }
        else if (options === undefined && replacer) {
            options = replacer;
            replacer = undefined;
        }
        const { aliasDuplicateObjects, anchorPrefix, flow, keepUndefined, onTagObj, tag } = options ?? {};
        const { onAnchor, setAnchors, sourceObjects } = anchors.createNodeAnchors(this, 
        // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
        anchorPrefix || 'a');
        const ctx = {
            aliasDuplicateObjects: aliasDuplicateObjects ?? true,
            keepUndefined: keepUndefined ?? false,
            onAnchor,
            onTagObj,
            replacer: _replacer,
            schema: this.schema,
            sourceObjects
        };
        const node = createNode.createNode(value, tag, ctx);
        if (flow && identity.isCollection(node))
            node.flow = true;
        setAnchors();
        return node;
    }
    /**
     * Convert a key and a value into a `Pair` using the current schema,
     * recursively wrapping all values as `Scalar` or `Collection` nodes.
     */
    createPair(key, value, options = {}) {
        const k = this.createNode(key, null, options);
        const v = this.createNode(value, null, options);
        return new Pair.Pair(k, v);
    }
    /**
     * Removes a value from the document.
     * @returns `true` if the item was found and removed.
     */
    delete(key) {
        return assertCollection(this.contents) ? this.contents.delete(key) : false;
    }
    /**
     * Removes a value from the document.
     * @returns `true` if the item was found and removed.
     */
    deleteIn(path) {
        if (Collection.isEmptyPath(path)) {
            if (this.contents == null)
                return false;
            // @ts-expect-error Presumed impossible if Strict extends false
            this.contents = null;
            return true;
        }
        return assertCollection(this.contents)
            ? this.contents.deleteIn(path)
            : false;
    }
    /**
     * Returns item at `key`, or `undefined` if not found. By default unwraps
     * scalar values from their surrounding node; to disable set `keepScalar` to
     * `true` (collections are always returned intact).
     */
    get(key, keepScalar) {
        return identity.isCollection(this.contents)
            ? this.contents.get(key, keepScalar)
            : undefined;
    }
    /**
     * Returns item at `path`, or `undefined` if not found. By default unwraps
     * scalar values from their surrounding node; to disable set `keepScalar` to
     * `true` (collections are always returned intact).
     */
    getIn(path, keepScalar) {
        if (Collection.isEmptyPath(path))
            return !keepScalar && identity.isScalar(this.contents)
                ? this.contents.value
                : this.contents;
        return identity.isCollection(this.contents)
            ? this.contents.getIn(path, keepScalar)
            : undefined;
    }
    /**
     * Checks if the document includes a value with the key `key`.
     */
    has(key) {
        return identity.isCollection(this.contents) ? this.contents.has(key) : false;
    }
    /**
     * Checks if the document includes a value at `path`.
     */
    hasIn(path) {
        if (Collection.isEmptyPath(path))
            return this.contents !== undefined;
        return identity.isCollection(this.contents) ? this.contents.hasIn(path) : false;
    }
    /**
     * Sets a value in this document. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     */
    set(key, value) {
        if (this.contents == null) {
            // @ts-expect-error We can't really know that this matches Contents.
            this.contents = Collection.collectionFromPath(this.schema, [key], value);
        }
        else if (assertCollection(this.contents)) {
            this.contents.set(key, value);
        }
    }
    /**
     * Sets a value in this document. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     */
    setIn(path, value) {
        if (Collection.isEmptyPath(path)) {
            // @ts-expect-error We can't really know that this matches Contents.
            this.contents = value;
        }
        else if (this.contents == null) {
            // @ts-expect-error We can't really know that this matches Contents.
            this.contents = Collection.collectionFromPath(this.schema, Array.from(path), value);
        }
        else if (assertCollection(this.contents)) {
            this.contents.setIn(path, value);
        }
    }
    /**
     * Change the YAML version and schema used by the document.
     * A `null` version disables support for directives, explicit tags, anchors, and aliases.
     * It also requires the `schema` option to be given as a `Schema` instance value.
     *
     * Overrides all previously set schema options.
     */
    setSchema(version, options = {}) {
        if (typeof version === 'number')
            version = String(version);
        let opt;
        switch (version) {
            case '1.1':
                if (this.directives)
                    this.directives.yaml.version = '1.1';
                else
                    this.directives = new directives.Directives({ version: '1.1' });
                opt = { resolveKnownTags: false, schema: 'yaml-1.1' };
                break;
            case '1.2':
            case 'next':
                if (this.directives)
                    this.directives.yaml.version = version;
                else
                    this.directives = new directives.Directives({ version });
                opt = { resolveKnownTags: true, schema: 'core' };
                break;
            case null:
                if (this.directives)
                    delete this.directives;
                opt = null;
                break;
            default: {
                const sv = JSON.stringify(version);
                throw new Error(`Expected '1.1', '1.2' or null as first argument, but found: ${sv}`);
            }
        }
        // Not using `instanceof Schema` to allow for duck typing
        if (options.schema instanceof Object)
            this.schema = options.schema;
        else if (opt)
            this.schema = new Schema.Schema(Object.assign(opt, options));
        else
            throw new Error(`With a null YAML version, the { schema: Schema } option is required`);
    }
    // json & jsonArg are only used from toJSON()
    toJS({ json, jsonArg, mapAsMap, maxAliasCount, onAnchor, reviver } = {}) {
        const ctx = {
            anchors: new Map(),
            doc: this,
            keep: !json,
            mapAsMap: mapAsMap === true,
            mapKeyWarned: false,
            maxAliasCount: typeof maxAliasCount === 'number' ? maxAliasCount : 100
        };
        const res = toJS.toJS(this.contents, jsonArg ?? '', ctx);
        if (typeof onAnchor === 'function')
            for (const { count, res } of ctx.anchors.values())
                onAnchor(res, count);
        return typeof reviver === 'function'
            ? applyReviver.applyReviver(reviver, { '': res }, '', res)
            : res;
    }
    /**
     * A JSON representation of the document `contents`.
     *
     * @param jsonArg Used by `JSON.stringify` to indicate the array index or
     *   property name.
     */
    toJSON(jsonArg, onAnchor) {
        return this.toJS({ json: true, jsonArg, mapAsMap: false, onAnchor });
    }
    /** A YAML representation of the document. */
    toString(options = {}) {
        if (this.errors.length > 0)
            throw new Error('Document with errors cannot be stringified');
        if ('indent' in options &&
            (!Number.isInteger(options.indent) || Number(options.indent) <= 0)) {
            const s = JSON.stringify(options.indent);
            throw new Error(`"indent" option must be a positive integer, not ${s}`);
        }
        return stringifyDocument.stringifyDocument(this, options);
    }
}
function assertCollection(contents) {
    if (identity.isCollection(contents))
        return true;
    throw new Error('Expected a YAML collection as document contents');
}

exports.Document = Document;


/***/ }),

/***/ 1596:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var visit = __nccwpck_require__(204);

/**
 * Verify that the input string is a valid anchor.
 *
 * Will throw on errors.
 */
function anchorIsValid(anchor) {
    if (/[\x00-\x19\s,[\]{}]/.test(anchor)) {
        const sa = JSON.stringify(anchor);
        const msg = `Anchor must not contain whitespace or control characters: ${sa}`;
        throw new Error(msg);
    }
    return true;
}
function anchorNames(root) {
    const anchors = new Set();
    visit.visit(root, {
        Value(_key, node) {
            if (node.anchor)
                anchors.add(node.anchor);
        }
    });
    return anchors;
}
/** Find a new anchor name with the given `prefix` and a one-indexed suffix. */
function findNewAnchor(prefix, exclude) {
    for (let i = 1; true; ++i) {
        const name = `${prefix}${i}`;
        if (!exclude.has(name))
            return name;
    }
}
function createNodeAnchors(doc, prefix) {
    const aliasObjects = [];
    const sourceObjects = new Map();
    let prevAnchors = null;
    return {
        onAnchor: (source) => {
            aliasObjects.push(source);
            prevAnchors ?? (prevAnchors = anchorNames(doc));
            const anchor = findNewAnchor(prefix, prevAnchors);
            prevAnchors.add(anchor);
            return anchor;
        },
        /**
         * With circular references, the source node is only resolved after all
         * of its child nodes are. This is why anchors are set only after all of
         * the nodes have been created.
         */
        setAnchors: () => {
            for (const source of aliasObjects) {
                const ref = sourceObjects.get(source);
                if (typeof ref === 'object' &&
                    ref.anchor &&
                    (identity.isScalar(ref.node) || identity.isCollection(ref.node))) {
                    ref.node.anchor = ref.anchor;
                }
                else {
                    const error = new Error('Failed to resolve repeated object (this should not happen)');
                    error.source = source;
                    throw error;
                }
            }
        },
        sourceObjects
    };
}

exports.anchorIsValid = anchorIsValid;
exports.anchorNames = anchorNames;
exports.createNodeAnchors = createNodeAnchors;
exports.findNewAnchor = findNewAnchor;


/***/ }),

/***/ 3661:
/***/ ((__unused_webpack_module, exports) => {



/**
 * Applies the JSON.parse reviver algorithm as defined in the ECMA-262 spec,
 * in section 24.5.1.1 "Runtime Semantics: InternalizeJSONProperty" of the
 * 2021 edition: https://tc39.es/ecma262/#sec-json.parse
 *
 * Includes extensions for handling Map and Set objects.
 */
function applyReviver(reviver, obj, key, val) {
    if (val && typeof val === 'object') {
        if (Array.isArray(val)) {
            for (let i = 0, len = val.length; i < len; ++i) {
                const v0 = val[i];
                const v1 = applyReviver(reviver, val, String(i), v0);
                // eslint-disable-next-line @typescript-eslint/no-array-delete
                if (v1 === undefined)
                    delete val[i];
                else if (v1 !== v0)
                    val[i] = v1;
            }
        }
        else if (val instanceof Map) {
            for (const k of Array.from(val.keys())) {
                const v0 = val.get(k);
                const v1 = applyReviver(reviver, val, k, v0);
                if (v1 === undefined)
                    val.delete(k);
                else if (v1 !== v0)
                    val.set(k, v1);
            }
        }
        else if (val instanceof Set) {
            for (const v0 of Array.from(val)) {
                const v1 = applyReviver(reviver, val, v0, v0);
                if (v1 === undefined)
                    val.delete(v0);
                else if (v1 !== v0) {
                    val.delete(v0);
                    val.add(v1);
                }
            }
        }
        else {
            for (const [k, v0] of Object.entries(val)) {
                const v1 = applyReviver(reviver, val, k, v0);
                if (v1 === undefined)
                    delete val[k];
                else if (v1 !== v0)
                    val[k] = v1;
            }
        }
    }
    return reviver.call(obj, key, val);
}

exports.applyReviver = applyReviver;


/***/ }),

/***/ 2404:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Alias = __nccwpck_require__(4065);
var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);

const defaultTagPrefix = 'tag:yaml.org,2002:';
function findTagObject(value, tagName, tags) {
    if (tagName) {
        const match = tags.filter(t => t.tag === tagName);
        const tagObj = match.find(t => !t.format) ?? match[0];
        if (!tagObj)
            throw new Error(`Tag ${tagName} not found`);
        return tagObj;
    }
    return tags.find(t => t.identify?.(value) && !t.format);
}
function createNode(value, tagName, ctx) {
    if (identity.isDocument(value))
        value = value.contents;
    if (identity.isNode(value))
        return value;
    if (identity.isPair(value)) {
        const map = ctx.schema[identity.MAP].createNode?.(ctx.schema, null, ctx);
        map.items.push(value);
        return map;
    }
    if (value instanceof String ||
        value instanceof Number ||
        value instanceof Boolean ||
        (typeof BigInt !== 'undefined' && value instanceof BigInt) // not supported everywhere
    ) {
        // https://tc39.es/ecma262/#sec-serializejsonproperty
        value = value.valueOf();
    }
    const { aliasDuplicateObjects, onAnchor, onTagObj, schema, sourceObjects } = ctx;
    // Detect duplicate references to the same object & use Alias nodes for all
    // after first. The `ref` wrapper allows for circular references to resolve.
    let ref = undefined;
    if (aliasDuplicateObjects && value && typeof value === 'object') {
        ref = sourceObjects.get(value);
        if (ref) {
            ref.anchor ?? (ref.anchor = onAnchor(value));
            return new Alias.Alias(ref.anchor);
        }
        else {
            ref = { anchor: null, node: null };
            sourceObjects.set(value, ref);
        }
    }
    if (tagName?.startsWith('!!'))
        tagName = defaultTagPrefix + tagName.slice(2);
    let tagObj = findTagObject(value, tagName, schema.tags);
    if (!tagObj) {
        if (value && typeof value.toJSON === 'function') {
            // eslint-disable-next-line @typescript-eslint/no-unsafe-call
            value = value.toJSON();
        }
        if (!value || typeof value !== 'object') {
            const node = new Scalar.Scalar(value);
            if (ref)
                ref.node = node;
            return node;
        }
        tagObj =
            value instanceof Map
                ? schema[identity.MAP]
                : Symbol.iterator in Object(value)
                    ? schema[identity.SEQ]
                    : schema[identity.MAP];
    }
    if (onTagObj) {
        onTagObj(tagObj);
        delete ctx.onTagObj;
    }
    const node = tagObj?.createNode
        ? tagObj.createNode(ctx.schema, value, ctx)
        : typeof tagObj?.nodeClass?.from === 'function'
            ? tagObj.nodeClass.from(ctx.schema, value, ctx)
            : new Scalar.Scalar(value);
    if (tagName)
        node.tag = tagName;
    else if (!tagObj.default)
        node.tag = tagObj.tag;
    if (ref)
        ref.node = node;
    return node;
}

exports.createNode = createNode;


/***/ }),

/***/ 1342:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var visit = __nccwpck_require__(204);

const escapeChars = {
    '!': '%21',
    ',': '%2C',
    '[': '%5B',
    ']': '%5D',
    '{': '%7B',
    '}': '%7D'
};
const escapeTagName = (tn) => tn.replace(/[!,[\]{}]/g, ch => escapeChars[ch]);
class Directives {
    constructor(yaml, tags) {
        /**
         * The directives-end/doc-start marker `---`. If `null`, a marker may still be
         * included in the document's stringified representation.
         */
        this.docStart = null;
        /** The doc-end marker `...`.  */
        this.docEnd = false;
        this.yaml = Object.assign({}, Directives.defaultYaml, yaml);
        this.tags = Object.assign({}, Directives.defaultTags, tags);
    }
    clone() {
        const copy = new Directives(this.yaml, this.tags);
        copy.docStart = this.docStart;
        return copy;
    }
    /**
     * During parsing, get a Directives instance for the current document and
     * update the stream state according to the current version's spec.
     */
    atDocument() {
        const res = new Directives(this.yaml, this.tags);
        switch (this.yaml.version) {
            case '1.1':
                this.atNextDocument = true;
                break;
            case '1.2':
                this.atNextDocument = false;
                this.yaml = {
                    explicit: Directives.defaultYaml.explicit,
                    version: '1.2'
                };
                this.tags = Object.assign({}, Directives.defaultTags);
                break;
        }
        return res;
    }
    /**
     * @param onError - May be called even if the action was successful
     * @returns `true` on success
     */
    add(line, onError) {
        if (this.atNextDocument) {
            this.yaml = { explicit: Directives.defaultYaml.explicit, version: '1.1' };
            this.tags = Object.assign({}, Directives.defaultTags);
            this.atNextDocument = false;
        }
        const parts = line.trim().split(/[ \t]+/);
        const name = parts.shift();
        switch (name) {
            case '%TAG': {
                if (parts.length !== 2) {
                    onError(0, '%TAG directive should contain exactly two parts');
                    if (parts.length < 2)
                        return false;
                }
                const [handle, prefix] = parts;
                this.tags[handle] = prefix;
                return true;
            }
            case '%YAML': {
                this.yaml.explicit = true;
                if (parts.length !== 1) {
                    onError(0, '%YAML directive should contain exactly one part');
                    return false;
                }
                const [version] = parts;
                if (version === '1.1' || version === '1.2') {
                    this.yaml.version = version;
                    return true;
                }
                else {
                    const isValid = /^\d+\.\d+$/.test(version);
                    onError(6, `Unsupported YAML version ${version}`, isValid);
                    return false;
                }
            }
            default:
                onError(0, `Unknown directive ${name}`, true);
                return false;
        }
    }
    /**
     * Resolves a tag, matching handles to those defined in %TAG directives.
     *
     * @returns Resolved tag, which may also be the non-specific tag `'!'` or a
     *   `'!local'` tag, or `null` if unresolvable.
     */
    tagName(source, onError) {
        if (source === '!')
            return '!'; // non-specific tag
        if (source[0] !== '!') {
            onError(`Not a valid tag: ${source}`);
            return null;
        }
        if (source[1] === '<') {
            const verbatim = source.slice(2, -1);
            if (verbatim === '!' || verbatim === '!!') {
                onError(`Verbatim tags aren't resolved, so ${source} is invalid.`);
                return null;
            }
            if (source[source.length - 1] !== '>')
                onError('Verbatim tags must end with a >');
            return verbatim;
        }
        const [, handle, suffix] = source.match(/^(.*!)([^!]*)$/s);
        if (!suffix)
            onError(`The ${source} tag has no suffix`);
        const prefix = this.tags[handle];
        if (prefix) {
            try {
                return prefix + decodeURIComponent(suffix);
            }
            catch (error) {
                onError(String(error));
                return null;
            }
        }
        if (handle === '!')
            return source; // local tag
        onError(`Could not resolve tag: ${source}`);
        return null;
    }
    /**
     * Given a fully resolved tag, returns its printable string form,
     * taking into account current tag prefixes and defaults.
     */
    tagString(tag) {
        for (const [handle, prefix] of Object.entries(this.tags)) {
            if (tag.startsWith(prefix))
                return handle + escapeTagName(tag.substring(prefix.length));
        }
        return tag[0] === '!' ? tag : `!<${tag}>`;
    }
    toString(doc) {
        const lines = this.yaml.explicit
            ? [`%YAML ${this.yaml.version || '1.2'}`]
            : [];
        const tagEntries = Object.entries(this.tags);
        let tagNames;
        if (doc && tagEntries.length > 0 && identity.isNode(doc.contents)) {
            const tags = {};
            visit.visit(doc.contents, (_key, node) => {
                if (identity.isNode(node) && node.tag)
                    tags[node.tag] = true;
            });
            tagNames = Object.keys(tags);
        }
        else
            tagNames = [];
        for (const [handle, prefix] of tagEntries) {
            if (handle === '!!' && prefix === 'tag:yaml.org,2002:')
                continue;
            if (!doc || tagNames.some(tn => tn.startsWith(prefix)))
                lines.push(`%TAG ${handle} ${prefix}`);
        }
        return lines.join('\n');
    }
}
Directives.defaultYaml = { explicit: false, version: '1.2' };
Directives.defaultTags = { '!!': 'tag:yaml.org,2002:' };

exports.Directives = Directives;


/***/ }),

/***/ 1464:
/***/ ((__unused_webpack_module, exports) => {



class YAMLError extends Error {
    constructor(name, pos, code, message) {
        super();
        this.name = name;
        this.code = code;
        this.message = message;
        this.pos = pos;
    }
}
class YAMLParseError extends YAMLError {
    constructor(pos, code, message) {
        super('YAMLParseError', pos, code, message);
    }
}
class YAMLWarning extends YAMLError {
    constructor(pos, code, message) {
        super('YAMLWarning', pos, code, message);
    }
}
const prettifyError = (src, lc) => (error) => {
    if (error.pos[0] === -1)
        return;
    error.linePos = error.pos.map(pos => lc.linePos(pos));
    const { line, col } = error.linePos[0];
    error.message += ` at line ${line}, column ${col}`;
    let ci = col - 1;
    let lineStr = src
        .substring(lc.lineStarts[line - 1], lc.lineStarts[line])
        .replace(/[\n\r]+$/, '');
    // Trim to max 80 chars, keeping col position near the middle
    if (ci >= 60 && lineStr.length > 80) {
        const trimStart = Math.min(ci - 39, lineStr.length - 79);
        lineStr = '\u2026' + lineStr.substring(trimStart);
        ci -= trimStart - 1;
    }
    if (lineStr.length > 80)
        lineStr = lineStr.substring(0, 79) + '\u2026';
    // Include previous line in context if pointing at line start
    if (line > 1 && /^ *$/.test(lineStr.substring(0, ci))) {
        // Regexp won't match if start is trimmed
        let prev = src.substring(lc.lineStarts[line - 2], lc.lineStarts[line - 1]);
        if (prev.length > 80)
            prev = prev.substring(0, 79) + '\u2026\n';
        lineStr = prev + lineStr;
    }
    if (/[^ ]/.test(lineStr)) {
        let count = 1;
        const end = error.linePos[1];
        if (end?.line === line && end.col > col) {
            count = Math.max(1, Math.min(end.col - col, 80 - ci));
        }
        const pointer = ' '.repeat(ci) + '^'.repeat(count);
        error.message += `:\n\n${lineStr}\n${pointer}\n`;
    }
};

exports.YAMLError = YAMLError;
exports.YAMLParseError = YAMLParseError;
exports.YAMLWarning = YAMLWarning;
exports.prettifyError = prettifyError;


/***/ }),

/***/ 8815:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {

var __webpack_unused_export__;


var composer = __nccwpck_require__(9984);
var Document = __nccwpck_require__(3021);
var Schema = __nccwpck_require__(5840);
var errors = __nccwpck_require__(1464);
var Alias = __nccwpck_require__(4065);
var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var Scalar = __nccwpck_require__(3301);
var YAMLMap = __nccwpck_require__(4454);
var YAMLSeq = __nccwpck_require__(2223);
var cst = __nccwpck_require__(3461);
var lexer = __nccwpck_require__(361);
var lineCounter = __nccwpck_require__(6628);
var parser = __nccwpck_require__(3456);
var publicApi = __nccwpck_require__(4047);
var visit = __nccwpck_require__(204);



__webpack_unused_export__ = composer.Composer;
__webpack_unused_export__ = Document.Document;
__webpack_unused_export__ = Schema.Schema;
__webpack_unused_export__ = errors.YAMLError;
__webpack_unused_export__ = errors.YAMLParseError;
__webpack_unused_export__ = errors.YAMLWarning;
__webpack_unused_export__ = Alias.Alias;
exports.Vj = identity.isAlias;
__webpack_unused_export__ = identity.isCollection;
__webpack_unused_export__ = identity.isDocument;
exports.jh = identity.isMap;
__webpack_unused_export__ = identity.isNode;
exports.tO = identity.isPair;
exports.jn = identity.isScalar;
exports.oP = identity.isSeq;
__webpack_unused_export__ = Pair.Pair;
__webpack_unused_export__ = Scalar.Scalar;
__webpack_unused_export__ = YAMLMap.YAMLMap;
__webpack_unused_export__ = YAMLSeq.YAMLSeq;
__webpack_unused_export__ = cst;
__webpack_unused_export__ = lexer.Lexer;
exports.HN = lineCounter.LineCounter;
__webpack_unused_export__ = parser.Parser;
__webpack_unused_export__ = publicApi.parse;
__webpack_unused_export__ = publicApi.parseAllDocuments;
exports.Tp = publicApi.parseDocument;
__webpack_unused_export__ = publicApi.stringify;
exports.YR = visit.visit;
__webpack_unused_export__ = visit.visitAsync;


/***/ }),

/***/ 7249:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var node_process = __nccwpck_require__(932);

function debug(logLevel, ...messages) {
    if (logLevel === 'debug')
        console.log(...messages);
}
function warn(logLevel, warning) {
    if (logLevel === 'debug' || logLevel === 'warn') {
        if (typeof node_process.emitWarning === 'function')
            node_process.emitWarning(warning);
        else
            console.warn(warning);
    }
}

exports.debug = debug;
exports.warn = warn;


/***/ }),

/***/ 4065:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var anchors = __nccwpck_require__(1596);
var visit = __nccwpck_require__(204);
var identity = __nccwpck_require__(1127);
var Node = __nccwpck_require__(6673);
var toJS = __nccwpck_require__(4043);

class Alias extends Node.NodeBase {
    constructor(source) {
        super(identity.ALIAS);
        this.source = source;
        Object.defineProperty(this, 'tag', {
            set() {
                throw new Error('Alias nodes cannot have tags');
            }
        });
    }
    /**
     * Resolve the value of this alias within `doc`, finding the last
     * instance of the `source` anchor before this node.
     */
    resolve(doc, ctx) {
        if (ctx?.maxAliasCount === 0)
            throw new ReferenceError('Alias resolution is disabled');
        let nodes;
        if (ctx?.aliasResolveCache) {
            nodes = ctx.aliasResolveCache;
        }
        else {
            nodes = [];
            visit.visit(doc, {
                Node: (_key, node) => {
                    if (identity.isAlias(node) || identity.hasAnchor(node))
                        nodes.push(node);
                }
            });
            if (ctx)
                ctx.aliasResolveCache = nodes;
        }
        let found = undefined;
        for (const node of nodes) {
            if (node === this)
                break;
            if (node.anchor === this.source)
                found = node;
        }
        if (found && ctx) {
            const { anchors, doc, maxAliasCount } = ctx;
            let data = anchors.get(found);
            if (!data) {
                // Resolve anchors for Node.prototype.toJS()
                toJS.toJS(found, null, ctx);
                data = anchors.get(found);
            }
            /* istanbul ignore if */
            if (data?.res === undefined) {
                const msg = 'This should not happen: Alias anchor was not resolved?';
                throw new ReferenceError(msg);
            }
            if (maxAliasCount >= 0) {
                data.count += 1;
                if (data.aliasCount === 0)
                    data.aliasCount = getAliasCount(doc, found, anchors);
                if (data.count * data.aliasCount > maxAliasCount) {
                    const msg = 'Excessive alias count indicates a resource exhaustion attack';
                    throw new ReferenceError(msg);
                }
            }
        }
        return found;
    }
    toJSON(_arg, ctx) {
        if (!ctx)
            return { source: this.source };
        const source = this.resolve(ctx.doc, ctx);
        if (!source) {
            const msg = `Unresolved alias (the anchor must be set before the alias): ${this.source}`;
            throw new ReferenceError(msg);
        }
        return ctx.anchors.get(source).res;
    }
    toString(ctx, _onComment, _onChompKeep) {
        const src = `*${this.source}`;
        if (ctx) {
            anchors.anchorIsValid(this.source);
            if (ctx.options.verifyAliasOrder && !ctx.anchors.has(this.source)) {
                const msg = `Unresolved alias (the anchor must be set before the alias): ${this.source}`;
                throw new Error(msg);
            }
            if (ctx.implicitKey)
                return `${src} `;
        }
        return src;
    }
}
function getAliasCount(doc, node, anchors) {
    if (identity.isAlias(node)) {
        const source = node.resolve(doc);
        const anchor = anchors && source && anchors.get(source);
        return anchor ? anchor.count * anchor.aliasCount : 0;
    }
    else if (identity.isCollection(node)) {
        let count = 0;
        for (const item of node.items) {
            const c = getAliasCount(doc, item, anchors);
            if (c > count)
                count = c;
        }
        return count;
    }
    else if (identity.isPair(node)) {
        const kc = getAliasCount(doc, node.key, anchors);
        const vc = getAliasCount(doc, node.value, anchors);
        return Math.max(kc, vc);
    }
    return 1;
}

exports.Alias = Alias;


/***/ }),

/***/ 101:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var createNode = __nccwpck_require__(2404);
var identity = __nccwpck_require__(1127);
var Node = __nccwpck_require__(6673);

function collectionFromPath(schema, path, value) {
    let v = value;
    for (let i = path.length - 1; i >= 0; --i) {
        const k = path[i];
        if (typeof k === 'number' && Number.isInteger(k) && k >= 0) {
            const a = [];
            a[k] = v;
            v = a;
        }
        else {
            v = new Map([[k, v]]);
        }
    }
    return createNode.createNode(v, undefined, {
        aliasDuplicateObjects: false,
        keepUndefined: false,
        onAnchor: () => {
            throw new Error('This should not happen, please report a bug.');
        },
        schema,
        sourceObjects: new Map()
    });
}
// Type guard is intentionally a little wrong so as to be more useful,
// as it does not cover untypable empty non-string iterables (e.g. []).
const isEmptyPath = (path) => path == null ||
    (typeof path === 'object' && !!path[Symbol.iterator]().next().done);
class Collection extends Node.NodeBase {
    constructor(type, schema) {
        super(type);
        Object.defineProperty(this, 'schema', {
            value: schema,
            configurable: true,
            enumerable: false,
            writable: true
        });
    }
    /**
     * Create a copy of this collection.
     *
     * @param schema - If defined, overwrites the original's schema
     */
    clone(schema) {
        const copy = Object.create(Object.getPrototypeOf(this), Object.getOwnPropertyDescriptors(this));
        if (schema)
            copy.schema = schema;
        copy.items = copy.items.map(it => identity.isNode(it) || identity.isPair(it) ? it.clone(schema) : it);
        if (this.range)
            copy.range = this.range.slice();
        return copy;
    }
    /**
     * Adds a value to the collection. For `!!map` and `!!omap` the value must
     * be a Pair instance or a `{ key, value }` object, which may not have a key
     * that already exists in the map.
     */
    addIn(path, value) {
        if (isEmptyPath(path))
            this.add(value);
        else {
            const [key, ...rest] = path;
            const node = this.get(key, true);
            if (identity.isCollection(node))
                node.addIn(rest, value);
            else if (node === undefined && this.schema)
                this.set(key, collectionFromPath(this.schema, rest, value));
            else
                throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
        }
    }
    /**
     * Removes a value from the collection.
     * @returns `true` if the item was found and removed.
     */
    deleteIn(path) {
        const [key, ...rest] = path;
        if (rest.length === 0)
            return this.delete(key);
        const node = this.get(key, true);
        if (identity.isCollection(node))
            return node.deleteIn(rest);
        else
            throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
    }
    /**
     * Returns item at `key`, or `undefined` if not found. By default unwraps
     * scalar values from their surrounding node; to disable set `keepScalar` to
     * `true` (collections are always returned intact).
     */
    getIn(path, keepScalar) {
        const [key, ...rest] = path;
        const node = this.get(key, true);
        if (rest.length === 0)
            return !keepScalar && identity.isScalar(node) ? node.value : node;
        else
            return identity.isCollection(node) ? node.getIn(rest, keepScalar) : undefined;
    }
    hasAllNullValues(allowScalar) {
        return this.items.every(node => {
            if (!identity.isPair(node))
                return false;
            const n = node.value;
            return (n == null ||
                (allowScalar &&
                    identity.isScalar(n) &&
                    n.value == null &&
                    !n.commentBefore &&
                    !n.comment &&
                    !n.tag));
        });
    }
    /**
     * Checks if the collection includes a value with the key `key`.
     */
    hasIn(path) {
        const [key, ...rest] = path;
        if (rest.length === 0)
            return this.has(key);
        const node = this.get(key, true);
        return identity.isCollection(node) ? node.hasIn(rest) : false;
    }
    /**
     * Sets a value in this collection. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     */
    setIn(path, value) {
        const [key, ...rest] = path;
        if (rest.length === 0) {
            this.set(key, value);
        }
        else {
            const node = this.get(key, true);
            if (identity.isCollection(node))
                node.setIn(rest, value);
            else if (node === undefined && this.schema)
                this.set(key, collectionFromPath(this.schema, rest, value));
            else
                throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
        }
    }
}

exports.Collection = Collection;
exports.collectionFromPath = collectionFromPath;
exports.isEmptyPath = isEmptyPath;


/***/ }),

/***/ 6673:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var applyReviver = __nccwpck_require__(3661);
var identity = __nccwpck_require__(1127);
var toJS = __nccwpck_require__(4043);

class NodeBase {
    constructor(type) {
        Object.defineProperty(this, identity.NODE_TYPE, { value: type });
    }
    /** Create a copy of this node.  */
    clone() {
        const copy = Object.create(Object.getPrototypeOf(this), Object.getOwnPropertyDescriptors(this));
        if (this.range)
            copy.range = this.range.slice();
        return copy;
    }
    /** A plain JavaScript representation of this node. */
    toJS(doc, { mapAsMap, maxAliasCount, onAnchor, reviver } = {}) {
        if (!identity.isDocument(doc))
            throw new TypeError('A document argument is required');
        const ctx = {
            anchors: new Map(),
            doc,
            keep: true,
            mapAsMap: mapAsMap === true,
            mapKeyWarned: false,
            maxAliasCount: typeof maxAliasCount === 'number' ? maxAliasCount : 100
        };
        const res = toJS.toJS(this, '', ctx);
        if (typeof onAnchor === 'function')
            for (const { count, res } of ctx.anchors.values())
                onAnchor(res, count);
        return typeof reviver === 'function'
            ? applyReviver.applyReviver(reviver, { '': res }, '', res)
            : res;
    }
}

exports.NodeBase = NodeBase;


/***/ }),

/***/ 7165:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var createNode = __nccwpck_require__(2404);
var stringifyPair = __nccwpck_require__(9748);
var addPairToJSMap = __nccwpck_require__(7104);
var identity = __nccwpck_require__(1127);

function createPair(key, value, ctx) {
    const k = createNode.createNode(key, undefined, ctx);
    const v = createNode.createNode(value, undefined, ctx);
    return new Pair(k, v);
}
class Pair {
    constructor(key, value = null) {
        Object.defineProperty(this, identity.NODE_TYPE, { value: identity.PAIR });
        this.key = key;
        this.value = value;
    }
    clone(schema) {
        let { key, value } = this;
        if (identity.isNode(key))
            key = key.clone(schema);
        if (identity.isNode(value))
            value = value.clone(schema);
        return new Pair(key, value);
    }
    toJSON(_, ctx) {
        const pair = ctx?.mapAsMap ? new Map() : {};
        return addPairToJSMap.addPairToJSMap(ctx, pair, this);
    }
    toString(ctx, onComment, onChompKeep) {
        return ctx?.doc
            ? stringifyPair.stringifyPair(this, ctx, onComment, onChompKeep)
            : JSON.stringify(this);
    }
}

exports.Pair = Pair;
exports.createPair = createPair;


/***/ }),

/***/ 3301:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Node = __nccwpck_require__(6673);
var toJS = __nccwpck_require__(4043);

const isScalarValue = (value) => !value || (typeof value !== 'function' && typeof value !== 'object');
class Scalar extends Node.NodeBase {
    constructor(value) {
        super(identity.SCALAR);
        this.value = value;
    }
    toJSON(arg, ctx) {
        return ctx?.keep ? this.value : toJS.toJS(this.value, arg, ctx);
    }
    toString() {
        return String(this.value);
    }
}
Scalar.BLOCK_FOLDED = 'BLOCK_FOLDED';
Scalar.BLOCK_LITERAL = 'BLOCK_LITERAL';
Scalar.PLAIN = 'PLAIN';
Scalar.QUOTE_DOUBLE = 'QUOTE_DOUBLE';
Scalar.QUOTE_SINGLE = 'QUOTE_SINGLE';

exports.Scalar = Scalar;
exports.isScalarValue = isScalarValue;


/***/ }),

/***/ 4454:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyCollection = __nccwpck_require__(1212);
var addPairToJSMap = __nccwpck_require__(7104);
var Collection = __nccwpck_require__(101);
var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var Scalar = __nccwpck_require__(3301);

function findPair(items, key) {
    const k = identity.isScalar(key) ? key.value : key;
    for (const it of items) {
        if (identity.isPair(it)) {
            if (it.key === key || it.key === k)
                return it;
            if (identity.isScalar(it.key) && it.key.value === k)
                return it;
        }
    }
    return undefined;
}
class YAMLMap extends Collection.Collection {
    static get tagName() {
        return 'tag:yaml.org,2002:map';
    }
    constructor(schema) {
        super(identity.MAP, schema);
        this.items = [];
    }
    /**
     * A generic collection parsing method that can be extended
     * to other node classes that inherit from YAMLMap
     */
    static from(schema, obj, ctx) {
        const { keepUndefined, replacer } = ctx;
        const map = new this(schema);
        const add = (key, value) => {
            if (typeof replacer === 'function')
                value = replacer.call(obj, key, value);
            else if (Array.isArray(replacer) && !replacer.includes(key))
                return;
            if (value !== undefined || keepUndefined)
                map.items.push(Pair.createPair(key, value, ctx));
        };
        if (obj instanceof Map) {
            for (const [key, value] of obj)
                add(key, value);
        }
        else if (obj && typeof obj === 'object') {
            for (const key of Object.keys(obj))
                add(key, obj[key]);
        }
        if (typeof schema.sortMapEntries === 'function') {
            map.items.sort(schema.sortMapEntries);
        }
        return map;
    }
    /**
     * Adds a value to the collection.
     *
     * @param overwrite - If not set `true`, using a key that is already in the
     *   collection will throw. Otherwise, overwrites the previous value.
     */
    add(pair, overwrite) {
        let _pair;
        if (identity.isPair(pair))
            _pair = pair;
        else if (!pair || typeof pair !== 'object' || !('key' in pair)) {
            // In TypeScript, this never happens.
            _pair = new Pair.Pair(pair, pair?.value);
        }
        else
            _pair = new Pair.Pair(pair.key, pair.value);
        const prev = findPair(this.items, _pair.key);
        const sortEntries = this.schema?.sortMapEntries;
        if (prev) {
            if (!overwrite)
                throw new Error(`Key ${_pair.key} already set`);
            // For scalars, keep the old node & its comments and anchors
            if (identity.isScalar(prev.value) && Scalar.isScalarValue(_pair.value))
                prev.value.value = _pair.value;
            else
                prev.value = _pair.value;
        }
        else if (sortEntries) {
            const i = this.items.findIndex(item => sortEntries(_pair, item) < 0);
            if (i === -1)
                this.items.push(_pair);
            else
                this.items.splice(i, 0, _pair);
        }
        else {
            this.items.push(_pair);
        }
    }
    delete(key) {
        const it = findPair(this.items, key);
        if (!it)
            return false;
        const del = this.items.splice(this.items.indexOf(it), 1);
        return del.length > 0;
    }
    get(key, keepScalar) {
        const it = findPair(this.items, key);
        const node = it?.value;
        return (!keepScalar && identity.isScalar(node) ? node.value : node) ?? undefined;
    }
    has(key) {
        return !!findPair(this.items, key);
    }
    set(key, value) {
        this.add(new Pair.Pair(key, value), true);
    }
    /**
     * @param ctx - Conversion context, originally set in Document#toJS()
     * @param {Class} Type - If set, forces the returned collection type
     * @returns Instance of Type, Map, or Object
     */
    toJSON(_, ctx, Type) {
        const map = Type ? new Type() : ctx?.mapAsMap ? new Map() : {};
        if (ctx?.onCreate)
            ctx.onCreate(map);
        for (const item of this.items)
            addPairToJSMap.addPairToJSMap(ctx, map, item);
        return map;
    }
    toString(ctx, onComment, onChompKeep) {
        if (!ctx)
            return JSON.stringify(this);
        for (const item of this.items) {
            if (!identity.isPair(item))
                throw new Error(`Map items must all be pairs; found ${JSON.stringify(item)} instead`);
        }
        if (!ctx.allNullValues && this.hasAllNullValues(false))
            ctx = Object.assign({}, ctx, { allNullValues: true });
        return stringifyCollection.stringifyCollection(this, ctx, {
            blockItemPrefix: '',
            flowChars: { start: '{', end: '}' },
            itemIndent: ctx.indent || '',
            onChompKeep,
            onComment
        });
    }
}

exports.YAMLMap = YAMLMap;
exports.findPair = findPair;


/***/ }),

/***/ 2223:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var createNode = __nccwpck_require__(2404);
var stringifyCollection = __nccwpck_require__(1212);
var Collection = __nccwpck_require__(101);
var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);
var toJS = __nccwpck_require__(4043);

class YAMLSeq extends Collection.Collection {
    static get tagName() {
        return 'tag:yaml.org,2002:seq';
    }
    constructor(schema) {
        super(identity.SEQ, schema);
        this.items = [];
    }
    add(value) {
        this.items.push(value);
    }
    /**
     * Removes a value from the collection.
     *
     * `key` must contain a representation of an integer for this to succeed.
     * It may be wrapped in a `Scalar`.
     *
     * @returns `true` if the item was found and removed.
     */
    delete(key) {
        const idx = asItemIndex(key);
        if (typeof idx !== 'number')
            return false;
        const del = this.items.splice(idx, 1);
        return del.length > 0;
    }
    get(key, keepScalar) {
        const idx = asItemIndex(key);
        if (typeof idx !== 'number')
            return undefined;
        const it = this.items[idx];
        return !keepScalar && identity.isScalar(it) ? it.value : it;
    }
    /**
     * Checks if the collection includes a value with the key `key`.
     *
     * `key` must contain a representation of an integer for this to succeed.
     * It may be wrapped in a `Scalar`.
     */
    has(key) {
        const idx = asItemIndex(key);
        return typeof idx === 'number' && idx < this.items.length;
    }
    /**
     * Sets a value in this collection. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     *
     * If `key` does not contain a representation of an integer, this will throw.
     * It may be wrapped in a `Scalar`.
     */
    set(key, value) {
        const idx = asItemIndex(key);
        if (typeof idx !== 'number')
            throw new Error(`Expected a valid index, not ${key}.`);
        const prev = this.items[idx];
        if (identity.isScalar(prev) && Scalar.isScalarValue(value))
            prev.value = value;
        else
            this.items[idx] = value;
    }
    toJSON(_, ctx) {
        const seq = [];
        if (ctx?.onCreate)
            ctx.onCreate(seq);
        let i = 0;
        for (const item of this.items)
            seq.push(toJS.toJS(item, String(i++), ctx));
        return seq;
    }
    toString(ctx, onComment, onChompKeep) {
        if (!ctx)
            return JSON.stringify(this);
        return stringifyCollection.stringifyCollection(this, ctx, {
            blockItemPrefix: '- ',
            flowChars: { start: '[', end: ']' },
            itemIndent: (ctx.indent || '') + '  ',
            onChompKeep,
            onComment
        });
    }
    static from(schema, obj, ctx) {
        const { replacer } = ctx;
        const seq = new this(schema);
        if (obj && Symbol.iterator in Object(obj)) {
            let i = 0;
            for (let it of obj) {
                if (typeof replacer === 'function') {
                    const key = obj instanceof Set ? it : String(i++);
                    it = replacer.call(obj, key, it);
                }
                seq.items.push(createNode.createNode(it, undefined, ctx));
            }
        }
        return seq;
    }
}
function asItemIndex(key) {
    let idx = identity.isScalar(key) ? key.value : key;
    if (idx && typeof idx === 'string')
        idx = Number(idx);
    return typeof idx === 'number' && Number.isInteger(idx) && idx >= 0
        ? idx
        : null;
}

exports.YAMLSeq = YAMLSeq;


/***/ }),

/***/ 7104:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var log = __nccwpck_require__(7249);
var merge = __nccwpck_require__(452);
var stringify = __nccwpck_require__(2148);
var identity = __nccwpck_require__(1127);
var toJS = __nccwpck_require__(4043);

function addPairToJSMap(ctx, map, { key, value }) {
    if (identity.isNode(key) && key.addToJSMap)
        key.addToJSMap(ctx, map, value);
    // TODO: Should drop this special case for bare << handling
    else if (merge.isMergeKey(ctx, key))
        merge.addMergeToJSMap(ctx, map, value);
    else {
        const jsKey = toJS.toJS(key, '', ctx);
        if (map instanceof Map) {
            map.set(jsKey, toJS.toJS(value, jsKey, ctx));
        }
        else if (map instanceof Set) {
            map.add(jsKey);
        }
        else {
            const stringKey = stringifyKey(key, jsKey, ctx);
            const jsValue = toJS.toJS(value, stringKey, ctx);
            if (stringKey in map)
                Object.defineProperty(map, stringKey, {
                    value: jsValue,
                    writable: true,
                    enumerable: true,
                    configurable: true
                });
            else
                map[stringKey] = jsValue;
        }
    }
    return map;
}
function stringifyKey(key, jsKey, ctx) {
    if (jsKey === null)
        return '';
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    if (typeof jsKey !== 'object')
        return String(jsKey);
    if (identity.isNode(key) && ctx?.doc) {
        const strCtx = stringify.createStringifyContext(ctx.doc, {});
        strCtx.anchors = new Set();
        for (const node of ctx.anchors.keys())
            strCtx.anchors.add(node.anchor);
        strCtx.inFlow = true;
        strCtx.inStringifyKey = true;
        const strKey = key.toString(strCtx);
        if (!ctx.mapKeyWarned) {
            let jsonStr = JSON.stringify(strKey);
            if (jsonStr.length > 40)
                jsonStr = jsonStr.substring(0, 36) + '..."';
            log.warn(ctx.doc.options.logLevel, `Keys with collection values will be stringified due to JS Object restrictions: ${jsonStr}. Set mapAsMap: true to use object keys.`);
            ctx.mapKeyWarned = true;
        }
        return strKey;
    }
    return JSON.stringify(jsKey);
}

exports.addPairToJSMap = addPairToJSMap;


/***/ }),

/***/ 1127:
/***/ ((__unused_webpack_module, exports) => {



const ALIAS = Symbol.for('yaml.alias');
const DOC = Symbol.for('yaml.document');
const MAP = Symbol.for('yaml.map');
const PAIR = Symbol.for('yaml.pair');
const SCALAR = Symbol.for('yaml.scalar');
const SEQ = Symbol.for('yaml.seq');
const NODE_TYPE = Symbol.for('yaml.node.type');
const isAlias = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === ALIAS;
const isDocument = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === DOC;
const isMap = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === MAP;
const isPair = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === PAIR;
const isScalar = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === SCALAR;
const isSeq = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === SEQ;
function isCollection(node) {
    if (node && typeof node === 'object')
        switch (node[NODE_TYPE]) {
            case MAP:
            case SEQ:
                return true;
        }
    return false;
}
function isNode(node) {
    if (node && typeof node === 'object')
        switch (node[NODE_TYPE]) {
            case ALIAS:
            case MAP:
            case SCALAR:
            case SEQ:
                return true;
        }
    return false;
}
const hasAnchor = (node) => (isScalar(node) || isCollection(node)) && !!node.anchor;

exports.ALIAS = ALIAS;
exports.DOC = DOC;
exports.MAP = MAP;
exports.NODE_TYPE = NODE_TYPE;
exports.PAIR = PAIR;
exports.SCALAR = SCALAR;
exports.SEQ = SEQ;
exports.hasAnchor = hasAnchor;
exports.isAlias = isAlias;
exports.isCollection = isCollection;
exports.isDocument = isDocument;
exports.isMap = isMap;
exports.isNode = isNode;
exports.isPair = isPair;
exports.isScalar = isScalar;
exports.isSeq = isSeq;


/***/ }),

/***/ 4043:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);

/**
 * Recursively convert any node or its contents to native JavaScript
 *
 * @param value - The input value
 * @param arg - If `value` defines a `toJSON()` method, use this
 *   as its first argument
 * @param ctx - Conversion context, originally set in Document#toJS(). If
 *   `{ keep: true }` is not set, output should be suitable for JSON
 *   stringification.
 */
function toJS(value, arg, ctx) {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-return
    if (Array.isArray(value))
        return value.map((v, i) => toJS(v, String(i), ctx));
    if (value && typeof value.toJSON === 'function') {
        // eslint-disable-next-line @typescript-eslint/no-unsafe-call
        if (!ctx || !identity.hasAnchor(value))
            return value.toJSON(arg, ctx);
        const data = { aliasCount: 0, count: 1, res: undefined };
        ctx.anchors.set(value, data);
        ctx.onCreate = res => {
            data.res = res;
            delete ctx.onCreate;
        };
        const res = value.toJSON(arg, ctx);
        if (ctx.onCreate)
            ctx.onCreate(res);
        return res;
    }
    if (typeof value === 'bigint' && !ctx?.keep)
        return Number(value);
    return value;
}

exports.toJS = toJS;


/***/ }),

/***/ 110:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var resolveBlockScalar = __nccwpck_require__(8913);
var resolveFlowScalar = __nccwpck_require__(6842);
var errors = __nccwpck_require__(1464);
var stringifyString = __nccwpck_require__(3069);

function resolveAsScalar(token, strict = true, onError) {
    if (token) {
        const _onError = (pos, code, message) => {
            const offset = typeof pos === 'number' ? pos : Array.isArray(pos) ? pos[0] : pos.offset;
            if (onError)
                onError(offset, code, message);
            else
                throw new errors.YAMLParseError([offset, offset + 1], code, message);
        };
        switch (token.type) {
            case 'scalar':
            case 'single-quoted-scalar':
            case 'double-quoted-scalar':
                return resolveFlowScalar.resolveFlowScalar(token, strict, _onError);
            case 'block-scalar':
                return resolveBlockScalar.resolveBlockScalar({ options: { strict } }, token, _onError);
        }
    }
    return null;
}
/**
 * Create a new scalar token with `value`
 *
 * Values that represent an actual string but may be parsed as a different type should use a `type` other than `'PLAIN'`,
 * as this function does not support any schema operations and won't check for such conflicts.
 *
 * @param value The string representation of the value, which will have its content properly indented.
 * @param context.end Comments and whitespace after the end of the value, or after the block scalar header. If undefined, a newline will be added.
 * @param context.implicitKey Being within an implicit key may affect the resolved type of the token's value.
 * @param context.indent The indent level of the token.
 * @param context.inFlow Is this scalar within a flow collection? This may affect the resolved type of the token's value.
 * @param context.offset The offset position of the token.
 * @param context.type The preferred type of the scalar token. If undefined, the previous type of the `token` will be used, defaulting to `'PLAIN'`.
 */
function createScalarToken(value, context) {
    const { implicitKey = false, indent, inFlow = false, offset = -1, type = 'PLAIN' } = context;
    const source = stringifyString.stringifyString({ type, value }, {
        implicitKey,
        indent: indent > 0 ? ' '.repeat(indent) : '',
        inFlow,
        options: { blockQuote: true, lineWidth: -1 }
    });
    const end = context.end ?? [
        { type: 'newline', offset: -1, indent, source: '\n' }
    ];
    switch (source[0]) {
        case '|':
        case '>': {
            const he = source.indexOf('\n');
            const head = source.substring(0, he);
            const body = source.substring(he + 1) + '\n';
            const props = [
                { type: 'block-scalar-header', offset, indent, source: head }
            ];
            if (!addEndtoBlockProps(props, end))
                props.push({ type: 'newline', offset: -1, indent, source: '\n' });
            return { type: 'block-scalar', offset, indent, props, source: body };
        }
        case '"':
            return { type: 'double-quoted-scalar', offset, indent, source, end };
        case "'":
            return { type: 'single-quoted-scalar', offset, indent, source, end };
        default:
            return { type: 'scalar', offset, indent, source, end };
    }
}
/**
 * Set the value of `token` to the given string `value`, overwriting any previous contents and type that it may have.
 *
 * Best efforts are made to retain any comments previously associated with the `token`,
 * though all contents within a collection's `items` will be overwritten.
 *
 * Values that represent an actual string but may be parsed as a different type should use a `type` other than `'PLAIN'`,
 * as this function does not support any schema operations and won't check for such conflicts.
 *
 * @param token Any token. If it does not include an `indent` value, the value will be stringified as if it were an implicit key.
 * @param value The string representation of the value, which will have its content properly indented.
 * @param context.afterKey In most cases, values after a key should have an additional level of indentation.
 * @param context.implicitKey Being within an implicit key may affect the resolved type of the token's value.
 * @param context.inFlow Being within a flow collection may affect the resolved type of the token's value.
 * @param context.type The preferred type of the scalar token. If undefined, the previous type of the `token` will be used, defaulting to `'PLAIN'`.
 */
function setScalarValue(token, value, context = {}) {
    let { afterKey = false, implicitKey = false, inFlow = false, type } = context;
    let indent = 'indent' in token ? token.indent : null;
    if (afterKey && typeof indent === 'number')
        indent += 2;
    if (!type)
        switch (token.type) {
            case 'single-quoted-scalar':
                type = 'QUOTE_SINGLE';
                break;
            case 'double-quoted-scalar':
                type = 'QUOTE_DOUBLE';
                break;
            case 'block-scalar': {
                const header = token.props[0];
                if (header.type !== 'block-scalar-header')
                    throw new Error('Invalid block scalar header');
                type = header.source[0] === '>' ? 'BLOCK_FOLDED' : 'BLOCK_LITERAL';
                break;
            }
            default:
                type = 'PLAIN';
        }
    const source = stringifyString.stringifyString({ type, value }, {
        implicitKey: implicitKey || indent === null,
        indent: indent !== null && indent > 0 ? ' '.repeat(indent) : '',
        inFlow,
        options: { blockQuote: true, lineWidth: -1 }
    });
    switch (source[0]) {
        case '|':
        case '>':
            setBlockScalarValue(token, source);
            break;
        case '"':
            setFlowScalarValue(token, source, 'double-quoted-scalar');
            break;
        case "'":
            setFlowScalarValue(token, source, 'single-quoted-scalar');
            break;
        default:
            setFlowScalarValue(token, source, 'scalar');
    }
}
function setBlockScalarValue(token, source) {
    const he = source.indexOf('\n');
    const head = source.substring(0, he);
    const body = source.substring(he + 1) + '\n';
    if (token.type === 'block-scalar') {
        const header = token.props[0];
        if (header.type !== 'block-scalar-header')
            throw new Error('Invalid block scalar header');
        header.source = head;
        token.source = body;
    }
    else {
        const { offset } = token;
        const indent = 'indent' in token ? token.indent : -1;
        const props = [
            { type: 'block-scalar-header', offset, indent, source: head }
        ];
        if (!addEndtoBlockProps(props, 'end' in token ? token.end : undefined))
            props.push({ type: 'newline', offset: -1, indent, source: '\n' });
        for (const key of Object.keys(token))
            if (key !== 'type' && key !== 'offset')
                delete token[key];
        Object.assign(token, { type: 'block-scalar', indent, props, source: body });
    }
}
/** @returns `true` if last token is a newline */
function addEndtoBlockProps(props, end) {
    if (end)
        for (const st of end)
            switch (st.type) {
                case 'space':
                case 'comment':
                    props.push(st);
                    break;
                case 'newline':
                    props.push(st);
                    return true;
            }
    return false;
}
function setFlowScalarValue(token, source, type) {
    switch (token.type) {
        case 'scalar':
        case 'double-quoted-scalar':
        case 'single-quoted-scalar':
            token.type = type;
            token.source = source;
            break;
        case 'block-scalar': {
            const end = token.props.slice(1);
            let oa = source.length;
            if (token.props[0].type === 'block-scalar-header')
                oa -= token.props[0].source.length;
            for (const tok of end)
                tok.offset += oa;
            delete token.props;
            Object.assign(token, { type, source, end });
            break;
        }
        case 'block-map':
        case 'block-seq': {
            const offset = token.offset + source.length;
            const nl = { type: 'newline', offset, indent: token.indent, source: '\n' };
            delete token.items;
            Object.assign(token, { type, source, end: [nl] });
            break;
        }
        default: {
            const indent = 'indent' in token ? token.indent : -1;
            const end = 'end' in token && Array.isArray(token.end)
                ? token.end.filter(st => st.type === 'space' ||
                    st.type === 'comment' ||
                    st.type === 'newline')
                : [];
            for (const key of Object.keys(token))
                if (key !== 'type' && key !== 'offset')
                    delete token[key];
            Object.assign(token, { type, indent, source, end });
        }
    }
}

exports.createScalarToken = createScalarToken;
exports.resolveAsScalar = resolveAsScalar;
exports.setScalarValue = setScalarValue;


/***/ }),

/***/ 1733:
/***/ ((__unused_webpack_module, exports) => {



/**
 * Stringify a CST document, token, or collection item
 *
 * Fair warning: This applies no validation whatsoever, and
 * simply concatenates the sources in their logical order.
 */
const stringify = (cst) => 'type' in cst ? stringifyToken(cst) : stringifyItem(cst);
function stringifyToken(token) {
    switch (token.type) {
        case 'block-scalar': {
            let res = '';
            for (const tok of token.props)
                res += stringifyToken(tok);
            return res + token.source;
        }
        case 'block-map':
        case 'block-seq': {
            let res = '';
            for (const item of token.items)
                res += stringifyItem(item);
            return res;
        }
        case 'flow-collection': {
            let res = token.start.source;
            for (const item of token.items)
                res += stringifyItem(item);
            for (const st of token.end)
                res += st.source;
            return res;
        }
        case 'document': {
            let res = stringifyItem(token);
            if (token.end)
                for (const st of token.end)
                    res += st.source;
            return res;
        }
        default: {
            let res = token.source;
            if ('end' in token && token.end)
                for (const st of token.end)
                    res += st.source;
            return res;
        }
    }
}
function stringifyItem({ start, key, sep, value }) {
    let res = '';
    for (const st of start)
        res += st.source;
    if (key)
        res += stringifyToken(key);
    if (sep)
        for (const st of sep)
            res += st.source;
    if (value)
        res += stringifyToken(value);
    return res;
}

exports.stringify = stringify;


/***/ }),

/***/ 7715:
/***/ ((__unused_webpack_module, exports) => {



const BREAK = Symbol('break visit');
const SKIP = Symbol('skip children');
const REMOVE = Symbol('remove item');
/**
 * Apply a visitor to a CST document or item.
 *
 * Walks through the tree (depth-first) starting from the root, calling a
 * `visitor` function with two arguments when entering each item:
 *   - `item`: The current item, which included the following members:
 *     - `start: SourceToken[]` \u2013 Source tokens before the key or value,
 *       possibly including its anchor or tag.
 *     - `key?: Token | null` \u2013 Set for pair values. May then be `null`, if
 *       the key before the `:` separator is empty.
 *     - `sep?: SourceToken[]` \u2013 Source tokens between the key and the value,
 *       which should include the `:` map value indicator if `value` is set.
 *     - `value?: Token` \u2013 The value of a sequence item, or of a map pair.
 *   - `path`: The steps from the root to the current node, as an array of
 *     `['key' | 'value', number]` tuples.
 *
 * The return value of the visitor may be used to control the traversal:
 *   - `undefined` (default): Do nothing and continue
 *   - `visit.SKIP`: Do not visit the children of this token, continue with
 *      next sibling
 *   - `visit.BREAK`: Terminate traversal completely
 *   - `visit.REMOVE`: Remove the current item, then continue with the next one
 *   - `number`: Set the index of the next step. This is useful especially if
 *     the index of the current token has changed.
 *   - `function`: Define the next visitor for this item. After the original
 *     visitor is called on item entry, next visitors are called after handling
 *     a non-empty `key` and when exiting the item.
 */
function visit(cst, visitor) {
    if ('type' in cst && cst.type === 'document')
        cst = { start: cst.start, value: cst.value };
    _visit(Object.freeze([]), cst, visitor);
}
// Without the `as symbol` casts, TS declares these in the `visit`
// namespace using `var`, but then complains about that because
// `unique symbol` must be `const`.
/** Terminate visit traversal completely */
visit.BREAK = BREAK;
/** Do not visit the children of the current item */
visit.SKIP = SKIP;
/** Remove the current item */
visit.REMOVE = REMOVE;
/** Find the item at `path` from `cst` as the root */
visit.itemAtPath = (cst, path) => {
    let item = cst;
    for (const [field, index] of path) {
        const tok = item?.[field];
        if (tok && 'items' in tok) {
            item = tok.items[index];
        }
        else
            return undefined;
    }
    return item;
};
/**
 * Get the immediate parent collection of the item at `path` from `cst` as the root.
 *
 * Throws an error if the collection is not found, which should never happen if the item itself exists.
 */
visit.parentCollection = (cst, path) => {
    const parent = visit.itemAtPath(cst, path.slice(0, -1));
    const field = path[path.length - 1][0];
    const coll = parent?.[field];
    if (coll && 'items' in coll)
        return coll;
    throw new Error('Parent collection not found');
};
function _visit(path, item, visitor) {
    let ctrl = visitor(item, path);
    if (typeof ctrl === 'symbol')
        return ctrl;
    for (const field of ['key', 'value']) {
        const token = item[field];
        if (token && 'items' in token) {
            for (let i = 0; i < token.items.length; ++i) {
                const ci = _visit(Object.freeze(path.concat([[field, i]])), token.items[i], visitor);
                if (typeof ci === 'number')
                    i = ci - 1;
                else if (ci === BREAK)
                    return BREAK;
                else if (ci === REMOVE) {
                    token.items.splice(i, 1);
                    i -= 1;
                }
            }
            if (typeof ctrl === 'function' && field === 'key')
                ctrl = ctrl(item, path);
        }
    }
    return typeof ctrl === 'function' ? ctrl(item, path) : ctrl;
}

exports.visit = visit;


/***/ }),

/***/ 3461:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var cstScalar = __nccwpck_require__(110);
var cstStringify = __nccwpck_require__(1733);
var cstVisit = __nccwpck_require__(7715);

/** The byte order mark */
const BOM = '\u{FEFF}';
/** Start of doc-mode */
const DOCUMENT = '\x02'; // C0: Start of Text
/** Unexpected end of flow-mode */
const FLOW_END = '\x18'; // C0: Cancel
/** Next token is a scalar value */
const SCALAR = '\x1f'; // C0: Unit Separator
/** @returns `true` if `token` is a flow or block collection */
const isCollection = (token) => !!token && 'items' in token;
/** @returns `true` if `token` is a flow or block scalar; not an alias */
const isScalar = (token) => !!token &&
    (token.type === 'scalar' ||
        token.type === 'single-quoted-scalar' ||
        token.type === 'double-quoted-scalar' ||
        token.type === 'block-scalar');
/* istanbul ignore next */
/** Get a printable representation of a lexer token */
function prettyToken(token) {
    switch (token) {
        case BOM:
            return '<BOM>';
        case DOCUMENT:
            return '<DOC>';
        case FLOW_END:
            return '<FLOW_END>';
        case SCALAR:
            return '<SCALAR>';
        default:
            return JSON.stringify(token);
    }
}
/** Identify the type of a lexer token. May return `null` for unknown tokens. */
function tokenType(source) {
    switch (source) {
        case BOM:
            return 'byte-order-mark';
        case DOCUMENT:
            return 'doc-mode';
        case FLOW_END:
            return 'flow-error-end';
        case SCALAR:
            return 'scalar';
        case '---':
            return 'doc-start';
        case '...':
            return 'doc-end';
        case '':
        case '\n':
        case '\r\n':
            return 'newline';
        case '-':
            return 'seq-item-ind';
        case '?':
            return 'explicit-key-ind';
        case ':':
            return 'map-value-ind';
        case '{':
            return 'flow-map-start';
        case '}':
            return 'flow-map-end';
        case '[':
            return 'flow-seq-start';
        case ']':
            return 'flow-seq-end';
        case ',':
            return 'comma';
    }
    switch (source[0]) {
        case ' ':
        case '\t':
            return 'space';
        case '#':
            return 'comment';
        case '%':
            return 'directive-line';
        case '*':
            return 'alias';
        case '&':
            return 'anchor';
        case '!':
            return 'tag';
        case "'":
            return 'single-quoted-scalar';
        case '"':
            return 'double-quoted-scalar';
        case '|':
        case '>':
            return 'block-scalar-header';
    }
    return null;
}

exports.createScalarToken = cstScalar.createScalarToken;
exports.resolveAsScalar = cstScalar.resolveAsScalar;
exports.setScalarValue = cstScalar.setScalarValue;
exports.stringify = cstStringify.stringify;
exports.visit = cstVisit.visit;
exports.BOM = BOM;
exports.DOCUMENT = DOCUMENT;
exports.FLOW_END = FLOW_END;
exports.SCALAR = SCALAR;
exports.isCollection = isCollection;
exports.isScalar = isScalar;
exports.prettyToken = prettyToken;
exports.tokenType = tokenType;


/***/ }),

/***/ 361:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var cst = __nccwpck_require__(3461);

/*
START -> stream

stream
  directive -> line-end -> stream
  indent + line-end -> stream
  [else] -> line-start

line-end
  comment -> line-end
  newline -> .
  input-end -> END

line-start
  doc-start -> doc
  doc-end -> stream
  [else] -> indent -> block-start

block-start
  seq-item-start -> block-start
  explicit-key-start -> block-start
  map-value-start -> block-start
  [else] -> doc

doc
  line-end -> line-start
  spaces -> doc
  anchor -> doc
  tag -> doc
  flow-start -> flow -> doc
  flow-end -> error -> doc
  seq-item-start -> error -> doc
  explicit-key-start -> error -> doc
  map-value-start -> doc
  alias -> doc
  quote-start -> quoted-scalar -> doc
  block-scalar-header -> line-end -> block-scalar(min) -> line-start
  [else] -> plain-scalar(false, min) -> doc

flow
  line-end -> flow
  spaces -> flow
  anchor -> flow
  tag -> flow
  flow-start -> flow -> flow
  flow-end -> .
  seq-item-start -> error -> flow
  explicit-key-start -> flow
  map-value-start -> flow
  alias -> flow
  quote-start -> quoted-scalar -> flow
  comma -> flow
  [else] -> plain-scalar(true, 0) -> flow

quoted-scalar
  quote-end -> .
  [else] -> quoted-scalar

block-scalar(min)
  newline + peek(indent < min) -> .
  [else] -> block-scalar(min)

plain-scalar(is-flow, min)
  scalar-end(is-flow) -> .
  peek(newline + (indent < min)) -> .
  [else] -> plain-scalar(min)
*/
function isEmpty(ch) {
    switch (ch) {
        case undefined:
        case ' ':
        case '\n':
        case '\r':
        case '\t':
            return true;
        default:
            return false;
    }
}
const hexDigits = new Set('0123456789ABCDEFabcdef');
const tagChars = new Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-#;/?:@&=+$_.!~*'()");
const flowIndicatorChars = new Set(',[]{}');
const invalidAnchorChars = new Set(' ,[]{}\n\r\t');
const isNotAnchorChar = (ch) => !ch || invalidAnchorChars.has(ch);
/**
 * Splits an input string into lexical tokens, i.e. smaller strings that are
 * easily identifiable by `tokens.tokenType()`.
 *
 * Lexing starts always in a "stream" context. Incomplete input may be buffered
 * until a complete token can be emitted.
 *
 * In addition to slices of the original input, the following control characters
 * may also be emitted:
 *
 * - `\x02` (Start of Text): A document starts with the next token
 * - `\x18` (Cancel): Unexpected end of flow-mode (indicates an error)
 * - `\x1f` (Unit Separator): Next token is a scalar value
 * - `\u{FEFF}` (Byte order mark): Emitted separately outside documents
 */
class Lexer {
    constructor() {
        /**
         * Flag indicating whether the end of the current buffer marks the end of
         * all input
         */
        this.atEnd = false;
        /**
         * Explicit indent set in block scalar header, as an offset from the current
         * minimum indent, so e.g. set to 1 from a header `|2+`. Set to -1 if not
         * explicitly set.
         */
        this.blockScalarIndent = -1;
        /**
         * Block scalars that include a + (keep) chomping indicator in their header
         * include trailing empty lines, which are otherwise excluded from the
         * scalar's contents.
         */
        this.blockScalarKeep = false;
        /** Current input */
        this.buffer = '';
        /**
         * Flag noting whether the map value indicator : can immediately follow this
         * node within a flow context.
         */
        this.flowKey = false;
        /** Count of surrounding flow collection levels. */
        this.flowLevel = 0;
        /**
         * Minimum level of indentation required for next lines to be parsed as a
         * part of the current scalar value.
         */
        this.indentNext = 0;
        /** Indentation level of the current line. */
        this.indentValue = 0;
        /** Position of the next \n character. */
        this.lineEndPos = null;
        /** Stores the state of the lexer if reaching the end of incpomplete input */
        this.next = null;
        /** A pointer to `buffer`; the current position of the lexer. */
        this.pos = 0;
    }
    /**
     * Generate YAML tokens from the `source` string. If `incomplete`,
     * a part of the last line may be left as a buffer for the next call.
     *
     * @returns A generator of lexical tokens
     */
    *lex(source, incomplete = false) {
        if (source) {
            if (typeof source !== 'string')
                throw TypeError('source is not a string');
            this.buffer = this.buffer ? this.buffer + source : source;
            this.lineEndPos = null;
        }
        this.atEnd = !incomplete;
        let next = this.next ?? 'stream';
        while (next && (incomplete || this.hasChars(1)))
            next = yield* this.parseNext(next);
    }
    atLineEnd() {
        let i = this.pos;
        let ch = this.buffer[i];
        while (ch === ' ' || ch === '\t')
            ch = this.buffer[++i];
        if (!ch || ch === '#' || ch === '\n')
            return true;
        if (ch === '\r')
            return this.buffer[i + 1] === '\n';
        return false;
    }
    charAt(n) {
        return this.buffer[this.pos + n];
    }
    continueScalar(offset) {
        let ch = this.buffer[offset];
        if (this.indentNext > 0) {
            let indent = 0;
            while (ch === ' ')
                ch = this.buffer[++indent + offset];
            if (ch === '\r') {
                const next = this.buffer[indent + offset + 1];
                if (next === '\n' || (!next && !this.atEnd))
                    return offset + indent + 1;
            }
            return ch === '\n' || indent >= this.indentNext || (!ch && !this.atEnd)
                ? offset + indent
                : -1;
        }
        if (ch === '-' || ch === '.') {
            const dt = this.buffer.substr(offset, 3);
            if ((dt === '---' || dt === '...') && isEmpty(this.buffer[offset + 3]))
                return -1;
        }
        return offset;
    }
    getLine() {
        let end = this.lineEndPos;
        if (typeof end !== 'number' || (end !== -1 && end < this.pos)) {
            end = this.buffer.indexOf('\n', this.pos);
            this.lineEndPos = end;
        }
        if (end === -1)
            return this.atEnd ? this.buffer.substring(this.pos) : null;
        if (this.buffer[end - 1] === '\r')
            end -= 1;
        return this.buffer.substring(this.pos, end);
    }
    hasChars(n) {
        return this.pos + n <= this.buffer.length;
    }
    setNext(state) {
        this.buffer = this.buffer.substring(this.pos);
        this.pos = 0;
        this.lineEndPos = null;
        this.next = state;
        return null;
    }
    peek(n) {
        return this.buffer.substr(this.pos, n);
    }
    *parseNext(next) {
        switch (next) {
            case 'stream':
                return yield* this.parseStream();
            case 'line-start':
                return yield* this.parseLineStart();
            case 'block-start':
                return yield* this.parseBlockStart();
            case 'doc':
                return yield* this.parseDocument();
            case 'flow':
                return yield* this.parseFlowCollection();
            case 'quoted-scalar':
                return yield* this.parseQuotedScalar();
            case 'block-scalar':
                return yield* this.parseBlockScalar();
            case 'plain-scalar':
                return yield* this.parsePlainScalar();
        }
    }
    *parseStream() {
        let line = this.getLine();
        if (line === null)
            return this.setNext('stream');
        if (line[0] === cst.BOM) {
            yield* this.pushCount(1);
            line = line.substring(1);
        }
        if (line[0] === '%') {
            let dirEnd = line.length;
            let cs = line.indexOf('#');
            while (cs !== -1) {
                const ch = line[cs - 1];
                if (ch === ' ' || ch === '\t') {
                    dirEnd = cs - 1;
                    break;
                }
                else {
                    cs = line.indexOf('#', cs + 1);
                }
            }
            while (true) {
                const ch = line[dirEnd - 1];
                if (ch === ' ' || ch === '\t')
                    dirEnd -= 1;
                else
                    break;
            }
            const n = (yield* this.pushCount(dirEnd)) + (yield* this.pushSpaces(true));
            yield* this.pushCount(line.length - n); // possible comment
            this.pushNewline();
            return 'stream';
        }
        if (this.atLineEnd()) {
            const sp = yield* this.pushSpaces(true);
            yield* this.pushCount(line.length - sp);
            yield* this.pushNewline();
            return 'stream';
        }
        yield cst.DOCUMENT;
        return yield* this.parseLineStart();
    }
    *parseLineStart() {
        const ch = this.charAt(0);
        if (!ch && !this.atEnd)
            return this.setNext('line-start');
        if (ch === '-' || ch === '.') {
            if (!this.atEnd && !this.hasChars(4))
                return this.setNext('line-start');
            const s = this.peek(3);
            if ((s === '---' || s === '...') && isEmpty(this.charAt(3))) {
                yield* this.pushCount(3);
                this.indentValue = 0;
                this.indentNext = 0;
                return s === '---' ? 'doc' : 'stream';
            }
        }
        this.indentValue = yield* this.pushSpaces(false);
        if (this.indentNext > this.indentValue && !isEmpty(this.charAt(1)))
            this.indentNext = this.indentValue;
        return yield* this.parseBlockStart();
    }
    *parseBlockStart() {
        const [ch0, ch1] = this.peek(2);
        if (!ch1 && !this.atEnd)
            return this.setNext('block-start');
        if ((ch0 === '-' || ch0 === '?' || ch0 === ':') && isEmpty(ch1)) {
            const n = (yield* this.pushCount(1)) + (yield* this.pushSpaces(true));
            this.indentNext = this.indentValue + 1;
            this.indentValue += n;
            return 'block-start';
        }
        return 'doc';
    }
    *parseDocument() {
        yield* this.pushSpaces(true);
        const line = this.getLine();
        if (line === null)
            return this.setNext('doc');
        let n = yield* this.pushIndicators();
        switch (line[n]) {
            case '#':
                yield* this.pushCount(line.length - n);
            // fallthrough
            case undefined:
                yield* this.pushNewline();
                return yield* this.parseLineStart();
            case '{':
            case '[':
                yield* this.pushCount(1);
                this.flowKey = false;
                this.flowLevel = 1;
                return 'flow';
            case '}':
            case ']':
                // this is an error
                yield* this.pushCount(1);
                return 'doc';
            case '*':
                yield* this.pushUntil(isNotAnchorChar);
                return 'doc';
            case '"':
            case "'":
                return yield* this.parseQuotedScalar();
            case '|':
            case '>':
                n += yield* this.parseBlockScalarHeader();
                n += yield* this.pushSpaces(true);
                yield* this.pushCount(line.length - n);
                yield* this.pushNewline();
                return yield* this.parseBlockScalar();
            default:
                return yield* this.parsePlainScalar();
        }
    }
    *parseFlowCollection() {
        let nl, sp;
        let indent = -1;
        do {
            nl = yield* this.pushNewline();
            if (nl > 0) {
                sp = yield* this.pushSpaces(false);
                this.indentValue = indent = sp;
            }
            else {
                sp = 0;
            }
            sp += yield* this.pushSpaces(true);
        } while (nl + sp > 0);
        const line = this.getLine();
        if (line === null)
            return this.setNext('flow');
        if ((indent !== -1 && indent < this.indentNext && line[0] !== '#') ||
            (indent === 0 &&
                (line.startsWith('---') || line.startsWith('...')) &&
                isEmpty(line[3]))) {
            // Allowing for the terminal ] or } at the same (rather than greater)
            // indent level as the initial [ or { is technically invalid, but
            // failing here would be surprising to users.
            const atFlowEndMarker = indent === this.indentNext - 1 &&
                this.flowLevel === 1 &&
                (line[0] === ']' || line[0] === '}');
            if (!atFlowEndMarker) {
                // this is an error
                this.flowLevel = 0;
                yield cst.FLOW_END;
                return yield* this.parseLineStart();
            }
        }
        let n = 0;
        while (line[n] === ',') {
            n += yield* this.pushCount(1);
            n += yield* this.pushSpaces(true);
            this.flowKey = false;
        }
        n += yield* this.pushIndicators();
        switch (line[n]) {
            case undefined:
                return 'flow';
            case '#':
                yield* this.pushCount(line.length - n);
                return 'flow';
            case '{':
            case '[':
                yield* this.pushCount(1);
                this.flowKey = false;
                this.flowLevel += 1;
                return 'flow';
            case '}':
            case ']':
                yield* this.pushCount(1);
                this.flowKey = true;
                this.flowLevel -= 1;
                return this.flowLevel ? 'flow' : 'doc';
            case '*':
                yield* this.pushUntil(isNotAnchorChar);
                return 'flow';
            case '"':
            case "'":
                this.flowKey = true;
                return yield* this.parseQuotedScalar();
            case ':': {
                const next = this.charAt(1);
                if (this.flowKey || isEmpty(next) || next === ',') {
                    this.flowKey = false;
                    yield* this.pushCount(1);
                    yield* this.pushSpaces(true);
                    return 'flow';
                }
            }
            // fallthrough
            default:
                this.flowKey = false;
                return yield* this.parsePlainScalar();
        }
    }
    *parseQuotedScalar() {
        const quote = this.charAt(0);
        let end = this.buffer.indexOf(quote, this.pos + 1);
        if (quote === "'") {
            while (end !== -1 && this.buffer[end + 1] === "'")
                end = this.buffer.indexOf("'", end + 2);
        }
        else {
            // double-quote
            while (end !== -1) {
                let n = 0;
                while (this.buffer[end - 1 - n] === '\\')
                    n += 1;
                if (n % 2 === 0)
                    break;
                end = this.buffer.indexOf('"', end + 1);
            }
        }
        // Only looking for newlines within the quotes
        const qb = this.buffer.substring(0, end);
        let nl = qb.indexOf('\n', this.pos);
        if (nl !== -1) {
            while (nl !== -1) {
                const cs = this.continueScalar(nl + 1);
                if (cs === -1)
                    break;
                nl = qb.indexOf('\n', cs);
            }
            if (nl !== -1) {
                // this is an error caused by an unexpected unindent
                end = nl - (qb[nl - 1] === '\r' ? 2 : 1);
            }
        }
        if (end === -1) {
            if (!this.atEnd)
                return this.setNext('quoted-scalar');
            end = this.buffer.length;
        }
        yield* this.pushToIndex(end + 1, false);
        return this.flowLevel ? 'flow' : 'doc';
    }
    *parseBlockScalarHeader() {
        this.blockScalarIndent = -1;
        this.blockScalarKeep = false;
        let i = this.pos;
        while (true) {
            const ch = this.buffer[++i];
            if (ch === '+')
                this.blockScalarKeep = true;
            else if (ch > '0' && ch <= '9')
                this.blockScalarIndent = Number(ch) - 1;
            else if (ch !== '-')
                break;
        }
        return yield* this.pushUntil(ch => isEmpty(ch) || ch === '#');
    }
    *parseBlockScalar() {
        let nl = this.pos - 1; // may be -1 if this.pos === 0
        let indent = 0;
        let ch;
        loop: for (let i = this.pos; (ch = this.buffer[i]); ++i) {
            switch (ch) {
                case ' ':
                    indent += 1;
                    break;
                case '\n':
                    nl = i;
                    indent = 0;
                    break;
                case '\r': {
                    const next = this.buffer[i + 1];
                    if (!next && !this.atEnd)
                        return this.setNext('block-scalar');
                    if (next === '\n')
                        break;
                } // fallthrough
                default:
                    break loop;
            }
        }
        if (!ch && !this.atEnd)
            return this.setNext('block-scalar');
        if (indent >= this.indentNext) {
            if (this.blockScalarIndent === -1)
                this.indentNext = indent;
            else {
                this.indentNext =
                    this.blockScalarIndent + (this.indentNext === 0 ? 1 : this.indentNext);
            }
            do {
                const cs = this.continueScalar(nl + 1);
                if (cs === -1)
                    break;
                nl = this.buffer.indexOf('\n', cs);
            } while (nl !== -1);
            if (nl === -1) {
                if (!this.atEnd)
                    return this.setNext('block-scalar');
                nl = this.buffer.length;
            }
        }
        // Trailing insufficiently indented tabs are invalid.
        // To catch that during parsing, we include them in the block scalar value.
        let i = nl + 1;
        ch = this.buffer[i];
        while (ch === ' ')
            ch = this.buffer[++i];
        if (ch === '\t') {
            while (ch === '\t' || ch === ' ' || ch === '\r' || ch === '\n')
                ch = this.buffer[++i];
            nl = i - 1;
        }
        else if (!this.blockScalarKeep) {
            do {
                let i = nl - 1;
                let ch = this.buffer[i];
                if (ch === '\r')
                    ch = this.buffer[--i];
                const lastChar = i; // Drop the line if last char not more indented
                while (ch === ' ')
                    ch = this.buffer[--i];
                if (ch === '\n' && i >= this.pos && i + 1 + indent > lastChar)
                    nl = i;
                else
                    break;
            } while (true);
        }
        yield cst.SCALAR;
        yield* this.pushToIndex(nl + 1, true);
        return yield* this.parseLineStart();
    }
    *parsePlainScalar() {
        const inFlow = this.flowLevel > 0;
        let end = this.pos - 1;
        let i = this.pos - 1;
        let ch;
        while ((ch = this.buffer[++i])) {
            if (ch === ':') {
                const next = this.buffer[i + 1];
                if (isEmpty(next) || (inFlow && flowIndicatorChars.has(next)))
                    break;
                end = i;
            }
            else if (isEmpty(ch)) {
                let next = this.buffer[i + 1];
                if (ch === '\r') {
                    if (next === '\n') {
                        i += 1;
                        ch = '\n';
                        next = this.buffer[i + 1];
                    }
                    else
                        end = i;
                }
                if (next === '#' || (inFlow && flowIndicatorChars.has(next)))
                    break;
                if (ch === '\n') {
                    const cs = this.continueScalar(i + 1);
                    if (cs === -1)
                        break;
                    i = Math.max(i, cs - 2); // to advance, but still account for ' #'
                }
            }
            else {
                if (inFlow && flowIndicatorChars.has(ch))
                    break;
                end = i;
            }
        }
        if (!ch && !this.atEnd)
            return this.setNext('plain-scalar');
        yield cst.SCALAR;
        yield* this.pushToIndex(end + 1, true);
        return inFlow ? 'flow' : 'doc';
    }
    *pushCount(n) {
        if (n > 0) {
            yield this.buffer.substr(this.pos, n);
            this.pos += n;
            return n;
        }
        return 0;
    }
    *pushToIndex(i, allowEmpty) {
        const s = this.buffer.slice(this.pos, i);
        if (s) {
            yield s;
            this.pos += s.length;
            return s.length;
        }
        else if (allowEmpty)
            yield '';
        return 0;
    }
    *pushIndicators() {
        let n = 0;
        loop: while (true) {
            switch (this.charAt(0)) {
                case '!':
                    n += yield* this.pushTag();
                    n += yield* this.pushSpaces(true);
                    continue loop;
                case '&':
                    n += yield* this.pushUntil(isNotAnchorChar);
                    n += yield* this.pushSpaces(true);
                    continue loop;
                case '-': // this is an error
                case '?': // this is an error outside flow collections
                case ':': {
                    const inFlow = this.flowLevel > 0;
                    const ch1 = this.charAt(1);
                    if (isEmpty(ch1) || (inFlow && flowIndicatorChars.has(ch1))) {
                        if (!inFlow)
                            this.indentNext = this.indentValue + 1;
                        else if (this.flowKey)
                            this.flowKey = false;
                        n += yield* this.pushCount(1);
                        n += yield* this.pushSpaces(true);
                        continue loop;
                    }
                }
            }
            break loop;
        }
        return n;
    }
    *pushTag() {
        if (this.charAt(1) === '<') {
            let i = this.pos + 2;
            let ch = this.buffer[i];
            while (!isEmpty(ch) && ch !== '>')
                ch = this.buffer[++i];
            return yield* this.pushToIndex(ch === '>' ? i + 1 : i, false);
        }
        else {
            let i = this.pos + 1;
            let ch = this.buffer[i];
            while (ch) {
                if (tagChars.has(ch))
                    ch = this.buffer[++i];
                else if (ch === '%' &&
                    hexDigits.has(this.buffer[i + 1]) &&
                    hexDigits.has(this.buffer[i + 2])) {
                    ch = this.buffer[(i += 3)];
                }
                else
                    break;
            }
            return yield* this.pushToIndex(i, false);
        }
    }
    *pushNewline() {
        const ch = this.buffer[this.pos];
        if (ch === '\n')
            return yield* this.pushCount(1);
        else if (ch === '\r' && this.charAt(1) === '\n')
            return yield* this.pushCount(2);
        else
            return 0;
    }
    *pushSpaces(allowTabs) {
        let i = this.pos - 1;
        let ch;
        do {
            ch = this.buffer[++i];
        } while (ch === ' ' || (allowTabs && ch === '\t'));
        const n = i - this.pos;
        if (n > 0) {
            yield this.buffer.substr(this.pos, n);
            this.pos = i;
        }
        return n;
    }
    *pushUntil(test) {
        let i = this.pos;
        let ch = this.buffer[i];
        while (!test(ch))
            ch = this.buffer[++i];
        return yield* this.pushToIndex(i, false);
    }
}

exports.Lexer = Lexer;


/***/ }),

/***/ 6628:
/***/ ((__unused_webpack_module, exports) => {



/**
 * Tracks newlines during parsing in order to provide an efficient API for
 * determining the one-indexed `{ line, col }` position for any offset
 * within the input.
 */
class LineCounter {
    constructor() {
        this.lineStarts = [];
        /**
         * Should be called in ascending order. Otherwise, call
         * `lineCounter.lineStarts.sort()` before calling `linePos()`.
         */
        this.addNewLine = (offset) => this.lineStarts.push(offset);
        /**
         * Performs a binary search and returns the 1-indexed { line, col }
         * position of `offset`. If `line === 0`, `addNewLine` has never been
         * called or `offset` is before the first known newline.
         */
        this.linePos = (offset) => {
            let low = 0;
            let high = this.lineStarts.length;
            while (low < high) {
                const mid = (low + high) >> 1; // Math.floor((low + high) / 2)
                if (this.lineStarts[mid] < offset)
                    low = mid + 1;
                else
                    high = mid;
            }
            if (this.lineStarts[low] === offset)
                return { line: low + 1, col: 1 };
            if (low === 0)
                return { line: 0, col: offset };
            const start = this.lineStarts[low - 1];
            return { line: low, col: offset - start + 1 };
        };
    }
}

exports.LineCounter = LineCounter;


/***/ }),

/***/ 3456:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var node_process = __nccwpck_require__(932);
var cst = __nccwpck_require__(3461);
var lexer = __nccwpck_require__(361);

function includesToken(list, type) {
    for (let i = 0; i < list.length; ++i)
        if (list[i].type === type)
            return true;
    return false;
}
function findNonEmptyIndex(list) {
    for (let i = 0; i < list.length; ++i) {
        switch (list[i].type) {
            case 'space':
            case 'comment':
            case 'newline':
                break;
            default:
                return i;
        }
    }
    return -1;
}
function isFlowToken(token) {
    switch (token?.type) {
        case 'alias':
        case 'scalar':
        case 'single-quoted-scalar':
        case 'double-quoted-scalar':
        case 'flow-collection':
            return true;
        default:
            return false;
    }
}
function getPrevProps(parent) {
    switch (parent.type) {
        case 'document':
            return parent.start;
        case 'block-map': {
            const it = parent.items[parent.items.length - 1];
            return it.sep ?? it.start;
        }
        case 'block-seq':
            return parent.items[parent.items.length - 1].start;
        /* istanbul ignore next should not happen */
        default:
            return [];
    }
}
/** Note: May modify input array */
function getFirstKeyStartProps(prev) {
    if (prev.length === 0)
        return [];
    let i = prev.length;
    loop: while (--i >= 0) {
        switch (prev[i].type) {
            case 'doc-start':
            case 'explicit-key-ind':
            case 'map-value-ind':
            case 'seq-item-ind':
            case 'newline':
                break loop;
        }
    }
    while (prev[++i]?.type === 'space') {
        /* loop */
    }
    return prev.splice(i, prev.length);
}
function arrayPushArray(target, source) {
    // May exhaust call stack with large `source` array
    if (source.length < 1e5)
        Array.prototype.push.apply(target, source);
    else
        for (let i = 0; i < source.length; ++i)
            target.push(source[i]);
}
function fixFlowSeqItems(fc) {
    if (fc.start.type === 'flow-seq-start') {
        for (const it of fc.items) {
            if (it.sep &&
                !it.value &&
                !includesToken(it.start, 'explicit-key-ind') &&
                !includesToken(it.sep, 'map-value-ind')) {
                if (it.key)
                    it.value = it.key;
                delete it.key;
                if (isFlowToken(it.value)) {
                    if (it.value.end)
                        arrayPushArray(it.value.end, it.sep);
                    else
                        it.value.end = it.sep;
                }
                else
                    arrayPushArray(it.start, it.sep);
                delete it.sep;
            }
        }
    }
}
/**
 * A YAML concrete syntax tree (CST) parser
 *
 * ```ts
 * const src: string = ...
 * for (const token of new Parser().parse(src)) {
 *   // token: Token
 * }
 * ```
 *
 * To use the parser with a user-provided lexer:
 *
 * ```ts
 * function* parse(source: string, lexer: Lexer) {
 *   const parser = new Parser()
 *   for (const lexeme of lexer.lex(source))
 *     yield* parser.next(lexeme)
 *   yield* parser.end()
 * }
 *
 * const src: string = ...
 * const lexer = new Lexer()
 * for (const token of parse(src, lexer)) {
 *   // token: Token
 * }
 * ```
 */
class Parser {
    /**
     * @param onNewLine - If defined, called separately with the start position of
     *   each new line (in `parse()`, including the start of input).
     */
    constructor(onNewLine) {
        /** If true, space and sequence indicators count as indentation */
        this.atNewLine = true;
        /** If true, next token is a scalar value */
        this.atScalar = false;
        /** Current indentation level */
        this.indent = 0;
        /** Current offset since the start of parsing */
        this.offset = 0;
        /** On the same line with a block map key */
        this.onKeyLine = false;
        /** Top indicates the node that's currently being built */
        this.stack = [];
        /** The source of the current token, set in parse() */
        this.source = '';
        /** The type of the current token, set in parse() */
        this.type = '';
        // Must be defined after `next()`
        this.lexer = new lexer.Lexer();
        this.onNewLine = onNewLine;
    }
    /**
     * Parse `source` as a YAML stream.
     * If `incomplete`, a part of the last line may be left as a buffer for the next call.
     *
     * Errors are not thrown, but yielded as `{ type: 'error', message }` tokens.
     *
     * @returns A generator of tokens representing each directive, document, and other structure.
     */
    *parse(source, incomplete = false) {
        if (this.onNewLine && this.offset === 0)
            this.onNewLine(0);
        for (const lexeme of this.lexer.lex(source, incomplete))
            yield* this.next(lexeme);
        if (!incomplete)
            yield* this.end();
    }
    /**
     * Advance the parser by the `source` of one lexical token.
     */
    *next(source) {
        this.source = source;
        if (node_process.env.LOG_TOKENS)
            console.log('|', cst.prettyToken(source));
        if (this.atScalar) {
            this.atScalar = false;
            yield* this.step();
            this.offset += source.length;
            return;
        }
        const type = cst.tokenType(source);
        if (!type) {
            const message = `Not a YAML token: ${source}`;
            yield* this.pop({ type: 'error', offset: this.offset, message, source });
            this.offset += source.length;
        }
        else if (type === 'scalar') {
            this.atNewLine = false;
            this.atScalar = true;
            this.type = 'scalar';
        }
        else {
            this.type = type;
            yield* this.step();
            switch (type) {
                case 'newline':
                    this.atNewLine = true;
                    this.indent = 0;
                    if (this.onNewLine)
                        this.onNewLine(this.offset + source.length);
                    break;
                case 'space':
                    if (this.atNewLine && source[0] === ' ')
                        this.indent += source.length;
                    break;
                case 'explicit-key-ind':
                case 'map-value-ind':
                case 'seq-item-ind':
                    if (this.atNewLine)
                        this.indent += source.length;
                    break;
                case 'doc-mode':
                case 'flow-error-end':
                    return;
                default:
                    this.atNewLine = false;
            }
            this.offset += source.length;
        }
    }
    /** Call at end of input to push out any remaining constructions */
    *end() {
        while (this.stack.length > 0)
            yield* this.pop();
    }
    get sourceToken() {
        const st = {
            type: this.type,
            offset: this.offset,
            indent: this.indent,
            source: this.source
        };
        return st;
    }
    *step() {
        const top = this.peek(1);
        if (this.type === 'doc-end' && top?.type !== 'doc-end') {
            while (this.stack.length > 0)
                yield* this.pop();
            this.stack.push({
                type: 'doc-end',
                offset: this.offset,
                source: this.source
            });
            return;
        }
        if (!top)
            return yield* this.stream();
        switch (top.type) {
            case 'document':
                return yield* this.document(top);
            case 'alias':
            case 'scalar':
            case 'single-quoted-scalar':
            case 'double-quoted-scalar':
                return yield* this.scalar(top);
            case 'block-scalar':
                return yield* this.blockScalar(top);
            case 'block-map':
                return yield* this.blockMap(top);
            case 'block-seq':
                return yield* this.blockSequence(top);
            case 'flow-collection':
                return yield* this.flowCollection(top);
            case 'doc-end':
                return yield* this.documentEnd(top);
        }
        /* istanbul ignore next should not happen */
        yield* this.pop();
    }
    peek(n) {
        return this.stack[this.stack.length - n];
    }
    *pop(error) {
        const token = error ?? this.stack.pop();
        /* istanbul ignore if should not happen */
        if (!token) {
            const message = 'Tried to pop an empty stack';
            yield { type: 'error', offset: this.offset, source: '', message };
        }
        else if (this.stack.length === 0) {
            yield token;
        }
        else {
            const top = this.peek(1);
            if (token.type === 'block-scalar') {
                // Block scalars use their parent rather than header indent
                token.indent = 'indent' in top ? top.indent : 0;
            }
            else if (token.type === 'flow-collection' && top.type === 'document') {
                // Ignore all indent for top-level flow collections
                token.indent = 0;
            }
            if (token.type === 'flow-collection')
                fixFlowSeqItems(token);
            switch (top.type) {
                case 'document':
                    top.value = token;
                    break;
                case 'block-scalar':
                    top.props.push(token); // error
                    break;
                case 'block-map': {
                    const it = top.items[top.items.length - 1];
                    if (it.value) {
                        top.items.push({ start: [], key: token, sep: [] });
                        this.onKeyLine = true;
                        return;
                    }
                    else if (it.sep) {
                        it.value = token;
                    }
                    else {
                        Object.assign(it, { key: token, sep: [] });
                        this.onKeyLine = !it.explicitKey;
                        return;
                    }
                    break;
                }
                case 'block-seq': {
                    const it = top.items[top.items.length - 1];
                    if (it.value)
                        top.items.push({ start: [], value: token });
                    else
                        it.value = token;
                    break;
                }
                case 'flow-collection': {
                    const it = top.items[top.items.length - 1];
                    if (!it || it.value)
                        top.items.push({ start: [], key: token, sep: [] });
                    else if (it.sep)
                        it.value = token;
                    else
                        Object.assign(it, { key: token, sep: [] });
                    return;
                }
                /* istanbul ignore next should not happen */
                default:
                    yield* this.pop();
                    yield* this.pop(token);
            }
            if ((top.type === 'document' ||
                top.type === 'block-map' ||
                top.type === 'block-seq') &&
                (token.type === 'block-map' || token.type === 'block-seq')) {
                const last = token.items[token.items.length - 1];
                if (last &&
                    !last.sep &&
                    !last.value &&
                    last.start.length > 0 &&
                    findNonEmptyIndex(last.start) === -1 &&
                    (token.indent === 0 ||
                        last.start.every(st => st.type !== 'comment' || st.indent < token.indent))) {
                    if (top.type === 'document')
                        top.end = last.start;
                    else
                        top.items.push({ start: last.start });
                    token.items.splice(-1, 1);
                }
            }
        }
    }
    *stream() {
        switch (this.type) {
            case 'directive-line':
                yield { type: 'directive', offset: this.offset, source: this.source };
                return;
            case 'byte-order-mark':
            case 'space':
            case 'comment':
            case 'newline':
                yield this.sourceToken;
                return;
            case 'doc-mode':
            case 'doc-start': {
                const doc = {
                    type: 'document',
                    offset: this.offset,
                    start: []
                };
                if (this.type === 'doc-start')
                    doc.start.push(this.sourceToken);
                this.stack.push(doc);
                return;
            }
        }
        yield {
            type: 'error',
            offset: this.offset,
            message: `Unexpected ${this.type} token in YAML stream`,
            source: this.source
        };
    }
    *document(doc) {
        if (doc.value)
            return yield* this.lineEnd(doc);
        switch (this.type) {
            case 'doc-start': {
                if (findNonEmptyIndex(doc.start) !== -1) {
                    yield* this.pop();
                    yield* this.step();
                }
                else
                    doc.start.push(this.sourceToken);
                return;
            }
            case 'anchor':
            case 'tag':
            case 'space':
            case 'comment':
            case 'newline':
                doc.start.push(this.sourceToken);
                return;
        }
        const bv = this.startBlockValue(doc);
        if (bv)
            this.stack.push(bv);
        else {
            yield {
                type: 'error',
                offset: this.offset,
                message: `Unexpected ${this.type} token in YAML document`,
                source: this.source
            };
        }
    }
    *scalar(scalar) {
        if (this.type === 'map-value-ind') {
            const prev = getPrevProps(this.peek(2));
            const start = getFirstKeyStartProps(prev);
            let sep;
            if (scalar.end) {
                sep = scalar.end;
                sep.push(this.sourceToken);
                delete scalar.end;
            }
            else
                sep = [this.sourceToken];
            const map = {
                type: 'block-map',
                offset: scalar.offset,
                indent: scalar.indent,
                items: [{ start, key: scalar, sep }]
            };
            this.onKeyLine = true;
            this.stack[this.stack.length - 1] = map;
        }
        else
            yield* this.lineEnd(scalar);
    }
    *blockScalar(scalar) {
        switch (this.type) {
            case 'space':
            case 'comment':
            case 'newline':
                scalar.props.push(this.sourceToken);
                return;
            case 'scalar':
                scalar.source = this.source;
                // block-scalar source includes trailing newline
                this.atNewLine = true;
                this.indent = 0;
                if (this.onNewLine) {
                    let nl = this.source.indexOf('\n') + 1;
                    while (nl !== 0) {
                        this.onNewLine(this.offset + nl);
                        nl = this.source.indexOf('\n', nl) + 1;
                    }
                }
                yield* this.pop();
                break;
            /* istanbul ignore next should not happen */
            default:
                yield* this.pop();
                yield* this.step();
        }
    }
    *blockMap(map) {
        const it = map.items[map.items.length - 1];
        // it.sep is true-ish if pair already has key or : separator
        switch (this.type) {
            case 'newline':
                this.onKeyLine = false;
                if (it.value) {
                    const end = 'end' in it.value ? it.value.end : undefined;
                    const last = Array.isArray(end) ? end[end.length - 1] : undefined;
                    if (last?.type === 'comment')
                        end?.push(this.sourceToken);
                    else
                        map.items.push({ start: [this.sourceToken] });
                }
                else if (it.sep) {
                    it.sep.push(this.sourceToken);
                }
                else {
                    it.start.push(this.sourceToken);
                }
                return;
            case 'space':
            case 'comment':
                if (it.value) {
                    map.items.push({ start: [this.sourceToken] });
                }
                else if (it.sep) {
                    it.sep.push(this.sourceToken);
                }
                else {
                    if (this.atIndentedComment(it.start, map.indent)) {
                        const prev = map.items[map.items.length - 2];
                        const end = prev?.value?.end;
                        if (Array.isArray(end)) {
                            arrayPushArray(end, it.start);
                            end.push(this.sourceToken);
                            map.items.pop();
                            return;
                        }
                    }
                    it.start.push(this.sourceToken);
                }
                return;
        }
        if (this.indent >= map.indent) {
            const atMapIndent = !this.onKeyLine && this.indent === map.indent;
            const atNextItem = atMapIndent &&
                (it.sep || it.explicitKey) &&
                this.type !== 'seq-item-ind';
            // For empty nodes, assign newline-separated not indented empty tokens to following node
            let start = [];
            if (atNextItem && it.sep && !it.value) {
                const nl = [];
                for (let i = 0; i < it.sep.length; ++i) {
                    const st = it.sep[i];
                    switch (st.type) {
                        case 'newline':
                            nl.push(i);
                            break;
                        case 'space':
                            break;
                        case 'comment':
                            if (st.indent > map.indent)
                                nl.length = 0;
                            break;
                        default:
                            nl.length = 0;
                    }
                }
                if (nl.length >= 2)
                    start = it.sep.splice(nl[1]);
            }
            switch (this.type) {
                case 'anchor':
                case 'tag':
                    if (atNextItem || it.value) {
                        start.push(this.sourceToken);
                        map.items.push({ start });
                        this.onKeyLine = true;
                    }
                    else if (it.sep) {
                        it.sep.push(this.sourceToken);
                    }
                    else {
                        it.start.push(this.sourceToken);
                    }
                    return;
                case 'explicit-key-ind':
                    if (!it.sep && !it.explicitKey) {
                        it.start.push(this.sourceToken);
                        it.explicitKey = true;
                    }
                    else if (atNextItem || it.value) {
                        start.push(this.sourceToken);
                        map.items.push({ start, explicitKey: true });
                    }
                    else {
                        this.stack.push({
                            type: 'block-map',
                            offset: this.offset,
                            indent: this.indent,
                            items: [{ start: [this.sourceToken], explicitKey: true }]
                        });
                    }
                    this.onKeyLine = true;
                    return;
                case 'map-value-ind':
                    if (it.explicitKey) {
                        if (!it.sep) {
                            if (includesToken(it.start, 'newline')) {
                                Object.assign(it, { key: null, sep: [this.sourceToken] });
                            }
                            else {
                                const start = getFirstKeyStartProps(it.start);
                                this.stack.push({
                                    type: 'block-map',
                                    offset: this.offset,
                                    indent: this.indent,
                                    items: [{ start, key: null, sep: [this.sourceToken] }]
                                });
                            }
                        }
                        else if (it.value) {
                            map.items.push({ start: [], key: null, sep: [this.sourceToken] });
                        }
                        else if (includesToken(it.sep, 'map-value-ind')) {
                            this.stack.push({
                                type: 'block-map',
                                offset: this.offset,
                                indent: this.indent,
                                items: [{ start, key: null, sep: [this.sourceToken] }]
                            });
                        }
                        else if (isFlowToken(it.key) &&
                            !includesToken(it.sep, 'newline')) {
                            const start = getFirstKeyStartProps(it.start);
                            const key = it.key;
                            const sep = it.sep;
                            sep.push(this.sourceToken);
                            // @ts-expect-error type guard is wrong here
                            delete it.key;
                            // @ts-expect-error type guard is wrong here
                            delete it.sep;
                            this.stack.push({
                                type: 'block-map',
                                offset: this.offset,
                                indent: this.indent,
                                items: [{ start, key, sep }]
                            });
                        }
                        else if (start.length > 0) {
                            // Not actually at next item
                            it.sep = it.sep.concat(start, this.sourceToken);
                        }
                        else {
                            it.sep.push(this.sourceToken);
                        }
                    }
                    else {
                        if (!it.sep) {
                            Object.assign(it, { key: null, sep: [this.sourceToken] });
                        }
                        else if (it.value || atNextItem) {
                            map.items.push({ start, key: null, sep: [this.sourceToken] });
                        }
                        else if (includesToken(it.sep, 'map-value-ind')) {
                            this.stack.push({
                                type: 'block-map',
                                offset: this.offset,
                                indent: this.indent,
                                items: [{ start: [], key: null, sep: [this.sourceToken] }]
                            });
                        }
                        else {
                            it.sep.push(this.sourceToken);
                        }
                    }
                    this.onKeyLine = true;
                    return;
                case 'alias':
                case 'scalar':
                case 'single-quoted-scalar':
                case 'double-quoted-scalar': {
                    const fs = this.flowScalar(this.type);
                    if (atNextItem || it.value) {
                        map.items.push({ start, key: fs, sep: [] });
                        this.onKeyLine = true;
                    }
                    else if (it.sep) {
                        this.stack.push(fs);
                    }
                    else {
                        Object.assign(it, { key: fs, sep: [] });
                        this.onKeyLine = true;
                    }
                    return;
                }
                default: {
                    const bv = this.startBlockValue(map);
                    if (bv) {
                        if (bv.type === 'block-seq') {
                            if (!it.explicitKey &&
                                it.sep &&
                                !includesToken(it.sep, 'newline')) {
                                yield* this.pop({
                                    type: 'error',
                                    offset: this.offset,
                                    message: 'Unexpected block-seq-ind on same line with key',
                                    source: this.source
                                });
                                return;
                            }
                        }
                        else if (atMapIndent) {
                            map.items.push({ start });
                        }
                        this.stack.push(bv);
                        return;
                    }
                }
            }
        }
        yield* this.pop();
        yield* this.step();
    }
    *blockSequence(seq) {
        const it = seq.items[seq.items.length - 1];
        switch (this.type) {
            case 'newline':
                if (it.value) {
                    const end = 'end' in it.value ? it.value.end : undefined;
                    const last = Array.isArray(end) ? end[end.length - 1] : undefined;
                    if (last?.type === 'comment')
                        end?.push(this.sourceToken);
                    else
                        seq.items.push({ start: [this.sourceToken] });
                }
                else
                    it.start.push(this.sourceToken);
                return;
            case 'space':
            case 'comment':
                if (it.value)
                    seq.items.push({ start: [this.sourceToken] });
                else {
                    if (this.atIndentedComment(it.start, seq.indent)) {
                        const prev = seq.items[seq.items.length - 2];
                        const end = prev?.value?.end;
                        if (Array.isArray(end)) {
                            arrayPushArray(end, it.start);
                            end.push(this.sourceToken);
                            seq.items.pop();
                            return;
                        }
                    }
                    it.start.push(this.sourceToken);
                }
                return;
            case 'anchor':
            case 'tag':
                if (it.value || this.indent <= seq.indent)
                    break;
                it.start.push(this.sourceToken);
                return;
            case 'seq-item-ind':
                if (this.indent !== seq.indent)
                    break;
                if (it.value || includesToken(it.start, 'seq-item-ind'))
                    seq.items.push({ start: [this.sourceToken] });
                else
                    it.start.push(this.sourceToken);
                return;
        }
        if (this.indent > seq.indent) {
            const bv = this.startBlockValue(seq);
            if (bv) {
                this.stack.push(bv);
                return;
            }
        }
        yield* this.pop();
        yield* this.step();
    }
    *flowCollection(fc) {
        const it = fc.items[fc.items.length - 1];
        if (this.type === 'flow-error-end') {
            let top;
            do {
                yield* this.pop();
                top = this.peek(1);
            } while (top?.type === 'flow-collection');
        }
        else if (fc.end.length === 0) {
            switch (this.type) {
                case 'comma':
                case 'explicit-key-ind':
                    if (!it || it.sep)
                        fc.items.push({ start: [this.sourceToken] });
                    else
                        it.start.push(this.sourceToken);
                    return;
                case 'map-value-ind':
                    if (!it || it.value)
                        fc.items.push({ start: [], key: null, sep: [this.sourceToken] });
                    else if (it.sep)
                        it.sep.push(this.sourceToken);
                    else
                        Object.assign(it, { key: null, sep: [this.sourceToken] });
                    return;
                case 'space':
                case 'comment':
                case 'newline':
                case 'anchor':
                case 'tag':
                    if (!it || it.value)
                        fc.items.push({ start: [this.sourceToken] });
                    else if (it.sep)
                        it.sep.push(this.sourceToken);
                    else
                        it.start.push(this.sourceToken);
                    return;
                case 'alias':
                case 'scalar':
                case 'single-quoted-scalar':
                case 'double-quoted-scalar': {
                    const fs = this.flowScalar(this.type);
                    if (!it || it.value)
                        fc.items.push({ start: [], key: fs, sep: [] });
                    else if (it.sep)
                        this.stack.push(fs);
                    else
                        Object.assign(it, { key: fs, sep: [] });
                    return;
                }
                case 'flow-map-end':
                case 'flow-seq-end':
                    fc.end.push(this.sourceToken);
                    return;
            }
            const bv = this.startBlockValue(fc);
            /* istanbul ignore else should not happen */
            if (bv)
                this.stack.push(bv);
            else {
                yield* this.pop();
                yield* this.step();
            }
        }
        else {
            const parent = this.peek(2);
            if (parent.type === 'block-map' &&
                ((this.type === 'map-value-ind' && parent.indent === fc.indent) ||
                    (this.type === 'newline' &&
                        !parent.items[parent.items.length - 1].sep))) {
                yield* this.pop();
                yield* this.step();
            }
            else if (this.type === 'map-value-ind' &&
                parent.type !== 'flow-collection') {
                const prev = getPrevProps(parent);
                const start = getFirstKeyStartProps(prev);
                fixFlowSeqItems(fc);
                const sep = fc.end.splice(1, fc.end.length);
                sep.push(this.sourceToken);
                const map = {
                    type: 'block-map',
                    offset: fc.offset,
                    indent: fc.indent,
                    items: [{ start, key: fc, sep }]
                };
                this.onKeyLine = true;
                this.stack[this.stack.length - 1] = map;
            }
            else {
                yield* this.lineEnd(fc);
            }
        }
    }
    flowScalar(type) {
        if (this.onNewLine) {
            let nl = this.source.indexOf('\n') + 1;
            while (nl !== 0) {
                this.onNewLine(this.offset + nl);
                nl = this.source.indexOf('\n', nl) + 1;
            }
        }
        return {
            type,
            offset: this.offset,
            indent: this.indent,
            source: this.source
        };
    }
    startBlockValue(parent) {
        switch (this.type) {
            case 'alias':
            case 'scalar':
            case 'single-quoted-scalar':
            case 'double-quoted-scalar':
                return this.flowScalar(this.type);
            case 'block-scalar-header':
                return {
                    type: 'block-scalar',
                    offset: this.offset,
                    indent: this.indent,
                    props: [this.sourceToken],
                    source: ''
                };
            case 'flow-map-start':
            case 'flow-seq-start':
                return {
                    type: 'flow-collection',
                    offset: this.offset,
                    indent: this.indent,
                    start: this.sourceToken,
                    items: [],
                    end: []
                };
            case 'seq-item-ind':
                return {
                    type: 'block-seq',
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start: [this.sourceToken] }]
                };
            case 'explicit-key-ind': {
                this.onKeyLine = true;
                const prev = getPrevProps(parent);
                const start = getFirstKeyStartProps(prev);
                start.push(this.sourceToken);
                return {
                    type: 'block-map',
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start, explicitKey: true }]
                };
            }
            case 'map-value-ind': {
                this.onKeyLine = true;
                const prev = getPrevProps(parent);
                const start = getFirstKeyStartProps(prev);
                return {
                    type: 'block-map',
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start, key: null, sep: [this.sourceToken] }]
                };
            }
        }
        return null;
    }
    atIndentedComment(start, indent) {
        if (this.type !== 'comment')
            return false;
        if (this.indent <= indent)
            return false;
        return start.every(st => st.type === 'newline' || st.type === 'space');
    }
    *documentEnd(docEnd) {
        if (this.type !== 'doc-mode') {
            if (docEnd.end)
                docEnd.end.push(this.sourceToken);
            else
                docEnd.end = [this.sourceToken];
            if (this.type === 'newline')
                yield* this.pop();
        }
    }
    *lineEnd(token) {
        switch (this.type) {
            case 'comma':
            case 'doc-start':
            case 'doc-end':
            case 'flow-seq-end':
            case 'flow-map-end':
            case 'map-value-ind':
                yield* this.pop();
                yield* this.step();
                break;
            case 'newline':
                this.onKeyLine = false;
            // fallthrough
            case 'space':
            case 'comment':
            default:
                // all other values are errors
                if (token.end)
                    token.end.push(this.sourceToken);
                else
                    token.end = [this.sourceToken];
                if (this.type === 'newline')
                    yield* this.pop();
        }
    }
}

exports.Parser = Parser;


/***/ }),

/***/ 4047:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var composer = __nccwpck_require__(9984);
var Document = __nccwpck_require__(3021);
var errors = __nccwpck_require__(1464);
var log = __nccwpck_require__(7249);
var identity = __nccwpck_require__(1127);
var lineCounter = __nccwpck_require__(6628);
var parser = __nccwpck_require__(3456);

function parseOptions(options) {
    const prettyErrors = options.prettyErrors !== false;
    const lineCounter$1 = options.lineCounter || (prettyErrors && new lineCounter.LineCounter()) || null;
    return { lineCounter: lineCounter$1, prettyErrors };
}
/**
 * Parse the input as a stream of YAML documents.
 *
 * Documents should be separated from each other by `...` or `---` marker lines.
 *
 * @returns If an empty `docs` array is returned, it will be of type
 *   EmptyStream and contain additional stream information. In
 *   TypeScript, you should use `'empty' in docs` as a type guard for it.
 */
function parseAllDocuments(source, options = {}) {
    const { lineCounter, prettyErrors } = parseOptions(options);
    const parser$1 = new parser.Parser(lineCounter?.addNewLine);
    const composer$1 = new composer.Composer(options);
    const docs = Array.from(composer$1.compose(parser$1.parse(source)));
    if (prettyErrors && lineCounter)
        for (const doc of docs) {
            doc.errors.forEach(errors.prettifyError(source, lineCounter));
            doc.warnings.forEach(errors.prettifyError(source, lineCounter));
        }
    if (docs.length > 0)
        return docs;
    return Object.assign([], { empty: true }, composer$1.streamInfo());
}
/** Parse an input string into a single YAML.Document */
function parseDocument(source, options = {}) {
    const { lineCounter, prettyErrors } = parseOptions(options);
    const parser$1 = new parser.Parser(lineCounter?.addNewLine);
    const composer$1 = new composer.Composer(options);
    // `doc` is always set by compose.end(true) at the very latest
    let doc = null;
    for (const _doc of composer$1.compose(parser$1.parse(source), true, source.length)) {
        if (!doc)
            doc = _doc;
        else if (doc.options.logLevel !== 'silent') {
            doc.errors.push(new errors.YAMLParseError(_doc.range.slice(0, 2), 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
            break;
        }
    }
    if (prettyErrors && lineCounter) {
        doc.errors.forEach(errors.prettifyError(source, lineCounter));
        doc.warnings.forEach(errors.prettifyError(source, lineCounter));
    }
    return doc;
}
function parse(src, reviver, options) {
    let _reviver = undefined;
    if (typeof reviver === 'function') {
        _reviver = reviver;
    }
    else if (options === undefined && reviver && typeof reviver === 'object') {
        options = reviver;
    }
    const doc = parseDocument(src, options);
    if (!doc)
        return null;
    doc.warnings.forEach(warning => log.warn(doc.options.logLevel, warning));
    if (doc.errors.length > 0) {
        if (doc.options.logLevel !== 'silent')
            throw doc.errors[0];
        else
            doc.errors = [];
    }
    return doc.toJS(Object.assign({ reviver: _reviver }, options));
}
function stringify(value, replacer, options) {
    let _replacer = null;
    if (typeof replacer === 'function' || Array.isArray(replacer)) {
        _replacer = replacer;
    }
    else if (options === undefined && replacer) {
        options = replacer;
    }
    if (typeof options === 'string')
        options = options.length;
    if (typeof options === 'number') {
        const indent = Math.round(options);
        options = indent < 1 ? undefined : indent > 8 ? { indent: 8 } : { indent };
    }
    if (value === undefined) {
        const { keepUndefined } = options ?? replacer ?? {};
        if (!keepUndefined)
            return undefined;
    }
    if (identity.isDocument(value) && !_replacer)
        return value.toString(options);
    return new Document.Document(value, _replacer, options).toString(options);
}

exports.parse = parse;
exports.parseAllDocuments = parseAllDocuments;
exports.parseDocument = parseDocument;
exports.stringify = stringify;


/***/ }),

/***/ 5840:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var map = __nccwpck_require__(7451);
var seq = __nccwpck_require__(1706);
var string = __nccwpck_require__(6464);
var tags = __nccwpck_require__(18);

const sortMapEntriesByKey = (a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
class Schema {
    constructor({ compat, customTags, merge, resolveKnownTags, schema, sortMapEntries, toStringDefaults }) {
        this.compat = Array.isArray(compat)
            ? tags.getTags(compat, 'compat')
            : compat
                ? tags.getTags(null, compat)
                : null;
        this.name = (typeof schema === 'string' && schema) || 'core';
        this.knownTags = resolveKnownTags ? tags.coreKnownTags : {};
        this.tags = tags.getTags(customTags, this.name, merge);
        this.toStringOptions = toStringDefaults ?? null;
        Object.defineProperty(this, identity.MAP, { value: map.map });
        Object.defineProperty(this, identity.SCALAR, { value: string.string });
        Object.defineProperty(this, identity.SEQ, { value: seq.seq });
        // Used by createMap()
        this.sortMapEntries =
            typeof sortMapEntries === 'function'
                ? sortMapEntries
                : sortMapEntries === true
                    ? sortMapEntriesByKey
                    : null;
    }
    clone() {
        const copy = Object.create(Schema.prototype, Object.getOwnPropertyDescriptors(this));
        copy.tags = this.tags.slice();
        return copy;
    }
}

exports.Schema = Schema;


/***/ }),

/***/ 7451:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var YAMLMap = __nccwpck_require__(4454);

const map = {
    collection: 'map',
    default: true,
    nodeClass: YAMLMap.YAMLMap,
    tag: 'tag:yaml.org,2002:map',
    resolve(map, onError) {
        if (!identity.isMap(map))
            onError('Expected a mapping for this tag');
        return map;
    },
    createNode: (schema, obj, ctx) => YAMLMap.YAMLMap.from(schema, obj, ctx)
};

exports.map = map;


/***/ }),

/***/ 3632:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);

const nullTag = {
    identify: value => value == null,
    createNode: () => new Scalar.Scalar(null),
    default: true,
    tag: 'tag:yaml.org,2002:null',
    test: /^(?:~|[Nn]ull|NULL)?$/,
    resolve: () => new Scalar.Scalar(null),
    stringify: ({ source }, ctx) => typeof source === 'string' && nullTag.test.test(source)
        ? source
        : ctx.options.nullStr
};

exports.nullTag = nullTag;


/***/ }),

/***/ 1706:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var YAMLSeq = __nccwpck_require__(2223);

const seq = {
    collection: 'seq',
    default: true,
    nodeClass: YAMLSeq.YAMLSeq,
    tag: 'tag:yaml.org,2002:seq',
    resolve(seq, onError) {
        if (!identity.isSeq(seq))
            onError('Expected a sequence for this tag');
        return seq;
    },
    createNode: (schema, obj, ctx) => YAMLSeq.YAMLSeq.from(schema, obj, ctx)
};

exports.seq = seq;


/***/ }),

/***/ 6464:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyString = __nccwpck_require__(3069);

const string = {
    identify: value => typeof value === 'string',
    default: true,
    tag: 'tag:yaml.org,2002:str',
    resolve: str => str,
    stringify(item, ctx, onComment, onChompKeep) {
        ctx = Object.assign({ actualString: true }, ctx);
        return stringifyString.stringifyString(item, ctx, onComment, onChompKeep);
    }
};

exports.string = string;


/***/ }),

/***/ 3959:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);

const boolTag = {
    identify: value => typeof value === 'boolean',
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
    resolve: str => new Scalar.Scalar(str[0] === 't' || str[0] === 'T'),
    stringify({ source, value }, ctx) {
        if (source && boolTag.test.test(source)) {
            const sv = source[0] === 't' || source[0] === 'T';
            if (value === sv)
                return source;
        }
        return value ? ctx.options.trueStr : ctx.options.falseStr;
    }
};

exports.boolTag = boolTag;


/***/ }),

/***/ 8405:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var stringifyNumber = __nccwpck_require__(8689);

const floatNaN = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    resolve: str => str.slice(-3).toLowerCase() === 'nan'
        ? NaN
        : str[0] === '-'
            ? Number.NEGATIVE_INFINITY
            : Number.POSITIVE_INFINITY,
    stringify: stringifyNumber.stringifyNumber
};
const floatExp = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    format: 'EXP',
    test: /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
    resolve: str => parseFloat(str),
    stringify(node) {
        const num = Number(node.value);
        return isFinite(num) ? num.toExponential() : stringifyNumber.stringifyNumber(node);
    }
};
const float = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
    resolve(str) {
        const node = new Scalar.Scalar(parseFloat(str));
        const dot = str.indexOf('.');
        if (dot !== -1 && str[str.length - 1] === '0')
            node.minFractionDigits = str.length - dot - 1;
        return node;
    },
    stringify: stringifyNumber.stringifyNumber
};

exports.float = float;
exports.floatExp = floatExp;
exports.floatNaN = floatNaN;


/***/ }),

/***/ 9874:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyNumber = __nccwpck_require__(8689);

const intIdentify = (value) => typeof value === 'bigint' || Number.isInteger(value);
const intResolve = (str, offset, radix, { intAsBigInt }) => (intAsBigInt ? BigInt(str) : parseInt(str.substring(offset), radix));
function intStringify(node, radix, prefix) {
    const { value } = node;
    if (intIdentify(value) && value >= 0)
        return prefix + value.toString(radix);
    return stringifyNumber.stringifyNumber(node);
}
const intOct = {
    identify: value => intIdentify(value) && value >= 0,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'OCT',
    test: /^0o[0-7]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 8, opt),
    stringify: node => intStringify(node, 8, '0o')
};
const int = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    test: /^[-+]?[0-9]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 0, 10, opt),
    stringify: stringifyNumber.stringifyNumber
};
const intHex = {
    identify: value => intIdentify(value) && value >= 0,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'HEX',
    test: /^0x[0-9a-fA-F]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 16, opt),
    stringify: node => intStringify(node, 16, '0x')
};

exports.int = int;
exports.intHex = intHex;
exports.intOct = intOct;


/***/ }),

/***/ 896:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var map = __nccwpck_require__(7451);
var _null = __nccwpck_require__(3632);
var seq = __nccwpck_require__(1706);
var string = __nccwpck_require__(6464);
var bool = __nccwpck_require__(3959);
var float = __nccwpck_require__(8405);
var int = __nccwpck_require__(9874);

const schema = [
    map.map,
    seq.seq,
    string.string,
    _null.nullTag,
    bool.boolTag,
    int.intOct,
    int.int,
    int.intHex,
    float.floatNaN,
    float.floatExp,
    float.float
];

exports.schema = schema;


/***/ }),

/***/ 3559:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var map = __nccwpck_require__(7451);
var seq = __nccwpck_require__(1706);

function intIdentify(value) {
    return typeof value === 'bigint' || Number.isInteger(value);
}
const stringifyJSON = ({ value }) => JSON.stringify(value);
const jsonScalars = [
    {
        identify: value => typeof value === 'string',
        default: true,
        tag: 'tag:yaml.org,2002:str',
        resolve: str => str,
        stringify: stringifyJSON
    },
    {
        identify: value => value == null,
        createNode: () => new Scalar.Scalar(null),
        default: true,
        tag: 'tag:yaml.org,2002:null',
        test: /^null$/,
        resolve: () => null,
        stringify: stringifyJSON
    },
    {
        identify: value => typeof value === 'boolean',
        default: true,
        tag: 'tag:yaml.org,2002:bool',
        test: /^true$|^false$/,
        resolve: str => str === 'true',
        stringify: stringifyJSON
    },
    {
        identify: intIdentify,
        default: true,
        tag: 'tag:yaml.org,2002:int',
        test: /^-?(?:0|[1-9][0-9]*)$/,
        resolve: (str, _onError, { intAsBigInt }) => intAsBigInt ? BigInt(str) : parseInt(str, 10),
        stringify: ({ value }) => intIdentify(value) ? value.toString() : JSON.stringify(value)
    },
    {
        identify: value => typeof value === 'number',
        default: true,
        tag: 'tag:yaml.org,2002:float',
        test: /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?$/,
        resolve: str => parseFloat(str),
        stringify: stringifyJSON
    }
];
const jsonError = {
    default: true,
    tag: '',
    test: /^/,
    resolve(str, onError) {
        onError(`Unresolved plain scalar ${JSON.stringify(str)}`);
        return str;
    }
};
const schema = [map.map, seq.seq].concat(jsonScalars, jsonError);

exports.schema = schema;


/***/ }),

/***/ 18:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var map = __nccwpck_require__(7451);
var _null = __nccwpck_require__(3632);
var seq = __nccwpck_require__(1706);
var string = __nccwpck_require__(6464);
var bool = __nccwpck_require__(3959);
var float = __nccwpck_require__(8405);
var int = __nccwpck_require__(9874);
var schema = __nccwpck_require__(896);
var schema$1 = __nccwpck_require__(3559);
var binary = __nccwpck_require__(6083);
var merge = __nccwpck_require__(452);
var omap = __nccwpck_require__(303);
var pairs = __nccwpck_require__(8385);
var schema$2 = __nccwpck_require__(5913);
var set = __nccwpck_require__(1528);
var timestamp = __nccwpck_require__(6752);

const schemas = new Map([
    ['core', schema.schema],
    ['failsafe', [map.map, seq.seq, string.string]],
    ['json', schema$1.schema],
    ['yaml11', schema$2.schema],
    ['yaml-1.1', schema$2.schema]
]);
const tagsByName = {
    binary: binary.binary,
    bool: bool.boolTag,
    float: float.float,
    floatExp: float.floatExp,
    floatNaN: float.floatNaN,
    floatTime: timestamp.floatTime,
    int: int.int,
    intHex: int.intHex,
    intOct: int.intOct,
    intTime: timestamp.intTime,
    map: map.map,
    merge: merge.merge,
    null: _null.nullTag,
    omap: omap.omap,
    pairs: pairs.pairs,
    seq: seq.seq,
    set: set.set,
    timestamp: timestamp.timestamp
};
const coreKnownTags = {
    'tag:yaml.org,2002:binary': binary.binary,
    'tag:yaml.org,2002:merge': merge.merge,
    'tag:yaml.org,2002:omap': omap.omap,
    'tag:yaml.org,2002:pairs': pairs.pairs,
    'tag:yaml.org,2002:set': set.set,
    'tag:yaml.org,2002:timestamp': timestamp.timestamp
};
function getTags(customTags, schemaName, addMergeTag) {
    const schemaTags = schemas.get(schemaName);
    if (schemaTags && !customTags) {
        return addMergeTag && !schemaTags.includes(merge.merge)
            ? schemaTags.concat(merge.merge)
            : schemaTags.slice();
    }
    let tags = schemaTags;
    if (!tags) {
        if (Array.isArray(customTags))
            tags = [];
        else {
            const keys = Array.from(schemas.keys())
                .filter(key => key !== 'yaml11')
                .map(key => JSON.stringify(key))
                .join(', ');
            throw new Error(`Unknown schema "${schemaName}"; use one of ${keys} or define customTags array`);
        }
    }
    if (Array.isArray(customTags)) {
        for (const tag of customTags)
            tags = tags.concat(tag);
    }
    else if (typeof customTags === 'function') {
        tags = customTags(tags.slice());
    }
    if (addMergeTag)
        tags = tags.concat(merge.merge);
    return tags.reduce((tags, tag) => {
        const tagObj = typeof tag === 'string' ? tagsByName[tag] : tag;
        if (!tagObj) {
            const tagName = JSON.stringify(tag);
            const keys = Object.keys(tagsByName)
                .map(key => JSON.stringify(key))
                .join(', ');
            throw new Error(`Unknown custom tag ${tagName}; use one of ${keys}`);
        }
        if (!tags.includes(tagObj))
            tags.push(tagObj);
        return tags;
    }, []);
}

exports.coreKnownTags = coreKnownTags;
exports.getTags = getTags;


/***/ }),

/***/ 6083:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var node_buffer = __nccwpck_require__(181);
var Scalar = __nccwpck_require__(3301);
var stringifyString = __nccwpck_require__(3069);

const binary = {
    identify: value => value instanceof Uint8Array, // Buffer inherits from Uint8Array
    default: false,
    tag: 'tag:yaml.org,2002:binary',
    /**
     * Returns a Buffer in node and an Uint8Array in browsers
     *
     * To use the resulting buffer as an image, you'll want to do something like:
     *
     *   const blob = new Blob([buffer], { type: 'image/jpeg' })
     *   document.querySelector('#photo').src = URL.createObjectURL(blob)
     */
    resolve(src, onError) {
        if (typeof node_buffer.Buffer === 'function') {
            return node_buffer.Buffer.from(src, 'base64');
        }
        else if (typeof atob === 'function') {
            // On IE 11, atob() can't handle newlines
            const str = atob(src.replace(/[\n\r]/g, ''));
            const buffer = new Uint8Array(str.length);
            for (let i = 0; i < str.length; ++i)
                buffer[i] = str.charCodeAt(i);
            return buffer;
        }
        else {
            onError('This environment does not support reading binary tags; either Buffer or atob is required');
            return src;
        }
    },
    stringify({ comment, type, value }, ctx, onComment, onChompKeep) {
        if (!value)
            return '';
        const buf = value; // checked earlier by binary.identify()
        let str;
        if (typeof node_buffer.Buffer === 'function') {
            str =
                buf instanceof node_buffer.Buffer
                    ? buf.toString('base64')
                    : node_buffer.Buffer.from(buf.buffer).toString('base64');
        }
        else if (typeof btoa === 'function') {
            let s = '';
            for (let i = 0; i < buf.length; ++i)
                s += String.fromCharCode(buf[i]);
            str = btoa(s);
        }
        else {
            throw new Error('This environment does not support writing binary tags; either Buffer or btoa is required');
        }
        type ?? (type = Scalar.Scalar.BLOCK_LITERAL);
        if (type !== Scalar.Scalar.QUOTE_DOUBLE) {
            const lineWidth = Math.max(ctx.options.lineWidth - ctx.indent.length, ctx.options.minContentWidth);
            const n = Math.ceil(str.length / lineWidth);
            const lines = new Array(n);
            for (let i = 0, o = 0; i < n; ++i, o += lineWidth) {
                lines[i] = str.substr(o, lineWidth);
            }
            str = lines.join(type === Scalar.Scalar.BLOCK_LITERAL ? '\n' : ' ');
        }
        return stringifyString.stringifyString({ comment, type, value: str }, ctx, onComment, onChompKeep);
    }
};

exports.binary = binary;


/***/ }),

/***/ 8398:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);

function boolStringify({ value, source }, ctx) {
    const boolObj = value ? trueTag : falseTag;
    if (source && boolObj.test.test(source))
        return source;
    return value ? ctx.options.trueStr : ctx.options.falseStr;
}
const trueTag = {
    identify: value => value === true,
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
    resolve: () => new Scalar.Scalar(true),
    stringify: boolStringify
};
const falseTag = {
    identify: value => value === false,
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
    resolve: () => new Scalar.Scalar(false),
    stringify: boolStringify
};

exports.falseTag = falseTag;
exports.trueTag = trueTag;


/***/ }),

/***/ 5782:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var stringifyNumber = __nccwpck_require__(8689);

const floatNaN = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    resolve: (str) => str.slice(-3).toLowerCase() === 'nan'
        ? NaN
        : str[0] === '-'
            ? Number.NEGATIVE_INFINITY
            : Number.POSITIVE_INFINITY,
    stringify: stringifyNumber.stringifyNumber
};
const floatExp = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    format: 'EXP',
    test: /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/,
    resolve: (str) => parseFloat(str.replace(/_/g, '')),
    stringify(node) {
        const num = Number(node.value);
        return isFinite(num) ? num.toExponential() : stringifyNumber.stringifyNumber(node);
    }
};
const float = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/,
    resolve(str) {
        const node = new Scalar.Scalar(parseFloat(str.replace(/_/g, '')));
        const dot = str.indexOf('.');
        if (dot !== -1) {
            const f = str.substring(dot + 1).replace(/_/g, '');
            if (f[f.length - 1] === '0')
                node.minFractionDigits = f.length;
        }
        return node;
    },
    stringify: stringifyNumber.stringifyNumber
};

exports.float = float;
exports.floatExp = floatExp;
exports.floatNaN = floatNaN;


/***/ }),

/***/ 873:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyNumber = __nccwpck_require__(8689);

const intIdentify = (value) => typeof value === 'bigint' || Number.isInteger(value);
function intResolve(str, offset, radix, { intAsBigInt }) {
    const sign = str[0];
    if (sign === '-' || sign === '+')
        offset += 1;
    str = str.substring(offset).replace(/_/g, '');
    if (intAsBigInt) {
        switch (radix) {
            case 2:
                str = `0b${str}`;
                break;
            case 8:
                str = `0o${str}`;
                break;
            case 16:
                str = `0x${str}`;
                break;
        }
        const n = BigInt(str);
        return sign === '-' ? BigInt(-1) * n : n;
    }
    const n = parseInt(str, radix);
    return sign === '-' ? -1 * n : n;
}
function intStringify(node, radix, prefix) {
    const { value } = node;
    if (intIdentify(value)) {
        const str = value.toString(radix);
        return value < 0 ? '-' + prefix + str.substr(1) : prefix + str;
    }
    return stringifyNumber.stringifyNumber(node);
}
const intBin = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'BIN',
    test: /^[-+]?0b[0-1_]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 2, opt),
    stringify: node => intStringify(node, 2, '0b')
};
const intOct = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'OCT',
    test: /^[-+]?0[0-7_]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 1, 8, opt),
    stringify: node => intStringify(node, 8, '0')
};
const int = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    test: /^[-+]?[0-9][0-9_]*$/,
    resolve: (str, _onError, opt) => intResolve(str, 0, 10, opt),
    stringify: stringifyNumber.stringifyNumber
};
const intHex = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'HEX',
    test: /^[-+]?0x[0-9a-fA-F_]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 16, opt),
    stringify: node => intStringify(node, 16, '0x')
};

exports.int = int;
exports.intBin = intBin;
exports.intHex = intHex;
exports.intOct = intOct;


/***/ }),

/***/ 452:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);

// If the value associated with a merge key is a single mapping node, each of
// its key/value pairs is inserted into the current mapping, unless the key
// already exists in it. If the value associated with the merge key is a
// sequence, then this sequence is expected to contain mapping nodes and each
// of these nodes is merged in turn according to its order in the sequence.
// Keys in mapping nodes earlier in the sequence override keys specified in
// later mapping nodes. -- http://yaml.org/type/merge.html
const MERGE_KEY = '<<';
const merge = {
    identify: value => value === MERGE_KEY ||
        (typeof value === 'symbol' && value.description === MERGE_KEY),
    default: 'key',
    tag: 'tag:yaml.org,2002:merge',
    test: /^<<$/,
    resolve: () => Object.assign(new Scalar.Scalar(Symbol(MERGE_KEY)), {
        addToJSMap: addMergeToJSMap
    }),
    stringify: () => MERGE_KEY
};
const isMergeKey = (ctx, key) => (merge.identify(key) ||
    (identity.isScalar(key) &&
        (!key.type || key.type === Scalar.Scalar.PLAIN) &&
        merge.identify(key.value))) &&
    ctx?.doc.schema.tags.some(tag => tag.tag === merge.tag && tag.default);
function addMergeToJSMap(ctx, map, value) {
    const source = resolveAliasValue(ctx, value);
    if (identity.isSeq(source))
        for (const it of source.items)
            mergeValue(ctx, map, it);
    else if (Array.isArray(source))
        for (const it of source)
            mergeValue(ctx, map, it);
    else
        mergeValue(ctx, map, source);
}
function mergeValue(ctx, map, value) {
    const source = resolveAliasValue(ctx, value);
    if (!identity.isMap(source))
        throw new Error('Merge sources must be maps or map aliases');
    const srcMap = source.toJSON(null, ctx, Map);
    for (const [key, value] of srcMap) {
        if (map instanceof Map) {
            if (!map.has(key))
                map.set(key, value);
        }
        else if (map instanceof Set) {
            map.add(key);
        }
        else if (!Object.prototype.hasOwnProperty.call(map, key)) {
            Object.defineProperty(map, key, {
                value,
                writable: true,
                enumerable: true,
                configurable: true
            });
        }
    }
    return map;
}
function resolveAliasValue(ctx, value) {
    return ctx && identity.isAlias(value) ? value.resolve(ctx.doc, ctx) : value;
}

exports.addMergeToJSMap = addMergeToJSMap;
exports.isMergeKey = isMergeKey;
exports.merge = merge;


/***/ }),

/***/ 303:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var toJS = __nccwpck_require__(4043);
var YAMLMap = __nccwpck_require__(4454);
var YAMLSeq = __nccwpck_require__(2223);
var pairs = __nccwpck_require__(8385);

class YAMLOMap extends YAMLSeq.YAMLSeq {
    constructor() {
        super();
        this.add = YAMLMap.YAMLMap.prototype.add.bind(this);
        this.delete = YAMLMap.YAMLMap.prototype.delete.bind(this);
        this.get = YAMLMap.YAMLMap.prototype.get.bind(this);
        this.has = YAMLMap.YAMLMap.prototype.has.bind(this);
        this.set = YAMLMap.YAMLMap.prototype.set.bind(this);
        this.tag = YAMLOMap.tag;
    }
    /**
     * If `ctx` is given, the return type is actually `Map<unknown, unknown>`,
     * but TypeScript won't allow widening the signature of a child method.
     */
    toJSON(_, ctx) {
        if (!ctx)
            return super.toJSON(_);
        const map = new Map();
        if (ctx?.onCreate)
            ctx.onCreate(map);
        for (const pair of this.items) {
            let key, value;
            if (identity.isPair(pair)) {
                key = toJS.toJS(pair.key, '', ctx);
                value = toJS.toJS(pair.value, key, ctx);
            }
            else {
                key = toJS.toJS(pair, '', ctx);
            }
            if (map.has(key))
                throw new Error('Ordered maps must not include duplicate keys');
            map.set(key, value);
        }
        return map;
    }
    static from(schema, iterable, ctx) {
        const pairs$1 = pairs.createPairs(schema, iterable, ctx);
        const omap = new this();
        omap.items = pairs$1.items;
        return omap;
    }
}
YAMLOMap.tag = 'tag:yaml.org,2002:omap';
const omap = {
    collection: 'seq',
    identify: value => value instanceof Map,
    nodeClass: YAMLOMap,
    default: false,
    tag: 'tag:yaml.org,2002:omap',
    resolve(seq, onError) {
        const pairs$1 = pairs.resolvePairs(seq, onError);
        const seenKeys = [];
        for (const { key } of pairs$1.items) {
            if (identity.isScalar(key)) {
                if (seenKeys.includes(key.value)) {
                    onError(`Ordered maps must not include duplicate keys: ${key.value}`);
                }
                else {
                    seenKeys.push(key.value);
                }
            }
        }
        return Object.assign(new YAMLOMap(), pairs$1);
    },
    createNode: (schema, iterable, ctx) => YAMLOMap.from(schema, iterable, ctx)
};

exports.YAMLOMap = YAMLOMap;
exports.omap = omap;


/***/ }),

/***/ 8385:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var Scalar = __nccwpck_require__(3301);
var YAMLSeq = __nccwpck_require__(2223);

function resolvePairs(seq, onError) {
    if (identity.isSeq(seq)) {
        for (let i = 0; i < seq.items.length; ++i) {
            let item = seq.items[i];
            if (identity.isPair(item))
                continue;
            else if (identity.isMap(item)) {
                if (item.items.length > 1)
                    onError('Each pair must have its own sequence indicator');
                const pair = item.items[0] || new Pair.Pair(new Scalar.Scalar(null));
                if (item.commentBefore)
                    pair.key.commentBefore = pair.key.commentBefore
                        ? `${item.commentBefore}\n${pair.key.commentBefore}`
                        : item.commentBefore;
                if (item.comment) {
                    const cn = pair.value ?? pair.key;
                    cn.comment = cn.comment
                        ? `${item.comment}\n${cn.comment}`
                        : item.comment;
                }
                item = pair;
            }
            seq.items[i] = identity.isPair(item) ? item : new Pair.Pair(item);
        }
    }
    else
        onError('Expected a sequence for this tag');
    return seq;
}
function createPairs(schema, iterable, ctx) {
    const { replacer } = ctx;
    const pairs = new YAMLSeq.YAMLSeq(schema);
    pairs.tag = 'tag:yaml.org,2002:pairs';
    let i = 0;
    if (iterable && Symbol.iterator in Object(iterable))
        for (let it of iterable) {
            if (typeof replacer === 'function')
                it = replacer.call(iterable, String(i++), it);
            let key, value;
            if (Array.isArray(it)) {
                if (it.length === 2) {
                    key = it[0];
                    value = it[1];
                }
                else
                    throw new TypeError(`Expected [key, value] tuple: ${it}`);
            }
            else if (it && it instanceof Object) {
                const keys = Object.keys(it);
                if (keys.length === 1) {
                    key = keys[0];
                    value = it[key];
                }
                else {
                    throw new TypeError(`Expected tuple with one key, not ${keys.length} keys`);
                }
            }
            else {
                key = it;
            }
            pairs.items.push(Pair.createPair(key, value, ctx));
        }
    return pairs;
}
const pairs = {
    collection: 'seq',
    default: false,
    tag: 'tag:yaml.org,2002:pairs',
    resolve: resolvePairs,
    createNode: createPairs
};

exports.createPairs = createPairs;
exports.pairs = pairs;
exports.resolvePairs = resolvePairs;


/***/ }),

/***/ 5913:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var map = __nccwpck_require__(7451);
var _null = __nccwpck_require__(3632);
var seq = __nccwpck_require__(1706);
var string = __nccwpck_require__(6464);
var binary = __nccwpck_require__(6083);
var bool = __nccwpck_require__(8398);
var float = __nccwpck_require__(5782);
var int = __nccwpck_require__(873);
var merge = __nccwpck_require__(452);
var omap = __nccwpck_require__(303);
var pairs = __nccwpck_require__(8385);
var set = __nccwpck_require__(1528);
var timestamp = __nccwpck_require__(6752);

const schema = [
    map.map,
    seq.seq,
    string.string,
    _null.nullTag,
    bool.trueTag,
    bool.falseTag,
    int.intBin,
    int.intOct,
    int.int,
    int.intHex,
    float.floatNaN,
    float.floatExp,
    float.float,
    binary.binary,
    merge.merge,
    omap.omap,
    pairs.pairs,
    set.set,
    timestamp.intTime,
    timestamp.floatTime,
    timestamp.timestamp
];

exports.schema = schema;


/***/ }),

/***/ 1528:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var YAMLMap = __nccwpck_require__(4454);

class YAMLSet extends YAMLMap.YAMLMap {
    constructor(schema) {
        super(schema);
        this.tag = YAMLSet.tag;
    }
    add(key) {
        let pair;
        if (identity.isPair(key))
            pair = key;
        else if (key &&
            typeof key === 'object' &&
            'key' in key &&
            'value' in key &&
            key.value === null)
            pair = new Pair.Pair(key.key, null);
        else
            pair = new Pair.Pair(key, null);
        const prev = YAMLMap.findPair(this.items, pair.key);
        if (!prev)
            this.items.push(pair);
    }
    /**
     * If `keepPair` is `true`, returns the Pair matching `key`.
     * Otherwise, returns the value of that Pair's key.
     */
    get(key, keepPair) {
        const pair = YAMLMap.findPair(this.items, key);
        return !keepPair && identity.isPair(pair)
            ? identity.isScalar(pair.key)
                ? pair.key.value
                : pair.key
            : pair;
    }
    set(key, value) {
        if (typeof value !== 'boolean')
            throw new Error(`Expected boolean value for set(key, value) in a YAML set, not ${typeof value}`);
        const prev = YAMLMap.findPair(this.items, key);
        if (prev && !value) {
            this.items.splice(this.items.indexOf(prev), 1);
        }
        else if (!prev && value) {
            this.items.push(new Pair.Pair(key));
        }
    }
    toJSON(_, ctx) {
        return super.toJSON(_, ctx, Set);
    }
    toString(ctx, onComment, onChompKeep) {
        if (!ctx)
            return JSON.stringify(this);
        if (this.hasAllNullValues(true))
            return super.toString(Object.assign({}, ctx, { allNullValues: true }), onComment, onChompKeep);
        else
            throw new Error('Set items must all have null values');
    }
    static from(schema, iterable, ctx) {
        const { replacer } = ctx;
        const set = new this(schema);
        if (iterable && Symbol.iterator in Object(iterable))
            for (let value of iterable) {
                if (typeof replacer === 'function')
                    value = replacer.call(iterable, value, value);
                set.items.push(Pair.createPair(value, null, ctx));
            }
        return set;
    }
}
YAMLSet.tag = 'tag:yaml.org,2002:set';
const set = {
    collection: 'map',
    identify: value => value instanceof Set,
    nodeClass: YAMLSet,
    default: false,
    tag: 'tag:yaml.org,2002:set',
    createNode: (schema, iterable, ctx) => YAMLSet.from(schema, iterable, ctx),
    resolve(map, onError) {
        if (identity.isMap(map)) {
            if (map.hasAllNullValues(true))
                return Object.assign(new YAMLSet(), map);
            else
                onError('Set items must all have null values');
        }
        else
            onError('Expected a mapping for this tag');
        return map;
    }
};

exports.YAMLSet = YAMLSet;
exports.set = set;


/***/ }),

/***/ 6752:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyNumber = __nccwpck_require__(8689);

/** Internal types handle bigint as number, because TS can't figure it out. */
function parseSexagesimal(str, asBigInt) {
    const sign = str[0];
    const parts = sign === '-' || sign === '+' ? str.substring(1) : str;
    const num = (n) => asBigInt ? BigInt(n) : Number(n);
    const res = parts
        .replace(/_/g, '')
        .split(':')
        .reduce((res, p) => res * num(60) + num(p), num(0));
    return (sign === '-' ? num(-1) * res : res);
}
/**
 * hhhh:mm:ss.sss
 *
 * Internal types handle bigint as number, because TS can't figure it out.
 */
function stringifySexagesimal(node) {
    let { value } = node;
    let num = (n) => n;
    if (typeof value === 'bigint')
        num = n => BigInt(n);
    else if (isNaN(value) || !isFinite(value))
        return stringifyNumber.stringifyNumber(node);
    let sign = '';
    if (value < 0) {
        sign = '-';
        value *= num(-1);
    }
    const _60 = num(60);
    const parts = [value % _60]; // seconds, including ms
    if (value < 60) {
        parts.unshift(0); // at least one : is required
    }
    else {
        value = (value - parts[0]) / _60;
        parts.unshift(value % _60); // minutes
        if (value >= 60) {
            value = (value - parts[0]) / _60;
            parts.unshift(value); // hours
        }
    }
    return (sign +
        parts
            .map(n => String(n).padStart(2, '0'))
            .join(':')
            .replace(/000000\d*$/, '') // % 60 may introduce error
    );
}
const intTime = {
    identify: value => typeof value === 'bigint' || Number.isInteger(value),
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'TIME',
    test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/,
    resolve: (str, _onError, { intAsBigInt }) => parseSexagesimal(str, intAsBigInt),
    stringify: stringifySexagesimal
};
const floatTime = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    format: 'TIME',
    test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/,
    resolve: str => parseSexagesimal(str, false),
    stringify: stringifySexagesimal
};
const timestamp = {
    identify: value => value instanceof Date,
    default: true,
    tag: 'tag:yaml.org,2002:timestamp',
    // If the time zone is omitted, the timestamp is assumed to be specified in UTC. The time part
    // may be omitted altogether, resulting in a date format. In such a case, the time part is
    // assumed to be 00:00:00Z (start of day, UTC).
    test: RegExp('^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})' + // YYYY-Mm-Dd
        '(?:' + // time is optional
        '(?:t|T|[ \\t]+)' + // t | T | whitespace
        '([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\\.[0-9]+)?)' + // Hh:Mm:Ss(.ss)?
        '(?:[ \\t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?' + // Z | +5 | -03:30
        ')?$'),
    resolve(str) {
        const match = str.match(timestamp.test);
        if (!match)
            throw new Error('!!timestamp expects a date, starting with yyyy-mm-dd');
        const [, year, month, day, hour, minute, second] = match.map(Number);
        const millisec = match[7] ? Number((match[7] + '00').substr(1, 3)) : 0;
        let date = Date.UTC(year, month - 1, day, hour || 0, minute || 0, second || 0, millisec);
        const tz = match[8];
        if (tz && tz !== 'Z') {
            let d = parseSexagesimal(tz, false);
            if (Math.abs(d) < 30)
                d *= 60;
            date -= 60000 * d;
        }
        return new Date(date);
    },
    stringify: ({ value }) => value?.toISOString().replace(/(T00:00:00)?\.000Z$/, '') ?? ''
};

exports.floatTime = floatTime;
exports.intTime = intTime;
exports.timestamp = timestamp;


/***/ }),

/***/ 4475:
/***/ ((__unused_webpack_module, exports) => {



const FOLD_FLOW = 'flow';
const FOLD_BLOCK = 'block';
const FOLD_QUOTED = 'quoted';
/**
 * Tries to keep input at up to `lineWidth` characters, splitting only on spaces
 * not followed by newlines or spaces unless `mode` is `'quoted'`. Lines are
 * terminated with `\n` and started with `indent`.
 */
function foldFlowLines(text, indent, mode = 'flow', { indentAtStart, lineWidth = 80, minContentWidth = 20, onFold, onOverflow } = {}) {
    if (!lineWidth || lineWidth < 0)
        return text;
    if (lineWidth < minContentWidth)
        minContentWidth = 0;
    const endStep = Math.max(1 + minContentWidth, 1 + lineWidth - indent.length);
    if (text.length <= endStep)
        return text;
    const folds = [];
    const escapedFolds = {};
    let end = lineWidth - indent.length;
    if (typeof indentAtStart === 'number') {
        if (indentAtStart > lineWidth - Math.max(2, minContentWidth))
            folds.push(0);
        else
            end = lineWidth - indentAtStart;
    }
    let split = undefined;
    let prev = undefined;
    let overflow = false;
    let i = -1;
    let escStart = -1;
    let escEnd = -1;
    if (mode === FOLD_BLOCK) {
        i = consumeMoreIndentedLines(text, i, indent.length);
        if (i !== -1)
            end = i + endStep;
    }
    for (let ch; (ch = text[(i += 1)]);) {
        if (mode === FOLD_QUOTED && ch === '\\') {
            escStart = i;
            switch (text[i + 1]) {
                case 'x':
                    i += 3;
                    break;
                case 'u':
                    i += 5;
                    break;
                case 'U':
                    i += 9;
                    break;
                default:
                    i += 1;
            }
            escEnd = i;
        }
        if (ch === '\n') {
            if (mode === FOLD_BLOCK)
                i = consumeMoreIndentedLines(text, i, indent.length);
            end = i + indent.length + endStep;
            split = undefined;
        }
        else {
            if (ch === ' ' &&
                prev &&
                prev !== ' ' &&
                prev !== '\n' &&
                prev !== '\t') {
                // space surrounded by non-space can be replaced with newline + indent
                const next = text[i + 1];
                if (next && next !== ' ' && next !== '\n' && next !== '\t')
                    split = i;
            }
            if (i >= end) {
                if (split) {
                    folds.push(split);
                    end = split + endStep;
                    split = undefined;
                }
                else if (mode === FOLD_QUOTED) {
                    // white-space collected at end may stretch past lineWidth
                    while (prev === ' ' || prev === '\t') {
                        prev = ch;
                        ch = text[(i += 1)];
                        overflow = true;
                    }
                    // Account for newline escape, but don't break preceding escape
                    const j = i > escEnd + 1 ? i - 2 : escStart - 1;
                    // Bail out if lineWidth & minContentWidth are shorter than an escape string
                    if (escapedFolds[j])
                        return text;
                    folds.push(j);
                    escapedFolds[j] = true;
                    end = j + endStep;
                    split = undefined;
                }
                else {
                    overflow = true;
                }
            }
        }
        prev = ch;
    }
    if (overflow && onOverflow)
        onOverflow();
    if (folds.length === 0)
        return text;
    if (onFold)
        onFold();
    let res = text.slice(0, folds[0]);
    for (let i = 0; i < folds.length; ++i) {
        const fold = folds[i];
        const end = folds[i + 1] || text.length;
        if (fold === 0)
            res = `\n${indent}${text.slice(0, end)}`;
        else {
            if (mode === FOLD_QUOTED && escapedFolds[fold])
                res += `${text[fold]}\\`;
            res += `\n${indent}${text.slice(fold + 1, end)}`;
        }
    }
    return res;
}
/**
 * Presumes `i + 1` is at the start of a line
 * @returns index of last newline in more-indented block
 */
function consumeMoreIndentedLines(text, i, indent) {
    let end = i;
    let start = i + 1;
    let ch = text[start];
    while (ch === ' ' || ch === '\t') {
        if (i < start + indent) {
            ch = text[++i];
        }
        else {
            do {
                ch = text[++i];
            } while (ch && ch !== '\n');
            end = i;
            start = i + 1;
            ch = text[start];
        }
    }
    return end;
}

exports.FOLD_BLOCK = FOLD_BLOCK;
exports.FOLD_FLOW = FOLD_FLOW;
exports.FOLD_QUOTED = FOLD_QUOTED;
exports.foldFlowLines = foldFlowLines;


/***/ }),

/***/ 2148:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var anchors = __nccwpck_require__(1596);
var identity = __nccwpck_require__(1127);
var stringifyComment = __nccwpck_require__(9799);
var stringifyString = __nccwpck_require__(3069);

function createStringifyContext(doc, options) {
    const opt = Object.assign({
        blockQuote: true,
        commentString: stringifyComment.stringifyComment,
        defaultKeyType: null,
        defaultStringType: 'PLAIN',
        directives: null,
        doubleQuotedAsJSON: false,
        doubleQuotedMinMultiLineLength: 40,
        falseStr: 'false',
        flowCollectionPadding: true,
        indentSeq: true,
        lineWidth: 80,
        minContentWidth: 20,
        nullStr: 'null',
        simpleKeys: false,
        singleQuote: null,
        trailingComma: false,
        trueStr: 'true',
        verifyAliasOrder: true
    }, doc.schema.toStringOptions, options);
    let inFlow;
    switch (opt.collectionStyle) {
        case 'block':
            inFlow = false;
            break;
        case 'flow':
            inFlow = true;
            break;
        default:
            inFlow = null;
    }
    return {
        anchors: new Set(),
        doc,
        flowCollectionPadding: opt.flowCollectionPadding ? ' ' : '',
        indent: '',
        indentStep: typeof opt.indent === 'number' ? ' '.repeat(opt.indent) : '  ',
        inFlow,
        options: opt
    };
}
function getTagObject(tags, item) {
    if (item.tag) {
        const match = tags.filter(t => t.tag === item.tag);
        if (match.length > 0)
            return match.find(t => t.format === item.format) ?? match[0];
    }
    let tagObj = undefined;
    let obj;
    if (identity.isScalar(item)) {
        obj = item.value;
        let match = tags.filter(t => t.identify?.(obj));
        if (match.length > 1) {
            const testMatch = match.filter(t => t.test);
            if (testMatch.length > 0)
                match = testMatch;
        }
        tagObj =
            match.find(t => t.format === item.format) ?? match.find(t => !t.format);
    }
    else {
        obj = item;
        tagObj = tags.find(t => t.nodeClass && obj instanceof t.nodeClass);
    }
    if (!tagObj) {
        const name = obj?.constructor?.name ?? (obj === null ? 'null' : typeof obj);
        throw new Error(`Tag not resolved for ${name} value`);
    }
    return tagObj;
}
// needs to be called before value stringifier to allow for circular anchor refs
function stringifyProps(node, tagObj, { anchors: anchors$1, doc }) {
    if (!doc.directives)
        return '';
    const props = [];
    const anchor = (identity.isScalar(node) || identity.isCollection(node)) && node.anchor;
    if (anchor && anchors.anchorIsValid(anchor)) {
        anchors$1.add(anchor);
        props.push(`&${anchor}`);
    }
    const tag = node.tag ?? (tagObj.default ? null : tagObj.tag);
    if (tag)
        props.push(doc.directives.tagString(tag));
    return props.join(' ');
}
function stringify(item, ctx, onComment, onChompKeep) {
    if (identity.isPair(item))
        return item.toString(ctx, onComment, onChompKeep);
    if (identity.isAlias(item)) {
        if (ctx.doc.directives)
            return item.toString(ctx);
        if (ctx.resolvedAliases?.has(item)) {
            throw new TypeError(`Cannot stringify circular structure without alias nodes`);
        }
        else {
            if (ctx.resolvedAliases)
                ctx.resolvedAliases.add(item);
            else
                ctx.resolvedAliases = new Set([item]);
            item = item.resolve(ctx.doc);
        }
    }
    let tagObj = undefined;
    const node = identity.isNode(item)
        ? item
        : ctx.doc.createNode(item, { onTagObj: o => (tagObj = o) });
    tagObj ?? (tagObj = getTagObject(ctx.doc.schema.tags, node));
    const props = stringifyProps(node, tagObj, ctx);
    if (props.length > 0)
        ctx.indentAtStart = (ctx.indentAtStart ?? 0) + props.length + 1;
    const str = typeof tagObj.stringify === 'function'
        ? tagObj.stringify(node, ctx, onComment, onChompKeep)
        : identity.isScalar(node)
            ? stringifyString.stringifyString(node, ctx, onComment, onChompKeep)
            : node.toString(ctx, onComment, onChompKeep);
    if (!props)
        return str;
    return identity.isScalar(node) || str[0] === '{' || str[0] === '['
        ? `${props} ${str}`
        : `${props}\n${ctx.indent}${str}`;
}

exports.createStringifyContext = createStringifyContext;
exports.stringify = stringify;


/***/ }),

/***/ 1212:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var stringify = __nccwpck_require__(2148);
var stringifyComment = __nccwpck_require__(9799);

function stringifyCollection(collection, ctx, options) {
    const flow = ctx.inFlow ?? collection.flow;
    const stringify = flow ? stringifyFlowCollection : stringifyBlockCollection;
    return stringify(collection, ctx, options);
}
function stringifyBlockCollection({ comment, items }, ctx, { blockItemPrefix, flowChars, itemIndent, onChompKeep, onComment }) {
    const { indent, options: { commentString } } = ctx;
    const itemCtx = Object.assign({}, ctx, { indent: itemIndent, type: null });
    let chompKeep = false; // flag for the preceding node's status
    const lines = [];
    for (let i = 0; i < items.length; ++i) {
        const item = items[i];
        let comment = null;
        if (identity.isNode(item)) {
            if (!chompKeep && item.spaceBefore)
                lines.push('');
            addCommentBefore(ctx, lines, item.commentBefore, chompKeep);
            if (item.comment)
                comment = item.comment;
        }
        else if (identity.isPair(item)) {
            const ik = identity.isNode(item.key) ? item.key : null;
            if (ik) {
                if (!chompKeep && ik.spaceBefore)
                    lines.push('');
                addCommentBefore(ctx, lines, ik.commentBefore, chompKeep);
            }
        }
        chompKeep = false;
        let str = stringify.stringify(item, itemCtx, () => (comment = null), () => (chompKeep = true));
        if (comment)
            str += stringifyComment.lineComment(str, itemIndent, commentString(comment));
        if (chompKeep && comment)
            chompKeep = false;
        lines.push(blockItemPrefix + str);
    }
    let str;
    if (lines.length === 0) {
        str = flowChars.start + flowChars.end;
    }
    else {
        str = lines[0];
        for (let i = 1; i < lines.length; ++i) {
            const line = lines[i];
            str += line ? `\n${indent}${line}` : '\n';
        }
    }
    if (comment) {
        str += '\n' + stringifyComment.indentComment(commentString(comment), indent);
        if (onComment)
            onComment();
    }
    else if (chompKeep && onChompKeep)
        onChompKeep();
    return str;
}
function stringifyFlowCollection({ items }, ctx, { flowChars, itemIndent }) {
    const { indent, indentStep, flowCollectionPadding: fcPadding, options: { commentString } } = ctx;
    itemIndent += indentStep;
    const itemCtx = Object.assign({}, ctx, {
        indent: itemIndent,
        inFlow: true,
        type: null
    });
    let reqNewline = false;
    let linesAtValue = 0;
    const lines = [];
    for (let i = 0; i < items.length; ++i) {
        const item = items[i];
        let comment = null;
        if (identity.isNode(item)) {
            if (item.spaceBefore)
                lines.push('');
            addCommentBefore(ctx, lines, item.commentBefore, false);
            if (item.comment)
                comment = item.comment;
        }
        else if (identity.isPair(item)) {
            const ik = identity.isNode(item.key) ? item.key : null;
            if (ik) {
                if (ik.spaceBefore)
                    lines.push('');
                addCommentBefore(ctx, lines, ik.commentBefore, false);
                if (ik.comment)
                    reqNewline = true;
            }
            const iv = identity.isNode(item.value) ? item.value : null;
            if (iv) {
                if (iv.comment)
                    comment = iv.comment;
                if (iv.commentBefore)
                    reqNewline = true;
            }
            else if (item.value == null && ik?.comment) {
                comment = ik.comment;
            }
        }
        if (comment)
            reqNewline = true;
        let str = stringify.stringify(item, itemCtx, () => (comment = null));
        reqNewline || (reqNewline = lines.length > linesAtValue || str.includes('\n'));
        if (i < items.length - 1) {
            str += ',';
        }
        else if (ctx.options.trailingComma) {
            if (ctx.options.lineWidth > 0) {
                reqNewline || (reqNewline = lines.reduce((sum, line) => sum + line.length + 2, 2) +
                    (str.length + 2) >
                    ctx.options.lineWidth);
            }
            if (reqNewline) {
                str += ',';
            }
        }
        if (comment)
            str += stringifyComment.lineComment(str, itemIndent, commentString(comment));
        lines.push(str);
        linesAtValue = lines.length;
    }
    const { start, end } = flowChars;
    if (lines.length === 0) {
        return start + end;
    }
    else {
        if (!reqNewline) {
            const len = lines.reduce((sum, line) => sum + line.length + 2, 2);
            reqNewline = ctx.options.lineWidth > 0 && len > ctx.options.lineWidth;
        }
        if (reqNewline) {
            let str = start;
            for (const line of lines)
                str += line ? `\n${indentStep}${indent}${line}` : '\n';
            return `${str}\n${indent}${end}`;
        }
        else {
            return `${start}${fcPadding}${lines.join(' ')}${fcPadding}${end}`;
        }
    }
}
function addCommentBefore({ indent, options: { commentString } }, lines, comment, chompKeep) {
    if (comment && chompKeep)
        comment = comment.replace(/^\n+/, '');
    if (comment) {
        const ic = stringifyComment.indentComment(commentString(comment), indent);
        lines.push(ic.trimStart()); // Avoid double indent on first line
    }
}

exports.stringifyCollection = stringifyCollection;


/***/ }),

/***/ 9799:
/***/ ((__unused_webpack_module, exports) => {



/**
 * Stringifies a comment.
 *
 * Empty comment lines are left empty,
 * lines consisting of a single space are replaced by `#`,
 * and all other lines are prefixed with a `#`.
 */
const stringifyComment = (str) => str.replace(/^(?!$)(?: $)?/gm, '#');
function indentComment(comment, indent) {
    if (/^\n+$/.test(comment))
        return comment.substring(1);
    return indent ? comment.replace(/^(?! *$)/gm, indent) : comment;
}
const lineComment = (str, indent, comment) => str.endsWith('\n')
    ? indentComment(comment, indent)
    : comment.includes('\n')
        ? '\n' + indentComment(comment, indent)
        : (str.endsWith(' ') ? '' : ' ') + comment;

exports.indentComment = indentComment;
exports.lineComment = lineComment;
exports.stringifyComment = stringifyComment;


/***/ }),

/***/ 6829:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var stringify = __nccwpck_require__(2148);
var stringifyComment = __nccwpck_require__(9799);

function stringifyDocument(doc, options) {
    const lines = [];
    let hasDirectives = options.directives === true;
    if (options.directives !== false && doc.directives) {
        const dir = doc.directives.toString(doc);
        if (dir) {
            lines.push(dir);
            hasDirectives = true;
        }
        else if (doc.directives.docStart)
            hasDirectives = true;
    }
    if (hasDirectives)
        lines.push('---');
    const ctx = stringify.createStringifyContext(doc, options);
    const { commentString } = ctx.options;
    if (doc.commentBefore) {
        if (lines.length !== 1)
            lines.unshift('');
        const cs = commentString(doc.commentBefore);
        lines.unshift(stringifyComment.indentComment(cs, ''));
    }
    let chompKeep = false;
    let contentComment = null;
    if (doc.contents) {
        if (identity.isNode(doc.contents)) {
            if (doc.contents.spaceBefore && hasDirectives)
                lines.push('');
            if (doc.contents.commentBefore) {
                const cs = commentString(doc.contents.commentBefore);
                lines.push(stringifyComment.indentComment(cs, ''));
            }
            // top-level block scalars need to be indented if followed by a comment
            ctx.forceBlockIndent = !!doc.comment;
            contentComment = doc.contents.comment;
        }
        const onChompKeep = contentComment ? undefined : () => (chompKeep = true);
        let body = stringify.stringify(doc.contents, ctx, () => (contentComment = null), onChompKeep);
        if (contentComment)
            body += stringifyComment.lineComment(body, '', commentString(contentComment));
        if ((body[0] === '|' || body[0] === '>') &&
            lines[lines.length - 1] === '---') {
            // Top-level block scalars with a preceding doc marker ought to use the
            // same line for their header.
            lines[lines.length - 1] = `--- ${body}`;
        }
        else
            lines.push(body);
    }
    else {
        lines.push(stringify.stringify(doc.contents, ctx));
    }
    if (doc.directives?.docEnd) {
        if (doc.comment) {
            const cs = commentString(doc.comment);
            if (cs.includes('\n')) {
                lines.push('...');
                lines.push(stringifyComment.indentComment(cs, ''));
            }
            else {
                lines.push(`... ${cs}`);
            }
        }
        else {
            lines.push('...');
        }
    }
    else {
        let dc = doc.comment;
        if (dc && chompKeep)
            dc = dc.replace(/^\n+/, '');
        if (dc) {
            if ((!chompKeep || contentComment) && lines[lines.length - 1] !== '')
                lines.push('');
            lines.push(stringifyComment.indentComment(commentString(dc), ''));
        }
    }
    return lines.join('\n') + '\n';
}

exports.stringifyDocument = stringifyDocument;


/***/ }),

/***/ 8689:
/***/ ((__unused_webpack_module, exports) => {



function stringifyNumber({ format, minFractionDigits, tag, value }) {
    if (typeof value === 'bigint')
        return String(value);
    const num = typeof value === 'number' ? value : Number(value);
    if (!isFinite(num))
        return isNaN(num) ? '.nan' : num < 0 ? '-.inf' : '.inf';
    let n = Object.is(value, -0) ? '-0' : JSON.stringify(value);
    if (!format &&
        minFractionDigits &&
        (!tag || tag === 'tag:yaml.org,2002:float') &&
        /^-?\d/.test(n) &&
        !n.includes('e')) {
        let i = n.indexOf('.');
        if (i < 0) {
            i = n.length;
            n += '.';
        }
        let d = minFractionDigits - (n.length - i - 1);
        while (d-- > 0)
            n += '0';
    }
    return n;
}

exports.stringifyNumber = stringifyNumber;


/***/ }),

/***/ 9748:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);
var stringify = __nccwpck_require__(2148);
var stringifyComment = __nccwpck_require__(9799);

function stringifyPair({ key, value }, ctx, onComment, onChompKeep) {
    const { allNullValues, doc, indent, indentStep, options: { commentString, indentSeq, simpleKeys } } = ctx;
    let keyComment = (identity.isNode(key) && key.comment) || null;
    if (simpleKeys) {
        if (keyComment) {
            throw new Error('With simple keys, key nodes cannot have comments');
        }
        if (identity.isCollection(key) || (!identity.isNode(key) && typeof key === 'object')) {
            const msg = 'With simple keys, collection cannot be used as a key value';
            throw new Error(msg);
        }
    }
    let explicitKey = !simpleKeys &&
        (!key ||
            (keyComment && value == null && !ctx.inFlow) ||
            identity.isCollection(key) ||
            (identity.isScalar(key)
                ? key.type === Scalar.Scalar.BLOCK_FOLDED || key.type === Scalar.Scalar.BLOCK_LITERAL
                : typeof key === 'object'));
    ctx = Object.assign({}, ctx, {
        allNullValues: false,
        implicitKey: !explicitKey && (simpleKeys || !allNullValues),
        indent: indent + indentStep
    });
    let keyCommentDone = false;
    let chompKeep = false;
    let str = stringify.stringify(key, ctx, () => (keyCommentDone = true), () => (chompKeep = true));
    if (!explicitKey && !ctx.inFlow && str.length > 1024) {
        if (simpleKeys)
            throw new Error('With simple keys, single line scalar must not span more than 1024 characters');
        explicitKey = true;
    }
    if (ctx.inFlow) {
        if (allNullValues || value == null) {
            if (keyCommentDone && onComment)
                onComment();
            return str === '' ? '?' : explicitKey ? `? ${str}` : str;
        }
    }
    else if ((allNullValues && !simpleKeys) || (value == null && explicitKey)) {
        str = `? ${str}`;
        if (keyComment && !keyCommentDone) {
            str += stringifyComment.lineComment(str, ctx.indent, commentString(keyComment));
        }
        else if (chompKeep && onChompKeep)
            onChompKeep();
        return str;
    }
    if (keyCommentDone)
        keyComment = null;
    if (explicitKey) {
        if (keyComment)
            str += stringifyComment.lineComment(str, ctx.indent, commentString(keyComment));
        str = `? ${str}\n${indent}:`;
    }
    else {
        str = `${str}:`;
        if (keyComment)
            str += stringifyComment.lineComment(str, ctx.indent, commentString(keyComment));
    }
    let vsb, vcb, valueComment;
    if (identity.isNode(value)) {
        vsb = !!value.spaceBefore;
        vcb = value.commentBefore;
        valueComment = value.comment;
    }
    else {
        vsb = false;
        vcb = null;
        valueComment = null;
        if (value && typeof value === 'object')
            value = doc.createNode(value);
    }
    ctx.implicitKey = false;
    if (!explicitKey && !keyComment && identity.isScalar(value))
        ctx.indentAtStart = str.length + 1;
    chompKeep = false;
    if (!indentSeq &&
        indentStep.length >= 2 &&
        !ctx.inFlow &&
        !explicitKey &&
        identity.isSeq(value) &&
        !value.flow &&
        !value.tag &&
        !value.anchor) {
        // If indentSeq === false, consider '- ' as part of indentation where possible
        ctx.indent = ctx.indent.substring(2);
    }
    let valueCommentDone = false;
    const valueStr = stringify.stringify(value, ctx, () => (valueCommentDone = true), () => (chompKeep = true));
    let ws = ' ';
    if (keyComment || vsb || vcb) {
        ws = vsb ? '\n' : '';
        if (vcb) {
            const cs = commentString(vcb);
            ws += `\n${stringifyComment.indentComment(cs, ctx.indent)}`;
        }
        if (valueStr === '' && !ctx.inFlow) {
            if (ws === '\n' && valueComment)
                ws = '\n\n';
        }
        else {
            ws += `\n${ctx.indent}`;
        }
    }
    else if (!explicitKey && identity.isCollection(value)) {
        const vs0 = valueStr[0];
        const nl0 = valueStr.indexOf('\n');
        const hasNewline = nl0 !== -1;
        const flow = ctx.inFlow ?? value.flow ?? value.items.length === 0;
        if (hasNewline || !flow) {
            let hasPropsLine = false;
            if (hasNewline && (vs0 === '&' || vs0 === '!')) {
                let sp0 = valueStr.indexOf(' ');
                if (vs0 === '&' &&
                    sp0 !== -1 &&
                    sp0 < nl0 &&
                    valueStr[sp0 + 1] === '!') {
                    sp0 = valueStr.indexOf(' ', sp0 + 1);
                }
                if (sp0 === -1 || nl0 < sp0)
                    hasPropsLine = true;
            }
            if (!hasPropsLine)
                ws = `\n${ctx.indent}`;
        }
    }
    else if (valueStr === '' || valueStr[0] === '\n') {
        ws = '';
    }
    str += ws + valueStr;
    if (ctx.inFlow) {
        if (valueCommentDone && onComment)
            onComment();
    }
    else if (valueComment && !valueCommentDone) {
        str += stringifyComment.lineComment(str, ctx.indent, commentString(valueComment));
    }
    else if (chompKeep && onChompKeep) {
        onChompKeep();
    }
    return str;
}

exports.stringifyPair = stringifyPair;


/***/ }),

/***/ 3069:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var foldFlowLines = __nccwpck_require__(4475);

const getFoldOptions = (ctx, isBlock) => ({
    indentAtStart: isBlock ? ctx.indent.length : ctx.indentAtStart,
    lineWidth: ctx.options.lineWidth,
    minContentWidth: ctx.options.minContentWidth
});
// Also checks for lines starting with %, as parsing the output as YAML 1.1 will
// presume that's starting a new document.
const containsDocumentMarker = (str) => /^(%|---|\.\.\.)/m.test(str);
function lineLengthOverLimit(str, lineWidth, indentLength) {
    if (!lineWidth || lineWidth < 0)
        return false;
    const limit = lineWidth - indentLength;
    const strLen = str.length;
    if (strLen <= limit)
        return false;
    for (let i = 0, start = 0; i < strLen; ++i) {
        if (str[i] === '\n') {
            if (i - start > limit)
                return true;
            start = i + 1;
            if (strLen - start <= limit)
                return false;
        }
    }
    return true;
}
function doubleQuotedString(value, ctx) {
    const json = JSON.stringify(value);
    if (ctx.options.doubleQuotedAsJSON)
        return json;
    const { implicitKey } = ctx;
    const minMultiLineLength = ctx.options.doubleQuotedMinMultiLineLength;
    const indent = ctx.indent || (containsDocumentMarker(value) ? '  ' : '');
    let str = '';
    let start = 0;
    for (let i = 0, ch = json[i]; ch; ch = json[++i]) {
        if (ch === ' ' && json[i + 1] === '\\' && json[i + 2] === 'n') {
            // space before newline needs to be escaped to not be folded
            str += json.slice(start, i) + '\\ ';
            i += 1;
            start = i;
            ch = '\\';
        }
        if (ch === '\\')
            switch (json[i + 1]) {
                case 'u':
                    {
                        str += json.slice(start, i);
                        const code = json.substr(i + 2, 4);
                        switch (code) {
                            case '0000':
                                str += '\\0';
                                break;
                            case '0007':
                                str += '\\a';
                                break;
                            case '000b':
                                str += '\\v';
                                break;
                            case '001b':
                                str += '\\e';
                                break;
                            case '0085':
                                str += '\\N';
                                break;
                            case '00a0':
                                str += '\\_';
                                break;
                            case '2028':
                                str += '\\L';
                                break;
                            case '2029':
                                str += '\\P';
                                break;
                            default:
                                if (code.substr(0, 2) === '00')
                                    str += '\\x' + code.substr(2);
                                else
                                    str += json.substr(i, 6);
                        }
                        i += 5;
                        start = i + 1;
                    }
                    break;
                case 'n':
                    if (implicitKey ||
                        json[i + 2] === '"' ||
                        json.length < minMultiLineLength) {
                        i += 1;
                    }
                    else {
                        // folding will eat first newline
                        str += json.slice(start, i) + '\n\n';
                        while (json[i + 2] === '\\' &&
                            json[i + 3] === 'n' &&
                            json[i + 4] !== '"') {
                            str += '\n';
                            i += 2;
                        }
                        str += indent;
                        // space after newline needs to be escaped to not be folded
                        if (json[i + 2] === ' ')
                            str += '\\';
                        i += 1;
                        start = i + 1;
                    }
                    break;
                default:
                    i += 1;
            }
    }
    str = start ? str + json.slice(start) : json;
    return implicitKey
        ? str
        : foldFlowLines.foldFlowLines(str, indent, foldFlowLines.FOLD_QUOTED, getFoldOptions(ctx, false));
}
function singleQuotedString(value, ctx) {
    if (ctx.options.singleQuote === false ||
        (ctx.implicitKey && value.includes('\n')) ||
        /[ \t]\n|\n[ \t]/.test(value) // single quoted string can't have leading or trailing whitespace around newline
    )
        return doubleQuotedString(value, ctx);
    const indent = ctx.indent || (containsDocumentMarker(value) ? '  ' : '');
    const res = "'" + value.replace(/'/g, "''").replace(/\n+/g, `$&\n${indent}`) + "'";
    return ctx.implicitKey
        ? res
        : foldFlowLines.foldFlowLines(res, indent, foldFlowLines.FOLD_FLOW, getFoldOptions(ctx, false));
}
function quotedString(value, ctx) {
    const { singleQuote } = ctx.options;
    let qs;
    if (singleQuote === false)
        qs = doubleQuotedString;
    else {
        const hasDouble = value.includes('"');
        const hasSingle = value.includes("'");
        if (hasDouble && !hasSingle)
            qs = singleQuotedString;
        else if (hasSingle && !hasDouble)
            qs = doubleQuotedString;
        else
            qs = singleQuote ? singleQuotedString : doubleQuotedString;
    }
    return qs(value, ctx);
}
// The negative lookbehind avoids a polynomial search,
// but isn't supported yet on Safari: https://caniuse.com/js-regexp-lookbehind
let blockEndNewlines;
try {
    blockEndNewlines = new RegExp('(^|(?<!\n))\n+(?!\n|$)', 'g');
}
catch {
    blockEndNewlines = /\n+(?!\n|$)/g;
}
function blockString({ comment, type, value }, ctx, onComment, onChompKeep) {
    const { blockQuote, commentString, lineWidth } = ctx.options;
    // 1. Block can't end in whitespace unless the last line is non-empty.
    // 2. Strings consisting of only whitespace are best rendered explicitly.
    if (!blockQuote || /\n[\t ]+$/.test(value)) {
        return quotedString(value, ctx);
    }
    const indent = ctx.indent ||
        (ctx.forceBlockIndent || containsDocumentMarker(value) ? '  ' : '');
    const literal = blockQuote === 'literal'
        ? true
        : blockQuote === 'folded' || type === Scalar.Scalar.BLOCK_FOLDED
            ? false
            : type === Scalar.Scalar.BLOCK_LITERAL
                ? true
                : !lineLengthOverLimit(value, lineWidth, indent.length);
    if (!value)
        return literal ? '|\n' : '>\n';
    // determine chomping from whitespace at value end
    let chomp;
    let endStart;
    for (endStart = value.length; endStart > 0; --endStart) {
        const ch = value[endStart - 1];
        if (ch !== '\n' && ch !== '\t' && ch !== ' ')
            break;
    }
    let end = value.substring(endStart);
    const endNlPos = end.indexOf('\n');
    if (endNlPos === -1) {
        chomp = '-'; // strip
    }
    else if (value === end || endNlPos !== end.length - 1) {
        chomp = '+'; // keep
        if (onChompKeep)
            onChompKeep();
    }
    else {
        chomp = ''; // clip
    }
    if (end) {
        value = value.slice(0, -end.length);
        if (end[end.length - 1] === '\n')
            end = end.slice(0, -1);
        end = end.replace(blockEndNewlines, `$&${indent}`);
    }
    // determine indent indicator from whitespace at value start
    let startWithSpace = false;
    let startEnd;
    let startNlPos = -1;
    for (startEnd = 0; startEnd < value.length; ++startEnd) {
        const ch = value[startEnd];
        if (ch === ' ')
            startWithSpace = true;
        else if (ch === '\n')
            startNlPos = startEnd;
        else
            break;
    }
    let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
    if (start) {
        value = value.substring(start.length);
        start = start.replace(/\n+/g, `$&${indent}`);
    }
    const indentSize = indent ? '2' : '1'; // root is at -1
    // Leading | or > is added later
    let header = (startWithSpace ? indentSize : '') + chomp;
    if (comment) {
        header += ' ' + commentString(comment.replace(/ ?[\r\n]+/g, ' '));
        if (onComment)
            onComment();
    }
    if (!literal) {
        const foldedValue = value
            .replace(/\n+/g, '\n$&')
            .replace(/(?:^|\n)([\t ].*)(?:([\n\t ]*)\n(?![\n\t ]))?/g, '$1$2') // more-indented lines aren't folded
            //                ^ more-ind. ^ empty     ^ capture next empty lines only at end of indent
            .replace(/\n+/g, `$&${indent}`);
        let literalFallback = false;
        const foldOptions = getFoldOptions(ctx, true);
        if (blockQuote !== 'folded' && type !== Scalar.Scalar.BLOCK_FOLDED) {
            foldOptions.onOverflow = () => {
                literalFallback = true;
            };
        }
        const body = foldFlowLines.foldFlowLines(`${start}${foldedValue}${end}`, indent, foldFlowLines.FOLD_BLOCK, foldOptions);
        if (!literalFallback)
            return `>${header}\n${indent}${body}`;
    }
    value = value.replace(/\n+/g, `$&${indent}`);
    return `|${header}\n${indent}${start}${value}${end}`;
}
function plainString(item, ctx, onComment, onChompKeep) {
    const { type, value } = item;
    const { actualString, implicitKey, indent, indentStep, inFlow } = ctx;
    if ((implicitKey && value.includes('\n')) ||
        (inFlow && /[[\]{},]/.test(value))) {
        return quotedString(value, ctx);
    }
    if (/^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/.test(value)) {
        // not allowed:
        // - '-' or '?'
        // - start with an indicator character (except [?:-]) or /[?-] /
        // - '\n ', ': ' or ' \n' anywhere
        // - '#' not preceded by a non-space char
        // - end with ' ' or ':'
        return implicitKey || inFlow || !value.includes('\n')
            ? quotedString(value, ctx)
            : blockString(item, ctx, onComment, onChompKeep);
    }
    if (!implicitKey &&
        !inFlow &&
        type !== Scalar.Scalar.PLAIN &&
        value.includes('\n')) {
        // Where allowed & type not set explicitly, prefer block style for multiline strings
        return blockString(item, ctx, onComment, onChompKeep);
    }
    if (containsDocumentMarker(value)) {
        if (indent === '') {
            ctx.forceBlockIndent = true;
            return blockString(item, ctx, onComment, onChompKeep);
        }
        else if (implicitKey && indent === indentStep) {
            return quotedString(value, ctx);
        }
    }
    const str = value.replace(/\n+/g, `$&\n${indent}`);
    // Verify that output will be parsed as a string, as e.g. plain numbers and
    // booleans get parsed with those types in v1.2 (e.g. '42', 'true' & '0.9e-3'),
    // and others in v1.1.
    if (actualString) {
        const test = (tag) => tag.default && tag.tag !== 'tag:yaml.org,2002:str' && tag.test?.test(str);
        const { compat, tags } = ctx.doc.schema;
        if (tags.some(test) || compat?.some(test))
            return quotedString(value, ctx);
    }
    return implicitKey
        ? str
        : foldFlowLines.foldFlowLines(str, indent, foldFlowLines.FOLD_FLOW, getFoldOptions(ctx, false));
}
function stringifyString(item, ctx, onComment, onChompKeep) {
    const { implicitKey, inFlow } = ctx;
    const ss = typeof item.value === 'string'
        ? item
        : Object.assign({}, item, { value: String(item.value) });
    let { type } = item;
    if (type !== Scalar.Scalar.QUOTE_DOUBLE) {
        // force double quotes on control characters & unpaired surrogates
        if (/[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u.test(ss.value))
            type = Scalar.Scalar.QUOTE_DOUBLE;
    }
    const _stringify = (_type) => {
        switch (_type) {
            case Scalar.Scalar.BLOCK_FOLDED:
            case Scalar.Scalar.BLOCK_LITERAL:
                return implicitKey || inFlow
                    ? quotedString(ss.value, ctx) // blocks are not valid inside flow containers
                    : blockString(ss, ctx, onComment, onChompKeep);
            case Scalar.Scalar.QUOTE_DOUBLE:
                return doubleQuotedString(ss.value, ctx);
            case Scalar.Scalar.QUOTE_SINGLE:
                return singleQuotedString(ss.value, ctx);
            case Scalar.Scalar.PLAIN:
                return plainString(ss, ctx, onComment, onChompKeep);
            default:
                return null;
        }
    };
    let res = _stringify(type);
    if (res === null) {
        const { defaultKeyType, defaultStringType } = ctx.options;
        const t = (implicitKey && defaultKeyType) || defaultStringType;
        res = _stringify(t);
        if (res === null)
            throw new Error(`Unsupported default string type ${t}`);
    }
    return res;
}

exports.stringifyString = stringifyString;


/***/ }),

/***/ 204:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);

const BREAK = Symbol('break visit');
const SKIP = Symbol('skip children');
const REMOVE = Symbol('remove node');
/**
 * Apply a visitor to an AST node or document.
 *
 * Walks through the tree (depth-first) starting from `node`, calling a
 * `visitor` function with three arguments:
 *   - `key`: For sequence values and map `Pair`, the node's index in the
 *     collection. Within a `Pair`, `'key'` or `'value'`, correspondingly.
 *     `null` for the root node.
 *   - `node`: The current node.
 *   - `path`: The ancestry of the current node.
 *
 * The return value of the visitor may be used to control the traversal:
 *   - `undefined` (default): Do nothing and continue
 *   - `visit.SKIP`: Do not visit the children of this node, continue with next
 *     sibling
 *   - `visit.BREAK`: Terminate traversal completely
 *   - `visit.REMOVE`: Remove the current node, then continue with the next one
 *   - `Node`: Replace the current node, then continue by visiting it
 *   - `number`: While iterating the items of a sequence or map, set the index
 *     of the next step. This is useful especially if the index of the current
 *     node has changed.
 *
 * If `visitor` is a single function, it will be called with all values
 * encountered in the tree, including e.g. `null` values. Alternatively,
 * separate visitor functions may be defined for each `Map`, `Pair`, `Seq`,
 * `Alias` and `Scalar` node. To define the same visitor function for more than
 * one node type, use the `Collection` (map and seq), `Value` (map, seq & scalar)
 * and `Node` (alias, map, seq & scalar) targets. Of all these, only the most
 * specific defined one will be used for each node.
 */
function visit(node, visitor) {
    const visitor_ = initVisitor(visitor);
    if (identity.isDocument(node)) {
        const cd = visit_(null, node.contents, visitor_, Object.freeze([node]));
        if (cd === REMOVE)
            node.contents = null;
    }
    else
        visit_(null, node, visitor_, Object.freeze([]));
}
// Without the `as symbol` casts, TS declares these in the `visit`
// namespace using `var`, but then complains about that because
// `unique symbol` must be `const`.
/** Terminate visit traversal completely */
visit.BREAK = BREAK;
/** Do not visit the children of the current node */
visit.SKIP = SKIP;
/** Remove the current node */
visit.REMOVE = REMOVE;
function visit_(key, node, visitor, path) {
    const ctrl = callVisitor(key, node, visitor, path);
    if (identity.isNode(ctrl) || identity.isPair(ctrl)) {
        replaceNode(key, path, ctrl);
        return visit_(key, ctrl, visitor, path);
    }
    if (typeof ctrl !== 'symbol') {
        if (identity.isCollection(node)) {
            path = Object.freeze(path.concat(node));
            for (let i = 0; i < node.items.length; ++i) {
                const ci = visit_(i, node.items[i], visitor, path);
                if (typeof ci === 'number')
                    i = ci - 1;
                else if (ci === BREAK)
                    return BREAK;
                else if (ci === REMOVE) {
                    node.items.splice(i, 1);
                    i -= 1;
                }
            }
        }
        else if (identity.isPair(node)) {
            path = Object.freeze(path.concat(node));
            const ck = visit_('key', node.key, visitor, path);
            if (ck === BREAK)
                return BREAK;
            else if (ck === REMOVE)
                node.key = null;
            const cv = visit_('value', node.value, visitor, path);
            if (cv === BREAK)
                return BREAK;
            else if (cv === REMOVE)
                node.value = null;
        }
    }
    return ctrl;
}
/**
 * Apply an async visitor to an AST node or document.
 *
 * Walks through the tree (depth-first) starting from `node`, calling a
 * `visitor` function with three arguments:
 *   - `key`: For sequence values and map `Pair`, the node's index in the
 *     collection. Within a `Pair`, `'key'` or `'value'`, correspondingly.
 *     `null` for the root node.
 *   - `node`: The current node.
 *   - `path`: The ancestry of the current node.
 *
 * The return value of the visitor may be used to control the traversal:
 *   - `Promise`: Must resolve to one of the following values
 *   - `undefined` (default): Do nothing and continue
 *   - `visit.SKIP`: Do not visit the children of this node, continue with next
 *     sibling
 *   - `visit.BREAK`: Terminate traversal completely
 *   - `visit.REMOVE`: Remove the current node, then continue with the next one
 *   - `Node`: Replace the current node, then continue by visiting it
 *   - `number`: While iterating the items of a sequence or map, set the index
 *     of the next step. This is useful especially if the index of the current
 *     node has changed.
 *
 * If `visitor` is a single function, it will be called with all values
 * encountered in the tree, including e.g. `null` values. Alternatively,
 * separate visitor functions may be defined for each `Map`, `Pair`, `Seq`,
 * `Alias` and `Scalar` node. To define the same visitor function for more than
 * one node type, use the `Collection` (map and seq), `Value` (map, seq & scalar)
 * and `Node` (alias, map, seq & scalar) targets. Of all these, only the most
 * specific defined one will be used for each node.
 */
async function visitAsync(node, visitor) {
    const visitor_ = initVisitor(visitor);
    if (identity.isDocument(node)) {
        const cd = await visitAsync_(null, node.contents, visitor_, Object.freeze([node]));
        if (cd === REMOVE)
            node.contents = null;
    }
    else
        await visitAsync_(null, node, visitor_, Object.freeze([]));
}
// Without the `as symbol` casts, TS declares these in the `visit`
// namespace using `var`, but then complains about that because
// `unique symbol` must be `const`.
/** Terminate visit traversal completely */
visitAsync.BREAK = BREAK;
/** Do not visit the children of the current node */
visitAsync.SKIP = SKIP;
/** Remove the current node */
visitAsync.REMOVE = REMOVE;
async function visitAsync_(key, node, visitor, path) {
    const ctrl = await callVisitor(key, node, visitor, path);
    if (identity.isNode(ctrl) || identity.isPair(ctrl)) {
        replaceNode(key, path, ctrl);
        return visitAsync_(key, ctrl, visitor, path);
    }
    if (typeof ctrl !== 'symbol') {
        if (identity.isCollection(node)) {
            path = Object.freeze(path.concat(node));
            for (let i = 0; i < node.items.length; ++i) {
                const ci = await visitAsync_(i, node.items[i], visitor, path);
                if (typeof ci === 'number')
                    i = ci - 1;
                else if (ci === BREAK)
                    return BREAK;
                else if (ci === REMOVE) {
                    node.items.splice(i, 1);
                    i -= 1;
                }
            }
        }
        else if (identity.isPair(node)) {
            path = Object.freeze(path.concat(node));
            const ck = await visitAsync_('key', node.key, visitor, path);
            if (ck === BREAK)
                return BREAK;
            else if (ck === REMOVE)
                node.key = null;
            const cv = await visitAsync_('value', node.value, visitor, path);
            if (cv === BREAK)
                return BREAK;
            else if (cv === REMOVE)
                node.value = null;
        }
    }
    return ctrl;
}
function initVisitor(visitor) {
    if (typeof visitor === 'object' &&
        (visitor.Collection || visitor.Node || visitor.Value)) {
        return Object.assign({
            Alias: visitor.Node,
            Map: visitor.Node,
            Scalar: visitor.Node,
            Seq: visitor.Node
        }, visitor.Value && {
            Map: visitor.Value,
            Scalar: visitor.Value,
            Seq: visitor.Value
        }, visitor.Collection && {
            Map: visitor.Collection,
            Seq: visitor.Collection
        }, visitor);
    }
    return visitor;
}
function callVisitor(key, node, visitor, path) {
    if (typeof visitor === 'function')
        return visitor(key, node, path);
    if (identity.isMap(node))
        return visitor.Map?.(key, node, path);
    if (identity.isSeq(node))
        return visitor.Seq?.(key, node, path);
    if (identity.isPair(node))
        return visitor.Pair?.(key, node, path);
    if (identity.isScalar(node))
        return visitor.Scalar?.(key, node, path);
    if (identity.isAlias(node))
        return visitor.Alias?.(key, node, path);
    return undefined;
}
function replaceNode(key, path, node) {
    const parent = path[path.length - 1];
    if (identity.isCollection(parent)) {
        parent.items[key] = node;
    }
    else if (identity.isPair(parent)) {
        if (key === 'key')
            parent.key = node;
        else
            parent.value = node;
    }
    else if (identity.isDocument(parent)) {
        parent.contents = node;
    }
    else {
        const pt = identity.isAlias(parent) ? 'alias' : 'scalar';
        throw new Error(`Cannot replace node with ${pt} parent`);
    }
}

exports.visit = visit;
exports.visitAsync = visitAsync;


/***/ }),

/***/ 3240:
/***/ ((__webpack_module__, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(__webpack_module__, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(8161);
/* harmony import */ var _core_action_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(7518);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(8005);
/* harmony import */ var _core_sentence_js__WEBPACK_IMPORTED_MODULE_11__ = __nccwpck_require__(7823);
/* harmony import */ var _core_output_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(8975);
/* harmony import */ var _smoke_parse_spec_js__WEBPACK_IMPORTED_MODULE_4__ = __nccwpck_require__(3238);
/* harmony import */ var _smoke_report_js__WEBPACK_IMPORTED_MODULE_5__ = __nccwpck_require__(6000);
/* harmony import */ var _smoke_smoke_inputs_js__WEBPACK_IMPORTED_MODULE_6__ = __nccwpck_require__(3779);
/* harmony import */ var _smoke_pool_js__WEBPACK_IMPORTED_MODULE_10__ = __nccwpck_require__(7944);
/* harmony import */ var _smoke_smoke_test_js__WEBPACK_IMPORTED_MODULE_7__ = __nccwpck_require__(4427);
/* harmony import */ var _smoke_record_verified_js__WEBPACK_IMPORTED_MODULE_8__ = __nccwpck_require__(3715);
/* harmony import */ var _report_smoke_test_summary_js__WEBPACK_IMPORTED_MODULE_9__ = __nccwpck_require__(8408);
/**
 * smoke-test: decide with evidence whether production is healthy, and whether to roll back.
 * Reads inputs, runs src/smoke, writes outputs, reports, the job summary and annotations.
 */












await (0,_core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .runAction */ .Cs)('smoke-test', async (log, signal, report) => {
    // Secrets first: nothing below may print them.
    const { source, baseUrl, options, failStep, confirmAfterSeconds } = (0,_smoke_smoke_inputs_js__WEBPACK_IMPORTED_MODULE_6__/* .readSmokeInputs */ .P)(_core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .input */ .hF, _core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .input */ .hF.secret('database-url', log), process.env.GITHUB_WORKSPACE, log);
    const githubToken = _core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .input */ .hF.secret('github-token', log);
    const verified = (0,_smoke_record_verified_js__WEBPACK_IMPORTED_MODULE_8__/* .verifiedRequest */ .GP)(_core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .input */ .hF.string('verified-sha'), githubToken, process.env);
    // An invalid spec fails even with fail-step false: nothing was measured, there is no verdict.
    const checks = await (0,_smoke_smoke_test_js__WEBPACK_IMPORTED_MODULE_7__/* .loadChecks */ .o$)(source, { baseUrl, hasDatabase: Boolean(options.database) });
    if (options.baselineUrl && !checks.some((c) => c.kind === 'http' && c.path)) {
        log.warning('baseline-url is set, but no HTTP check is written as a path (/api/health), so there is nothing to compare.');
    }
    // A check that cannot run as written (a wrong database-url, a query that tries to write, a
    // request fetch refuses to send) throws a CheckConfigError and fails like an invalid spec,
    // whatever fail-step says: it is a mistake in the configuration, not an outage, so no verdict
    // and no decision output; its message and hint are the failure's error line.
    const { verdict, report: measured, confirmation } = await (0,_smoke_smoke_test_js__WEBPACK_IMPORTED_MODULE_7__/* .runSmokeTest */ .pb)(checks, { ...options, signal }, log, { afterSeconds: confirmAfterSeconds, wait: (ms) => (0,_smoke_pool_js__WEBPACK_IMPORTED_MODULE_10__/* .sleep */ .y)(ms, signal) });
    const paths = (0,_smoke_report_js__WEBPACK_IMPORTED_MODULE_5__/* .reportPaths */ .Rs)(process.env.RUNNER_TEMP || (0,node_os__WEBPACK_IMPORTED_MODULE_0__.tmpdir)());
    await (0,_smoke_report_js__WEBPACK_IMPORTED_MODULE_5__/* .writeReportFiles */ .t4)(measured, paths, log);
    for (const a of (0,_smoke_report_js__WEBPACK_IMPORTED_MODULE_5__/* .annotations */ .hk)(measured)) {
        const message = log.redact(a.message);
        const title = log.redact(a.title);
        _core_output_js__WEBPACK_IMPORTED_MODULE_3__/* .output */ .CG.annotate(a.level, message, { title });
    }
    const recorded = verified ? await (0,_smoke_record_verified_js__WEBPACK_IMPORTED_MODULE_8__/* .recordVerified */ .y4)(verified, verdict, measured.checks.length, options.deadlineSeconds, log) : false;
    // Under the failure's heading when the checks fail the step: the table says which and why.
    report((0,_report_smoke_test_summary_js__WEBPACK_IMPORTED_MODULE_9__/* .summaryMarkdown */ .e)(measured, log, verified ? { sha: verified.sha, recorded } : undefined));
    (0,_core_action_js__WEBPACK_IMPORTED_MODULE_1__/* .setOutputs */ .n0)({
        passed: verdict.passed,
        severity: verdict.severity,
        decision: verdict.decision,
        failed: verdict.failed,
        'error-rate': verdict.errorRate,
        'p95-ms': verdict.p95Ms ?? '',
        'report-path': paths.json,
        'junit-path': paths.junit,
        flapped: JSON.stringify(confirmation?.flapped ?? []),
        verified: recorded,
    });
    if (!verdict.passed) {
        // The reason is a clause ("check \u2026 failed: \u2026", often ending in "(SQLSTATE 42P01)" or a quote):
        // said as a sentence of its own after the verdict's, before the hint.
        const reason = verdict.reasons[0]?.trim();
        const line = verdict.decision === 'inconclusive'
            ? `Smoke test inconclusive: ${reason}.`
            : `Smoke test failed: ${verdict.failed} of ${measured.checks.length} checks failed; severity ${verdict.severity}, decision ${verdict.decision}.${reason ? ` ${(0,_core_sentence_js__WEBPACK_IMPORTED_MODULE_11__/* .sentence */ .em)(reason)}` : ''}`;
        if (failStep)
            throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RollbackKitError */ .dp(line, 'See the job summary and the report; with fail-step: false the step stays green and a later step can act on the decision output.');
        log.warning(`${line} (fail-step is false: the step stays green; act on the decision output)`);
    }
}, (err, log) => (err instanceof _smoke_parse_spec_js__WEBPACK_IMPORTED_MODULE_4__/* .SpecError */ .G8 ? (0,_report_smoke_test_summary_js__WEBPACK_IMPORTED_MODULE_9__/* .specProblemsDetails */ .K)(err, log) : undefined));

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 7518:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  hF: () => (/* binding */ action_input),
  Cs: () => (/* binding */ runAction),
  n0: () => (/* binding */ setOutputs)
});

// UNUSED EXPORTS: STOP_GRACE_MS, actionLog, inputsFrom, madeThisStep

// EXTERNAL MODULE: ./.build/core/actions-core.js + 2 modules
var actions_core = __nccwpck_require__(1372);
// EXTERNAL MODULE: ./.build/core/errors.js
var errors = __nccwpck_require__(8005);
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

// EXTERNAL MODULE: ./.build/core/parse.js
var parse = __nccwpck_require__(151);
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
var report_markdown = __nccwpck_require__(6479);
;// CONCATENATED MODULE: ./.build/report/failure-summary.js
/** What every failed step leaves in its job summary: the heading, the error line, then the action's own details. */


function failureSummary(action, err, log, details) {
    // Redact before escaping: escaping can split a secret so the redactor no longer sees it.
    const parts = [`### ${action}: failed`, (0,report_markdown/* text */.Qq)(log.redact((0,errors/* errorLine */.BP)(err)))];
    if (details?.trim())
        parts.push(details.trim());
    return `${parts.join('\n\n')}\n`;
}

;// CONCATENATED MODULE: ./.build/report/write-summary.js
/**
 * The one way a job summary reaches GITHUB_STEP_SUMMARY: the Markdown is redacted as a whole (a
 * last net: builders redact outside text before escaping it), and a summary that cannot be written
 * is a warning, never the step's failure: the outputs and the log still say what happened.
 */



async function writeSummary(markdown, log) {
    try {
        await actions_core/* core */.I.summary.addRaw((0,report_markdown/* redactMarkdown */.R)(markdown, (text) => log.redact(text))).write();
    }
    catch (err) {
        // The buffer keeps what failed to write; the next summary must not carry it along.
        actions_core/* core */.I.summary.emptyBuffer();
        log.warning(`The job summary could not be written: ${(0,errors/* systemErrorLine */.o3)(err) ?? (err instanceof Error ? err.message : String(err))}`);
    }
}

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
        await writeSummary(failureSummary(action(), err, log, known), log);
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
                await writeSummary(reported, log);
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

/***/ 1372:
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

/***/ 1914:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   MC: () => (/* binding */ isBlockedPortError),
/* harmony export */   Np: () => (/* binding */ blockedPortWay),
/* harmony export */   lr: () => (/* binding */ blockedPortText)
/* harmony export */ });
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


/***/ }),

/***/ 8005:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   BP: () => (/* binding */ errorLine),
/* harmony export */   dp: () => (/* binding */ RollbackKitError),
/* harmony export */   o3: () => (/* binding */ systemErrorLine),
/* harmony export */   rZ: () => (/* binding */ systemErrorMeaning)
/* harmony export */ });
/* unused harmony exports errorFacts, withFacts */
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
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(8005);
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
/* harmony import */ var _actions_core_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(1372);
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

/***/ 151:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   $J: () => (/* binding */ parseNumber),
/* harmony export */   E1: () => (/* binding */ parseList),
/* harmony export */   cG: () => (/* binding */ parseInteger),
/* harmony export */   yG: () => (/* binding */ parseBoolean),
/* harmony export */   zD: () => (/* binding */ decimalNumber)
/* harmony export */ });
/* unused harmony export parseTime */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(8005);
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

/***/ 7487:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   E: () => (/* binding */ readCapped)
/* harmony export */ });
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


/***/ }),

/***/ 9205:
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

/***/ 9041:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   AI: () => (/* binding */ registerUrlSecrets),
/* harmony export */   BF: () => (/* binding */ hideUrlSecrets),
/* harmony export */   Fn: () => (/* binding */ urlSecrets),
/* harmony export */   JD: () => (/* binding */ splitCredentials),
/* harmony export */   NK: () => (/* binding */ registerConnectionSecrets),
/* harmony export */   Qy: () => (/* binding */ displayUrl),
/* harmony export */   cp: () => (/* binding */ POSTGRES_URL),
/* harmony export */   eq: () => (/* binding */ isSensitiveName),
/* harmony export */   wK: () => (/* binding */ isPlaceholder),
/* harmony export */   y1: () => (/* binding */ registerWebhookSecrets)
/* harmony export */ });
/* unused harmony export decodedForms */
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

/***/ 401:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   HH: () => (/* binding */ parseConnectionString),
/* harmony export */   Vo: () => (/* binding */ passwordHint),
/* harmony export */   ex: () => (/* binding */ isTransactionPooler),
/* harmony export */   f3: () => (/* binding */ pgClientConfig),
/* harmony export */   ff: () => (/* binding */ describeTarget)
/* harmony export */ });
/* unused harmony exports transactionPoolerRefusal, withDatabase, connectionUrl, clientApplicationName, toolConnectMs, toolConninfo, libpqEnv */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3024);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(6760);
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(8005);
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
    return new RollbackKitError(`${describeTarget(t)} is a transaction-mode pooler: it hands each transaction to another server session, so ${what} would not hold.`, 'Use the session pooler or the direct connection (port 5432; on Supabase the "Session pooler" connection string). Nothing was changed.', { changed: 'no' });
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

/***/ 6479:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  SS: () => (/* binding */ codeSpan),
  kq: () => (/* binding */ escapeCell),
  R: () => (/* binding */ redactMarkdown),
  Qq: () => (/* binding */ markdown_text)
});

// UNUSED EXPORTS: backtickRuns, formatBytes, inlineText, linkText, table, unlinked

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

/***/ 8408:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   K: () => (/* binding */ specProblemsDetails),
/* harmony export */   e: () => (/* binding */ summaryMarkdown)
/* harmony export */ });
/* harmony import */ var _smoke_parse_spec_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3238);
/* harmony import */ var _smoke_report_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(6000);
/* harmony import */ var _markdown_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(6479);



const ICON = { passed: '\u2705', failed: '\u274c', slower: '\u26a0\ufe0f' };
/** The job summary: the verdict in one line, why, then one row per check; redacted before it is escaped. */
function summaryMarkdown(measured, log, verified) {
    const report = (0,_smoke_report_js__WEBPACK_IMPORTED_MODULE_1__/* .redactReport */ .a5)(measured, log);
    const v = report.verdict;
    const c = report.confirmation;
    const headline = v.decision === 'inconclusive'
        ? `${ICON.slower} Smoke test inconclusive: decision **inconclusive**, no automatic rollback (checks failed, then ${v.failed ? `${report.checks.length - v.failed} of ${report.checks.length}` : 'all'} passed when measured again ${c?.afterSeconds ?? '?'} s later)`
        : v.passed
            ? `${v.severity === 'minor' ? ICON.slower : ICON.passed} Smoke test passed: severity **${v.severity}**, decision **${v.decision}**`
            : `${ICON.failed} Smoke test failed: severity **${v.severity}**, decision **${v.decision}** (${v.failed} of ${report.checks.length} checks failed)`;
    const confirmation = !c
        ? []
        : c.confirmed
            ? [`Confirmed: the first run decided rollback (${c.firstRun.failed.length} failed: ${c.firstRun.failed.map(_markdown_js__WEBPACK_IMPORTED_MODULE_2__/* .text */ .Qq).join(', ')}), and every check measured again ${c.afterSeconds} s later decided rollback too. The table shows the second run.`, '']
            : [
                `Flapped (failed, then passed ${c.afterSeconds} s later): ${c.flapped.length ? c.flapped.map(_markdown_js__WEBPACK_IMPORTED_MODULE_2__/* .text */ .Qq).join(', ') : '-'}. Production may be unstable: look at it now; roll back by hand (the Rollback workflow) if it fails again. The table shows the second run.`,
                '',
            ];
    const withBaseline = report.checks.some((c) => c.baseline);
    const head = ['Check', 'Result', 'Attempts', 'Status', 'Latency p50 / p95 / max (ms)', ...(withBaseline ? ['Baseline p95 (ms)'] : []), 'Reason'];
    const rows = report.checks.map((c) => {
        const result = c.passed ? (c.baseline?.regression ? `${ICON.slower} slower` : `${ICON.passed} passed`) : `${ICON.failed} failed${c.critical ? ' (critical)' : ''}`;
        const samples = c.samples > 1 ? ` \u00b7 ${c.samples} samples, ${c.errorRate}% errors` : '';
        const latency = `${c.p50Ms ?? '-'} / ${c.p95Ms ?? '-'} / ${c.maxMs ?? '-'}${samples}`;
        const baseline = c.baseline ? [`${c.baseline.p95Ms ?? '-'}${c.baseline.regression ? ' (regression)' : ''}`] : withBaseline ? ['-'] : [];
        return [(0,_markdown_js__WEBPACK_IMPORTED_MODULE_2__/* .text */ .Qq)(c.name), result, String(c.attempts), c.status !== undefined ? String(c.status) : c.kind === 'sql' ? 'SQL' : '-', latency, ...baseline, (0,_markdown_js__WEBPACK_IMPORTED_MODULE_2__/* .text */ .Qq)(c.reason ?? '')];
    });
    const line = (cells) => `| ${cells.map(_markdown_js__WEBPACK_IMPORTED_MODULE_2__/* .escapeCell */ .kq).join(' | ')} |`;
    return [
        '### Smoke test',
        '',
        headline,
        '',
        ...confirmation,
        ...(v.reasons.length ? [...v.reasons.map((r) => `- ${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_2__/* .text */ .Qq)(r)}`), ''] : []),
        line(head),
        line(head.map(() => '---')),
        ...rows.map(line),
        '',
        ...(verified
            ? [
                verified.recorded
                    ? `Recorded commit ${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_2__/* .codeSpan */ .SS)(verified.sha.slice(0, 12))} as verified (commit status \`rollback-kit/verified\`): promote-previous with target last-verified can return to it.`
                    : `Commit ${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_2__/* .codeSpan */ .SS)(verified.sha.slice(0, 12))} was not recorded as verified${v.passed ? ' (see the warning)' : ' (the checks did not pass)'}.`,
                '',
            ]
            : []),
        `Thresholds: error rate \u2264 ${report.settings.maxErrorRate}%, p95 \u2264 ${report.settings.maxP95Ms} ms. Reported error rate ${v.errorRate}% and p95 ${v.p95Ms ?? '-'} ms are those of "${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_2__/* .text */ .Qq)(v.worstCheck ?? '-')}".`,
        '',
    ].join('\n');
}
/** Under a failed run's heading and error line: every problem of an invalid spec, redacted, then escaped. */
function specProblemsDetails(err, log) {
    return ['\u274c The check spec is invalid, so nothing was run:', '', ...err.problems.map((p) => `- ${(0,_markdown_js__WEBPACK_IMPORTED_MODULE_2__/* .text */ .Qq)(log.redact((0,_smoke_parse_spec_js__WEBPACK_IMPORTED_MODULE_0__/* .formatProblem */ .Vw)(p)))}`)].join('\n');
}


/***/ }),

/***/ 1116:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   A: () => (/* binding */ measureConfirmed),
/* harmony export */   n: () => (/* binding */ MAX_CONFIRM_AFTER_SECONDS)
/* harmony export */ });
/* harmony import */ var _pool_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(7944);

/** Longer than this is no longer "confirming a blip" but a second deployment window. */
const MAX_CONFIRM_AFTER_SECONDS = 1800;
/**
 * Runs `measure` once, and again after `afterSeconds` when the first run decides rollback. The
 * returned verdict is the second run's when both say rollback; when they disagree it is the
 * second run's numbers with `passed: false` and decision `inconclusive`, since production failed
 * its checks moments ago and a person should look.
 */
async function measureConfirmed(measure, afterSeconds, log, wait = _pool_js__WEBPACK_IMPORTED_MODULE_0__/* .sleep */ .y) {
    const first = await measure();
    if (afterSeconds <= 0 || first.verdict.decision !== 'rollback')
        return first;
    const failedFirst = first.results.filter((r) => !r.passed).map((r) => r.name);
    log.info(`The checks decided rollback (${failedFirst.length} failed: ${failedFirst.join(', ')}); measuring every check again in ${afterSeconds} s to confirm.`);
    await wait(Math.min(afterSeconds, MAX_CONFIRM_AFTER_SECONDS) * 1000);
    const second = await measure();
    const before = new Map(first.results.map((r) => [r.name, r.passed]));
    const flapped = second.results.filter((r) => before.has(r.name) && before.get(r.name) !== r.passed).map((r) => r.name);
    const { worst, ...firstVerdict } = first.verdict;
    const confirmation = {
        afterSeconds,
        confirmed: second.verdict.decision === 'rollback',
        firstRun: { verdict: { ...firstVerdict, worstCheck: worst?.name }, failed: failedFirst },
        flapped,
    };
    if (confirmation.confirmed) {
        log.info(`Confirmed: the second run ${afterSeconds} s later decided rollback too.`);
        return { ...second, confirmation };
    }
    const reason = `${flapped.length ? `${flapped.map((n) => `"${n}"`).join(', ')} failed, then passed ${afterSeconds} s later` : `the first run decided rollback, the second ${second.verdict.decision}`}: not confirmed, so no automatic rollback`;
    log.info(`Not confirmed: ${reason}.`);
    return {
        ...second,
        verdict: { ...second.verdict, passed: false, decision: 'inconclusive', reasons: [reason, ...first.verdict.reasons.map((r) => `first run: ${r}`)] },
        confirmation,
    };
}


/***/ }),

/***/ 8646:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   w: () => (/* binding */ joinUrl)
/* harmony export */ });
/**
 * A check's path joined to base-url (or baseline-url) as a person reads it: the path goes after
 * base-url's own path (https://x/app + /health \u2192 https://x/app/health), never after its query
 * (https://x/?x-vercel-set-bypass-cookie=true + /health must not become a query value).
 */
/**
 * `path` is what the check wrote (`/api/health?verbose=1`). Its query is merged into base-url's:
 * base-url's parameters first, as written, then the path's, and a parameter the path names
 * replaces base-url's parameter of that name. A fragment in the path wins over base-url's (neither
 * is sent). The path stays a path: `//host/x` is not read as another host.
 */
function joinUrl(base, path) {
    const url = new URL(base);
    const { pathname, query, fragment } = splitPath(path.startsWith('/') ? path : `/${path}`);
    url.pathname = url.pathname.replace(/\/+$/, '') + pathname;
    if (query !== undefined)
        url.search = mergeQuery(url.search.slice(1), query);
    if (fragment !== undefined)
        url.hash = fragment;
    return url.href;
}
function splitPath(path) {
    const hash = path.indexOf('#');
    const beforeHash = hash < 0 ? path : path.slice(0, hash);
    const fragment = hash < 0 ? undefined : path.slice(hash + 1);
    const question = beforeHash.indexOf('?');
    if (question < 0)
        return { pathname: beforeHash, fragment };
    return { pathname: beforeHash.slice(0, question), query: beforeHash.slice(question + 1), fragment };
}
/** Raw `name=value` parts are kept as written: re-encoding could change a signed value. */
function mergeQuery(base, own) {
    const parts = (text) => text.split('&').filter(Boolean);
    const ownParts = parts(own);
    const ownNames = new Set(ownParts.map(nameOf));
    return [...parts(base).filter((p) => !ownNames.has(nameOf(p))), ...ownParts].join('&');
}
function nameOf(part) {
    const eq = part.indexOf('=');
    const raw = (eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' ');
    try {
        return decodeURIComponent(raw);
    }
    catch {
        return raw;
    }
}


/***/ }),

/***/ 6658:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   H: () => (/* binding */ parseJsonPath),
/* harmony export */   c: () => (/* binding */ lookupJsonPath)
/* harmony export */ });
/**
 * The small JSON path language of `json` assertions: `status`, `checks.db.ok`, `items[0].id`,
 * `$.data["dotted.key"]`, and `items.length` for the size of an array. Enough for health payloads,
 * without pulling a JSONPath engine (and its filter expressions) into every bundle.
 */
/** Parses a path; throws an Error whose message says what is wrong (validation turns it into a problem). */
function parseJsonPath(path) {
    const text = path.trim();
    if (!text)
        throw new Error('the path is empty');
    const segments = [];
    let i = 0;
    if (text[0] === '$') {
        i = 1;
        if (text.length === 1)
            return segments;
        if (text[1] !== '.' && text[1] !== '[')
            throw new Error(`expected "." or "[" after "$" in "${path}"`);
        if (text[1] === '.')
            i = 2;
    }
    let expectName = true;
    while (i < text.length) {
        const ch = text[i];
        if (ch === '[') {
            const close = findClosingBracket(text, i);
            if (close < 0)
                throw new Error(`unclosed "[" in "${path}"`);
            const inner = text.slice(i + 1, close).trim();
            if (/^\d+$/.test(inner))
                segments.push(Number(inner));
            else if (/^(["']).*\1$/.test(inner) && inner.length >= 2)
                segments.push(inner.slice(1, -1));
            else
                throw new Error(`"[${inner}]" in "${path}" must be an index like [0] or a quoted key like ["a.b"]`);
            i = close + 1;
            expectName = false;
        }
        else if (ch === '.') {
            if (expectName)
                throw new Error(`empty segment in "${path}"`);
            i++;
            expectName = true;
            if (i >= text.length)
                throw new Error(`"${path}" ends with "."`);
        }
        else {
            if (!expectName)
                throw new Error(`expected "." or "[" before "${text.slice(i)}" in "${path}"`);
            let end = i;
            while (end < text.length && text[end] !== '.' && text[end] !== '[')
                end++;
            segments.push(text.slice(i, end));
            i = end;
            expectName = false;
        }
    }
    return segments;
}
function findClosingBracket(text, open) {
    const quote = text[open + 1] === '"' || text[open + 1] === "'" ? text[open + 1] : undefined;
    if (!quote)
        return text.indexOf(']', open);
    const endQuote = text.indexOf(quote, open + 2);
    return endQuote < 0 ? -1 : text.indexOf(']', endQuote);
}
function lookupJsonPath(doc, segments) {
    let current = doc;
    for (const seg of segments) {
        if (Array.isArray(current)) {
            if (seg === 'length') {
                current = current.length;
                continue;
            }
            const index = typeof seg === 'number' ? seg : /^\d+$/.test(seg) ? Number(seg) : -1;
            if (index < 0 || index >= current.length)
                return { found: false };
            current = current[index];
        }
        else if (current !== null && typeof current === 'object') {
            const key = String(seg);
            if (!Object.prototype.hasOwnProperty.call(current, key))
                return { found: false };
            current = current[key];
        }
        else {
            return { found: false };
        }
    }
    return { found: true, value: current };
}


/***/ }),

/***/ 3238:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  G8: () => (/* binding */ SpecError),
  Vw: () => (/* binding */ formatProblem),
  B2: () => (/* binding */ parseChecks)
});

// UNUSED EXPORTS: locate

// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var dist = __nccwpck_require__(8815);
// EXTERNAL MODULE: ./.build/core/parse.js
var parse = __nccwpck_require__(151);
;// CONCATENATED MODULE: ./.build/core/yaml.js
/**
 * YAML that people write for us (smoke-test's check spec, the rollback plan), read in one place so
 * every reader gets the same guarantees: syntax errors as a line and a fixed description that never
 * quotes the text (it may be a file that holds secrets), a tab in the indentation named as such, and
 * aliases (`*name`) allowed as freely as a spec needs but not as an alias bomb ("billion laughs"):
 * the size the document would have with every alias written out is measured before anything is
 * expanded, so the time and memory a document can take are bounded by its own length.
 */


/** Characters (and one per node) a document may grow by through its aliases. */
const MAX_ALIAS_EXPANSION = 1_000_000;
/** The document could not be read: each problem has its line, none quotes the text. */
class YamlError extends Error {
    problems;
    constructor(problems) {
        super(problems.map((p) => `line ${p.line}: ${p.message}`).join('; '));
        this.problems = problems;
        this.name = 'YamlError';
    }
}
/** The yaml library's messages quote the text for some codes; these say the same without it. */
const DESCRIPTIONS = {
    ALIAS_PROPS: 'an alias (*name) cannot have an anchor or a tag',
    BAD_ALIAS: 'an alias (*name) names no anchor (&name) defined before it',
    BAD_DIRECTIVE: 'a % directive is not valid',
    BAD_DQ_ESCAPE: 'a double-quoted string has an invalid escape sequence',
    BAD_INDENT: 'the indentation is wrong',
    BAD_PROP_ORDER: 'an anchor or tag is in the wrong place',
    BAD_SCALAR_START: 'a plain value starts with a character YAML reserves (quote the value)',
    BLOCK_AS_IMPLICIT_KEY: 'a block value cannot be a key',
    BLOCK_IN_FLOW: 'a block value cannot be inside [ ] or { }',
    DUPLICATE_KEY: 'a key appears twice in the same mapping (keys must be unique)',
    KEY_OVER_1024_CHARS: 'a key is longer than 1024 characters',
    MISSING_CHAR: 'a character is missing (a closing quote or bracket, a comma, or a space after ":")',
    MULTILINE_IMPLICIT_KEY: 'a key spans several lines (a missing ":" or a wrong indentation)',
    MULTIPLE_ANCHORS: 'a value has more than one anchor',
    MULTIPLE_DOCS: 'there is more than one YAML document (a "---" line); give one',
    MULTIPLE_TAGS: 'a value has more than one tag',
    NON_STRING_KEY: 'a key is not a plain value',
    TAB_AS_INDENT: 'tabs are not allowed for indentation in YAML; use spaces',
    TAG_RESOLVE_FAILED: 'a tag (!name) is unknown or does not fit its value',
    UNEXPECTED_TOKEN: 'something unexpected is here (a stray character, or a wrong indentation)',
    BAD_COLLECTION_TYPE: 'a tag (!name) does not fit its value',
};
function readYaml(text) {
    const lines = new dist/* LineCounter */.HN();
    let doc;
    try {
        doc = (0,dist/* parseDocument */.Tp)(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    }
    catch (err) {
        throw err instanceof RangeError ? new YamlError([{ line: 1, message: 'invalid YAML: it is nested too deeply' }]) : err;
    }
    if (doc.errors.length) {
        // The YAML library's words for a tab ("Unexpected scalar at node end", "map-value-ind token")
        // name no cause; a tab in the indentation is the usual one, so say that instead.
        const tabs = tabIndentedLines(text);
        if (tabs.length)
            throw new YamlError(tabs.map((line) => ({ line, message: DESCRIPTIONS.TAB_AS_INDENT })));
        // The library reports one fault at several positions of a line (`{{{`: two BAD_INDENT): said once each.
        const said = doc.errors.map((e) => {
            const unclosed = unclosedFlow(e, doc, lines, text);
            return unclosed ? `${unclosed.line}\n${unclosed.message}` : `${lines.linePos(e.pos[0]).line}\n${DESCRIPTIONS[e.code] ?? 'the text is not valid YAML here'}`;
        });
        throw new YamlError([...new Set(said)].map((p) => ({ line: Number(p.split('\n')[0]), message: `invalid YAML: ${p.split('\n')[1]}` })));
    }
    const expansion = new AliasExpansion(doc, lines, text.length + MAX_ALIAS_EXPANSION);
    expansion.measure();
    // Aliases are bounded above; the library's own alias count (100 uses) would refuse ordinary specs.
    return { value: doc.toJS({ maxAliasCount: -1 }), doc, lines };
}
/**
 * A `[` or `{` whose closing bracket YAML did not find: the library reports it as BAD_INDENT where
 * it gave up (the end of the text, or the next line not indented under it), which read "the
 * indentation is wrong" for `garbage: [`. Said at the bracket's line, with the bracket: at the end of
 * the text it is never closed; before a later line it may be that line's indentation instead.
 */
function unclosedFlow(e, doc, lines, text) {
    // The library's own words only tell this fault from another BAD_INDENT; they are never shown.
    const kind = e.code === 'BAD_INDENT' ? /^Flow (sequence|map) in block collection/.exec(e.message)?.[1] : undefined;
    if (!kind)
        return undefined;
    let opened;
    (0,dist/* visit */.YR)(doc, {
        Collection(_, node) {
            // The outermost unclosed one: it ends where the library gave up.
            if (node.flow && node.range?.[1] === e.pos[0] && (opened === undefined || node.range[0] < opened))
                opened = node.range[0];
        },
    });
    if (opened === undefined)
        return undefined;
    const [open, close] = kind === 'sequence' ? ['[', ']'] : ['{', '}'];
    const line = lines.linePos(opened).line;
    if (!text.slice(e.pos[0]).trim())
        return { line, message: `the ${open} is never closed: add the ${close} that ends it` };
    return {
        line,
        message: `the ${open} is not closed before line ${lines.linePos(e.pos[0]).line}: add the ${close} that ends it, or indent the lines inside it further than the line it starts on`,
    };
}
/** What a number written as 0x10 or 1e1 is told: the same words in every file we read. */
const PLAIN_DECIMALS = 'written in plain decimals (10, not 0xA or 1e1)';
/**
 * A number YAML read, as its author wrote it: plain decimals only (`10`, `2.5`), as every input is
 * read (core/parse.ts). YAML's core schema also reads `0x10`, `0o7`, `1e1` and `.inf` as numbers,
 * which the value alone cannot tell from 16, 7, 10 and Infinity, so the scalar's own text is read.
 * NaN when it is not a plain decimal. Aliases (`*name`) are followed to the scalar they name.
 */
function writtenNumber(doc, path, value) {
    const node = nodeAt(doc, path);
    return (0,parse/* decimalNumber */.zD)((0,dist/* isScalar */.jn)(node) && typeof node.source === 'string' ? node.source : String(value));
}
/** The node at `path`, through aliases (`doc.getIn` stops at one). */
function nodeAt(doc, path) {
    let node = doc.contents;
    for (const seg of path) {
        if ((0,dist/* isAlias */.Vj)(node))
            node = node.resolve(doc);
        if ((0,dist/* isMap */.jh)(node))
            node = node.items.find((p) => (0,dist/* isPair */.tO)(p) && (0,dist/* isScalar */.jn)(p.key) && p.key.value === seg)?.value;
        else if ((0,dist/* isSeq */.oP)(node) && typeof seg === 'number')
            node = node.items[seg];
        else
            return undefined;
    }
    return (0,dist/* isAlias */.Vj)(node) ? node.resolve(doc) : node;
}
/** 1-based numbers of the lines whose indentation (the whitespace before the first character) holds a tab. */
function tabIndentedLines(text) {
    const out = [];
    text.split(/\r?\n/).forEach((line, i) => {
        const indent = /^[ \t]*/.exec(line)[0];
        if (indent.includes('\t') && indent.length < line.length)
            out.push(i + 1);
    });
    return out;
}
/** The size of the document with its aliases written out, each anchored node measured once. */
class AliasExpansion {
    doc;
    lines;
    limit;
    sizes = new Map();
    open = new Set();
    constructor(doc, lines, limit) {
        this.doc = doc;
        this.lines = lines;
        this.limit = limit;
    }
    measure() {
        try {
            this.size(this.doc.contents);
        }
        catch (err) {
            throw err instanceof RangeError ? new YamlError([{ line: 1, message: 'invalid YAML: it is nested too deeply' }]) : err;
        }
    }
    size(node) {
        if ((0,dist/* isAlias */.Vj)(node)) {
            const target = node.resolve(this.doc);
            if (!target)
                return 1;
            if (this.open.has(target))
                this.fail(node, 'an alias (*name) refers to a value that contains it, so it has no end');
            let size = this.sizes.get(target);
            if (size === undefined) {
                this.open.add(target);
                size = this.size(target);
                this.open.delete(target);
                this.sizes.set(target, size);
            }
            return this.add(node, 1, size);
        }
        if ((0,dist/* isScalar */.jn)(node))
            return 1 + String(node.value ?? '').length;
        if ((0,dist/* isPair */.tO)(node))
            return this.add(node.key, this.size(node.key), this.size(node.value));
        if ((0,dist/* isMap */.jh)(node) || (0,dist/* isSeq */.oP)(node)) {
            let total = 1;
            for (const item of node.items)
                total = this.add(node, total, this.size(item));
            return total;
        }
        return 1;
    }
    add(node, a, b) {
        if (a + b > this.limit) {
            this.fail(node, `its aliases (*name) would expand it to more than ${this.limit.toLocaleString('en-US')} characters: an alias bomb, or aliases nested inside aliases; write the values out or use fewer levels of aliases`);
        }
        return a + b;
    }
    fail(node, message) {
        const range = node?.range;
        throw new YamlError([{ line: range ? this.lines.linePos(range[0]).line : 1, message: `invalid YAML: ${message}` }]);
    }
}

// EXTERNAL MODULE: ./.build/core/errors.js
var errors = __nccwpck_require__(8005);
;// CONCATENATED MODULE: ./.build/core/closest.js
/**
 * "Did you mean \u2026?" for a mistyped name: the smoke spec's fields and the plan file's keys guess
 * the same way, so one typo gets the same answer wherever it is made.
 */
/** The known word nearest to a typo, if it is near enough to be a likely meaning. */
function closest(word, known) {
    let best;
    let bestDistance = Infinity;
    for (const k of known) {
        const d = editDistance(word.toLowerCase(), k);
        if (d < bestDistance) {
            best = k;
            bestDistance = d;
        }
    }
    return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
function editDistance(a, b) {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = tmp;
        }
    }
    return row[b.length];
}

// EXTERNAL MODULE: ./.build/core/url-secrets.js
var url_secrets = __nccwpck_require__(9041);
// EXTERNAL MODULE: ./.build/smoke/join-url.js
var join_url = __nccwpck_require__(8646);
// EXTERNAL MODULE: ./.build/smoke/json-path.js
var json_path = __nccwpck_require__(6658);
// EXTERNAL MODULE: ./.build/smoke/sql-statement.js + 3 modules
var sql_statement = __nccwpck_require__(3605);
;// CONCATENATED MODULE: ./.build/smoke/parse-spec.js
/**
 * YAML check spec \u2192 validated checks. Every mistake is collected with its place (line, check name,
 * field) and reported together before anything runs: a spec that is half right measures nothing
 * useful, and fixing one mistake per run is slow when production may be broken.
 */








function formatProblem(p) {
    const place = [p.line !== undefined ? `line ${p.line}` : '', p.check !== undefined ? `check "${p.check}"` : '', p.field ? `field "${p.field}"` : '']
        .filter(Boolean)
        .join(', ');
    return place ? `${place}: ${p.message}` : p.message;
}
class SpecError extends errors/* RollbackKitError */.dp {
    problems;
    constructor(problems, source) {
        super(`The smoke check spec (${source}) has ${problems.length} problem${problems.length === 1 ? '' : 's'}, so nothing was run: ${problems.map(formatProblem).join('; ')}.`, 'Fix the spec; the smoke-test README (actions/smoke-test/README.md) lists every field.');
        this.problems = problems;
    }
}
const COMMON_FIELDS = ['name', 'critical', 'attempts', 'interval-seconds', 'backoff', 'timeout-seconds'];
const HTTP_FIELDS = ['url', 'method', 'headers', 'body', 'status', 'body-contains', 'body-not-contains', 'body-matches', 'json', 'header', 'max-ms', 'redirect-origins', 'samples', 'max-error-rate', 'max-p95-ms'];
const SQL_FIELDS = ['query', 'expect-rows', 'expect-value', 'expect-error'];
const JSON_OPS = ['equals', 'exists', 'less-than', 'greater-than'];
const HEADER_OPS = ['equals', 'contains', 'matches', 'exists'];
/** Fields that assert on the response body: a HEAD response has none. */
const BODY_ASSERTIONS = ['body-contains', 'body-not-contains', 'body-matches', 'json'];
/**
 * Words people write for a field the spec names otherwise. A guess by spelling misses them, or
 * worse: "sql" is nearer "url" than "query".
 */
const SYNONYMS = { sql: 'query', statement: 'query', path: 'url', endpoint: 'url', href: 'url' };
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Parses and validates; throws SpecError with every problem found. */
function parseChecks(text, ctx) {
    const source = ctx.source ?? 'checks';
    let yaml;
    try {
        yaml = readYaml(text);
    }
    catch (err) {
        if (err instanceof YamlError)
            throw new SpecError(err.problems, source);
        throw err;
    }
    const { doc, lines: lineCounter } = yaml;
    const problems = [];
    const lineOf = (path, keyOf) => locate(doc, lineCounter, path, keyOf);
    const root = yaml.value;
    let items;
    let base = [];
    if (Array.isArray(root))
        items = root;
    else if (isPlainObject(root)) {
        // Without a checks field this is not a spec at all (another YAML file): its keys are its
        // contents, so say what a spec is instead of naming them.
        if (!('checks' in root))
            problems.push({ line: 1, message: 'the spec must be a YAML list of checks, or a mapping with `checks:` holding that list; this mapping has no checks field' });
        else {
            for (const key of Object.keys(root)) {
                if (key !== 'checks')
                    problems.push({ line: lineOf([], key), field: key, message: 'unknown top-level field (the spec is a list of checks, or `checks:` with that list)' });
            }
        }
        if (Array.isArray(root.checks)) {
            items = root.checks;
            base = ['checks'];
        }
        else if ('checks' in root)
            problems.push({ line: lineOf(['checks']), field: 'checks', message: 'must be a list of checks' });
    }
    if (!items) {
        if (!problems.length)
            problems.push({ line: 1, message: 'the spec must be a YAML list of checks (each starting with "- name: ...")' });
        throw new SpecError(problems, source);
    }
    // With the top-level problems found beside it: each is named in the one pass.
    if (!items.length)
        throw new SpecError([...problems, { line: lineOf(base), message: 'the spec has no checks' }].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)), source);
    const checks = [];
    const names = new Map();
    items.forEach((item, index) => {
        const path = [...base, index];
        const reader = new CheckReader(item, index, ctx, problems, (field) => lineOf(field ? [...path, field] : path, undefined), (field) => lineOf(path, field), (at, value) => writtenNumber(doc, [...path, ...at], value));
        const check = reader.read();
        // Whether or not the check could be read: a name used twice is a problem of its own, said in this pass, not the next.
        const name = reader.givenName;
        if (name !== undefined) {
            const earlier = names.get(name);
            if (earlier !== undefined) {
                problems.push({ line: reader.keyLine('name'), check: name, field: 'name', message: `the name is already used by check #${earlier + 1}; names must be unique (they name the report rows)` });
            }
            else
                names.set(name, index);
        }
        if (check)
            checks.push(check);
    });
    // In file order, so the list reads top to bottom next to the YAML (sort is stable).
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    // A spec that measures nothing would pass, and a pass may record a verified commit.
    if (!checks.length && !problems.length)
        problems.push({ line: lineOf(base), message: 'the spec has no checks' });
    if (problems.length)
        throw new SpecError(problems, source);
    return checks;
}
/** Line of the node at `path`, or of the key `keyOf` in the map at `path` (for unknown fields). */
function locate(doc, lines, path, keyOf) {
    let node = doc.contents;
    for (const seg of path) {
        if ((0,dist/* isMap */.jh)(node))
            node = node.items.find((p) => (0,dist/* isPair */.tO)(p) && (0,dist/* isScalar */.jn)(p.key) && p.key.value === seg)?.value;
        else if ((0,dist/* isSeq */.oP)(node) && typeof seg === 'number')
            node = node.items[seg];
        else
            return undefined;
    }
    if (keyOf !== undefined && (0,dist/* isMap */.jh)(node)) {
        const pair = node.items.find((p) => (0,dist/* isPair */.tO)(p) && (0,dist/* isScalar */.jn)(p.key) && p.key.value === keyOf);
        const key = pair?.key;
        if (key?.range)
            return lines.linePos(key.range[0]).line;
    }
    const range = node?.range;
    return range ? lines.linePos(range[0]).line : undefined;
}
function isPlainObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}
/**
 * Reads one check, pushing a problem for each mistake; returns undefined when it cannot be typed.
 * A check that cannot be typed (no url or query, or both) still has each of its fields checked:
 * every mistake of the spec is said in one pass.
 */
class CheckReader {
    ctx;
    problems;
    valueLine;
    keyLine;
    numberOf;
    name;
    /** The name as written, when it is one (a non-empty string): what must be unique. */
    givenName;
    obj;
    isMapping;
    constructor(item, index, ctx, problems, valueLine, keyLine, 
    /** A number of this check as written (core/yaml.ts), `at` from the check: NaN unless plain decimals. */
    numberOf) {
        this.ctx = ctx;
        this.problems = problems;
        this.valueLine = valueLine;
        this.keyLine = keyLine;
        this.numberOf = numberOf;
        this.isMapping = isPlainObject(item);
        this.obj = this.isMapping ? item : {};
        this.givenName = typeof this.obj.name === 'string' && this.obj.name.trim() ? this.obj.name.trim() : undefined;
        this.name = this.givenName ?? `#${index + 1}`;
        if (!this.isMapping)
            this.problem(undefined, 'each check must be a mapping of fields (name, url or query, assertions)');
    }
    problem(field, message, atKey = false) {
        this.problems.push({ line: field && atKey ? this.keyLine(field) : this.valueLine(field), check: this.name, field, message });
    }
    read() {
        if (!Object.keys(this.obj).length) {
            // A non-mapping item already has its problem; an empty one ({}) would measure nothing.
            if (this.isMapping)
                this.problem(undefined, 'the check is empty: each check needs a name and a url (an HTTP check) or a query (an SQL check)');
            return undefined;
        }
        if (typeof this.obj.name !== 'string' || !this.obj.name.trim())
            this.problem('name' in this.obj ? 'name' : undefined, 'every check needs a name (a non-empty string)');
        const isHttp = 'url' in this.obj;
        const isSql = 'query' in this.obj;
        if (isHttp && isSql) {
            this.problem('query', 'a check has either url (HTTP) or query (SQL), not both', true);
            this.unknownFields([...HTTP_FIELDS, ...SQL_FIELDS], [], '');
        }
        else if (!isHttp && !isSql) {
            // Its other fields are named too: `sql: select 1` is the likeliest reason it has no query.
            this.unknownFields([...HTTP_FIELDS, ...SQL_FIELDS], [], '');
            this.problem(undefined, 'a check needs url (an HTTP check) or query (an SQL check)');
        }
        else
            this.unknownFields(isHttp ? HTTP_FIELDS : SQL_FIELDS, isHttp ? SQL_FIELDS : HTTP_FIELDS, isHttp ? 'SQL' : 'HTTP');
        const common = { name: this.name, critical: this.bool('critical') ?? false, ...this.measuring() };
        if (isHttp !== isSql)
            return isHttp ? this.http(common) : this.sql(common);
        // Not one kind: the fields of each kind it has are checked all the same, the missing url or query not again.
        if (isHttp || HTTP_FIELDS.some((f) => f in this.obj))
            this.http(common, isHttp);
        if (isSql || SQL_FIELDS.some((f) => f in this.obj))
            this.sql(common, isSql);
        return undefined;
    }
    unknownFields(own, other, otherKind) {
        for (const key of Object.keys(this.obj)) {
            if (COMMON_FIELDS.includes(key) || own.includes(key))
                continue;
            if (other.includes(key))
                this.problem(key, `is for ${otherKind} checks only`, true);
            else {
                const meant = SYNONYMS[key.toLowerCase()];
                if (meant && other.includes(meant)) {
                    this.problem(key, `unknown field (did you mean "${meant}"? That makes an ${otherKind} check, and this one has ${own.includes('url') ? 'url' : 'query'}: a check has either url (HTTP) or query (SQL))`, true);
                    continue;
                }
                const guess = meant ?? closest(key, [...COMMON_FIELDS, ...own]);
                this.problem(key, `unknown field${guess ? ` (did you mean "${guess}"?)` : ''}`, true);
            }
        }
    }
    measuring() {
        const m = {};
        m.attempts = this.number('attempts', { integer: true, min: 1, max: 100 });
        m.intervalSeconds = this.number('interval-seconds', { min: 0, max: 3600 });
        m.timeoutSeconds = this.number('timeout-seconds', { min: 0.001, max: 3600 });
        const backoff = this.obj.backoff;
        if (backoff !== undefined) {
            if (backoff === 'fixed' || backoff === 'exponential')
                m.backoff = backoff;
            else
                this.problem('backoff', 'must be fixed or exponential');
        }
        return m;
    }
    /** `hasUrl`: false for a check with no url, already said, whose other HTTP fields are still checked. */
    http(common, hasUrl = true) {
        const check = {
            kind: 'http',
            ...common,
            url: '',
            secrets: { declared: [], guessed: [] },
            method: 'GET',
            headers: {},
            status: [{ min: 200, max: 299 }],
            bodyContains: this.strings('body-contains'),
            bodyNotContains: this.strings('body-not-contains'),
            json: this.json(),
            header: this.headerAssertions(),
            maxMs: this.number('max-ms', { min: 0.001 }),
            redirectOrigins: this.origins('redirect-origins'),
            samples: this.number('samples', { integer: true, min: 1, max: 10000 }),
            maxErrorRate: this.number('max-error-rate', { min: 0, max: 100 }),
            maxP95Ms: this.number('max-p95-ms', { min: 0.001 }),
        };
        if (hasUrl)
            this.url(check);
        this.headers(check);
        this.methodAndBody(check);
        if (check.method === 'HEAD') {
            for (const field of BODY_ASSERTIONS) {
                if (field in this.obj)
                    this.problem(field, 'a HEAD response has no body, so this assertion could never pass: use method GET, or assert on status and header', true);
            }
        }
        const status = this.status();
        if (status)
            check.status = status;
        const pattern = this.obj['body-matches'];
        if (pattern !== undefined) {
            if (typeof pattern !== 'string' || !pattern)
                this.problem('body-matches', 'must be a regular expression written as a string');
            else {
                const compiled = compilePattern(pattern);
                if (typeof compiled === 'string')
                    this.problem('body-matches', compiled);
                else
                    check.bodyMatches = compiled;
            }
        }
        return check;
    }
    url(check) {
        const raw = this.obj.url;
        if (typeof raw !== 'string' || !raw.trim()) {
            this.problem('url', 'must be an absolute URL (https://...) or a path joined to base-url (/api/health)');
            return;
        }
        const text = raw.trim();
        if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
            if (!/^https?:\/\//i.test(text))
                return this.problem('url', `must use http or https, not ${/^[a-z][a-z0-9+.-]*:/i.exec(text)[0]}`);
            try {
                this.setUrl(check, text, new URL(text).toString());
            }
            catch {
                this.problem('url', 'is not a valid URL');
            }
            return;
        }
        if (!this.ctx.baseUrl) {
            this.problem('url', 'is relative, and the base-url input is not set: set it, or write an absolute URL');
            return;
        }
        check.path = text.startsWith('/') ? text : `/${text}`;
        const joined = (0,join_url/* joinUrl */.w)(this.ctx.baseUrl, check.path);
        this.setUrl(check, joined, joined);
    }
    /**
     * The URL as requested and printed carries no userinfo: it travels as an Authorization header.
     * Its secrets are read from the text as written too, which the URL parser may re-encode.
     */
    setUrl(check, written, url) {
        check.secrets = (0,url_secrets/* urlSecrets */.Fn)(written);
        const { url: requested, authorization } = (0,url_secrets/* splitCredentials */.JD)(url);
        check.url = requested;
        check.credentials = authorization;
    }
    headers(check) {
        const raw = this.obj.headers;
        if (raw === undefined)
            return;
        if (!isPlainObject(raw))
            return this.problem('headers', 'must be a mapping of header name to value');
        for (const [index, [name, value]] of Object.entries(raw).entries()) {
            if (!HEADER_NAME.test(name))
                this.problem('headers', invalidHeaderName(index, name));
            else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
                this.problem('headers', `the value of "${name}" must be a string`);
            else
                check.headers[name] = String(value);
        }
    }
    methodAndBody(check) {
        const method = this.obj.method;
        if (method !== undefined) {
            if (typeof method !== 'string' || !METHODS.includes(method.toUpperCase()))
                this.problem('method', `must be one of ${METHODS.join(', ')}`);
            else
                check.method = method.toUpperCase();
        }
        const body = this.obj.body;
        if (body === undefined || body === null)
            return;
        if (check.method === 'GET' || check.method === 'HEAD') {
            this.problem('body', `a ${check.method} request cannot have a body: set method (POST, PUT, PATCH)`);
            return;
        }
        if (typeof body === 'string')
            check.body = body;
        else {
            check.body = JSON.stringify(body);
            if (!Object.keys(check.headers).some((h) => h.toLowerCase() === 'content-type'))
                check.headers['content-type'] = 'application/json';
        }
    }
    status() {
        const raw = this.obj.status;
        if (raw === undefined)
            return undefined;
        const list = Array.isArray(raw) ? raw : [raw];
        const ranges = [];
        for (const [i, written] of list.entries()) {
            const entry = typeof written === 'number' ? this.numberOf(Array.isArray(raw) ? ['status', i] : ['status'], written) : written;
            const range = parseStatus(entry);
            const reversed = typeof entry === 'string' ? /^\s*(\d{3})\s*(?:\.\.|-)\s*(\d{3})\s*$/.exec(entry) : null;
            if (range)
                ranges.push(range);
            else if (reversed && Number(reversed[1]) > Number(reversed[2])) {
                this.problem('status', `the range ${reversed[1]}..${reversed[2]} is reversed: its minimum is greater than its maximum (write ${reversed[2]}..${reversed[1]})`);
            }
            else
                this.problem('status', `is not a status: use a code (200), a class (2xx), a range (200..299) or a list of them${Number.isNaN(entry) ? `, ${PLAIN_DECIMALS}` : ''}`);
        }
        if (!list.length)
            this.problem('status', 'the list is empty');
        return ranges;
    }
    json() {
        const raw = this.obj.json;
        if (raw === undefined)
            return [];
        if (!isPlainObject(raw)) {
            this.problem('json', 'must be a mapping of JSON path to expected value (status: ok) or to assertions (latency: {less-than: 200})');
            return [];
        }
        const out = [];
        for (const [path, expected] of Object.entries(raw)) {
            try {
                (0,json_path/* parseJsonPath */.H)(path);
            }
            catch (err) {
                this.problem('json', `bad path: ${err.message}`);
                continue;
            }
            if (!isPlainObject(expected)) {
                out.push({ path, op: 'equals', value: expected });
                continue;
            }
            const ops = Object.entries(expected);
            if (!ops.length)
                this.problem('json', `"${path}" has an empty mapping: write a value, or {equals: {...}} to compare an object`);
            for (const [op, value] of ops) {
                if (!JSON_OPS.includes(op)) {
                    this.problem('json', `unknown assertion "${op}" for "${path}" (use ${JSON_OPS.join(', ')}; to compare an object write {equals: {...}})`);
                }
                else if (op === 'exists' && typeof value !== 'boolean')
                    this.problem('json', `"${path}": exists must be true or false`);
                else if ((op === 'less-than' || op === 'greater-than') && typeof value !== 'number')
                    this.problem('json', `"${path}": ${op} must be a number`);
                else
                    out.push({ path, op: op, value });
            }
        }
        return out;
    }
    headerAssertions() {
        const raw = this.obj.header;
        if (raw === undefined)
            return [];
        if (!isPlainObject(raw)) {
            this.problem('header', 'must be a mapping of response header name to expected value or to assertions ({contains: json})');
            return [];
        }
        const out = [];
        for (const [index, [rawName, expected]] of Object.entries(raw).entries()) {
            const name = rawName.toLowerCase();
            if (!HEADER_NAME.test(rawName)) {
                this.problem('header', invalidHeaderName(index, rawName));
                continue;
            }
            if (!isPlainObject(expected)) {
                if (typeof expected === 'string' || typeof expected === 'number')
                    out.push({ name, op: 'equals', value: String(expected) });
                else
                    this.problem('header', `"${rawName}" must be a string or a mapping of assertions`);
                continue;
            }
            for (const [op, value] of Object.entries(expected)) {
                if (!HEADER_OPS.includes(op))
                    this.problem('header', `unknown assertion "${op}" for "${rawName}" (use ${HEADER_OPS.join(', ')})`);
                else if (op === 'exists') {
                    if (typeof value === 'boolean')
                        out.push({ name, op, value });
                    else
                        this.problem('header', `"${rawName}": exists must be true or false`);
                }
                else if (op === 'matches') {
                    if (typeof value !== 'string' || !value) {
                        this.problem('header', `"${rawName}": matches must be a regular expression written as a string`);
                        continue;
                    }
                    const compiled = compilePattern(value);
                    if (typeof compiled === 'string')
                        this.problem('header', `"${rawName}": matches ${compiled}`);
                    else
                        out.push({ name, op, value: compiled });
                }
                else if (typeof value === 'string' || typeof value === 'number')
                    out.push({ name, op: op, value: String(value) });
                else
                    this.problem('header', `"${rawName}": ${op} must be a string`);
            }
        }
        return out;
    }
    /** `hasQuery`: false for a check with no query, already said, whose other SQL fields are still checked. */
    sql(common, hasQuery = true) {
        const check = { kind: 'sql', ...common, query: '' };
        const query = this.obj.query;
        if (hasQuery) {
            if (typeof query !== 'string' || !query.trim())
                this.problem('query', 'must be an SQL statement (a string)');
            else {
                check.query = query.trim();
                const problem = (0,sql_statement/* sqlStatementProblem */.z)(check.query);
                if (problem)
                    this.problem('query', problem);
            }
            if (!this.ctx.hasDatabase)
                this.problem('query', 'SQL checks need the database-url input, which is not set', true);
        }
        const written = this.obj['expect-rows'];
        const rows = typeof written === 'number' ? this.numberOf(['expect-rows'], written) : written;
        if (rows !== undefined) {
            const range = parseCountRange(rows);
            if (range && range.min !== undefined && range.max !== undefined && range.min > range.max) {
                this.problem('expect-rows', `the range ${range.min}..${range.max} is reversed: its minimum is greater than its maximum (write ${range.max}..${range.min})`);
            }
            else if (range)
                check.expectRows = range;
            else
                this.problem('expect-rows', `must be a row count (3) or a range (1.., ..10, 1..10)${Number.isNaN(rows) ? `, ${PLAIN_DECIMALS}` : ''}`);
        }
        if ('expect-value' in this.obj)
            check.expectValue = { value: this.obj['expect-value'] };
        const error = this.obj['expect-error'];
        if (error !== undefined) {
            if (error === true || (typeof error === 'string' && error.trim()))
                check.expectError = error === true ? true : error.trim();
            else
                this.problem('expect-error', 'must be true (any error) or the text the error must contain (does not exist, or a SQLSTATE such as 42P01)');
            if (rows !== undefined || 'expect-value' in this.obj)
                this.problem('expect-error', 'cannot be combined with expect-rows or expect-value: a query that must fail returns no rows', true);
        }
        return check;
    }
    bool(field) {
        const v = this.obj[field];
        if (v === undefined)
            return undefined;
        if (typeof v === 'boolean')
            return v;
        this.problem(field, 'must be true or false');
        return undefined;
    }
    number(field, opts) {
        const written = this.obj[field];
        if (written === undefined)
            return undefined;
        // Plain decimals, as every number (README): YAML alone would read 0xA and 1e1 as 10.
        const v = typeof written === 'number' ? this.numberOf([field], written) : NaN;
        const ok = Number.isFinite(v) && (!opts.integer || Number.isInteger(v)) && (opts.min === undefined || v >= opts.min) && (opts.max === undefined || v <= opts.max);
        if (ok)
            return v;
        const bounds = [opts.min !== undefined ? `at least ${opts.min}` : '', opts.max !== undefined ? `at most ${opts.max}` : ''].filter(Boolean).join(' and ');
        const form = typeof written === 'number' && Number.isNaN(v) ? `, ${PLAIN_DECIMALS}` : '';
        this.problem(field, `must be ${opts.integer ? 'a whole number' : 'a number'}${bounds ? ` ${bounds}` : ''}${form}`);
        return undefined;
    }
    /** http(s) URLs, each reduced to its origin (scheme, host, port): what a redirect is compared with. */
    origins(field) {
        const v = this.obj[field];
        if (v === undefined)
            return [];
        const list = Array.isArray(v) ? v : [v];
        const origins = [];
        for (const entry of list) {
            let url;
            try {
                url = typeof entry === 'string' ? new URL(entry.trim()) : undefined;
            }
            catch {
                url = undefined;
            }
            if (url && (url.protocol === 'http:' || url.protocol === 'https:'))
                origins.push(url.origin);
            else {
                this.problem(field, 'must be an origin (https://login.example.com) or a list of them');
                return [];
            }
        }
        if (!origins.length)
            this.problem(field, 'the list is empty');
        return origins;
    }
    strings(field) {
        const v = this.obj[field];
        if (v === undefined)
            return [];
        const list = Array.isArray(v) ? v : [v];
        if (!list.length || list.some((s) => typeof s !== 'string' || !s)) {
            this.problem(field, 'must be a non-empty string or a list of them');
            return [];
        }
        return list;
    }
}
/** What a header name may start with to be named in a message: a header-name-like word, not a value. */
const SHOWABLE_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
/**
 * A key that is not a header name is often a whole header line (`authorization: Bearer \u2026`), so the
 * key itself is never repeated: only its place, and the word before a colon or space when that
 * word is shaped like a header name.
 */
function invalidHeaderName(index, key) {
    const first = /^([^:\s]*)[:\s]/.exec(key)?.[1];
    const lead = first && SHOWABLE_NAME.test(first) ? `; it starts with "${first}", then a colon or a space: write the name as the key and the value as its value` : ' (the key is not repeated here, as it may hold a value)';
    return `the key of entry #${index + 1} is not a valid header name${lead}`;
}
/**
 * Why a pattern is not a regular expression, without the pattern: V8 writes
 * "Invalid regular expression: /<pattern>/: <reason>", and a spec error never repeats a value.
 */
function regexReason(err) {
    const message = err.message;
    return message.slice(message.lastIndexOf(': ') + 2);
}
/** JavaScript's literal form, `/ok/` or `/ok/i`: the spec takes the pattern alone. */
const LITERAL_FORM = /^\/(.+)\/([a-z]*)$/s;
/**
 * A pattern of the spec compiled, or why it cannot be. `/ok/i` would compile, and match the
 * slashes and the i as text: such a check never passes, and a check that never passes is a
 * rollback decision, so the literal form is a spec mistake rather than a pattern.
 */
function compilePattern(text) {
    const literal = LITERAL_FORM.exec(text);
    if (literal) {
        return `is written as a JavaScript literal (/\u2026/${literal[2]}), whose slashes${literal[2] ? ' and flags' : ''} would be matched as text: write the pattern alone (${JSON.stringify(literal[1])})${literal[2] ? ', without flags' : ''}, or \\/ for a slash to match`;
    }
    try {
        return new RegExp(text);
    }
    catch (err) {
        return `is not a valid regular expression: ${regexReason(err)}`;
    }
}
function parseStatus(entry) {
    if (typeof entry === 'number')
        return Number.isInteger(entry) && entry >= 100 && entry <= 599 ? { min: entry, max: entry } : undefined;
    if (typeof entry !== 'string')
        return undefined;
    const text = entry.trim().toLowerCase();
    const cls = /^([1-5])xx$/.exec(text);
    if (cls)
        return { min: Number(cls[1]) * 100, max: Number(cls[1]) * 100 + 99 };
    if (/^\d{3}$/.test(text))
        return parseStatus(Number(text));
    const range = /^(\d{3})\s*(?:\.\.|-)\s*(\d{3})$/.exec(text);
    if (range) {
        const min = Number(range[1]);
        const max = Number(range[2]);
        if (min >= 100 && max <= 599 && min <= max)
            return { min, max };
    }
    return undefined;
}
function parseCountRange(v) {
    if (typeof v === 'number')
        return Number.isInteger(v) && v >= 0 ? { min: v, max: v } : undefined;
    if (typeof v !== 'string')
        return undefined;
    // Trimmed first: `\s*(\d*)\s*` can match the same spaces two ways and backtracks quadratically.
    const text = v.trim();
    const m = /^(\d*)\s*\.\.\s*(\d*)$/.exec(text);
    if (!m || (!m[1] && !m[2]))
        return /^\d+$/.test(text) ? parseCountRange(Number(text)) : undefined;
    // A reversed range (5..1) is returned as written: the caller names that mistake.
    return { min: m[1] ? Number(m[1]) : undefined, max: m[2] ? Number(m[2]) : undefined };
}


/***/ }),

/***/ 7944:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   s: () => (/* binding */ mapLimit),
/* harmony export */   y: () => (/* binding */ sleep)
/* harmony export */ });
/** Bounded concurrency and interruptible waits for the sampling loops. */
/** Maps `items` with at most `limit` calls in flight; results keep the input order. */
async function mapLimit(items, limit, fn) {
    const results = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const index = next++;
            results[index] = await fn(items[index], index);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
    return results;
}
/** Waits `ms`, or less when `signal` aborts first (the overall deadline); never rejects. */
function sleep(ms, signal) {
    if (ms <= 0 || signal?.aborted)
        return Promise.resolve();
    return new Promise((resolve) => {
        const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener('abort', done, { once: true });
    });
}


/***/ }),

/***/ 3715:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  y4: () => (/* binding */ recordVerified),
  GP: () => (/* binding */ verifiedRequest)
});

// UNUSED EXPORTS: checkRecordVerified

// EXTERNAL MODULE: ./.build/core/errors.js
var errors = __nccwpck_require__(8005);
// EXTERNAL MODULE: ./.build/core/blocked-port.js
var blocked_port = __nccwpck_require__(1914);
// EXTERNAL MODULE: ./.build/core/read-body.js
var read_body = __nccwpck_require__(7487);
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
function retry_isRateLimit(status, headers, message = '') {
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




const client_DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/**
 * The most of one answer read: a page of deployments is tens of KB, but a page of 100 GitHub issues
 * may carry bodies of up to 65,536 characters each (up to ~26 MB) and a Fly app's machine list grows
 * with its machines; past 32 MB it is a proxy or a misconfigured api-url, not the platform, and
 * reading on would only fill memory.
 */
const client_MAX_API_BODY_BYTES = 32 * 1024 * 1024;
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
class client_OutOfTime extends errors/* RollbackKitError */.dp {
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
class client_BodyTooLarge extends errors/* RollbackKitError */.dp {
}
/** The API URL's port is one Node's fetch refuses to use: nothing was sent, and it is not retried. */
class BlockedPort extends errors/* RollbackKitError */.dp {
}
/** `label` (GET /v9/projects/shop) to `service` could not be sent: `url`'s port is one fetch refuses (core/blocked-port.ts); `setting` holds the URL. */
function client_blockedPortError(service, label, url, setting) {
    return new BlockedPort(`${service}: ${label} could not be sent: ${(0,blocked_port/* blockedPortText */.lr)(url)}. Nothing went out, and trying again cannot help, so it was not retried.`, (0,blocked_port/* blockedPortWay */.Np)(setting));
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
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
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
        this.timeoutMs = opts.requestTimeoutMs ?? client_DEFAULT_REQUEST_TIMEOUT_MS;
        this.wait = opts.stop ? opts.stop.sleep(opts.sleep ?? sleep) : (opts.sleep ?? sleep);
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
                const { text: raw, cut: overCap } = await (0,read_body/* readCapped */.E)(res, client_MAX_API_BODY_BYTES);
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
                apiError.rateLimited = retry_isRateLimit(res.status, res.headers, apiError.serverMessage);
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
                if ((0,blocked_port/* isBlockedPortError */.MC)(err))
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
        return new client_OutOfTime(`${this.service} did not answer ${label} (${this.host}) before the step's deadline: ${input} (${seconds} s) ran out.`, `Check that ${this.host} is reachable and answering, then re-run the step (it is safe to repeat), or raise ${input}.`);
    }
    /** The API URL's port is one fetch never connects to (core/blocked-port.ts): said at once, not retried. */
    blockedPort(label, url) {
        return client_blockedPortError(this.service, label, url, 'the API URL (api-url, machines-api-url, registry-url or GITHUB_API_URL)');
    }
    /** Names the host and the path, never the query string (Vercel's teamId, a registry's scope) nor a header. */
    tooLarge(label) {
        return new client_BodyTooLarge(`${this.service} (${this.host}) answered ${label} with a body larger than ${client_MAX_API_BODY_BYTES / 1024 / 1024} MB, which was read no further: no platform API answers this much, so something between the runner and the API (a proxy, a wrong API URL) is answering instead.`, `Check that the API URL (api-url, machines-api-url, registry-url or GITHUB_API_URL) points at the platform's API and that no proxy rewrites its answers, then re-run the step.`);
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

// EXTERNAL MODULE: ./.build/core/sentence.js
var sentence = __nccwpck_require__(7823);
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
    return new RollbackKitError(`Listing ${bound.what} took longer than ${bound.deadline.input} (${bound.deadline.seconds} s): ${pagesRead} page(s) read, and the list goes on.`, `Raise ${bound.deadline.input} to look further back, or name the target to return to.`);
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

;// CONCATENATED MODULE: ./.build/platforms/http/bounded-fetch.js
/**
 * A fetch with the bounds HttpClient puts on every platform call, for a library that makes its own
 * requests (Octokit, for git-revert's pull requests): each call, its answer's body included, ends
 * within `timeoutMs`, and a body is read only up to `maxBytes`. Without it, a GitHub (or a proxy in
 * front of it) that takes the request and never answers holds the step for undici's 300 s header
 * timeout and then some, and an endless answer fills the runner's memory.
 */



/** The call got no (whole) answer within its time: `seconds` for the message. */
class bounded_fetch_NoAnswerInTime extends Error {
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
function bounded_fetch_boundedFetch(inner = fetch, bounds = {}) {
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
                throw new bounded_fetch_NoAnswerInTime(Math.ceil(timeoutMs / 1000));
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
    if (cause instanceof RollbackKitError)
        return cause;
    if (cause instanceof NoAnswerInTime) {
        return new RollbackKitError(`GitHub did not answer while ${doing} in ${name}: ${cause.message}.`, 'Check GITHUB_API_URL and the runner network, then re-run the step; it is safe to repeat.');
    }
    const code = pulls_status(err);
    if (rateLimited(err, code))
        return new RollbackKitError(`GitHub rate-limited the requests (${code}) while ${doing} in ${name}.`, 'Wait for the limit to reset (a minute for a secondary limit, up to an hour for the hourly one), then re-run the step; it is safe to repeat.');
    if (code === 401)
        return new RollbackKitError(`GitHub rejected the github-token (401) while ${doing} in ${name}.`, 'Pass secrets.GITHUB_TOKEN or a token that is still valid.');
    if (code === 403)
        return new RollbackKitError(`GitHub refused (403) ${doing} in ${name}: the token lacks permission.`, 'Grant the job permissions contents: write and pull-requests: write.');
    if (code === 404)
        return new RollbackKitError(`GitHub repository ${name} was not found (404) while ${doing}.`, 'Check that the token can see the repository.');
    const message = err?.message ?? String(err);
    return new RollbackKitError(`GitHub failed while ${doing} in ${name}${code ? ` (${code})` : ''}: ${message}`, 'Re-run the step; it is safe to repeat.');
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
const PER_PAGE = 100;
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
                const body = obj(await this.client.get(path, { per_page: PER_PAGE, page }));
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
                if (statuses.length < PER_PAGE || page * PER_PAGE >= total)
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

;// CONCATENATED MODULE: ./.build/smoke/record-verified.js
/**
 * After a smoke test passes, records the deployed commit as verified (the rollback-kit/verified
 * commit status), so a later promote-previous with target last-verified can return to it. Only a
 * pass is recorded: a failure leaves the commit without the status, and last-verified passes it by.
 */



/**
 * The request from verified-sha, github-token and the runner's GITHUB_* variables, checked at once
 * (the action and `rollback-kit smoke` alike); undefined when no verified-sha was given.
 */
function verifiedRequest(sha, token, env) {
    if (!sha)
        return undefined;
    const request = {
        sha,
        github: { token, repository: env.GITHUB_REPOSITORY || undefined, apiUrl: env.GITHUB_API_URL || 'https://api.github.com' },
        runUrl: env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
    };
    checkRecordVerified(request);
    return request;
}
/** Checks the request before any check runs, so a typo never costs a whole smoke run. */
function checkRecordVerified(request) {
    if (!isFullSha(request.sha)) {
        throw new errors/* RollbackKitError */.dp(`Input verified-sha must be a full 40-character commit SHA; got "${request.sha.slice(0, 80)}".`, 'Pass the deployed commit, e.g. verified-sha: ${{ github.event.deployment.sha }}.');
    }
    if (!request.github.token) {
        throw new errors/* RollbackKitError */.dp('Input github-token is required with verified-sha: the rollback-kit/verified status is set through the GitHub API.', 'Pass github-token: ${{ secrets.GITHUB_TOKEN }} and grant the job permissions: statuses: write.');
    }
    if (!request.github.repository) {
        throw new errors/* RollbackKitError */.dp('verified-sha needs the repository of the commit, and GITHUB_REPOSITORY is not set.', 'Run the step in GitHub Actions, which sets GITHUB_REPOSITORY.');
    }
}
/**
 * Sets the status when the verdict passed; returns whether it did. A failure to record is a
 * warning, not a failed step: the checks passed and production stays as it is, but the warning
 * says that later last-verified rollbacks will not see this deployment. The call, its retries and
 * its waits get deadline-seconds of their own, as each run of the checks does.
 */
async function recordVerified(request, verdict, checks, deadlineSeconds, log) {
    if (!verdict.passed) {
        log.info(`Not recording commit ${request.sha.slice(0, 12)} as verified: the smoke test did not pass (decision ${verdict.decision}).`);
        return false;
    }
    checkRecordVerified(request);
    try {
        const statuses = new CommitStatuses(request.github, log, { deadline: new StepDeadline(Date.now, deadlineSeconds, 'deadline-seconds') });
        await statuses.record(request.sha, { state: 'success', description: `${checks} smoke check${checks === 1 ? '' : 's'} passed after the deploy (rollback-kit)`, targetUrl: request.runUrl });
        log.info(`Recorded commit ${request.sha.slice(0, 12)} as verified (commit status rollback-kit/verified: success).`);
        return true;
    }
    catch (err) {
        const message = err instanceof errors/* RollbackKitError */.dp ? err.line : String(err?.message ?? err);
        log.warning(`The checks passed, but commit ${request.sha.slice(0, 12)} could not be recorded as verified, so target last-verified will pass this deployment by: ${message}`);
        return false;
    }
}


/***/ }),

/***/ 6000:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   FK: () => (/* binding */ buildReport),
/* harmony export */   Rs: () => (/* binding */ reportPaths),
/* harmony export */   a5: () => (/* binding */ redactReport),
/* harmony export */   hk: () => (/* binding */ annotations),
/* harmony export */   t4: () => (/* binding */ writeReportFiles)
/* harmony export */ });
/* unused harmony export junitXml */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(7598);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(1455);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(6760);
/* harmony import */ var _core_secrets_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(9205);
/**
 * What people and tools read after a smoke test: a JSON report (everything measured), a JUnit XML
 * file (for test-report viewers) and one annotation line per failure (the job summary is
 * src/report/smoke-test-summary.ts). Every text goes through the log's redaction before it is
 * written anywhere.
 */




function buildReport(args) {
    const { worst, ...verdict } = args.verdict;
    const o = args.options;
    return {
        tool: 'rollback-kit smoke-test',
        startedAt: args.startedAt.toISOString(),
        durationMs: args.durationMs,
        verdict: { ...verdict, worstCheck: worst?.name },
        settings: {
            attempts: o.attempts,
            intervalSeconds: o.intervalSeconds,
            backoff: o.backoff,
            timeoutSeconds: o.timeoutSeconds,
            samples: o.samples,
            maxErrorRate: o.maxErrorRate,
            maxP95Ms: o.maxP95Ms,
            deadlineSeconds: o.deadlineSeconds,
            baselineUrl: o.baselineUrl,
            database: args.database,
        },
        checks: args.results,
        ...(args.confirmation ? { confirmation: args.confirmation } : {}),
    };
}
/**
 * Where a run's reports go: a folder of their own under `baseDir` (RUNNER_TEMP), so a job that
 * smoke-tests twice (after the deploy, after the rollback) keeps both.
 */
function reportPaths(baseDir, now = new Date()) {
    const dir = (0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(baseDir, 'rollback-kit', 'smoke-test', `${now.toISOString().replace(/[:.]/g, '-')}-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(3).toString('hex')}`);
    return { json: (0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(dir, 'report.json'), junit: (0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(dir, 'junit.xml') };
}
/** Redacts every text of the report before it is serialised (see redactDeep); numbers and booleans stay as they are. */
function redactReport(report, log) {
    return (0,_core_secrets_js__WEBPACK_IMPORTED_MODULE_3__/* .redactDeep */ .KL)(report, log.redact);
}
async function writeReportFiles(report, paths, log) {
    const safe = redactReport(report, log);
    for (const [path, text] of [
        [paths.json, `${JSON.stringify(safe, null, 2)}\n`],
        [paths.junit, junitXml(safe)],
    ]) {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.mkdir)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.dirname)(path), { recursive: true });
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.writeFile)(path, text);
    }
}
function junitXml(report) {
    const failures = report.checks.filter((c) => !c.passed).length;
    const seconds = (ms) => (ms / 1000).toFixed(3);
    const v = report.verdict;
    const cases = report.checks.map((c) => {
        const out = [
            `attempts: ${c.attempts}`,
            `samples: ${c.samples} (${c.failedSamples} failed, error rate ${c.errorRate}%)`,
            `latency ms: p50 ${c.p50Ms ?? '-'}, p95 ${c.p95Ms ?? '-'}, max ${c.maxMs ?? '-'}`,
            ...(c.status !== undefined ? [`status: ${c.status}`] : []),
            ...(c.baseline ? [`baseline p95 ms: ${c.baseline.p95Ms ?? '-'}${c.baseline.regression ? ' (regression)' : ''}${c.baseline.note ? ` (${c.baseline.note})` : ''}`] : []),
            ...c.failures.map((f) => `failure: ${f}`),
        ].join('\n');
        const failure = c.passed
            ? ''
            : `\n      <failure message="${xml(c.reason ?? 'failed')}" type="${c.critical ? 'critical' : 'failure'}">${xml(c.failures.join('\n') || c.reason || '')}</failure>`;
        return `    <testcase classname="smoke-test.${c.kind}" name="${xml(c.name)}" time="${seconds(c.durationMs)}">${failure}\n      <system-out>${xml(out)}</system-out>\n    </testcase>`;
    });
    return [
        '<?xml version="1.0" encoding="UTF-8"?>',
        `<testsuites name="smoke-test" tests="${report.checks.length}" failures="${failures}" errors="0" time="${seconds(report.durationMs)}">`,
        `  <testsuite name="smoke-test" tests="${report.checks.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(report.durationMs)}" timestamp="${report.startedAt}">`,
        '    <properties>',
        `      <property name="severity" value="${v.severity}"/>`,
        `      <property name="decision" value="${v.decision}"/>`,
        `      <property name="error-rate" value="${v.errorRate}"/>`,
        `      <property name="p95-ms" value="${v.p95Ms ?? ''}"/>`,
        '    </properties>',
        ...cases,
        '  </testsuite>',
        '</testsuites>',
        '',
    ].join('\n');
}
function xml(text) {
    return (text
        // Characters XML 1.0 cannot carry at all, even escaped.
        // eslint-disable-next-line no-control-regex
        .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&apos;'));
}
/** One annotation per failed check (errors) and per latency regression (warnings). */
function annotations(report) {
    const out = [];
    for (const c of report.checks) {
        if (!c.passed) {
            out.push({
                level: 'error',
                title: `Smoke check failed: ${c.name}`,
                message: `${c.critical ? 'Critical check' : 'Check'} "${c.name}" (${c.target}) failed after ${c.attempts} attempt${c.attempts === 1 ? '' : 's'}: ${c.reason}`,
            });
        }
        else if (c.baseline?.regression) {
            out.push({ level: 'warning', title: `Slower than baseline: ${c.name}`, message: `"${c.name}" p95 ${c.p95Ms} ms against the baseline's ${c.baseline.p95Ms} ms` });
        }
    }
    return out;
}


/***/ }),

/***/ 3779:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   P: () => (/* binding */ readSmokeInputs)
/* harmony export */ });
/* harmony import */ var _core_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(8005);
/* harmony import */ var _core_url_secrets_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(9041);
/* harmony import */ var _db_connection_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(401);
/* harmony import */ var _confirm_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(1116);




/** A URL input; its user name, password and secret parameters are registered before anything can print them. */
function httpUrl(inputs, name, log) {
    const raw = inputs.string(name);
    if (!raw)
        return undefined;
    (0,_core_url_secrets_js__WEBPACK_IMPORTED_MODULE_1__/* .registerUrlSecrets */ .AI)(raw, log);
    let url;
    try {
        url = new URL(raw);
    }
    catch {
        url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Input ${name} must be an absolute http(s) URL such as https://my-app.vercel.app, got "${(0,_core_url_secrets_js__WEBPACK_IMPORTED_MODULE_1__/* .displayUrl */ .Qy)(raw)}".`);
    }
    return raw;
}
function backoffInput(inputs) {
    const raw = (inputs.string('backoff') ?? 'fixed').toLowerCase();
    if (raw !== 'fixed' && raw !== 'exponential')
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp(`Input backoff must be fixed or exponential, got "${raw}".`);
    return raw;
}
/** `databaseUrl`: the database-url input (the CLI falls back to DATABASE_URL); secrets are registered first. */
function readSmokeInputs(inputs, databaseUrl, workspace, log) {
    const bypassToken = inputs.secret('bypass-token', log);
    log.secret(databaseUrl);
    const database = databaseUrl ? (0,_db_connection_js__WEBPACK_IMPORTED_MODULE_2__/* .parseConnectionString */ .HH)(databaseUrl, log) : undefined;
    const baseUrl = httpUrl(inputs, 'base-url', log);
    const baseline = httpUrl(inputs, 'baseline-url', log);
    const { url: baselineUrl, authorization: baselineCredentials } = baseline ? (0,_core_url_secrets_js__WEBPACK_IMPORTED_MODULE_1__/* .splitCredentials */ .JD)(baseline) : { url: undefined, authorization: undefined };
    // The token opens the deployment it belongs to; a check on another origin (a third-party status page) never gets it.
    const bypassOrigins = [baseUrl, baselineUrl].filter((u) => Boolean(u)).map((u) => new URL(u).origin);
    if (bypassToken && !bypassOrigins.length) {
        throw new _core_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RollbackKitError */ .dp('Input bypass-token is set, but neither base-url nor baseline-url: the token is sent only to their origins, so no check would carry it.', 'Set base-url to the deployment the token opens (and write the checks as paths, /api/health), or leave bypass-token empty.');
    }
    return {
        source: { checks: inputs.string('checks'), checksFile: inputs.string('checks-file'), cwd: workspace },
        baseUrl,
        options: {
            attempts: inputs.integer('attempts', { default: 3, min: 1, max: 100 }),
            intervalSeconds: inputs.number('interval-seconds', { default: 5, min: 0, max: 3600 }),
            backoff: backoffInput(inputs),
            timeoutSeconds: inputs.number('timeout-seconds', { default: 10, min: 0.001, max: 3600 }),
            samples: inputs.integer('samples', { default: 1, min: 1, max: 10000 }),
            maxErrorRate: inputs.number('max-error-rate', { default: 5, min: 0, max: 100 }),
            maxP95Ms: inputs.number('max-p95-ms', { default: 3000, min: 1 }),
            deadlineSeconds: inputs.number('deadline-seconds', { default: 300, min: 0.1, max: 21600 }),
            baselineUrl,
            baselineCredentials,
            bypassToken,
            bypassOrigins,
            database,
        },
        failStep: inputs.boolean('fail-step', true),
        confirmAfterSeconds: inputs.number('confirm-after-seconds', { default: 0, min: 0, max: _confirm_js__WEBPACK_IMPORTED_MODULE_3__/* .MAX_CONFIRM_AFTER_SECONDS */ .n }),
    };
}


/***/ }),

/***/ 4427:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  o$: () => (/* binding */ loadChecks),
  pb: () => (/* binding */ runSmokeTest)
});

// UNUSED EXPORTS: MAX_CHECKS_FILE_BYTES, verifySource

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __nccwpck_require__(1455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
// EXTERNAL MODULE: ./.build/core/errors.js
var errors = __nccwpck_require__(8005);
// EXTERNAL MODULE: ./.build/core/stop-signals.js
var stop_signals = __nccwpck_require__(1042);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
// EXTERNAL MODULE: ./.build/core/lazy-builtins.js + 1 modules
var lazy_builtins = __nccwpck_require__(6156);
;// CONCATENATED MODULE: ./.build/core/files.js
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
    const fd = (0,external_node_fs_.openSync)(path, external_node_fs_.constants.O_RDONLY | external_node_fs_.constants.O_NONBLOCK);
    try {
        const info = (0,external_node_fs_.fstatSync)(fd);
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
            const n = (0,external_node_fs_.readSync)(fd, chunk, 0, chunk.length, null);
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
        (0,external_node_fs_.closeSync)(fd);
    }
}

// EXTERNAL MODULE: ./.build/db/connection.js
var connection = __nccwpck_require__(401);
// EXTERNAL MODULE: ./.build/smoke/parse-spec.js + 2 modules
var parse_spec = __nccwpck_require__(3238);
// EXTERNAL MODULE: ./.build/smoke/report.js
var smoke_report = __nccwpck_require__(6000);
// EXTERNAL MODULE: ./.build/core/blocked-port.js
var blocked_port = __nccwpck_require__(1914);
// EXTERNAL MODULE: ./.build/core/read-body.js
var read_body = __nccwpck_require__(7487);
// EXTERNAL MODULE: ./.build/core/url-secrets.js
var url_secrets = __nccwpck_require__(9041);
;// CONCATENATED MODULE: external "node:vm"
const external_node_vm_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:vm");
;// CONCATENATED MODULE: ./.build/smoke/bounded-match.js
/**
 * Regular expressions from the spec (body-matches, header `matches`) run against what a server
 * sent, and JavaScript's engine backtracks: `^(a+)+$` against a long body runs for hours and holds
 * the whole process, past every timeout and the overall deadline. Each match runs in a vm script
 * with a timeout, which V8 interrupts even inside the regex engine, so a match ends in bounded time
 * whatever the pattern and the body.
 */

/** Longest one match may take. A sound pattern needs milliseconds on the largest body we read (5 MB). */
const MATCH_TIMEOUT_MS = 1000;
const test = new external_node_vm_namespaceObject.Script('pattern.test(text)');
const context = (0,external_node_vm_namespaceObject.createContext)({ pattern: /$^/, text: '' });
/** The match took longer than it was allowed. */
class MatchTimeout extends Error {
    timeoutMs;
    constructor(timeoutMs) {
        super(`the regular expression did not finish within ${timeoutMs} ms`);
        this.timeoutMs = timeoutMs;
        this.name = 'MatchTimeout';
    }
}
function boundedTest(pattern, text, timeoutMs) {
    context.pattern = pattern;
    context.text = text;
    try {
        return test.runInContext(context, { timeout: Math.max(1, Math.floor(timeoutMs)) }) === true;
    }
    catch (err) {
        if (err.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT')
            throw new MatchTimeout(timeoutMs);
        throw err;
    }
    finally {
        context.text = '';
    }
}

;// CONCATENATED MODULE: ./.build/smoke/config-error.js
/**
 * A check that cannot be run as written: a SQL check that tries to write or to leave its read-only
 * transaction, a request fetch refuses to send (a blocked port, a URL it cannot use), a regular
 * expression too slow to evaluate, a database-url the server rejects. None of these says anything
 * about the service's health, so it is never an observation and never a rollback decision: the run
 * stops and the step fails with no verdict, whatever fail-step says.
 */

const NO_VERDICT = 'This is a configuration error, not an outage: nothing was decided (no verdict, no decision output).';
class CheckConfigError extends errors/* RollbackKitError */.dp {
    constructor(problem, hint) {
        super(`${problem.replace(/\.$/, '')}. ${NO_VERDICT}`, hint);
        this.name = 'CheckConfigError';
    }
}

// EXTERNAL MODULE: ./.build/smoke/json-path.js
var json_path = __nccwpck_require__(6658);
;// CONCATENATED MODULE: ./.build/smoke/spec.js
/**
 * The smoke-check spec after validation: what each check sends and what it asserts. Everything here
 * is already checked (URLs absolute, regexes compiled, ranges ordered), so the probes never have to
 * second-guess a value.
 */
/**
 * The setting that gave a check its timeout, as a failure reason names it: the check's own field
 * (quoted: a field of the spec, not an input or a flag) or the step's input. The on-call engineer
 * must know which one to raise.
 */
function timeoutSetting(check) {
    return check.timeoutSeconds !== undefined ? 'the check\'s "timeout-seconds"' : 'timeout-seconds';
}
function formatRange(r) {
    if (r.min !== undefined && r.min === r.max)
        return String(r.min);
    return `${r.min ?? ''}..${r.max ?? ''}`;
}
function inRange(n, r) {
    return (r.min === undefined || n >= r.min) && (r.max === undefined || n <= r.max);
}

;// CONCATENATED MODULE: ./.build/smoke/assertions.js




/**
 * `log` redacts what the response said before a failure line cuts it. `matchBudgetMs`: how long a
 * regular expression may run, MATCH_TIMEOUT_MS unless the overall deadline is nearer. A pattern
 * stopped at the full MATCH_TIMEOUT_MS is a CheckConfigError.
 */
function assertResponse(check, res, log, opts = {}) {
    const failures = [];
    const budget = Math.min(MATCH_TIMEOUT_MS, opts.matchBudgetMs ?? MATCH_TIMEOUT_MS);
    const matches = (field, pattern, text) => {
        try {
            return boundedTest(pattern, text, budget);
        }
        catch (err) {
            if (!(err instanceof MatchTimeout))
                throw err;
            if (budget < MATCH_TIMEOUT_MS) {
                failures.push(DEADLINE_FAILURE);
                return undefined;
            }
            throw new CheckConfigError(`The HTTP check "${check.name}" cannot be judged: its ${field} pattern ran for ${MATCH_TIMEOUT_MS / 1000} s on a ${text.length}-character text and was stopped, so it backtracks without bound (nested or overlapping quantifiers such as (a+)+ or (.*)*)`, 'Rewrite the regular expression without nested or overlapping quantifiers, or use body-contains / header contains.');
        }
    };
    if (!check.status.some((r) => inRange(res.status, r))) {
        failures.push(`status ${res.status}, expected ${check.status.map(formatRange).join(' or ')}`);
    }
    if (check.maxMs !== undefined && res.ms > check.maxMs)
        failures.push(`took ${Math.round(res.ms)} ms, more than max-ms ${check.maxMs}`);
    // Of a body cut at the cap only what was read is known: a text found there is found, but a text
    // not found, a pattern not matched or a JSON document cut in two proves nothing about the rest.
    const unread = (assertion) => `body is larger than ${res.bodyCutAt / 1024 / 1024} MB and was read no further, so ${assertion} cannot be judged (point the check at a smaller response)`;
    const cut = res.bodyCutAt !== undefined;
    for (const text of check.bodyContains)
        if (!res.body.includes(text))
            failures.push(cut ? unread(`body-contains ${show(text, log)}`) : `body does not contain ${show(text, log)}`);
    for (const text of check.bodyNotContains) {
        if (res.body.includes(text))
            failures.push(`body contains ${show(text, log)}`);
        else if (cut)
            failures.push(unread(`body-not-contains ${show(text, log)}`));
    }
    if (check.bodyMatches && matches('body-matches', check.bodyMatches, res.body) === false)
        failures.push(cut ? unread(`body-matches /${check.bodyMatches.source}/`) : `body does not match /${check.bodyMatches.source}/`);
    if (check.json.length)
        failures.push(...(cut ? [unread('json')] : assertJson(check.json, res.body, log)));
    for (const h of check.header) {
        const actual = res.headers.get(h.name);
        if (h.op === 'exists') {
            if ((actual !== null) !== h.value)
                failures.push(`header "${h.name}" is ${actual === null ? 'missing' : 'present'}, expected it ${h.value ? 'present' : 'absent'}`);
        }
        else if (actual === null)
            failures.push(`header "${h.name}" is missing`);
        else if (h.op === 'equals' && actual !== h.value)
            failures.push(`header "${h.name}" is ${show(actual, log)}, expected ${show(h.value, log)}`);
        else if (h.op === 'contains' && !actual.includes(h.value))
            failures.push(`header "${h.name}" is ${show(actual, log)}, expected it to contain ${show(h.value, log)}`);
        else if (h.op === 'matches' && matches(`header "${h.name}" matches`, h.value, actual) === false)
            failures.push(`header "${h.name}" is ${show(actual, log)}, expected it to match /${h.value.source}/`);
    }
    return failures;
}
function assertJson(assertions, body, log) {
    let doc;
    try {
        doc = JSON.parse(body);
    }
    catch {
        return [`body is not JSON (${body.length ? `${body.length} bytes` : 'empty'}), so json assertions cannot hold`];
    }
    const failures = [];
    for (const a of assertions) {
        const { found, value } = (0,json_path/* lookupJsonPath */.c)(doc, (0,json_path/* parseJsonPath */.H)(a.path));
        const where = `json "${a.path}"`;
        if (a.op === 'exists') {
            if (found !== a.value)
                failures.push(`${where} is ${found ? 'present' : 'missing'}, expected it ${a.value ? 'present' : 'absent'}`);
            continue;
        }
        if (!found) {
            failures.push(`${where} is missing`);
            continue;
        }
        if (a.op === 'equals') {
            if (!deepEqual(value, a.value))
                failures.push(`${where} is ${show(value, log)}, expected ${show(a.value, log)}`);
        }
        else if (typeof value !== 'number')
            failures.push(`${where} is ${show(value, log)}, not a number`);
        else if (a.op === 'less-than' && !(value < a.value))
            failures.push(`${where} is ${value}, expected less than ${String(a.value)}`);
        else if (a.op === 'greater-than' && !(value > a.value))
            failures.push(`${where} is ${value}, expected greater than ${String(a.value)}`);
    }
    return failures;
}
/** What a sample says when the overall deadline stopped it. */
const DEADLINE_FAILURE = 'cut short by the overall deadline (deadline-seconds)';
function deepEqual(a, b) {
    if (a === b)
        return true;
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object')
        return false;
    if (Array.isArray(a) !== Array.isArray(b))
        return false;
    if (Array.isArray(a) && Array.isArray(b))
        return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
}
/** A value as JSON, cut short: a report line, not a dump. Redacted before the cut. */
function show(value, log) {
    return log.excerpt(value === undefined ? 'undefined' : JSON.stringify(value), 80);
}

;// CONCATENATED MODULE: ./.build/smoke/http-probe.js






const BYPASS_HEADER = 'x-vercel-protection-bypass';
const MAX_REDIRECTS = 5;
/** Assertions see at most this much body; a health endpoint that sends more is read no further. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;
async function probeHttp(check, url, opts) {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = opts.deadline ? AbortSignal.any([timeout, opts.deadline]) : timeout;
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    try {
        let origin = new URL(url).origin;
        let current = url;
        let method = check.method;
        let body = check.body;
        let redirectedBy;
        for (let hop = 0;; hop++) {
            const sameOrigin = new URL(current).origin === origin;
            const headers = sameOrigin ? { ...check.headers } : {};
            if (sameOrigin && opts.bypassToken && opts.bypassOrigins?.some((o) => o === origin || isHttpsUpgrade(o, origin)))
                headers[BYPASS_HEADER] = opts.bypassToken;
            if (sameOrigin && opts.credentials && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization'))
                headers.authorization = opts.credentials;
            const sent = await send(check, current, { method, headers, body, redirect: 'manual', signal }, hop);
            if ('refused' in sent)
                return { ok: false, ms: elapsed(), status: redirectedBy, failures: [`redirected (${redirectedBy}) to ${new URL(current).host}, which cannot be requested: ${sent.refused}`] };
            const res = sent.response;
            const location = res.headers.get('location');
            if (res.status >= 300 && res.status < 400 && location && hop < MAX_REDIRECTS) {
                const next = redirectTarget(location, current, origin, check);
                if (typeof next === 'string') {
                    await res.body?.cancel().catch(() => undefined);
                    // The same host over https is still the check's own service: its headers go along.
                    if (isHttpsUpgrade(origin, next))
                        origin = new URL(next).origin;
                    current = next;
                    redirectedBy = res.status;
                    // 303, and 301/302 after a POST, turn into a GET as browsers do.
                    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
                        method = 'GET';
                        body = undefined;
                    }
                    continue;
                }
                // Not followed: a check that accepts this status judges the redirect itself; any other fails saying where it was sent.
                if (!check.status.some((r) => inRange(res.status, r))) {
                    await res.body?.cancel().catch(() => undefined);
                    return { ok: false, ms: elapsed(), status: res.status, failures: [`redirected (${res.status}) ${next.notFollowed}`] };
                }
            }
            let read;
            try {
                read = method === 'HEAD' ? { text: '', cut: false } : await (0,read_body/* readCapped */.E)(res, MAX_BODY_BYTES);
            }
            catch (err) {
                // The service answered (status and headers came back): a body that stalls or breaks off is a
                // failed check, never an unreachable service. Only the overall deadline is our own doing: the
                // sample is cut short as one still waiting for its answer is (no latency, not unreachable),
                // and says what the service had done by then.
                const network = classify(err, timeout, opts.deadline);
                const failures = [describeBodyFailure(network, err, res.status, timeoutWords(check, opts), current)];
                return { ok: false, ms: elapsed(), status: res.status, failures, ...(network === 'deadline' ? { network } : {}) };
            }
            const { text, cut } = read;
            const ms = elapsed();
            const matchBudgetMs = opts.deadlineAt === undefined ? undefined : opts.deadlineAt - performance.now();
            const failures = assertResponse(check, { status: res.status, headers: res.headers, body: text, bodyCutAt: cut ? MAX_BODY_BYTES : undefined, ms }, opts.log, { matchBudgetMs });
            return { ok: failures.length === 0, ms, status: res.status, failures };
        }
    }
    catch (err) {
        if (err instanceof CheckConfigError)
            throw err;
        const network = classify(err, timeout, opts.deadline);
        return { ok: false, ms: elapsed(), failures: [describeFailure(network, err, timeoutWords(check, opts), url)], network };
    }
}
/**
 * Where a redirect may lead: the URL to request next, or why it is not followed. Only http(s) on
 * the check's own origin, or on an origin the check lists in redirect-origins: a redirect
 * elsewhere is most often a sign-in page answering for a service that is not there, and a data:
 * URL would let the response judge itself.
 */
function redirectTarget(location, current, origin, check) {
    let next;
    try {
        next = new URL(location, current);
    }
    catch {
        return { notFollowed: 'with a Location that is not a URL, so it was not followed' };
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:')
        return { notFollowed: `to a URL that is not http(s) (${next.protocol}), which is never followed` };
    if (next.origin !== origin && !isHttpsUpgrade(origin, next.href) && !check.redirectOrigins.includes(next.origin)) {
        return {
            notFollowed: `to ${next.origin}${next.pathname}, another origin than the check's ${origin} (a sign-in page?), so it was not followed; if that redirect is expected, list ${next.origin} in the check's redirect-origins, or accept its status (status: 3xx)`,
        };
    }
    // A Location with userinfo would make fetch refuse (and print it): it is dropped, never sent.
    return (0,url_secrets/* splitCredentials */.JD)(next.href).url;
}
/** http://host to https://host on the default ports: a service moving its own callers to TLS, not another origin. */
function isHttpsUpgrade(origin, target) {
    const from = new URL(origin);
    const to = new URL(target);
    return from.protocol === 'http:' && to.protocol === 'https:' && from.hostname === to.hostname && from.port === '' && to.port === '';
}
/**
 * fetch, with the requests it refuses to send told apart from the ones that got no answer: a port
 * the Fetch standard blocks (10080, 6000, \u2026: "bad port"), a scheme it cannot send, a URL it cannot
 * use, a header it cannot carry. For the check's own URL nothing went over the network, so the
 * service's health is unknown: a CheckConfigError, never an outage. For a redirect's URL the
 * service did answer, with a redirect that cannot be followed: a failed sample, named as such.
 * Network failures carry a code (ECONNREFUSED, UND_ERR_SOCKET, \u2026); fetch's own refusals do not.
 */
async function send(check, url, init, hop) {
    try {
        return { response: await fetch(url, init) };
    }
    catch (err) {
        const why = refusal(err, new URL(url));
        if (!why)
            throw err;
        // Only the check's own URL is the spec's: a redirect fetch cannot follow is what the service answered.
        if (hop > 0)
            return { refused: why };
        throw new CheckConfigError(`The HTTP check "${check.name}" cannot be sent: ${why}, so no request went out`, 'Point the check at a URL fetch can send (another port, http or https, no user name or password in it, header values on one line), or put a proxy in front.');
    }
}
function refusal(err, url) {
    if (!(err instanceof TypeError))
        return undefined;
    const cause = err.cause;
    if (cause?.code === 'ERR_INVALID_URL')
        return `fetch cannot parse the URL for ${url.host}`;
    if (cause && cause.code !== undefined)
        return undefined;
    const message = cause?.message ?? err.message;
    if ((0,blocked_port/* isBlockedPortError */.MC)(err))
        return (0,blocked_port/* blockedPortText */.lr)(url);
    if (message === 'unknown scheme')
        return `fetch cannot send ${url.protocol} URLs`;
    if (/credentials/i.test(message))
        return `fetch refuses a URL with a user name or password (for ${url.host})`;
    if (/header/i.test(message))
        return 'fetch refuses one of its headers (a name or value it cannot send)';
    // The message may quote the URL or a header value: name the refusal, not the text.
    return `fetch refused to build the request for ${url.host}`;
}
function classify(err, timeout, deadline) {
    if (deadline?.aborted)
        return 'deadline';
    if (timeout.aborted)
        return 'timeout';
    const cause = err?.cause;
    const code = cause?.code ?? err?.code ?? '';
    if (code === 'ECONNREFUSED')
        return 'refused';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
        return 'dns';
    if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
        return 'timeout';
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE')
        return 'reset';
    if (/CERT|TLS|SSL/.test(code))
        return 'tls';
    return 'other';
}
/** `timeout`: how long the request was given and by which setting, "10 s (timeout-seconds)". */
function describeFailure(kind, err, timeout, url) {
    const host = new URL(url).host;
    switch (kind) {
        case 'refused':
            return `connection refused by ${host}`;
        case 'dns':
            return `host ${new URL(url).hostname} not found (DNS)`;
        case 'timeout':
            return `no answer from ${host} within ${timeout}`;
        case 'reset':
            return `connection to ${host} closed before the response ended`;
        case 'tls':
            return `TLS error with ${host}: ${causeMessage(err)}`;
        case 'deadline':
            return `no answer from ${host} yet when it was ${DEADLINE_FAILURE}`;
        default:
            return `request to ${host} failed: ${causeMessage(err)}`;
    }
}
/** How long a request was given and by which setting: "10 s (timeout-seconds)". */
function timeoutWords(check, opts) {
    return `${opts.timeoutMs / 1000} s (${timeoutSetting(check)})`;
}
/** A response whose status and headers came back but whose body did not: what the service did, not "no answer". */
function describeBodyFailure(kind, err, status, timeout, url) {
    const answered = `${new URL(url).host} answered ${status}`;
    switch (kind) {
        case 'timeout':
            return `${answered}, but its body did not finish within ${timeout}`;
        case 'deadline':
            return `${answered}, but its body had not finished when it was ${DEADLINE_FAILURE}`;
        case 'reset':
            return `${answered}, but closed the connection before its body ended`;
        default:
            return `${answered}, but reading its body failed: ${causeMessage(err)}`;
    }
}
function causeMessage(err) {
    const e = err;
    return e?.cause?.message ?? e?.message ?? String(err);
}

// EXTERNAL MODULE: ./.build/smoke/join-url.js
var join_url = __nccwpck_require__(8646);
// EXTERNAL MODULE: ./.build/smoke/pool.js
var pool = __nccwpck_require__(7944);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __nccwpck_require__(7075);
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
    return value instanceof external_node_stream_.Readable || value instanceof external_node_stream_.Writable;
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
            (0,external_node_stream_.finished)(result, () => clearTimeout(timer));
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

// EXTERNAL MODULE: ./.build/smoke/sql-statement.js + 3 modules
var sql_statement = __nccwpck_require__(3605);
;// CONCATENATED MODULE: ./.build/smoke/sql-probe.js






/**
 * database-url is wrong: PostgreSQL answered and refused the credentials or the database. The
 * service is up, and a typo in a secret is not an outage, so this is never an observation (never a
 * rollback decision): the step fails with no verdict at all, whatever fail-step says.
 */
class DatabaseConfigError extends CheckConfigError {
    constructor(cause) {
        super(`The SQL checks cannot run because database-url is wrong: ${cause.message}`, cause.hint);
        this.name = 'DatabaseConfigError';
    }
}
const READ_ONLY_HINT = 'An SQL check is one read-only statement (a SELECT, or SHOW); it may not write, run several statements, or control the transaction or the session. Change the query in the spec.';
/** SQLSTATE classes that say the server could not run the query at all (timeouts, connections, resources). */
const NOT_AN_ANSWER = /^(08|53|57)/;
/**
 * The query tried to write (25006), to end or reshape the transaction (class 25, 2D), or held
 * several statements (42601 with the extended protocol's words): the check is wrong, not the service.
 */
function notReadOnly(error) {
    const code = error.code ?? '';
    // A cursor's own words for a write in a WITH (readRows): "DECLARE CURSOR must not contain data-modifying statements in WITH".
    return /^(25|2D)/.test(code) || (code === '42601' && /multiple commands/.test(error.message)) || (code === '0A000' && /data-modifying/.test(error.message));
}
/**
 * Room above the statement timeout for an answer to come back, and for the connection to be given
 * up: only a connection that stalls without closing (a proxy or NAT box that stops forwarding)
 * ever uses it, since the server answers every statement within its statement_timeout.
 */
const ANSWER_MARGIN_MS = 1_000;
/**
 * One attempt, with every wait bounded: the connection by the connect timeout, each query's answer
 * by the statement timeout and a margin (a query past it closes the connection), and the whole
 * probe, ROLLBACK included, by the time the connection and the query may take and the overall
 * deadline. A probe given up closes its session without waiting for the server to agree.
 */
async function probeSql(check, target, opts) {
    const started = performance.now();
    const timeoutMs = Math.max(1, Math.round(opts.timeoutMs));
    const budgetMs = 2 * timeoutMs + ANSWER_MARGIN_MS;
    const probe = new Probe();
    let timer;
    let onAbort;
    const givenUp = new Promise((resolve) => {
        const giveUp = (failure, unreachable) => {
            probe.abandon();
            resolve({ ok: false, ms: performance.now() - started, failures: [failure], unreachable });
        };
        timer = setTimeout(() => giveUp(`no answer from the database within ${seconds(budgetMs)} s (${timeoutSetting(check)} for the connection and for the query, plus ${seconds(ANSWER_MARGIN_MS)} s), so the connection was closed`, true), budgetMs);
        onAbort = () => giveUp(DEADLINE_FAILURE, false);
        if (opts.deadline?.aborted)
            onAbort();
        else
            opts.deadline?.addEventListener('abort', onAbort, { once: true });
    });
    try {
        return await Promise.race([runProbe(check, target, probe, timeoutMs, started, opts), givenUp]);
    }
    finally {
        clearTimeout(timer);
        if (onAbort)
            opts.deadline?.removeEventListener('abort', onAbort);
    }
}
/** The probe's session, closed at once when the probe is given up, even if it opens only after that. */
class Probe {
    session;
    abandoned = false;
    adopt(session) {
        this.session = session;
        if (this.abandoned)
            closeSession(session);
        return !this.abandoned;
    }
    abandon() {
        this.abandoned = true;
        // With a query in flight pg destroys the socket; otherwise it sends Terminate and lets go.
        if (this.session)
            closeSession(this.session);
    }
    get given() {
        return this.abandoned;
    }
}
async function runProbe(check, target, probe, timeoutMs, started, opts) {
    let session;
    try {
        session = await sql_probe_open(target, timeoutMs);
    }
    catch (err) {
        if (err instanceof DatabaseConfigError)
            throw err;
        // Messages that name host:port/db and no secret: refused, DNS, timeouts, server starting up.
        const message = err instanceof Error ? err.message : String(err);
        return { ok: false, ms: performance.now() - started, failures: [message], unreachable: true };
    }
    if (!probe.adopt(session))
        return { ok: false, ms: performance.now() - started, failures: [], unreachable: false };
    try {
        return await measure(check, session, timeoutMs, started, opts);
    }
    finally {
        // Bounded by the query deadline; a connection that is already gone refuses it at once.
        if (!probe.given)
            await session.query('ROLLBACK').catch(() => undefined);
        closeSession(session);
    }
}
async function measure(check, session, timeoutMs, started, opts) {
    let before;
    try {
        await session.query('BEGIN TRANSACTION READ ONLY');
        await session.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
        // The first query of the transaction: from here on, SET TRANSACTION READ WRITE is refused.
        before = await transactionState(session);
    }
    catch (err) {
        return brokeAround(err, started);
    }
    if (before.readOnly !== 'on')
        throw new CheckConfigError(`The SQL check "${check.name}" cannot run: the database did not open a read-only transaction`, READ_ONLY_HINT);
    let read;
    let error;
    try {
        read = await readRows(session, check.query, timeoutMs);
    }
    catch (err) {
        // Only the server's own error is an answer; a connection that stalled or broke measured nothing
        // (and is never the error an expect-error check waits for).
        if (!fromServer(err))
            return brokeAround(err, started);
        const e = err;
        error = { code: e.code, message: e.message ?? String(err) };
    }
    if (error && notReadOnly(error)) {
        // The cursor's refusal names a DECLARE the check never wrote: say what in the check's own text is wrong.
        const why = error.code === '0A000' ? 'its WITH holds a statement that writes (INSERT, UPDATE, DELETE or MERGE)' : error.message;
        throw new CheckConfigError(`The SQL check "${check.name}" is not a read-only query: ${why}${error.code ? ` (SQLSTATE ${error.code})` : ''}; nothing was changed`, READ_ONLY_HINT);
    }
    if (!error) {
        let after;
        try {
            after = await transactionState(session);
        }
        catch (err) {
            return brokeAround(err, started);
        }
        if (after.readOnly !== 'on' || after.started !== before.started) {
            throw new CheckConfigError(`The SQL check "${check.name}" left its read-only transaction`, READ_ONLY_HINT);
        }
    }
    const ms = performance.now() - started;
    const failures = judge(check, read, error, opts.cutByDeadline ? 'the overall deadline (deadline-seconds)' : `${timeoutMs / 1000} s (${timeoutSetting(check)})`, opts.log);
    return { ok: failures.length === 0, ms, failures };
}
/** Rows kept of a result: the first is all expect-value reads; the rest are counted, never held. */
const FETCHED_ROWS = 100;
const CURSOR = 'rk_check';
/** Statements a cursor can run; SHOW and EXPLAIN, whose results are small, run as they are. */
const CURSOR_WORDS = new Set(['select', 'with', 'values', 'table']);
/**
 * The check's query, holding at most FETCHED_ROWS of its rows: `SELECT * FROM events` on a large
 * table loaded every row into the runner's memory within the statement timeout, enough to end the
 * step with no verdict. A query that reads runs as a cursor: its first rows fetched, the rest only
 * counted by MOVE ALL, which sends none, under what is left of the statement timeout, so the query as
 * a whole is held to it as before. Sent with the extended protocol: one statement only, refused by
 * the server otherwise (queryMode is not in @types/pg).
 */
async function readRows(session, query, timeoutMs) {
    const extended = (text) => session.query({ text, rowMode: 'array', queryMode: 'extended' });
    if (!CURSOR_WORDS.has((0,sql_statement/* firstKeyword */.A)(query) ?? '')) {
        const result = await extended(query);
        const rows = (result.rows ?? []);
        return { rows, count: rows.length, column: result.fields?.[0]?.name };
    }
    const started = performance.now();
    await extended(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${query}`);
    const result = await extended(`FETCH FORWARD ${FETCHED_ROWS} FROM ${CURSOR}`);
    const rows = (result.rows ?? []);
    let count = rows.length;
    if (count === FETCHED_ROWS) {
        await session.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeoutMs - (performance.now() - started)))}`);
        count += (await session.query(`MOVE FORWARD ALL IN ${CURSOR}`)).rowCount ?? 0;
    }
    return { rows, count, column: result.fields?.[0]?.name };
}
/** An ErrorResponse PostgreSQL sent (pg's DatabaseError carries its severity), not a local or network error. */
function fromServer(err) {
    return typeof err?.severity === 'string';
}
/** The connection broke around the query (BEGIN failed, or the check after it): nothing was measured. */
function brokeAround(err, started) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, ms: performance.now() - started, failures: [message], unreachable: true };
}
/** Whether the transaction is read-only, and when it started: a query that committed it would change both. */
async function transactionState(session) {
    const { rows } = await session.query("SELECT current_setting('transaction_read_only') AS \"readOnly\", now()::text AS started");
    return rows[0];
}
/** A rejected password or an unknown database is a DatabaseConfigError; anything else a failure to reach the database. */
async function sql_probe_open(target, timeoutMs) {
    try {
        return await connect(target, { connectTimeoutMs: timeoutMs, readOnly: true, queryDeadline: { statementMs: timeoutMs, marginMs: ANSWER_MARGIN_MS } });
    }
    catch (err) {
        throw err instanceof ConnectionError && err.isConfiguration ? new DatabaseConfigError(err) : err;
    }
}
/**
 * A value read from a column named like a secret (`api_token`, `password_hash`, `session_key`) is
 * not written into a failure: the summary, the incident issue and chat messages would carry a live
 * credential the log's redactor never saw. Numbers, booleans and null are shown: a count of sessions
 * is no secret.
 */
function secretValue(column, value) {
    if (column === undefined || !(0,url_secrets/* isSensitiveName */.eq)(column))
        return false;
    if (value === null || typeof value === 'number' || typeof value === 'boolean')
        return false;
    return !(typeof value === 'string' && /^-?\d+(?:\.\d+)?$/.test(value));
}
function judge(check, read, error, limit, log) {
    const { rows, count, column } = read ?? { rows: [], count: 0, column: undefined };
    if (check.expectError !== undefined) {
        if (!error)
            return [`the query succeeded (${count} rows), expected an error${check.expectError === true ? '' : ` containing ${show(check.expectError, log)}`}`];
        const expected = check.expectError;
        const code = error.code ?? '';
        if (expected !== true && code === expected.toUpperCase())
            return [];
        if (NOT_AN_ANSWER.test(code))
            return [`the query could not run (${describeError(error, limit)}), so the expected error was not observed`];
        if (expected === true || error.message.toLowerCase().includes(expected.toLowerCase()))
            return [];
        return [`the query failed with ${show(error.message, log)}${code ? ` (SQLSTATE ${code})` : ''}, expected an error containing ${show(expected, log)}`];
    }
    if (error)
        return [`the query failed: ${describeError(error, limit)}`];
    const failures = [];
    if (check.expectRows && !inRange(count, check.expectRows))
        failures.push(`${count} rows, expected ${formatRange(check.expectRows)}`);
    if (check.expectValue) {
        if (!count)
            failures.push(`no rows, expected the value ${show(check.expectValue.value, log)}`);
        else {
            const actual = rows[0][0];
            const expected = check.expectValue.value;
            if (!sameValue(actual, expected)) {
                const hidden = `(not shown: the column ${show(column, log)} is named like a secret)`;
                failures.push(`the value is ${secretValue(column, actual) ? hidden : show(actual, log)}, expected ${secretValue(column, expected) ? hidden : show(expected, log)}`);
            }
        }
    }
    return failures;
}
function describeError(error, limit) {
    if (error.code === '57014')
        return `cancelled by ${limit}`;
    return `${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}`;
}
/** node-postgres returns bigint and numeric as strings: compare numbers by value, the rest exactly. */
function sameValue(actual, expected) {
    if (typeof expected === 'number')
        return actual !== null && actual !== '' && Number(actual) === expected;
    if (typeof expected === 'string')
        return actual instanceof Date ? actual.toISOString() === expected : actual !== null && typeof actual !== 'object' && String(actual) === expected;
    return deepEqual(actual, expected);
}

;// CONCATENATED MODULE: ./.build/smoke/stats.js
/** Latency percentiles and error rates over the samples of one attempt. */
/** Nearest-rank percentile (k6 and most dashboards agree on it for small sample counts). */
function percentile(sorted, p) {
    if (!sorted.length)
        return undefined;
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
function latencyStats(ms) {
    const sorted = [...ms].sort((a, b) => a - b);
    const round = (v) => (v === undefined ? undefined : Math.round(v * 10) / 10);
    return { p50Ms: round(percentile(sorted, 50)), p95Ms: round(percentile(sorted, 95)), maxMs: round(sorted[sorted.length - 1]) };
}
/** Failed samples as a percentage (0\u2013100), to two decimals. */
function errorRate(failed, total) {
    return total ? Math.round((failed / total) * 10000) / 100 : 0;
}

;// CONCATENATED MODULE: ./.build/smoke/run-checks.js





const REGRESSION_FACTOR = 2;
/** Below this difference a "2\u00d7 slower" is noise (2 ms against 0.9 ms), not a regression. */
const REGRESSION_FLOOR_MS = 50;
const MAX_BACKOFF_SECONDS = 60;
/** The abort reason when a check threw: the run has no verdict, so the others stop without a word. */
const STOPPED = Symbol('stopped');
async function runChecks(checks, opts, log) {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), opts.deadlineSeconds * 1000);
    const deadlineAt = performance.now() + opts.deadlineSeconds * 1000;
    const onStop = () => deadline.abort(STOPPED);
    if (opts.signal?.aborted)
        onStop();
    else
        opts.signal?.addEventListener('abort', onStop, { once: true });
    try {
        return await (0,pool/* mapLimit */.s)(checks, opts.checkConcurrency ?? 4, (check) => runCheck(check, opts, { signal: deadline.signal, at: deadlineAt }, log).catch((err) => {
            // A check that cannot run as written (CheckConfigError) means there will be no verdict: stop measuring.
            deadline.abort(STOPPED);
            throw err;
        }));
    }
    finally {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onStop);
    }
}
async function runCheck(check, opts, until, log) {
    const deadline = until.signal;
    const started = performance.now();
    const attempts = check.attempts ?? opts.attempts;
    const interval = check.intervalSeconds ?? opts.intervalSeconds;
    const backoff = check.backoff ?? opts.backoff;
    let outcome;
    let made = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
        if (deadline.aborted)
            break;
        made = attempt;
        outcome = check.kind === 'http' ? await httpAttempt(check, { url: check.url, credentials: check.credentials }, opts, until, log) : await sqlAttempt(check, opts, until, log);
        if (deadline.reason === STOPPED)
            break;
        if (outcome.passed) {
            log.info(`\u2713 ${check.name}: passed${attempts > 1 ? ` on attempt ${attempt}/${attempts}` : ''}${describeNumbers(outcome)}`);
            break;
        }
        const wait = attempt < attempts ? delaySeconds(interval, backoff, attempt) : 0;
        log.info(`\u2717 ${check.name}: attempt ${attempt}/${attempts} failed: ${outcome.reason}${wait && !deadline.aborted ? `; next attempt in ${wait} s` : ''}`);
        if (wait)
            await (0,pool/* sleep */.y)(wait * 1000, deadline);
    }
    if (!outcome) {
        outcome = {
            passed: false,
            samples: 0,
            failedSamples: 0,
            errorRate: 100,
            latency: {},
            failures: [],
            reason: `not measured: the overall deadline (${opts.deadlineSeconds} s) passed first`,
            unreachable: false,
            thresholdBroken: false,
        };
    }
    const result = {
        name: check.name,
        kind: check.kind,
        critical: check.critical,
        target: check.kind === 'http' ? check.url : 'SQL',
        passed: outcome.passed,
        attempts: made,
        samples: outcome.samples,
        failedSamples: outcome.failedSamples,
        errorRate: outcome.errorRate,
        ...outcome.latency,
        status: outcome.status,
        reason: outcome.reason,
        failures: outcome.failures,
        unreachable: outcome.unreachable,
        thresholdBroken: outcome.thresholdBroken,
        durationMs: 0,
    };
    if (check.kind === 'http' && opts.baselineUrl && check.path && deadline.reason !== STOPPED) {
        result.baseline = await measureBaseline(check, result, opts, until, log);
        if (result.baseline.regression) {
            // Info, not warning: the entry point annotates regressions once, from the report.
            log.info(`\u26a0 ${check.name}: p95 ${result.p95Ms} ms is more than ${REGRESSION_FACTOR}\u00d7 the baseline's ${result.baseline.p95Ms} ms`);
        }
    }
    result.durationMs = Math.round(performance.now() - started);
    return result;
}
function delaySeconds(interval, backoff, attempt) {
    const seconds = backoff === 'exponential' ? interval * 2 ** (attempt - 1) : interval;
    return Math.min(seconds, Math.max(interval, MAX_BACKOFF_SECONDS));
}
async function httpAttempt(check, to, opts, deadline, log) {
    const count = check.samples ?? opts.samples;
    const timeoutMs = (check.timeoutSeconds ?? opts.timeoutSeconds) * 1000;
    const samples = await (0,pool/* mapLimit */.s)(Array.from({ length: count }), opts.sampleConcurrency ?? 5, () => probeHttp(check, to.url, { timeoutMs, deadline: deadline.signal, deadlineAt: deadline.at, bypassToken: opts.bypassToken, bypassOrigins: opts.bypassOrigins, credentials: to.credentials, log }));
    return judgeAttempt(samples, { maxErrorRate: check.maxErrorRate ?? opts.maxErrorRate, maxP95Ms: check.maxP95Ms ?? opts.maxP95Ms });
}
/** Turns an attempt's samples into pass/fail against max-error-rate and max-p95-ms. */
function judgeAttempt(samples, opts) {
    const failed = samples.filter((s) => !s.ok);
    const rate = errorRate(failed.length, samples.length);
    // Latency is what answered requests took: a refused connection is fast, not healthy.
    const latency = latencyStats(samples.filter((s) => !s.network).map((s) => s.ms));
    const failures = rankFailures(failed.flatMap((s) => s.failures));
    const unreachable = samples.length > 0 && samples.every((s) => s.network && s.network !== 'deadline');
    const reasons = [];
    let thresholdBroken = false;
    if (rate > opts.maxErrorRate) {
        if (samples.length === 1)
            reasons.push(failed[0].failures.join('; '));
        else {
            thresholdBroken = true;
            reasons.push(`error rate ${rate}% (${failed.length}/${samples.length}) above max-error-rate ${opts.maxErrorRate}%: ${failures[0]}`);
        }
    }
    if (latency.p95Ms !== undefined && latency.p95Ms > opts.maxP95Ms) {
        thresholdBroken = true;
        reasons.push(`p95 ${latency.p95Ms} ms above max-p95-ms ${opts.maxP95Ms}`);
    }
    return {
        passed: reasons.length === 0,
        samples: samples.length,
        failedSamples: failed.length,
        errorRate: rate,
        latency,
        status: mostCommon(samples.map((s) => s.status).filter((s) => s !== undefined)),
        failures,
        reason: reasons.length ? reasons.join('; ') : failures.length ? `${failed.length}/${samples.length} samples failed (within max-error-rate): ${failures[0]}` : undefined,
        unreachable,
        thresholdBroken,
    };
}
async function sqlAttempt(check, opts, deadline, log) {
    // The server cannot be told about our deadline, so the query's timeout is cut to what is left
    // before it; the probe is given up (its connection closed) when the deadline comes all the same.
    const configured = (check.timeoutSeconds ?? opts.timeoutSeconds) * 1000;
    const left = Math.max(1, deadline.at - performance.now());
    // Validation refuses SQL checks without database-url, so the target is there.
    const outcome = await probeSql(check, opts.database, { timeoutMs: Math.min(configured, left), cutByDeadline: left < configured, deadline: deadline.signal, log });
    return {
        passed: outcome.ok,
        samples: 1,
        failedSamples: outcome.ok ? 0 : 1,
        errorRate: outcome.ok ? 0 : 100,
        latency: latencyStats([outcome.ms]),
        failures: outcome.failures,
        reason: outcome.failures.join('; ') || undefined,
        unreachable: outcome.unreachable ?? false,
        thresholdBroken: false,
    };
}
async function measureBaseline(check, result, opts, deadline, log) {
    const url = (0,join_url/* joinUrl */.w)(opts.baselineUrl, check.path);
    if (deadline.signal.aborted)
        return { url, errorRate: 0, regression: false, note: 'not measured: the overall deadline passed first' };
    const outcome = await httpAttempt(check, { url, credentials: opts.baselineCredentials }, opts, deadline, log);
    const baseline = { url, errorRate: outcome.errorRate, ...outcome.latency, regression: false };
    if (outcome.latency.p95Ms === undefined)
        baseline.note = `baseline did not answer (${outcome.failures[0] ?? 'no samples'}): no comparison`;
    else if (result.p95Ms !== undefined) {
        baseline.regression = result.p95Ms > REGRESSION_FACTOR * outcome.latency.p95Ms && result.p95Ms - outcome.latency.p95Ms >= REGRESSION_FLOOR_MS;
    }
    return baseline;
}
function rankFailures(failures) {
    const counts = new Map();
    for (const f of failures)
        counts.set(f, (counts.get(f) ?? 0) + 1);
    return [...counts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([f, n]) => (n > 1 ? `${f} (\u00d7${n})` : f));
}
function mostCommon(values) {
    const counts = new Map();
    for (const v of values)
        counts.set(v, (counts.get(v) ?? 0) + 1);
    let best;
    for (const [v, n] of counts)
        if (best === undefined || n > counts.get(best))
            best = v;
    return best;
}
function describeNumbers(o) {
    if (o.samples <= 1)
        return o.latency.p95Ms !== undefined ? ` (${o.latency.p95Ms} ms)` : '';
    return ` (${o.samples} samples, ${o.errorRate}% errors, p95 ${o.latency.p95Ms ?? '-'} ms)`;
}

;// CONCATENATED MODULE: ./.build/smoke/sensitive.js

function registerSpecSecrets(checks, log) {
    for (const check of checks) {
        if (check.kind !== 'http')
            continue;
        for (const value of check.secrets.declared)
            log.secret(value);
        for (const value of check.secrets.guessed)
            log.secret(value, 'guessed');
        for (const [name, value] of Object.entries(check.headers)) {
            if (!(0,url_secrets/* isSensitiveName */.eq)(name))
                continue;
            log.secret(value, 'guessed');
            // "Bearer abc\u2026": the credential alone may show up elsewhere (an echo, an error).
            const credential = /^\S+\s+(\S.*)$/.exec(value)?.[1];
            log.secret(credential, 'guessed');
        }
    }
}

;// CONCATENATED MODULE: ./.build/smoke/verdict.js
const DECISION_MATRIX = {
    critical: 'rollback',
    major: 'rollback',
    minor: 'fix-forward',
    none: 'none',
};
function decide(results) {
    const failed = results.filter((r) => !r.passed);
    const http = results.filter((r) => r.kind === 'http');
    const probed = http.length ? http : results;
    const unreachable = probed.length > 0 && probed.every((r) => r.unreachable);
    const regressions = results.filter((r) => r.baseline?.regression);
    const reasons = [];
    if (unreachable)
        reasons.push(`the service is unreachable: ${probed.length === 1 ? 'its check' : `all ${probed.length} ${http.length ? 'HTTP' : 'SQL'} checks`} got no answer (${probed[0].reason})`);
    for (const r of failed.filter((r) => r.critical))
        reasons.push(`critical check "${r.name}" failed: ${r.reason}`);
    for (const r of failed.filter((r) => !r.critical))
        reasons.push(`check "${r.name}" failed: ${r.reason}`);
    for (const r of regressions)
        reasons.push(`"${r.name}" is slower than the baseline: p95 ${r.p95Ms} ms against ${r.baseline.p95Ms} ms`);
    const severity = unreachable || failed.some((r) => r.critical) ? 'critical' : failed.length ? 'major' : regressions.length ? 'minor' : 'none';
    const worst = worstCheck(results);
    return {
        passed: failed.length === 0,
        severity,
        decision: DECISION_MATRIX[severity],
        failed: failed.length,
        reasons,
        worst,
        errorRate: worst?.errorRate ?? 0,
        p95Ms: worst?.p95Ms,
        unreachable,
    };
}
/** Failed before passed, critical before not, then the highest error rate, then the slowest p95. */
function worstCheck(results) {
    const rank = (r) => [r.passed ? 0 : 1, r.critical && !r.passed ? 1 : 0, r.errorRate, r.p95Ms ?? -1];
    let worst;
    for (const r of results) {
        if (!worst)
            worst = r;
        else {
            const a = rank(r);
            const b = rank(worst);
            const i = a.findIndex((v, k) => v !== b[k]);
            if (i >= 0 && a[i] > b[i])
                worst = r;
        }
    }
    return worst;
}

// EXTERNAL MODULE: ./.build/smoke/confirm.js
var smoke_confirm = __nccwpck_require__(1116);
;// CONCATENATED MODULE: ./.build/smoke/smoke-test.js
/**
 * The smoke test as one call, shared by the action, the root rollback action and the CLI: load and
 * validate the spec (nothing runs if it is wrong), measure every check, decide, and build the report.
 */












/**
 * The spec source the plan's verify settings name. A plan file's verify.checks-file keeps the
 * workspace rule even on the command line: the file travels with the repository, so what a local
 * run accepts the workflow must accept too.
 */
function verifySource(verify, workspace) {
    return { checks: verify.checks, checksFile: verify.checksFile, checksFileName: verify.checksFileName, cwd: workspace, anywhere: verify.checksFileAnywhere };
}
/** Reads the spec from exactly one of `checks` and `checks-file`, then validates it. */
async function loadChecks(source, ctx) {
    if (source.checks && source.checksFile) {
        throw new errors/* RollbackKitError */.dp('Input checks and input checks-file are both set.', 'Give the checks inline (input checks) or in a YAML file (input checks-file), not both.');
    }
    if (source.checksFile) {
        const name = source.checksFileName ?? 'checks-file';
        const text = await readChecksFile(source.checksFile, source.cwd ?? '.', name, source.anywhere ?? false);
        return (0,parse_spec/* parseChecks */.B2)(text, { ...ctx, source: `${name} ${source.checksFile}` });
    }
    if (source.checks)
        return (0,parse_spec/* parseChecks */.B2)(source.checks, { ...ctx, source: 'checks input' });
    throw new errors/* RollbackKitError */.dp('No checks given.', 'Set input checks (YAML) or input checks-file; the smoke-test README (actions/smoke-test/README.md) has examples.');
}
/** A spec is a page or a few of YAML: a file larger than this is the wrong file. */
const MAX_CHECKS_FILE_BYTES = 1024 * 1024;
const CHECKOUT_HINT = 'The path is relative to the workspace (on the command line, the current directory); in a workflow, check out the repository first (actions/checkout).';
/**
 * The checks-file, which must be a file inside the workspace: the path is an input anyone who edits
 * the workflow sets, and a spec error names lines of the file, so it must not reach /etc/passwd or
 * a secrets file elsewhere on the runner. Symbolic links are followed before the check, so a link
 * in the repository that points outside is refused too. `anywhere`: a person named the file on
 * their own machine, where it reveals nothing they cannot read already, so only the size and kind
 * rules hold (a FIFO would still block, a huge file is still the wrong one).
 */
async function readChecksFile(checksFile, workspace, name, anywhere) {
    const cannotRead = (why, hint = CHECKOUT_HINT) => new errors/* RollbackKitError */.dp(`Cannot read ${name} "${checksFile}": ${why}.`, hint);
    let root;
    let path;
    try {
        root = await (0,promises_.realpath)(workspace);
        path = await (0,promises_.realpath)((0,external_node_path_.resolve)(workspace, checksFile));
    }
    catch (err) {
        throw cannotRead(describeFsError(err));
    }
    const inside = (0,external_node_path_.relative)(root, path);
    if (!anywhere && (inside === '..' || inside.startsWith(`..${external_node_path_.sep}`) || (0,external_node_path_.isAbsolute)(inside))) {
        throw cannotRead('it is outside the workspace', `${name} must name a file in the repository (the workspace), such as .github/smoke.yml; symbolic links are followed before this check.`);
    }
    try {
        // A regular file only (a FIFO would block the step forever), read up to the cap.
        return readRegularFile(path, MAX_CHECKS_FILE_BYTES);
    }
    catch (err) {
        if (err instanceof FileRefused)
            throw cannotRead(err.why, `${name} must name a YAML file of checks in the repository, of at most 1 MB.`);
        throw cannotRead(describeFsError(err));
    }
}
function describeFsError(err) {
    switch (err.code) {
        case 'ENOENT':
            return 'no such file';
        case 'EISDIR':
            return 'it is a directory';
        case 'EACCES':
        case 'EPERM':
            return 'permission denied';
        case 'ELOOP':
            return 'too many symbolic links';
        default:
            return `${err.code ?? 'the file cannot be read'}`;
    }
}
/** The smoke test stopped before it had measured everything: no verdict, nothing said of production. */
function stoppedChecks(signal) {
    return new errors/* RollbackKitError */.dp(`The smoke checks were stopped (${(0,stop_signals/* stopName */.ws)(signal)}) before they finished measuring, so they give no verdict: production was not verified.`, 'Check production by hand now, or run the smoke test again.', { stopped: true });
}
async function runSmokeTest(checks, options, log, confirm) {
    log.secret(options.bypassToken);
    registerSpecSecrets(checks, log);
    const startedAt = new Date();
    const started = performance.now();
    log.info(`Running ${checks.length} smoke check${checks.length === 1 ? '' : 's'} (attempts ${options.attempts}, samples ${options.samples}, deadline ${options.deadlineSeconds} s)`);
    const measure = async () => {
        const results = await runChecks(checks, options, log);
        // Stopped: the checks cut short failed for no fault of production; no verdict may be read from them.
        if (options.signal?.aborted)
            throw stoppedChecks(options.signal);
        return { results, verdict: decide(results) };
    };
    const { results, verdict, confirmation } = await (0,smoke_confirm/* measureConfirmed */.A)(measure, confirm?.afterSeconds ?? 0, log, confirm?.wait);
    // Redacted once here, so every consumer (files, summary, annotations, the CLI) gets the safe report.
    const report = (0,smoke_report/* redactReport */.a5)((0,smoke_report/* buildReport */.FK)({
        startedAt,
        durationMs: Math.round(performance.now() - started),
        verdict,
        results,
        options,
        database: options.database ? (0,connection/* describeTarget */.ff)(options.database) : undefined,
        confirmation,
    }), log);
    log.info(`Verdict: ${verdict.passed ? 'passed' : `${verdict.failed} failed`}, severity ${verdict.severity}, decision ${verdict.decision}`);
    for (const reason of verdict.reasons)
        log.info(`  - ${reason}`);
    return { results, verdict, report, confirmation };
}


/***/ }),

/***/ 3605:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  A: () => (/* binding */ firstKeyword),
  z: () => (/* binding */ sqlStatementProblem)
});

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
class sql_lexer_SqlLexer {
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
    new sql_lexer_SqlLexer({ standardConformingStrings: sql.standardConformingStrings, onPart: (part, at) => starts.push({ part, at }) }).scan(sql.text);
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
function sql_lexer_sqlParts(sql) {
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

// EXTERNAL MODULE: ./.build/core/errors.js
var errors = __nccwpck_require__(8005);
;// CONCATENATED MODULE: ./.build/db/catalog.js
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
function catalog_quoteLiteral(text) {
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
class RowSecurityHidesRows extends errors/* RollbackKitError */.dp {
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
        const filtered = (t) => `row_security_active(${catalog_quoteLiteral(qualified(t.schema, t.name))}::regclass)`;
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
    const lexer = new sql_lexer_SqlLexer({
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
const literal = (/* unused pure expression or super */ null && (quoteLiteral));

;// CONCATENATED MODULE: ./.build/smoke/sql-statement.js
/**
 * What an SQL check may run: exactly one query that reads (SELECT, WITH, VALUES, TABLE, SHOW,
 * EXPLAIN), calling none of the functions that act outside the transaction. The probe opens a
 * read-only transaction and rolls it back; a check that could commit it, roll it back or change the
 * session's settings could leave it and write (`COMMIT; DELETE \u2026`). The probe's extended-protocol
 * query and read-only session refuse those at run time, but a READ ONLY transaction does not stop
 * everything: PostgreSQL lets it LOCK a table in ACCESS EXCLUSIVE mode (every reader queued behind it
 * for the statement timeout), ANALYZE, CHECKPOINT, and call functions whose effect no ROLLBACK
 * undoes (pg_terminate_backend, pg_create_physical_replication_slot: WAL kept until the disk is
 * full, pg_reload_conf, pg_stat_reset \u2026). So this refuses them before anything runs, with the
 * check's line. A function of the database's own that calls one of them is beyond what the text
 * shows: the database-url's role is what bounds that (README, "SQL checks").
 */


/**
 * First keywords of statements that reshape the session (SET default_transaction_read_only = off,
 * SET SESSION CHARACTERISTICS \u2026) or move data in or out of the server (COPY \u2026 FROM / TO PROGRAM).
 */
const SESSION = new Set(['set', 'reset', 'discard', 'copy']);
/** The statements a check may be: each only reads, and takes no lock beyond what a read takes. */
const READS = new Set(['select', 'with', 'values', 'table', 'show', 'explain']);
/**
 * Functions a READ ONLY transaction lets run whose effect outlives its ROLLBACK (other sessions
 * ended, replication slots and origins, WAL switched, configuration reloaded, statistics reset,
 * server files written, indexes summarized, locks held until the session ends), that reach another
 * server (dblink), that read server files (a key, a password file) into a summary, or that run SQL
 * given as text, which this check cannot read (query_to_xml, ts_stat, ts_rewrite). Prefixes end in `_`.
 */
const SIDE_EFFECTS = [
    'pg_terminate_backend', 'pg_cancel_backend', 'pg_reload_conf', 'pg_rotate_logfile', 'pg_logfile_rotate',
    'pg_switch_wal', 'pg_switch_xlog', 'pg_create_restore_point', 'pg_start_backup', 'pg_stop_backup', 'pg_backup_start', 'pg_backup_stop',
    'pg_promote', 'pg_wal_replay_', 'pg_xlog_replay_',
    'pg_create_physical_replication_slot', 'pg_create_logical_replication_slot', 'pg_drop_replication_slot',
    'pg_copy_physical_replication_slot', 'pg_copy_logical_replication_slot', 'pg_replication_slot_advance',
    'pg_logical_slot_', 'pg_logical_emit_message', 'pg_replication_origin_',
    'pg_stat_reset', 'pg_stat_reset_', 'pg_stat_statements_reset', 'pg_stat_clear_snapshot',
    'pg_advisory_lock', 'pg_advisory_lock_shared', 'pg_advisory_xact_lock', 'pg_advisory_xact_lock_shared', 'pg_try_advisory_',
    'pg_read_file', 'pg_read_binary_file', 'pg_file_', 'lo_import', 'lo_export',
    'brin_summarize_new_values', 'brin_summarize_range', 'brin_desummarize_range', 'gin_clean_pending_list',
    'dblink', 'dblink_', 'query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema', 'ts_stat', 'ts_rewrite',
];
const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * A call of one of them, named bare, schema-qualified or as a quoted identifier: also inside a
 * string, where a call may hide in SQL passed as text (a string that merely names one is refused too;
 * rename it in the check).
 */
const SIDE_EFFECT_CALL = new RegExp(`(?<![\\w$])"?(${SIDE_EFFECTS.map((n) => (n.endsWith('_') ? `${escapeRegex(n)}[\\w$]*` : escapeRegex(n))).join('|')})"?\\s*\\(`, 'i');
/** The query's first keyword, lower-cased (after comments and opening parentheses), or undefined. */
function firstKeyword(query) {
    const text = { text: query, standardConformingStrings: true };
    return /^[A-Za-z_]+/.exec(query.slice(codeStart(text)).replace(/^[(\s]+/, ''))?.[0]?.toLowerCase();
}
/**
 * Why the query cannot be an SQL check, or undefined when it may run. Never quotes the query. The
 * spec is read before any session exists, so the query is read with standard_conforming_strings on
 * and off: it is refused here only when it holds several statements either way (a backslash in a
 * '\u2026' string may be all that tells them apart), and otherwise left to the server, which refuses a
 * second statement in the probe's extended-protocol query. A function is looked for either way.
 */
function sqlStatementProblem(query) {
    const [conforming, legacy] = [true, false].map((standardConformingStrings) => splitStatements({ text: query, standardConformingStrings }));
    const statements = conforming.length <= legacy.length ? conforming : legacy;
    if (statements.length > 1) {
        return `must be exactly one SQL statement, and this has ${statements.length} (separated by ";"): a check runs one statement inside a read-only transaction`;
    }
    const statement = statements[0] ?? { text: '', standardConformingStrings: true };
    const word = /^[A-Za-z_]+/.exec(statement.text.slice(codeStart(statement)).replace(/^[(\s]+/, ''))?.[0]?.toLowerCase();
    if (word && (SESSION.has(word) || transactionControl(statement))) {
        return `${word.toUpperCase()} is not allowed: a check runs one statement inside a read-only transaction that rollback-kit opens and ends, and may not control the transaction or the session`;
    }
    if (word && !READS.has(word)) {
        return `${word.toUpperCase()} is not allowed: a check is one query that reads (SELECT, WITH, VALUES, TABLE, SHOW or EXPLAIN); a read-only transaction still lets some other statements lock tables or act on the server`;
    }
    for (const standardConformingStrings of [true, false]) {
        const text = { text: query, standardConformingStrings };
        // SELECT \u2026 INTO creates a table: the probe's cursor refuses it with a syntax error, which would
        // read as the service's answer rather than a mistake in the spec.
        if (/(?<![\w$])into(?![\w$])/i.test(blankSql(text, { quoted: true }))) {
            return 'may not hold INTO (SELECT \u2026 INTO creates a table, INSERT INTO writes one): a check only reads';
        }
        const call = SIDE_EFFECT_CALL.exec(blankSql(text, { quoted: false }))?.[1];
        if (call) {
            return `calls ${call.toLowerCase()}(), which is not allowed: its effect outlives the read-only transaction a check runs in, or it runs SQL the check cannot see (a check only reads)`;
        }
        // U&"\u2026" spells an identifier in escapes, which could name any function: a check has no need of it.
        if (/(?<![\w$])u&"/i.test(blankSql(text, { quoted: true }))) {
            return 'may not hold a Unicode-escaped identifier (U&"\u2026"): write the name as it is';
        }
    }
    return undefined;
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
/******/ var __webpack_exports__ = __nccwpck_require__(3240);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
