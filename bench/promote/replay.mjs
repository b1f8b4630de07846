// The baseline: the least a script can do to roll back — send, in order, the same list requests
// and the rollback request promote-previous sent, with plain fetch and nothing else (no choosing,
// no checks, no retries). Reads the requests as JSON from the file named by argv[3] and sends them
// to the base URL argv[2]; exits when the last one is answered.
import { readFileSync } from 'node:fs';

const [base, file] = process.argv.slice(2);
for (const r of JSON.parse(readFileSync(file, 'utf8'))) {
  const res = await fetch(base + r.url, { method: r.method, headers: r.headers, body: r.body });
  await res.arrayBuffer();
}
