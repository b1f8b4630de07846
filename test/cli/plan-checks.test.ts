// `rollback-kit plan` checks the plan as far as it can without contacting anything, lists every
// problem at once (exit 2), lists the checks it would run, and prints no secret the plan holds:
// its --json once printed the checks' headers, query keys and an api-url's access_token as written.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from './run-main.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'rk-plan-checks-'));
  await mkdir(join(cwd, 'db/migrations'), { recursive: true });
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const TOKEN = { VERCEL_TOKEN: 'vercel_plan_test_token' };
const SECRETS = ['ZZtop123456', 'sk_live_abc123', 'QQ123456', 'ABC123xyz'];
const CHECKS = '- {name: a, url: /x?api_key=ZZtop123456, headers: {authorization: "Bearer sk_live_abc123", x-api-key: "QQ123456"}}';
const FLAGS = ['plan', '--provider', 'vercel', '--project', 'x', '--api-url', 'https://p.example.com/v?access_token=ABC123xyz', '--base-url', 'https://shop.example.com', '--checks', CHECKS];

describe('secrets in the checks and URLs', () => {
  it.each([[['--json']], [[]]])('plan %j prints none of them, and lists the check', async (extra) => {
    const run = await runMain([...FLAGS, ...extra], { cwd, env: TOKEN });
    expect(run.code, run.stderr).toBe(0);
    for (const secret of SECRETS) expect(run.stdout + run.stderr).not.toContain(secret);
    if (extra.length) {
      const doc = JSON.parse(run.stdout) as { checks: { name: string; what: string }[]; plan: { components: { apiUrl: string }[] } };
      expect(doc.checks).toEqual([{ name: 'a', kind: 'http', critical: false, what: 'https://shop.example.com/x?api_key=***' }]);
      expect(doc.plan.components[0]!.apiUrl).toBe('https://p.example.com/v?access_token=***');
    } else {
      expect(run.stdout).toMatch(/^a +http +no +https:\/\/shop\.example\.com\/x\?api_key=\*\*\*$/m);
    }
  });
});

describe('a broken plan is not OK', () => {
  it('every problem at once, exit 2: the checks, the token, the migrations folder', async () => {
    await writeFile(
      join(cwd, 'broken.yml'),
      'components:\n  web: { provider: vercel, project: shop }\ndatabase:\n  migrations-dir: db/migrationz\nverify:\n  base-url: https://shop.example.com\n  checks: "- {name: a, url: 42, timeout: -5, bogus: 1}"\n',
    );
    const run = await runMain(['plan', '--config', 'broken.yml', '--scope', 'full', '--json'], { cwd, env: { DATABASE_URL: 'postgres://app@127.0.0.1:1/shop' } });
    expect(run.code).toBe(2);
    const error = (JSON.parse(run.stdout) as { status: string; error: string }).error;
    expect(error).toContain('The plan has 3 problems');
    expect(error).toContain('field "url": must be an absolute URL');
    expect(error).toContain('field "timeout": unknown field');
    expect(error).toContain('field "bogus": unknown field');
    expect(error).toContain('web: VERCEL_TOKEN is not set and --vercel-token was not given');
    // The file's key, not a flag nobody gave.
    expect(error).toContain("broken.yml's database.migrations-dir db/migrationz is not a folder");
  });

  it('a checks-file that does not exist', async () => {
    const run = await runMain(['plan', '--provider', 'vercel', '--project', 'x', '--base-url', 'https://shop.example.com', '--checks-file', '.github/smoke-checks.yml'], { cwd, env: TOKEN });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Cannot read --checks-file ".github/smoke-checks.yml": no such file');
  });

  it('the database in scope without a connection', async () => {
    const run = await runMain(['plan', '--provider', 'vercel', '--project', 'x', '--scope', 'full', '--steps', '1'], { cwd, env: TOKEN });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('The scope includes the database, but --database-url was not given and DATABASE_URL is not set.');
  });
});
