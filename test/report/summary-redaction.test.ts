// The job summary's last redaction (writeSummary) reads the Markdown as its reader does: a name or
// a value escaped for Markdown (`incident\_key`, `p4ss\_w0rd`, a table's `\|`) is judged as the
// text it renders to. Once, `incident\_key = '…'` (the DELETE a refusal tells the user to run) was
// read as a secret named `_key` and the summary showed `'***'`, while `p4ss\_w0rd` under a
// password's name was hidden only up to the backslash.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { memoryLog } from '../../src/core/log.js';
import { hideKnownTokens } from '../../src/core/token-shapes.js';
import { codeSpan, inlineText, redactMarkdown, table, text } from '../../src/report/markdown.js';
import { writeSummary } from '../../src/report/write-summary.js';

// One file for the whole test file: the runner's summary writer keeps the path it first read.
let dir: string | undefined;
const saved = process.env.GITHUB_STEP_SUMMARY;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rk-summary-redaction-'));
  process.env.GITHUB_STEP_SUMMARY = join(dir, 'summary.md');
});
beforeEach(() => writeFile(process.env.GITHUB_STEP_SUMMARY!, ''));
afterAll(async () => {
  if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
  else process.env.GITHUB_STEP_SUMMARY = saved;
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function summaryOf(markdown: string, secrets: string[] = []): Promise<string> {
  const log = memoryLog();
  for (const s of secrets) log.secret(s);
  await writeSummary(markdown, log);
  return readFile(process.env.GITHUB_STEP_SUMMARY!, 'utf8');
}

const DELETE = "DELETE FROM rollback_kit.rollbacks WHERE incident_key = 'production:web@dpl_xxxxxxxxx4'";

it('the DELETE a refusal gives is shown whole in prose and in a table cell, as the error line gives it', async () => {
  const prose = inlineText(DELETE);
  const cell = table(['phase', 'detail'], [['plan', inlineText(`failed: ${DELETE}`)]]);
  const summary = await summaryOf(`**plan failed**: ${prose}\n\n${cell}\n`);
  expect(summary).not.toContain('***');
  expect(summary).toContain(`${prose}`);
  expect(summary).toContain(inlineText(`failed: ${DELETE}`));
  // What the reader copies from it is the statement.
  expect(summary).toContain("incident\\_key = '`production:web@dpl_xxxxxxxxx4`'");
});

it('names that say secret are still secret when escaped, and each value is hidden whole', async () => {
  const line = "api_key = 'k1_abcdef9876' secret_key = 'k2*zyxw98765' incident_key = 'production:a' password: p4ss_w0rd*tail|end";
  for (const markdown of [inlineText(line), text(line), table(['x'], [[inlineText(line)]])]) {
    const summary = await summaryOf(markdown);
    expect(summary).not.toMatch(/k1|abcdef9876|zyxw98765|p4ss|w0rd|tail|end\b/);
    expect(summary).toContain("'production:a'");
    expect(summary).toMatch(/api\\?_key = '\*\*\*'/);
    expect(summary).toMatch(/secret\\?_key = '\*\*\*'/);
    await writeFile(process.env.GITHUB_STEP_SUMMARY!, '');
  }
});

it('a registered secret is hidden however its characters were escaped (\\_, \\*, &#124;, &amp;)', async () => {
  const secret = 'Pw_with*odd|chars&9';
  const summary = await summaryOf(`Connected with ${inlineText(secret)} and in ${table(['a'], [[text(secret)]])}`, [secret]);
  expect(summary).not.toMatch(/Pw|odd|chars/);
  expect(summary).toContain('***');
});

it('what the redaction leaves is written back as it was, escapes, entities and code spans included', () => {
  const markdown = `${inlineText('a_b *c* <d> x|y & z')} ${codeSpan('`k`')} ${table(['h'], [['p\\|q']])}`;
  expect(redactMarkdown(markdown, (t) => hideKnownTokens(t))).toBe(markdown);
  // Inside a code span a backslash is itself: nothing is read out of it.
  expect(redactMarkdown('`a\\_key = "v9"`', (t) => t.replace('a\\_key', 'SEEN'))).toBe('`SEEN = "v9"`');
});

// A line whose redaction takes more edits than the script reads (a long token hidden beside an
// escaped secret) was redacted raw, and the raw redactor does not see `db\_pass\_…` as the secret.
it('a line too changed for the edit script: an escaped secret in it is still never shown', async () => {
  const secret = 'db_pass_Xy12345';
  const jwt = `eyJhbGciOiJIUzI1NiJ9.${'eyJzdWIiOiIxMjM0NTY3ODkwIn0'.repeat(60)}.${'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'.repeat(20)}`;
  const md = table(['check', 'detail'], [['db', inlineText(`token ${jwt} password ${secret}`)]]);
  const log = memoryLog();
  log.secret(secret);
  const out = redactMarkdown(md, (t) => log.redact(t));
  expect(out).not.toContain('db\\_pass\\_Xy12345');
  expect(out).not.toContain(secret);
  expect(out).not.toContain(jwt.slice(0, 40));
  // The table around it is still a table: its header line and its separator are kept.
  expect(out.split('\n').slice(0, 2)).toEqual(md.split('\n').slice(0, 2));
});

// Backtick runs of many lengths on one line (2 MB): each run's close was searched for from it to
// the end, n² (minutes); the runs are indexed once now. Nothing to hide: the text comes back as it was.
it('a line of many backtick runs of many lengths is read through in linear time', () => {
  const md = Array.from({ length: 2_000 }, (_v, i) => '`'.repeat(2_000 - i)).join('a');
  expect(redactMarkdown(md, (t) => t.replace(/SECRET/g, '***')) === md).toBe(true);
});

// Inside a fenced code block (``` or ~~~) GitHub shows every character as written: `\_` is a
// backslash and an underscore there. Read as an escape, a secret with `\_` or `&amp;` in it (as a
// program printed it into a block of output) was judged as other text, and shown.
it('a fenced code block is read as written: a secret with a backslash or an entity in it is hidden there', () => {
  const secret = 'S3cr3t\\_p4ss&amp;w0rd';
  const log = memoryLog();
  log.secret(secret);
  for (const markdown of [
    `Output:\n\n\`\`\`text\nconnect --password ${secret}\n\`\`\`\n`,
    `Output:\n\n  ~~~~\nconnect --password ${secret}\n~~~\nstill code ${secret}\n  ~~~~~\nafter`,
    `\`\`\`\nnever closed: ${secret}`,
  ]) {
    const out = redactMarkdown(markdown, (t) => log.redact(t));
    expect(out).not.toContain('S3cr3t');
    expect(out).not.toContain('p4ss');
  }
  // Outside a fence the escapes are read as before, and a block's text with nothing to hide comes back as it was.
  const plain = '```sh\necho a\\_b &amp; c\n```\n\nand a\\_b &amp; c';
  expect(redactMarkdown(plain, (t) => t.replace('a_b & c', 'SEEN'))).toBe('```sh\necho a\\_b &amp; c\n```\n\nand SEEN');
});

it('many fences, and one never closed, are read through in linear time', () => {
  const md = `${'```\na\\_b\n```\n'.repeat(20_000)}\`\`\`\n${'x\\_y\n'.repeat(40_000)}`;
  expect(redactMarkdown(md, (t) => t.replace(/SECRET/g, '***')) === md).toBe(true);
});

// GitHub reads a fence inside a block quote (`> ```) or a list item as code too, however deep the
// item is nested. Read as prose there, a secret printed with `\_` or `&amp;` in it was judged as
// other text and shown.
it('a fenced code block in a block quote or a list item is read as written: the secret in it is hidden', () => {
  const secret = 'S3cr3t\\_p4ss&amp;w0rd';
  const log = memoryLog();
  log.secret(secret);
  for (const markdown of [
    `> \`\`\`\n> connect ${secret}\n> \`\`\`\n`,
    `Output:\n\n>  ~~~text\n>  connect ${secret}\n>\n> ~~~\n`,
    `- \`\`\`\n  connect ${secret}\n  \`\`\`\n`,
    `- a\n  - nested\n    \`\`\`\n    connect ${secret}\n    \`\`\`\n`,
    `1. step\n\n   10. sub\n\n       \`\`\`sh\n       connect ${secret}\n       \`\`\`\n`,
    `> - item\n>   \`\`\`\n>   connect ${secret}\n>   \`\`\`\n`,
  ]) {
    const out = redactMarkdown(markdown, (t) => log.redact(t));
    expect(out, markdown).not.toContain('S3cr3t');
    expect(out, markdown).not.toContain('p4ss');
  }
});

// A fence in a container ends with it: a line without the `>`, or one indented less than the
// item's content. What follows is prose, its escapes read (`incident\_key` is `incident_key`, a
// row's key, shown), not code to the document's end.
it('a fenced code block in a block quote or a list item ends where its container ends', () => {
  const after = "incident\\_key = 'production:a'";
  const redact = (t: string) => memoryLog().redact(t);
  for (const markdown of [
    `- item\n  \`\`\`\n  code\n${after}\n`,
    `> \`\`\`\n> code\n${after}\n`,
    `> \`\`\`\n> code\n\n${after}\n`,
    `- a\n  - b\n    \`\`\`\n    code\n  ${after}\n`,
  ]) {
    expect(redactMarkdown(markdown, redact), markdown).toBe(markdown);
  }
  // In the item a blank line goes on in the block, and a fence four spaces past the item's content is code, not its close.
  const log = memoryLog();
  log.secret('S3cr3t\\_p4ss');
  const md = "- item\n  ```\n\n  connect S3cr3t\\_p4ss\n      ```\n  still code S3cr3t\\_p4ss\n  ```\n" + `${after}\n`;
  const out = redactMarkdown(md, (t) => log.redact(t));
  expect(out).not.toContain('S3cr3t');
  expect(out.endsWith(`${after}\n`)).toBe(true);
});
