// Where dbmate's binary is. The npm registry this project installs from serves only dbmate's
// linux-x64 build, so the project depends on @dbmate/linux-x64 directly rather than on the `dbmate`
// wrapper (whose other-platform optional packages it cannot lock).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function dbmatePath() {
  const path = join(root, 'node_modules', '@dbmate', `${process.platform}-${process.arch}`, 'bin', 'dbmate');
  if (!existsSync(path)) {
    throw new Error(`dbmate is not installed at ${path}: run npm ci (the project installs @dbmate/linux-x64; on another platform install @dbmate/${process.platform}-${process.arch}).`);
  }
  return path;
}
