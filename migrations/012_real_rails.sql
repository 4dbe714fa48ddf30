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

-- escrow_commit_core (002's body, which 008's escrow_commit wraps) in place, with two changes and no statement more
-- per command: a processed provider event keeps its raw bytes and headers (input webhook.rawBody / webhook.headers),
-- and a settlement put back to PENDING after it was tried starts a new round.
CREATE OR REPLACE FUNCTION escrow_commit_core(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  prior    jsonb;
  expected integer := (p ->> 'expectedVersion')::integer;
  n        integer;
BEGIN
  SELECT result INTO prior FROM processed_commands WHERE command_id = (p -> 'command' ->> 'id')::uuid;
  IF FOUND THEN
    RETURN jsonb_build_object('duplicate', true, 'result', prior);
  END IF;

  IF p -> 'escrow' IS NOT NULL AND p -> 'escrow' <> 'null'::jsonb THEN
    IF expected = 0 THEN
      INSERT INTO escrows SELECT * FROM jsonb_populate_record(NULL::escrows, p -> 'escrow');
    ELSE
      UPDATE escrows e SET
        status = r.status, version = r.version, auto_refund_at = r.auto_refund_at,
        funded_amount = r.funded_amount, released_amount = r.released_amount, refunded_amount = r.refunded_amount,
        fee_amount = r.fee_amount, funding_transaction_id = r.funding_transaction_id, refund_type = r.refund_type,
        cancel_reason = r.cancel_reason, flagged_for_review = r.flagged_for_review, updated_at = r.updated_at
      FROM jsonb_populate_record(NULL::escrows, p -> 'escrow') r
      WHERE e.id = r.id AND e.version = expected;
      GET DIAGNOSTICS n = ROW_COUNT;
      IF n = 0 THEN
        RAISE EXCEPTION 'escrow % is no longer at version %', p -> 'escrow' ->> 'id', expected USING ERRCODE = 'ES409';
      END IF;
    END IF;
  END IF;

  -- optional parts are skipped when empty: every statement costs even with no rows
  IF jsonb_array_length(p -> 'accounts') > 0 THEN
    INSERT INTO ledger_accounts (id, kind, escrow_id, created_at)
      SELECT id, kind, escrow_id, created_at FROM jsonb_populate_recordset(NULL::ledger_accounts, p -> 'accounts');
  END IF;
  IF jsonb_array_length(p -> 'postings') > 0 THEN
    INSERT INTO ledger_postings (transaction_id, escrow_id, account_id, amount, currency, created_at)
      SELECT transaction_id, escrow_id, account_id, amount, currency, created_at
      FROM jsonb_populate_recordset(NULL::ledger_postings, p -> 'postings');
  END IF;

  IF jsonb_array_length(p -> 'deliveries') > 0 THEN
    INSERT INTO deliveries SELECT * FROM jsonb_populate_recordset(NULL::deliveries, p -> 'deliveries');
  END IF;
  IF jsonb_array_length(p -> 'disputes') > 0 THEN
    INSERT INTO disputes SELECT * FROM jsonb_populate_recordset(NULL::disputes, p -> 'disputes')
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, reviewer_id = excluded.reviewer_id,
        resolution = excluded.resolution, buyer_amount = excluded.buyer_amount,
        resolution_reason = excluded.resolution_reason, resolved_at = excluded.resolved_at;
  END IF;
  IF jsonb_array_length(p -> 'settlements') > 0 THEN
    INSERT INTO settlements (id, escrow_id, kind, amount, currency, beneficiary_id, status, provider_reference,
                             failure_reason, created_at, completed_at, next_attempt_at)
      SELECT id, escrow_id, kind, amount, currency, beneficiary_id, status, provider_reference, failure_reason,
             created_at, completed_at, created_at
      FROM jsonb_populate_recordset(NULL::settlements, p -> 'settlements')
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, provider_reference = excluded.provider_reference,
        failure_reason = excluded.failure_reason, completed_at = excluded.completed_at, locked_until = NULL,
        -- an admin retry of a FAILED settlement starts a fresh round of attempts now
        failures = CASE WHEN excluded.status = 'PENDING' THEN 0 ELSE settlements.failures END,
        -- put back to PENDING after it was tried (an admin retry of a FAILED one): a new round, its own provider key
        round = CASE WHEN excluded.status = 'PENDING' AND settlements.attempts > 0 THEN settlements.round + 1
                     ELSE settlements.round END,
        waiting_for = CASE WHEN excluded.status = 'PENDING' THEN NULL ELSE settlements.waiting_for END,
        next_attempt_at = CASE WHEN excluded.status = 'PENDING' THEN (p -> 'command' ->> 'at')::timestamptz
                               ELSE settlements.next_attempt_at END;
  END IF;

  -- one outbox row per event; created_at is the database's clock (the publisher's age figures use it too)
  IF jsonb_array_length(p -> 'events') > 0 THEN
    INSERT INTO escrow_events SELECT * FROM jsonb_populate_recordset(NULL::escrow_events, p -> 'events');
    INSERT INTO outbox (event_id, escrow_id)
      SELECT (ev ->> 'event_id')::uuid, (ev ->> 'escrow_id')::uuid FROM jsonb_array_elements(p -> 'events') ev;
  END IF;

  INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, command_id, from_status, to_status, details, created_at)
    SELECT escrow_id, actor_id, actor_role, action, command_id, from_status, to_status, details, created_at
    FROM jsonb_populate_record(NULL::audit_logs, p -> 'audit');

  -- the provider event, stored raw and marked processed in the same transaction as its effect
  IF p -> 'webhook' IS NOT NULL AND p -> 'webhook' <> 'null'::jsonb THEN
    INSERT INTO webhook_events (provider, event_id, event_type, escrow_id, payload, attempts, processed_at, outcome,
                                raw_body, headers)
    VALUES (p -> 'webhook' ->> 'provider', p -> 'webhook' ->> 'eventId', p -> 'webhook' ->> 'type',
            (p -> 'command' ->> 'escrowId')::uuid, p -> 'webhook' -> 'payload', 1, now(), p -> 'webhook' ->> 'outcome',
            p -> 'webhook' ->> 'rawBody', p -> 'webhook' -> 'headers')
    ON CONFLICT (provider, event_id) DO UPDATE SET processed_at = now(), outcome = excluded.outcome,
      escrow_id = excluded.escrow_id, attempts = webhook_events.attempts + 1, last_error = NULL,
      raw_body = coalesce(webhook_events.raw_body, excluded.raw_body),
      headers = coalesce(webhook_events.headers, excluded.headers);
  END IF;

  INSERT INTO processed_commands (command_id, escrow_id, type, actor, result, created_at)
  VALUES ((p -> 'command' ->> 'id')::uuid, (p -> 'command' ->> 'escrowId')::uuid, p -> 'command' ->> 'type',
          p -> 'command' -> 'actor', p -> 'command' -> 'result', (p -> 'command' ->> 'at')::timestamptz);

  -- No pg_notify here: NOTIFY takes a database-wide lock held until commit, serialising every command's commit.
  -- The process that committed wakes its publisher itself and notifies other processes, coalesced, after commit.
  RETURN jsonb_build_object('duplicate', false);
END $$;

-- the reconciler's three-way report: recently funded escrows and recently succeeded settlements, newest first
CREATE INDEX escrows_funded_updated ON escrows (updated_at) WHERE funding_transaction_id IS NOT NULL;
CREATE INDEX settlements_succeeded ON settlements (completed_at) WHERE status = 'SUCCEEDED';
