// Clients whose short option takes a password (redis-cli and valkey-cli -a, the LDAP tools' -w,
// ldappasswd's -a and -s): the password hidden in that client's command only, the rest of the
// command kept, and the same letters of other programs left alone.
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';

const log = memoryLog();

describe('a client\'s password option', () => {
  it.each([
    ['redis-cli -a', 'redis-cli -h cache -a RedisPw_1x ping', 'redis-cli -h cache -a *** ping'],
    ['valkey-cli -a, quoted', "valkey-cli -h cache -p 6379 -a 'Valkey Pw_2x' --no-auth-warning ping", "valkey-cli -h cache -p 6379 -a '***' --no-auth-warning ping"],
    ['a path to valkey-cli', '/usr/bin/valkey-cli -a ValkeyPw_3x info', '/usr/bin/valkey-cli -a *** info'],
    ['ldapsearch -w', 'ldapsearch -x -H ldaps://ldap.example -D "cn=admin,dc=example,dc=org" -w LdapPw_4x "(uid=alice)"', 'ldapsearch -x -H ldaps://ldap.example -D "cn=admin,dc=example,dc=org" -w *** "(uid=alice)"'],
    ['ldapmodify -w glued', 'ldapmodify -x -D cn=admin,dc=example,dc=org -wLdapPw_5x -f change.ldif', 'ldapmodify -x -D cn=admin,dc=example,dc=org -w*** -f change.ldif'],
    ['ldapadd -w quoted', 'ldapadd -x -D cn=admin -w "Ldap Pw 6x" -f users.ldif', 'ldapadd -x -D cn=admin -w "***" -f users.ldif'],
    ['ldapdelete -w', 'ldapdelete -x -D cn=admin -w LdapPw_7x uid=bob,ou=people', 'ldapdelete -x -D cn=admin -w *** uid=bob,ou=people'],
    ['ldapwhoami -w', 'ldapwhoami -x -D uid=alice,ou=people -w LdapPw_8x', 'ldapwhoami -x -D uid=alice,ou=people -w ***'],
    ['ldappasswd: the bind, old and new passwords', 'ldappasswd -x -D cn=admin -w BindPw_9x -a OldPw_10x -s NewPw_11x uid=alice,ou=people', 'ldappasswd -x -D cn=admin -w *** -a *** -s *** uid=alice,ou=people'],
    ['ldappasswd glued', 'ldappasswd -x -aOldPw_12x -sNewPw_13x uid=alice', 'ldappasswd -x -a*** -s*** uid=alice'],
    ['two commands on a line: each its own', 'redis-cli -a RedisPw_14x ping && ldapwhoami -x -w LdapPw_15x', 'redis-cli -a *** ping && ldapwhoami -x -w ***'],
  ])('%s', (_what, text, shown) => {
    const out = log.redact(text);
    expect(out).toBe(shown);
    for (const secret of text.match(/[A-Za-z]+ ?Pw[ _]\d+x/g) ?? []) expect(out).not.toContain(secret);
  });

  it('leaves the same letters of other programs, and prompts and files, alone', () => {
    for (const text of [
      'cp -a src dst; ls -a; tar -a -cf x.tar.gz dir',
      'curl -w "%{http_code}" https://x; wc -w notes.txt; ldapsearch -x -W -D cn=admin',
      'ldapsearch -x -s sub -a never "(uid=alice)"',
      'ldappasswd -x -D cn=admin -y /run/secrets/ldap -A -S uid=alice',
      'redis-cli -a "$REDIS_PASSWORD" ping; valkey-cli ping; ldapwhoami -x -w $LDAP_PW',
      'redis-cli ping; cut -s -d, -f1 x.csv; ldapwhoami -x -H ldap://x',
    ]) {
      expect(log.redact(text), text).toBe(text);
    }
  });
});
