// The bundles are written in ASCII (scripts/ascii-only.mjs) so that V8 reads them as one-byte
// source at start-up. The rewrite must not change what any of the code means.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { asciiOnly } from '../../scripts/ascii-only.mjs';
import { ROOT } from '../helpers/run-action.js';

/** The value of `expression` after `code` runs, in a context of its own. */
const value = (code: string, expression: string): unknown => runInNewContext(`${code}\n;(${expression})`);

// Any UTF-16 unit past ASCII, surrogates included.
const isAscii = (s: string) => !/[\u0080-\uffff]/.test(s);

describe('asciiOnly', () => {
  it.each([
    ['a string', "const v = 'x—y…';", 'v'],
    ['a template', 'const v = `t…${1 + 1}—`;', 'v'],
    ['a regular expression, without and with u', 'const v = [/[–—]/.test("a—b"), /—/u.test("—"), /😀/u.test("😀"), /^.$/u.test("😀")];', 'v'],
    ['a needless backslash before the character', "const v = ['\\—', /\\—/.test('—')];", 'v'],
    ['a character beyond the BMP', "const v = '😀'.codePointAt(0);", 'v'],
    ['an identifier', 'const café = 2; const v = café * 2;', 'v'],
    ['a line separator in a string', "const v = 'a\u2028b'.length;", 'v'],
    ['a no-break space between tokens', 'const v =\u00a0[1,\u00a02].length;', 'v'],
    ['a line separator ending a // comment', '// a comment —\u2028const v = 3;', 'v'],
    ['a character beyond the BMP in an identifier', 'const 𝑥 = 4; const v = 𝑥 + 1;', 'v'],
    ['a line continuation by a line separator in a string', "const v = 'a\\\u2028b';", 'v'],
  ])('keeps the meaning of %s', (_what, code, expression) => {
    const { code: out, kept } = asciiOnly(code);
    expect(isAscii(out), out).toBe(true);
    expect(kept).toBe(0);
    expect(value(out, expression)).toEqual(value(code, expression));
  });

  it('leaves the text of a tagged template as written (String.raw reads it), and reads the expressions inside it', () => {
    const code = "const v = String.raw`—${'…'}—`;";
    const { code: out, kept } = asciiOnly(code);
    expect(kept).toBe(2);
    expect(out).toBe("const v = String.raw`—${'\\u2026'}—`;");
    expect(value(out, 'v')).toBe('—…—');
  });

  it('returns ASCII code as it is', () => {
    const code = 'const v = "plain";';
    expect(asciiOnly(code)).toEqual({ code, kept: 0 });
  });
});

describe('dist/', () => {
  const scripts = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? scripts(join(dir, e.name)) : /\.[cm]?js$/.test(e.name) ? [join(dir, e.name)] : []));

  it('holds its JavaScript in ASCII, but for the text of tagged templates (npm run build)', () => {
    const files = scripts(join(ROOT, 'dist'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const code = readFileSync(file, 'utf8');
      if (isAscii(code)) continue;
      expect(asciiOnly(code, file).code === code, `${file.slice(ROOT.length + 1)} has non-ASCII characters outside tagged templates: run npm run build`).toBe(true);
    }
  });
});
