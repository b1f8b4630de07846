// A check spec's likeliest mistakes are named as what they are: `sql:` for `query:` (never guessed
// as "url", which it is nearest in spelling), and a `[` or `{` left open (not "the indentation is
// wrong"), at the line of the bracket.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readYaml, YamlError } from '../../src/core/yaml.js';
import { parseChecks, SpecError, type SpecProblem } from '../../src/smoke/parse-spec.js';
import { runMain } from '../cli/run-main.js';

const ctx = { baseUrl: 'https://shop.example.com', hasDatabase: true };

function problems(yaml: string): SpecProblem[] {
  try {
    parseChecks(yaml, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).problems;
  }
  throw new Error('the spec was accepted');
}

function yamlProblems(text: string): YamlError['problems'] {
  try {
    readYaml(text);
  } catch (err) {
    if (err instanceof YamlError) return err.problems;
    throw err;
  }
  throw new Error('expected a YamlError');
}

describe('a field written under another name', () => {
  it('no url and no query: the unknown field is named, with the field it stands for', () => {
    expect(problems('- name: a\n  sql: select 1')).toEqual([
      { line: 1, check: 'a', message: 'a check needs url (an HTTP check) or query (an SQL check)' },
      { line: 2, check: 'a', field: 'sql', message: 'unknown field (did you mean "query"?)' },
    ]);
    expect(problems('- name: a\n  endpoint: /health')[1]).toMatchObject({ field: 'endpoint', message: 'unknown field (did you mean "url"?)' });
    // A typo of url or query is guessed by spelling, as any field.
    expect(problems('- name: a\n  quary: select 1')[1]).toMatchObject({ field: 'quary', message: 'unknown field (did you mean "query"?)' });
  });

  it('beside url: "sql" is taken for query (not "url"), and why it cannot stay', () => {
    expect(problems('- name: a\n  url: /x\n  sql: select 1')).toEqual([
      {
        line: 3,
        check: 'a',
        field: 'sql',
        message: 'unknown field (did you mean "query"? That makes an SQL check, and this one has url: a check has either url (HTTP) or query (SQL))',
      },
    ]);
  });
});

describe('a bracket never closed', () => {
  it.each([
    ['garbage: [', 1, 'the [ is never closed: add the ] that ends it'],
    ['- name: [a', 1, 'the [ is never closed: add the ] that ends it'],
    ['checks:\n  - name: a\n    url: /x\n    status: {min: 200\n', 4, 'the { is never closed: add the } that ends it'],
    ['- name: [a\n  url: /x', 1, 'the [ is not closed before line 2: add the ] that ends it, or indent the lines inside it further than the line it starts on'],
  ])('%j: at the bracket\'s line', (text, line, message) => {
    expect(yamlProblems(text)).toEqual([{ line, message: `invalid YAML: ${message}` }]);
  });

  it('other indentation faults keep their words', () => {
    expect(yamlProblems('a:\n  b: 1\n c: 2\n').map((p) => p.message)).toContain('invalid YAML: the indentation is wrong');
  });

  it('rollback-kit smoke --checks \'garbage: [\' says so', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'rk-spec-typos-'));
    try {
      const run = await runMain(['smoke', '--base-url', 'http://127.0.0.1:9', '--checks', 'garbage: ['], { cwd });
      expect(run.stderr).toContain('line 1: invalid YAML: the [ is never closed: add the ] that ends it.');
      expect(run.stderr).not.toContain('indentation');
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
