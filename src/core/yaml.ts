/**
 * YAML that people write for us (smoke-test's check spec, the rollback plan), read in one place so
 * every reader gets the same guarantees: syntax errors as a line and a fixed description that never
 * quotes the text (it may be a file that holds secrets), a tab in the indentation named as such, and
 * aliases (`*name`) allowed as freely as a spec needs but not as an alias bomb ("billion laughs"):
 * the size the document would have with every alias written out is measured before anything is
 * expanded, so the time and memory a document can take are bounded by its own length.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type ErrorCode, type YAMLError } from 'yaml';
import { decimalNumber } from './parse.js';

/** Characters (and one per node) a document may grow by through its aliases. */
export const MAX_ALIAS_EXPANSION = 1_000_000;

/** Where a value is in a document: map keys and list indexes from the top. */
export type YamlPath = (string | number)[];

export interface YamlProblem {
  line: number;
  message: string;
}

export interface YamlDocument {
  /** The document's value as plain JavaScript (maps are objects; aliases shared, never cyclic). */
  value: unknown;
  doc: Document;
  lines: LineCounter;
}

/** The document could not be read: each problem has its line, none quotes the text. */
export class YamlError extends Error {
  constructor(readonly problems: YamlProblem[]) {
    super(problems.map((p) => `line ${p.line}: ${p.message}`).join('; '));
    this.name = 'YamlError';
  }
}

/** The yaml library's messages quote the text for some codes; these say the same without it. */
const DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
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

export function readYaml(text: string): YamlDocument {
  const lines = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  } catch (err) {
    throw err instanceof RangeError ? new YamlError([{ line: 1, message: 'invalid YAML: it is nested too deeply' }]) : err;
  }
  if (doc.errors.length) {
    // The YAML library's words for a tab ("Unexpected scalar at node end", "map-value-ind token")
    // name no cause; a tab in the indentation is the usual one, so say that instead.
    const tabs = tabIndentedLines(text);
    if (tabs.length) throw new YamlError(tabs.map((line) => ({ line, message: DESCRIPTIONS.TAB_AS_INDENT! })));
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
function unclosedFlow(e: YAMLError, doc: Document, lines: LineCounter, text: string): YamlProblem | undefined {
  // The library's own words only tell this fault from another BAD_INDENT; they are never shown.
  const kind = e.code === 'BAD_INDENT' ? /^Flow (sequence|map) in block collection/.exec(e.message)?.[1] : undefined;
  if (!kind) return undefined;
  let opened: number | undefined;
  visit(doc, {
    Collection(_, node) {
      // The outermost unclosed one: it ends where the library gave up.
      if (node.flow && node.range?.[1] === e.pos[0] && (opened === undefined || node.range[0] < opened)) opened = node.range[0];
    },
  });
  if (opened === undefined) return undefined;
  const [open, close] = kind === 'sequence' ? ['[', ']'] : ['{', '}'];
  const line = lines.linePos(opened).line;
  if (!text.slice(e.pos[0]).trim()) return { line, message: `the ${open} is never closed: add the ${close} that ends it` };
  return {
    line,
    message: `the ${open} is not closed before line ${lines.linePos(e.pos[0]).line}: add the ${close} that ends it, or indent the lines inside it further than the line it starts on`,
  };
}

/** What a number written as 0x10 or 1e1 is told: the same words in every file we read. */
export const PLAIN_DECIMALS = 'written in plain decimals (10, not 0xA or 1e1)';

/**
 * A number YAML read, as its author wrote it: plain decimals only (`10`, `2.5`), as every input is
 * read (core/parse.ts). YAML's core schema also reads `0x10`, `0o7`, `1e1` and `.inf` as numbers,
 * which the value alone cannot tell from 16, 7, 10 and Infinity, so the scalar's own text is read.
 * NaN when it is not a plain decimal. Aliases (`*name`) are followed to the scalar they name.
 */
export function writtenNumber(doc: Document, path: YamlPath, value: number): number {
  const node = nodeAt(doc, path);
  return decimalNumber(isScalar(node) && typeof node.source === 'string' ? node.source : String(value));
}

/** The node at `path`, through aliases (`doc.getIn` stops at one). */
function nodeAt(doc: Document, path: YamlPath): unknown {
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) node = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === seg)?.value;
    else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return undefined;
  }
  return isAlias(node) ? node.resolve(doc) : node;
}

/** 1-based numbers of the lines whose indentation (the whitespace before the first character) holds a tab. */
function tabIndentedLines(text: string): number[] {
  const out: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const indent = /^[ \t]*/.exec(line)![0];
    if (indent.includes('\t') && indent.length < line.length) out.push(i + 1);
  });
  return out;
}

/** The size of the document with its aliases written out, each anchored node measured once. */
class AliasExpansion {
  private readonly sizes = new Map<unknown, number>();
  private readonly open = new Set<unknown>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly limit: number,
  ) {}

  measure(): void {
    try {
      this.size(this.doc.contents);
    } catch (err) {
      throw err instanceof RangeError ? new YamlError([{ line: 1, message: 'invalid YAML: it is nested too deeply' }]) : err;
    }
  }

  private size(node: unknown): number {
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) return 1;
      if (this.open.has(target)) this.fail(node, 'an alias (*name) refers to a value that contains it, so it has no end');
      let size = this.sizes.get(target);
      if (size === undefined) {
        this.open.add(target);
        size = this.size(target);
        this.open.delete(target);
        this.sizes.set(target, size);
      }
      return this.add(node, 1, size);
    }
    if (isScalar(node)) return 1 + String(node.value ?? '').length;
    if (isPair(node)) return this.add(node.key, this.size(node.key), this.size(node.value));
    if (isMap(node) || isSeq(node)) {
      let total = 1;
      for (const item of node.items) total = this.add(node, total, this.size(item));
      return total;
    }
    return 1;
  }

  private add(node: unknown, a: number, b: number): number {
    if (a + b > this.limit) {
      this.fail(node, `its aliases (*name) would expand it to more than ${this.limit.toLocaleString('en-US')} characters: an alias bomb, or aliases nested inside aliases; write the values out or use fewer levels of aliases`);
    }
    return a + b;
  }

  private fail(node: unknown, message: string): never {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    throw new YamlError([{ line: range ? this.lines.linePos(range[0]).line : 1, message: `invalid YAML: ${message}` }]);
  }
}
