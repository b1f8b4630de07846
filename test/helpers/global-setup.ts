import pg from 'pg';
import { ADMIN_URL, HOW_TO_START } from './pg-env.js';

// Fails the whole run at once, with the fix, when PostgreSQL is not there: never a silent skip.
export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${new URL(ADMIN_URL).host}: ${(err as Error).message}. ${HOW_TO_START}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
