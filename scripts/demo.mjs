// The local sandbox: a whole database rollback on your own PostgreSQL, with no accounts. It runs the
// committed action bundles exactly as GitHub runs them (INPUT_* variables, file commands), so what
// you see here is what a workflow does:
//   1. builds a small shop database (DATABASE_URL, else postgres@127.0.0.1:5432)
//   2. snapshot-db takes a verified snapshot before the "deploy"
//   3. a bad deploy drops a table and deletes rows
//   4. restore-db puts the snapshot back (keeping the broken state in a pre-restore snapshot)
//   5. checks that every row is back
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

const root = resolve(import.meta.dirname, '..');
const admin = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = process.env.DEMO_DATABASE || 'rollback_kit_demo';
const dbUrl = (() => {
  const u = new URL(admin);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
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
  console.log(`\n$ ${name} ${Object.entries(inputs).map(([k, v]) => `${k}=${k.includes('url') ? '***' : v}`).join(' ')}`);
  const run = spawnSync(process.execPath, [join(root, 'dist', name, 'index.js')], { env, encoding: 'utf8' });
  for (const line of run.stdout.split('\n')) if (line && !line.startsWith('::add-mask::')) console.log(`  ${line}`);
  if (run.stderr.trim()) console.error(run.stderr);
  const outputs = {};
  for (const m of readFileSync(files.GITHUB_OUTPUT, 'utf8').matchAll(/^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]] = m[3];
  if (run.status !== 0) {
    console.error(`\n${name} failed (exit ${run.status}).`);
    process.exit(1);
  }
  return { outputs, summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8') };
}

async function counts() {
  const r = await sql(dbUrl, `SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM service_tickets) AS tickets,
    (SELECT count(*) FROM information_schema.tables WHERE table_name = 'parts') AS parts_table`);
  return r.rows[0];
}

async function main() {
  console.log(`rollback-kit sandbox: database ${dbName}, working folder ${work}`);
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
  const ok = JSON.stringify(after) === JSON.stringify(before) && restore.outputs.verified === 'true';
  console.log(`\nSnapshot:             ${snap.outputs.path}`);
  console.log(`Pre-restore snapshot: ${restore.outputs['pre-restore-snapshot-path']}`);
  console.log(`Job summaries:        ${work}/*/summary.md`);
  console.log(ok ? '\nRollback verified: every row is back.' : '\nRollback did NOT verify.');
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
