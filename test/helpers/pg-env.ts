export const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export const HOW_TO_START =
  'Tests need a PostgreSQL server. Start the local one with ' +
  '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or set DATABASE_URL.';
