// Expressions over short outside text (a Link header, a secret's value, a SET statement) read it in
// linear time. Each input here is one its earlier expression backtracked over for minutes (n²
// steps); the assertions are on the results only.
import { describe, expect, it } from 'vitest';
import { secretStrength } from '../../src/core/secrets.js';
import { hideKnownTokens, sqlWriteLines } from '../../src/core/token-shapes.js';
import { splitStatements } from '../../src/migrations/sql-split.js';
import { nextPageLink } from '../../src/report/incident.js';
import { redactMarkdown } from '../../src/report/markdown.js';

describe('nextPageLink', () => {
  const base = new URL('https://api.github.com/');

  it('finds the next page after a run of "<" (400,000 of them)', () => {
    const link = `${'<'.repeat(400_000)}<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=9>; rel="last"`;
    expect(nextPageLink(link, base)).toBe('https://api.github.com/repositories/1/issues?page=2');
    expect(nextPageLink('<'.repeat(400_000), base)).toBeUndefined();
  });

  it('reads a usual header as before: the next page on the API, nothing elsewhere', () => {
    expect(nextPageLink('<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=3>; rel="next"', base)).toBe('https://api.github.com/x?page=3');
    expect(nextPageLink('<https://elsewhere.example/x?page=3>; rel="next"', base)).toBeUndefined();
    expect(nextPageLink(null, base)).toBeUndefined();
  });
});

describe('secretStrength', () => {
  it('a long run of digits that is not a number (300,000 and a letter) is strong; numbers are weak', () => {
    expect(secretStrength(`${'1'.repeat(300_000)}x`)).toBe('strong');
    expect(secretStrength('1'.repeat(300_000))).toBe('weak');
    for (const n of ['123456', '-12.5e10', '.5000000', '1234.', '+1e-7000']) expect(secretStrength(n), n).toBe('weak');
    for (const s of ['1234.5.6', '123456e', '1_000_000', '0x1234ab']) expect(secretStrength(s), s).toBe('strong');
  });
});

describe('SET standard_conforming_strings', () => {
  it('a value with a long run of white space inside (8,000 such statements) is no value, and a good SET still counts', () => {
    // Each statement is under the 4,096 characters the lexer reads a SET from.
    const odd = `SET standard_conforming_strings = o${' '.repeat(4000)}ff;\n`.repeat(8000);
    const statements = splitStatements({ text: `${odd}SELECT 'a\\';\nSET standard_conforming_strings = off;\nSELECT 'b\\';c';`, standardConformingStrings: true });
    // "o   …   ff" is not a boolean: the setting stays on, and 'a\' is a whole string.
    expect(statements.at(-3)).toMatchObject({ text: "SELECT 'a\\'", standardConformingStrings: true });
    // Turned off: the backslash escapes the quote, and the ; inside the string ends nothing.
    expect(statements.at(-1)).toMatchObject({ text: "SELECT 'b\\';c'", standardConformingStrings: false });
    expect(statements).toHaveLength(8003);
  });
});

