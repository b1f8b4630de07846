/**
 * The library's messages are written for a workflow ("Input vercel-token", "vercel-token:
 * ${{ secrets.VERCEL_TOKEN }}", "`to-version: 002`"); a person at a terminal gives flags and environment variables. The
 * command line rewrites that wording wherever it prints library text (error lines, phase rows,
 * next steps, the JSON document), so the same message tells each reader what to type.
 */
export function cliWording(text: string): string {
  return text
    .replace(/ from a secret: ([a-z][a-z0-9-]*): \$\{\{ secrets\.(\w+) \}\}/g, ': export $2 or give --$1')
    .replace(/\b([a-z][a-z0-9-]*): \$\{\{ secrets\.(\w+) \}\}/g, '--$1 (or export $2)')
    .replace(/\bInput ([a-z][a-z0-9-]*)/g, '--$1')
    .replace(/`([a-z][a-z0-9-]*): ([^`\s]+)`/g, '`--$1 $2`');
}
