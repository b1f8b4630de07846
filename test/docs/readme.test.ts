// Each action's README is where `uses:` points: its input and output tables and its workflow
// examples must say what its action.yml says, and the root README's links must lead somewhere.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT } from '../helpers/run-action.js';

interface ActionDoc {
  name: string;
  readme: string;
  yml: { inputs?: Record<string, { required?: boolean; default?: unknown }>; outputs?: Record<string, unknown> };
}

const ACTIONS: ActionDoc[] = [
  { name: 'rollback (root)', readme: join(ROOT, 'README.md'), yml: parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) },
  ...readdirSync(join(ROOT, 'actions')).map((name) => ({
    name,
    readme: join(ROOT, 'actions', name, 'README.md'),
    yml: parse(readFileSync(join(ROOT, 'actions', name, 'action.yml'), 'utf8')),
  })),
];

/** The names in the first column of every table whose first header cell is `kind` ("input", "output"). */
function tableNames(markdown: string, kind: string): string[] {
  const names: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!new RegExp(`^\\|\\s*${kind}\\s*\\|`, 'i').test(lines[i]!)) continue;
    for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
      const first = lines[i]!.split(/(?<!\\)\|/)[1] ?? '';
      names.push(...[...first.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    }
  }
  return names;
}

/** Each input row of the README's input table: its names, whether it says required, and its Default cell (undefined without that column). */
export function inputRows(markdown: string): { names: string[]; required: boolean; default?: string }[] {
  const rows: { names: string[]; required: boolean; default?: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\|\s*input\s*\|/i.test(lines[i]!)) continue;
    const column = lines[i]!.split('|').map((c) => c.trim().toLowerCase()).indexOf('default');
    for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
      const cells = lines[i]!.split(/(?<!\\)\|/).map((c) => c.trim());
      const names = [...cells[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      const def = column > 0 ? cells[column] : undefined;
      rows.push({ names, required: /\brequired\b/i.test(cells[1]!) || /^[*(]*required[*)]*$/i.test(def ?? ''), ...(column > 0 ? { default: def } : {}) });
    }
  }
  return rows;
}

/** Where the input table and action.yml disagree on what is required or on a default action.yml sets. */
export function inputTableProblems(markdown: string, inputs: Record<string, { required?: boolean; default?: unknown }>): string[] {
  const problems: string[] = [];
  for (const row of inputRows(markdown)) {
    for (const name of row.names) {
      const spec = inputs[name];
      if (!spec) continue; // the names test reports it
      if (row.required !== (spec.required === true)) problems.push(`${name}: README says ${row.required ? '' : 'not '}required, action.yml ${spec.required === true ? '' : 'not '}required`);
      // A default computed by the code (empty in action.yml) may be described in words; one action.yml sets must be shown as it is.
      const def = spec.default === undefined ? '' : String(spec.default);
      if (row.default !== undefined && def !== '' && row.default !== `\`${def}\``) problems.push(`${name}: README default ${JSON.stringify(row.default)}, action.yml ${JSON.stringify(def)}`);
    }
  }
  return problems;
}

/** Every step in the README's YAML examples that uses `ref` (a path such as actions/smoke-test), with its `with:` keys. */
function exampleSteps(markdown: string, uses: RegExp): string[][] {
  const found: string[][] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const step = node as Record<string, unknown>;
      if (typeof step.uses === 'string' && uses.test(step.uses)) found.push(Object.keys((step.with as object) ?? {}));
      Object.values(step).forEach(visit);
    }
  };
  for (const block of markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)) {
    for (const doc of parseAllDocuments(block[1]!)) visit(doc.toJS());
  }
  return found;
}

describe.each(ACTIONS)('$name', ({ name, readme, yml }) => {
  const markdown = existsSync(readme) ? readFileSync(readme, 'utf8') : '';

  it('has a README whose input and output tables name exactly the inputs and outputs of its action.yml', () => {
    expect(markdown, `${readme} is missing`).not.toBe('');
    expect(new Set(tableNames(markdown, 'input'))).toEqual(new Set(Object.keys(yml.inputs ?? {})));
    expect(new Set(tableNames(markdown, 'output'))).toEqual(new Set(Object.keys(yml.outputs ?? {})));
  });

  it('says required, and shows defaults, as its action.yml does', () => {
    expect(inputTableProblems(markdown, yml.inputs ?? {})).toEqual([]);
  });

  it("passes only the action's own inputs in its README's workflow examples", () => {
    const uses = name.startsWith('rollback') ? /^<owner>\/rollback-kit@/ : new RegExp(`/actions/${name}@`);
    const steps = exampleSteps(markdown, uses);
    expect(steps.length).toBeGreaterThan(0);
    for (const keys of steps) for (const key of keys) expect(Object.keys(yml.inputs ?? {})).toContain(key);
  });

  it('links only to files and headings that exist', () => {
    for (const [, target] of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^https?:/.test(target!)) continue;
      const [file, anchor] = target!.split('#');
      const path = file ? resolve(dirname(readme), file) : readme;
      expect(existsSync(path), `${target} from ${readme}`).toBe(true);
      if (anchor && path.endsWith('.md')) expect(anchors(readFileSync(path, 'utf8')), `${target} from ${readme}`).toContain(anchor);
    }
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
function anchors(markdown: string): string[] {
  return [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
}

describe('inputTableProblems catches what it should', () => {
  const inputs = { a: { required: true }, b: { required: false, default: '5' }, c: { required: false, default: '' } };
  it('a required input not marked, a default that differs, a marked input that is not required', () => {
    const md = '| Input | Default | Description |\n| --- | --- | --- |\n| `a` | | x |\n| `b` | `3` | y |\n| `c` | *required* | z |\n';
    expect(inputTableProblems(md, inputs)).toEqual([
      'a: README says not required, action.yml required',
      'b: README default "`3`", action.yml "5"',
      'c: README says required, action.yml not required',
    ]);
  });
  it('agrees with a table that says what action.yml says (a default the code computes may be words)', () => {
    const md = '| input | default | meaning |\n| --- | --- | --- |\n| `a` | *required* | x |\n| `b` | `5` | y |\n| `c` | the tool\'s own | z |\n';
    expect(inputTableProblems(md, inputs)).toEqual([]);
  });
});
