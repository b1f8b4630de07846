// SQL writes whose values land in a secret column, in every clause that writes them: one reader of
// assignments (UPDATE … SET, ON CONFLICT … DO UPDATE SET, ON DUPLICATE KEY UPDATE, MySQL's INSERT …
// SET, MERGE's THEN UPDATE SET), one of a column list and rows (INSERT's forms, MERGE's THEN INSERT,
// a derived table's VALUES), and COPY's data rows. `api_keys (name, key)` is used where it can be:
// `key` is secret only by its table, so only the SQL reader hides it (not a `password = …` shape).
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';

const log = memoryLog();
/** The made-up secrets in a text: `Key_1x`, `Pw_2x`, … */
const secretsIn = (text: string) => text.match(/\b(?:Key|Pw|Tok)_\d+x\b/g) ?? [];

function expectShown(text: string, shown: string, out = log.redact(text)) {
  expect(out).toBe(shown);
  for (const secret of secretsIn(text)) expect(out).not.toContain(secret);
}

describe('assignments: one reader for every SET list', () => {
  it.each([
    ['UPDATE … SET', "UPDATE api_keys SET key = 'Key_1x', note = 'rotated' WHERE name = 'ci'", "UPDATE api_keys SET key = '***', note = 'rotated' WHERE name = 'ci'"],
    ['UPDATE with an alias and ONLY', "UPDATE api_keys AS k SET key = 'Key_2x' WHERE k.name = 'ci'; UPDATE ONLY api_keys k SET key = 'Key_3x'", "UPDATE api_keys AS k SET key = '***' WHERE k.name = 'ci'; UPDATE ONLY api_keys k SET key = '***'"],
    ['a CTE before the UPDATE', "WITH old AS (SELECT id FROM api_keys WHERE name = 'ci') UPDATE api_keys SET key = 'Key_4x' FROM old WHERE old.id = api_keys.id", "WITH old AS (SELECT id FROM api_keys WHERE name = 'ci') UPDATE api_keys SET key = '***' FROM old WHERE old.id = api_keys.id"],
    [
      'INSERT … ON CONFLICT … DO UPDATE SET',
      "INSERT INTO api_keys (name, key) VALUES ('ci', 'Key_5x') ON CONFLICT (name) DO UPDATE SET key = 'Key_6x', note = 'rotated' WHERE api_keys.name <> 'x' RETURNING name",
      "INSERT INTO api_keys (name, key) VALUES ('ci', '***') ON CONFLICT (name) DO UPDATE SET key = '***', note = 'rotated' WHERE api_keys.name <> 'x' RETURNING name",
    ],
    ['ON CONFLICT after INSERT … SELECT', "INSERT INTO api_keys (name, key) SELECT 'ci', 'Key_7x' ON CONFLICT (name) DO UPDATE SET key = 'Key_8x'", "INSERT INTO api_keys (name, key) SELECT 'ci', '***' ON CONFLICT (name) DO UPDATE SET key = '***'"],
    ['MySQL ON DUPLICATE KEY UPDATE', "INSERT INTO api_keys (name, key) VALUES ('ci', 'Key_9x') ON DUPLICATE KEY UPDATE key = 'Key_10x', note = 'again'", "INSERT INTO api_keys (name, key) VALUES ('ci', '***') ON DUPLICATE KEY UPDATE key = '***', note = 'again'"],
    ['MySQL INSERT … SET', "INSERT INTO api_keys SET name = 'ci', key = 'Key_11x'", "INSERT INTO api_keys SET name = 'ci', key = '***'"],
    [
      'MERGE … WHEN MATCHED THEN UPDATE SET, WHEN NOT MATCHED THEN INSERT',
      "MERGE INTO api_keys k USING staged s ON k.name = s.name WHEN MATCHED THEN UPDATE SET key = 'Key_12x', note = 'merged' WHEN NOT MATCHED THEN INSERT (name, key) VALUES ('ci', 'Key_13x')",
      "MERGE INTO api_keys k USING staged s ON k.name = s.name WHEN MATCHED THEN UPDATE SET key = '***', note = 'merged' WHEN NOT MATCHED THEN INSERT (name, key) VALUES ('ci', '***')",
    ],
    ['several columns at once', "UPDATE api_keys SET (note, key) = ('rotated', 'Key_15x'), (used) = ROW ('no') WHERE name = 'ci'", "UPDATE api_keys SET (note, key) = ('rotated', '***'), (used) = ROW ('no') WHERE name = 'ci'"],
    ['MERGE … THEN INSERT without a column list', "MERGE INTO users u USING staged s ON u.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (7, 'alice', 'Pw_16x')", "MERGE INTO users u USING staged s ON u.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (7, '***', '***')"],
    ['a CASE in the value: its WHEN is no MERGE clause', "UPDATE api_keys SET key = CASE WHEN name = 'ci' THEN 'Key_17x' ELSE 'Key_18x' END, note = 'n'", "UPDATE api_keys SET key = CASE WHEN name = '***' THEN '***' ELSE '***' END, note = 'n'"],
    ['MySQL\'s UPDATE … JOIN … SET', "UPDATE api_keys k JOIN teams t ON t.id = k.team_id AND t.name = 'ci' SET k.key = 'Key_22x', k.note = 'joined'; UPDATE api_keys k, teams t SET key = 'Key_23x' WHERE t.id = k.team_id", "UPDATE api_keys k JOIN teams t ON t.id = k.team_id AND t.name = 'ci' SET k.key = '***', k.note = 'joined'; UPDATE api_keys k, teams t SET key = '***' WHERE t.id = k.team_id"],
    ['MySQL\'s backticks', "INSERT INTO `api_keys` (`name`, `key`) VALUES ('ci', 'Key_19x') ON DUPLICATE KEY UPDATE `key` = 'Key_20x'; UPDATE `shop`.`api_keys` SET `key` = 'Key_21x'", "INSERT INTO `api_keys` (`name`, `key`) VALUES ('ci', '***') ON DUPLICATE KEY UPDATE `key` = '***'; UPDATE `shop`.`api_keys` SET `key` = '***'"],
    ['a qualified column and a dollar-quoted value', 'UPDATE users u SET u.password_hash = $h$Pw_14x$h$ WHERE u.id = 1', 'UPDATE users u SET u.password_hash = $h$***$h$ WHERE u.id = 1'],
    // SQL Server: the name after UPDATE is an alias, its table named only in the FROM after the SET list.
    [
      'SQL Server\'s UPDATE alias SET … FROM table alias',
      "UPDATE k SET note = 'rotated', key = 'Key_26x' FROM api_keys AS k WHERE k.name = 'ci'; UPDATE t SET t.[value] = 'Tok_27x' FROM [dbo].[user_tokens] t",
      "UPDATE k SET note = 'rotated', key = '***' FROM api_keys AS k WHERE k.name = 'ci'; UPDATE t SET t.[value] = '***' FROM [dbo].[user_tokens] t",
    ],
    [
      'SQL Server\'s UPDATE alias in brackets or quotes, as SSMS writes it',
      "UPDATE [k] SET [k].[key] = N'Key_30x' FROM [dbo].[api_keys] AS [k] WHERE [k].[id] = 1; UPDATE \"k\" SET \"key\" = 'Key_31x' FROM \"api_keys\" AS \"k\"",
      "UPDATE [k] SET [k].[key] = N'***' FROM [dbo].[api_keys] AS [k] WHERE [k].[id] = 1; UPDATE \"k\" SET \"key\" = '***' FROM \"api_keys\" AS \"k\"",
    ],
    [
      'SQL Server\'s UPDATE alias … FROM, the table JOINed or after another item',
      "UPDATE k SET k.key = 'Key_28x' FROM teams t JOIN api_keys k ON k.team_id = t.id AND t.name = 'ci'; UPDATE s SET value = 'Key_29x' FROM teams t, [secrets] s",
      "UPDATE k SET k.key = '***' FROM teams t JOIN api_keys k ON k.team_id = t.id AND t.name = 'ci'; UPDATE s SET value = '***' FROM teams t, [secrets] s",
    ],
    // SQL Server's TOP (n) and table hints around the table: the name after UPDATE was read as TOP, or the hints stopped the head.
    [
      'SQL Server\'s UPDATE TOP (n) [PERCENT] and table hints after the table',
      "UPDATE TOP (10) api_keys SET key = 'Key_40x' WHERE name = 'ci'; UPDATE TOP (5) PERCENT api_keys WITH (ROWLOCK) SET key = 'Key_41x'; UPDATE [dbo].[api_keys] WITH (ROWLOCK, UPDLOCK) SET [value] = N'Key_42x'",
      "UPDATE TOP (10) api_keys SET key = '***' WHERE name = 'ci'; UPDATE TOP (5) PERCENT api_keys WITH (ROWLOCK) SET key = '***'; UPDATE [dbo].[api_keys] WITH (ROWLOCK, UPDLOCK) SET [value] = N'***'",
    ],
    [
      'SQL Server\'s UPDATE TOP (n) alias … FROM, the FROM\'s items with table hints',
      "UPDATE TOP (1) k SET key = 'Key_43x' FROM api_keys AS k WITH (NOLOCK) WHERE k.id = 1; UPDATE k SET k.key = 'Key_44x' FROM teams t WITH (NOLOCK) JOIN api_keys k WITH (NOLOCK) ON k.team_id = t.id; UPDATE s SET value = 'Key_45x' FROM teams t WITH (NOLOCK), [secrets] s",
      "UPDATE TOP (1) k SET key = '***' FROM api_keys AS k WITH (NOLOCK) WHERE k.id = 1; UPDATE k SET k.key = '***' FROM teams t WITH (NOLOCK) JOIN api_keys k WITH (NOLOCK) ON k.team_id = t.id; UPDATE s SET value = '***' FROM teams t WITH (NOLOCK), [secrets] s",
    ],
    // A secret two calls down (the digest's argument) is the secret still.
    ['MySQL\'s backslash-escaped quote in the value before', "UPDATE api_keys SET note = 'it\\'s', key = 'Key_25x' WHERE name = 'ci'", "UPDATE api_keys SET note = 'it\\'s', key = '***' WHERE name = 'ci'"],
    ['a value two calls deep', "UPDATE api_keys SET key = encode(digest('Key_24x', 'sha256'), 'hex') WHERE name = 'ci'", "UPDATE api_keys SET key = encode(digest('***', '***'), '***') WHERE name = 'ci'"],
  ])('%s', (_what, text, shown) => expectShown(text, shown));
});

