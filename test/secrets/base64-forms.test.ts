// A registered secret inside base64 text, at each of the three places it can start in a 3-byte
// group, in both alphabets; and secrets of any length redacted without a regular expression.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { base64Forms, MIN_BASE64_CORE, SecretSet } from '../../src/core/secrets.js';

const TOKEN = 'tok_SECRET_rev1ew_XYZ';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const b64url = (s: string) => Buffer.from(s).toString('base64url');

function set(...values: string[]): SecretSet {
  const secrets = new SecretSet();
  for (const v of values) secrets.add(v, 'declared');
  return secrets;
}

describe('base64 forms of a strong secret', () => {
  it('are redacted at offsets 0, 1 and 2, in the standard and URL-safe alphabets', () => {
    const secrets = set(TOKEN);
    // Prefixes of 0, 1, 2 bytes (mod 3), and text after the secret that changes its last characters.
    for (const prefix of ['', 'a', 'ab', 'abc', 'Bearer ', 'Basic:', 'user:']) {
      for (const suffix of ['', '!', '\n??', '~~~>>>']) {
        for (const encoded of [b64(prefix + TOKEN + suffix), b64url(prefix + TOKEN + suffix)]) {
          const shown = secrets.redact(`b64=${encoded} end`);
          expect(shown, `${prefix}|${suffix}`).toContain('***');
          // What is left around *** is at most the characters mixed with the prefix or suffix.
          const [before, after] = shown.slice(4, -4).split('***');
          expect(before!.length, `${prefix}|${suffix}`).toBeLessThanOrEqual(Math.ceil((prefix.length * 8) / 6) + 1);
          expect(after!.length, `${prefix}|${suffix}`).toBeLessThanOrEqual(Math.ceil(((suffix.length + 1) * 8) / 6) + 2);
        }
      }
    }
  });

  it('covers Bearer and Basic headers encoded whole, and `printf %s "$TOKEN" | base64`', () => {
    const secrets = set(TOKEN);
    expect(secrets.redact(`b64=${b64(`Bearer ${TOKEN}`)}`)).not.toContain('VEVDUkVU');
    // "Bearer " is 7 bytes: the token starts 1 byte into a group, so 10 characters mix with the prefix.
    expect(secrets.redact('b64=QmVhcmVyIHRva19TRUNSRVRfcmV2MWV3X1hZWg==')).toBe('b64=QmVhcmVyIH***g==');
    expect(secrets.redact('dG9rX1NFQ1JFVF9yZXYxZXdfWFla')).toBe('***');
    for (const user of ['x', 'xy', 'xyz', 'deploy-bot']) expect(secrets.redact(b64(`${user}:${TOKEN}`))).toContain('***');
  });

  it('a piece shorter than MIN_BASE64_CORE is not registered; weak values get no base64 forms', () => {
    expect(MIN_BASE64_CORE).toBe(8);
    // 6 bytes: 8 characters at offset 0; at offsets 1 and 2 only 7, too few to tell from chance.
    expect(base64Forms('abcdef')).toEqual([b64('abcdef')]);
    for (const form of base64Forms('x'.repeat(40))) expect(form.length).toBeGreaterThanOrEqual(MIN_BASE64_CORE);
    const secrets = new SecretSet();
    secrets.add('pw', 'declared');
    expect(secrets.redact(`${b64('pw')} ${b64('pwpwpw')}`)).toBe(`${b64('pw')} ${b64('pwpwpw')}`);
  });

  it('are masked by the runner too', () => {
    const maskable = new SecretSet().add(TOKEN, 'declared')!.maskable;
    expect(maskable).toEqual([TOKEN, ...base64Forms(TOKEN)]);
    expect(maskable).toContain('dG9rX1NFQ1JFVF9yZXYxZXdfWFla');
  });
});

