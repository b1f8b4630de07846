// `rollback-kit plan` is read by a person: which migrations it reverts in words, not the plan's
// object as JSON; --json still gives scripts that object.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMain } from './run-main.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'rk-plan-output-'));
  await mkdir(join(cwd, 'db/migrations'), { recursive: true });
});
// What the plan needs to pass its own checks; nothing is contacted.
const env = { VERCEL_TOKEN: 'vercel_plan_test_token', DATABASE_URL: 'postgres://app@127.0.0.1:1/shop' };
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const base = ['plan', '--provider', 'vercel', '--project', 'shop', '--scope', 'full'];

it.each([
  [['--steps', '2'], 'revert the newest 2 migrations'],
  [['--steps', '1'], 'revert the newest migration'],
  [['--to-version', '20250101000000'], 'revert every migration newer than version 20250101000000'],
  [['--since-ref', 'v1.4.2'], 'revert every migration added since git ref v1.4.2'],
])('%s: the database line says it in words', async (flags, words) => {
  const run = await runMain([...base, ...flags], { cwd, env });
  expect(run.code).toBe(0);
  const line = run.stdout.split('\n').find((l) => l.startsWith('database:'))!;
  expect(line).toContain(words);
  expect(line).not.toMatch(/[{}"]/);
  expect(line).not.toContain(', auto');
});

it('--json keeps the choice as an object for scripts', async () => {
  const run = await runMain([...base, '--steps', '2', '--json'], { cwd, env });
  expect(run.code).toBe(0);
  expect((JSON.parse(run.stdout) as { plan: { database: { choice: unknown } } }).plan.database.choice).toEqual({ steps: 2 });
});

// Scope app leaves the database alone (the rollback says it was left out of its scope): the plan
// shows no database line for it, as if the rollback would revert migrations.
it('scope app: no database line', async () => {
  const run = await runMain(['plan', '--provider', 'vercel', '--project', 'shop', '--scope', 'app', '--steps', '2'], { cwd, env });
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/scope shop$/m);
  expect(run.stdout.split('\n').filter((l) => l.startsWith('database'))).toEqual([]);
});

// Scope db rolls no component back: the plan lists none as if it would put it back, and says the
// app is out of scope; --json says the same, and scope app names the database as out of scope.
it('scope db: no component row, the app named as not in scope, in text and --json', async () => {
  const args = ['plan', '--provider', 'vercel', '--project', 'shop', '--scope', 'db', '--steps', '1'];
  const run = await runMain(args, { cwd, env });
  expect(run.code).toBe(0);
  const lines = run.stdout.split('\n');
  expect(lines[0]).toMatch(/scope database$/);
  expect(lines.some((l) => /^component\b/.test(l))).toBe(false);
  expect(lines.some((l) => /\bvercel\b/.test(l))).toBe(false);
  expect(lines).toContain('not rolled back (outside the scope): shop');
  expect(lines.some((l) => l.startsWith('database: down-migrations'))).toBe(true);
  const json = JSON.parse((await runMain([...args, '--json'], { cwd, env })).stdout) as { scope: string[]; notInScope: string[] };
  expect(json.scope).toEqual(['database']);
  expect(json.notInScope).toEqual(['shop']);
  const app = JSON.parse((await runMain(['plan', '--provider', 'vercel', '--project', 'shop', '--scope', 'app', '--steps', '1', '--json'], { cwd, env })).stdout) as { scope: string[]; notInScope: string[] };
  expect(app).toMatchObject({ scope: ['shop'], notInScope: ['database'] });
});