describe('a column list and rows: one reader for every INSERT form', () => {
  it.each([
    ['several rows', "INSERT INTO api_keys (name, key) VALUES ('ci', 'Key_1x'), ('cd', 'Key_2x')", "INSERT INTO api_keys (name, key) VALUES ('ci', '***'), ('cd', '***')"],
    ['OVERRIDING SYSTEM VALUE', "INSERT INTO api_keys (id, name, key) OVERRIDING SYSTEM VALUE VALUES (1, 'ci', 'Key_3x')", "INSERT INTO api_keys (id, name, key) OVERRIDING SYSTEM VALUE VALUES (1, 'ci', '***')"],
    ['OVERRIDING USER VALUE', "INSERT INTO api_keys (id, name, key) OVERRIDING USER VALUE VALUES (1, 'ci', 'Key_4x')", "INSERT INTO api_keys (id, name, key) OVERRIDING USER VALUE VALUES (1, 'ci', '***')"],
    ['INSERT IGNORE', "INSERT IGNORE INTO api_keys (name, key) VALUES ('ci', 'Key_5x')", "INSERT IGNORE INTO api_keys (name, key) VALUES ('ci', '***')"],
    ['INSERT OR REPLACE', "INSERT OR REPLACE INTO api_keys (name, key) VALUES ('ci', 'Key_6x')", "INSERT OR REPLACE INTO api_keys (name, key) VALUES ('ci', '***')"],
    ['REPLACE INTO', "REPLACE INTO api_keys (name, key) VALUES ('ci', 'Key_7x')", "REPLACE INTO api_keys (name, key) VALUES ('ci', '***')"],
    ['a table alias', "INSERT INTO api_keys AS k (name, key) VALUES ('ci', 'Key_8x') ON CONFLICT (name) DO UPDATE SET key = EXCLUDED.key", "INSERT INTO api_keys AS k (name, key) VALUES ('ci', '***') ON CONFLICT (name) DO UPDATE SET key = EXCLUDED.key"],
    ['a CTE before the INSERT', "WITH n AS (SELECT 'ci' AS name) INSERT INTO users (name, password) VALUES ('alice', 'Pw_9x')", "WITH n AS (SELECT 'ci' AS name) INSERT INTO users (name, password) VALUES ('alice', '***')"],
    ['a value two calls deep', "INSERT INTO api_keys (name, key) VALUES ('ci', encode(digest('Key_10x', 'sha256'), 'hex'))", "INSERT INTO api_keys (name, key) VALUES ('ci', encode(digest('***', '***'), '***'))"],
    // MySQL escapes a quote with a backslash; PostgreSQL ends the string there: read both ways, whichever is right, the secret is hidden.
    ['MySQL\'s backslash-escaped quote before the secret', "INSERT INTO users (email, password) VALUES ('it\\'s', 'Pw_12x'), ('o\\'neil', 'Pw_13x')", "INSERT INTO users (email, password) VALUES ('it\\'s', '***'), ('o\\'neil', '***')"],
    ['PostgreSQL\'s string ending in a backslash before the secret', "INSERT INTO users (path, password) VALUES ('C:\\', 'Pw_14x')", "INSERT INTO users (path, password) VALUES ('C:\\', '***')"],
    // MySQL's row constructor: each ROW(…) a row, in an INSERT and in a derived table of rows.
    [
      'MySQL\'s VALUES ROW(…)',
      "INSERT INTO api_keys (name, key) VALUES ROW('ci', 'Key_15x'), ROW ('cd', 'Key_16x'); INSERT INTO users VALUES ROW(1, 'bob', 'Pw_17x')",
      "INSERT INTO api_keys (name, key) VALUES ROW('ci', '***'), ROW ('cd', '***'); INSERT INTO users VALUES ROW(1, '***', '***')",
    ],
    [
      'a table value constructor of ROW(…)s',
      "UPDATE api_keys SET key = v.k FROM (VALUES ROW('ci', 'Key_18x'), ROW('cd', 'Key_19x')) AS v(name, k) WHERE v.name = api_keys.name",
      "UPDATE api_keys SET key = v.k FROM (VALUES ROW('ci', '***'), ROW('cd', '***')) AS v(name, k) WHERE v.name = api_keys.name",
    ],
    // Listed once as gaps: an INSERT … SELECT with a FROM and a WHERE before ON CONFLICT, OVERRIDING without a column list.
    [
      'INSERT … SELECT … FROM … WHERE … ON CONFLICT … DO UPDATE SET',
      "INSERT INTO api_keys (name, key) SELECT name, 'Key_20x' FROM teams WHERE note = 'ci' ON CONFLICT (name) DO UPDATE SET key = 'Key_21x', note = 'again'",
      "INSERT INTO api_keys (name, key) SELECT name, '***' FROM teams WHERE note = 'ci' ON CONFLICT (name) DO UPDATE SET key = '***', note = 'again'",
    ],
    ['OVERRIDING SYSTEM VALUE without a column list', "INSERT INTO users OVERRIDING SYSTEM VALUE VALUES (1, 'bob', 'Pw_22x')", "INSERT INTO users OVERRIDING SYSTEM VALUE VALUES (1, '***', '***')"],
    ['INSERT … SELECT, two calls deep', "INSERT INTO api_keys (name, key) SELECT 'ci', encode(digest('Key_11x', 'sha256'), 'hex')", "INSERT INTO api_keys (name, key) SELECT 'ci', encode(digest('***', '***'), '***')"],
  ])('%s', (_what, text, shown) => expectShown(text, shown));
});

