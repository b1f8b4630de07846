/**
 * The library's messages are written for a workflow ("Input vercel-token", "vercel-token:
 * ${{ secrets.VERCEL_TOKEN }}", "`to-version: 002`", "the base-url input", "the root action
 * inputs"); a person at a terminal gives flags and environment variables. The command line rewrites
 * that wording wherever it prints library text (error lines, phase rows, next steps, the JSON
 * document), so the same message tells each reader what to type. Only names that are flags are
 * rewritten: "input file" in a tool's message stays as it is.
 */
import { FLAGS } from './flags.js';

/** `--name` where name is one of the CLI's flags; the text as it was otherwise. */
const flag = (name: string, text: string): string => (name in FLAGS ? `--${name}` : text);

export function cliWording(text: string): string {
  return (
    text
      .replace(/ from a secret: ([a-z][a-z0-9-]*): \$\{\{ secrets\.(\w+) \}\}/g, ': export $2 or give --$1')
      .replace(/\b([a-z][a-z0-9-]*): \$\{\{ secrets\.(\w+) \}\}/g, '--$1 (or export $2)')
      .replace(/\bInput ([a-z][a-z0-9-]*)/g, '--$1')
      .replace(/`([a-z][a-z0-9-]*): ([^`\s]+)`/g, '`--$1 $2`')
      // Spec and plan errors: "the base-url input", "(checks input)", "input provider: …".
      .replace(/\bthe ([a-z][a-z0-9-]*) input\b/g, (m, name: string) => flag(name, m))
      .replace(/\b([a-z][a-z0-9-]*) input\b/g, (m, name: string) => flag(name, m))
      .replace(/\binput ([a-z][a-z0-9-]*)/g, (m, name: string) => flag(name, m))
      // "Cannot read checks-file "x"", "(checks-file .github/smoke.yml)"; not a plan file's verify.checks-file.
      .replace(/(?<![-.\w`])checks-file (?=\S)/g, '--checks-file ')
      // Time limits named bare in reasons and advice: "(deadline-seconds)", "raise timeout-seconds";
      // not a file's key (verify.timeout-seconds, "budget-minutes: must be …") or a quoted spec field.
      .replace(/(?<![-.\w"'`])([a-z][a-z-]*-(?:seconds|minutes))(?![-\w"'`:])/g, (m, name: string) => flag(name, m))
      .replace(/\bthe root action(?:'s)? inputs\b/g, 'the flags')
      .replace(/\band the inputs\b/g, 'and the flags')
      .replace(/\bset the single-component inputs\b/g, 'give the single-component flags')
      .replace(/\bsingle-component inputs\b/g, 'single-component flags')
      .replace(/(: |; )inputs: /g, '$1flags: ')
  );
}
