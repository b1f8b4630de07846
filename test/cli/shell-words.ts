/** Reading a command printed for a person to paste as the shell would: test/cli/help-examples.test.ts, smoke-next.test.ts. */
/**
 * The words a POSIX shell makes of `line`: leading VAR=value assignments and a trailing `# comment`
 * dropped. Throws on what the shell would change rather than pass on as written: `$`, a backtick or
 * a backslash outside single quotes, glob or control characters outside quotes.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === '#' && word === undefined) break;
    else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) throw new Error(`unterminated " in: ${line}`);
      const inside = line.slice(i + 1, end);
      if (/[$`\\!]/.test(inside)) throw new Error(`the shell expands ${inside} inside double quotes: ${line}`);
      word = (word ?? '') + inside;
      i = end + 1;
    } else if (/[$`\\*?[\]{}()<>|;&~]/.test(c)) {
      throw new Error(`unquoted ${c} (the shell reads it) in: ${line}`);
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  while (words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) words.shift();
  return words;
}