describe('a derived table of rows whose column lands in a secret column', () => {
  it.each([
    [
      'UPDATE … FROM (VALUES …) AS v(…), SET key = v.k',
      "UPDATE api_keys SET key = v.k FROM (VALUES ('ci', 'Key_1x'), ('cd', 'Key_2x')) AS v(name, k) WHERE v.name = api_keys.name",
      "UPDATE api_keys SET key = v.k FROM (VALUES ('ci', '***'), ('cd', '***')) AS v(name, k) WHERE v.name = api_keys.name",
    ],
    [
      'MERGE … USING (VALUES …): the column the WHEN clauses write into key',
      "MERGE INTO api_keys t USING (VALUES ('ci', 'Key_3x')) AS s(name, k) ON t.name = s.name WHEN MATCHED THEN UPDATE SET key = s.k WHEN NOT MATCHED THEN INSERT (name, key) VALUES (s.name, s.k)",
      "MERGE INTO api_keys t USING (VALUES ('ci', '***')) AS s(name, k) ON t.name = s.name WHEN MATCHED THEN UPDATE SET key = s.k WHEN NOT MATCHED THEN INSERT (name, key) VALUES (s.name, s.k)",
    ],
    [
      'MERGE … USING (VALUES …): only the INSERT writes it',
      "MERGE INTO api_keys t USING (VALUES ('ci', 'Key_4x')) s (name, k) ON t.name = s.name WHEN NOT MATCHED THEN INSERT (name, key) VALUES (s.name, s.k)",
      "MERGE INTO api_keys t USING (VALUES ('ci', '***')) s (name, k) ON t.name = s.name WHEN NOT MATCHED THEN INSERT (name, key) VALUES (s.name, s.k)",
    ],
    [
      'a derived table after another FROM item, and one JOINed',
      "UPDATE api_keys SET key = v.k FROM teams t, (VALUES ('ci', 'Key_9x')) v(name, k) WHERE v.name = t.name; UPDATE users SET password = j.pw FROM teams t JOIN (VALUES (1, 'Pw_10x')) AS j(id, pw) ON j.id = t.id",
      "UPDATE api_keys SET key = v.k FROM teams t, (VALUES ('ci', '***')) v(name, k) WHERE v.name = t.name; UPDATE users SET password = *** FROM teams t JOIN (VALUES (1, '***')) AS j(id, pw) ON j.id = t.id",
    ],
    [
      'a CTE of rows before the UPDATE, after another CTE',
      "WITH n AS (SELECT 1), v(name, k) AS (VALUES ('ci', 'Key_6x'), ('cd', 'Key_7x')) UPDATE api_keys SET key = v.k FROM v WHERE v.name = api_keys.name",
      "WITH n AS (SELECT 1), v(name, k) AS (VALUES ('ci', '***'), ('cd', '***')) UPDATE api_keys SET key = v.k FROM v WHERE v.name = api_keys.name",
    ],
    [
      'a CTE of rows before an INSERT … SELECT',
      "WITH s(login, pw) AS (VALUES ('alice', 'Pw_8x')) INSERT INTO accounts (login, password_hash) SELECT login, crypt(pw, gen_salt('***')) FROM s",
      "WITH s(login, pw) AS (VALUES ('alice', '***')) INSERT INTO accounts (login, password_hash) SELECT login, crypt(pw, gen_salt('***')) FROM s",
    ],
    [
      'a derived column whose own name says secret',
      "MERGE INTO accounts a USING (VALUES ('alice', 'Tok_5x')) AS s(login, api_token) ON a.login = s.login WHEN MATCHED THEN DELETE",
      "MERGE INTO accounts a USING (VALUES ('alice', '***')) AS s(login, api_token) ON a.login = s.login WHEN MATCHED THEN DELETE",
    ],
  ])('%s', (_what, text, shown) => expectShown(text, shown));

  // A derived table of a SELECT: each value under the name its column goes by, judged when the statement's end says which are secret.
  it.each([
    [
      'MERGE … USING (SELECT … AS k) s: the column WHEN MATCHED THEN UPDATE SET writes into key',
      "MERGE INTO api_keys t USING (SELECT 'ci' AS name, 'Key_11x' AS k) s ON t.name = s.name WHEN MATCHED THEN UPDATE SET key = s.k",
      "MERGE INTO api_keys t USING (SELECT 'ci' AS name, '***' AS k) s ON t.name = s.name WHEN MATCHED THEN UPDATE SET key = s.k",
    ],
    [
      'MERGE … USING (SELECT …) AS s(cols): only WHEN NOT MATCHED THEN INSERT VALUES writes it',
      "MERGE INTO api_keys t USING (SELECT 'ci', 'Key_12x') AS s (name, k) ON t.name = s.name WHEN NOT MATCHED THEN INSERT (name, key) VALUES (s.name, s.k)",
      "MERGE INTO api_keys t USING (SELECT 'ci', '***') AS s (name, k) ON t.name = s.name WHEN NOT MATCHED THEN INSERT (name, key) VALUES (s.name, s.k)",
    ],
    [
      'SQL Server\'s MERGE without INTO, a column named like the target\'s, and literals in the WHEN clauses too',
      "MERGE api_keys AS t USING (SELECT 'ci' AS name, 'Key_13x' AS [key]) AS s ON t.name = s.name WHEN MATCHED THEN UPDATE SET t.note = 'merged' WHEN NOT MATCHED THEN INSERT (name, key) VALUES ('cd', 'Key_14x');",
      "MERGE api_keys AS t USING (SELECT 'ci' AS name, '***' AS [key]) AS s ON t.name = s.name WHEN MATCHED THEN UPDATE SET t.note = 'merged' WHEN NOT MATCHED THEN INSERT (name, key) VALUES ('cd', '***');",
    ],
    [
      'a column whose own name says secret, and the SELECT\'s FROM and UNION after it',
      "MERGE INTO accounts a USING (SELECT 'alice' AS login, 'Pw_15x' AS password FROM dual UNION ALL SELECT 'bob', 'Pw_16x') s ON a.login = s.login WHEN MATCHED THEN DELETE",
      "MERGE INTO accounts a USING (SELECT 'alice' AS login, '***' AS password FROM dual UNION ALL SELECT '***', '***') s ON a.login = s.login WHEN MATCHED THEN DELETE",
    ],
    [
      'UPDATE … FROM (SELECT …) s, SET key = s.k, and a JOINed one in a call',
      "UPDATE api_keys SET key = s.k FROM (SELECT 'ci' AS name, 'Key_17x' AS k) s WHERE s.name = api_keys.name; UPDATE api_keys SET key = encode(digest(j.raw, 'sha256'), 'hex') FROM teams t JOIN (SELECT 1 AS id, 'Key_18x' raw) AS j ON j.id = t.id",
      "UPDATE api_keys SET key = s.k FROM (SELECT 'ci' AS name, '***' AS k) s WHERE s.name = api_keys.name; UPDATE api_keys SET key = encode(digest(j.raw, '***'), '***') FROM teams t JOIN (SELECT 1 AS id, '***' raw) AS j ON j.id = t.id",
    ],
    // A CTE of a SELECT, named as a derived table is: by the CTE's name, or its column list.
    [
      'a CTE of a SELECT before the UPDATE, its value under its alias',
      "WITH s AS (SELECT 'Tok_22x' AS api_key) UPDATE accounts SET api_key = s.api_key FROM s; WITH s AS (SELECT 'ci' AS name, 'Key_23x' AS k) UPDATE api_keys SET key = s.k FROM s WHERE s.name = api_keys.name",
      "WITH s AS (SELECT '***' AS api_key) UPDATE accounts SET api_key = *** FROM s; WITH s AS (SELECT 'ci' AS name, '***' AS k) UPDATE api_keys SET key = s.k FROM s WHERE s.name = api_keys.name",
    ],
    [
      'a CTE of a SELECT with a column list, MATERIALIZED, after another CTE',
      "WITH n AS (SELECT 1), s(name, k) AS MATERIALIZED (SELECT 'ci', 'Key_24x') UPDATE api_keys SET key = s.k FROM s WHERE s.name = api_keys.name",
      "WITH n AS (SELECT 1), s(name, k) AS MATERIALIZED (SELECT 'ci', '***') UPDATE api_keys SET key = s.k FROM s WHERE s.name = api_keys.name",
    ],
    [
      'a CTE of a SELECT before an INSERT … SELECT and a MERGE',
      "WITH s AS (SELECT 'alice' AS login, 'Pw_25x' AS pw) INSERT INTO users (login, password) SELECT login, crypt(pw, gen_salt('bf')) FROM s; WITH s AS (SELECT 'Key_26x' AS k) MERGE INTO api_keys t USING s ON t.name = 'ci' WHEN MATCHED THEN UPDATE SET key = s.k",
      "WITH s AS (SELECT 'alice' AS login, '***' AS pw) INSERT INTO users (login, password) SELECT login, crypt(pw, gen_salt('***')) FROM s; WITH s AS (SELECT '***' AS k) MERGE INTO api_keys t USING s ON t.name = 'ci' WHEN MATCHED THEN UPDATE SET key = s.k",
    ],
    [
      'a CTE of a SELECT after a write that writes no secret',
      "UPDATE orders SET note = 'held'; WITH s AS (SELECT 'Key_27x' AS k) UPDATE api_keys SET key = s.k FROM s",
      "UPDATE orders SET note = 'held'; WITH s AS (SELECT '***' AS k) UPDATE api_keys SET key = s.k FROM s",
    ],
    [
      'a SELECT * whose alias the secret value names',
      "UPDATE api_keys SET key = s.k FROM (SELECT * FROM (VALUES ('ci', 'Key_19x')) v (name, k)) s WHERE s.name = api_keys.name",
      "UPDATE api_keys SET key = s.k FROM (SELECT * FROM (VALUES ('***', '***')) v (name, k)) s WHERE s.name = api_keys.name",
    ],
  ])('%s', (_what, text, shown) => expectShown(text, shown));

  it('leaves a derived SELECT whose columns land in no secret column as it is', () => {
    for (const text of [
      "UPDATE orders SET note = s.note FROM (SELECT 1 AS id, 'shipped' AS note) s WHERE orders.id = s.id",
      "MERGE INTO orders o USING (SELECT 1 AS id, 'shipped' AS note) AS s ON o.id = s.id WHEN MATCHED THEN UPDATE SET note = s.note",
      "UPDATE api_keys SET key = $1 WHERE id IN (SELECT id FROM teams WHERE name = 'ci')",
      "SELECT * FROM (SELECT 'a' AS password) s; -- no write",
      "WITH s AS (SELECT 1 AS id, 'shipped' AS note) UPDATE orders SET note = s.note FROM s WHERE orders.id = s.id",
      "WITH recent AS (SELECT id FROM deploys WHERE env = 'production') UPDATE api_keys SET key = $1 FROM recent WHERE recent.id = api_keys.id",
    ]) {
      expect(log.redact(text), text).toBe(text);
    }
  });

  it('is judged per statement: a reference in the next statement says nothing of this one', () => {
    const text = "UPDATE notes SET body = v.b FROM (VALUES (1, 'hello')) AS v(id, b) WHERE notes.id = v.id; UPDATE api_keys SET key = b";
    expect(log.redact(text)).toBe(text);
  });
});