describe('hideKnownTokens', () => {
  it('long runs of what each shape starts or repeats with (300,000 characters each) are read through, not backtracked over', () => {
    const runs = [
      'ghp_'.repeat(75_000),
      'github_pat_'.repeat(30_000),
      'xoxb-'.repeat(60_000),
      'AKIA'.repeat(75_000),
      'eyJ.'.repeat(75_000),
      `eyJa.eyJb${'.eyJ'.repeat(75_000)}`,
      'authorization: '.repeat(20_000),
      'Bearer '.repeat(40_000),
      `Basic ${'A'.repeat(300_001)}`,
      `${'A_'.repeat(150_000)}TOKEN`,
      '://a:'.repeat(60_000),
      `://${'a'.repeat(300_000)}:`,
      // A name and its value, in each form a name can be written.
      'token: '.repeat(40_000),
      'password='.repeat(30_000),
      'a=a='.repeat(75_000),
      '"token":"'.repeat(30_000),
      `"body":"${'\\"x\\":\\"'.repeat(30_000)}`,
      `{"a":"${'\\"'.repeat(150_000)}`,
      `${'x'.repeat(300_000)}: `,
      `Bearer: ${'Bearer '.repeat(40_000)}`,
      `https://hooks.slack.com/services/${'/'.repeat(300_000)}`,
      // `--name value`, SQL's PASSWORD '…', and `name: a&b`.
      '--token '.repeat(40_000),
      `--token ${' '.repeat(300_000)}-`,
      `--token "${"--token '".repeat(30_000)}`,
      "PASSWORD '".repeat(30_000),
      "PASSWORD ''".repeat(30_000),
      `PASSWORD '${"''".repeat(150_000)}`,
      'token: a&'.repeat(40_000),
      `token: ${'&'.repeat(300_000)}`,
            // A URL's parameters: each `?` once started a name that ran to the end.
      `https://x/${'?'.repeat(300_000)}`,
      // Cookie headers, curl -u, token prefixes, a DSN key, XML, `=>`, PEM blocks (review3 H1).
      'Cookie: '.repeat(40_000),
      `Set-Cookie: ${'a'.repeat(300_000)}`,
      '-u '.repeat(100_000),
      `-u ${'a'.repeat(300_000)}`,
      `--user ${'a:'.repeat(150_000)}`,
      `--user "${'a'.repeat(300_000)}`,
      `-u "a:${'b '.repeat(150_000)}`,
      'sk_live_'.repeat(40_000),
      'npm_'.repeat(75_000),
      'HRKU-'.repeat(60_000),
      `://${'0'.repeat(300_000)}@`,
      '<password>'.repeat(30_000),
      `<password>${'a'.repeat(300_000)}`,
      'password => '.repeat(25_000),
      '-----BEGIN PRIVATE KEY-----'.repeat(10_000),
      `-----BEGIN ${' '.repeat(300_000)}PRIVATE KEY-----`,
      '-----BEGIN RSA PRIVATE KEY-----xyz-----END RSA PRIVATE KEY-----'.repeat(5_000),
      `secret: 333 ${'a'.repeat(300_000)}`,
      'token: 333 '.repeat(30_000),
      // Bearer's challenge parameters and prose words, a scheme with no credential.
      'Bearer realm='.repeat(25_000),
      `Bearer ${'a'.repeat(300_000)}=`,
      'Authorization: Bearer '.repeat(15_000),
      // Cookie pairs, in each way a cookie is named.
      'cookie:'.repeat(40_000),
      'cookie '.repeat(40_000),
      `cookie: a=${'; b'.repeat(100_000)}`,
      `cookie: a=1${', b'.repeat(100_000)}`,
      'cookie=a=;'.repeat(30_000),
      '-b a'.repeat(75_000),
      `Cookie header: ${'a'.repeat(300_000)}`,
      // SQL that writes a secret: heads, rows, brackets, quotes and white space.
      'insert into t ('.repeat(20_000),
      "insert into api_keys (key) values ('".repeat(8_000),
      `insert into api_keys (name, key) values ${'(1, 2), '.repeat(30_000)}`,
      `insert into api_keys (key) values (${'('.repeat(300_000)}`,
      `insert into api_keys (key) values ('${"''".repeat(150_000)}`,
      `insert into api_keys (key) values (E'${'\\\''.repeat(100_000)}`,
      `insert into api_keys (key) values (${"E'\\', ".repeat(40_000)}`,
      `update api_keys set key = 1${' '.repeat(300_000)}where`,
      `update api_keys set ${'key = 1, '.repeat(30_000)}`,
      'update t set '.repeat(25_000),
      // A URL percent-encoded in a query value, once and more.
      `https://x/?next=${'%253A%252F%252Fa%253A'.repeat(15_000)}`,
      `https://x/?next=${'%3A%2F%2Fa%3A'.repeat(20_000)}`,
      `https://x/?next=${'%3Fa'.repeat(75_000)}`,
      `https://x/?next=${'%26token%3D'.repeat(25_000)}`,
      `https://x/?next=${'%'.repeat(300_000)}`,
      // Clients' short password options, a single-quoted value's escapes, `_pass`.
      `mysql ${'-p'.repeat(150_000)}`,
      `mysql -p'${'-p'.repeat(150_000)}`,
      `redis-cli ${'-a '.repeat(100_000)}`,
      'redis-cli -a '.repeat(25_000),
      `valkey-cli ${'-a '.repeat(100_000)}`,
      `ldapsearch ${'-w'.repeat(150_000)}`,
      'ldapwhoami -w '.repeat(20_000),
      `ldappasswd ${'-s -a '.repeat(50_000)}`,
      `password='${'\\\''.repeat(100_000)}`,
      'db_pass='.repeat(35_000),
      // Authorization schemes, token prefixes, `config set`, .pgpass lines, a value that is a name and a value.
      'Authorization: Negotiate '.repeat(12_000),
      'glpat-'.repeat(50_000),
      'sk-proj-'.repeat(37_000),
      'sk-'.repeat(100_000),
      'SG.'.repeat(100_000),
      `SG.${'a'.repeat(300_000)}`,
      'hvs.'.repeat(75_000),
      'pypi-AgE'.repeat(37_000),
      'dop_v1_'.repeat(42_000),
      `git config ${'--a '.repeat(75_000)}`,
      `git config${' -a'.repeat(100_000)}\n`,
      'config set '.repeat(27_000),
      `${'a:1:b:c:'.repeat(37_000)}`,
      `a:1:b:c${':'.repeat(300_000)}`,
      'docker login -p '.repeat(18_000),
      `--from-literal=${'a='.repeat(150_000)}`,
      // A percent-encoded URL outside any URL.
      '%3A%2F%2F'.repeat(33_000),
      `%${'25'.repeat(150_000)}3A`,
      'a%3A%2F%2F '.repeat(27_000),
      `x=https%3A%2F%2F${'%3Fa%3D'.repeat(40_000)}`,
      // Set-Cookie lists, curl's -H before a name.
      'set-cookie:['.repeat(25_000),
      `set-cookie:[${'"a=b",'.repeat(50_000)}`,
      '-H "token:ab'.repeat(25_000),
      // One-dash long options, OpenSSL's pass:, Google's ya29., sqlcmd's -P.
      '-storepass '.repeat(27_000),
      `-password ${'-'.repeat(300_000)}`,
      '-passin pass:'.repeat(23_000),
      'ya29.'.repeat(60_000),
      'sqlcmd -P '.repeat(30_000),
    ];
    for (const text of runs) expect(hideKnownTokens(text).length, text.slice(0, 20)).toBeLessThanOrEqual(text.length);
    expect(hideKnownTokens(`${'A_'.repeat(150_000)}TOKEN=abcdefgh1`)).toMatch(/TOKEN=\*\*\*$/);
    expect(hideKnownTokens(`${'a_'.repeat(150_000)}password: Pw_1`)).toMatch(/password: \*\*\*$/);
    expect(hideKnownTokens(`https://x/${'?'.repeat(300_000)}token=Tok_1`)).toMatch(/\?token=\*\*\*$/);
    expect(hideKnownTokens(`${'-----BEGIN PRIVATE KEY-----'.repeat(10_000)}\nMIIE`)).toMatch(/-----\*\*\*$/);
    expect(hideKnownTokens(`${'Cookie: '.repeat(40_000)}sid=Ck_1`)).toMatch(/Cookie: \*\*\*$/);
    expect(hideKnownTokens(`${'cookie '.repeat(40_000)}sid=Ck_1 ok`)).toMatch(/cookie \*\*\* ok$/);
  });
});

