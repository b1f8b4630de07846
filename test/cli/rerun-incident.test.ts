// `rollback-kit rollback full` typed twice (the command from its source, in this process): the
// second run, after the first rolled Vercel production back, names the same incident without any
// --from, so it comments on the incident issue the first run opened and finds the first run's
// database ledger row: `steps: 1` reverts nothing more. Fake Vercel and GitHub, real PostgreSQL.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { startGitHubIssues, type GitHubIssuesFake } from '../fakes/github-issues.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { applyMigrations, tables, writeMigrations } from '../migrations/fixtures.js';
import { appliedVersions } from '../pipeline/world.js';
import { shopFixture, TEAM_ID, TOKEN, type ShopFixture } from '../promote-previous/fixture.js';
import { runMain } from './run-main.js';

const GH_TOKEN = 'ghs_Test0Token1For2Cli3Incidents45678';

let shop: ShopFixture | undefined;
let issues: GitHubIssuesFake | undefined;
let ws: string | undefined;
let db: TestDatabase | undefined;
afterEach(async () => {
  await Promise.all([shop?.vercel.close(), issues?.close()]);
  if (ws) await rm(ws, { recursive: true, force: true });
});

it('the second run comments on the first run\'s incident issue and reverts no second migration', async () => {
  shop = await shopFixture({ historySize: 3 });
  issues = await startGitHubIssues({ token: GH_TOKEN, repository: 'acme/shop' });
  db = await createTestDatabase('rk_cli_rerun');
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-rerun-'));
  await applyMigrations(db, 'dbmate', await writeMigrations(ws, 'dbmate', tables(3)), tables(3));
  await writeFile(
    join(ws, 'rollback-kit.yml'),
    ['components:', `  web: { provider: vercel, project: shop, team: ${TEAM_ID}, api-url: "${shop.vercel.url}" }`, 'database:', '  migrations-dir: db/migrations', '  format: dbmate', '  steps: 1', 'incident:', '  labels: [incident]', ''].join('\n'),
  );
  const env = { VERCEL_TOKEN: TOKEN, DATABASE_URL: db.url, GITHUB_TOKEN: GH_TOKEN, GITHUB_REPOSITORY: 'acme/shop', GITHUB_API_URL: issues.url };
  const run = async () => {
    const r = await runMain(['rollback', 'full', '--reason', 'checkout returns 500', '--yes', '--json'], { cwd: ws, env });
    return { code: r.code, record: (JSON.parse(r.stdout) as { record: { status: string; incidentKey: string; database?: { status: string } } }).record };
  };

  const first = await run();
  expect(first.record).toMatchObject({ status: 'rolled-back', incidentKey: `production:web@${shop.bad.uid}`, database: { status: 'reverted' } });
  expect(issues.issues).toHaveLength(1);

  const again = await run();
  expect(again.record).toMatchObject({ status: 'nothing-to-do', incidentKey: first.record.incidentKey, database: { status: 'nothing-to-do' } });
  expect(await appliedVersions(db)).toEqual(['20240101000001', '20240101000002']);
  expect(issues.issues).toHaveLength(1);
  expect(issues.issues[0]!.comments).toHaveLength(1);
});

