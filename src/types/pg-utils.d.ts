// node-postgres's quoting helpers on their own (its package exports ./lib/*): without the driver,
// which a step that only builds SQL text does not need to load.
declare module 'pg/lib/utils.js' {
  const utils: { escapeLiteral(value: string): string; escapeIdentifier(value: string): string };
  export default utils;
}
