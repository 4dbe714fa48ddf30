import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request as the marketplace's receiver saw it. */
export interface Received {
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered (0: it never answered). */
  answered: number;
}

/** How the receiver answers a request: a status (and headers), or `hang` (never answers). */
export type Answer = number | { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/**
 * A real HTTP server standing in for the marketplace's webhook receiver: records every request, answers as `answer`
 * says (per request, with the count of earlier requests for the same webhook-id), and can go down and come back on
 * the same port.
 */
export class WebhookReceiver {
  readonly requests: Received[] = [];
  answer: (r: Received, earlier: number) => Answer = () => 200;
  private server: Server | null = null;
  private readonly hanging = new Set<ServerResponse>();
  port = 0;

  async start(port = this.port): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = {
          id: String(req.headers['webhook-id'] ?? ''),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          answered: 0,
        };
        const earlier = this.requests.filter((x) => x.id === r.id).length;
        this.requests.push(r);
        const a = this.answer(r, earlier);
        if (a === 'hang') {
          this.hanging.add(res);
          return;
        }
        const { status, headers, body } = typeof a === 'number' ? { status: a, headers: {}, body: '' } : a;
        r.answered = status;
        res.writeHead(status, headers).end(body ?? `answered ${status}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/escrow`;
  }

  /** Goes down: the port refuses connections until `start()` again. */
  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The requests the receiver answered with a 2xx, i.e. deliveries. */
  delivered(): Received[] {
    return this.requests.filter((r) => r.answered >= 200 && r.answered < 300);
  }

  /** The events delivered, each once (a receiver deduplicates by webhook-id), in arrival order. */
  deduplicated(): { id: string; event: { eventId: string; escrowId: string; sequence: number; type: string } }[] {
    const seen = new Set<string>();
    const out = [];
    for (const r of this.delivered()) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      out.push({ id: r.id, event: JSON.parse(r.body) as never });
    }
    return out;
  }

  /** Every request verifies with the standardwebhooks package under `secret` (throws otherwise). */
  verifyAll(secret: string): void {
    const wh = new Webhook(secret);
    for (const r of this.requests) wh.verify(r.body, r.headers as Record<string, string>);
  }
}

/** Polls `check` until it holds (or fails the test after `ms` of real time with what it last saw). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
