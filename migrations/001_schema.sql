-- Escrow Services schema. Every escrow-domain table carries escrow_id so the schema can be distributed by it.
-- Events, ledger postings and audit rows are append-only; no foreign key cascades anywhere.

CREATE FUNCTION forbid_update_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'ES001';
END $$;

CREATE TABLE escrows (
  id                     uuid PRIMARY KEY,
  offer_id               text NOT NULL CHECK (length(offer_id) BETWEEN 1 AND 128),
  contract_id            text CHECK (length(contract_id) BETWEEN 1 AND 128),
  buyer_id               text NOT NULL,
  seller_id              text NOT NULL,
  rail                   text NOT NULL CHECK (rail IN ('SANDBOX', 'STRIPE', 'USDC_BASE', 'PAYSTACK')),
  currency               text NOT NULL CHECK (currency ~ '^[A-Z]{3,5}$'),
  amount                 bigint NOT NULL CHECK (amount > 0),
  buyer_fee              bigint NOT NULL CHECK (buyer_fee >= 0),
  seller_fee             bigint NOT NULL CHECK (seller_fee >= 0 AND seller_fee <= amount),
  status                 text NOT NULL CHECK (status IN ('AWAIT_FUNDS', 'FUNDS_HELD', 'DELIVERED', 'DISPUTED', 'RELEASED', 'REFUNDED', 'CANCELLED')),
  version                integer NOT NULL CHECK (version >= 1),
  expires_at             timestamptz NOT NULL,
  auto_refund_at         timestamptz,
  metadata               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  payment                jsonb NOT NULL,
  payment_reference      text NOT NULL UNIQUE,
  funded_amount          bigint NOT NULL DEFAULT 0 CHECK (funded_amount >= 0),
  released_amount        bigint NOT NULL DEFAULT 0 CHECK (released_amount >= 0),
  refunded_amount        bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
  fee_amount             bigint NOT NULL DEFAULT 0 CHECK (fee_amount >= 0),
  funding_transaction_id text,
  refund_type            text CHECK (refund_type IN ('FULL', 'PARTIAL')),
  cancel_reason          text CHECK (cancel_reason IN ('BUYER_CANCELLED', 'SELLER_CANCELLED', 'ADMIN', 'TIMEOUT')),
  flagged_for_review     boolean NOT NULL DEFAULT false,
  created_at             timestamptz NOT NULL,
  updated_at             timestamptz NOT NULL,
  CHECK (buyer_id <> seller_id),
  -- money out of holding never exceeds money in; a terminal escrow holds nothing
  CHECK (released_amount + refunded_amount + fee_amount <= funded_amount),
  CHECK (status NOT IN ('RELEASED', 'REFUNDED', 'CANCELLED') OR released_amount + refunded_amount + fee_amount = funded_amount),
  CHECK (status = 'AWAIT_FUNDS' OR status = 'CANCELLED' OR funded_amount = amount + buyer_fee)
);
-- at most one non-cancelled escrow per offer
CREATE UNIQUE INDEX escrows_offer_active ON escrows (offer_id) WHERE status <> 'CANCELLED';
CREATE INDEX escrows_contract ON escrows (contract_id) WHERE contract_id IS NOT NULL;
-- the timeout processor's scans touch only due rows
CREATE INDEX escrows_payment_due ON escrows (expires_at) WHERE status = 'AWAIT_FUNDS';
CREATE INDEX escrows_confirmation_due ON escrows (auto_refund_at) WHERE status = 'DELIVERED';
-- list endpoints: newest first, keyset pagination on (created_at, id)
CREATE INDEX escrows_created ON escrows (created_at DESC, id DESC);
CREATE INDEX escrows_status_created ON escrows (status, created_at DESC, id DESC);
CREATE INDEX escrows_buyer_created ON escrows (buyer_id, created_at DESC, id DESC);
CREATE INDEX escrows_seller_created ON escrows (seller_id, created_at DESC, id DESC);
CREATE INDEX escrows_flagged ON escrows (id) WHERE flagged_for_review;

CREATE TABLE escrow_events (
  event_id       uuid PRIMARY KEY,
  escrow_id      uuid NOT NULL REFERENCES escrows (id),
  sequence       integer NOT NULL CHECK (sequence >= 1),
  type           text NOT NULL,
  schema_version integer NOT NULL DEFAULT 1,
  data           jsonb NOT NULL,
  actor          jsonb NOT NULL,
  command_id     uuid NOT NULL,
  correlation_id text,
  causation_id   text,
  occurred_at    timestamptz NOT NULL,
  UNIQUE (escrow_id, sequence)
);
CREATE TRIGGER escrow_events_append_only BEFORE UPDATE OR DELETE ON escrow_events
  FOR EACH ROW EXECUTE FUNCTION forbid_update_delete();

-- one row per applied command: the idempotency record, written in the command's own transaction
CREATE TABLE processed_commands (
  command_id  uuid PRIMARY KEY,
  escrow_id   uuid NOT NULL,
  type        text NOT NULL,
  actor       jsonb NOT NULL,
  result      jsonb NOT NULL,
  created_at  timestamptz NOT NULL
);
CREATE INDEX processed_commands_created ON processed_commands (created_at);

CREATE TABLE ledger_accounts (
  id          text PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('EXTERNAL', 'HOLDING', 'SELLER_PAYABLE', 'BUYER_REFUNDABLE', 'FEE_REVENUE')),
  escrow_id   uuid REFERENCES escrows (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind IN ('EXTERNAL', 'FEE_REVENUE')) = (escrow_id IS NULL))
);
INSERT INTO ledger_accounts (id, kind) VALUES
  ('external:SANDBOX', 'EXTERNAL'), ('external:STRIPE', 'EXTERNAL'), ('external:USDC_BASE', 'EXTERNAL'),
  ('external:PAYSTACK', 'EXTERNAL'), ('platform:fee_revenue', 'FEE_REVENUE');

