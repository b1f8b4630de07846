// The SQL stream restore-db sends to psql: its own BEGIN/COMMIT around the snapshot's script, the
// script's own transaction removed, snapshot schemas kept, COPY data untouched however it is cut.
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { COMMITTED, filterScript, psqlError, restoreScript } from '../../src/db/restore-script.js';

async function* chunks(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function render(script: string, opts: { unwrap: boolean; size?: number; sourceDone?: () => Promise<void>; commit?: boolean }): Promise<string> {
  let out = '';
  for await (const part of restoreScript({
    prelude: ['-- prelude'],
    source: chunks(script, opts.size ?? 7),
    unwrap: opts.unwrap,
    sourceDone: opts.sourceDone ?? (async () => undefined),
    epilogue: ['-- epilogue'],
    beforeCommit: async () => {
      if (opts.commit === false) throw new Error('refused');
    },
  }))
    out += String(part);
  return out;
}

const END = `COMMIT;\n\\echo '${COMMITTED}'\n`;

const ARCHIVE_SCRIPT = [
  '--',
  '-- PostgreSQL database dump',
  '--',
  '\\restrict abc',
  'BEGIN;',
  'SET lock_timeout = 0;',
  'DROP SCHEMA IF EXISTS inventory;',
  'CREATE SCHEMA inventory;',
  'CREATE FUNCTION p() RETURNS void LANGUAGE plpgsql AS $$',
  'BEGIN',
  'COMMIT;',
  'END $$;',
  'COPY public.t (v) FROM stdin;',
  'COMMIT;',
  'CREATE SCHEMA inventory;',
  'x\\\\.',
  '\\.',
  'COMMIT;',
  '',
  '--',
  '-- PostgreSQL database dump complete',
  '--',
  '\\unrestrict abc',
  '',
].join('\n');

describe('restoreScript', () => {
  it.each([1, 7, 4096])('wraps a pg_restore -1 script in one transaction of its own (chunks of %i)', async (size) => {
    const out = await render(ARCHIVE_SCRIPT, { unwrap: true, size });
    const lines = out.split('\n');
    expect(lines.slice(0, 2)).toEqual(['BEGIN;', '-- prelude']);
    // The script's own BEGIN and final COMMIT are gone; a COMMIT inside a function body or COPY data stays.
    expect(lines.filter((l) => l === 'BEGIN;')).toHaveLength(1);
    expect(out).toContain('BEGIN\nCOMMIT;\nEND $$;');
    // Nothing is added inside the snapshot's script: COPY data and what follows it go as they came.
    expect(out).toContain('COPY public.t (v) FROM stdin;\nCOMMIT;\nCREATE SCHEMA inventory;\nx\\\\.\n\\.\n');
    // The schema is kept, not dropped and created.
    expect(out).not.toContain('DROP SCHEMA');
    expect(out).toContain('SET lock_timeout = 0;\nCREATE SCHEMA IF NOT EXISTS inventory;\nCREATE FUNCTION');
    expect(out.endsWith(`\\unrestrict abc\n\n-- epilogue\n${END}`)).toBe(true);
    expect(lines.filter((l) => l === 'COMMIT;')).toHaveLength(3);
  });

  it('writes no COMMIT when the script was cut short or its producer failed', async () => {
    const cut = ARCHIVE_SCRIPT.slice(0, ARCHIVE_SCRIPT.indexOf('x\\\\.'));
    await expect(render(cut, { unwrap: true })).rejects.toThrow(/did not end with its COMMIT: it was cut short/);
    const seen: string[] = [];
    const failing = restoreScript({
      prelude: [],
      source: chunks(ARCHIVE_SCRIPT, 64),
      unwrap: true,
      sourceDone: async () => {
        throw new Error('pg_restore failed');
      },
      epilogue: ['-- epilogue'],
      beforeCommit: async () => undefined,
    });
    await expect(
      (async () => {
        for await (const part of failing) seen.push(String(part));
      })(),
    ).rejects.toThrow('pg_restore failed');
    expect(seen.join('')).not.toContain(COMMITTED);
    expect(seen.join('').split('\n')).not.toContain('-- epilogue');
  });

  it('passes a plain script through (no wrapper to remove)', async () => {
    const plain = 'SET x = 1;\nDROP SCHEMA IF EXISTS s;\nCREATE SCHEMA s;\nCOPY t FROM stdin;\n1\n\\.\n';
    const out = await render(plain, { unwrap: false });
    expect(out).toBe(`BEGIN;\n-- prelude\nSET x = 1;\nCREATE SCHEMA IF NOT EXISTS s;\nCOPY t FROM stdin;\n1\n\\.\n\n-- epilogue\n${END}`);
  });

  // What restore-db acts on (BEGIN, COMMIT, DROP/CREATE SCHEMA, COPY … FROM stdin) only where a
  // statement starts: the same lines inside a body, a string, an identifier or a comment are the
  // user's and reach psql as they were dumped.
  const LOOKALIKES = [
    '\\restrict k\'ey',
    'BEGIN;',
    'CREATE FUNCTION public.f() RETURNS void',
    '    LANGUAGE plpgsql',
    '    AS $fn$',
    'BEGIN',
    'DROP SCHEMA IF EXISTS tmp;',
    'CREATE SCHEMA tmp2;',
    '/*',
    'COPY public.a FROM stdin;',
    '*/',
    'PERFORM $1;',
    'END $fn$;',
    'CREATE PROCEDURE public.p() LANGUAGE plpgsql AS $$',
    'BEGIN',
    'COMMIT;',
    'END $$;',
    "COMMENT ON TABLE public.a IS 'x",
    'DROP SCHEMA IF EXISTS x;',
    'BEGIN;',
    "it''s",
    'COMMIT;',
    "';",
    "ALTER TABLE public.a ALTER COLUMN v SET DEFAULT E'\\'",
    'CREATE SCHEMA y;',
    "';",
    'CREATE TABLE public."t',
    'COPY public.a FROM stdin;',
    '""x" (id int);',
    '/* a comment',
    'COPY public.a FROM stdin;',
    '/* nested */',
    'CREATE SCHEMA z;',
    '*/',
    "CREATE FUNCTION public.g(x integer) RETURNS text",
    '    LANGUAGE sql',
    '    BEGIN ATOMIC',
    ' SELECT CASE WHEN (x > 0) THEN 1 ELSE 0 END;',
    " SELECT 'a",
    "COMMIT;'::text AS text;",
    'END;',
    'PREPARE q AS SELECT $1::int;',
    'DROP SCHEMA IF EXISTS gone;',
    'DROP SCHEMA IF EXISTS "sch',
    'ema";',
    'CREATE SCHEMA real; -- stays as it is: not the whole line',
    'DROP SCHEMA IF EXISTS kept; SET x = 1;',
    'CREATE SCHEMA "sch',
    'ema";',
    'COPY public."new',
    'line" (v) FROM stdin;',
    "it's",
    '$$',
    'COMMIT;',
    '\\.',
    'COPY public.a (v) FROM stdin;',
    '/*',
    '\\.',
    'COMMIT;',
    '',
    '\\unrestrict k\'ey',
    '',
  ].join('\n');

  it.each([1, 3, 7, 64, 4096])('acts only where a statement starts, never inside a body, string, identifier or comment (chunks of %i)', async (size) => {
    const out = await render(LOOKALIKES, { unwrap: true, size });
    const expected = LOOKALIKES.replace('\\restrict k\'ey\nBEGIN;\n', '\\restrict k\'ey\n')
      .replace('DROP SCHEMA IF EXISTS gone;\nDROP SCHEMA IF EXISTS "sch\nema";\n', '')
      .replace('CREATE SCHEMA "sch\nema";', 'CREATE SCHEMA IF NOT EXISTS "sch\nema";')
      .replace('\\.\nCOMMIT;\n\n\\unrestrict', '\\.\n\n\\unrestrict');
    expect(out).toBe(`BEGIN;\n-- prelude\n${expected}\n-- epilogue\n${END}`);
  });

  it('passes every byte as it came, in an encoding other than UTF-8 too', async () => {
    const latin1 = Buffer.from("SET client_encoding = 'LATIN1';\nCOMMENT ON TABLE a IS 'caf\xe9\nCREATE SCHEMA \xe9;\n';\nCREATE SCHEMA \xe9;\nCOPY a FROM stdin;\n\xe9\xff\n\\.\n", 'latin1');
    for (const size of [1, 5, 4096]) {
      const parts: Buffer[] = [];
      for await (const part of restoreScript({
        prelude: [],
        source: (async function* () {
          for (let i = 0; i < latin1.length; i += size) yield latin1.subarray(i, i + size);
        })(),
        unwrap: false,
        sourceDone: async () => undefined,
        epilogue: [],
        beforeCommit: async () => undefined,
      }))
        parts.push(Buffer.from(part));
      const expected = Buffer.from(String(latin1.toString('latin1')).replace('\nCREATE SCHEMA \xe9;\nCOPY', '\nCREATE SCHEMA IF NOT EXISTS \xe9;\nCOPY'), 'latin1');
      expect(Buffer.concat(parts).subarray(7, 7 + expected.length).equals(expected)).toBe(true);
    }
  });

  it('refuses a script that ends inside a statement, string or COPY data, or commits before its end', async () => {
    await expect(render('SET x = 1;\nCREATE FUNCTION f() RETURNS int AS $$\nSELECT 1;\n', { unwrap: false })).rejects.toThrow(/it was cut short/);
    await expect(render('COPY t FROM stdin;\n1\n', { unwrap: false })).rejects.toThrow(/it was cut short/);
    await expect(render('SELECT 1\n', { unwrap: false })).rejects.toThrow(/it was cut short/);
    const seen: string[] = [];
    const early = restoreScript({ prelude: [], source: chunks('BEGIN;\nSET x = 1;\nCOMMIT;\n\nSET y = 2;\nCOMMIT;\n', 3), unwrap: true, sourceDone: async () => undefined, epilogue: [], beforeCommit: async () => undefined });
    await expect(
      (async () => {
        for await (const part of early) seen.push(String(part));
      })(),
    ).rejects.toThrow(/committed before the end of its script/);
    expect(seen.join('')).not.toContain('COMMIT');
    // A last line comment needs no newline; a last statement needs its semicolon.
    expect(await render('SET x = 1;\n-- end', { unwrap: false })).toContain('SET x = 1;\n-- end\n');
  });

  it('writes no COMMIT when the caller does not agree', async () => {
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const part of restoreScript({ prelude: [], source: chunks(ARCHIVE_SCRIPT, 64), unwrap: true, sourceDone: async () => undefined, epilogue: ['-- epilogue'], beforeCommit: async () => Promise.reject(new Error('bytes changed')) }))
          seen.push(String(part));
      })(),
    ).rejects.toThrow('bytes changed');
    expect(seen.join('')).toContain('-- epilogue');
    expect(seen.join('')).not.toContain(COMMITTED);
  });
});

