// A manifest is outside text (an uploaded artifact, a file on disk): every field restore-db and
// run-down-migrations rely on is checked when it is read, naming the field, so an edited or damaged
// one stops before anything is planned, never as a TypeError or an SQL error halfway through.
import { execFileSync } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync, copyFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { MAX_MANIFEST_BYTES, readManifest } from '../../src/db/manifest.js';
import { openSnapshot, verifySnapshot } from '../../src/db/verify.js';
import { createTestDatabase } from '../helpers/pg.js';
import { runAction } from '../helpers/run-action.js';

let snapshotPath: string;
let manifest: Record<string, unknown>;
let dir: string;

beforeAll(async () => {
  const db = await createTestDatabase('rk_manifest');
  await db.query("CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 10)");
  dir = await mkdtemp(join(tmpdir(), 'rk-manifest-'));
  const run = await runAction('snapshot-db', { 'database-url': db.url, 'output-dir': dir });
  expect(run.code, run.log).toBe(0);
  snapshotPath = run.outputs.path!;
  manifest = JSON.parse(readFileSync(`${snapshotPath}.manifest.json`, 'utf8')) as Record<string, unknown>;
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A copy of the snapshot beside a manifest changed by `edit`. */
function withManifest(name: string, edit: (m: Record<string, unknown>) => void): string {
  const path = join(dir, name);
  copyFileSync(snapshotPath, path);
  const m = structuredClone(manifest);
  edit(m);
  writeFileSync(`${path}.manifest.json`, JSON.stringify(m));
  return path;
}

async function refusal(path: string): Promise<RollbackKitError> {
  const err = await openSnapshot(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RollbackKitError);
  return err as RollbackKitError;
}

describe('snapshot manifest content', () => {
  it('the manifest snapshot-db wrote is read and verifies', async () => {
    await expect(verifySnapshot(snapshotPath, memoryLog())).resolves.toMatchObject({ sha256: manifest.sha256 });
  });

  const table = (m: Record<string, unknown>) => (m.tables as Record<string, unknown>[])[0]!;
  for (const [name, edit, field] of [
    ['rows-text', (m) => (table(m).rows = "10) AS v; SELECT 1; --"), /tables must be a list of \{schema, name, rows\} with rows a count or null \(and oid a number when present\) \(entry 1 is not\)/],
    ['oid-text', (m) => (table(m).oid = '16384'), /tables must be a list/],
    ['rows-negative', (m) => (table(m).rows = -1), /tables must be a list/],
    ['name-missing', (m) => delete table(m).name, /tables must be a list/],
    ['format', (m) => (m.format = 'tar'), /format must be custom, directory or plain/],
    ['sha-short', (m) => (m.sha256 = 'abc'), /sha256 must be 64 hexadecimal digits/],
    ['server', (m) => delete m.server, /server must hold version/],
    ['port', (m) => ((m.server as Record<string, unknown>).port = '5432'), /server must hold/],
    ['pg-dump-major', (m) => ((m.pgDump as Record<string, unknown>).major = '../../../tmp/evil'), /pgDump must hold version and major/],
    ['filter', (m) => ((m.filter as Record<string, unknown>).schemas = 'public'), /filter must hold the lists/],
    ['objects', (m) => ((m.objects as Record<string, unknown>).views = null), /objects must hold the counts/],
    ['created', (m) => (m.createdAt = 'yesterday'), /createdAt must be a date/],
    ['exports', (m) => (m.exports = { since: 'x' }), /exports must be null or hold/],
    ['version', (m) => (m.manifestVersion = 2), /manifestVersion must be 1/],
  ] as [string, (m: Record<string, unknown>) => void, RegExp][]) {
    it(`refuses ${name}, naming the field`, async () => {
      const err = await refusal(withManifest(`${name}.dump`, edit));
      expect(err.message).toMatch(/is not a valid rollback-kit snapshot manifest: /);
      expect(err.message).toMatch(field);
      expect(err.hint).toMatch(/do not restore that snapshot/);
    });
  }

  it('a manifest written before host, port, systemIdentifier, everySchema, rowCounts and largeObjects were recorded is still read', async () => {
    const path = withManifest('old.dump', (m) => {
      const server = m.server as Record<string, unknown>;
      delete server.host;
      delete server.port;
      delete server.systemIdentifier;
      delete (m.filter as Record<string, unknown>).everySchema;
      delete m.rowCounts;
      delete m.largeObjects;
    });
    await expect(openSnapshot(path)).resolves.toMatchObject({ path });
  });

  // A manifest beside its dump that cannot be parsed is damaged, as a dump that fails its hash is:
  // keeping the two together is advice only for one that is not there.
  it('a manifest cut short is damaged (use another snapshot); a missing one is to be kept beside its dump', async () => {
    const cut = join(dir, 'cut.dump');
    copyFileSync(snapshotPath, cut);
    copyFileSync(`${snapshotPath}.manifest.json`, `${cut}.manifest.json`);
    truncateSync(`${cut}.manifest.json`, 600);
    const damaged = await refusal(cut);
    expect(damaged.message).toBe(`Cannot read the snapshot manifest ${cut}.manifest.json: it is not valid JSON.`);
    expect(damaged.hint).toMatch(/damaged.*sha256.*do not restore that snapshot; take or pick another one/);
    expect(damaged.hint).not.toMatch(/keep the two together/);

    const alone = join(dir, 'alone.dump');
    copyFileSync(snapshotPath, alone);
    const missing = await refusal(alone);
    expect(missing.message).toMatch(/has no manifest/);
    expect(missing.hint).toMatch(/keep its \.manifest\.json beside it/);
    expect(missing.hint).not.toMatch(/another/);
  });

  it('a file larger than any manifest is refused without being read into memory', async () => {
    const path = join(dir, 'huge.manifest.json');
    writeFileSync(path, '');
    truncateSync(path, MAX_MANIFEST_BYTES + 1);
    const err = await readManifest(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as Error).message).toBe(`${path} is not a rollback-kit snapshot manifest: it is larger than 256 MB (${MAX_MANIFEST_BYTES + 1} bytes).`);
  });

  it('a FIFO is refused at once, not waited on for a writer', async () => {
    const path = join(dir, 'fifo.manifest.json');
    execFileSync('mkfifo', [path]);
    const err = await readManifest(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as Error).message).toBe(`${path} is not a rollback-kit snapshot manifest: it is a FIFO (named pipe), not a regular file.`);
  });
});
