import type { VariableDoc } from './types.js';

export const escrowDocs = {
  ESCROW_PAYMENT_DEADLINE_DAYS: { meaning: '`expiresAt = createdAt + days`' },
  ESCROW_AUTO_REFUND_DEADLINE_DAYS: { meaning: '`autoRefundAt = deliveredAt + days`' },
  ESCROW_DELIVERED_TIMEOUT_ACTION: {
    meaning: 'what the confirmation deadline does: `REFUND` or `RELEASE`',
  },
  FEATURE_AUTO_REFUND: {
    meaning: 'when `false`, the `REFUND` timeout action is not applied automatically',
  },
  ESCROW_TIMEOUT_POLL_INTERVAL_MINUTES: {
    meaning: 'timeouts role poll interval (it also wakes at the next deadline)',
  },
  ESCROW_MAX_RETRIES: { meaning: 'settlement attempts before it is marked FAILED' },
  ESCROW_RETRY_DELAY_MS: {
    meaning: 'first settlement retry delay; doubles per failure (capped at 1 h)',
  },
  ESCROW_SETTLEMENT_BATCH_SIZE: {
    meaning: 'settlements one worker leases per claim (executed concurrently)',
  },
  ESCROW_RAILS: {
    meaning:
      "enabled rails, comma-separated: `SANDBOX`, `STRIPE`, `PAYSTACK`, `USDC_BASE` (each rail's variables are checked only when it is listed; `docs/rails.md`)",
  },
  ESCROW_FEES: {
    default: 'SPEC defaults',
    meaning: 'JSON per rail, e.g. `{"SANDBOX":{"buyer":{"bps":100,"fixed":0},"seller":{"bps":0,"fixed":25}}}`',
  },
  ESCROW_RAIL_LIMITS: {
    default: 'per rail (`docs/rails.md`)',
    meaning:
      'JSON rail → currency → `{"min","max"}` in minor units (digit strings; `max` null: none) bounding what the buyer pays per escrow, e.g. `{"STRIPE":{"USD":{"min":"50","max":"5000000"}}}`; replaces only the pairs it names (defaults: STRIPE 0.50 (GBP 0.30) to 10,000.00, PAYSTACK NGN 50.00–10,000,000.00, USDC_BASE at least 1 USDC); outside → `422 AMOUNT_OUTSIDE_RAIL_LIMITS`',
  },
  ESCROW_CURRENCIES: {
    default: '`USD:2,EUR:2,GBP:2,NGN:2,USDC:6`',
    meaning: 'allowed currencies and their minor-unit exponents',
  },
  RECONCILE_INTERVAL_SECONDS: { meaning: 'how often the `reconciler` role runs (10–86400)' },
  RECONCILE_PAYMENT_AFTER_MINUTES: {
    meaning: 'escrows awaiting funds longer than this are looked up at the provider (1–10080)',
  },
  RECONCILE_SETTLEMENT_AFTER_MINUTES: {
    meaning: 'pending settlements older than this are looked up (1–10080)',
  },
  RECONCILE_WINDOW_HOURS: {
    meaning: 'how far back the report checks funded escrows and succeeded settlements (1–720)',
  },
  FEATURE_MILESTONE_ESCROWS: {
    meaning:
      'escrows may be paid out in milestones (`milestones` on create, `POST /api/escrow/{id}/milestones`); `false` → `422 FEATURE_DISABLED`',
  },
  FEATURE_KYC_GATING: { meaning: 'apply `KYC_THRESHOLD_AMOUNT`' },
  KYC_THRESHOLD_AMOUNT: {
    default: '— (nothing gated)',
    meaning:
      "per currency in minor units, e.g. `USD:100000,NGN:50000000`: an escrow with a larger amount needs both parties at `kyc_tier ≥ 1` (a user's own from the token, a service caller's `buyerKycTier`/`sellerKycTier`), else `403 KYC_REQUIRED` naming who; currencies must be in `ESCROW_CURRENCIES`",
  },
  ADMIN_APPROVAL_THRESHOLD: {
    default: '— (dual control off)',
    meaning:
      "per currency in minor units, e.g. `USD:1000000,EUR:1000000`: an admin's release, refund (a partial one counts all it moves out of holding), dispute resolution or milestone release moving more than this is not applied but proposed (`202 PENDING_APPROVAL`); a second, different admin approves it (`escrow approvals approve <id>`, `POST /api/admin/approvals/{id}/approve`); currencies must be in `ESCROW_CURRENCIES`",
  },
  ADMIN_APPROVAL_TTL_HOURS: {
    meaning: '1-168: how long a proposal waits for its approval; afterwards approving it is `409 APPROVAL_EXPIRED`',
  },
  DISPUTE_RESPOND_DAYS: {
    meaning:
      "1–365: a dispute's `respondBy` (the other party's answer); past it the dispute is listed by `escrow disputes --overdue` and counted in `escrow_disputes_overdue`",
  },
  DISPUTE_SLA_DAYS: {
    meaning:
      "1–365: a dispute's `slaDueAt` (the admins' ruling); past it the dispute is listed by `escrow disputes --overdue` and counted in `escrow_disputes_overdue`",
  },
} satisfies Record<string, VariableDoc>;

