// Bundles every entry point in src/actions/ into dist/<name>/index.js, and the command line
// (src/cli/index.ts) into dist/cli/index.js: tsc compiles src/ to
// JavaScript, then ncc bundles each entry. Types are checked by `npm run typecheck`, not here, so a
// type error in one module never stops another action's bundle from being built.
// `node scripts/build.mjs snapshot-db smoke-test` builds only those, for speed while developing;
// only a full build writes dist/source.sha256, the stamp the dist freshness test compares against.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import ncc from '@vercel/ncc';
import { asciiOnly } from './ascii-only.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// At the same depth as src/: src/core/actions-core.ts imports @actions/core's modules by relative path.
const compiled = join(root, '.build');

async function compile() {
  await rm(compiled, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { encoding: 'utf8' });
  if (tsc.status !== 0) console.warn('tsc reported type errors (bundles still built; run npm run typecheck):\n' + tsc.stdout);
  // ncc must see the compiled files as ES modules, as src/ is.
  await writeFile(join(compiled, 'package.json'), '{"type":"module"}\n');
}

export async function entryPoints() {
  const names = (await readdir(join(root, 'src/actions')))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
  return names.map((name) => ({ name, file: join(root, 'src/actions', `${name}.ts`), compiled: join('actions', `${name}.js`) }));
}

/** The command line (package bin `rollback-kit`), bundled like an action so a clone runs it with no build step. */
export const CLI_ENTRY = { name: 'cli', file: join(root, 'src/cli/index.ts'), compiled: join('cli', 'index.js') };

async function listFiles(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}

/** A hash of everything a bundle is built from: sources, lockfile, compiler settings, this script. */
export async function sourceHash() {
  const files = [
    ...(await listFiles(join(root, 'src'))),
    join(root, 'package-lock.json'),
    join(root, 'tsconfig.json'),
    join(root, 'tsconfig.build.json'),
    join(root, 'scripts/build.mjs'),
    join(root, 'scripts/ascii-only.mjs'),
  ].sort();
  const hash = createHash('sha256');
  for (const f of files) {
    hash.update(relative(root, f).split('\\').join('/'));
    hash.update('\0');
    hash.update(await readFile(f));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** The bundle's JavaScript in ASCII (ascii-only.mjs), saying what a tagged template kept. */
function ascii(code, name) {
  const { code: out, kept } = asciiOnly(code, name);
  if (kept) console.log(`dist/${name}: ${kept} non-ASCII character(s) left in tagged templates`);
  return out;
}

async function build(entry) {
  const { code, assets } = await ncc(join(compiled, entry.compiled), {
    minify: false,
    sourceMap: false,
    quiet: true,
    // ESM in, ESM out: @actions/* 3.x are ESM-only.
    target: 'es2022',
  });
  const out = join(root, 'dist', entry.name);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  // The bin is run by its path (npx, node_modules/.bin): it needs its interpreter line, and to be
  // executable as committed, or npm makes it so in a clone and leaves the checkout changed.
  const isBin = entry === CLI_ENTRY;
  const main = ascii(code, `${entry.name}/index.js`);
  await writeFile(join(out, 'index.js'), isBin && !main.startsWith('#!') ? `#!/usr/bin/env node\n${main}` : main, { mode: isBin ? 0o755 : 0o644 });
  for (const [name, asset] of Object.entries(assets ?? {})) {
    const target = join(out, name);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, /\.[cm]?js$/.test(name) ? ascii(asset.source.toString('utf8'), `${entry.name}/${name}`) : asset.source);
  }
  // ncc emits ESM; Node must be told so for the folder the runner loads it from.
  await writeFile(join(out, 'package.json'), '{\n  "type": "module"\n}\n');
  return out;
}

async function main() {
  const wanted = process.argv.slice(2);
  const all = [...(await entryPoints()), CLI_ENTRY];
  const unknown = wanted.filter((w) => !all.some((e) => e.name === w));
  if (unknown.length) {
    console.error(`unknown entry point(s): ${unknown.join(', ')}; known: ${all.map((e) => e.name).join(', ')}`);
    process.exit(2);
  }
  const selected = wanted.length ? all.filter((e) => wanted.includes(e.name)) : all;
  await compile();
  if (!wanted.length) {
    // A full build owns dist/: drop bundles whose entry point is gone.
    const keep = new Set(all.map((e) => e.name));
    for (const d of await readdir(join(root, 'dist')).catch(() => [])) {
      if (!keep.has(d) && d !== 'source.sha256') await rm(join(root, 'dist', d), { recursive: true, force: true });
    }
  }
  for (const entry of selected) {
    const started = Date.now();
    await build(entry);
    console.log(`dist/${entry.name}/index.js (${Date.now() - started} ms)`);
  }
  if (!wanted.length) {
    await mkdir(join(root, 'dist'), { recursive: true });
    await writeFile(join(root, 'dist/source.sha256'), `${await sourceHash()}\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
