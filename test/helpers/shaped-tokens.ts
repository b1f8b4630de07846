/** Credentials of well-known shapes for the leak tests (test/secrets/token-shapes.test.ts, command-token-shapes.test.ts). */
/** Shaped like the real ones, made up: none of them was ever a credential. */
export const SHAPED = {
  ghp: `ghp_${'Ab3dE'.repeat(7)}x`,
  gho: `gho_${'Zy9Xw'.repeat(8)}`,
  ghu: `ghu_${'Q1w2E'.repeat(8)}`,
  ghs: `ghs_${'R4t5Y'.repeat(8)}`,
  ghr: `ghr_${'u7I8o'.repeat(8)}`,
  githubPat: `github_pat_11ABCDEFG0${'x1Y2z'.repeat(5)}_${'Mn0Pq'.repeat(11)}`,
  slack: 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUv',
  aws: 'AKIAZZ7EXAMPLE9QWERT',
  jwt: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvc2hvcCJ9.c2lnbmF0dXJlLW5vdC1yZWFsLTEyMzQ1Ng',
  bearer: 'Vc1BearerOnlyKnownByItsHeader42',
  basic: Buffer.from('deploy:Basic-Pw-88').toString('base64'),
  vercelEnv: 'vErCeLtOkEn24CharsAbCdEf',
  urlPassword: 'Url-Pw-In-Git-Remote-5',
};
