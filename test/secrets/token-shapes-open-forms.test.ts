// Forms the last review found open in the one redactor (Log.redact → hideKnownTokens): a cookie
// written in prose or passed to curl, a secret stored by an SQL INSERT, a URL percent-encoded inside
// another URL's query, and `Bearer` hiding more than its token. Each case states the whole line
// shown, so a fix that hides too much fails as one that hides too little does.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { runRollbackCommand } from '../../src/platforms/command/run.js';

const log = memoryLog();

describe('cookies, wherever they are written', () => {
  it.each([
    ['a cookie header in lower case in a sentence: the rest of the sentence stays', 'the request sent cookie: session=Ck_abc123def456 and failed', 'the request sent cookie: *** and failed'],
    ['several a=b; c=d pairs, then prose', 'Cookie: theme=dark; session=Ck_abc123def456; csrftoken=Cs_1 was refused', 'Cookie: *** was refused'],
    ['a cookie named in prose without a colon', 'the browser sent cookie session=Ck_abc123def456; theme=dark and failed', 'the browser sent cookie *** and failed'],
    ['"Cookie header:"', 'Cookie header: session=Ck_abc123def456', 'Cookie header: ***'],
    ['curl -b and --cookie', `curl -b "session=Ck_1x; theme=dark" https://x; curl --cookie 'sid=Ck_2x' https://x; curl --cookie=sid=Ck_3x x`, `curl -b "***" https://x; curl --cookie '***' https://x; curl --cookie=*** x`],
    ['cookie= with a quoted value', `cookie='session=Ck_abc123def456; a=b' next`, `cookie='***' next`],
    ['a header in a brace, which stays', 'headers: {cookie: theme=dark; session=Ck_abc123def456}', 'headers: {cookie: ***}'],
    ['Set-Cookie attributes after the value', 'Set-Cookie: sid=Ck_4x; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/', 'Set-Cookie: ***, 21 Oct 2026 07:28:00 GMT; Path=/'],
    ['Set-Cookie as a list, as JSON and Node print it', `{"set-cookie":["sid=Ck_5x; Path=/","b=Ck_6x"],"n":1} { 'set-cookie': [ 'sid=Ck_7x; Path=/' ] }`, `{"set-cookie":["***","***"],"n":1} { 'set-cookie': [ '***' ] }`],
    ['session cookies by their well-known names', 'JSESSIONID=Js_1x PHPSESSID=Ph_2x sessionid=Dj_3x connect.sid=s%3ACn_4x.sig _shop_session=Rs_5x', 'JSESSIONID=*** PHPSESSID=*** sessionid=*** connect.sid=*** _shop_session=***'],
  ])('%s', (_what, text, shown) => {
    expect(log.redact(text)).toBe(shown);
  });

  it('leaves cookie words that carry no value alone', () => {
    for (const text of ['the Cookie: header was refused', 'curl -b cookies.txt https://x', 'git checkout -b fix-login', 'cookie: none', 'session=3 sessions: 4', 'x-vercel-set-bypass-cookie=true']) {
      expect(log.redact(text)).toBe(text);
    }
  });
});

