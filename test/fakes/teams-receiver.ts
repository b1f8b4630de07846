/**
 * A local stand-in for a Microsoft Teams webhook: a Workflows flow whose trigger is "When a Teams
 * webhook request is received" and whose one action posts the card it was sent to a channel. Like
 * the flow's HTTP trigger it lives at `/workflows/<id>/triggers/manual/paths/invoke`, authenticates
 * by the `sig` query parameter (401 DirectApiAuthorizationRequired without the right one), refuses a
 * body that is not JSON (400 InvalidRequestContent), and answers 202 Accepted with no body to any
 * JSON: the flow runs after the answer, so a body without an Adaptive Card attachment is accepted
 * and then fails to post. `posted` holds the cards that reached the channel, `failedRuns` the bodies
 * that did not.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

export interface TeamsReceiver {
  /** The full trigger URL, `sig` included. */
  url: string;
  /** The secret part of the URL, to search logs for. */
  sig: string;
  /** Every request's parsed body (undefined when it was not JSON). */
  requests: unknown[];
  /** The cards the flow posted to the channel. */
  posted: Record<string, unknown>[];
  /** Bodies the trigger accepted (202) whose flow run failed: no card attachment to post. */
  failedRuns: unknown[];
  close(): Promise<void>;
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** The card the flow's "Post card in a chat or channel" action takes: the first attachment's content. */
function cardOf(body: unknown): Record<string, unknown> | undefined {
  const attachments = (body as { attachments?: unknown } | undefined)?.attachments;
  const first = Array.isArray(attachments) ? (attachments[0] as { contentType?: unknown; content?: unknown } | undefined) : undefined;
  if (first?.contentType !== ADAPTIVE_CARD) return undefined;
  const card = first.content as Record<string, unknown> | undefined;
  return card && card.type === 'AdaptiveCard' && Array.isArray(card.body) ? card : undefined;
}

export async function startTeamsReceiver(): Promise<TeamsReceiver> {
  const workflow = randomBytes(16).toString('hex');
  const sig = randomBytes(32).toString('base64url');
  const path = `/workflows/${workflow}/triggers/manual/paths/invoke`;
  const requests: unknown[] = [];
  const posted: Record<string, unknown>[] = [];
  const failedRuns: unknown[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const answer = (status: number, body = '') => {
        res.writeHead(status, body ? { 'content-type': 'application/json; charset=utf-8' } : {});
        res.end(body);
      };
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        json = undefined;
      }
      requests.push(json);
      if (url.pathname !== path) return answer(404, errorBody('WorkflowNotFound', `The workflow '${url.pathname.split('/')[2] ?? ''}' could not be found.`));
      if (req.method !== 'POST') return answer(405, errorBody('TriggerRequestMethodNotValid', `The HTTP method for this request is not valid: expected 'Post' and actual '${req.method}'.`));
      if (url.searchParams.get('sig') !== sig) return answer(401, errorBody('DirectApiAuthorizationRequired', 'The request must be authenticated only by Shared Access scheme.'));
      if (json === undefined) return answer(400, errorBody('InvalidRequestContent', 'The request content was invalid and could not be deserialized.'));
      const card = cardOf(json);
      if (card) posted.push(card);
      else failedRuns.push(json);
      answer(202);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`,
    sig,
    requests,
    posted,
    failedRuns,
    close: () =>
      new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
}