describe('COPY … FROM stdin and its data rows', () => {
  // A line with another number of fields (an error said between rows) is no row, and stays.
  const copy = ['COPY public.api_keys (id, name, key) FROM stdin;', '1\tci\tKey_1x', 'NOTICE:\tsomething else', '2\tcd\t\\N', '\\.', '3\tafter\tKey_like'];
  const shown = ['COPY public.api_keys (id, name, key) FROM stdin;', '1\tci\t***', 'NOTICE:\tsomething else', '2\tcd\t\\N', '\\.', '3\tafter\tKey_like'];

  it('hides the secret column\'s fields in one text, up to \\.', () => {
    expectShown(copy.join('\n'), shown.join('\n'));
  });

  it('hides them line by line, as a program prints them, however many rows', () => {
    const lines = memoryLog();
    const write = lines.programLines();
    const rows = Array.from({ length: 50 }, (_v, i) => `${i}\tuser${i}@example.com\t$2b$12$Pw_${i}xabcdefghijklmnopqrstuv`);
    const out = ['COPY users (id, email, password_hash) FROM stdin;', ...rows, '\\.', '7\tafter@example.com\tplain text'].map(write);
    expect(out.at(-1)).toBe('7\tafter@example.com\tplain text');
    for (const [i, line] of out.slice(1, -2).entries()) expect(line).toBe(`${i}\tuser${i}@example.com\t***`);
  });

  it('hides them in CSV rows, quoted or not', () => {
    const text = ['COPY users (id, email, password) FROM stdin WITH (FORMAT csv);', '1,a@example.com,Pw_2x', '2,"b, c@example.com","Pw ""3x"""', '\\.'].join('\n');
    expect(log.redact(text)).toBe(['COPY users (id, email, password) FROM stdin WITH (FORMAT csv);', '1,a@example.com,***', '2,"b, c@example.com","***"', '\\.'].join('\n'));
    const lines = memoryLog();
    const write = lines.programLines();
    const out = ['COPY users (id, email, password) FROM STDIN CSV', '1,a@example.com,Pw_4x', '\\.'].map(write);
    expect(out[1]).toBe('1,a@example.com,***');
  });

  // DELIMITER: the fields are cut at it (a backslash escapes one inside a value), in one text and line by line.
  it.each([
    ["WITH (DELIMITER ',')", ["COPY api_keys (id, name, key) FROM stdin WITH (DELIMITER ',');", '1,ci,Key_5x', '2,c\\,d,Key_6x', '\\.', '3,after,Key_like'], ["COPY api_keys (id, name, key) FROM stdin WITH (DELIMITER ',');", '1,ci,***', '2,c\\,d,***', '\\.', '3,after,Key_like']],
    ["DELIMITER '|'", ["COPY api_keys (id, name, key) FROM stdin DELIMITER '|'", '1|ci|Key_7x', '\\.'], ["COPY api_keys (id, name, key) FROM stdin DELIMITER '|'", '1|ci|***', '\\.']],
    ["WITH DELIMITER AS ';'", ["COPY api_keys (id, name, key) FROM stdin WITH DELIMITER AS ';';", '1;ci;Key_8x', '\\.'], ["COPY api_keys (id, name, key) FROM stdin WITH DELIMITER AS ';';", '1;ci;***', '\\.']],
    [
      "CSV with DELIMITER '|' and QUOTE ''''",
      ["COPY api_keys (id, name, key) FROM stdin (FORMAT csv, DELIMITER '|', QUOTE '''');", "1|'c|i'|'Key_9x''q'", '\\.'],
      ["COPY api_keys (id, name, key) FROM stdin (FORMAT csv, DELIMITER '|', QUOTE '''');", "1|'c|i'|'***'", '\\.'],
    ],
    ["CSV with ESCAPE '\\'", ["COPY api_keys (id, name, key) FROM stdin WITH (FORMAT csv, ESCAPE '\\');", '1,ci,"Key_10x\\"q"', '\\.'], ["COPY api_keys (id, name, key) FROM stdin WITH (FORMAT csv, ESCAPE '\\');", '1,ci,"***"', '\\.']],
  ])('hides the secret fields of rows with %s', (_what, lines, shown) => {
    expectShown(lines.join('\n'), shown.join('\n'));
    const write = memoryLog().programLines();
    expect(lines.map(write)).toEqual(shown);
  });

  it('hides a CSV field whose quotes hold line breaks, over every line it runs on, and reads the rows after it', () => {
    const lines = [
      'COPY users (id, note, password) FROM stdin WITH (FORMAT csv);',
      '1,"a note,', 'over lines",Pw_11x',
      '2,a@example.com,"Pw_12x', 'its second line', 'its end"',
      '3,c@example.com,Pw_13x',
      '\\.',
    ];
    const shown = ['COPY users (id, note, password) FROM stdin WITH (FORMAT csv);', '1,"a note,', 'over lines",***', '2,a@example.com,"***', '***', '***"', '3,c@example.com,***', '\\.'];
    expectShown(lines.join('\n'), shown.join('\n'));
    const write = memoryLog().programLines();
    expect(lines.map(write)).toEqual(shown);
  });

  it('follows a quoted field however many lines it runs, and reads the rows after it as rows', () => {
    // Cut after 100 lines, the field's closing quote was read as an opening one: the rows after it shown.
    const note = Array.from({ length: 105 }, (_, i) => `line ${i}`);
    const lines = ['COPY api_keys (note, key) FROM stdin WITH (FORMAT csv);', `"${note[0]}`, ...note.slice(1, -1), `${note.at(-1)}",Key_40x`, 'ci,Key_41x', '\\.'];
    const shown = [lines[0]!, `"${note[0]}`, ...note.slice(1, -1), `${note.at(-1)}",***`, 'ci,***', '\\.'];
    expectShown(lines.join('\n'), shown.join('\n'));
    const write = memoryLog().programLines();
    expect(lines.map(write)).toEqual(shown);
  });

  it('a stray quote in a secret field ends at the data\'s end: the error after it is shown', () => {
    // psql ends the data at `\.`, quotes or not: what follows (the server's error) is no field.
    const lines = ['COPY api_keys (name, key) FROM stdin WITH (FORMAT csv);', 'ci,"Key_42x', '\\.', 'ERROR:  unterminated CSV quoted field', 'CONTEXT:  COPY api_keys, line 2'];
    const shown = [lines[0]!, 'ci,"***', '\\.', lines[3]!, lines[4]!];
    expectShown(lines.join('\n'), shown.join('\n'));
    const write = memoryLog().programLines();
    expect(lines.map(write)).toEqual(shown);
  });

  it('leaves a COPY of a table without secret columns as it is', () => {
    const text = 'COPY orders (id, note) FROM stdin;\n1\tshipped\n\\.';
    expect(log.redact(text)).toBe(text);
  });
});

