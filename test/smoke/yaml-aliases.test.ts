// YAML anchors and aliases in a check spec: a spec that reuses one block a hundred times is
// ordinary and runs; an alias bomb ("billion laughs") is refused as a spec error with its line,
// before anything is expanded, so it takes neither the runner's memory nor its time.
import { describe, expect, it } from 'vitest';
import { runAction } from '../helpers/run-action.js';
import { startServer } from './servers.js';

const fast = { attempts: 1, 'timeout-seconds': 5, 'fail-step': false };

function billionLaughs(levels: number, width: number): string {
  const lines = [`lol0: &lol0 "${'lol'.repeat(3)}"`];
  for (let i = 1; i <= levels; i++) lines.push(`lol${i}: &lol${i} [${Array.from({ length: width }, () => `*lol${i - 1}`).join(', ')}]`);
  lines.push('checks:', `  - {name: boom, url: /health, body: *lol${levels}, method: POST}`);
  return `${lines.join('\n')}\n`;
}

describe('YAML aliases in the check spec', () => {
  it('one anchor used 120 times: allowed, and every check runs', async () => {
    const server = await startServer();
    const checks = ['- name: health 0', '  url: &health /health', '  json: &ok {status: ok}', '  header: &json {content-type: {contains: application/json}}'];
    for (let i = 1; i < 120; i++) checks.push(`- {name: health ${i}, url: *health, json: *ok, header: *json}`);
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: checks.join('\n'), ...fast });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'true', failed: '0' });
    expect(server.hits('/health')).toBe(120);
  });

  it('billion laughs: refused as a spec error naming the problem, nothing sent', async () => {
    const server = await startServer();
    const run = await runAction('smoke-test', { 'base-url': server.url, checks: billionLaughs(9, 9), ...fast });
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({});
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(
      /^The smoke check spec \(checks input\) has 1 problem, so nothing was run: line \d+: invalid YAML: its aliases \(\*name\) would expand it to more than [\d,]+ characters: an alias bomb/,
    );
    expect(run.summary).toContain('alias bomb');
    expect(server.requests).toHaveLength(0);
  });

  it('an alias inside the value it names: refused, not an endless structure', async () => {
    const run = await runAction('smoke-test', { checks: '- &loop {name: loop, url: "http://127.0.0.1:9/", body: [*loop], method: POST}\n', ...fast });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toMatch(/line 1: invalid YAML: an alias \(\*name\) refers to a value that contains it, so it has no end/);
  });
});
