// Forms the last review found open in the one redactor (Log.redact → hideKnownTokens): a cookie
// written in prose or passed to curl, a secret stored by an SQL INSERT, a URL percent-encoded inside
// another URL's query, and `Bearer` hiding more than its token. Each case states the whole line
// shown, so a fix that hides too much fails as one that hides too little does.
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';

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
