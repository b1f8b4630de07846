/** scripts/ascii-only.mjs: a bundle's code with its non-ASCII characters written in ASCII. */
export function asciiOnly(code: string, fileName?: string): { code: string; kept: number };