describe('secrets of any length', () => {
  it('a 40,000-character secret is redacted, with every other one, and no regular expression fails', () => {
    const long = `postgres://postgres:pw_SECRET_rev1ew@127.0.0.1:5432/${'d'.repeat(40_000)}`;
    const secrets = set(long, TOKEN, 'pw');
    const text = `url=${long} token=${TOKEN} b64=${b64(long)} enc=${encodeURIComponent(long)} password=pw pwd`;
    // At most the one character mixed with the padding is left after the base64 form's ***.
    expect(secrets.redact(text)).toMatch(/^url=\*\*\* token=\*\*\* b64=\*\*\*[A-Za-z0-9+/]?=* enc=\*\*\* password=\*\*\* pwd$/);
    for (const n of [32_000, 100_000]) expect(set('s'.repeat(n)).redact(`<${'s'.repeat(n)}>`)).toBe('<***>');
  });

  it('overlapping secrets leave no piece of either; weak ones only as whole words', () => {
    const secrets = set('abcdef12', 'ef12345x', 'käse');
    expect(secrets.redact('abcdef12345x!')).toBe('***!');
    expect(secrets.redact('abcdef12 ef12345x')).toBe('*** ***');
    // Letters of any script count as a word's: the weak value inside a longer word stays.
    expect(secrets.redact('käse, Käsekäse, ékäse, käse1, (käse)')).toBe('***, Käsekäse, ékäse, käse1, (***)');
  });
});