describe('a secret stored by an SQL INSERT', () => {
  it.each([
    ['a plain random value under a key column of a keys table', "INSERT INTO api_keys (name, key) VALUES ('ci', 'R4nd0mV4lu3Xyz')", "INSERT INTO api_keys (name, key) VALUES ('ci', '***')"],
    ['a known shape, as before', "INSERT INTO api_keys (name, key) VALUES ('ci', 'sk_live_abcdefghijklmnop')", "INSERT INTO api_keys (name, key) VALUES ('ci', 'sk_live_***')"],
    ['a token column', "insert into sessions (user_id, token) values (1, 'pl41nT0kenV4lue');", "insert into sessions (user_id, token) values (1, '***');"],
    ['several rows, a quote inside, a function around the value', "INSERT INTO public.users (email, password_hash, api_secret) VALUES ('a@x.io', crypt('Pw''1x', gen_salt('bf')), 'Sec_1'), ('b@x.io', 'H_2', NULL)", "INSERT INTO public.users (email, password_hash, api_secret) VALUES ('a@x.io', crypt('***', gen_salt('***')), '***'), ('b@x.io', '***', NULL)"],
    ['a statement over several lines', "INSERT INTO secrets (name, value)\n  VALUES ('stripe', 'Str_9x');", "INSERT INTO secrets (name, value)\n  VALUES ('stripe', '***');"],
    ['an E\'…\' literal with an escaped quote', "INSERT INTO users (name, password_hash) VALUES (E'bob\\'s', E'it\\'s Pw_9x'), ('e', 'Pw_10x')", "INSERT INTO users (name, password_hash) VALUES (E'bob\\'s', E'***'), ('e', '***')"],
    ['a statement cut short: hidden to the end of its line only', "INSERT INTO users (name, password_hash) VALUES ('bob', 'Cut_1x\nthe next line stays", "INSERT INTO users (name, password_hash) VALUES ('bob', '***\nthe next line stays"],
    ['INSERT … SELECT with a column list', "INSERT INTO users (email, password) SELECT 'a@x.io', 'Sel_1x'", "INSERT INTO users (email, password) SELECT 'a@x.io', '***'"],
    ['INSERT … SELECT into a credentials table without a column list: every string', "INSERT INTO credentials SELECT 'ci', 'Sel_2x' FROM dual; SELECT 'Sel_3x'", "INSERT INTO credentials SELECT '***', '***' FROM dual; SELECT 'Sel_3x'"],
    ['INSERT … SELECT into an account table, with aliases, a function, a WHERE and a UNION', "insert into public.users select 'bob' as name, crypt('Sel_4x', gen_salt('bf')) where not exists (select 1 from users where name = 'bob') union all select 'eve', 'Sel_5x';", "insert into public.users select '***' as name, crypt('***', gen_salt('***')) where not exists (select 1 from users where name = 'bob') union all select '***', '***';"],
    ['INSERT … SELECT over several lines', "INSERT INTO api_keys (name, key)\n  SELECT 'ci', 'Sel_6x'\n  FROM generate_series(1, 1);", "INSERT INTO api_keys (name, key)\n  SELECT 'ci', '***'\n  FROM generate_series(1, 1);"],
    ['INSERT … SELECT DISTINCT ON (…): every string of the statement', "INSERT INTO api_keys (name, key) SELECT DISTINCT ON (u.id) 'ci', 'plainValue9876' FROM users u", "INSERT INTO api_keys (name, key) SELECT DISTINCT ON (u.id) '***', '***' FROM users u"],
    ['INSERT … (SELECT …) in brackets', "INSERT INTO api_keys (name, key) (SELECT 'ci', 'plainValue9876'); SELECT 'after'", "INSERT INTO api_keys (name, key) (SELECT '***', '***'); SELECT 'after'"],
    ['INSERT … (SELECT …) in brackets, no column list', "INSERT INTO api_keys (SELECT 'ci', 'plainValue9876')", "INSERT INTO api_keys (SELECT '***', '***')"],
    ['INSERT … WITH … SELECT', "INSERT INTO api_keys (name, key) WITH x AS (SELECT 1) SELECT 'ci', 'plainValue9876' FROM x", "INSERT INTO api_keys (name, key) WITH x AS (SELECT 1) SELECT '***', '***' FROM x"],
    ['INSERT … WITH a literal in the WITH', "INSERT INTO users (email, password) WITH s AS (SELECT 'With_1x' AS p) SELECT 'a@x.io', p FROM s", "INSERT INTO users (email, password) WITH s AS (SELECT '***' AS p) SELECT '***', p FROM s"],
    ['UNION ALL (SELECT …) in brackets', "INSERT INTO api_keys (name, key) SELECT 'ci','a' FROM t UNION ALL (SELECT 'b','otherValue1234')", "INSERT INTO api_keys (name, key) SELECT 'ci','***' FROM t UNION ALL (SELECT '***','***')"],
    ['INTERSECT and EXCEPT SELECT', "INSERT INTO api_keys (name, key) SELECT 'ci', 'Set_1x' INTERSECT SELECT 'ci', 'Set_2x' EXCEPT SELECT 'ci', 'Set_3x'", "INSERT INTO api_keys (name, key) SELECT 'ci', '***' INTERSECT SELECT 'ci', '***' EXCEPT SELECT 'ci', '***'"],
    ['a DISTINCT ON after a UNION', "INSERT INTO api_keys (name, key) SELECT 'ci', 'Set_4x' UNION SELECT DISTINCT ON (id) 'cd', 'Set_5x' FROM t", "INSERT INTO api_keys (name, key) SELECT 'ci', '***' UNION SELECT DISTINCT ON (id) '***', '***' FROM t"],
    ['a FROM (SELECT …) or FROM (VALUES …) the list reads from: its strings, not the WHERE\'s', "INSERT INTO api_keys (name, key) SELECT 'ci', k FROM (SELECT 'From_1x' AS k) a, (VALUES ('From_2x')) v(k2) WHERE a.k <> 'old' UNION SELECT 'cd', 'From_3x'", "INSERT INTO api_keys (name, key) SELECT 'ci', k FROM (SELECT '***' AS k) a, (VALUES ('***')) v(k2) WHERE a.k <> 'old' UNION SELECT 'cd', '***'"],
    ['an UPDATE of a key column in a keys table', "UPDATE api_keys SET key = 'R4nd0mV4lu3Xyz' WHERE id = 1", "UPDATE api_keys SET key = '***' WHERE id = 1"],
  ])('%s', (_what, text, shown) => {
    expect(log.redact(text)).toBe(shown);
  });

  it('leaves ordinary INSERTs, migration names and counts alone', () => {
    for (const text of [
      "INSERT INTO users (name, email) VALUES ('bob', 'bob@x.io')",
      "INSERT INTO schema_migrations (version) VALUES ('003_secret_store')",
      "INSERT INTO settings (key, value) VALUES ('theme', 'dark')",
      "INSERT INTO flyway_schema_history (version, description, script) VALUES ('3', 'add token', 'V3__add_token.sql')",
      "INSERT INTO api_keys (name, key) VALUES ($1, $2)",
      "INSERT INTO api_keys (name, key) VALUES ('ci', '***')",
      'INSERT 0 1',
      'UPDATE settings SET key = 1',
      "INSERT INTO users (name, email) SELECT 'bob', 'bob@x.io'",
      "INSERT INTO orders SELECT g, 'shipped' FROM generate_series(1, 3) g",
      "INSERT INTO users (email, password_hash) SELECT email, password_hash FROM staging WHERE note = 'moved'",
      "SELECT 'a', 'b' FROM users WHERE email = 'bob@x.io'; SELECT 'x' AS password",
      "INSERT INTO settings (key, value) SELECT 'theme', 'dark'",
      "INSERT INTO users (name, email) WITH x AS (SELECT 1) SELECT 'bob', 'bob@x.io' FROM x",
      "INSERT INTO orders (id, status) (SELECT DISTINCT ON (id) id, 'shipped' FROM t) UNION ALL (SELECT 2, 'new')",
      "INSERT INTO orders SELECT 1, 'a' INTERSECT SELECT 1, 'a'",
    ]) {
      expect(log.redact(text)).toBe(text);
    }
  });
});