describe("a script that sets standard_conforming_strings itself", () => {
  // pg_dump writes the SET at its top with the dumped database's value; psql reads every statement
  // after it with that value, and so must the reader: off, 'it\'s;' is one string.
  const SCRIPT = [
    'BEGIN;',
    'SET standard_conforming_strings = off;',
    "COMMENT ON TABLE t IS 'it\\'s;",
    'CREATE SCHEMA inside;',
    "';",
    'CREATE SCHEMA outside;',
    'SET standard_conforming_strings = on;',
    "COMMENT ON TABLE t IS 'C:\\';",
    'CREATE SCHEMA after;',
    'COMMIT;',
    '',
  ].join('\n');

  it.each([1, 7, 4096])('reads each statement with the value the SET before it gave (chunks of %i)', async (size) => {
    const out = await render(SCRIPT, { unwrap: true, size });
    const expected = SCRIPT.replace('BEGIN;\n', '').replace('CREATE SCHEMA outside;', 'CREATE SCHEMA IF NOT EXISTS outside;').replace('CREATE SCHEMA after;', 'CREATE SCHEMA IF NOT EXISTS after;').replace('COMMIT;\n', '');
    expect(out).toBe(`BEGIN;\n-- prelude\n${expected}\n-- epilogue\n${END}`);
  });
});