describe("MySQL's double-quoted strings: a value in a row or an assignment", () => {
  // In MySQL (not in PostgreSQL) "…" is a string: where it is a row's or an assignment's value, it is judged as one.
  it.each([
    ['INSERT … VALUES', 'INSERT INTO users (name, password) VALUES ("bob", "Pw_1x")', 'INSERT INTO users (name, password) VALUES ("bob", "***")'],
    ['UPDATE … SET', 'UPDATE users SET password = "Pw_2x" WHERE name = "bob"', 'UPDATE users SET password = "***" WHERE name = "bob"'],
    // `key` is secret only by its table: no `password = …` shape hides these.
    ['a key by its table, several rows', 'INSERT INTO api_keys (name, key) VALUES ("ci", "Key_3x"), ("cd", "Key_4x")', 'INSERT INTO api_keys (name, key) VALUES ("ci", "***"), ("cd", "***")'],
    ['an assignment, a comma inside a string beside it', 'UPDATE api_keys SET note = "a, b", key = "Key_5x" WHERE name = "ci"', 'UPDATE api_keys SET note = "a, b", key = "***" WHERE name = "ci"'],
    ['backslash and doubled quotes inside', 'INSERT INTO api_keys (name, key) VALUES ("ci", "Key_6x\\"q"), ("cd", "Key_7x""q")', 'INSERT INTO api_keys (name, key) VALUES ("ci", "***"), ("cd", "***")'],
    ['ON DUPLICATE KEY UPDATE and INSERT … SET', 'INSERT INTO api_keys (name, key) VALUES ("ci", "Key_8x") ON DUPLICATE KEY UPDATE key = "Key_9x"; INSERT INTO api_keys SET name = "cd", key = "Key_10x"', 'INSERT INTO api_keys (name, key) VALUES ("ci", "***") ON DUPLICATE KEY UPDATE key = "***"; INSERT INTO api_keys SET name = "cd", key = "***"'],
    ['a row without a column list', 'INSERT INTO users VALUES (1, "bob", "Pw_11x")', 'INSERT INTO users VALUES (1, "***", "***")'],
    ['in a call', 'UPDATE api_keys SET key = SHA2("Key_12x", 256) WHERE name = "ci"', 'UPDATE api_keys SET key = SHA2("***", 256) WHERE name = "ci"'],
    ['cut short by the line\'s end', 'INSERT INTO api_keys (name, key) VALUES ("ci", "Key_13x', 'INSERT INTO api_keys (name, key) VALUES ("ci", "***'],
  ])('%s', (_what, text, shown) => expectShown(text, shown));

  it('over several lines, as a client echoes them', () => {
    const write = memoryLog().programLines();
    expect(['INSERT INTO api_keys (name, key)', 'VALUES ("ci", "Key_1x");'].map(write)).toEqual(['INSERT INTO api_keys (name, key)', 'VALUES ("ci", "***");']);
  });

  it("leaves PostgreSQL's double-quoted names shown: tables, column lists, assigned columns, qualified names", () => {
    for (const text of [
      'INSERT INTO "api_keys" ("name", "key") VALUES ($1, $2) ON CONFLICT ("name") DO UPDATE SET "key" = EXCLUDED."key"',
      'UPDATE "public"."users" SET "password_hash" = "staged"."password_hash" FROM "staged" WHERE "users"."id" = "staged"."id"',
      'INSERT INTO "users" ("name", "password") SELECT "name", "password" FROM "old_users"',
      'MERGE INTO "api_keys" k USING "staged" s ON k."name" = s."name" WHEN MATCHED THEN UPDATE SET "key" = s."key"',
      'COPY "api_keys" ("name", "key") FROM stdin;',
    ]) {
      expect(log.redact(text), text).toBe(text);
    }
    // The names stay; the literal is hidden.
    expectShown(`INSERT INTO "api_keys" ("name", "key") VALUES ('ci', 'Key_14x')`, `INSERT INTO "api_keys" ("name", "key") VALUES ('ci', '***')`);
  });
});

