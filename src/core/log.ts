/**
 * Where library code reports progress. Every line passes through `redact`, so a secret registered
 * with `secret()` never reaches a log, whichever sink (GitHub runner, terminal, test) is behind it.
 */
export interface Log {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /** Registers a value that must never be printed: masked by the runner and redacted here. */
  secret(value: string | undefined): void;
  redact(text: string): string;
}

export interface LogSink {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /** Tells the sink about a new secret (the runner's `::add-mask::`). */
  mask?(value: string): void;
}

const REDACTED = '***';

export function createLog(sink: LogSink): Log {
  const secrets = new Set<string>();
  const redact = (text: string): string => {
    let out = text;
    // Longest first, so a secret that contains another is replaced whole.
    for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
    return out;
  };
  return {
    info: (m) => sink.info(redact(m)),
    warning: (m) => sink.warning(redact(m)),
    debug: (m) => sink.debug(redact(m)),
    secret(value) {
      // Very short values would redact ordinary words and say nothing about the secret anyway.
      if (!value || value.length < 3 || secrets.has(value)) return;
      secrets.add(value);
      sink.mask?.(value);
      const encoded = encodeURIComponent(value);
      if (encoded !== value && !secrets.has(encoded)) {
        secrets.add(encoded);
        sink.mask?.(encoded);
      }
    },
    redact,
  };
}

/** A log that keeps its lines in memory: for library tests. */
export function memoryLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const log = createLog({
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
  });
  return Object.assign(log, { lines });
}