// A command component cannot say what it serves: without --from, every run's key is
// production:jobs@?. The second incident's migration must not be left applied under the first
// incident's finished row, with the run saying the database is rolled back.
it('a new incident under a key that names nothing: stops in plan, naming the migration applied since, and changes nothing', async () => {
  db = await createTestDatabase('rk_cli_unnamed');
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-unnamed-'));
  const [one, two, three] = tables(3);
  const dir = await writeMigrations(ws, 'dbmate', [one!, two!]);
  await applyMigrations(db, 'dbmate', dir, [one!, two!]);
  await writeFile(
    join(ws, 'rollback-kit.yml'),
    ['components:', "  jobs: { provider: command, command: 'echo ok', target: v41 }", 'database:', '  migrations-dir: db/migrations', '  format: dbmate', '  steps: 1', ''].join('\n'),
  );
  const env = { DATABASE_URL: db.url };
  const run = async (reason: string, ...more: string[]) => {
    const r = await runMain(['rollback', 'full', '--reason', reason, '--yes', '--json', ...more], { cwd: ws, env });
    return { ...r, record: (JSON.parse(r.stdout) as { record: { status: string; incidentKey: string; failedPhase?: string; timeline: { phase: string; status: string; detail: string }[]; database?: { status: string } } }).record };
  };

  const first = await run('a');
  expect(first.code).toBe(0);
  expect(first.record).toMatchObject({ status: 'rolled-back', incidentKey: 'production:jobs@?', database: { status: 'reverted' } });
  expect(await appliedVersions(db)).toEqual([one!.version]);

  // Days later: the fix dropped 002, and the next bad deploy applies 003.
  await rm(join(dir, `${two!.version}_${two!.name}.sql`));
  await writeMigrations(ws, 'dbmate', [three!]);
  await applyMigrations(db, 'dbmate', dir, [three!]);
  expect(await appliedVersions(db)).toEqual([one!.version, three!.version]);

  const second = await run('b');
  expect(second.code).not.toBe(0);
  expect(second.record).toMatchObject({ status: 'failed', failedPhase: 'plan', incidentKey: 'production:jobs@?' });
  const plan = second.record.timeline.find((r) => r.phase === 'plan')!;
  expect(plan.status).toBe('failed');
  expect(plan.detail).toContain(`An earlier run for incident production:jobs@? finished rolling the database back (it reverted ${two!.version}), and ${three!.version} was applied since, which that plan did not count`);
  expect(plan.detail).toContain('a command component cannot say what it serves, and only --from names one');
  expect(plan.detail).toContain('Name the new incident: pass --from with the release that went bad');
  expect(plan.detail).not.toMatch(/no from was given|pass from \(/);
  expect(plan.detail.match(/Nothing was changed/g)).toHaveLength(1);
  expect(await appliedVersions(db)).toEqual([one!.version, three!.version]);

  // Named, it is an incident of its own: its plan reverts 003.
  const named = await run('b', '--from', 'v42');
  expect(named.code).toBe(0);
  expect(named.record).toMatchObject({ status: 'rolled-back', incidentKey: 'production:jobs@v42', database: { status: 'reverted' } });
  expect(await appliedVersions(db)).toEqual([one!.version]);

  // The same command again is a re-run of that incident: nothing more goes.
  const again = await run('b', '--from', 'v42');
  expect(again.code).toBe(0);
  expect(await appliedVersions(db)).toEqual([one!.version]);
});

// A row that does not record what was applied when it planned (an earlier version wrote it, or a CI
// role that may not add the ledger's applied column): under a key that names nothing, a plan that
// would revert what that row did not plan may be a new incident's, and nothing tells.
it('a finished row without applied, under a key that names nothing: stops in plan when this plan would revert what that row did not', async () => {
  db = await createTestDatabase('rk_cli_unrecorded');
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-unrecorded-'));
  const [one, two, three] = tables(3);
  const dir = await writeMigrations(ws, 'dbmate', [one!, two!]);
  await applyMigrations(db, 'dbmate', dir, [one!, two!]);
  await writeFile(
    join(ws, 'rollback-kit.yml'),
    ['components:', "  jobs: { provider: command, command: 'echo ok', target: v41 }", 'database:', '  migrations-dir: db/migrations', '  format: dbmate', '  steps: 1', ''].join('\n'),
  );
  const env = { DATABASE_URL: db.url };
  const run = async (reason: string) => {
    const r = await runMain(['rollback', 'full', '--reason', reason, '--yes', '--json'], { cwd: ws, env });
    return { ...r, record: (JSON.parse(r.stdout) as { record: { status: string; failedPhase?: string; timeline: { phase: string; status: string; detail: string }[] } }).record };
  };
  expect((await run('a')).code).toBe(0);
  await db.query('UPDATE rollback_kit.rollbacks SET applied = NULL');
  await rm(join(dir, `${two!.version}_${two!.name}.sql`));
  await writeMigrations(ws, 'dbmate', [three!]);
  await applyMigrations(db, 'dbmate', dir, [three!]);

  const second = await run('b');
  expect(second.code).not.toBe(0);
  expect(second.record).toMatchObject({ status: 'failed', failedPhase: 'plan' });
  const plan = second.record.timeline.find((r) => r.phase === 'plan')!;
  expect(plan.detail).toContain(`this run's plan would revert ${three!.version} now`);
  // Not blamed on an earlier version alone: this version writes such rows too, for a role that may not add the column.
  expect(plan.detail).toContain("the earlier run's row does not say what was applied when it planned (an earlier version of rollback-kit wrote it, or a role that may not add the ledger's applied column)");
  expect(await appliedVersions(db)).toEqual([one!.version, three!.version]);
});

// `rollback-kit rollback db` typed again days later, for a new bad deploy, without --from: the key
// (the database alone) names no deployment, so it is the finished incident's. The run must neither
// revert again silently nor end with a bare "nothing to roll back": it says the incident is
// finished and gives the exact DELETE that forgets it (no --from: the plan has no component to name).
it('rollback db again for a finished incident: says it is finished and gives the DELETE that forgets it', async () => {
  db = await createTestDatabase('rk_cli_finished');
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-finished-'));
  const [one, two] = tables(2);
  const dir = await writeMigrations(ws, 'dbmate', [one!, two!]);
  await applyMigrations(db, 'dbmate', dir, [one!, two!]);
  await writeFile(join(ws, 'rollback-kit.yml'), ['database:', '  migrations-dir: db/migrations', '  format: dbmate', '  steps: 1', ''].join('\n'));
  const env = { DATABASE_URL: db.url };
  const argv = ['rollback', 'db', '--reason', 'bad migration', '--yes'];

  const first = await runMain([...argv, '--json'], { cwd: ws, env });
  expect(first.code).toBe(0);
  const key = (JSON.parse(first.stdout) as { record: { incidentKey: string } }).record.incidentKey;
  expect(await appliedVersions(db)).toEqual([one!.version]);

  const again = await runMain(argv, { cwd: ws, env });
  expect(again.code).toBe(0);
  expect(await appliedVersions(db)).toEqual([one!.version]);
  const said = again.stdout.replace(/\s+/g, ' ');
  expect(said).toContain(`Incident ${key} is finished: an earlier run rolled it back (its database phase reverted ${two!.version}), so this run changed nothing.`);
  // A plan with no component has no deployment to name (--from is refused there): the DELETE is the way.
  expect(said).toContain(`If this is a new incident, delete its row first, then run again: DELETE FROM rollback_kit.rollbacks WHERE incident_key = '${key}'.`);
  expect(said).not.toMatch(/--from|no from was given|pass from\b|scope db/);

  // The statement, run as given, forgets the incident: the next run plans afresh and reverts one more.
  const statement = /DELETE FROM rollback_kit\.rollbacks WHERE incident_key = '[^']*'/.exec(said)![0];
  await db.query(statement);
  expect((await db.query('SELECT count(*)::int AS n FROM rollback_kit.rollbacks')).rows[0]?.n).toBe(0);
  expect((await runMain(argv, { cwd: ws, env })).code).toBe(0);
  expect(await appliedVersions(db)).toEqual([]);
});

