/**
 * Where library code reports progress. Every line passes through `redact`, so a secret registered
 * with `secret()` never reaches a log, whichever sink (GitHub runner, terminal, test) is behind it,
 * and neither does a credential of a well-known shape that we were never given (token-shapes.ts).
 */
import { clip, MIN_SECRET_LENGTH, SecretSet, type SecretSource } from './secrets.js';
import { hideKnownTokens, privateKeyLines, sqlWriteLines } from './token-shapes.js';

export interface Log {
  info(message: string): void;
  /**
   * A wait the user should hear of as it happens (a platform that has not answered, a retry): an
   * info line on the runner, but shown on a terminal without --verbose, where info lines are not.
   */
  progress(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /**
   * Registers a value that must never be printed, in its encoded forms too: masked by the runner and
   * redacted here. `guessed`: a value we only think is secret from its name (`?token=`); short or
   * common ones are then ignored. The rule is SecretSet's (src/core/secrets.ts). `from` names where a
   * declared value came from (`input database-url`, `DATABASE_URL`), for the warning about a short one.
   */
  secret(value: string | undefined, source?: SecretSource, from?: string, scope?: SecretScope): void;
  redact(text: string): string;
  /** Outside text cut to `max` characters, redacted before the cut so no secret's prefix survives it. */
  excerpt(text: string, max: number): string;
  /**
   * The last lines a program printed, said again when it failed (see LogSink.failedOutput). Each
   * line is redacted; `heading` says whose they are.
   */
  failedOutput(heading: string, lines: readonly string[]): void;
  /**
   * A writer of info lines for what a user's own program prints (the command provider's commands
   * and their output), which can hold secrets we were never given: each line is redacted once, as
   * every line is, with every URL's user name dropped too (an HTTP user name alone can be the
   * credential), and a private key or an SQL write printed over many lines is hidden line by line
   * (privateKeyLines, sqlWriteLines). Returns each line as written, to be said again (failedOutput).
   */
  programLines(): (line: string) => string;
}

export interface LogSink {
  info(message: string): void;
  /** Log.progress; an info line when the sink has no such place. */
  progress?(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /** Tells the sink about a new secret (the runner's `::add-mask::`). */
  mask?(value: string): void;
  /**
   * A failed program's last lines, for a sink that did not show its output as it came (a terminal
   * without --verbose), so an error saying "its output is above" is true there too. A sink that
   * showed every info line (the runner's log) leaves it out: they are above already.
   */
  failedOutput?(heading: string, lines: readonly string[]): void;
}

/**
 * Where a secret is hidden: `job`, from our output and, through the runner's mask, the whole job log
 * from here on; `own`, from our output only, with no mask and no warning about a short one. `own` is
 * for secrets of the environment a step inherits but was not given (the password inside
 * DATABASE_URL in a step that never connects): masking those job-wide would hide a word such as
 * "postgres" from every later step, and warn about a secret the step never used.
 */
export type SecretScope = 'job' | 'own';

/** `log`, registering every secret for our own output only (SecretScope `own`). */
export function ownOutputOnly(log: Log): Log {
  return { ...log, secret: (value, source, from) => log.secret(value, source, from, 'own') };
}

export function createLog(sink: LogSink): Log {
  const secrets = new SecretSet();
  // Registered secrets first: the mask knows them whole, in every encoded form.
  const redact = (text: string, opts: { dropUserinfo?: boolean } = {}): string => hideKnownTokens(secrets.redact(text), opts);
  const warnedWeak = new Set<string>();
  /** The forms the runner was asked to mask: each once, whenever it was first registered. */
  const askedToMask = new Set<string>();
  return {
    info: (m) => sink.info(redact(m)),
    progress: (m) => (sink.progress ?? sink.info)(redact(m)),
    warning: (m) => sink.warning(redact(m)),
    debug: (m) => sink.debug(redact(m)),
    secret(value, source = 'declared', from, scope = 'job') {
      const added = secrets.add(value, source);
      if (!added || scope === 'own') return;
      for (const form of added.maskable) {
        if (askedToMask.has(form)) continue;
        askedToMask.add(form);
        sink.mask?.(form);
      }
      // Only where a runner masks secrets (a terminal has none to ask). Said once for each place
      // it came from, naming it, so a short password is never protected less without anyone knowing
      // which one to change.
      if (added.strength === 'weak' && added.fresh && sink.mask && !warnedWeak.has(from ?? '')) {
        warnedWeak.add(from ?? '');
        sink.warning(
          redact(`A secret given to this step${from ? ` (${from})` : ''} is shorter than ${MIN_SECRET_LENGTH} characters, a number or a common word: rollback-kit keeps it out of its own output, but does not ask the runner to mask it everywhere in the job log (that would hide every such word). Use a longer secret.`),
        );
      }
    },
    redact: (text) => redact(text),
    excerpt: (text, max) => clip(redact(text), max),
    failedOutput: (heading, lines) => sink.failedOutput?.(redact(heading), lines.map((line) => redact(line))),
    programLines() {
      // A private key, or an SQL write, printed over many lines: each line alone does not show it is inside one.
      const keyLines = privateKeyLines();
      const sqlLines = sqlWriteLines();
      // A base64 form a tool wrapped over lines (76 or 64 columns): each line holds only a piece.
      const wrapped = secrets.wrappedLines();
      return (line) => {
        // Registered secrets first (redact): the mask knows them whole, and a URL shown without its
        // userinfo no longer reads as the whole secret (a webhook URL whose path is its credential).
        const text = sqlLines(keyLines(wrapped(redact(line, { dropUserinfo: true }))));
        sink.info(text);
        return text;
      };
    },
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
