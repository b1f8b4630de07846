// The bench's local server, in its own process so that serving does not share a CPU core's event
// loop with the client being measured. Prints its URL, then serves a small JSON health payload.
import { createServer } from 'node:http';

const body = JSON.stringify({ status: 'ok', version: '1.4.2', checks: { db: { ok: true, latency_ms: 12 } } });
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
// Stops with the parent: a bench never leaves a server behind.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
