/**
 * A local stand-in for GitHub's artifact service as @actions/artifact 6 talks to it: Twirp JSON
 * CreateArtifact / FinalizeArtifact on ACTIONS_RESULTS_URL (protobuf JSON, snake_case fields), and an Azure block-blob upload URL
 * (PUT ?comp=block, then PUT ?comp=blocklist) for the zip itself.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';

export interface UploadedArtifact {
  create: Record<string, unknown>;
  finalize?: Record<string, unknown>;
  blocks: Map<string, Buffer>;
  blockList: string[];
  content?: Buffer;
}

export interface FakeArtifactService {
  url: string;
  /** A runtime token of the shape the runner hands out (an unsigned JWT with an Actions.Results scope). */
  token: string;
  artifacts: UploadedArtifact[];
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

const b64url = (s: string) => Buffer.from(s).toString('base64url');

/** `port`: listen there (both the results service and the upload URL), else on a free one. */
export async function startArtifactService(opts: { port?: number } = {}): Promise<FakeArtifactService> {
  const artifacts: UploadedArtifact[] = [];
  let base = '';
  const azureHeaders = () => ({ 'x-ms-request-id': randomUUID(), 'x-ms-version': '2024-11-04', date: new Date().toUTCString(), etag: `"0x${Date.now().toString(16)}"` });
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', base);
    const data = await body(req);
    const twirp = /\/twirp\/github\.actions\.results\.api\.v1\.ArtifactService\/(\w+)$/.exec(url.pathname);
    if (twirp && req.method === 'POST') {
      if (!/^Bearer .+/.test(req.headers.authorization ?? '')) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'unauthenticated', msg: 'missing token' }));
        return;
      }
      const msg = JSON.parse(data.toString() || '{}');
      if (twirp[1] === 'CreateArtifact') {
        const id = artifacts.length;
        artifacts.push({ create: msg, blocks: new Map(), blockList: [] });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, signedUploadUrl: `${base}/blob/${id}?sig=local` }));
        return;
      }
      if (twirp[1] === 'FinalizeArtifact') {
        const a = artifacts.find((x) => x.create.name === msg.name);
        if (!a) {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'not_found', msg: 'no such artifact' }));
          return;
        }
        a.finalize = msg;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, artifactId: String(1000 + artifacts.indexOf(a)) }));
        return;
      }
    }
    const blob = /^\/blob\/(\d+)$/.exec(url.pathname);
    if (blob && req.method === 'PUT') {
      const a = artifacts[Number(blob[1])];
      if (!a) return void res.writeHead(404).end();
      const comp = url.searchParams.get('comp');
      if (comp === 'block') {
        a.blocks.set(url.searchParams.get('blockid') ?? '', data);
        res.writeHead(201, azureHeaders()).end();
        return;
      }
      if (comp === 'blocklist') {
        a.blockList = [...data.toString().matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]+)<\//g)].map((m) => m[1]!);
        a.content = Buffer.concat(a.blockList.map((id) => a.blocks.get(id) ?? Buffer.alloc(0)));
        res.writeHead(201, azureHeaders()).end();
        return;
      }
      // A single-shot upload of a small blob.
      a.content = data;
      res.writeHead(201, azureHeaders()).end();
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'bad_route', msg: `no route ${req.method} ${url.pathname}` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const token = `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify({ scp: `Actions.GenericRead Actions.Results:${randomUUID()}:${randomUUID()}` }))}.sig`;
  return { url: `${base}/`, token, artifacts, close: () => new Promise((r) => server.close(() => r())) };
}
