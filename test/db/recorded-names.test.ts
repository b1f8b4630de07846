// A manifest's database name or host where the redactor put *** (it equalled a secret): each ***
// stands for some text, the rest must match; read by a scan, so a name of any length is compared,
// where a pattern built from it failed past the engine's size limit, quoting the name.
import { describe, expect, it } from 'vitest';
import { compareSource, type ServerIdentity } from '../../src/db/server-identity.js';

const side = (database: string, host = '127.0.0.1'): ServerIdentity => ({ host, port: 5432, database, systemIdentifier: null });
const same = (recorded: ServerIdentity, actual: ServerIdentity) => compareSource(recorded, actual).same;

describe('names the manifest recorded with *** in them', () => {
  it('each *** stands for one character or more, the rest as written', () => {
    expect(same(side('***'), side('postgres'))).toBe(true);
    expect(same(side('***'), side(''))).toBe(false);
    expect(same(side('app_***_prod'), side('app_secret_prod'))).toBe(true);
    expect(same(side('app_***_prod'), side('app__prod'))).toBe(false);
    expect(same(side('a***b***c'), side('axbyc'))).toBe(true);
    expect(same(side('a***b***c'), side('abc'))).toBe(false);
    expect(same(side('a***b***c'), side('axbc'))).toBe(false);
    expect(same(side('a***bb***c'), side('axbbbyc'))).toBe(true);
    expect(same(side('******'), side('xy'))).toBe(true);
    expect(same(side('******'), side('x'))).toBe(false);
    expect(same(side('db', '***.internal'), side('db', 'PG.internal'))).toBe(true);
    expect(same(side('db', '***.internal'), side('db', 'pg.example'))).toBe(false);
  });

  it('a recorded name of 40,000 characters is compared, not thrown on', () => {
    const long = `${'d'.repeat(40_000)}***`;
    expect(same(side(long), side(`${'d'.repeat(40_000)}x`))).toBe(true);
    expect(same(side(long), side('other'))).toBe(false);
  });
});