describe('a URL percent-encoded inside another URL', () => {
  it.each([
    ['once', 'https://app/login?next=https%3A%2F%2Fuser%3Apass_Enc1%40db%2F%3Ftoken%3DTok_Enc1&x=1', 'https://app/login?next=https%3A%2F%2Fuser%3A***%40db%2F%3Ftoken%3D***&x=1'],
    ['twice', 'https://app/login?next=https%253A%252F%252Fuser%253Apass_Enc2%2540db%252F%253Ftoken%253DTok_Enc2 x', 'https://app/login?next=https%253A%252F%252Fuser%253A***%2540db%252F%253Ftoken%253D*** x'],
    ['lower-case escapes and a bare path', 'https://app/cb?next=%2Fx%3Fa%3D1%26api_key%3DKey_Enc3', 'https://app/cb?next=%2Fx%3Fa%3D1%26api_key%3D***'],
    ['outside any URL, in a log line', 'redirect_uri=https%3A%2F%2Fu%3APw_Enc4%40h%2F%3Ftoken%3DTk_Enc4&state=1 ok; see https%253A%252F%252Fu%253APw_Enc5%2540h now', 'redirect_uri=https%3A%2F%2Fu%3A***%40h%2F%3Ftoken%3D***&state=1 ok; see https%253A%252F%252Fu%253A***%2540h now'],
    ['an OAuth code in an encoded callback', 'https://login/authorize?redirect=%2Fcb%3Fcode%3DCode_Enc6%26state%3Dxyz', 'https://login/authorize?redirect=%2Fcb%3Fcode%3D***%26state%3Dxyz'],
    ['the word password in an example stays', 'https://app/login?next=https%3A%2F%2Fuser%3Apassword%40db%2F', 'https://app/login?next=https%3A%2F%2Fuser%3Apassword%40db%2F'],
  ])('%s', (_what, text, shown) => {
    expect(log.redact(text)).toBe(shown);
  });

  it('leaves an encoded URL without secrets as written', () => {
    for (const text of ['https://app/login?next=https%3A%2F%2Fshop.example%2Fcart%3Fitem%3D3%26q%3Dred', 'https://x/?q=100%25%20sure']) {
      expect(log.redact(text)).toBe(text);
    }
  });
});

