/** A value as a POSIX shell reads it back: as it is when plain, else in single quotes. For commands printed to be pasted. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