describe('hideKnownTokens, the forms added for the redactor\'s gaps', () => {
  it('reads long adversarial runs (100,000 characters and more) through, and still finds what ends them', () => {
    const ghpBody = 'Ab3dE'.repeat(7);
    const cases: [string, RegExp][] = [
      // Digest's params before `response=`, and runs that never reach one.
      [`Authorization: Digest username="u", ${'a=b, '.repeat(60_000)}response="6629fae4"`, /, response="\*\*\*"$/],
      [`digest ${'a=b'.repeat(100_000)}, response=6629fae4`, /response=\*\*\*$/],
      [`digest a=${'x'.repeat(300_000)} response=1`, /x response=1$/],
      [`digest a="${'\\"'.repeat(150_000)} response=1`, /response=1$/],
      ['digest '.repeat(50_000), /digest $/],
      [`Signature=${'a'.repeat(300_000)}`, /^Signature=\*\*\*$/],
      // Cookie pairs with spaces around `=`, and a Set-Cookie list of one long name (was n²).
      [`Cookie: a${' '.repeat(300_000)}= b`, /^Cookie: \*\*\*$/],
      [`Cookie: ${'a '.repeat(150_000)}`, /a $/],
      [`cookie: a =${'; b = '.repeat(50_000)}c`, /^cookie: \*\*\*$/],
      [`set-cookie:[${'a'.repeat(300_000)}`, /a$/],
      [`set-cookie:[${'a '.repeat(150_000)}"b = c"]`, /"\*\*\*"]$/],
      // Tokens glued to what follows them.
      [`ghp_${ghpBody}${'.a'.repeat(150_000)}`, /^ghp_\*\*\*$/],
      [`ghp_${ghpBody}${'ghp_'.repeat(75_000)}`, /^ghp_\*\*\*$/],
      [`${'AKIAIOSFODNN7EXAMPLE'.repeat(15_000)}`, /^AKIA\*\*\*$/],
      ['.a'.repeat(150_000), /\.a$/],
      // INSERTs without a column list, dollar quotes.
      [`insert into users values ${"('a', $$b$$), ".repeat(20_000)}('c', 'Pw_1x')`, /\('\*\*\*', '\*\*\*'\)$/],
      [`update users set password = ${'$a'.repeat(150_000)}`, /\$a$/],
      [`update users set password = $a$${'$'.repeat(300_000)}`, /\$a\$\*\*\*$/],
      [`insert into users values (${'$x$'.repeat(100_000)}`, /\$x\$$/],
      ['insert into users values '.repeat(12_000), /values $/],
      // sshpass' options before its -p, headers given as --header=name:value or glued to -H.
      ['sshpass -p '.repeat(25_000), /-p $/],
      [`${'sshpass -e '.repeat(10_000)}-p Ss_1x ssh -p 22 h`, /-e -p \*\*\* ssh -p 22 h$/],
      [`sshpass ${'-e '.repeat(60)}-p Ss_1x ssh -p 22 h`, /-e -p \*\*\* ssh -p 22 h$/],
      // Dollar-quoted values after PASSWORD and a name, tags that never close, glued sshpass -p.
      [`PASSWORD ${'$a$b'.repeat(75_000)}`, /^PASSWORD \$a\$\*\*\*\$a\$/],
      ['PASSWORD $a$'.repeat(25_000), /\$a\$$/],
      [Array.from({ length: 20_000 }, (_v, i) => `password = $t${i}$x `).join(''), /\$t\d+\$\*\*\*$/],
      [Array.from({ length: 20_000 }, (_v, i) => `a = $t${i}$x `).join(''), /\$t19999\$x $/],
      [`password = $$${'$'.repeat(300_000)}`, /^password = \$\$\$/],
      [`name=${'$_$'.repeat(100_000)}`, /\$_\$$/],
      ['sshpass -p'.repeat(30_000), /-p$/],
      [`${'sshpass -e '.repeat(10_000)}-pSs_1x ssh -p 22 h`, /-e -p\*\*\* ssh -p 22 h$/],
      [`--header=${'a:'.repeat(150_000)}token:x1`, /a:token:x1$/],
      [`--header=token:${'a:'.repeat(150_000)}`, /^--header=token:\*\*\*$/],
      [" -H'token:ab'".repeat(25_000), /^ -H'token:\*\*\*' .* -H'token:\*\*\*'$/],
      [`-H'token:${"'".repeat(300_000)}`, /'$/],
      // INSERT … SELECT: long lists, clauses read past, UNIONs, brackets and heads that never close.
      [`insert into users select ${"'a', ".repeat(50_000)}'Pw_1x'`, /'\*\*\*', '\*\*\*'$/],
      [`insert into users select 'a' from t where ${"x = 'b' and ".repeat(25_000)}true union all select 'Pw_2x'`, /and true union all select '\*\*\*'$/],
      [`insert into users select 1 ${'union all select 1 '.repeat(20_000)}union select 'Pw_3x'`, /union select '\*\*\*'$/],
      ['insert into users select '.repeat(12_000), /select $/],
      [`insert into users select ${'('.repeat(300_000)}`, /\($/],
      [`insert into users select 'a' from t ${'union '.repeat(50_000)}`, /union $/],
      // sshpass' options read forward however far its -p is, a client's command to its end, -H glued.
      [`sshpass ${'-f x '.repeat(60_000)}-p Ss_2x ssh -p 22 h`, /-f x -p \*\*\* ssh -p 22 h$/],
      [`sshpass -f ${'a'.repeat(300_000)} -pSs_3x`, /a -p\*\*\*$/],
      [`sshpass -P '${'a'.repeat(300_000)}`, /a$/],
      ['sshpass -e'.repeat(30_000), /-e$/],
      [`docker login ${'-p '.repeat(100_000)}Dk_1x`, /-p -p \*\*\*$/],
      [`docker login ${'-u x '.repeat(50_000)}-pDk_2x`, /-u x -p\*\*\*$/],
      ['docker login '.repeat(25_000), /login $/],
      [`curl ${'-Htoken:'.repeat(40_000)}Hg_1x`, /:\*\*\*$/],
      [`curl ${'-HCookie:'.repeat(30_000)}a=b`, /-HCookie:\*\*\*$/],
      [`curl ${'-u'.repeat(150_000)}a:b`, /-ua:\*\*\*$/],
    ];
    for (const [text, shown] of cases) {
      const out = hideKnownTokens(text);
      // The ends only in the message: a whole 300,000-character line would drown the report.
      expect(shown.test(out), `${text.slice(0, 30)} … shown as … ${out.slice(-60)}`).toBe(true);
    }
  });
});

describe('hideKnownTokens, SQL writes in every clause', () => {
  it('reads long adversarial runs of heads, clauses, rows and COPY data through, and still finds what ends them', () => {
    const cases: [string, RegExp][] = [
      // Assignment lists after each head, and heads that never reach one.
      ['on duplicate key update '.repeat(12_000), /update $/],
      [`insert into api_keys (key) values (1) on duplicate key update ${'note = 1, '.repeat(30_000)}key = 'Key_1x'`, /key = '\*\*\*'$/],
      ['do update set '.repeat(20_000), /set $/],
      ['then update set '.repeat(18_000), /set $/],
      ['update t as '.repeat(25_000), /as $/],
      [`update only ${'a'.repeat(300_000)}`, /a$/],
      [`update api_keys set ${'u.'.repeat(150_000)}key = 'Key_2x'`, /u\.key = '\*\*\*'$/],
      [`update api_keys set key = ${'v.'.repeat(150_000)}k`, /v\.k$/],
      [`update api_keys set ${'(a) = (1), '.repeat(30_000)}(key) = ('Key_9x')`, /\(key\) = \('\*\*\*'\)$/],
      [`update t set ${'('.repeat(300_000)}`, /\($/],
      [`update t set (${'a'.repeat(300_000)}`, /a$/],
      [`update t set ${'(a) = row '.repeat(30_000)}`, /row $/],
      // INSERT's forms: IGNORE, OR REPLACE, REPLACE, aliases, OVERRIDING, MySQL's SET.
      ['insert ignore into t as '.repeat(12_000), /as $/],
      ['insert or replace into '.repeat(12_000), /into $/],
      ['replace into t overriding '.repeat(12_000), /overriding $/],
      [`insert into api_keys (name, key) overriding system value values ${'(1, 2), '.repeat(30_000)}('c', 'Key_3x')`, /\('c', '\*\*\*'\)$/],
      [`insert into api_keys set ${'name = 1, '.repeat(30_000)}key = 'Key_4x'`, /key = '\*\*\*'$/],
      // Derived rows, passed and then judged once the statement is over; MERGE's clauses.
      [`update api_keys set key = v.k from (values ${'(1, 2), '.repeat(30_000)}('c', 'Key_5x')) as v(n, k)`, /\('c', '\*\*\*'\)\) as v\(n, k\)$/],
      [`update api_keys set key = v.k from (values ${'('.repeat(300_000)}`, /\($/],
      ['update t set a = v.a from (values (1)) as v(a) '.repeat(8_000), /as v\(a\) $/],
      [`merge into api_keys t using (values ${'(1, 2), '.repeat(30_000)}('c', 'Key_6x')) as s(n, k) on true ${'when matched then update set key = s.k '.repeat(5_000)}`, /key = s\.k $/],
      ['merge into t using (values '.repeat(10_000), /values $/],
      ['(values '.repeat(40_000), /values $/],
      // Derived tables of a SELECT: one inside one passed already is read with it; each list judged once at its statement's end.
      ['update t set a = 1 from (select '.repeat(15_000), /select $/],
      [`merge into api_keys t using (select ${"'a' as n, ".repeat(30_000)}'Key_21x' as k) s on true when matched then update set key = s.k`, /'\*\*\*' as k\) s on true/],
      ["update api_keys set key = s.k from (select 'Key_22x' as k) s ".repeat(8_000), /'\*\*\*' as k\) s $/],
      ['update t join '.repeat(20_000), /join $/],
      // SQL Server's UPDATE alias … FROM table alias: each FROM read once for the alias, one bracket never closed or no `;` between writes.
      ['update k set a = 1 from ('.repeat(20_000), /from \($/],
      ['update k set a = 1 from t on '.repeat(20_000), /on $/],
      [`update k set key = 'Key_20x' from ${'t a, '.repeat(60_000)}api_keys k`, /key = '\*\*\*' from t a, /],
      [`update api_keys k join t on ${"a = 'b' and ".repeat(25_000)}true set key = 'Key_12x'`, /set key = '\*\*\*'$/],
      [`update api_keys k${', t'.repeat(100_000)} set key = 'Key_13x'`, /set key = '\*\*\*'$/],
      [`update api_keys set key = v.k from ${'t, (values (1)) a(b), '.repeat(12_000)}(values ('Key_11x')) v(k)`, /\(values \('\*\*\*'\)\) v\(k\)$/],
      // SQL Server's UPDATE TOP (n) and table hints: brackets never closed, or long, on each head; hints on each FROM item.
      ['update top ('.repeat(25_000), /\($/],
      [`update top (${'a'.repeat(300_000)}`, /a$/],
      ['update t with ('.repeat(20_000), /\($/],
      [`update api_keys with (${'a, '.repeat(100_000)}) set key = 'Key_30x'`, /key = '\*\*\*'$/],
      [`update top (1) percent api_keys with (rowlock) set key = 'Key_33x'${' update top (1)'.repeat(20_000)}`, /^update top \(1\) percent api_keys with \(rowlock\) set key = '\*\*\*'/],
      ['update k set a = 1 from t with ('.repeat(15_000), /with \($/],
      [`update k set key = 'Key_31x' from ${'t a with (nolock), '.repeat(30_000)}api_keys k`, /key = '\*\*\*' from t a/],
      [`update k set key = 'Key_34x' from t${' with (a)'.repeat(40_000)} join api_keys k on true`, /key = '\*\*\*' from t/],
      // Statements quoted in error messages, the quotation closed after a literal: many, and many never closed.
      [`statement "update api_keys set key = 'Key_35x'": relation "a" does not exist\n`.repeat(30_000), /key = '\*\*\*'": relation "a" does not exist\n$/],
      // A space after the `"` ends no quotation (MySQL's '…'" …" is one string): read as strings, hidden.
      [`update api_keys set key = ${`'aaa'" `.repeat(50_000)}`, /'\*\*\*'"\*\*\*" $/],
      [`update api_keys set key = ${`'aaa'"b`.repeat(60_000)}`, /'\*\*\*'"\*\*\*"b$/],
      // CTEs of a SELECT: heads that never close, long column lists, many before the write.
      ['with s as (select '.repeat(20_000), /select $/],
      [', s as (select '.repeat(20_000), /select $/],
      [`with s (${'a, '.repeat(100_000)}`, /a, $/],
      [`with ${'s'.repeat(300_000)}`, /s$/],
      [`with ${'s as (select 1), '.repeat(12_000)}w(k) as (select 'Key_32x') update api_keys set key = w.k from w`, /\(select '\*\*\*'\) update api_keys set key = w\.k from w$/],
      ['then insert ('.repeat(20_000), /\($/],
      ['with v(a) as (values '.repeat(12_000), /values $/],
      [`with ${'v(a) as (values (1)), '.repeat(12_000)}w(k) as (values ('Key_10x')) update api_keys set key = w.k`, /\('\*\*\*'\)\) update api_keys set key = w\.k$/],
      [`with v(${'a, '.repeat(100_000)}`, /a, $/],
      // COPY heads and data: many rows, a row of many tabs, heads that never close.
      [`copy api_keys (name, key) from stdin;\n${'a\tKey_7x\n'.repeat(30_000)}\\.`, /a\t\*\*\*\n\\\.$/],
      [`copy api_keys (name, key) from stdin;\n${'aaaa\t'.repeat(60_000)}`, /stdin;\naaaa\taaaa\t/],
      [`copy api_keys (name, key) from stdin;\n${'a\n'.repeat(150_000)}a\tKey_8x`, /\na\t\*\*\*$/],
      // The lines after a COPY's head are its rows, up to a \. that never comes.
      ['copy api_keys (key) from stdin\n'.repeat(12_000), /^copy api_keys \(key\) from stdin\n\*\*\*\n.*\*\*\*\n$/s],
      ['copy t ('.repeat(35_000), /\($/],
      [`copy api_keys (name, key) from stdin csv\n${'"a,'.repeat(100_000)}`, /"a,$/],
      [`copy api_keys (name, key) from stdin with (format csv)\n${'a,\n'.repeat(100_000)}a,"Key_14x"`, /\na,"\*\*\*"$/],
      [`copy t (${'a'.repeat(300_000)}`, /a$/],
      // CSV quotes that hold line breaks: a quote on each line, and one never closed (its field followed to the data's end, each line of it hidden).
      [`copy api_keys (name, key) from stdin csv\n${'a,"bbbb\n'.repeat(100_000)}a,Key_23x`, /\na,\*\*\*$/],
      [`copy api_keys (name, key) from stdin csv\na,"b\n${'cccc\n'.repeat(150_000)}a,Key_24x`, /\n\*\*\*\n\*\*\*$/],
      [`copy api_keys (name, key) from stdin with (delimiter '|')\n${'a\\|b|c\\'.repeat(60_000)}\nd|Key_25x`, /\nd\|\*\*\*$/],
      // A MySQL-escaped quote on each of many lines, read both ways: no closing search repeated to the end.
      [Array.from({ length: 150_000 }, () => "insert into api_keys (name, key) values ('a\\'b").join('\n'), /values \('a\\'b$/],
      // A dollar tag of its own on each of many lines, none closed: each was searched for to the text's end (n², minutes at this size).
      [Array.from({ length: 150_000 }, (_v, i) => `insert into api_keys (key) values ($t${i}$Key_15x`).join('\n'), /values \(\$t149999\$\*\*\*$/],
      [Array.from({ length: 150_000 }, (_v, i) => `update api_keys set key = $t${i}$Key_16x`).join('\n'), /key = \$t149999\$\*\*\*$/],
      // MySQL's double-quoted strings, on each of many lines one opened and never closed, every later `"` escaped (`x\"`):
      // a search for its end from each line to the text's end would be n².
      ['update api_keys set key = x\\"Key_17x\n'.repeat(150_000), /\nupdate api_keys set key = x\\"\*\*\*\n$/],
      ['insert into api_keys (name, key) values (1, x\\"Key_18x\n'.repeat(150_000), /\ninsert into api_keys \(name, key\) values \(1, x\\"\*\*\*\n$/],
      [`insert into api_keys (name, key) values ${'(1, "a""b"), '.repeat(60_000)}(2, "Key_19x")`, /\(1, "\*\*\*"\), \(2, "\*\*\*"\)$/],
    ];
    for (const [text, shown] of cases) {
      const out = hideKnownTokens(text);
      expect(out.length, text.slice(0, 30)).toBeLessThanOrEqual(text.length);
      expect(shown.test(out), `${text.slice(0, 30)} … shown as … ${out.slice(-60)}`).toBe(true);
    }
  });

  it('reads COPY data line by line however many rows follow, and lines without a write\'s word skip the SQL reading', () => {
    const copy = sqlWriteLines();
    expect(copy('COPY api_keys (name, key) FROM stdin;')).toBe('COPY api_keys (name, key) FROM stdin;');
    for (let i = 0; i < 100_000; i++) copy(`k${i}\tKey_${i}x`);
    expect(copy('last\tKey_last1x')).toBe('last\t***');
    expect(copy('\\.')).toBe('\\.');
    expect(copy('after\tKey_after1x')).toBe('after\tKey_after1x');
    const plain = sqlWriteLines();
    for (let i = 0; i < 100_000; i++) plain(`${'x'.repeat(20)} ${i} values ('a', 'b')`);
  });
});

describe('sqlWriteLines', () => {
  it('reads each line against a bounded number before it: 100,000 lines after a head, and a head on each of 100,000 lines', () => {
    const after = sqlWriteLines();
    const shown = ['INSERT INTO api_keys (name, key) VALUES', ...Array.from({ length: 100_000 }, (_v, i) => `('k${i}', 'Key_${i}x'),`)].map(after);
    // Every row is hidden: past SQL_LINES lines the rows read already are let go, the head kept.
    expect(shown[1]).toBe("('k0', '***'),");
    expect(shown.at(-1)).toBe("('k99999', '***'),");
    // Past SQL_LINES lines of something else, a row has no head to go by.
    const other = sqlWriteLines();
    const lines = ['INSERT INTO api_keys (name, key) VALUES', ...Array.from({ length: 30 }, (_v, i) => `-- note ${i}`), "('k', 'Key_1x'),"].map(other);
    expect(lines.at(-1)).toBe("('k', 'Key_1x'),");
    const each = sqlWriteLines();
    for (let i = 0; i < 100_000; i++) each(`INSERT INTO api_keys (key) VALUES ('${'a'.repeat(20)}')`);
  });
});

describe('redactMarkdown: fenced code in block quotes and list items', () => {
  it('reads long runs of quote and list markers, and fences in them never closed, through (150,000 characters and more)', () => {
    const hide = (t: string) => t.replace(/SECRET\\_1/g, '***');
    const cases: [string, RegExp][] = [
      // Markers on one line, many of them, and the spaces after one.
      // (A line without the `>` ends the quote and its block: prose after it, its escape read.)
      [`${'>'.repeat(150_000)}\`\`\`\nSECRET\\_1`, /\nSECRET\\_1$/],
      [`${'> '.repeat(75_000)}\`\`\`\n${'> '.repeat(75_000)}SECRET\\_1`, /> \*\*\*$/],
      [`${'- '.repeat(75_000)}\`\`\`\n${' '.repeat(150_000)}SECRET\\_1`, / \*\*\*$/],
      [`${'1. '.repeat(50_000)}x\n${'- '.repeat(75_000)}x\nSECRET\\_1`, /\nSECRET\\_1$/],
      [`-${' '.repeat(150_000)}\`\`\`\nSECRET\\_1`, /\nSECRET\\_1$/],
      [`${'>'.repeat(150_000)}`, />$/],
      // Many lines: fences opened and closed, or never closed, in quotes and items.
      ['> ```\n'.repeat(30_000), /```\n$/],
      [`- \`\`\`\n${'  a\\_b\n'.repeat(30_000)}  SECRET\\_1`, / {2}\*\*\*$/],
      [`> ~~~\n${'> a\\_b\n'.repeat(30_000)}> SECRET\\_1`, /> \*\*\*$/],
      [`${'- a\n  - b\n    ```\n    c\n'.repeat(5_000)}    SECRET\\_1`, /\n {4}\*\*\*$/],
      [`${`${'- '.repeat(1_000)}x\nx\n`.repeat(300)}SECRET\\_1`, /\nSECRET\\_1$/],
      [`\`\`\`${'a'.repeat(150_000)}\n${'`'.repeat(150_000)}`, /`$/],
    ];
    for (const [markdown, shown] of cases) {
      const out = redactMarkdown(markdown, hide);
      expect(shown.test(out), `${markdown.slice(0, 30)} … shown as … ${out.slice(-60)}`).toBe(true);
    }
  });
});
