import pg from 'pg';
import type { Availability } from './availability.js';
import { reconnectDelayMs } from './backoff.js';
import type { ListenOptions } from './database.js';

interface Subscriber {
  onNotify(payload: string): void;
  onReconnect?: () => void;
}

/**
 * Every LISTEN of one process on one connection of its own (not a pool slot held forever, and not one connection per
 * channel: the outbox, the command outcomes, the pause, the blacklist and the revoked tokens each listen, and a
 * connection each would cost every replica five of `max_connections`). A lost connection — a failover, a restart,
 * pg_terminate_backend — never reaches the process as an unhandled 'error': it reconnects with backoff, LISTENs on
 * every channel again and calls each subscriber's `onReconnect` (notifications sent meanwhile are lost; they poll
 * once). The connection is opened by the first subscription (its failure is the caller's: at start the database must
 * be there) and closed with the last one. Subscribing, unsubscribing and reconnecting run one at a time.
 */
export class PgNotifications {
  private client: pg.Client | null = null;
  private readonly channels = new Map<string, Set<Subscriber>>();
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly availability: Availability,
  ) {}

  /** LISTENs on `channel` for `onNotify`; resolves once listening (or reconnecting), to the unsubscribe. */
  subscribe(channel: string, onNotify: (payload: string) => void, opts: ListenOptions = {}) {
    const sub: Subscriber = { onNotify, ...(opts.onReconnect ? { onReconnect: opts.onReconnect } : {}) };
    return this.serial(async () => {
      const subs = this.channels.get(channel) ?? new Set<Subscriber>();
      const first = subs.size === 0;
      subs.add(sub);
      this.channels.set(channel, subs);
      if (this.client) {
        if (first) await this.listenOn(this.client, channel);
      } else if (!this.timer) {
        try {
          await this.availability.track(() => this.connect());
        } catch (err) {
          this.drop(channel, sub);
          throw err;
        }
      }
      // else: reconnecting, which LISTENs on every channel (this one included) and then calls onReconnect
      let done = false;
      return () => {
        if (done) return Promise.resolve();
        done = true;
        return this.serial(() => this.unsubscribe(channel, sub));
      };
    });
  }

  /** Closes the connection whoever still listens (the database is closing). */
  close(): Promise<void> {
    return this.serial(async () => {
      this.channels.clear();
      await this.disconnect();
    });
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async unsubscribe(channel: string, sub: Subscriber): Promise<void> {
    if (!this.drop(channel, sub)) return;
    if (this.channels.size === 0) return this.disconnect();
    await this.client?.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
  }

  /** Forgets one subscriber; true when its channel has none left. */
  private drop(channel: string, sub: Subscriber): boolean {
    const subs = this.channels.get(channel);
    if (!subs?.delete(sub) || subs.size > 0) return false;
    this.channels.delete(channel);
    return true;
  }

  private async disconnect(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.attempt = 0;
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }

  /** A LISTEN that fails on a live connection ends it: the reconnect LISTENs on every channel again. */
  private async listenOn(c: pg.Client, channel: string): Promise<void> {
    try {
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch {
      await c.end().catch(() => undefined);
    }
  }

  private async connect(): Promise<void> {
    const c = new pg.Client(this.config);
    // Errors end the connection ('end' follows); without a listener an 'error' event would end the process.
    c.on('error', () => undefined);
    c.on('notification', (m) => {
      for (const s of this.channels.get(m.channel) ?? []) {
        try {
          s.onNotify(m.payload ?? '');
        } catch {
          // one subscriber's failure is its own; the others are still told
        }
      }
    });
    c.on('end', () => {
      if (this.client !== c) return;
      // Reconnect; an outage is reported by the attempts that fail (one dropped connection is not an outage).
      this.client = null;
      this.schedule();
    });
    try {
      await c.connect();
      for (const channel of this.channels.keys()) await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    this.client = c;
  }

  private schedule(): void {
    if (this.timer || this.channels.size === 0) return;
    this.attempt++;
    this.timer = setTimeout(() => {
      void this.serial(async () => {
        this.timer = null;
        if (this.client || this.channels.size === 0) return;
        try {
          await this.availability.track(() => this.connect());
        } catch {
          this.schedule();
          return;
        }
        this.attempt = 0;
        for (const subs of [...this.channels.values()]) {
          for (const s of subs) {
            try {
              s.onReconnect?.();
            } catch {
              // as for a notification: the others are still told
            }
          }
        }
      });
    }, reconnectDelayMs(this.attempt));
  }
}
