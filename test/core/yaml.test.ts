// The one YAML reader: errors with a line and never the text; aliases bounded by expanded size.
import { describe, expect, it } from 'vitest';
import { MAX_ALIAS_EXPANSION, readYaml, YamlError } from '../../src/core/yaml.js';

function problems(text: string): YamlError['problems'] {
  try {
    readYaml(text);
  } catch (err) {
    if (err instanceof YamlError) return err.problems;
    throw err;
  }
  throw new Error('expected a YamlError');
}

describe('readYaml', () => {
  it('aliases that stay small are expanded as written', () => {
    const { value } = readYaml(`base: &b {a: 1}\nlist: [${Array.from({ length: 500 }, () => '*b').join(', ')}]\n`);
    expect((value as { list: unknown[] }).list).toHaveLength(500);
  });

  it('a document that grows past the limit only through aliases is refused before expansion', () => {
    const big = 'x'.repeat(1000);
    const text = `big: &big "${big}"\nmany: [${Array.from({ length: MAX_ALIAS_EXPANSION / 1000 + 10 }, () => '*big').join(', ')}]\n`;
    expect(problems(text)).toEqual([{ line: 2, message: expect.stringMatching(/^invalid YAML: its aliases \(\*name\) would expand it to more than/) }]);
  });

  it('deep nesting is an error, not a crash', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    let outcome: unknown;
    try {
      outcome = readYaml(deep).value;
    } catch (err) {
      outcome = err;
    }
    expect(outcome instanceof YamlError || Array.isArray(outcome)).toBe(true);
  });

  it('syntax errors name the line and never quote the text', () => {
    const secret = 'tok_9f8e7d6c5b4a';
    for (const text of [`a: "${secret}\\q"\n`, `a: |${secret}\n  x\n`, `a: 1\n${secret}: [\n`, `a: !${secret} 1\nb: [1, 2`]) {
      const found = problems(text);
      expect(found.length).toBeGreaterThan(0);
      expect(JSON.stringify(found)).not.toContain(secret);
    }
  });
});

it('one fault the parser reports at several positions of a line is one problem (`{{{`)', () => {
  let problems: { line: number; message: string }[] = [];
  try {
    readYaml('{{{');
  } catch (err) {
    problems = (err as YamlError).problems;
  }
  expect(problems.length).toBeGreaterThan(0);
  const said = problems.map((p) => `line ${p.line}: ${p.message}`);
  expect(said).toEqual([...new Set(said)]);
  expect(said).toContain('line 1: invalid YAML: the { is never closed: add the } that ends it');
});
