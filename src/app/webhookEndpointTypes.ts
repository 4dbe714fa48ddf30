import type { Actor } from '../domain/index.js';
import type { DeliveryRecord, DeliveryStatus, WebhookEndpoint, WebhookMessage } from './ports/webhookEndpointStore.js';

// The outgoing webhooks' application interface (issue 14): what the HTTP routes and the CLI call. Every change is
// audited with who and why and has a dry run (validates, looks for conflicts, stores nothing).

export interface EndpointCreateInput {
  /** https on a public address (http and private addresses only with WEBHOOKS_ALLOW_PRIVATE=true). */
  url: string;
  description?: string;
  /** The event types to receive; null or absent: every type. */
  eventTypes?: string[] | null;
  /** Default true. */
  enabled?: boolean;
  reason?: string;
  dryRun?: boolean;
}

export interface EndpointUpdateInput {
  url?: string;
  description?: string;
  eventTypes?: string[] | null;
  /** Enabling clears the disabled reason and the failing streak; pending messages go on. */
  enabled?: boolean;
  reason?: string;
  dryRun?: boolean;
}

/** An endpoint as changed (or as it would be, with dryRun). */
export interface EndpointChange {
  endpoint: WebhookEndpoint;
  dryRun: boolean;
  /** The new signing secret (whsec_…): on create and rotate only, shown this once; absent on a dry run. */
  secret?: string;
}

export interface RotateSecretInput {
  /** How long the previous secret keeps signing alongside the new one; default 24, 0 = stop at once, at most 168. */
  overlapHours?: number;
  reason?: string;
  dryRun?: boolean;
}

export interface DeliveriesQuery {
  endpointId: string;
  /** One event's message (with its attempts). */
  eventId?: string;
  status?: DeliveryStatus;
  /** Default 50, at most 200. */
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string | null;
}

export interface DeliveryPage {
  data: DeliveryRecord[];
  nextCursor: string | null;
}

export interface RecoverInput {
  /** ISO time: events that occurred at or after it. */
  since: string;
  /** ISO time, exclusive; default now. */
  until?: string;
  /** Resend delivered messages too (default: only failed ones and events the endpoint never got). */
  includeDelivered?: boolean;
  reason?: string;
  dryRun?: boolean;
}

/** What a resend or a recover queued: each message goes again as a fresh delivery with its old webhook-id. */
export interface ResendResult {
  endpointId: string;
  queued: number;
  dryRun: boolean;
  /** The messages queued (at most the first 100 of a recover). */
  messages: WebhookMessage[];
}

export interface WebhookEndpointApi {
  create(actor: Actor, input: EndpointCreateInput): Promise<EndpointChange>;
  list(): Promise<{ data: WebhookEndpoint[] }>;
  get(id: string): Promise<WebhookEndpoint>;
  update(actor: Actor, id: string, input: EndpointUpdateInput): Promise<EndpointChange>;
  /** Deletes the endpoint and its messages and attempts (the audit log keeps what was done). */
  remove(actor: Actor, id: string, input: { reason?: string; dryRun?: boolean }): Promise<EndpointChange>;
  rotateSecret(actor: Actor, id: string, input: RotateSecretInput): Promise<EndpointChange>;
  deliveries(query: DeliveriesQuery): Promise<DeliveryPage>;
  resend(
    actor: Actor,
    endpointId: string,
    eventId: string,
    input: { reason?: string; dryRun?: boolean },
  ): Promise<ResendResult>;
  recover(actor: Actor, endpointId: string, input: RecoverInput): Promise<ResendResult>;
}
