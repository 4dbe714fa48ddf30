import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { AttemptRecord, ClaimedMessage, WebhookDeliveryStore } from '../app/ports/webhookEndpointStore.js';
import type { OutgoingResult, WebhookSender } from '../app/ports/webhookSender.js';

/** Events turned into messages per fan-out statement. */
const FAN_OUT_BATCH = 500;
/** How often the worker looks for endpoints failing too long. */
const DISABLE_CHECK_MS = 60_000;
/** A Retry-After never postpones an attempt beyond the schedule's longest delay (a receiver cannot park it). */
const RETRY_AFTER_CAP_MS = 24 * 3_600_000;

/** What the worker does with one attempt's result (pure: unit-tested on its own). */
export function decide(
  result: OutgoingResult,
  round: number,
  scheduleMs: readonly number[],
  at: Date,
): Pick<AttemptRecord, 'outcome' | 'retryInMs' | 'disableEndpoint' | 'error'> {
  let why: string;
  if (result.kind === 'response') {
    const { status } = result;
    if (status >= 200 && status < 300) return { outcome: 'DELIVERED', error: null };
    if (status === 410) {
      const disableEndpoint = `the receiver answered 410 Gone at ${at.toISOString()}`;
      return { outcome: 'FAILED', disableEndpoint, error: 'HTTP 410 Gone: the endpoint is disabled' };
    }
    if (status !== 429 && status < 500) {
      const error =
        status >= 300 && status < 400
          ? `HTTP ${status}: redirect${result.location ? ` to ${result.location}` : ''} not followed (register the final URL)`
          : `HTTP ${status} is not retried (only network errors, timeouts, 429 and 5xx are)`;
      return { outcome: 'FAILED', error };
    }
    why = `HTTP ${status}`;
  } else {
    if (result.reason === 'refused') return { outcome: 'FAILED', error: result.error };
    why = result.error;
  }
  // this was attempt `round + 1` of the round; the next one waits scheduleMs[round + 1]
  const next = scheduleMs[round + 1];
  if (next === undefined) return { outcome: 'FAILED', error: `${why}; gave up after ${round + 1} attempts` };
  const retryAfter = result.kind === 'response' ? (result.retryAfterMs ?? 0) : 0;
  return { outcome: 'RETRYING', retryInMs: Math.max(next, Math.min(retryAfter, RETRY_AFTER_CAP_MS)), error: why };
}

/** The Standard Webhooks headers: webhook-id is the event id, one `v1,` signature per secret signing now. */
export function signedHeaders(m: ClaimedMessage, timestampSeconds: number, userAgent: string): Record<string, string> {
  const at = new Date(timestampSeconds * 1000);
  return {
    'content-type': 'application/json',
    'user-agent': userAgent,
    'webhook-id': m.eventId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': m.secrets.map((s) => new Webhook(s).sign(m.eventId, at, m.body)).join(' '),
  };
}

/** What the worker runs with (WEBHOOKS_*, config/webhooks.ts). */
export interface WebhookDeliverySettings {
  timeoutMs: number;
  concurrency: number;
  disableAfterMs: number;
  /** Without a commit noted, the fan-out still looks this often (commits elsewhere, missed notifications). */
  pollIntervalMs: number;
  /** The delay before each attempt of a round, in ms. */
  scheduleMs: readonly number[];
}

/** The figures it keeps (observability/webhookMetrics.ts). */
export interface WebhookDeliveryMetrics {
  deliveries: { inc(labels: { outcome: string }): void };
  latency: { observe(labels: { outcome: string }, seconds: number): void };
  commitToDelivery: { observe(seconds: number): void };
  endpointsDisabled: { inc(labels: { reason: string }): void };
}

export interface WebhookDispatcherDeps {
  store: WebhookDeliveryStore;
  sender: WebhookSender;
  config: WebhookDeliverySettings;
  /** This process (the lease's owner). */
  owner: string;
  userAgent: string;
  logger: Logger;
  metrics?: WebhookDeliveryMetrics;
  /** Wall-clock milliseconds: webhook-timestamp is checked by receivers against their own clocks. */
  now?: () => number;
}

/**
 * The `webhooks` role (issue 14): follows the committed event stream by its own cursor (fan-out), claims due
 * messages under a lease — in each escrow's order per endpoint, different escrows in parallel — and keeps up to
 * WEBHOOKS_CONCURRENCY attempts in flight. A message is marked delivered only after a 2xx, so a crash at any point
 * sends it again once its lease runs out: at least once, with a webhook-id receivers deduplicate by.
 */