describe('SQL printed over several lines', () => {
  // A derived table's rows may be printed before the line that says where they go (the alias that
  // names their columns, a MERGE's WHEN clauses, a CTE's write): a line shown cannot be taken
  // back, so while that is still to come they are hidden as undecided.
  it.each([
    [
      'UPDATE … FROM (VALUES, the rows before the alias that names their columns',
      ['UPDATE api_keys SET key = v.k', 'FROM (VALUES', "  ('ci', 'Key_31x'),", "  ('cd', 'Key_32x')", ') AS v(name, k)', 'WHERE v.name = api_keys.name;'],
      ['UPDATE api_keys SET key = v.k', 'FROM (VALUES', "  ('***', '***'),", "  ('***', '***')", ') AS v(name, k)', 'WHERE v.name = api_keys.name;'],
    ],
    [
      'MERGE … USING (VALUES …) before its WHEN clauses',
      ['MERGE INTO api_keys t', "USING (VALUES ('ci', 'Key_33x')) AS s(name, k)", 'ON t.name = s.name', 'WHEN MATCHED THEN UPDATE SET key = s.k;'],
      ['MERGE INTO api_keys t', "USING (VALUES ('***', '***')) AS s(name, k)", 'ON t.name = s.name', 'WHEN MATCHED THEN UPDATE SET key = s.k;'],
    ],
    [
      'MERGE … USING (SELECT …) on the head\'s line, its WHEN clauses after',
      ["MERGE INTO api_keys t USING (SELECT 'ci' AS name, 'Key_34x' AS k) s", 'ON t.name = s.name', 'WHEN NOT MATCHED THEN INSERT (name, key) VALUES (s.name, s.k);'],
      ["MERGE INTO api_keys t USING (SELECT '***' AS name, '***' AS k) s", 'ON t.name = s.name', 'WHEN NOT MATCHED THEN INSERT (name, key) VALUES (s.name, s.k);'],
    ],
    [
      'SQL Server\'s UPDATE alias, its SET before the FROM that names the table',
      ['UPDATE k', "SET k.note = 'rotated', k.[key] = 'Key_36x'", 'FROM api_keys AS k', "WHERE k.name = 'ci';"],
      ['UPDATE k', "SET k.note = 'rotated', k.[key] = '***'", 'FROM api_keys AS k', "WHERE k.name = 'ci';"],
    ],
    [
      'SQL Server\'s UPDATE TOP (n) alias, its SET before the FROM with table hints',
      ['UPDATE TOP (10) k', "SET k.[key] = 'Key_37x'", 'FROM api_keys AS k WITH (NOLOCK);'],
      ['UPDATE TOP (10) k', "SET k.[key] = '***'", 'FROM api_keys AS k WITH (NOLOCK);'],
    ],
    [
      'a CTE of a SELECT before its write: its columns that say secret by their names',
      ['UPDATE orders SET x = 1;', "WITH s AS (SELECT 'ci' AS name, 'Key_38x' AS key)", 'UPDATE api_keys SET key = s.key FROM s;'],
      ['UPDATE orders SET x = 1;', "WITH s AS (SELECT 'ci' AS name, '***' AS key)", 'UPDATE api_keys SET key = s.key FROM s;'],
    ],
    [
      'a CTE of rows before its write',
      ['WITH v(name, k) AS (VALUES', "  ('ci', 'Key_35x'))", 'UPDATE api_keys SET key = v.k FROM v WHERE v.name = api_keys.name;'],
      ['WITH v(name, k) AS (VALUES', "  ('***', '***'))", 'UPDATE api_keys SET key = v.k FROM v WHERE v.name = api_keys.name;'],
    ],
  ])('%s', (_what, lines, shown) => {
    const write = memoryLog().programLines();
    expect(lines.map(write)).toEqual(shown);
  });

  it('leaves rows decided already as they are: an UPDATE\'s derived rows after a SET that writes no secret, an INSERT into no secret column', () => {
    for (const lines of [
      ['UPDATE orders SET note = v.note', 'FROM (VALUES', "(1, 'shipped'),", "(2, 'held')", ') AS v(id, note);'],
      ['INSERT INTO orders (id, note) VALUES', "(1, 'shipped'),", "(2, 'held');"],
      ['config values loaded', 'with 3 values (a, b) as (values here)', 'done'],
      // A CTE psql echoes after a write, its write still to come: judged by its names, not hidden whole as undecided.
      ['UPDATE orders SET x = 1;', 'WITH recent AS (', "  SELECT id FROM deploys WHERE env = 'production'", ')', 'DELETE FROM deploys USING recent;'],
    ]) {
      const write = memoryLog().programLines();
      expect(lines.map(write)).toEqual(lines);
    }
  });

  it('hides every row of a long INSERT printed a row a line, and the ON CONFLICT after them', () => {
    const write = memoryLog().programLines();
    const rows = Array.from({ length: 60 }, (_v, i) => `  ('k${i}', 'Key_${i}x'),`);
    const out = ['INSERT INTO api_keys', '  (name, key)', 'VALUES', ...rows, "  ('last', 'Key_99x')", "ON CONFLICT (name) DO UPDATE SET key = 'Key_98x';"].map(write);
    expect(out.slice(3, -2)).toEqual(rows.map((_r, i) => `  ('k${i}', '***'),`));
    expect(out.slice(-2)).toEqual(["  ('last', '***')", "ON CONFLICT (name) DO UPDATE SET key = '***';"]);
    // A row with its comma on its own line's start goes on too.
    const lead = memoryLog().programLines();
    const shown = ['INSERT INTO users (email, password) VALUES', ...Array.from({ length: 30 }, (_v, i) => `${i ? ', ' : ''}('u${i}@example.com', 'Pw_${i}x')`)].map(lead);
    for (const line of shown) expect(line).not.toMatch(/Pw_\d+x/);
  });

  it('hides a later line\'s ON CONFLICT assignment', () => {
    const lines = memoryLog();
    const write = lines.programLines();
    const out = ['INSERT INTO api_keys (name, key)', "VALUES ('ci', 'Key_1x')", 'ON CONFLICT (name) DO UPDATE', "SET key = 'Key_2x', note = 'rotated';"].map(write);
    expect(out).toEqual(['INSERT INTO api_keys (name, key)', "VALUES ('ci', '***')", 'ON CONFLICT (name) DO UPDATE', "SET key = '***', note = 'rotated';"]);
  });
});

