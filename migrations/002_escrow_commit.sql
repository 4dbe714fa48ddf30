-- escrow_commit: the write half of the command path, in one round trip and one transaction.
-- Input (jsonb): command, expectedVersion (0 = create), escrow (the new row), events, accounts, postings,
-- deliveries/disputes/settlements (rows that changed), audit, webhook (optional: provider, eventId, type, payload, outcome).
-- Returns {"duplicate": true, "result": ...} when the command id was already applied (nothing written),
-- else {"duplicate": false}. Raises ES409 on a version conflict; unique violations propagate with their constraint.
CREATE FUNCTION escrow_commit(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
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
    INSERT INTO webhook_events (provider, event_id, event_type, escrow_id, payload, attempts, processed_at, outcome)
    VALUES (p -> 'webhook' ->> 'provider', p -> 'webhook' ->> 'eventId', p -> 'webhook' ->> 'type',
            (p -> 'command' ->> 'escrowId')::uuid, p -> 'webhook' -> 'payload', 1, now(), p -> 'webhook' ->> 'outcome')
    ON CONFLICT (provider, event_id) DO UPDATE SET processed_at = now(), outcome = excluded.outcome,
      escrow_id = excluded.escrow_id, attempts = webhook_events.attempts + 1, last_error = NULL;
  END IF;

  INSERT INTO processed_commands (command_id, escrow_id, type, actor, result, created_at)
  VALUES ((p -> 'command' ->> 'id')::uuid, (p -> 'command' ->> 'escrowId')::uuid, p -> 'command' ->> 'type',
          p -> 'command' -> 'actor', p -> 'command' -> 'result', (p -> 'command' ->> 'at')::timestamptz);

  -- No pg_notify here: NOTIFY takes a database-wide lock held until commit, serialising every command's commit.
  -- The process that committed wakes its publisher itself and notifies other processes, coalesced, after commit.
  RETURN jsonb_build_object('duplicate', false);
END $$;
