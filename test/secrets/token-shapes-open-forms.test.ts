// Forms the last review found open in the one redactor (Log.redact → hideKnownTokens): a cookie
// written in prose or passed to curl, a secret stored by an SQL INSERT, a URL percent-encoded inside
// another URL's query, and `Bearer` hiding more than its token. Each case states the whole line
// shown, so a fix that hides too much fails as one that hides too little does.
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';

const log = memoryLog();

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