-- a ledger transaction is the set of postings of one event (transaction_id = event_id).
-- The high-volume append-only tables (postings, outbox, audit, processed commands) carry no foreign keys: they are
-- written only by escrow_commit next to the rows they point at, the FK checks cost about a tenth of a command, and
-- `escrow verify` proves every reference (orphans are reported as violations).
CREATE TABLE ledger_postings (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id uuid NOT NULL,
  escrow_id      uuid NOT NULL,
  account_id     text NOT NULL,
  amount         bigint NOT NULL CHECK (amount <> 0),
  currency       text NOT NULL,
  created_at     timestamptz NOT NULL
);
CREATE INDEX ledger_postings_escrow ON ledger_postings (escrow_id);
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION forbid_update_delete();

-- every ledger transaction balances per currency: checked once per INSERT statement over the new rows
CREATE FUNCTION ledger_postings_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
  SELECT transaction_id, currency, sum(amount) AS total INTO bad
    FROM new_postings GROUP BY transaction_id, currency HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger transaction % does not balance in % (sum %)', bad.transaction_id, bad.currency, bad.total
      USING ERRCODE = 'ES002';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_postings_balance AFTER INSERT ON ledger_postings
  REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_postings_balanced();

CREATE TABLE deliveries (
  id           uuid PRIMARY KEY,
  escrow_id    uuid NOT NULL REFERENCES escrows (id),
  title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description  text CHECK (length(description) <= 5000),
  evidence     jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(evidence) = 'array' AND jsonb_array_length(evidence) <= 50),
  delivered_by text NOT NULL,
  created_at   timestamptz NOT NULL
);
CREATE INDEX deliveries_escrow ON deliveries (escrow_id);

CREATE TABLE disputes (
  id                uuid PRIMARY KEY,
  escrow_id         uuid NOT NULL REFERENCES escrows (id),
  opened_by         text NOT NULL,
  reason            text NOT NULL CHECK (length(reason) BETWEEN 1 AND 100),
  description       text CHECK (length(description) <= 5000),
  evidence          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(evidence) = 'array' AND jsonb_array_length(evidence) <= 50),
  status            text NOT NULL CHECK (status IN ('OPEN', 'IN_REVIEW', 'RESOLVED')),
  reviewer_id       text,
  resolution        text CHECK (resolution IN ('RELEASE', 'REFUND', 'SPLIT')),
  buyer_amount      bigint CHECK (buyer_amount >= 0),
  resolution_reason text,
  created_at        timestamptz NOT NULL,
  resolved_at       timestamptz,
  CHECK ((status = 'RESOLVED') = (resolution IS NOT NULL))
);
-- one open dispute per escrow
CREATE UNIQUE INDEX disputes_one_open ON disputes (escrow_id) WHERE status <> 'RESOLVED';
CREATE INDEX disputes_open_age ON disputes (created_at) WHERE status <> 'RESOLVED';

CREATE TABLE settlements (
  id                 uuid PRIMARY KEY,
  escrow_id          uuid NOT NULL REFERENCES escrows (id),
  kind               text NOT NULL CHECK (kind IN ('PAYOUT', 'REFUND')),
  amount             bigint NOT NULL CHECK (amount > 0),
  currency           text NOT NULL,
  beneficiary_id     text NOT NULL,
  status             text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
  provider_reference text,
  failure_reason     text,
  created_at         timestamptz NOT NULL,
  completed_at       timestamptz,
  -- execution bookkeeping of the settlements worker (not escrow state)
  attempts           integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  failures           integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  next_attempt_at    timestamptz NOT NULL DEFAULT now(),
  locked_until       timestamptz,
  last_error         text
);
CREATE INDEX settlements_escrow ON settlements (escrow_id);
CREATE INDEX settlements_due ON settlements (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX settlements_failed ON settlements (completed_at) WHERE status = 'FAILED';

-- the outbox points at events (no copy of the payload); the publisher reads the event when it claims the row
CREATE TABLE outbox (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id         uuid NOT NULL,
  escrow_id        uuid NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  published_at     timestamptz,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  locked_until     timestamptz,
  locked_by        text,
  last_error       text,
  dead_lettered_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL AND dead_lettered_at IS NULL;
CREATE INDEX outbox_unpublished_escrow ON outbox (escrow_id, id) WHERE published_at IS NULL AND dead_lettered_at IS NULL;

CREATE TABLE audit_logs (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  escrow_id   uuid,
  actor_id    text NOT NULL,
  actor_role  text NOT NULL,
  action      text NOT NULL,
  command_id  uuid,
  from_status text,
  to_status   text,
  details     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL
);
CREATE INDEX audit_logs_escrow ON audit_logs (escrow_id, id);
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION forbid_update_delete();

-- provider webhooks: stored raw on receipt, marked processed in the same transaction as their effect
CREATE TABLE webhook_events (
  provider      text NOT NULL,
  event_id      text NOT NULL,
  event_type    text NOT NULL,
  escrow_id     uuid REFERENCES escrows (id),
  payload       jsonb NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  attempts      integer NOT NULL DEFAULT 0,
  processed_at  timestamptz,
  outcome       text,
  last_error    text,
  PRIMARY KEY (provider, event_id)
);
CREATE INDEX webhook_events_unprocessed ON webhook_events (received_at) WHERE processed_at IS NULL;
