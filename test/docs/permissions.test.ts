// The README's permissions table is what a team grants when it copies a workflow or reviews one:
// each row must name exactly the scopes the job asks for in .github/workflows, and every job of the
// rollback workflows that asks for any must have its row.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/run-action.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const WORKFLOWS = ['rollback.yml', 'auto-rollback.yml', 'rollback-drill.yml'];

/** `file job` → the `scope: level` pairs of its row, from the table headed `| job | permissions |`. */
export function permissionRows(markdown: string): Map<string, string[]> {
  const lines = markdown.split('\n');
  const rows = new Map<string, string[]>();
  for (let i = lines.findIndex((l) => /^\| job \| permissions \|$/.test(l)) + 2; i > 1 && lines[i]?.startsWith('|'); i++) {
    const [, who = '', what = ''] = lines[i]!.split(/(?<!\\)\|/).map((c) => c.trim());
    const file = /^([\w.-]+\.yml)/.exec(who)?.[1];
    const scopes = [...what.matchAll(/`([a-z-]+: (?:read|write))`/g)].map((m) => m[1]!).sort();
    for (const [, job] of who.matchAll(/`([\w-]+)`/g)) rows.set(`${file} ${job}`, scopes);
  }
  return rows;
}

describe('README.md permissions table', () => {
  const rows = permissionRows(README);
  const jobs = WORKFLOWS.flatMap((file) =>
    Object.entries((parse(readFileSync(join(ROOT, '.github', 'workflows', file), 'utf8')) as { jobs: Record<string, { permissions?: Record<string, string> }> }).jobs)
      .map(([job, spec]) => [`${file} ${job}`, Object.entries(spec.permissions ?? {}).map(([k, v]) => `${k}: ${v}`).sort()] as const),
  );

  it('has a row for every job that asks for a permission, and none for a job that does not exist', () => {
    expect([...rows.keys()].sort()).toEqual(jobs.filter(([, p]) => p.length).map(([k]) => k).sort());
  });

  it.each(jobs.filter(([, p]) => p.length))('%s: the row names exactly what the job asks for', (key, scopes) => {
    expect(rows.get(key)).toEqual(scopes);
  });

  it('reads a row of several jobs', () => {
    expect(permissionRows('| job | permissions |\n| --- | --- |\n| a.yml `x`, `y` | `contents: read`, `issues: write` (why) |\n')).toEqual(
      new Map([['a.yml x', ['contents: read', 'issues: write']], ['a.yml y', ['contents: read', 'issues: write']]]),
    );
  });
});
