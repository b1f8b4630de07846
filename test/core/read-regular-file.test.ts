// Files a user points the actions at (migrations, checks-file, plans, manifests) are read only when
// they are regular files, up to a cap: a FIFO would block the step forever, a huge file fill memory.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { FileRefused, readRegularFile } from '../../src/core/files.js';
import { readText } from '../../src/migrations/files.js';
import { nodePgMigrate } from '../../src/migrations/formats/node-pg-migrate.js';
import { loadChecks, MAX_CHECKS_FILE_BYTES } from '../../src/smoke/smoke-test.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rk-read-regular-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (fn: () => unknown): FileRefused => {
  try {
    fn();
  } catch (err) {
    if (err instanceof FileRefused) return err;
    throw err;
  }
  throw new Error('not refused');
};

describe('readRegularFile', () => {
  it('reads a regular file, also through a symbolic link', () => {
    writeFileSync(join(dir, 'a.txt'), 'héllo\n');
    symlinkSync(join(dir, 'a.txt'), join(dir, 'a-link.txt'));
    expect(readRegularFile(join(dir, 'a.txt'), 7)).toBe('héllo\n');
    expect(readRegularFile(join(dir, 'a-link.txt'), 7)).toBe('héllo\n');
  });

  it('refuses a FIFO at once, and a link to one, without waiting for a writer', () => {
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    symlinkSync(join(dir, 'pipe'), join(dir, 'pipe-link'));
    expect(refusal(() => readRegularFile(join(dir, 'pipe'), 1024)).why).toBe('it is a FIFO (named pipe), not a regular file');
    expect(refusal(() => readRegularFile(join(dir, 'pipe-link'), 1024)).why).toBe('it is a FIFO (named pipe), not a regular file');
  });

  it('refuses a device and a directory', () => {
    expect(refusal(() => readRegularFile('/dev/zero', 1024)).why).toBe('it is a character device, not a regular file');
    mkdirSync(join(dir, 'folder'));
    expect(refusal(() => readRegularFile(join(dir, 'folder'), 1024)).why).toBe('it is a directory');
  });

  it('refuses a file over the cap, whose size says so, and reads one at the cap', () => {
    writeFileSync(join(dir, 'eight'), '12345678');
    expect(readRegularFile(join(dir, 'eight'), 8)).toBe('12345678');
    expect(refusal(() => readRegularFile(join(dir, 'eight'), 7)).why).toBe('it is larger than 7 bytes (8 bytes)');
  });

  it('passes on Node errors as they are', () => {
    expect(() => readRegularFile(join(dir, 'missing'), 10)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('migration files', () => {
  it('a link among the migrations to a FIFO fails the load at once, saying what it is', async () => {
    const migrations = join(dir, 'migrations-fifo');
    mkdirSync(migrations);
    writeFileSync(join(migrations, '1700000000000_a.sql'), '-- Up Migration\nCREATE TABLE a ();\n-- Down Migration\nDROP TABLE a;\n');
    // Links are listed as migration files (a file kept elsewhere); the FIFO itself is not listed.
    execFileSync('mkfifo', [join(dir, 'b.fifo')]);
    symlinkSync(join(dir, 'b.fifo'), join(migrations, '1700000000001_b.sql'));
    const err = await nodePgMigrate.load(migrations).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RollbackKitError);
    expect((err as Error).message).toBe(`Cannot read the migration file ${join(migrations, '1700000000001_b.sql')}: it is a FIFO (named pipe), not a regular file.`);
  });

  it('a file larger than 64 MB is refused without being read; a missing one is still undefined', async () => {
    writeFileSync(join(dir, 'huge.sql'), '');
    // Sparse: its size says 64 MB and a byte, and nothing of it is on disk.
    truncateSync(join(dir, 'huge.sql'), 64 * 1024 * 1024 + 1);
    await expect(readText(dir, 'huge.sql')).rejects.toThrow(`Cannot read the migration file ${join(dir, 'huge.sql')}: it is larger than 64 MB (67108865 bytes).`);
    await expect(readText(dir, 'nope.sql')).resolves.toBeUndefined();
  });
});

describe('checks-file', () => {
  const load = (file: string) => loadChecks({ checksFile: file, cwd: dir }, { baseUrl: 'http://127.0.0.1:1', hasDatabase: false });

  it('a FIFO is refused at once', async () => {
    execFileSync('mkfifo', [join(dir, 'smoke.yml')]);
    await expect(load('smoke.yml')).rejects.toThrow('Cannot read checks-file "smoke.yml": it is a FIFO (named pipe), not a regular file.');
  });

  it('a file over 1 MB is refused, one under it read', async () => {
    writeFileSync(join(dir, 'big.yml'), '');
    truncateSync(join(dir, 'big.yml'), MAX_CHECKS_FILE_BYTES + 1);
    await expect(load('big.yml')).rejects.toThrow(`Cannot read checks-file "big.yml": it is larger than 1 MB (${MAX_CHECKS_FILE_BYTES + 1} bytes).`);
    writeFileSync(join(dir, 'ok.yml'), '- {name: health, url: /health}\n');
    await expect(load('ok.yml')).resolves.toHaveLength(1);
  });
});
