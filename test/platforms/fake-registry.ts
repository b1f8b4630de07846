// A third-party container registry (ghcr.io, docker.io, a vendor's) over HTTPS on 127.0.0.1, with a
// self-signed certificate made by openssl for the run: a bundle trusts it through
// NODE_EXTRA_CA_CERTS, as a runner trusts a real registry's. It records every request with its
// Authorization header and answers the manifest endpoint (`HEAD /v2/{repo}/manifests/{ref}`):
// 401 without credentials, as registries do for a private image, or what `anonymous` says.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeRegistry {
  /** host:port, as an image reference names its registry. */
  host: string;
  /** The certificate file to pass as NODE_EXTRA_CA_CERTS. */
  caFile: string;
  requests: { method: string; path: string; authorization?: string }[];
  /** The answer to a request without credentials: 401 (private image), 200 (public, present) or 404 (public, gone). */
  anonymous: 401 | 200 | 404;
  close(): Promise<void>;
}

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'rk-registry-'));
  const key = join(dir, 'key.pem');
  const caFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', caFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const requests: FakeRegistry['requests'] = [];
  const server = createServer({ key: readFileSync(key), cert: readFileSync(caFile) }, (req, res) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization });
    if (!/^\/v2\/.+\/manifests\/[^/]+$/.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
      return;
    }
    // Any credentials would be accepted: the point is that none arrive.
    const status = req.headers.authorization ? 200 : fake.anonymous;
    const headers: Record<string, string> = status === 401 ? { 'www-authenticate': `Bearer realm="https://${fake.host}/token",service="registry"` } : {};
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(status === 200 ? '' : JSON.stringify({ errors: [{ code: status === 401 ? 'UNAUTHORIZED' : 'MANIFEST_UNKNOWN' }] }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const fake: FakeRegistry = {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    caFile,
    requests,
    anonymous: 401,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          done();
        });
      }),
  };
  return fake;
}
