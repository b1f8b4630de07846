// README's "Developing" section maps the source folders. It lacked src/pipeline/ (the rollback, the
// drill, the plan file) and listed three of src/platforms/'s providers: every folder must be there.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/run-action.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const map = /## Developing\n\n```\n([\s\S]*?)\n```/.exec(readme)![1]!;
const folders = (dir: string) => readdirSync(join(ROOT, dir), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

it('has a line for every folder of src/, and names every provider folder of src/platforms/', () => {
  const lines = map.split('\n').filter((l) => !l.startsWith(' ')).map((l) => l.split(/\s+/)[0]);
  for (const f of folders('src')) expect(lines).toContain(`src/${f}/`);
  const platforms = map.slice(map.indexOf('src/platforms/'), map.indexOf('\nsrc/', map.indexOf('src/platforms/') + 1));
  for (const f of folders('src/platforms')) expect(platforms).toContain(`${f}/`);
});
