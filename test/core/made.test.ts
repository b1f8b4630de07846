// The one set of rules by which a run takes away what it made (an output folder, its parents, the
// .gitignore in it) when it ends without its result: the command line's stop handler (signals.ts)
// and the sandbox's cleanup (sandbox.ts removeIfEmpty) both go through MadeRecord.
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MadeRecord } from '../../src/core/made.js';

let ws: string;
beforeEach(async () => {
  ws = await mkdtemp(join(tmpdir(), 'rk-made-'));
});
afterEach(async () => {
  await chmod(ws, 0o700).catch(() => undefined);
  await rm(ws, { recursive: true, force: true });
});

/** Makes `a/b/c` with a .gitignore in c, each recorded as made, as prepareSnapshotFolder does. */
async function madeSnapshotFolder(): Promise<{ made: MadeRecord; a: string; c: string }> {
  const made = new MadeRecord();
  const a = join(ws, 'a');
  const c = join(a, 'b', 'c');
  for (const d of [a, join(a, 'b'), c]) {
    await mkdir(d);
    made.add(d);
  }
  await writeFile(join(c, '.gitignore'), '*\n');
  made.add(join(c, '.gitignore'));
  return { made, a, c };
}

it('folders holding only what this run made go, with the .gitignore in them; the folder around them stays', async () => {
  const { made, a } = await madeSnapshotFolder();
  expect(made.removeWhileEmpty()).toBeUndefined();
  expect(existsSync(a)).toBe(false);
  expect(existsSync(ws)).toBe(true);
});

it('a folder something else was put in is left with all in it, and the outermost folder made is named', async () => {
  const { made, a, c } = await madeSnapshotFolder();
  await writeFile(join(c, 'someone-elses.txt'), 'x');
  expect(made.removeWhileEmpty()).toEqual({ folder: a, why: 'something else is in it now' });
  expect((await readdir(c)).sort()).toEqual(['.gitignore', 'someone-elses.txt']);
});

it('a report or snapshot written in it keeps the folder, in the words the caller gives', async () => {
  const { made, a, c } = await madeSnapshotFolder();
  await writeFile(join(c, 'before-rollback.dump'), 'PGDMP');
  expect(made.removeWhileEmpty('it is not empty')).toEqual({ folder: a, why: 'it is not empty' });
  expect(existsSync(join(c, '.gitignore'))).toBe(true);
});

// Two sandboxes into ./rollback-kit-sandbox at once: the first made it, the second only its own
// folder in it. The first, failing, takes its empty folder away and leaves the shared one.
it('an empty folder it made inside one that holds another run\'s folder goes; that one stays', async () => {
  const made = new MadeRecord();
  const shared = join(ws, 'rollback-kit-sandbox');
  const mine = join(shared, 'run-1');
  for (const d of [shared, mine]) {
    await mkdir(d);
    made.add(d);
  }
  await mkdir(join(shared, 'run-2'));
  expect(made.removeWhileEmpty()).toEqual({ folder: shared, why: 'something else is in it now' });
  expect(await readdir(shared)).toEqual(['run-2']);
});

it('folders made side by side: the empty one goes, the one holding a snapshot stays', async () => {
  const made = new MadeRecord();
  const [empty, full] = [join(ws, 'empty'), join(ws, 'full')];
  for (const d of [full, empty]) {
    await mkdir(d);
    made.add(d);
  }
  await writeFile(join(full, 'before-rollback.dump'), 'PGDMP');
  expect(made.removeWhileEmpty()).toEqual({ folder: full, why: 'something else is in it now' });
  expect(await readdir(ws)).toEqual(['full']);
});

it('what is gone already is passed over; a second removal has nothing left to do', async () => {
  const { made, a } = await madeSnapshotFolder();
  await rm(join(a, 'b'), { recursive: true });
  expect(made.removeWhileEmpty()).toBeUndefined();
  expect(existsSync(a)).toBe(false);
  expect(made.removeWhileEmpty()).toBeUndefined();
});

it('forget: a run that ended with its result keeps what it made', async () => {
  const { made, a } = await madeSnapshotFolder();
  made.forget();
  expect(made.removeWhileEmpty()).toBeUndefined();
  expect(existsSync(join(a, 'b', 'c', '.gitignore'))).toBe(true);
});

it.skipIf(process.getuid?.() === 0)('a folder that cannot be removed is named with the reason, not thrown', async () => {
  const made = new MadeRecord();
  const a = join(ws, 'a');
  await mkdir(a);
  made.add(a);
  await chmod(ws, 0o500);
  expect(made.removeWhileEmpty()).toEqual({ folder: a, why: 'it could not be removed (EACCES)' });
  expect(existsSync(a)).toBe(true);
});

// A snapshot's dump is recorded as soon as its path is claimed (a stop that does not wait for the
// snapshot still takes it), and taken off the record once it is the run's result.
it('a file taken off the record stays, and so does the folder that holds it; one still on it goes', async () => {
  const { made, a, c } = await madeSnapshotFolder();
  const half = join(c, 'half.dump');
  await writeFile(half, 'x');
  made.add(half);
  expect(made.removeWhileEmpty()).toBeUndefined();
  expect(existsSync(a)).toBe(false);

  const again = await madeSnapshotFolder();
  const done = join(again.c, 'done.dump');
  await writeFile(done, 'x');
  const keep = again.made.add(done);
  keep();
  expect(again.made.removeWhileEmpty()).toEqual({ folder: again.a, why: 'something else is in it now' });
  expect((await readdir(again.c)).sort()).toEqual(['.gitignore', 'done.dump']);
});

it('a folder recorded with its contents (a directory-format dump pg_dump wrote into) goes whole, and the folders around it with it', async () => {
  const { made, a, c } = await madeSnapshotFolder();
  const dump = join(c, 'db-20260101T000000000Z');
  await mkdir(dump);
  await writeFile(join(dump, 'toc.dat'), 'x');
  await writeFile(join(dump, '3001.dat.gz'), 'x');
  made.add(dump, true);
  expect(made.removeWhileEmpty()).toBeUndefined();
  expect(existsSync(a)).toBe(false);
});
