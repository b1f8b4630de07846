// A rollback sends several chat messages; a webhook that is not a URL, or that does not answer, is
// warned about once, not once a message.
import { expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { chatSender } from '../../src/report/notify.js';

const message = { text: 'rollback', blocks: [] };

it('a webhook that is not a URL: one warning for five messages, each still reported not sent', async () => {
  const log = memoryLog();
  const send = chatSender('not-a-url-at-all', log);
  for (let i = 0; i < 5; i++) expect(await send(message)).toBe(false);
  expect(log.lines.filter((l) => l.startsWith('warning:'))).toHaveLength(1);
});

it('a webhook that does not answer: one warning for five messages', async () => {
  const log = memoryLog();
  // Port 9 (discard) on the loopback: the connection is refused at once.
  const send = chatSender('http://127.0.0.1:9/hooks/T0000000000000000x1', log);
  for (let i = 0; i < 5; i++) expect(await send(message, { timeoutMs: 3000, retryDelayMs: 1 })).toBe(false);
  expect(log.lines.filter((l) => l.startsWith('warning:'))).toHaveLength(1);
});
