// The command line's confirmation prompt (output.ask) when its input ends instead of answering:
// Ctrl-D at the terminal, or a stdin that closes. Node 20's readline leaves the question pending
// once the input has ended, so the prompt waited out its 5-minute timeout for an answer that could
// no longer come. It now answers '' (not confirmed) as soon as the input ends.
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { output } from '../../src/core/output.js';

it('an input that ends answers the question with nothing, without waiting for the abort', async () => {
  const input = new PassThrough();
  const never = new AbortController();
  const asked = output.ask('', never.signal, input);
  input.end();
  expect(await asked).toBe('');
  expect(never.signal.aborted).toBe(false);
});

it('a line typed is still the answer', async () => {
  const input = new PassThrough();
  const asked = output.ask('', new AbortController().signal, input);
  input.write('shop_production\n');
  expect(await asked).toBe('shop_production');
});
