export function entryPoints(): Promise<{ name: string; file: string; compiled: string }[]>;
export const CLI_ENTRY: { name: string; file: string; compiled: string };
export function sourceHash(): Promise<string>;
