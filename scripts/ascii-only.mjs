// Writes a bundle's non-ASCII characters as \uXXXX escapes. One non-ASCII character (an ellipsis in a
// message, a dash in a comment) makes V8 hold the whole source as a two-byte string: decoding the
// file and scanning it at start-up then take longer than for the same bundle in ASCII (measured in
// BENCHMARKS.md, "ASCII-only bundles"). Every action pays that start on every step.
//
// The escape means the same character wherever the character can stand in JavaScript: in a string,
// a template's cooked text, a regular expression (with or without the u flag; a surrogate pair
// written as two escapes is one code point under u), an identifier, a comment. The exception is a
// tagged template, whose tag can read the raw text (String.raw): its characters are left as they
// are. A character written with a needless backslash (`\—`, which means `—`) has the backslash
// dropped, or `\\u2014` would read as a backslash and "u2014".
import ts from 'typescript';

/** Whitespace and line terminators beyond ASCII: outside a literal they separate tokens, and an escape there would not. */
const SPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]/;
const LINE_END = /[\u2028\u2029]/;

/**
 * Where in `code` the literals are (strings, templates' text, regular expressions), as [start, end)
 * ranges in order, and which of them belong to tagged templates (`raw`: left as written).
 */
function literalRanges(code, fileName) {
  const source = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const literals = [];
  // forEachChild stops at a callback's first truthy result: visit returns nothing.
  const add = (node, raw) => {
    literals.push({ start: node.getStart(source), end: node.end, raw });
  };
  const visit = (node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node) || ts.isRegularExpressionLiteral(node)) {
      add(node, false);
      return;
    }
    if (!ts.isTaggedTemplateExpression(node)) {
      ts.forEachChild(node, visit);
      return;
    }
    // The tag reads its template's text raw; an expression inside it (`${…}`) is read as usual.
    visit(node.tag);
    const template = node.template;
    if (ts.isNoSubstitutionTemplateLiteral(template)) {
      add(template, true);
      return;
    }
    add(template.head, true);
    for (const span of template.templateSpans) {
      visit(span.expression);
      add(span.literal, true);
    }
  };
  visit(source);
  return literals.sort((a, b) => a.start - b.start);
}

const hex4 = (unit) => `\\u${unit.toString(16).padStart(4, '0')}`;

/**
 * `code` with every non-ASCII UTF-16 unit outside a tagged template's text written in ASCII.
 * `kept`: how many were left (inside tagged templates).
 */
export function asciiOnly(code, fileName = 'bundle.js') {
  // Any UTF-16 unit past ASCII, surrogates included.
  if (!/[\u0080-\uffff]/.test(code)) return { code, kept: 0 };
  const literals = literalRanges(code, fileName);
  let out = '';
  let from = 0;
  let kept = 0;
  let r = 0;
  for (let i = 0; i < code.length; i++) {
    const unit = code.charCodeAt(i);
    if (unit < 0x80) continue;
    while (r < literals.length && literals[r].end <= i) r++;
    const literal = r < literals.length && literals[r].start <= i ? literals[r] : undefined;
    if (literal?.raw) {
      kept++;
      continue;
    }
    const char = code[i];
    if (!literal && (SPACE.test(char) || LINE_END.test(char))) {
      // Between tokens, or in a comment (where a line terminator ends a // comment, as \n does).
      out += code.slice(from, i) + (LINE_END.test(char) ? '\n' : ' ');
      from = i + 1;
      continue;
    }
    let slashes = 0;
    while (i - slashes - 1 >= from && code.charCodeAt(i - slashes - 1) === 0x5c) slashes++;
    const escaped = slashes % 2 === 1;
    // A backslash before a line terminator in a literal continues the line: both mean nothing.
    if (literal && escaped && LINE_END.test(char)) {
      out += code.slice(from, i - 1);
      from = i + 1;
      continue;
    }
    // Outside a literal (an identifier), a character beyond the BMP needs one \u{…} escape: an
    // identifier takes no surrogate pair written as two.
    const point = code.codePointAt(i);
    const astral = !literal && point > 0xffff;
    // An odd run of backslashes escapes this character: the escape replaces that backslash.
    out += code.slice(from, escaped ? i - 1 : i) + (astral ? `\\u{${point.toString(16)}}` : hex4(unit));
    from = astral ? i + 2 : i + 1;
    if (astral) i++;
  }
  return { code: out + code.slice(from), kept };
}
