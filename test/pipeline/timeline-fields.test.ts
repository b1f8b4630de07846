// A timeline row's fields are written (Timeline), read back by a later job (parseTimeline) and
// documented (README, action.yml) from one list in timeline.ts: a row keeps every fact it had
// across the job boundary, in the order it was written, and the docs name exactly those fields.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseTimeline, Timeline, TIMELINE_FIELDS, type RowFacts } from '../../src/pipeline/timeline.js';
import { ROOT } from '../helpers/run-action.js';

const ALL_FACTS: Required<RowFacts> = {
  stopped: true,
  from: 'dpl_bad',
  to: 'dpl_good',
  'auto-assign-off': true,
  frozen: "Render's auto-deploy is off",
  undo: 'Turn auto-deploy back on',
  'from-follows-production': true,
};

function row(facts?: RowFacts) {
  let t = 0;
  const timeline = new Timeline({ phase: () => 60_000 }, [], () => undefined, () => (t += 1000));
  return timeline.start('app', 'web').end('failed', 'stopped', facts);
}

it('a row with every fact is written with all the fields, in the documented order, and read back the same', () => {
  const written = row(ALL_FACTS);
  expect(Object.keys(written)).toEqual(TIMELINE_FIELDS.map((f) => f.replace(/\?$/, '')));
  expect(parseTimeline(JSON.stringify([written]), (text) => text)).toEqual([written]);
  // Written as the output carries it (JSON), the order of the fields holds too.
  expect(JSON.stringify(parseTimeline(JSON.stringify([written]), (text) => text))).toBe(JSON.stringify([written]));
});

it('facts not given, false, or empty are left out; undo only beside frozen', () => {
  expect(Object.keys(row())).toEqual(['phase', 'component', 'started', 'duration-ms', 'budget-ms', 'status', 'detail']);
  const read = parseTimeline(JSON.stringify([{ ...row(), from: '', undo: 'Turn it back on' }]), (text) => text);
  expect(read[0]).not.toHaveProperty('from');
  expect(read[0]).not.toHaveProperty('undo');
});

it('a later job refuses a fact of the wrong kind, naming it', () => {
  const read = (extra: Record<string, unknown>) => () => parseTimeline(JSON.stringify([{ ...row(), ...extra }]), (text) => text);
  expect(read({ stopped: false })).toThrow('row 1: stopped must be true when given');
  expect(read({ 'from-follows-production': 'yes' })).toThrow('row 1: from-follows-production must be true when given');
  expect(read({ to: 7 })).toThrow('row 1: to must be text when given');
  expect(read({ undo: true })).toThrow('row 1: undo must be text when given');
});

it('a row read back is redacted and cut: a deployment name to 300 characters, a frozen setting to 1000', () => {
  const [read] = parseTimeline(JSON.stringify([{ ...row(), from: `secret-${'x'.repeat(400)}`, frozen: 'y'.repeat(1200) }]), (text) => text.replace('secret', '***'));
  expect(read!.from!.startsWith('***-x')).toBe(true);
  expect(read!.from!.length).toBeLessThanOrEqual(300);
  expect(read!.frozen!.length).toBeLessThanOrEqual(1000);
  expect(read!.frozen!.length).toBeGreaterThan(300);
});

it("the README's timeline output and action.yml's name exactly the row's fields", () => {
  const shape = `{${TIMELINE_FIELDS.join(', ')}}`;
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const outputRow = readme.split('\n').find((line) => line.startsWith('| `timeline` |') && line.includes('JSON rows'));
  expect(outputRow).toContain(`JSON rows \`${shape}\``);
  const yml = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { outputs: Record<string, { description: string }> };
  expect(yml.outputs.timeline!.description).toContain(`JSON array of ${shape}`);
});
