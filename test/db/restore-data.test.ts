// The snapshot's data read straight from pg_restore by psql: which entries are the data, where in
// the rest of the script it goes, and the archives whose script is read whole as before.
import { describe, expect, it } from 'vitest';
import { restoreList, splitArchive, tocEntryId, verboseErrors } from '../../src/db/restore-data.js';

const HEADER = [';', '; Archive created at 2026-12-02 03:05:14 UTC', ';     Format: CUSTOM', ';', '; Selected TOC Entries:', ';'];

/** A `pg_restore --list` of a schema with privileges, an event trigger and a materialized view. */
const LISTING = [
  ...HEADER,
  '3400; 2615 16388 SCHEMA - app postgres',
  '3401; 0 0 COMMENT - SCHEMA app postgres',
  '217; 1259 16399 TABLE app events postgres',
  '216; 1259 16398 SEQUENCE app events_id_seq postgres',
  '3363; 0 0 SEQUENCE OWNED BY app events_id_seq postgres',
  '218; 1259 16420 MATERIALIZED VIEW app counts postgres',
  // A table in a schema named DATA: a TABLE, not TABLE DATA.
  '219; 1259 16430 TABLE DATA x postgres',
  '3356; 0 16399 TABLE DATA app events postgres',
  '3357; 0 16430 TABLE DATA DATA x postgres',
  '3365; 0 0 SEQUENCE SET app events_id_seq postgres',
  '3210; 2606 16407 CONSTRAINT app events events_pkey postgres',
  '3411; 3466 16440 EVENT TRIGGER - audit postgres',
  '3412; 0 0 COMMENT - EVENT TRIGGER audit postgres',
  '3402; 0 0 ACL - SCHEMA app postgres',
  '3403; 0 0 ACL app TABLE events postgres',
  '3404; 0 16420 MATERIALIZED VIEW DATA app counts postgres',
  '',
].join('\n');

describe('splitArchive', () => {
  it('takes the table data and sequence values out, in order, and says what the main pass writes before them', () => {
    const parts = splitArchive(LISTING)!;
    expect(parts.data).toEqual([3356, 3357, 3365]);
    expect(parts.rest).toEqual([3400, 3401, 217, 216, 3363, 218, 219, 3210, 3411, 3412, 3402, 3403, 3404]);
    // Privileges come after the main pass, so the data goes before them even with nothing after it in the table of contents.
    expect([...parts.before]).toEqual([3400, 3401, 217, 216, 3363, 218, 219]);
    expect(restoreList(parts.data)).toBe('3356;\n3357;\n3365;\n');
  });

  it.each([
    ['large objects (their data is not COPY)', `${LISTING}3500; 2613 16500 LARGE OBJECT - 16500 postgres\n`],
    ['large objects, as older archives name them', `${LISTING}3501; 0 0 BLOBS - BLOBS postgres\n`],
    ['no data', LISTING.split('\n').filter((l) => !/; 0 \d+ (TABLE DATA|SEQUENCE SET) /.test(l)).join('\n')],
    ['an entry listed twice', `${LISTING}3356; 0 16399 TABLE DATA app events postgres\n`],
    ['a line it does not read', `${LISTING}x 3356; 0 16399 TABLE DATA app events postgres\n`],
  ])('leaves the script whole for an archive with %s', (_what, listing) => {
    expect(splitArchive(listing)).toBeUndefined();
  });
});

it('tocEntryId reads only pg_restore --verbose entry headers', () => {
  expect(tocEntryId('-- TOC entry 3210 (class 2606 OID 16407)')).toBe(3210);
  expect(tocEntryId('-- TOC entry 3210 (class 2606 OID 16407) x')).toBeUndefined();
  expect(tocEntryId('-- Name: events; Type: TABLE')).toBeUndefined();
});

it('verboseErrors keeps what pg_restore --verbose says besides its progress, however its lines are cut', () => {
  const errors = verboseErrors();
  const stderr = 'pg_restore: creating TABLE "public.error_log"\npg_restore: dropping TABLE "public.fatal"\npg_restore: error: could not read from input file: end of file\n';
  for (let i = 0; i < stderr.length; i += 7) errors.add(stderr.slice(i, i + 7));
  expect(errors.text()).toBe('pg_restore: error: could not read from input file: end of file\n');
});