// The DELETE names the key as a SQL literal: a from with a quote and a backslash in it cannot end
// the string early or change what the statement deletes, whatever standard_conforming_strings is.
it("a finished incident whose key holds a quote and a backslash: the DELETE given deletes that row and no other", async () => {
  db = await createTestDatabase('rk_cli_quoted');
  ws = await mkdtemp(join(tmpdir(), 'rk-cli-quoted-'));
  const [one, two, three] = tables(3);
  const dir = await writeMigrations(ws, 'dbmate', [one!, two!, three!]);
  await applyMigrations(db, 'dbmate', dir, [one!, two!, three!]);
  await writeFile(
    join(ws, 'rollback-kit.yml'),
    ['components:', "  jobs: { provider: command, command: 'echo ok', target: v41 }", 'database:', '  migrations-dir: db/migrations', '  format: dbmate', '  steps: 1', ''].join('\n'),
  );
  const env = { DATABASE_URL: db.url };
  const other = await runMain(['rollback', 'db', '--reason', 'a', '--yes', '--json', '--from', 'v40'], { cwd: ws, env });
  expect(other.code).toBe(0);
  const argv = ['rollback', 'db', '--reason', 'b', '--yes', '--from', "v42'x\\y"];
  const first = await runMain([...argv, '--json'], { cwd: ws, env });
  expect(first.code).toBe(0);
  const key = (JSON.parse(first.stdout) as { record: { incidentKey: string } }).record.incidentKey;
  expect(await appliedVersions(db)).toEqual([one!.version]);

  const again = await runMain(argv, { cwd: ws, env });
  expect(again.code).toBe(0);
  const said = again.stdout.replace(/\s+/g, ' ');
  expect(said).toContain(`Incident ${key} is finished`);
  const statement = /DELETE FROM rollback_kit\.rollbacks WHERE incident_key = E?'(?:[^']|'')*'/.exec(said)![0];
  const keys = async () => (await db!.query<{ k: string }>('SELECT incident_key AS k FROM rollback_kit.rollbacks ORDER BY 1')).rows.map((r) => r.k);
  expect(await keys()).toHaveLength(2);
  expect(key).toContain("'");
  expect(key).toContain('\\');
  const before = await keys();
  expect(before).toHaveLength(2);
  const session = new pg.Client({ connectionString: db.url });
  await session.connect();
  try {
    for (const setting of ['off', 'on']) {
      await session.query(`BEGIN; SET LOCAL standard_conforming_strings = ${setting}`);
      expect((await session.query(statement)).rowCount, setting).toBe(1);
      const left = (await session.query<{ k: string }>('SELECT incident_key AS k FROM rollback_kit.rollbacks')).rows.map((r) => r.k);
      await session.query('ROLLBACK');
      expect(left, setting).toEqual(before.filter((k) => k !== key));
    }
  } finally {
    await session.end();
  }
});
