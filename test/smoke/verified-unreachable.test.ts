// smoke-test's verified-sha when the GitHub API cannot be reached: the warning named "the platform
// API" and told the user to check api-url, an input smoke-test does not have. It names the GitHub
// API and GITHUB_API_URL, the address it was sent to.
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { recordVerified, verifiedRequest } from '../../src/smoke/record-verified.js';
import { decide } from '../../src/smoke/verdict.js';
import { refusedUrl } from './servers.js';

const GH_TOKEN = 'ghs_VerifiedUnreachTok3nQ9wE8rT7yU6iO5';
const SHA = 'c0ffee0000000000000000000000000000000002';

it('a GitHub API that refuses connections: the warning names it and GITHUB_API_URL, never api-url', async () => {
  const request = verifiedRequest(SHA, GH_TOKEN, { GITHUB_REPOSITORY: 'acme/shop', GITHUB_API_URL: await refusedUrl() })!;
  const log = memoryLog();
  const recorded = await recordVerified(request, decide([]), 1, 30, log);
  expect(recorded).toBe(false);
  const warning = log.lines.find((l) => l.startsWith('warning: '))!;
  expect(warning).toContain(`so target last-verified will pass this deployment by: The GitHub API could not be reached while setting the rollback-kit/verified status of commit ${SHA.slice(0, 12)} in acme/shop: cannot reach`);
  expect(warning).toContain('Check the runner network and GITHUB_API_URL (the runner sets it');
  expect(warning).not.toContain('api-url');
  expect(warning).not.toContain('platform API');
  expect(log.lines.join('\n')).not.toContain(GH_TOKEN);
});