export class WebhookDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private lastDisableCheck = Number.NEGATIVE_INFINITY;
  private lastFanOut = Number.NEGATIVE_INFINITY;
  private committed = true;
  /** Called when an attempt ends (a slot is free, and the escrow's next message may be due). */
  onSettled: () => void = () => undefined;

  constructor(private readonly d: WebhookDispatcherDeps) {}

  /** The lease outlives an attempt's timeout (twice over, plus the time to record it). */
  get leaseMs(): number {
    return this.d.config.timeoutMs * 2 + 5000;
  }

  /** Events were committed (here, or elsewhere by NOTIFY): the next round fans out. */
  noteCommitted(): void {
    this.committed = true;
  }

  /**
   * One round: fan out (after a commit, or every poll interval), disable endpoints failing too long (now and then),
   * start what is due. A round woken by a finished attempt only claims.
   */
  async runOnce(): Promise<{ fannedOut: number; started: number }> {
    let fannedOut = 0;
    if (this.committed || this.now() - this.lastFanOut >= this.d.config.pollIntervalMs) {
      this.committed = false;
      this.lastFanOut = this.now();
      for (let n = FAN_OUT_BATCH; n === FAN_OUT_BATCH; fannedOut += n) n = await this.d.store.fanOut(FAN_OUT_BATCH);
    }
    const now = this.now();
    if (now - this.lastDisableCheck >= DISABLE_CHECK_MS) {
      this.lastDisableCheck = now;
      await this.disableFailing();
    }
    const free = this.d.config.concurrency - this.inFlight.size;
    // Under load, claim in batches (a quarter of the slots at least) rather than one claim per finished attempt.
    const batch = Math.max(1, Math.floor(this.d.config.concurrency / 4));
    if (free <= 0 || (free < batch && this.inFlight.size > 0)) return { fannedOut, started: 0 };
    const claimed = await this.d.store.claim(free, this.leaseMs, this.d.owner);
    for (const m of claimed) {
      const p: Promise<void> = this.deliver(m)
        .catch((err: unknown) =>
          // not recorded: the lease runs out and the message goes again (the attempt may have reached the receiver)
          this.d.logger.warn({ err, endpointId: m.endpointId, eventId: m.eventId }, 'webhook attempt not recorded'),
        )
        .finally(() => {
          this.inFlight.delete(p);
          this.onSettled();
        });
      this.inFlight.add(p);
    }
    return { fannedOut, started: claimed.length };
  }

  /** Attempts in flight right now. */
  get busy(): number {
    return this.inFlight.size;
  }

  /** Waits for the attempts in flight (a clean stop records what they got). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(m: ClaimedMessage): Promise<void> {
    const started = this.now();
    const result: OutgoingResult =
      m.secrets.length === 0
        ? { kind: 'failure', reason: 'refused', error: 'the endpoint has no signing secret', latencyMs: 0 }
        : await this.d.sender.send({
            url: m.url,
            headers: signedHeaders(m, Math.floor(started / 1000), this.d.userAgent),
            body: m.body,
            timeoutMs: this.d.config.timeoutMs,
          });
    const decision = decide(result, m.round, this.d.config.scheduleMs, new Date(started));
    const recorded = await this.d.store.record({
      messageId: m.id,
      owner: this.d.owner,
      attempt: m.attempts + 1,
      status: result.kind === 'response' ? result.status : null,
      latencyMs: result.latencyMs,
      responseExcerpt: result.kind === 'response' ? result.excerpt : null,
      endpointSucceeded: decision.outcome === 'DELIVERED',
      ...decision,
    });
    if (!recorded) return; // the lease ran out and another attempt owns the message now
    const outcome = decision.outcome.toLowerCase();
    this.d.metrics?.deliveries.inc({ outcome });
    this.d.metrics?.latency.observe({ outcome }, result.latencyMs / 1000);
    if (decision.outcome === 'DELIVERED' && m.attempts === 0) {
      this.d.metrics?.commitToDelivery.observe(Math.max(0, this.now() - Date.parse(m.createdAt)) / 1000);
    }
    if (decision.disableEndpoint) {
      this.d.metrics?.endpointsDisabled.inc({ reason: 'gone' });
      this.d.logger.error(
        { endpointId: m.endpointId, url: m.url },
        'webhook endpoint disabled: the receiver answered 410 Gone',
      );
    }
  }

  private async disableFailing(): Promise<void> {
    const hours = Math.round(this.d.config.disableAfterMs / 3_600_000);
    const disabled = await this.d.store.disableFailing(
      this.d.config.disableAfterMs,
      (since) => `every attempt failed since ${since} (more than ${hours} hours)`,
    );
    for (const e of disabled) {
      this.d.metrics?.endpointsDisabled.inc({ reason: 'failing' });
      this.d.logger.error(
        { endpointId: e.endpointId, url: e.url, failingSince: e.failingSince },
        `webhook endpoint disabled: failing for more than ${hours} hours (escrow webhook-endpoints update --enable, then recover)`,
      );
    }
  }

  private now(): number {
    return (this.d.now ?? Date.now)();
  }
}
