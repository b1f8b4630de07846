// Which statements can leave an invalid index behind, and the index each names, as PostgreSQL would
// read the name: the check of invalid indexes runs around these only, and looks for that index.
import { describe, expect, it } from 'vitest';
import { concurrentIndexStatement } from '../../src/migrations/invalid-indexes.js';

const read = (text: string) => concurrentIndexStatement({ text, standardConformingStrings: true });

describe('concurrentIndexStatement', () => {
  it('reads CREATE [UNIQUE] INDEX CONCURRENTLY: the name alone (it goes in its table schema) and the table', () => {
    expect(read('CREATE INDEX CONCURRENTLY t1_id_idx ON t1 (id)')).toEqual({ kind: 'create', name: '"t1_id_idx"', table: '"t1"' });
    expect(read('-- put it back\ncreate unique index concurrently if not exists "Odd ""Name""" on only app."Users" using btree (email)')).toEqual({
      kind: 'create',
      name: '"Odd ""Name"""',
      table: '"app"."Users"',
    });
    // No name: PostgreSQL makes one up, found as an index that was not invalid before.
    expect(read('CREATE INDEX CONCURRENTLY ON public.t1 (id)')).toEqual({ kind: 'create', name: undefined, table: '"public"."t1"' });
  });

  it('reads REINDEX … CONCURRENTLY (either spelling) and DROP INDEX CONCURRENTLY', () => {
    expect(read('REINDEX INDEX CONCURRENTLY app.T1_id_idx')).toEqual({ kind: 'reindex', index: '"app"."t1_id_idx"' });
    expect(read('REINDEX (VERBOSE, CONCURRENTLY) INDEX t1_id_idx')).toEqual({ kind: 'reindex', index: '"t1_id_idx"' });
    expect(read('REINDEX TABLE CONCURRENTLY t1')).toEqual({ kind: 'reindex', index: undefined });
    expect(read('DROP INDEX CONCURRENTLY IF EXISTS mydb.public."X"')).toEqual({ kind: 'drop', index: '"public"."X"' });
  });

  it('leaves every other statement alone: they roll their own work back when they fail', () => {
    for (const text of ['CREATE INDEX t1_id_idx ON t1 (id)', 'REINDEX INDEX t1_id_idx', 'DROP INDEX t1_id_idx', 'VACUUM t1', "SELECT 'CREATE INDEX CONCURRENTLY x ON t (a)'", '/* CREATE INDEX CONCURRENTLY x ON t (a) */ SELECT 1']) {
      expect(read(text), text).toBeUndefined();
    }
  });
});
