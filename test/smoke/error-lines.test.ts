// The one `::error::` line reads as sentences: a message that ends in "(SQLSTATE 42P01)" or in a quote
// from an API gets its period before the hint, instead of `(SQLSTATE 42P01) See the job summary`.
// (The Vercel case lives here with the smoke-test one: both are the same review finding.)
import { describe, expect, it } from 'vitest';
import { shopFixture, vercelInputs } from '../promote-previous/fixture.js';
import { createTestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';

describe('error lines end each sentence before the hint', () => {
  it('smoke-test: a failed SQL check whose reason ends in (SQLSTATE …)', async () => {
    const db = await createTestDatabase('rk_smoke_lines');
    const run = await runAction('smoke-test', { 'database-url': db.url, checks: '- {name: broken, query: select * from nope}', attempts: 1 });
    expect(run.code).toBe(1);
    // The check's own annotation, then the step's line.
    expect(run.errors.at(-1)).toMatch(/decision rollback\. Check "broken" failed: the query failed: relation "nope" does not exist \(SQLSTATE 42P01\)\. See the job summary/);
  });

  it('promote-previous: what Vercel said, then the hint', async () => {
    const f = await shopFixture();
    try {
      const run = await runAction('promote-previous', vercelInputs(f, { 'vercel-token': 'vercel_tok_not_a_real_token_123' }));
      expect(run.code).not.toBe(0);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(/Vercel said: "Not authorized"\. Check the vercel-token secret/);
    } finally {
      await f.vercel.close();
    }
  });
});
