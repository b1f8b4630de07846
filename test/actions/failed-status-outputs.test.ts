// A failed step writes the outputs a later `if: always()` step branches on: promote-previous's
// status=failed (as run-down-migrations and the root action write it), and restore-db's
// verified=false. Both wrote nothing, so `steps.x.outputs.status == 'failed'` never matched.
// The bundles as GitHub runs them: promote-previous against a Vercel API nothing listens on,
// restore-db with a snapshot that is not there.
import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { runAction } from '../helpers/run-action.js';

/** A port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

it('promote-previous whose Vercel API cannot be reached fails with status=failed', async () => {
  const run = await runAction('promote-previous', {
    'vercel-token': 'vercel_test_token_for_failed_status_0123456789',
    project: 'shop',
    'api-url': `http://127.0.0.1:${await closedPort()}`,
    'timeout-seconds': '3',
  });
  expect(run.code).not.toBe(0);
  expect(run.errors).toHaveLength(1);
  expect(run.outputs.status).toBe('failed');
  // Nothing moved: no output may name a deployment.
  expect(run.outputs['to-deployment-id']).toBeUndefined();
});

it('restore-db that fails writes verified=false', async () => {
  const run = await runAction('restore-db', {
    'database-url': 'postgres://postgres@127.0.0.1:5432/postgres',
    'snapshot-path': 'no-such-snapshot.dump',
    confirm: 'postgres',
  });
  expect(run.code).not.toBe(0);
  expect(run.errors).toHaveLength(1);
  expect(run.outputs.verified).toBe('false');
  expect(run.outputs['tables-restored']).toBeUndefined();
});