export const webhooksDocs = {
  WEBHOOKS_ALLOW_PRIVATE: {
    meaning:
      '`true` lets outgoing webhook endpoints use plain `http` and private, loopback, link-local or CGNAT addresses (development and tests only); `false` refuses them at registration (`422 WEBHOOK_URL_REFUSED`) and again at every delivery on the address the host resolves to then (`docs/webhooks.md`)',
  },
  WEBHOOKS_TIMEOUT_MS: {
    meaning:
      '100–60000: the whole exchange with a receiver (connect, answer, body); past it the attempt failed and is retried',
  },
  WEBHOOKS_CONCURRENCY: {
    meaning:
      "1–512: outgoing webhook attempts in flight at once per `webhooks` process (each escrow's messages still go one after another per endpoint)",
  },
  WEBHOOKS_POLL_INTERVAL_MS: {
    meaning: '10–60000: how often the `webhooks` role looks for new events and due retries when nothing woke it',
  },
  WEBHOOKS_RETRY_SCHEDULE: {
    default: '`0s,5s,5m,30m,2h,5h,10h,14h,20h,24h`',
    meaning:
      "the delay before each attempt of a message (Standard Webhooks' schedule); durations in `ms`, `s`, `m`, `h`, starting at `0s`, never decreasing, at most 20; a `Retry-After` longer than the next delay is honoured (up to 24 h)",
  },
  WEBHOOKS_DISABLE_AFTER_HOURS: {
    meaning:
      '1–720: an endpoint every attempt of which has failed this long is disabled, audited and logged at error (`webhook_endpoints_disabled_total`)',
  },
} satisfies Record<string, VariableDoc>;

export const kafkaDocs = {
  KAFKA_BROKERS: { meaning: '`host:port,…`: Kafka mode (see *Modes*)' },
  KAFKA_CLIENT_ID: { meaning: 'the Kafka client id' },
  KAFKA_GROUP_ID: { meaning: "the `worker` role's consumer group" },
  KAFKA_COMMANDS_TOPIC: { meaning: 'the commands topic (its DLQ is `<topic>.dlq`)' },
  KAFKA_EVENTS_TOPIC: { meaning: 'the events topic (its DLQ is `<topic>.dlq`)' },
  KAFKA_SASL_MECHANISM: {
    meaning: '`plain`, `scram-sha-256` or `scram-sha-512` (username and password required with it)',
  },
  KAFKA_SASL_USERNAME: { meaning: 'the SASL user (with `KAFKA_SASL_MECHANISM`)', secret: true },
  KAFKA_SASL_PASSWORD: { meaning: 'the SASL password (with `KAFKA_SASL_MECHANISM`)', secret: true },
  KAFKA_SSL_ENABLED: { meaning: 'TLS to the brokers' },
  KAFKA_COMMANDS_PARTITIONS: {
    meaning:
      'partitions `escrow kafka create-topics` gives the commands topic (`escrow check --deploy` wants at least this many)',
  },
  KAFKA_EVENTS_PARTITIONS: {
    meaning:
      'partitions `escrow kafka create-topics` gives the events topic (`escrow check --deploy` wants at least this many)',
  },
  KAFKA_REPLICATION_FACTOR: {
    meaning: 'the replication factor `escrow kafka create-topics` uses (1 on a single broker)',
  },
  KAFKA_RETENTION_DAYS: {
    meaning: "the topics' `retention.ms` (delete policy) that `escrow kafka create-topics` sets",
  },
  COMMAND_REPLY_TIMEOUT_MS: {
    meaning: "how long the API waits for a command's outcome before answering 202",
  },
  WORKER_MAX_IN_FLIGHT: { meaning: 'commands in flight per `worker` process' },
  WORKER_MAX_ATTEMPTS: { meaning: 'attempts before a failing command goes to the DLQ' },
  KAFKA_SESSION_TIMEOUT_MS: {
    meaning: "after this long without heartbeats a worker's partitions go to the others",
  },
  KAFKA_FETCH_MAX_WAIT_MS: {
    meaning: 'longest idle fetch of a worker (a broker answers sooner when commands arrive)',
  },
  KAFKA_LINGER_MS: {
    meaning: 'the API gathers commands sent within this window into one produce request',
  },
} satisfies Record<string, VariableDoc>;
