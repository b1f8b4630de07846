// promote-previous with provider render, through the bundle: when auto-deploy cannot be turned off
// first, nothing is rolled back, and the one error line says what failed, what still serves, and
// exactly how to roll back anyway (no input skips the freeze: DESIGN keeps the inputs as they are).
import { afterEach, describe, expect, it } from 'vitest';
import { runAction } from '../helpers/run-action.js';
import { SERVICE_ID, startFakeRender, type FakeRender } from '../platforms/fake-render.js';

const TOKEN = 'rnd_FreezeSecretApiKeyForRender7';
let fake: FakeRender | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('promote-previous, render: a failed freeze', () => {
  it('the error names the deploy still live and both ways to roll back anyway; the first of them works', async () => {
    const f = (fake = await startFakeRender());
    f.addToken(TOKEN);
    f.rollbackSteps = ['update_in_progress', 'live'];
    const good = f.deploy();
    const bad = f.deploy();
    f.fault(/^PATCH /, { status: 403, json: { id: 'forbidden', message: 'Forbidden' } });
    const inputs = { provider: 'render', service: SERVICE_ID, 'api-url': f.url, 'render-token': TOKEN, 'timeout-seconds': '60' };

    const r = await runAction('promote-previous', inputs);
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    const line = r.errors[0]!;
    expect(line).toContain(`Nothing was rolled back: service backend (${SERVICE_ID}) still serves ${bad.id}`);
    expect(line).toContain(`turn auto-deploy off by hand (Render dashboard → service backend (${SERVICE_ID}) → Settings → Auto-Deploy: No) and re-run the step, which then skips this freeze and rolls back to ${good.id}`);
    expect(line).toContain(`or roll back in the Render dashboard (service backend (${SERVICE_ID}) → Events → deploy ${good.id} → Rollback), which turns auto-deploy off itself`);
    expect(r.log + r.stderr + r.summary).not.toContain(TOKEN);
    expect(f.live()!.id).toBe(bad.id);

    // As the error says: auto-deploy off by hand, then the step again.
    f.service.autoDeploy = 'no';
    const again = await runAction('promote-previous', inputs);
    expect(again.errors).toEqual([]);
    expect(again.outputs).toMatchObject({ status: 'rolled-back', 'to-deployment-id': good.id, frozen: 'true' });
  });
});
