// The local sandbox: the database side of a rollback on your own PostgreSQL, with no accounts. It
// runs the committed action bundles exactly as GitHub runs them (INPUT_* variables, file commands),
// so what you see here is what a workflow does. Two incidents from the runbooks:
//   A. A bad migration (the six-phase runbook's bad-migration scenario): dbmate applies a release's migration,
//      smoke-test says "rollback", snapshot-db keeps the current state, run-down-migrations undoes
//      the migration (dbmate's own status agrees), smoke-test says "none".
//   B. Damaged data: snapshot-db before the deploy, the deploy deletes rows and drops a table,
//      restore-db puts the snapshot back and proves every row is there.
// DATABASE_URL (else postgres@127.0.0.1:5432) is where the sandbox databases are created.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { dbmatePath } from './dbmate-path.mjs';

const root = resolve(import.meta.dirname, '..');
const admin = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = process.env.DEMO_DATABASE || 'rollback_kit_demo';
const urlOf = (name) => {
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
};
const dbUrl = urlOf(dbName);
const migrationsDb = `${dbName}_migrations`;
const migrationsUrl = urlOf(migrationsDb);
const work = mkdtempSync(join(tmpdir(), 'rollback-kit-demo-'));

async function sql(url, text) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    console.error(`Cannot reach PostgreSQL (${err.message}). Start it, e.g. pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or set DATABASE_URL.`);
    process.exit(1);
  }
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** Runs dist/<name>/index.js as the GitHub runner does and returns its outputs. */
function action(name, inputs) {
  const dir = mkdtempSync(join(work, `${name}-`));
  const files = { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary.md'), GITHUB_ENV: join(dir, 'env'), GITHUB_STATE: join(dir, 'state') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const env = { ...process.env, ...files, RUNNER_TEMP: work };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = String(v);
  console.log(`\n$ ${name} ${Object.entries(inputs).map(([k, v]) => `${k}=${k.includes('url') ? '***' : String(v).includes('\n') ? '<yaml>' : v}`).join(' ')}`);
  const run = spawnSync(process.execPath, [join(root, 'dist', name, 'index.js')], { env, encoding: 'utf8' });
  for (const line of run.stdout.split('\n')) if (line && !line.startsWith('::add-mask::')) console.log(`  ${line}`);
  if (run.stderr.trim()) console.error(run.stderr);
  const outputs = {};
  for (const m of readFileSync(files.GITHUB_OUTPUT, 'utf8').matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]] = m[3];
  if (run.status !== 0) {
    console.error(`\n${name} failed (exit ${run.status}).`);
    process.exit(1);
  }
  return { status: run.status, outputs, summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8') };
}

async function counts() {
  const r = await sql(dbUrl, `SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM service_tickets) AS tickets,
    (SELECT count(*) FROM information_schema.tables WHERE table_name = 'parts') AS parts_table`);
  return r.rows[0];
}

function dbmate(...args) {
  const url = new URL(migrationsUrl);
  url.searchParams.set('sslmode', 'disable');
  const run = spawnSync(dbmatePath(), ['--url', url.toString(), '--migrations-dir', join(work, 'db/migrations'), '--no-dump-schema', ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`dbmate ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout.trim();
}

// The six-phase runbook's verification checklist, as smoke-test checks.
const CHECKLIST = `
- name: critical tables exist
  query: SELECT count(*) FROM service_tickets
  expect-value: 5000
  critical: true
- name: phase 2 tables removed
  query: SELECT count(*) FROM task_templates
  expect-error: does not exist
`;

async function badMigration() {
  console.log(`\n=== A. A bad migration: undo it with its down SQL, keep the data (database ${migrationsDb})`);
  await sql(admin, `DROP DATABASE IF EXISTS ${migrationsDb} WITH (FORCE)`);
  await sql(admin, `CREATE DATABASE ${migrationsDb}`);
  const dir = join(work, 'db/migrations');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '20251001000000_phase1.sql'), `-- migrate:up
CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL);
CREATE TABLE service_tickets (id serial PRIMARY KEY, customer_id int REFERENCES customers, title text);
-- migrate:down
DROP TABLE service_tickets;
DROP TABLE customers;
`);
  dbmate('up');
  await sql(migrationsUrl, `INSERT INTO customers (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 500) g;
    INSERT INTO service_tickets (customer_id, title) SELECT 1 + g % 500, 'ticket ' || g FROM generate_series(1, 5000) g;`);
  writeFileSync(join(dir, '20251024000000_phase2_task_templates.sql'), `-- migrate:up
CREATE TABLE task_templates (id serial PRIMARY KEY, name text NOT NULL);
ALTER TABLE service_tickets ADD COLUMN template_id int REFERENCES task_templates;
-- migrate:down
ALTER TABLE service_tickets DROP COLUMN template_id;
DROP TABLE task_templates;
`);
  console.log('\nThe release deploys with dbmate:\n' + dbmate('up'));

  const before = action('smoke-test', { checks: CHECKLIST, 'database-url': migrationsUrl, attempts: 1, 'fail-step': 'false' });
  console.log(`\nsmoke-test says: severity ${before.outputs.severity}, decision ${before.outputs.decision}`);

  const snap = action('snapshot-db', { 'database-url': migrationsUrl, label: 'pre-rollback', 'output-dir': join(work, 'snapshots') });
  const down = action('run-down-migrations', { 'database-url': migrationsUrl, 'migrations-dir': dir, steps: 1, 'snapshot-path': snap.outputs.path });
  console.log(`\nrun-down-migrations: ${down.outputs.status}, reverted ${down.outputs.reverted}`);
  console.log('\ndbmate status afterwards:\n' + dbmate('status'));

  const after = action('smoke-test', { checks: CHECKLIST, 'database-url': migrationsUrl, attempts: 1 });
  console.log(`\nsmoke-test says: severity ${after.outputs.severity}, decision ${after.outputs.decision}`);
  return before.outputs.decision === 'rollback' && down.outputs.status === 'reverted' && after.outputs.decision === 'none';
}

async function damagedData() {
  console.log(`\n=== B. Damaged data: restore the pre-deploy snapshot (database ${dbName})`);
  await sql(admin, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await sql(admin, `CREATE DATABASE ${dbName}`);
  await sql(dbUrl, `
    CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL, created_at timestamptz DEFAULT now());
    CREATE TABLE service_tickets (id serial PRIMARY KEY, customer_id int REFERENCES customers, title text, created_at timestamptz DEFAULT now());
    CREATE TABLE parts (sku text PRIMARY KEY, qty int);
    CREATE VIEW open_tickets AS SELECT * FROM service_tickets;
    ALTER TABLE service_tickets ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_tickets ON service_tickets USING (true);
    INSERT INTO customers (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 500) g;
    INSERT INTO service_tickets (customer_id, title) SELECT 1 + g % 500, 'ticket ' || g FROM generate_series(1, 5000) g;
    INSERT INTO parts SELECT 'SKU-' || g, g FROM generate_series(1, 300) g;`);
  const before = await counts();
  console.log(`Before the deploy: ${JSON.stringify(before)}`);

  const snap = action('snapshot-db', { 'database-url': dbUrl, label: 'pre-deploy', 'output-dir': join(work, 'snapshots') });

  await sql(dbUrl, 'DROP TABLE parts; DELETE FROM service_tickets WHERE id % 2 = 0;');
  console.log(`\nThe bad deploy ran: ${JSON.stringify(await counts())}`);

  const restore = action('restore-db', { 'database-url': dbUrl, 'snapshot-path': snap.outputs.path, confirm: dbName });
  const after = await counts();
  console.log(`\nAfter the rollback: ${JSON.stringify(after)}`);
  console.log(`Snapshot:             ${snap.outputs.path}`);
  console.log(`Pre-restore snapshot: ${restore.outputs['pre-restore-snapshot-path']}`);
  return JSON.stringify(after) === JSON.stringify(before) && restore.outputs.verified === 'true';
}

async function main() {
  console.log(`rollback-kit sandbox: working folder ${work}`);
  const migrations = await badMigration();
  const data = await damagedData();
  console.log(`\nJob summaries: ${work}/*/summary.md`);
  console.log(migrations ? 'A. Migration rolled back: smoke checks pass, the data is kept.' : 'A. Migration rollback did NOT verify.');
  console.log(data ? 'B. Rollback verified: every row is back.' : 'B. Rollback did NOT verify.');
  process.exit(migrations && data ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
