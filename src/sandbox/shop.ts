/**
 * The sandbox's app, a small shop in two releases. v1 is healthy. v2 ships a migration v1 lacks
 * (discount codes) and a checkout endpoint that fails. Which release answers follows the local
 * Vercel API's production deployment, as a domain follows Vercel's alias.
 */
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { parseConnectionString, pgClientConfig } from '../db/connection.js';
import { closeAtStop } from '../db/session.js';
import type { FakeProject, FakeVercel } from './vercel-api.js';

export type Release = 'v1' | 'v2';

export const MIGRATIONS: Record<Release, { file: string; sql: string }> = {
  v1: {
    file: '20260101000000_create_orders.sql',
    sql: `-- migrate:up
CREATE TABLE orders (id serial PRIMARY KEY, email text NOT NULL, total_cents integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO orders (email, total_cents) SELECT 'customer' || g || '@example.com', 1000 + g FROM generate_series(1, 250) g;

-- migrate:down
DROP TABLE orders;
`,
  },
  v2: {
    file: '20260102000000_add_discount_codes.sql',
    sql: `-- migrate:up
CREATE TABLE discount_codes (code text PRIMARY KEY, percent integer NOT NULL CHECK (percent BETWEEN 1 AND 100));
ALTER TABLE orders ADD COLUMN discount_code text REFERENCES discount_codes;

-- migrate:down
ALTER TABLE orders DROP COLUMN discount_code;
DROP TABLE discount_codes;
`,
  },
};

/** The release's migration goes into the app's migrations folder, as its deploy would bring it. */
export async function writeMigration(dir: string, release: Release): Promise<void> {
  await writeFile(join(dir, MIGRATIONS[release].file), MIGRATIONS[release].sql);
}

/** The smoke checks the sandbox runs before and after the rollback (also its plan's verify). */
export const SHOP_CHECKS = `- {name: health, url: /api/health, critical: true}
- {name: checkout, url: /api/checkout, critical: true}
- {name: orders are readable, query: "SELECT count(*) FROM orders", critical: true}
`;

export interface Shop {
  url: string;
  /** Maps a Vercel deployment to the release it holds. */
  release(deploymentId: string, release: Release): void;
  /** The release production serves now. */
  serving(): Release | undefined;
  close(): Promise<void>;
}

/**
 * `brokenV2`: v2's checkout fails (the incident); a drill's staging runs a healthy v2. `signal`: the
 * sandbox's stop, which closes the app's sessions (closeAtStop: they only read), so that a query
 * waiting for a lock (the orders table, held by another session) cannot hold the cleanup's close,
 * which waits for every query in flight.
 */
export async function startShop(vercel: FakeVercel, project: FakeProject, databaseUrl: string, opts: { brokenV2: boolean; signal?: AbortSignal } = { brokenV2: true }): Promise<Shop> {
  const releases = new Map<string, Release>();
  const pool = new pg.Pool({ ...pgClientConfig(parseConnectionString(databaseUrl), { connectTimeoutMs: 3000, applicationName: 'rollback-kit-sandbox-shop' }), max: 2, idleTimeoutMillis: 1000 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    const release = closeAtStop(client, opts.signal);
    client.once('end', release);
  });
  const serving = () => {
    const prod = vercel.production(project);
    return prod ? releases.get(prod.uid) : undefined;
  };
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const release = serving();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!release) return send(404, { error: 'DEPLOYMENT_NOT_FOUND' });
    if (path === '/api/health') {
      pool.query('SELECT 1').then(
        () => send(200, { status: 'ok', release }),
        () => send(503, { status: 'database unreachable', release }),
      );
      return;
    }
    if (path === '/api/checkout') {
      // v2's checkout reads a field its new code path never sets: every order fails.
      if (release === 'v2' && opts.brokenV2) return send(500, { error: "TypeError: Cannot read properties of undefined (reading 'percent')", release });
      pool.query('SELECT count(*)::int AS n FROM orders').then(
        (r) => send(200, { status: 'ok', orders: (r.rows[0] as { n: number }).n, release }),
        () => send(500, { error: 'orders table unavailable', release }),
      );
      return;
    }
    send(404, { error: 'not found' });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    release: (id, r) => releases.set(id, r),
    serving,
    close: async () => {
      await new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      });
      await pool.end();
    },
  };
}
