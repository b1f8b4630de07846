// The artifact upload needs no blocked-port check (core/blocked-port.ts): @actions/artifact talks to
// the results service and the upload URL through node:http, which connects to any port, not through
// fetch, which refuses the ports the Fetch standard blocks. Uploaded here to a stand-in on one of
// those ports that fetch refuses: should the client ever move to fetch, this fails with "bad port",
// and the upload then needs the same clear refusal the platform clients give.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { isBlockedPortError } from '../../src/core/blocked-port.js';
import { uploadSnapshotArtifact } from '../../src/github/artifact.js';
import { startArtifactService, type FakeArtifactService } from '../fakes/artifact-service.js';

/** Ports fetch refuses ("bad port"); the first one free on this machine is used. */
const BLOCKED = [10080, 6665, 6666, 6667, 6668, 6669, 6000, 6697];

async function serviceOnBlockedPort(): Promise<FakeArtifactService> {
  for (const port of BLOCKED) {
    try {
      return await startArtifactService({ port });
    } catch {
      // Taken: the next one.
    }
  }
  throw new Error(`None of the ports ${BLOCKED.join(', ')} is free for the artifact stand-in.`);
}

const dir = await mkdtemp(join(tmpdir(), 'rk-upload-port-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

it('uploads to a results service on a port fetch refuses', async () => {
  const service = await serviceOnBlockedPort();
  try {
    // The port is one fetch refuses, so the upload below proves its client is not fetch.
    const refused = await fetch(service.url).then(() => undefined, (err: unknown) => err);
    expect(isBlockedPortError(refused)).toBe(true);
    vi.stubEnv('ACTIONS_RUNTIME_TOKEN', service.token);
    vi.stubEnv('ACTIONS_RESULTS_URL', service.url);
    // @actions/artifact logs its progress as workflow commands on stdout.
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const path = join(dir, 'shop.dump');
    await writeFile(path, 'snapshot bytes');
    const uploaded = await uploadSnapshotArtifact([path], 1);
    expect(uploaded.name).toBe('shop.dump');
    expect(service.artifacts).toHaveLength(1);
    expect(service.artifacts[0]!.content?.subarray(0, 2).toString()).toBe('PK');
  } finally {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    await service.close();
  }
});
