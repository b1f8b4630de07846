// A migration the tracking table shows applied with no file in the migrations folder: the hint says
// to get its file (the deployed checkout, or the right folder), not to add a down section to a file
// that is not there.
import { expect, it } from 'vitest';
import { RollbackKitError } from '../../src/core/errors.js';
import { memoryLog } from '../../src/core/log.js';
import { dbmate } from '../../src/migrations/formats/dbmate.js';
import { planReverts } from '../../src/migrations/planner.js';
import type { MigrationFile } from '../../src/migrations/types.js';

const file = (v: string, downSql: string | undefined = 'SELECT 1;'): MigrationFile => ({ version: v, id: v, name: `${v}_x.sql`, addedPath: `${v}_x.sql`, downSql, downLine: 1, noTransaction: false });
const context = { table: 'public.schema_migrations', log: memoryLog() };

function refusal(files: MigrationFile[], applied: string[], steps: number): RollbackKitError {
  try {
    planReverts(dbmate, files, applied, { kind: 'steps', steps }, context);
  } catch (err) {
    return err as RollbackKitError;
  }
  throw new Error('planReverts did not refuse');
}

it('an applied migration with no file: the hint is to get the file, not to add its down section', () => {
  const err = refusal([file('001')], ['001', '002'], 1);
  expect(err.message).toContain('002 (no file for it in the migrations folder)');
  expect(err.hint).not.toContain('migrate:down');
  expect(err.hint).toMatch(/^Its file is not in this checkout: run from the commit that was deployed .*or point migrations-dir at the folder that holds it\.$/);
});

it('one with no file and one with no down SQL: each gets its hint', () => {
  const err = refusal([file('001'), { ...file('002'), downSql: undefined }], ['001', '002', '003'], 2);
  expect(err.hint).toMatch(/^Its file is not in this checkout: .* For the others: Add a "-- migrate:down" section/);
});

it('a file without down SQL keeps the format\'s hint', () => {
  expect(refusal([file('001'), { ...file('002'), downSql: undefined }], ['001', '002'], 1).hint).toBe('Add a "-- migrate:down" section with the SQL that undoes the migration.');
});

it('a down section that is there but empty: the hint says it is empty, not to add one', () => {
  const err = refusal([file('001'), file('002', '\n  -- nothing yet\n')], ['001', '002'], 1);
  expect(err.message).toContain('002_x.sql (the down SQL is empty)');
  expect(err.hint).toBe('Write the SQL that undoes the migration under its "-- migrate:down" line: the section is there, but empty.');
});
