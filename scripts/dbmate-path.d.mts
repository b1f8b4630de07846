export function dbmatePath(): string;