describe('scriptFilter and filterScript (no wrapping)', () => {
  const SCRIPT = [
    "SET client_encoding = 'UTF8';",
    'SET lock_timeout = 0;',
    '-- Name: t; Type: TABLE; Schema: public; Owner: postgres',
    'CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT \'',
    'SET lock_timeout = 0;',
    '-- Name: ledger; Type: TABLE; Schema: billing; Owner: postgres',
    "'::text $$;",
    'COPY public.t (body) FROM stdin;',
    '-- Name: ledger; Type: TABLE; Schema: billing; Owner: postgres',
    '\\.',
    '',
  ].join('\n');

  it('replaces only the script\'s own SET lock_timeout = 0, and is told only lines between statements', async () => {
    const told: string[] = [];
    const out = await filterScript(SCRIPT, { unwrap: false, lockTimeout: 'SET lock_timeout = 5000;', onTopLevelLine: (l) => told.push(l.toString('utf8').trimEnd()) });
    expect(out).toBe(SCRIPT.replace('SET lock_timeout = 0;', 'SET lock_timeout = 5000;'));
    expect(told.filter((l) => l.startsWith('-- '))).toEqual(['-- Name: t; Type: TABLE; Schema: public; Owner: postgres']);
    expect(told).toContain('SET lock_timeout = 0;');
    expect(told).toContain('COPY public.t (body) FROM stdin;');
  });
});

