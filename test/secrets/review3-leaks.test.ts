// Review 3's redactor findings, each as the whole line shown: SQL role passwords in dollar quotes
// (hidden only inside UPDATE … SET before), sshpass' glued -pPASS and its SSHPASS variable (shown
// whole), and ordinary status words after a secret's name (`Signature: verified`), hidden as values.
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';

const log = memoryLog();

describe('a dollar-quoted SQL literal where a secret value stands is taken whole', () => {
  it.each([
    ['ALTER ROLE … PASSWORD $$…$$', 'ALTER ROLE app PASSWORD $$DollarLeakZ1$$;', 'ALTER ROLE app PASSWORD $$***$$;'],
    ['CREATE ROLE … PASSWORD $x$…$x$ with spaces, then more options', "CREATE ROLE x LOGIN PASSWORD $x$Tag Leak Z$x$ VALID UNTIL '2027-01-01';", "CREATE ROLE x LOGIN PASSWORD $x$***$x$ VALID UNTIL '2027-01-01';"],
    ['SET password = $pw$… …$pw$', 'SET password = $pw$correct LeakHorseZ2$pw$;', 'SET password = $pw$***$pw$;'],
    ['password = $pw$… …$pw$ on its own', 'password = $pw$correct horse$pw$', 'password = $pw$***$pw$'],
    ['a literal cut short at the line end: hidden as far as it is seen', 'ALTER ROLE app PASSWORD $$cut short here', 'ALTER ROLE app PASSWORD $$***'],
    ['a secret column in UPDATE, as before', 'UPDATE users SET password = $pw$correct horse$pw$ WHERE id = 1', 'UPDATE users SET password = $pw$***$pw$ WHERE id = 1'],
  ])('%s', (_what, text, shown) => {
    expect(log.redact(text)).toBe(shown);
  });

  it('leaves what is no dollar-quoted secret alone', () => {
    for (const text of ['echo pid=$$', 'token=$TOKEN', 'PASSWORD $1', 'password_encryption = $$scram-sha-256$$', 'name = $n$ alice $n$'])
      expect(log.redact(text), text).toBe(text);
  });
});

describe('sshpass', () => {
  it.each([
    ['-p glued to its password; ssh -p 2222 stays', 'sshpass -pGluedSshZ3 ssh -p 2222 deploy@host', 'sshpass -p*** ssh -p 2222 deploy@host'],
    ['the SSHPASS variable sshpass -e reads', 'SSHPASS=EnvSshZ4 sshpass -e ssh host', 'SSHPASS=*** sshpass -e ssh host'],
    ['-p with a space, as before', 'sshpass -p Spaced1x ssh -p 2222 host', 'sshpass -p *** ssh -p 2222 host'],
    ['other names glued to pass: PGPASS, MYSQL_PWD, REDIS_PASS', 'PGPASS=Pg_pw1x MYSQL_PWD=My_pw1x REDIS_PASS=Rd_pw1x', 'PGPASS=*** MYSQL_PWD=*** REDIS_PASS=***'],
  ])('%s', (_what, text, shown) => {
    expect(log.redact(text)).toBe(shown);
  });

  it('hides -p however far after sshpass its own options put it (a long -f path, many flags)', () => {
    const path = `/home/deploy/${'a-long-directory-name/'.repeat(12)}pw.txt`;
    expect(log.redact(`sshpass -f ${path} -p FarSshZ5 ssh -p 2222 h`)).toBe(`sshpass -f ${path} -p *** ssh -p 2222 h`);
    expect(log.redact(`sshpass -d 3 ${'-v '.repeat(120)}-pFarSshZ6 ssh -p 22 h`)).toBe(`sshpass -d 3 ${'-v '.repeat(120)}-p*** ssh -p 22 h`);
    expect(log.redact(`sshpass -P 'assphrase for key ${'x'.repeat(300)}' -p 'Far Ssh Z7' ssh h`)).toBe(`sshpass -P 'assphrase for key ${'x'.repeat(300)}' -p '***' ssh h`);
    // …and the same for a registry login's -p after long options.
    expect(log.redact(`docker login -u ci --server ${'r'.repeat(400)} -p FarDkZ8 r`)).toBe(`docker login -u ci --server ${'r'.repeat(400)} -p *** r`);
    // Past sshpass' options, a far -p is still the command's own: ssh's port.
    expect(log.redact(`sshpass -f ${path} ssh -o ${'x'.repeat(300)} -p 2222 h`)).toBe(`sshpass -f ${path} ssh -o ${'x'.repeat(300)} -p 2222 h`);
  });

  it('leaves -p glued outside sshpass\' own options, and pass inside a word, alone', () => {
    for (const text of ['ssh -p2222 host', 'sshpass -e ssh -p2222 host', 'docker run -p8080:80 img', 'compass=north', 'first pass: done'])
      expect(log.redact(text), text).toBe(text);
  });
});

describe('a status word after a secret-looking name stays', () => {
  it.each(['Signature: verified', 'token: refreshed', 'Authorization: pending approval', 'password: changed', 'api_key: rotated.', 'secret: unknown'])('%s', (text) => {
    expect(log.redact(text)).toBe(text);
  });

  it('still hides a value that is no plain word', () => {
    expect(log.redact('Signature: 6d2f9a0c1b')).toBe('Signature: ***');
    expect(log.redact('token: verified1x')).toBe('token: ***');
    expect(log.redact('Authorization: Vt_pending9x')).toBe('Authorization: ***');
  });
});
