// The run's tokens are registered with the log by one helper, which the rollback, the incident
// look-up and the drill all start with: a token added to the request is hidden everywhere at once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { registerRequestSecrets } from '../../src/pipeline/rollback.js';
import { ROOT } from '../helpers/run-action.js';

describe('registerRequestSecrets', () => {
  it('hides every token of the request, and skips the ones not given', () => {
    const log = memoryLog();
    registerRequestSecrets({ vercelToken: 'vercel_tok_1234567890', githubToken: 'ghp_abcdefghijklmnopqrstuvwxyz012345', flyToken: undefined }, log);
    expect(log.redact('a vercel_tok_1234567890 b ghp_abcdefghijklmnopqrstuvwxyz012345 c')).not.toMatch(/vercel_tok|ghp_/);
  });

  it('is the one way the pipelines register them', () => {
    for (const file of ['rollback.ts', 'drill.ts']) {
      const text = readFileSync(join(ROOT, 'src', 'pipeline', file), 'utf8');
      expect(text, file).not.toMatch(/Object\.values\(request\.secrets\)/);
      expect(text, file).toMatch(/registerRequestSecrets\(request\.secrets, log\)/);
    }
  });
});
