/**
 * A database shaped like the seeds' apps: two schemas, sequences, views, a materialized view,
 * functions, triggers, RLS policies, migration history and a few thousand rows; and a fingerprint of
 * its catalogue and data to prove a restore brought back exactly what was there.
 */
import type { TestDatabase } from '../helpers/pg.js';

export async function buildShopDatabase(db: TestDatabase, rows = 3000): Promise<void> {
  await db.query(`
    CREATE SCHEMA inventory;
    CREATE SCHEMA supabase_migrations;
    CREATE TABLE supabase_migrations.schema_migrations (version text PRIMARY KEY, name text, statements text[]);
    INSERT INTO supabase_migrations.schema_migrations VALUES ('20251001000000', 'init', ARRAY['create table customers']);
    CREATE TABLE public.customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE public.service_tickets (
      id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES public.customers(id),
      title text NOT NULL, status text NOT NULL DEFAULT 'open', updated_at timestamptz, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE inventory.parts (sku text PRIMARY KEY, qty int NOT NULL CHECK (qty >= 0), price numeric(10,2));
    CREATE TABLE public.audit_log (id bigserial PRIMARY KEY, message text);
    CREATE SEQUENCE public.invoice_no START 1000;
    CREATE VIEW public.open_tickets AS SELECT * FROM public.service_tickets WHERE status = 'open';
    CREATE MATERIALIZED VIEW inventory.stock_value AS SELECT sum(qty * price) AS total FROM inventory.parts;
    CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
    CREATE FUNCTION inventory.in_stock(p text) RETURNS boolean LANGUAGE sql AS $$ SELECT qty > 0 FROM inventory.parts WHERE sku = p $$;
    CREATE TRIGGER tickets_touch BEFORE UPDATE ON public.service_tickets FOR EACH ROW EXECUTE FUNCTION public.touch();
    ALTER TABLE public.service_tickets ENABLE ROW LEVEL SECURITY;
    CREATE POLICY tickets_owner ON public.service_tickets USING (customer_id = current_setting('app.customer', true)::int);
    CREATE POLICY tickets_admin ON public.service_tickets TO postgres USING (true);
  `);
  await db.query(`
    INSERT INTO public.customers (email, created_at)
      SELECT 'user' || g || '@example.com', timestamptz '2026-01-01' + g * interval '1 hour' FROM generate_series(1, ${Math.ceil(rows / 10)}) g;
    INSERT INTO public.service_tickets (customer_id, title, status, created_at)
      SELECT 1 + g % ${Math.ceil(rows / 10)}, 'ticket ' || g, CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'open' END, timestamptz '2026-01-01' + g * interval '1 minute'
      FROM generate_series(1, ${rows}) g;
    INSERT INTO inventory.parts SELECT 'SKU-' || g, g % 50, (g % 97) + 0.99 FROM generate_series(1, ${Math.ceil(rows / 5)}) g;
    INSERT INTO public.audit_log (message) SELECT 'event ' || g FROM generate_series(1, 500) g;
    SELECT nextval('public.invoice_no') FROM generate_series(1, 7);
    REFRESH MATERIALIZED VIEW inventory.stock_value;
  `);
}

/** Catalogue and per-table data checksums of every user schema, to compare before and after. */
export async function fingerprintDatabase(db: TestDatabase): Promise<Record<string, unknown>> {
  const objects = await db.query(`
    SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text AS o FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    UNION ALL SELECT 'fn ' || n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog','information_schema')
    UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT 'policy ' || polname || ' ' || pg_get_expr(polqual, polrelid) FROM pg_policy
    UNION ALL SELECT 'rls ' || relname FROM pg_class WHERE relrowsecurity
    ORDER BY 1`);
  const tables = await db.query<{ t: string }>(`
    SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r','m') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1`);
  const data: Record<string, string> = {};
  for (const { t } of tables.rows) {
    const r = await db.query<{ sum: string }>(`SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') AS sum FROM ${t} x`);
    data[t] = r.rows[0]!.sum;
  }
  const seq = await db.query(`SELECT last_value FROM public.invoice_no`);
  return { objects: objects.rows.map((r) => r.o), data, invoiceNo: seq.rows[0]!.last_value };
}

/**
 * What real schemas add (Pagila's payments): a table partitioned by month with a primary key over
 * the partitions and a foreign key to customers, a view and a trigger on it.
 */
export async function addPartitionedPayments(db: TestDatabase): Promise<void> {
  await db.query(`
    CREATE TABLE public.payment (
      id int NOT NULL, customer_id int NOT NULL REFERENCES public.customers(id), amount numeric(8,2) NOT NULL,
      paid_at date NOT NULL, note text, updated_at timestamptz, PRIMARY KEY (id, paid_at)) PARTITION BY RANGE (paid_at);
    CREATE TABLE public.payment_2026_01 PARTITION OF public.payment FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
    CREATE TABLE public.payment_2026_02 PARTITION OF public.payment FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
    CREATE INDEX payment_customer ON public.payment (customer_id);
    CREATE TRIGGER payment_touch BEFORE UPDATE ON public.payment FOR EACH ROW EXECUTE FUNCTION public.touch();
    CREATE VIEW public.monthly_revenue AS SELECT date_trunc('month', paid_at) AS month, sum(amount) AS total FROM public.payment GROUP BY 1;
    INSERT INTO public.payment SELECT g, 1 + g % 30, (g % 50) + 0.5, date '2026-01-01' + (g % 59), 'p' || g FROM generate_series(1, 1200) g;
  `);
}

/** `pg_dump --schema-only` of the whole database, without the random key of its \restrict lines. */
export async function schemaDump(db: TestDatabase): Promise<string> {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync('pg_dump', ['--schema-only', '--no-password', db.url], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return out.replace(/^\\(un)?restrict .*$/gm, '');
}

/**
 * Makes the next restore fail halfway: an event trigger (not part of any snapshot) that raises when
 * `table` is created, after the restore has dropped and re-created what comes before it.
 */
export async function failWhenCreated(db: TestDatabase, table: string): Promise<() => Promise<void>> {
  await db.query(`
    CREATE FUNCTION public.rk_fail_on_create() RETURNS event_trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE object_identity = '${table}') THEN
        RAISE EXCEPTION 'injected failure: % created', '${table}';
      END IF;
    END $$;
    CREATE EVENT TRIGGER rk_fail_on_create ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.rk_fail_on_create();`);
  return async () => {
    await db.query('DROP EVENT TRIGGER rk_fail_on_create; DROP FUNCTION public.rk_fail_on_create()');
  };
}
