import pg from 'pg';
import type { Availability } from './availability.js';
import { reconnectDelayMs } from './backoff.js';
import type { ListenOptions } from './database.js';

/**
 * LISTEN on a connection of its own (not a pool slot held forever). A lost connection — a failover, a restart,
 * pg_terminate_backend — never reaches the process as an unhandled 'error': the listener reconnects with backoff,
 * LISTENs again and calls `onReconnect` (notifications sent meanwhile are lost; the caller polls once).
 */
export class PgListener {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly onNotify: (payload: string) => void,
    private readonly opts: ListenOptions,
    private readonly availability: Availability,
  ) {}

  /** The first connection: its failure is the caller's (at start the database must be there). */
  async start(): Promise<void> {
    await this.availability.track(() => this.connect());
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    if (c) {
      await c.query(`UNLISTEN ${pg.escapeIdentifier(this.channel)}`).catch(() => undefined);
      await c.end().catch(() => undefined);
    }
  }

  private async connect(): Promise<void> {
    const c = new pg.Client(this.config);
    // Errors end the connection ('end' follows); without a listener an 'error' event would end the process.
    c.on('error', () => undefined);
    c.on('notification', (m) => {
      if (m.channel === this.channel) this.onNotify(m.payload ?? '');
    });
    c.on('end', () => {
      if (this.client !== c) return;
      // Reconnect; an outage is reported by the attempts that fail (one dropped connection is not an outage).
      this.client = null;
      this.schedule();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await c.end().catch(() => undefined);
      return;
    }
    this.client = c;
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.availability
        .track(() => this.connect())
        .then(
          () => {
            this.attempt = 0;
            if (!this.closed) this.opts.onReconnect?.();
          },
          () => this.schedule(),
        );
    }, reconnectDelayMs(this.attempt));
  }
}
