import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the server answers one request: a response, or `drop` (the connection is destroyed: a network error). */
export type Reply = { status: number; headers?: Record<string, string>; body?: unknown } | 'drop';

/** A problem+json reply as the service sends one. */
export const problemReply = (
  status: number,
  code: string,
  headers: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): Reply => ({
  status,
  headers: { 'content-type': 'application/problem+json; charset=utf-8', 'x-request-id': 'req-1', ...headers },
  body: { type: `https://escrow-services.dev/problems/${code}`, title: 'Error', status, detail: code, code, ...extra },
});

/**
 * A real HTTP server standing in for the service: answers each request with the next reply of its script (the last
 * one again once the script is used up) and records every request, so tests assert what was sent and in what order.
 */
export class ScriptedServer {
  readonly seen: Seen[] = [];
  private script: Reply[] = [];
  private server: Server | null = null;
  baseUrl = '';

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const reply = this.script.length > 1 ? this.script.shift()! : this.script[0];
        if (!reply || reply === 'drop') {
          req.socket.destroy();
          return;
        }
        const json = reply.body !== undefined && typeof reply.body !== 'string';
        const body = json ? JSON.stringify(reply.body) : ((reply.body as string | undefined) ?? '');
        res
          .writeHead(reply.status, { ...(json ? { 'content-type': 'application/json' } : {}), ...reply.headers })
          .end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** The replies for the next requests, in order (forgets what is left of the previous script and what was seen). */
  answer(...replies: Reply[]): void {
    this.script = replies;
    this.seen.length = 0;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