describe('Bearer hides its token, nothing more', () => {
  it.each([
    ['a WWW-Authenticate challenge: auth-params, not a token', 'WWW-Authenticate: Bearer realm="api", error="invalid_token"', 'WWW-Authenticate: Bearer realm="api", error="invalid_token"'],
    ['a sentence ending in a word', 'we require Bearer tokens.', 'we require Bearer tokens.'],
    ['hyphenated and capital words in prose', 'Bearer token-based auth; a Bearer JWT or OAuth2 token', 'Bearer token-based auth; a Bearer JWT or OAuth2 token'],
    ['a variable or a placeholder in a header', 'curl -H "Authorization: Bearer $VERCEL_TOKEN" -H \'Authorization: Bearer ${{ secrets.T }}\' <token>: Authorization: Bearer <token>', 'curl -H "Authorization: Bearer $VERCEL_TOKEN" -H \'Authorization: Bearer ${{ secrets.T }}\' <token>: Authorization: Bearer <token>'],
    ['a header named in prose', 'the Authorization: Bearer header is missing; Authorization: Bearer', 'the Authorization: Bearer header is missing; Authorization: Bearer'],
    ['the token and only the token', 'Authorization: Bearer Tok_b1x was refused; sent Bearer Tok.b2x to the api; Bearer abc/def+ghi== ok', 'Authorization: Bearer *** was refused; sent Bearer *** to the api; Bearer *** ok'],
  ])('%s', (_what, text, shown) => {
    expect(log.redact(text)).toBe(shown);
  });
});

