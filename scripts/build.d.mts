export function entryPoints(): Promise<{ name: string; file: string }[]>;
export function sourceHash(): Promise<string>;
