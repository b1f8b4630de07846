// A stop in the last moment before a command begins: snapshot and sandbox have already made their
// output folder (and snapshot its .gitignore), and the line said "nothing was changed" with the
// folder left behind. Now what this run made is removed again while it holds nothing else, so the
// line stays true; a folder something else was put in is left whole and named. From the source: the
// bin's stop handler (signals.ts) is held here, and the signal comes as the command begins (the
// moment Cli.begin() tells signals.ts), with process.exit stubbed to end the command there.
import { existsSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { runMain } from './run-main.js';

/** Run as the command begins, before the signal: what else happens in that moment. */
let atBegin: () => void = () => undefined;

vi.mock('../../src/cli/signals.js', async (importOriginal) => {
  const signals = await importOriginal<typeof import('../../src/cli/signals.js')>();
  return {
    ...signals,
    commandBegan: () => {
      atBegin();
      process.emit('SIGINT', 'SIGINT');
      signals.commandBegan();
    },
  };
});

const { holdStopsFromTheStart } = await import('../../src/cli/signals.js');

class Exited extends Error {}

let ws: string;
let exits: (number | undefined)[];
beforeAll(async () => {
  ws = await mkdtemp(join(tmpdir(), 'rk-stopped-before-start-folders-'));
});
afterAll(async () => {
  await rm(ws, { recursive: true, force: true });
});
let release: () => void = () => undefined;
afterEach(() => {
  atBegin = () => undefined;
  // The handler goes with the test: a SIGTERM that ends the test worker is not a stop of a command.
  release();
});

/** The command, stopped by SIGINT as it begins: what the bin's handler wrote on stderr. */
async function stoppedAsItBegins(argv: string[], env: Record<string, string> = {}): Promise<string> {
  exits = [];
  release = holdStopsFromTheStart(argv);
  // process.exit ends the command where it is (a throw out of the signal), as the real exit would;
  // runMain captures stderr, where the handler's line goes, and restores every mock when done.
  vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
    exits.push(code);
    throw new Exited(`exit ${code}`);
  }) as typeof process.exit);
  return (await runMain(argv, { cwd: ws, env })).stderr;
}

it('snapshot: the output folder it made, its parents and the .gitignore in it are removed; "nothing was changed" is true', async () => {
  const out = join(ws, 'snap-parent', 'snapshots');
  const stderr = await stoppedAsItBegins(['snapshot', '--output-dir', out], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/rk_stop_words_none' });
  expect(exits).toEqual([130]);
  expect(stderr).toContain('Stopped (SIGINT) before rollback-kit snapshot started: nothing was changed.\n');
  expect(existsSync(join(ws, 'snap-parent'))).toBe(false);
  expect(existsSync(ws)).toBe(true);
});

it('snapshot into a folder that was there: nothing of it is touched', async () => {
  const out = join(ws, 'kept');
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  await writeFile(join(out, 'old.dump'), 'x');
  const stderr = await stoppedAsItBegins(['snapshot', '--output-dir', out], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/rk_stop_words_none' });
  expect(stderr).toContain('Stopped (SIGINT) before rollback-kit snapshot started: nothing was changed.\n');
  expect(await readdir(out)).toEqual(['old.dump']);
});

it('sandbox: the report folder it made is removed again', async () => {
  const report = join(ws, 'sandbox-reports', 'drill');
  const stderr = await stoppedAsItBegins(['sandbox', '--report-dir', report]);
  expect(exits).toEqual([130]);
  expect(stderr).toContain('Stopped (SIGINT) before rollback-kit sandbox started: nothing was changed.\n');
  expect(existsSync(join(ws, 'sandbox-reports'))).toBe(false);
});

it('a folder it made that something else was put in is left whole, and the line names it', async () => {
  const parent = join(ws, 'shared');
  const out = join(parent, 'snapshots');
  atBegin = () => void writeFileSync(join(out, 'someone-elses.txt'), 'x');
  const stderr = await stoppedAsItBegins(['snapshot', '--output-dir', out], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/rk_stop_words_none' });
  expect(stderr).toContain(`Stopped (SIGINT) before rollback-kit snapshot started: nothing was changed except the folder ${parent} it made, which is left as it is: something else is in it now.\n`);
  expect((await readdir(out)).sort()).toEqual(['.gitignore', 'someone-elses.txt']);
});