describe('base64 forms wrapped over lines', () => {
  // 100 bytes: a form of 133 characters, over two or three lines at any wrap.
  const LONG = `Lng_${'k9Xq2'.repeat(19)}_end`;
  /** `text` cut into lines of `width` characters, as MIME and `base64` (76) and PEM (64) print it. */
  const wrap = (text: string, width: number, eol: string) => text.match(new RegExp(`.{1,${width}}`, 'g'))!.join(eol);

  it('are redacted whatever column the wrap falls at, at each offset, with \\n and \\r\\n', () => {
    const secrets = set(LONG);
    for (const width of [76, 64]) {
      for (const eol of ['\n', '\r\n']) {
        // Prefixes of 0 to 60 bytes move the form through every column and every offset in a group.
        for (let p = 0; p <= 60; p++) {
          const prefix = 'p'.repeat(p);
          const full = b64(`${prefix}${LONG}!`);
          const shown = secrets.redact(`body:\n${wrap(full, width, eol)}\nend`);
          const where = `${width}|${JSON.stringify(eol)}|${p}`;
          expect(shown.startsWith('body:\n') && shown.endsWith('\nend'), where).toBe(true);
          // Each line keeps its break; what is left around the ***s is only what mixes with the prefix or suffix.
          const lines = shown.slice(6, -4).split(eol);
          expect(lines.length, where).toBe(Math.ceil(full.length / width));
          const joined = lines.join('');
          expect(joined, where).toMatch(/^[A-Za-z0-9+/]*(?:\*\*\*)+[A-Za-z0-9+/=]*$/);
          const before = joined.indexOf('***');
          const after = joined.length - joined.lastIndexOf('***') - 3;
          expect(before, where).toBeLessThanOrEqual(Math.ceil((8 * p) / 6));
          expect(after, where).toBeLessThanOrEqual(full.length - Math.floor((8 * (p + LONG.length)) / 6));
        }
      }
    }
  });

  it('are redacted line by line too (wrappedLines), as a program\'s output is read', () => {
    const secrets = set(LONG);
    for (const width of [76, 64]) {
      for (const eol of ['\n', '\r\n']) {
        for (let p = 0; p <= 60; p++) {
          const full = b64(`${'p'.repeat(p)}${LONG}!`);
          const filter = secrets.wrappedLines();
          const lines = ['body:', ...wrap(full, width, eol).split('\n'), 'end'].map((line) => filter(secrets.redact(line)));
          const where = `${width}|${JSON.stringify(eol)}|${p}`;
          expect([lines[0], lines.at(-1)], where).toEqual(['body:', 'end']);
          const joined = lines.slice(1, -1).join('').replace(/\r/g, '');
          expect(joined, where).toMatch(/^[A-Za-z0-9+/]*(?:\*\*\*)+[A-Za-z0-9+/=]*$/);
          // Where a line ends 1 to 3 characters into a piece, those stay (WRAP_MATCH - 1).
          expect(joined.indexOf('***'), where).toBeLessThanOrEqual(Math.ceil((8 * p) / 6) + 3);
          expect(joined.length - joined.lastIndexOf('***') - 3, where).toBeLessThanOrEqual(full.length - Math.floor((8 * (p + LONG.length)) / 6));
        }
      }
    }
  });

  it('line by line, leaves other lines alone: a hash, prose, base64 that is not wrapped', () => {
    const secrets = set(LONG);
    const filter = secrets.wrappedLines();
    const form = base64Forms(LONG)[0]!;
    // A line that only ends like a form begins (fewer than 8 characters), but is no full-width base64 line.
    const lines = ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'status: ok', `short ${form.slice(0, 5)}`, 'rows: 3'];
    for (const line of lines) expect(filter(line)).toBe(line);
  });

  it('leaves wrapped base64 without the secret, and line breaks between other words, as they are', () => {
    const secrets = set(LONG);
    const other = wrap(b64('x'.repeat(200)), 76, '\n');
    expect(secrets.redact(other)).toBe(other);
    expect(secrets.redact('status: ok\nrows: 3\r\ndone')).toBe('status: ok\nrows: 3\r\ndone');
  });

  it('line by line, a repeating secret\'s base64 over 900 lines: every line hidden, each character read once per piece', () => {
    const periodic = 'x'.repeat(300);
    const secrets = set(periodic);
    const filter = secrets.wrappedLines();
    const lines = wrap(b64(periodic.repeat(170)), 76, '\n').split('\n');
    const shown = lines.map((line) => filter(secrets.redact(line)));
    expect(shown.slice(1, -1).every((line) => /^(?:\*\*\*)+$/.test(line))).toBe(true);
  });

  it('line by line, leaves random full-width base64 lines whole: 10 secrets, 4,000 lines, a few tails hidden at most', () => {
    // Deterministic pseudo-random bytes: a SHA-512 chain from a fixed seed.
    let state = createHash('sha512').update('wrapped-lines false rate').digest();
    const next = () => (state = createHash('sha512').update(state).digest());
    const secrets = set(...Array.from({ length: 10 }, () => `sk_${next().toString('base64url').slice(0, 40)}`));
    const dump = Array.from({ length: 4000 }, () => Buffer.concat([next(), next()]).toString('base64').slice(0, 76));
    for (const width of [76, 64]) {
      const filter = secrets.wrappedLines();
      const hidden = dump.filter((line) => filter(secrets.redact(line.slice(0, width))) !== line.slice(0, width)).length;
      // About 60 pieces, each a chance of 64^-WRAP_MATCH per line: a few in a million lines.
      expect(hidden, `${width}`).toBeLessThanOrEqual(1);
    }
  });

  it('reads a long text of many short lines once per form (200,000 lines)', () => {
    const secrets = set(LONG, TOKEN);
    const text = `${'QUJD\n'.repeat(200_000)}${wrap(b64(LONG), 64, '\n')}`;
    expect(secrets.redact(text)).toMatch(/QUJD\n\*\*\*\n\*\*\*\n\*\*\*[A-Za-z0-9+/=]*$/);
  });
});

describe('a program\'s output read line by line (Log.programLines)', () => {
  const LONG = `Lng_${'k9Xq2'.repeat(19)}_end`;
  const wrap = (text: string, width: number, eol: string) => text.match(new RegExp(`.{1,${width}}`, 'g'))!.join(eol);

  it('hides a registered secret\'s base64 that the program printed wrapped', () => {
    const log = memoryLog();
    log.secret(LONG);
    const read = log.programLines();
    const printed = wrap(b64(`Bearer ${LONG}`), 76, '\n').split('\n');
    expect(printed.length).toBeGreaterThan(1);
    for (const line of printed) read(line);
    const shown = log.lines.join('\n');
    // No line shows more of the encoded secret than the 8 characters a piece may leave.
    for (const piece of base64Forms(LONG)) for (let i = 0; i + 12 <= piece.length; i++) expect(shown).not.toContain(piece.slice(i, i + 12));
    expect(shown).toContain('***');
  });
});
