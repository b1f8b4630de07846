// The README's budget tables are what an on-call engineer holds a slow phase against: each phase's
// budget there must be the one src/pipeline/budgets.ts reports at budget-minutes 15, and every phase
// must be listed, for the rollback and for the drill alike.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { budgets, OFF_CRITICAL_PATH, RUNBOOK_MINUTES } from '../../src/pipeline/budgets.js';
import { DRILL_PHASES, drillBudgets } from '../../src/pipeline/drill.js';
import { PHASES } from '../../src/pipeline/record.js';
import { ROOT } from '../helpers/run-action.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** `30 s`, `3 min` as milliseconds. */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?) (s|min)$/.exec(text.trim());
  if (!m) throw new Error(`not a budget: ${text}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 60_000);
}

/** Phase name to budget cell, from the table whose header row starts with `header`. */
function budgetTable(header: RegExp, column: number): Map<string, string> {
  const lines = README.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  expect(start, `the table headed ${header}`).toBeGreaterThan(-1);
  const rows = new Map<string, string>();
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
    const cells = lines[i]!.split(/(?<!\\)\|/).map((c) => c.trim());
    rows.set(/^`([^`]+)`$/.exec(cells[1]!)?.[1] ?? cells[1]!, cells[column]!);
  }
  return rows;
}

describe('README.md budgets', () => {
  it('the default is the 15 minutes the tables are given at', () => {
    expect(RUNBOOK_MINUTES).toBe(15);
  });

  it('"Phases and budgets" lists every phase with the budget the code gives it', () => {
    const rows = budgetTable(/^\| phase \| budget \| what happens \|$/, 2);
    expect([...rows.keys()]).toEqual([...PHASES]);
    const b = budgets(15);
    for (const phase of PHASES) expect(durationMs(rows.get(phase)!), phase).toBe(b.phase(phase));
  });

  it("the drill's table lists every drill phase with the budget the code gives it", () => {
    const rows = budgetTable(/^\| phase \| what \| budget at 15 min \|$/, 3);
    expect([...rows.keys()]).toEqual([...DRILL_PHASES]);
    const b = drillBudgets(15);
    for (const phase of DRILL_PHASES) expect(durationMs(rows.get(phase)!), phase).toBe(b.phase(phase));
  });

  it("run-down-migrations' time budget gives the snapshot's and the database's shares the code gives them", () => {
    const section = readFileSync(join(ROOT, 'actions', 'run-down-migrations', 'README.md'), 'utf8').split('## Time budget')[1]!.split('\n## ')[0]!.replace(/\s+/g, ' ');
    const b = budgets(15);
    expect(section).toContain(`the snapshot ${b.phase('snapshot') / 60_000} minutes of it and the down migrations ${b.phase('database') / 60_000}`);
  });

  describe('"Time budgets": the whole rollback', () => {
    const lines = README.split('\n');
    const start = lines.findIndex((l) => l === '| runbook phase | runbook asks | rollback-kit phases | budget |');
    const rows: string[][] = [];
    for (let i = start + 2; start > -1 && i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!.split('|').slice(1, -1).map((c) => c.trim()));
    const minutes = (cell: string) => durationMs(cell.replace(/\*\*/g, '')) / 60_000;
    /** `1 min` as [1, 1], `3–5 min` as [3, 5]. */
    const range = (cell: string): [number, number] => {
      const m = /^(\d+)(?:–(\d+))? min$/.exec(cell.replace(/\*\*/g, ''));
      if (!m) throw new Error(`not a runbook range: ${cell}`);
      return [Number(m[1]), Number(m[2] ?? m[1])];
    };
    const phasesOf = (row: string[]) => [...row[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const totalAt = rows.findIndex((r) => r[0]!.startsWith('**whole rollback**'));
    const critical = rows.slice(0, totalAt);
    const after = rows.slice(totalAt + 1);
    const b = budgets(15);

    it('has the table, a total row, and rows on both sides of it', () => {
      expect(start, 'the table').toBeGreaterThan(-1);
      expect(totalAt).toBeGreaterThan(0);
      expect(after.length).toBeGreaterThan(0);
    });

    it("each row's budget is what the code gives its phases, and every phase is in one row", () => {
      for (const row of [...critical, ...after]) {
        const phases = phasesOf(row);
        expect(phases.length, row[0]).toBeGreaterThan(0);
        expect(minutes(row[3]!) * 60_000, row[0]).toBe(phases.reduce((sum, p) => sum + b.phase(p as never), 0));
      }
      expect([...critical, ...after].flatMap(phasesOf).sort()).toEqual([...PHASES].sort());
    });

    it('the rows above the total are the critical path, and add up to it: the code\'s total at budget-minutes 15', () => {
      expect(critical.flatMap(phasesOf).sort()).toEqual(PHASES.filter((p) => !OFF_CRITICAL_PATH.includes(p)).sort());
      expect(after.flatMap(phasesOf).sort()).toEqual([...OFF_CRITICAL_PATH].sort());
      const sum = critical.reduce((s, r) => s + minutes(r[3]!), 0);
      expect(sum).toBe(minutes(rows[totalAt]![3]!));
      expect(sum * 60_000).toBe(b.totalMs);
    });

    it("the runbook's ranges add up to the range the total and the text state (15–21 minutes)", () => {
      const [low, high] = critical.map((r) => range(r[1]!)).reduce(([l, h], [a, z]) => [l + a, h + z], [0, 0]);
      expect([low, high]).toEqual(range(rows[totalAt]![1]!));
      expect([low, high]).toEqual([15, 21]);
      expect(README).toContain(`the whole rollback in **${low}–${high} minutes**`);
    });
  });

  it('reads budgets as written', () => {
    expect(durationMs('30 s')).toBe(30_000);
    expect(durationMs('3 min')).toBe(180_000);
    expect(() => durationMs('3–5 min')).toThrow();
  });
});
