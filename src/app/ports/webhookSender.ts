/**
 * Outgoing webhooks' transport (issue 14): one HTTP POST to a marketplace's endpoint, safely. The adapter resolves
 * the host itself and refuses private, loopback and link-local addresses (unless allowed) on the address it actually
 * connects to, follows no redirect, gives up after the timeout and reads at most a bounded part of the response.
 * It never throws for what the receiver did: every outcome is a value the delivery worker records as an attempt.
 */

export interface OutgoingRequest {
  url: string;
  /** Content-Type, the Standard Webhooks headers and User-Agent, as they go on the wire. */
  headers: Readonly<Record<string, string>>;
  body: string;
  timeoutMs: number;
}

/** The receiver answered (any status, 3xx included: redirects are not followed). */
export interface OutgoingResponse {
  kind: 'response';
  status: number;
  latencyMs: number;
  /** The start of the response body as text (at most WEBHOOK_RESPONSE_EXCERPT_BYTES, control characters removed). */
  excerpt: string;
  /** Retry-After (delta-seconds or an HTTP date) in milliseconds from now; null when absent or unreadable. */
  retryAfterMs: number | null;
  /** A redirect's Location, reported (never followed). */
  location: string | null;
}

/** No answer: the connection failed, timed out, or the address was refused before connecting. */
export interface OutgoingFailure {
  kind: 'failure';
  /** refused: the address policy (never retried as the same attempt would be refused again until DNS changes). */
  reason: 'network' | 'timeout' | 'refused';
  /** What happened, for the attempt log: e.g. "connect ECONNREFUSED 127.0.0.1:9", "address 10.0.0.7 is private". */
  error: string;
  latencyMs: number;
}

export type OutgoingResult = OutgoingResponse | OutgoingFailure;

export interface WebhookSender {
  send(request: OutgoingRequest): Promise<OutgoingResult>;
}

/** How much of a response body the sender reads (the rest is discarded unread) and how much the log keeps. */
export const WEBHOOK_RESPONSE_READ_BYTES = 64 * 1024;
export const WEBHOOK_RESPONSE_EXCERPT_BYTES = 1024;

/**
 * An endpoint URL checked when it is registered or changed: the same address policy as at delivery time, on what the
 * host resolves to now (delivery checks again, so a name that later resolves to a private address is still refused).
 */
export interface WebhookUrlGuard {
  /** null: acceptable; otherwise why not, as a sentence a person can act on. */
  refusal(url: string): Promise<string | null>;
}
