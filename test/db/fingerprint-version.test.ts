// A directory dump's sha256 was taken over its file names and contents joined with NULs and no
// lengths (version 1), so two different folders could hash alike. Version 2 puts each name's and
// content's length before it; the manifest says which (fingerprint), and manifests written before
// the field (version 1) still verify as they did.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { fingerprint } from '../../src/db/archive.js';
import { parseConnectionString } from '../../src/db/connection.js';
import { restoreSnapshot } from '../../src/db/restore.js';
import { takeSnapshot, wholeDatabaseSnapshot } from '../../src/db/snapshot.js';
import { verifySnapshot } from '../../src/db/verify.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { restoreRequest } from '../restore-db/request.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rk-fingerprint-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function folder(name: string, files: Record<string, string>): string {
  const path = join(dir, name);
  mkdirSync(path);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(path, file), text);
  return path;
}

describe('fingerprint of a directory dump', () => {
  it('version 2 tells apart two folders that version 1 hashed alike', async () => {
    const one = folder('one-file', { a: 'X\0b\0Y' });
    const two = folder('two-files', { a: 'X', b: 'Y' });
    expect((await fingerprint(one, 1)).sha256).toBe((await fingerprint(two, 1)).sha256);
    expect((await fingerprint(one, 2)).sha256).not.toBe((await fingerprint(two, 2)).sha256);
    // A name's end moved into the content is told apart too.
    expect((await fingerprint(folder('n1', { ab: 'c' }), 2)).sha256).not.toBe((await fingerprint(folder('n2', { a: 'bc' }), 2)).sha256);
  });

  it('of a single file, both versions are its bytes\' sha256 (what sha256sum prints)', async () => {
    const file = join(dir, 'single.dump');
    writeFileSync(file, 'PGDMP and more');
    const expected = createHash('sha256').update('PGDMP and more').digest('hex');
    expect(await fingerprint(file, 1)).toEqual({ sha256: expected, sizeBytes: 14 });
    expect(await fingerprint(file, 2)).toEqual({ sha256: expected, sizeBytes: 14 });
  });
});

describe('snapshots and their manifests', () => {
  let db: TestDatabase;
  let snapshot: string;
  let manifest: Record<string, unknown>;

  beforeAll(async () => {
    db = await createTestDatabase('rk_fingerprint');
    await db.query("CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, 'good' FROM generate_series(1, 10) g");
    const outputDir = join(dir, 'snapshots');
    mkdirSync(outputDir);
    const taken = await takeSnapshot({ ...wholeDatabaseSnapshot(parseConnectionString(db.url), { outputDir, lockTimeoutSeconds: 10 }), format: 'directory' }, memoryLog());
    snapshot = taken.path;
    manifest = JSON.parse(readFileSync(`${snapshot}.manifest.json`, 'utf8')) as Record<string, unknown>;
  });

  /** A copy of the directory snapshot beside its manifest changed by `edit`. */
  async function copyWith(name: string, edit: (m: Record<string, unknown>) => void): Promise<string> {
    const path = join(dir, name);
    await cp(snapshot, path, { recursive: true });
    const m = structuredClone(manifest);
    edit(m);
    writeFileSync(`${path}.manifest.json`, JSON.stringify(m));
    return path;
  }

  it('a new one records fingerprint 2, and its sha256 is version 2\'s', async () => {
    expect(manifest.fingerprint).toBe(2);
    expect(manifest.sha256).toBe((await fingerprint(snapshot, 2)).sha256);
    await expect(verifySnapshot(snapshot, memoryLog())).resolves.toMatchObject({ sha256: manifest.sha256 });
  });

  it('one written before the field (no fingerprint, a version 1 sha256) still verifies and restores', async () => {
    const v1 = (await fingerprint(snapshot, 1)).sha256;
    expect(v1).not.toBe(manifest.sha256);
    const old = await copyWith('old', (m) => {
      delete m.fingerprint;
      m.sha256 = v1;
    });
    await expect(verifySnapshot(old, memoryLog())).resolves.toMatchObject({ sha256: v1 });
    await db.query("UPDATE orders SET note = 'current'");
    const req = await restoreRequest(db.url, old, { preRestoreDir: join(dir, 'pre') });
    await expect(restoreSnapshot(req, memoryLog())).resolves.toMatchObject({ verified: true });
    expect((await db.query("SELECT count(*)::int AS n FROM orders WHERE note = 'good'")).rows[0]).toEqual({ n: 10 });
  });

  it('a version 2 sha256 without its field is read as version 1, and refused', async () => {
    const path = await copyWith('unmarked', (m) => delete m.fingerprint);
    const err = await verifySnapshot(path, memoryLog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).message).toMatch(/changed since it was taken: sha256 /);
  });

  it('a fingerprint version it does not know is refused, naming the field', async () => {
    const path = await copyWith('unknown', (m) => (m.fingerprint = 3));
    const err = await verifySnapshot(path, memoryLog()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as RollbackKitError).message).toMatch(/is not a valid rollback-kit snapshot manifest: fingerprint must be 1 or 2 when present\.$/);
  });
});