describe('columns named begin and atomic', () => {
  it('are not a BEGIN ATOMIC body: the script\'s last COMMIT is still held back', async () => {
    const script = ['BEGIN;', 'CREATE TABLE public.t (id int, begin int, atomic int);', 'COPY public.t (id, begin, atomic) FROM stdin;', '1\t2\t3', '\\.', 'COMMIT;', ''].join('\n');
    const out = await render(script, { unwrap: true });
    expect(out).toBe(`BEGIN;\n-- prelude\nCREATE TABLE public.t (id int, begin int, atomic int);\nCOPY public.t (id, begin, atomic) FROM stdin;\n1\t2\t3\n\\.\n\n-- epilogue\n${END}`);
  });
});

describe('other roles\' default privileges', () => {
  it('leaves out the ALTER DEFAULT PRIVILEGES FOR ROLE statements of the roles named, quoted or not, whole statements only', async () => {
    const script = [
      'ALTER DEFAULT PRIVILEGES FOR ROLE admin IN SCHEMA public GRANT SELECT ON TABLES  TO PUBLIC;',
      'ALTER DEFAULT PRIVILEGES FOR ROLE "Odd ""one""" IN SCHEMA public GRANT SELECT ON TABLES  TO PUBLIC;',
      'ALTER DEFAULT PRIVILEGES FOR ROLE me IN SCHEMA public GRANT SELECT ON TABLES  TO PUBLIC;',
      "COMMENT ON TABLE t IS '",
      'ALTER DEFAULT PRIVILEGES FOR ROLE admin IN SCHEMA public GRANT SELECT ON TABLES  TO PUBLIC;',
      "';",
      '',
    ].join('\n');
    const left: string[] = [];
    const out = await filterScript(script, { unwrap: false, leaveDefaultPrivilegesOf: new Set(['admin', '"Odd ""one"""']), onLeftOut: (t) => left.push(t) });
    expect(out).toBe(script.split('\n').slice(2).join('\n'));
    expect(left).toHaveLength(2);
  });
});

describe('psqlError', () => {
  it('keeps the ERROR with its DETAIL and HINT, without psql\'s prefix, LINE or CONTEXT', () => {
    const stderr = [
      'psql:<stdin>:12: ERROR:  cannot drop table public.t because other objects depend on it',
      'LINE 1: DROP TABLE public.t',
      'DETAIL:  view public.v depends on table public.t',
      'view public.w depends on view public.v',
      'HINT:  Use DROP ... CASCADE to drop the dependent objects too.',
      'CONTEXT:  COPY t, line 3: "secret row"',
    ].join('\n');
    expect(psqlError(stderr, memoryLog())).toBe(
      'cannot drop table public.t because other objects depend on it DETAIL: view public.v depends on table public.t view public.w depends on view public.v HINT: Use DROP ... CASCADE to drop the dependent objects too.',
    );
  });
});

