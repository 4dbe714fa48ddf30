/**
 * Outgoing webhooks' storage (issue 14): the marketplace's endpoints with their signing secrets, the messages the
 * `webhooks` role fans out from the committed event stream (one per event and endpoint) and every delivery attempt.
 */

/** A signing secret as listed: never its value (shown once, when created or rotated). */
export interface EndpointSecretInfo {
  id: string;
  createdAt: string;
  /** When it stops signing (a rotated-out secret signs alongside the new one until then); null: current. */
  expiresAt: string | null;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  /** Event types delivered (e.g. EscrowFunded); null: every type. */
  eventTypes: string[] | null;
  enabled: boolean;
  /** Why it is disabled: "disabled by <actor>: <reason>", "410 Gone from the receiver", "failing for 5 days". */
  disabledReason: string | null;
  disabledAt: string | null;
  /** Since when every attempt has failed (null: the last attempt succeeded, or none was made). */
  failingSince: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  secrets: EndpointSecretInfo[];
}

/** A secret with its value, for signing only (never returned by the API after creation). */
export interface SigningSecret {
  id: string;
  /** whsec_ followed by the base64 of the key bytes (at least 24). */
  value: string;
  expiresAt: string | null;
}

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/** One event for one endpoint, with where its delivery stands. */
export interface WebhookMessage {
  id: string;
  endpointId: string;
  /** The event id: the webhook-id header, stable across attempts and resends. */
  eventId: string;
  eventType: string;
  escrowId: string;
  sequence: number;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
  lastError: string | null;
}

export type AttemptOutcome = 'DELIVERED' | 'RETRYING' | 'FAILED';

export interface DeliveryAttempt {
  id: string;
  messageId: string;
  eventId: string;
  /** 1 for the first attempt of the message; a resend continues the count. */
  attempt: number;
  at: string;
  /** The HTTP status; null when no answer came (network error, timeout, refused address). */
  status: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
  outcome: AttemptOutcome;
}

/** A message with its attempts, newest first, as GET /api/webhook-endpoints/{id}/deliveries lists them. */
export interface DeliveryRecord extends WebhookMessage {
  attemptLog: DeliveryAttempt[];
}

export interface AuditNote {
  actor: { id: string; role: string };
  action: string;
  details: Record<string, unknown>;
  at: string;
}

export interface NewEndpoint {
  id: string;
  url: string;
  description: string;
  eventTypes: string[] | null;
  enabled: boolean;
  /** Why, when created disabled. */
  disabledReason: string | null;
  secret: { id: string; value: string };
  at: string;
}

export interface EndpointPatch {
  url?: string;
  description?: string;
  eventTypes?: string[] | null;
  /**
   * false: disabled with `disabledReason`; true: enabled (reason and failing streak cleared), and the events committed
   * while it was disabled are queued for it.
   */
  enabled?: boolean;
  disabledReason?: string;
}

export interface MessageSelection {
  endpointId: string;
  eventId?: string;
  status?: DeliveryStatus;
  limit: number;
  /** Messages with a lower id than this (newest first). */
  beforeId?: string;
}

/** Endpoints, their secrets and the delivery log; each change with its audit row in one transaction. */
export interface WebhookEndpointStore {
  create(endpoint: NewEndpoint, audit: AuditNote): Promise<WebhookEndpoint>;
  get(id: string): Promise<WebhookEndpoint | null>;
  list(): Promise<WebhookEndpoint[]>;
  /** null when there is no such endpoint. */
  update(id: string, patch: EndpointPatch, audit: AuditNote): Promise<WebhookEndpoint | null>;
  remove(id: string, audit: AuditNote): Promise<WebhookEndpoint | null>;
  /** A new current secret; those signing now go on for `overlapMs` more (by the database's clock; 0 = stop now). */
  rotateSecret(
    id: string,
    secret: { id: string; value: string },
    overlapMs: number,
    audit: AuditNote,
  ): Promise<WebhookEndpoint | null>;
  messages(selection: MessageSelection): Promise<DeliveryRecord[]>;
  /**
   * Queues messages again as fresh deliveries (attempt log kept): the given event ids, or every event of the window
   * the endpoint subscribes to — failed messages, events it never got and, with includeDelivered, delivered ones.
   * `dryRun` counts and lists without changing anything. Returns the messages (first 100) and how many.
   */
  requeue(
    endpointId: string,
    what: { eventIds: string[] } | { since: string; until: string; includeDelivered: boolean },
    options: { dryRun: boolean; audit: AuditNote },
  ): Promise<{ queued: number; messages: WebhookMessage[] }>;
}

/** A message claimed for delivery, with what signing and sending it needs. */
export interface ClaimedMessage {
  id: string;
  endpointId: string;
  url: string;
  eventId: string;
  eventType: string;
  escrowId: string;
  /** The body as sent: the committed event's envelope (StoredEvent) as JSON. */
  body: string;
  /** Attempts ever made (this one is attempts + 1) and in this round (the schedule's position). */
  attempts: number;
  round: number;
  /** The secrets signing now: the current one and any rotated-out one not yet expired. */
  secrets: string[];
  /** When the message was fanned out (ISO; commit-to-delivery figures). */
  createdAt: string;
}

/** What became of one attempt, as the worker decided it. */
export interface AttemptRecord {
  messageId: string;
  owner: string;
  attempt: number;
  status: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
  outcome: AttemptOutcome;
  /** RETRYING: in how many milliseconds the next attempt is due. */
  retryInMs?: number;
  /** A 2xx ends the endpoint's failing streak; a failure starts it (if none is running). */
  endpointSucceeded: boolean;
  /** 410 Gone: the endpoint is disabled with this reason. */
  disableEndpoint?: string;
}

export interface EndpointDisabled {
  endpointId: string;
  url: string;
  failingSince: string;
}

/** The `webhooks` role's side: fan-out by cursor, claims under a lease, attempts recorded. */
export interface WebhookDeliveryStore {
  /**
   * Turns the next committed events (by the webhooks cursor) into messages for every enabled endpoint that
   * subscribes to their type, and moves the cursor past them, in one transaction. Returns how many events it read
   * (0 also when another process holds the fan-out).
   */
  fanOut(limit: number): Promise<number>;
  /**
   * Due messages under a lease, at most one per (endpoint, escrow): the one with the lowest sequence still pending,
   * and only when no earlier event of that escrow is still to be fanned out. Only enabled endpoints' messages.
   */
  claim(limit: number, leaseMs: number, owner: string): Promise<ClaimedMessage[]>;
  /** The attempt logged and the message moved on, in one transaction; false when the lease was lost meanwhile. */
  record(attempt: AttemptRecord): Promise<boolean>;
  /** Endpoints failing for longer than `ms` are disabled (and returned, to tell operators). */
  disableFailing(ms: number, reason: (failingSince: string) => string): Promise<EndpointDisabled[]>;
  /** Per endpoint, the age in seconds of its oldest message not yet delivered (pending). */
  oldestPending(): Promise<{ endpointId: string; ageSeconds: number }[]>;
}
