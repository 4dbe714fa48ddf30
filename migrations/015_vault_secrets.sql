-- The vault's sealed secrets under concurrent sets (docs/vault.md). escrow_commit of 013 deleted every secret of the
-- escrow but the one its vault now cites, so a second SetVault racing the first lost its freshly stored secret before
-- it committed (ES404). Now a vault change deletes only the secret it replaced (the fingerprint the vault cited
-- before); secrets put for a SetVault that never committed are swept by the store (SqlVaultSecretStore.put and
-- sweepOrphans: uncited and older than an hour). Otherwise escrow_commit is 013's, unchanged.

CREATE OR REPLACE FUNCTION escrow_commit(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  outcome jsonb := escrow_commit_core(p);
  eid     uuid := (p -> 'command' ->> 'escrowId')::uuid;
  cited   text := p -> 'vault' ->> 'fingerprint';
  replaced text;
BEGIN
  IF (outcome ->> 'duplicate')::boolean THEN
    RETURN outcome;
  END IF;
  IF jsonb_array_length(COALESCE(p -> 'suspense', '[]'::jsonb)) > 0 THEN
    INSERT INTO suspense_items (id, escrow_id, amount, currency, transaction_id, provider_event_id, source, reason,
                                status, received_at, resolved_at, resolved_by, resolution_reason, settlement_id)
      SELECT id, escrow_id, amount, currency, transaction_id, provider_event_id, source, reason, status, received_at,
             resolved_at, resolved_by, resolution_reason, settlement_id
      FROM jsonb_populate_recordset(NULL::suspense_items, p -> 'suspense')
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, resolved_at = excluded.resolved_at,
        resolved_by = excluded.resolved_by, resolution_reason = excluded.resolution_reason,
        settlement_id = excluded.settlement_id;
  END IF;
  -- a dispute's later submissions (escrow_commit_core's upsert of a dispute changes only its ruling columns)
  IF jsonb_array_length(COALESCE(p -> 'disputes', '[]'::jsonb)) > 0 THEN
    UPDATE disputes d SET submissions = x.submissions
      FROM jsonb_populate_recordset(NULL::disputes, p -> 'disputes') x
      WHERE d.id = x.id AND d.submissions IS DISTINCT FROM x.submissions;
  END IF;
  IF (p ->> 'milestonesReplaced')::boolean THEN
    DELETE FROM milestones WHERE escrow_id = eid;
  END IF;
  IF jsonb_array_length(COALESCE(p -> 'milestones', '[]'::jsonb)) > 0 THEN
    INSERT INTO milestones SELECT * FROM jsonb_populate_recordset(NULL::milestones, p -> 'milestones')
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, delivered_at = excluded.delivered_at,
        confirm_by = excluded.confirm_by, seller_amount = excluded.seller_amount, buyer_amount = excluded.buyer_amount,
        fee_amount = excluded.fee_amount, resolved_at = excluded.resolved_at;
  END IF;
  IF p -> 'vault' IS NOT NULL AND p -> 'vault' <> 'null'::jsonb THEN
    -- FOR SHARE: a sweep deleting it concurrently waits for this commit, and then finds it cited
    PERFORM 1 FROM vault_secrets WHERE fingerprint = p -> 'vault' ->> 'fingerprint' AND escrow_id = eid FOR SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no sealed secret % for escrow %', p -> 'vault' ->> 'fingerprint', eid USING ERRCODE = 'ES404';
    END IF;
    -- the escrow's row is locked by escrow_commit_core's version-guarded update: this is the fingerprint replaced
    SELECT fingerprint INTO replaced FROM escrow_vaults WHERE escrow_id = eid;
    INSERT INTO escrow_vaults SELECT * FROM jsonb_populate_record(NULL::escrow_vaults, p -> 'vault')
      ON CONFLICT (escrow_id) DO UPDATE SET kind = excluded.kind, file = excluded.file,
        fingerprint = excluded.fingerprint, revision = excluded.revision, set_by = excluded.set_by,
        set_at = excluded.set_at, first_revealed_at = excluded.first_revealed_at, reveal_count = excluded.reveal_count;
    IF replaced IS NOT NULL AND replaced <> cited THEN
      DELETE FROM vault_secrets WHERE escrow_id = eid AND fingerprint = replaced;
    END IF;
  END IF;
  RETURN outcome;
END $$;

-- Keyed PUT /vault requests before this migration stored a plain SHA-256 of a body holding the secret (in the
-- command's result and its stored response's row): dropped, so no unkeyed hash of a secret stays. Such a key, retried,
-- is refused as another request (422 IDEMPOTENCY_KEY_REUSED); a new key sets the vault.
UPDATE processed_commands SET result = result - 'requestHash' WHERE type = 'SetVault' AND result ? 'requestHash';
DELETE FROM idempotency_keys WHERE id IN (SELECT command_id FROM processed_commands WHERE type = 'SetVault');