// A name's quotes are read one at a time, not in pairs (TABLE_ALIAS aside): a migration with a
// quote missing is the one that fails, and its statement is what the error prints. Read in pairs,
// `"key` would name no column and the key after it would be shown.
describe('a name with a quote missing or mismatched still names its column', () => {
  it.each([
    ['a column list', `INSERT INTO api_keys ("name", "key) VALUES ('ci', 'Key_1x'); INSERT INTO api_keys (name, [key") VALUES ('ci', 'Key_2x')`, `INSERT INTO api_keys ("name", "key) VALUES ('ci', '***'); INSERT INTO api_keys (name, [key") VALUES ('ci', '***')`],
    ['an assignment', `UPDATE api_keys SET "key = 'Key_3x' WHERE id = 1; UPDATE api_keys SET [key" = 'Key_4x'`, `UPDATE api_keys SET "key = '***' WHERE id = 1; UPDATE api_keys SET [key" = '***'`],
  ])('%s', (_what, text, shown) => expectShown(text, shown));
});

// A failed statement is quoted in its error (`statement "…": relation … does not exist`): the `"`
// that closes the quotation after a SET list's last literal was read as a MySQL string's opening,
// and the message after it hidden to the line's end.
describe('a statement quoted in an error message', () => {
  it('hides the key and leaves the message after the quotation shown', () => {
    const message = `failed at 2_t2.sql line 6, statement "UPDATE api_keys SET key = 'Key_1x'": relation "api_keys" does not exist [42P01]. Its transaction was rolled back`;
    expectShown(message, message.replace('Key_1x', '***'));
    const hints = `statement "UPDATE api_keys WITH (ROWLOCK) SET key = 'Key_2x'": syntax error at or near "WITH" [42601]`;
    expectShown(hints, hints.replace('Key_2x', '***'));
    // MySQL's two strings written as one (no break after the first) are still read as a value's.
    expectShown(`UPDATE api_keys SET key = 'Key_3x'"Key_4x"`, `UPDATE api_keys SET key = '***'"***"`);
    // Also when the second part starts with a space, or with a colon and no break: no quotation ends there.
    expectShown(`UPDATE api_keys SET key = 'Key_5x'" tail-of-the-key-Key_6x"`, `UPDATE api_keys SET key = '***'"***"`);
    expectShown(`UPDATE api_keys SET key = 'Key_7x'":Key_8x"`, `UPDATE api_keys SET key = '***'"***"`);
  });
});