describe('psqlError, on a name the server quotes that holds a newline', () => {
  // psql prints the message as it is: its lines up to psql's next field are the message, not dropped.
  it('keeps the lines after it, with the newline written out', () => {
    const stderr = [
      'psql:<stdin>:40: ERROR:  relation "sch',
      '::add-mask::x.t" does not exist',
      'LINE 1: SELECT count(*) FROM "sch',
      '                             ^',
      'HINT:  Check the name.',
      '',
    ].join('\n');
    expect(psqlError(stderr, memoryLog())).toBe('relation "sch\\n::add-mask::x.t" does not exist HINT: Check the name.');
  });
});

describe('the data read by psql from elsewhere (dataAt)', () => {
  const SCRIPT = [
    '\\restrict k1',
    'BEGIN;',
    'SET lock_timeout = 0;',
    '-- TOC entry 217 (class 1259 OID 16399)',
    'CREATE TABLE public.events (id int);',
    '-- TOC entry 218 (class 1255 OID 16400)',
    'CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$',
    'BEGIN',
    '-- TOC entry 3210 (class 2606 OID 16407)',
    'END $$;',
    '-- TOC entry 3210 (class 2606 OID 16407)',
    'ALTER TABLE ONLY public.events ADD CONSTRAINT events_pkey PRIMARY KEY (id);',
    'COMMIT;',
    '',
    '\\unrestrict k1',
    '',
  ];
  const render = async (script: string[], before: number[]) => {
    let out = '';
    for await (const part of restoreScript({
      prelude: [],
      source: chunks(script.join('\n'), 5),
      unwrap: true,
      lockTimeout: 'SET lock_timeout = 5;',
      dataAt: { before: new Set(before), statements: ['\\i /tmp/x/data', 'SET lock_timeout = 5;'] },
      sourceDone: async () => undefined,
      epilogue: ['-- epilogue'],
      beforeCommit: async () => undefined,
    }))
      out += String(part);
    return out;
  };
  const DATA = '\\unrestrict k1\n\\i /tmp/x/data\nSET lock_timeout = 5;\n\\restrict k1\n';

  it('goes before the first entry the main pass writes after it, outside restricted mode, once', async () => {
    const out = await render(SCRIPT, [217, 218]);
    expect(out).toContain(`END $$;\n${DATA}-- TOC entry 3210 (class 2606 OID 16407)\nALTER TABLE`);
    // Not inside the function body, where the same header is the user's text.
    expect(out.split(DATA)).toHaveLength(2);
    expect(out).toContain('BEGIN\n-- TOC entry 3210 (class 2606 OID 16407)\nEND $$;');
  });

  it('goes at the end when nothing follows it, still before pg_restore leaves restricted mode', async () => {
    const out = await render(SCRIPT, [217, 218, 3210]);
    expect(out).toContain(`events_pkey PRIMARY KEY (id);\n${DATA}\n\\unrestrict k1\n`);
    expect(out.endsWith(`-- epilogue\n${END}`)).toBe(true);
  });

  it('waits for the entries before it to begin: a header of a later entry first (never seen: --clean\'s drops carry none) moves nothing', async () => {
    const early = [...SCRIPT.slice(0, 3), '-- TOC entry 3210 (class 2606 OID 16407)', 'ALTER TABLE IF EXISTS ONLY public.events DROP CONSTRAINT IF EXISTS events_pkey;', ...SCRIPT.slice(3)];
    const out = await render(early, [217, 218]);
    expect(out.split(DATA)).toHaveLength(2);
    expect(out).toContain(`END $$;\n${DATA}-- TOC entry 3210 (class 2606 OID 16407)\nALTER TABLE ONLY`);
  });

  it('needs no unrestrict from a pg_restore without restricted mode', async () => {
    const out = await render(SCRIPT.filter((l) => !l.includes('restrict')), [217, 218]);
    expect(out).toContain('END $$;\n\\i /tmp/x/data\nSET lock_timeout = 5;\n-- TOC entry 3210');
  });
});
