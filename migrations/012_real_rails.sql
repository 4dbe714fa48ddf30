-- Real rails (issue 11): sellers' payout accounts, webhooks stored as the bytes that arrived, settlements that wait
-- (for a payout account, or for the provider's final word), shared risk-screening results with a TTL, and the
-- reconciler as a role of its own.

-- A marketplace registers where each seller is paid, per rail (a Stripe connected account, a Paystack transfer
-- recipient, a wallet address). Every change is an audit row; the row holds the current destination.
CREATE TABLE payout_accounts (
  seller_id     text NOT NULL CHECK (length(seller_id) BETWEEN 1 AND 128),
  rail          text NOT NULL CHECK (rail IN ('SANDBOX', 'STRIPE', 'USDC_BASE', 'PAYSTACK')),
  account_id    text NOT NULL CHECK (length(account_id) BETWEEN 1 AND 200),
  detail        text,
  registered_by text NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (seller_id, rail)
);

-- What arrived, byte for byte (a re-serialised JSON body no longer matches its signature), and the headers the
-- signature needs: `escrow webhooks reprocess` verifies and applies exactly that again.
ALTER TABLE webhook_events ADD COLUMN raw_body text;
ALTER TABLE webhook_events ADD COLUMN headers jsonb;

-- A settlement that is not failing but waiting: PAYOUT_ACCOUNT (the seller has none on the rail; registering one
-- wakes it) or PROVIDER (the provider accepted it and its final word comes by webhook or the next check).
ALTER TABLE settlements ADD COLUMN waiting_for text CHECK (waiting_for IN ('PAYOUT_ACCOUNT', 'PROVIDER'));
ALTER TABLE settlements ADD COLUMN submitted_reference text;
-- Admin retries of a FAILED settlement, counted: each round has its own idempotency key and provider reference
-- (`<id>-r<n>`), since a provider that keeps the failed transfer under its reference would answer that failure again.
ALTER TABLE settlements ADD COLUMN round integer NOT NULL DEFAULT 0 CHECK (round >= 0);
CREATE INDEX settlements_waiting ON settlements (waiting_for, created_at) WHERE status = 'PENDING' AND waiting_for IS NOT NULL;

-- Risk screening results (USDC deposits), shared by every replica, each valid until expires_at (never forever).
CREATE TABLE risk_screenings (
  address     text NOT NULL,
  screener    text NOT NULL,
  verdict     text NOT NULL CHECK (verdict IN ('PASS', 'REVIEW', 'REJECT')),
  score       integer,
  detail      text,
  screened_at timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (address, screener)
);

-- The reconciler beats like every other role.
ALTER TABLE process_heartbeats DROP CONSTRAINT process_heartbeats_role_check;
ALTER TABLE process_heartbeats ADD CONSTRAINT process_heartbeats_role_check
  CHECK (role IN ('api', 'worker', 'settlements', 'timeouts', 'outbox', 'reconciler'));

-- AWAIT_FUNDS escrows by age, for the reconciler's missed-payment sweep.
CREATE INDEX escrows_awaiting_created ON escrows (created_at) WHERE status = 'AWAIT_FUNDS';

-- escrow_commit (008's wrapper) also keeps the raw bytes and headers of the provider event it marks processed (input
-- key webhook.rawBody / webhook.headers), in the same transaction; the core function stays as it is.
CREATE OR REPLACE FUNCTION escrow_commit(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  outcome jsonb := escrow_commit_core(p);
BEGIN
  IF NOT (outcome ->> 'duplicate')::boolean AND jsonb_array_length(COALESCE(p -> 'suspense', '[]'::jsonb)) > 0 THEN
    INSERT INTO suspense_items (id, escrow_id, amount, currency, transaction_id, provider_event_id, source, reason,
                                status, received_at, resolved_at, resolved_by, resolution_reason, settlement_id)
      SELECT id, escrow_id, amount, currency, transaction_id, provider_event_id, source, reason, status, received_at,
             resolved_at, resolved_by, resolution_reason, settlement_id
      FROM jsonb_populate_recordset(NULL::suspense_items, p -> 'suspense')
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, resolved_at = excluded.resolved_at,
        resolved_by = excluded.resolved_by, resolution_reason = excluded.resolution_reason,
        settlement_id = excluded.settlement_id;
  END IF;
  -- a settlement put back to PENDING after it was tried (an admin retry of a FAILED one) starts a new round
  IF NOT (outcome ->> 'duplicate')::boolean AND jsonb_array_length(COALESCE(p -> 'settlements', '[]'::jsonb)) > 0 THEN
    UPDATE settlements s SET round = s.round + 1, waiting_for = NULL, submitted_reference = NULL
      FROM jsonb_array_elements(p -> 'settlements') x
     WHERE s.id = (x ->> 'id')::uuid AND x ->> 'status' = 'PENDING' AND s.attempts > 0;
  END IF;
  IF NOT (outcome ->> 'duplicate')::boolean AND p -> 'webhook' ? 'rawBody' THEN
    UPDATE webhook_events SET raw_body = p -> 'webhook' ->> 'rawBody', headers = p -> 'webhook' -> 'headers'
     WHERE provider = p -> 'webhook' ->> 'provider' AND event_id = p -> 'webhook' ->> 'eventId';
  END IF;
  RETURN outcome;
END $$;

-- the reconciler's three-way report: recently funded escrows and recently succeeded settlements, newest first
CREATE INDEX escrows_funded_updated ON escrows (updated_at) WHERE funding_transaction_id IS NOT NULL;
CREATE INDEX settlements_succeeded ON settlements (completed_at) WHERE status = 'SUCCEEDED';