describe('what is no secret stays', () => {
  it('leaves writes of columns that hold none alone', () => {
    for (const text of [
      "UPDATE settings SET key = 'theme', value = 'dark' WHERE id = 1",
      "INSERT INTO settings (key, value) VALUES ('theme', 'dark') ON CONFLICT (key) DO UPDATE SET value = 'dark'",
      "INSERT INTO orders (id, note) VALUES (1, 'shipped') ON DUPLICATE KEY UPDATE note = 'again'",
      "REPLACE INTO orders (id, note) VALUES (1, 'shipped'); INSERT IGNORE INTO orders (id, note) VALUES (2, 'held')",
      "UPDATE orders SET note = v.note FROM (VALUES (1, 'shipped')) AS v(id, note) WHERE orders.id = v.id",
      "MERGE INTO orders o USING (VALUES (1, 'shipped')) AS s(id, note) ON o.id = s.id WHEN MATCHED THEN UPDATE SET note = s.note",
      "UPDATE api_keys SET last_used = '2026-12-04', key = $1 WHERE name = 'ci'",
      "UPDATE TOP (1) orders WITH (ROWLOCK) SET note = 'held' FROM orders o WITH (NOLOCK) WHERE o.id = 1",
      "SELECT replace(note, 'a', 'b') FROM orders; -- copy and merge and update later",
    ]) {
      expect(log.redact(text), text).toBe(text);
    }
  });
});