describe('what an on-call engineer\'s tools print', () => {
  it.each([
    ['a libpq DSN, quoted with an escaped quote inside', `psql "host=db user=app password='a\\'b Pw_1x' dbname=shop"`, `psql "host=db user=app password='***' dbname=shop"`],
    ['PGPASSWORD before psql', "PGPASSWORD='Pg Pw_2x' psql -h db; PGPASSWORD=Pg_3x psql", "PGPASSWORD='***' psql -h db; PGPASSWORD=*** psql"],
    ['Authorization: Basic', 'Authorization: Basic dXNlcjpwYXNz', 'Authorization: Basic ***'],
    ['database and cache URLs', 'mysql://root:My_4x@db:3306/shop redis://:Rd_5x@cache:6379/0', 'mysql://root:***@db:3306/shop redis://:***@cache:6379/0'],
    ['redis-cli -u keeps its URL', 'redis-cli -u redis://:Rd_6x@cache:6379', 'redis-cli -u redis://:***@cache:6379'],
    ['mysql -p joined to its password', "mysql -uroot -pMy_7x shop; mysqldump -h db -p'My 8x' shop", "mysql -uroot -p*** shop; mysqldump -h db -p'***' shop"],
    ['redis-cli -a and --pass, DB_PASS', 'redis-cli -h cache -a Rd_9x ping; redis-cli --pass Rd_10x; DB_PASS=Db_11x', 'redis-cli -h cache -a *** ping; redis-cli --pass ***; DB_PASS=***'],
    ['an AWS credentials file', '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\naws_session_token=IQoJb3JpZ2luX2Vj', '[default]\naws_access_key_id = AKIA***\naws_secret_access_key = ***\naws_session_token=***'],
    ['Authorization schemes beyond Bearer and Basic: the scheme kept, its credential hidden', 'Authorization: Negotiate YIIGhgYGKwYBBQUCoIIG\nauthorization: NTLM TlRMTVNTUAABAAAAB4II==\nAuthorization: SSWS 00QCjAl4MlV-WPXM-Ok_1x', 'Authorization: Negotiate ***\nauthorization: NTLM ***\nAuthorization: SSWS ***'],
    ['a scheme\'s parameters, a secret-named one hidden by its name', 'Authorization: Digest username="a", realm="r"; Authorization: OAuth oauth_consumer_key="ck", oauth_token="Ot_1x"', 'Authorization: Digest username="a", realm="r"; Authorization: OAuth oauth_consumer_key="***", oauth_token="***"'],
    ['a registry login\'s and sshpass\' -p', 'docker login -u ci -p Dk_1x registry.example; sshpass -p Ss_1x ssh host; az login -u a@b.c -p Az_1x', 'docker login -u ci -p *** registry.example; sshpass -p *** ssh host; az login -u a@b.c -p ***'],
    ['a tool\'s config set', 'aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG; aws configure set profile.ci.aws_session_token "IQoJb3Jp"; yarn config set npmAuthToken Np_1x', 'aws configure set aws_secret_access_key ***; aws configure set profile.ci.aws_session_token "***"; yarn config set npmAuthToken ***'],
    ['a .pgpass file', 'db.internal:5432:shop:app:Pgpass_1x\n*:*:*:app:Pgpass_2x\n12:30:45 started', 'db.internal:5432:shop:app:***\n*:*:*:app:***\n12:30:45 started'],
    ['kubectl --from-literal, helm --set=', 'kubectl create secret generic db --from-literal=password=Kc_1x --from-literal=user=app; helm install x --set=db.password=Hm_1x', 'kubectl create secret generic db --from-literal=password=*** --from-literal=user=app; helm install x --set=db.password=***'],
    ['a header given to curl with no space after its colon', 'curl -H "X-Api-Key:Ak_8x" -H \'PRIVATE-TOKEN:Pt_8x\' -H "Accept:application/json" x', 'curl -H "X-Api-Key:***" -H \'PRIVATE-TOKEN:***\' -H "Accept:application/json" x'],
    ['MongoDB\'s and SQL Server\'s clients', 'mongosh "mongodb://db" -u app -p Mg_2x; sqlcmd -S db -U sa -P Mss_1x -Q "select 1"', 'mongosh "mongodb://db" -u app -p ***; sqlcmd -S db -U sa -P *** -Q "select 1"'],
    ['one-dash long options: keytool, influx', 'keytool -importkeystore -srcstorepass Ks_1x -deststorepass Ks_2x -keypass Ks_3x; influx -username admin -password Ix_1x', 'keytool -importkeystore -srcstorepass *** -deststorepass *** -keypass ***; influx -username admin -password ***'],
    ['OpenSSL\'s pass: (env: stays)', 'openssl pkcs12 -in a.p12 -passin pass:Os_1x -passout env:PW', 'openssl pkcs12 -in a.p12 -passin pass:*** -passout env:PW'],
    ['a Google access token', 'gcloud auth print-access-token: ya29.a0AfH6SMBx3AbCdEfGhIjKlMnOpQrStUv', 'gcloud auth print-access-token: ya29.***'],
    ['more token prefixes', 'glpat-AbCdEfGhIjKlMnOpQrSt AIzaSyA-1234567890abcdefghijklmnopqrstu sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345 sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx sk-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 'glpat-*** AIza*** sk-proj-*** sk-ant-*** sk-***'],
    ['and more', 'xapp-1-A0123456789-1234567890123-abcdef dckr_pat_AbCdEfGhIjKlMnOpQrStUvWxYz0 pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdo SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123 hvs.CAESIAbCdEfGhIjKlMnOpQrStUvWxYz01 dop_v1_0123456789abcdef0123456789abcdef shpat_0123456789abcdef0123456789abcdef', 'xapp-*** dckr_pat_*** pypi-*** SG.*** hvs.*** dop_v1_*** shpat_***'],
  ])('%s', (_what, text, shown) => {
    expect(log.redact(text)).toBe(shown);
  });

  it('leaves words like those prefixes, settings and schemes alone', () => {
    for (const text of [
      'pip install scikit-learn sk-learn pypi-server pypi-some-long-package-name-here glpat-short SG.1.2 hvs.short sk-some-long-package-name-here-and-more',
      'aws configure set default.region us-east-1; git config --global user.name bob',
      'Authorization: Negotiate',
      'docker login -u ci --password-stdin registry.example; docker run -p 8080:80 img',
      'find . -name secret -newer x; ls -la; tar -czf x.tgz .; ssh -o PasswordAuthentication=no h; psql -P pager=off',
    ]) {
      expect(log.redact(text)).toBe(text);
    }
  });

  it('leaves -p and -a of other programs alone', () => {
    for (const text of [
      'mkdir -p /tmp/x; ssh -p 2222 host; docker run -p8080:80 img',
      'ls -a; mysql -p shop',
      'redis-cli ping; cp -a src dst',
      'mysql -uroot -p$MYSQL_PWD shop; redis-cli -a "$REDIS_PASSWORD" ping',
      'first pass: done, second pass: running now',
    ]) {
      expect(log.redact(text)).toBe(text);
    }
  });
});

describe('an SQL write a command prints over several lines', () => {
  it('hides the secret on a later line, and leaves the lines after the statement alone', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'rk-sql-lines-'));
    try {
      const log = memoryLog();
      // As `psql -e -f seed.sql` echoes a seed file, line by line.
      await writeFile(
        join(cwd, 'seed.sql'),
        ["INSERT INTO api_keys (name, key)", "  VALUES ('ci', 'MultiLineKey_1x'),", "         ('deploy', 'MultiLineKey_2x');", 'INSERT INTO settings (key, value)', "  VALUES ('theme', 'dark');", "done: 'MultiLineKey_3x' was not written", ''].join('\n'),
      );
      await runRollbackCommand({ command: 'cat seed.sql', target: 'app:v1', timeoutSeconds: 20, dryRun: false, cwd, baseEnv: { ...process.env } }, log);
      const all = log.lines.join('\n');
      expect(all).not.toContain('MultiLineKey_1x');
      expect(all).not.toContain('MultiLineKey_2x');
      expect(all).toContain("  VALUES ('ci', '***'),");
      expect(all).toContain("         ('deploy', '***');");
      expect(all).toContain("  VALUES ('theme', 'dark');");
      expect(all).toContain("done: 'MultiLineKey_3x' was not written");
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

// The redactor's known gaps (redact-gaps): each line leaked, or hid what was no secret, before.
describe('forms the redactor missed', () => {
  const ghp = `ghp_${'Ab3dE'.repeat(7)}x`;
  it.each([
    ['a cookie pair with spaces around its =', 'Cookie: a = b; sid = Ck_sp1x was sent', 'Cookie: *** was sent'],
    ['Set-Cookie with spaces, then its attributes', 'Set-Cookie: sid = Ck_sp2x; Path=/', 'Set-Cookie: ***'],
    ['Set-Cookie as a list, with spaces', `{"set-cookie":["sid = Ck_sp3x; Path=/"]}`, `{"set-cookie":["***"]}`],
    [
      'HTTP Digest: the response only, the params sent in the clear stay',
      'Authorization: Digest username="u", realm="r", nonce="n", uri="/", cnonce="0a4f113b", nc=00000001, qop=auth, response="6629fae49393a05397450978507c4ef1", opaque="5c"',
      'Authorization: Digest username="u", realm="r", nonce="n", uri="/", cnonce="0a4f113b", nc=00000001, qop=auth, response="***", opaque="5c"',
    ],
    ['HTTP Digest inside a JSON string', '{"h":"Proxy-Authorization: Digest username=\\"u\\", response=\\"6629fae49393a05397450978507c4ef1\\""}', '{"h":"Proxy-Authorization: Digest username=\\"u\\", response=\\"***\\""}'],
    [
      'AWS SigV4: the access key id and the signature',
      'Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024',
      'Authorization: AWS4-HMAC-SHA256 ***, SignedHeaders=host, Signature=***',
    ],
    [
      'X-Amz-Signature= outside a URL, and in one',
      'X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE/20130524 https://b.s3.amazonaws.com/k?X-Amz-Date=1&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024',
      'X-Amz-Signature=***&X-Amz-Credential=AKIA***/20130524 https://b.s3.amazonaws.com/k?X-Amz-Date=1&X-Amz-Signature=***',
    ],
    ['an INSERT into an account table without a column list: every string', "INSERT INTO users VALUES ('alice', 'hunter2-secret')", "INSERT INTO users VALUES ('***', '***')"],
    ['an INSERT into a secrets table without a column list, several rows', "INSERT INTO public.api_keys VALUES (1, 'R4nd0m_1x'), (2, $$R4nd0m_2x$$);", "INSERT INTO public.api_keys VALUES (1, '***'), (2, $$***$$);"],
    ['a dollar-quoted password', 'UPDATE users SET password = $$hunter2$$', 'UPDATE users SET password = $$***$$'],
    ['a tagged dollar-quoted password with a space in it', 'UPDATE users SET password = $pw$correct horse$pw$ WHERE id = 1', 'UPDATE users SET password = $pw$***$pw$ WHERE id = 1'],
    ['dollar-quoted under a key column, and in an INSERT', "UPDATE api_keys SET key = $$R4nd0m$$; INSERT INTO users (name, password_hash) VALUES ('a', $h$Pw 1$h$)", "UPDATE api_keys SET key = $$***$$; INSERT INTO users (name, password_hash) VALUES ('a', $h$***$h$)"],
    ['a header given to wget or curl as --header=name:value', 'wget --header=token:Hd_1x --header=X-Api-Key:Hd_2x --header=Accept:text/html https://x', 'wget --header=token:*** --header=X-Api-Key:*** --header=Accept:text/html https://x'],
    ['a header glued to -H, quoted', `curl -H'Authorization: token Hd_3x' -H'X-Api-Key:Hd_4x' -H"token:Hd_5x" --header=Authorization:Bearer Hd_6x x`, `curl -H'Authorization: token ***' -H'X-Api-Key:***' -H"token:***" --header=Authorization:Bearer *** x`],
    ['two GitHub tokens glued', `${ghp}${ghp} used`, 'ghp_*** used'],
    ['a token glued to another known prefix', `${ghp}xoxb-1234567890-0987654321-AbCd xoxb-1234567890-0987654321-AbCd${ghp} ${ghp}ya29.a0AfH6SMBx3AbCdEfGhIjKlMn`, 'ghp_*** xoxb-*** ghp_***'],
    ['two AWS key ids glued', 'AKIAIOSFODNN7EXAMPLEASIAIOSFODNN7EXAMPLE', 'AKIA***'],
    ['a Google key glued to a token', `AIza${'b'.repeat(35)}${ghp}`, 'AIza***'],
    ['a header glued to -H with no quote', 'curl -Htoken:Hg_1x -HX-Api-Key:Hg_2x -HPRIVATE-TOKEN:Hg_3x -HAuthorization:Hg_4x -HCookie:sid=Hg_5x x', 'curl -Htoken:*** -HX-Api-Key:*** -HPRIVATE-TOKEN:*** -HAuthorization:*** -HCookie:*** x'],
    ['a header after -H and --header, spaced, =-joined and quoted', `curl -H token:Hs_1x --header token:Hs_2x -H=token:Hs_3x --header=token:Hs_4x -H 'token:Hs_5x' --header "token: Hs_6x" -H"token:Hs_7x" --header='token:Hs_8x' x`, `curl -H token:*** --header token:*** -H=token:*** --header=token:*** -H 'token:***' --header "token: ***" -H"token:***" --header='token:***' x`],
    ['curl\'s -u glued to its user, bare and quoted', `curl -uci:Ug_1x x; curl -u'ci:Ug_2x' x; curl -u"ci:Ug 3x" x; curl --user='ci:Ug_4x' x`, `curl -uci:*** x; curl -u'ci:***' x; curl -u"ci:***" x; curl --user='ci:***' x`],
    ['curl\'s -b glued to its cookie, bare and quoted', `curl -bsid=Bg_1x x; curl -b'sid=Bg_2x; a=b' x`, `curl -b*** x; curl -b'***' x`],
    ['a client\'s password option glued to its value', 'docker login -u ci -pDg_1x r; sqlcmd -S db -PSq_1x -Q x; sshpass -pSp_1x ssh h', 'docker login -u ci -p*** r; sqlcmd -S db -P*** -Q x; sshpass -p*** ssh h'],
    ['sshpass\' -p, and the port of the ssh it runs', 'sshpass -p Ss_2x ssh -p 2222 host; sshpass -e -f pw.txt ssh -p 22 h; sshpass -v -p Ss_3x ssh -p 22 h', 'sshpass -p *** ssh -p 2222 host; sshpass -e -f pw.txt ssh -p 22 h; sshpass -v -p *** ssh -p 22 h'],
  ])('%s', (_what, text, shown) => {
    expect(log.redact(text)).toBe(shown);
  });

  it('leaves what only looks like those alone', () => {
    for (const text of [
      'cookie size = 4096; curl -b a = b',
      'Authorization: Digest username="u", realm="r"; the digest response was 401',
      'INSERT INTO orders VALUES (1, \'shipped\'); INSERT INTO user_settings VALUES (\'theme\', \'dark\'); INSERT INTO users VALUES ($1, $2)',
      'INSERT INTO schema_migrations VALUES (\'003_secret_store\')',
      'UPDATE settings SET note = $$a$$; UPDATE users SET name = $n$bob$n$',
      'signature: valid; token ghp_short.',
      'curl --header=Accept:application/json -H\'Content-Type: text/plain\' x',
      'ssh -p 2222 host; sshpass -f pw.txt ssh -p 2222 host',
      'curl -HAccept:application/json -HContent-Type:text/plain -bcookies.txt -uci x; tar -Hgnu -cf x.tar .; docker run -u1000:1000 -p8080:80 img; sort -u -t: -k2 f',
      'git checkout -bfix-login; docker login -u ci --password-stdin r; sqlcmd -S db -Q "select 1"',
    ]) {
      expect(log.redact(text)).toBe(text);
    }
  });
});
