-- What marketplaces trade with (issue 12): milestones, the credential vault, evidence and contract files, dispute
-- deadlines. Expand only: every new column has a default or is nullable, so the previous release keeps working.
-- The exception, the three `n` columns, NOT NULL without a default: a BEFORE INSERT trigger numbers every row, so the
-- previous release's inserts still work.
-- contract: add not null column deliveries.n (filled on insert by the deliveries_number trigger)
-- contract: add not null column disputes.n (filled on insert by the disputes_number trigger)
-- contract: add not null column settlements.n (filled on insert by the settlements_number trigger)

-- Deliveries and disputes cite stored files ([{fileId, sha256, fileName}]); a delivery may be a milestone's.
ALTER TABLE deliveries ADD COLUMN milestone_id uuid;
ALTER TABLE deliveries ADD COLUMN files jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(files) = 'array');

-- A milestone escrow has several deliveries, disputes and payouts, often within the same millisecond: the aggregate
-- lists them in the order they were written (n), as its events recorded them. escrow_commit_core inserts whole rows
-- (jsonb_populate_recordset gives n as NULL), so a trigger numbers them.
CREATE SEQUENCE escrow_children_n;
CREATE FUNCTION number_escrow_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.n IS NULL THEN
    NEW.n := nextval('escrow_children_n');
  END IF;
  RETURN NEW;
END $$;
ALTER TABLE deliveries ADD COLUMN n bigint;
ALTER TABLE disputes ADD COLUMN n bigint;
ALTER TABLE settlements ADD COLUMN n bigint;
-- rows of earlier releases keep the order the aggregate gave them (created_at, then id / kind)
UPDATE deliveries x SET n = o.r FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS r FROM deliveries) o
  WHERE x.id = o.id;
UPDATE disputes x SET n = o.r FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS r FROM disputes) o
  WHERE x.id = o.id;
UPDATE settlements x SET n = o.r FROM (SELECT id, row_number() OVER (ORDER BY created_at, kind) AS r FROM settlements) o
  WHERE x.id = o.id;
SELECT setval('escrow_children_n', 1 + greatest((SELECT count(*) FROM deliveries), (SELECT count(*) FROM disputes),
                                                (SELECT count(*) FROM settlements)));
ALTER TABLE deliveries ALTER COLUMN n SET NOT NULL;
ALTER TABLE disputes ALTER COLUMN n SET NOT NULL;
ALTER TABLE settlements ALTER COLUMN n SET NOT NULL;
CREATE TRIGGER deliveries_number BEFORE INSERT ON deliveries FOR EACH ROW EXECUTE FUNCTION number_escrow_child();
CREATE TRIGGER disputes_number BEFORE INSERT ON disputes FOR EACH ROW EXECUTE FUNCTION number_escrow_child();
-- Rows the previous release writes during a rolling upgrade have no files, submissions or deadlines (its inserts
-- pass NULL for columns it does not know): they get what the domain folds its events into (3 and 7 days).
CREATE FUNCTION escrow_child_defaults() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.files := COALESCE(NEW.files, '[]'::jsonb);
  IF TG_TABLE_NAME = 'disputes' THEN
    NEW.submissions := COALESCE(NEW.submissions, '[]'::jsonb);
    NEW.respond_by := COALESCE(NEW.respond_by, NEW.created_at + interval '3 days');
    NEW.sla_due_at := COALESCE(NEW.sla_due_at, NEW.created_at + interval '7 days');
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER deliveries_defaults BEFORE INSERT ON deliveries FOR EACH ROW EXECUTE FUNCTION escrow_child_defaults();
CREATE TRIGGER disputes_defaults BEFORE INSERT ON disputes FOR EACH ROW EXECUTE FUNCTION escrow_child_defaults();
CREATE TRIGGER settlements_number BEFORE INSERT ON settlements FOR EACH ROW EXECUTE FUNCTION number_escrow_child();

-- A dispute may be about one milestone; it records when the other party's answer and the admins' ruling are due,
-- the files it cites and what either side added later ([{by, statement, evidence, files, at}]).
ALTER TABLE disputes ADD COLUMN milestone_id uuid;
ALTER TABLE disputes ADD COLUMN files jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(files) = 'array');
ALTER TABLE disputes ADD COLUMN submissions jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(submissions) = 'array');
ALTER TABLE disputes ADD COLUMN respond_by timestamptz;
ALTER TABLE disputes ADD COLUMN sla_due_at timestamptz;
-- disputes opened before this release: the defaults the domain applies to their events (3 and 7 days)
UPDATE disputes SET respond_by = created_at + interval '3 days', sla_due_at = created_at + interval '7 days';
CREATE INDEX disputes_open_sla ON disputes (sla_due_at) WHERE status <> 'RESOLVED';
CREATE INDEX disputes_open_respond ON disputes (respond_by) WHERE status <> 'RESOLVED';

-- A milestone escrow's parts, each with its fixed shares of the fees and what was decided for it.
CREATE TABLE milestones (
  id            uuid PRIMARY KEY,
  escrow_id     uuid NOT NULL REFERENCES escrows (id),
  position      integer NOT NULL CHECK (position BETWEEN 1 AND 50),
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  amount        bigint NOT NULL CHECK (amount > 0),
  buyer_fee     bigint NOT NULL CHECK (buyer_fee >= 0),
  seller_fee    bigint NOT NULL CHECK (seller_fee >= 0),
  due_at        timestamptz,
  status        text NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'DISPUTED', 'RELEASED', 'REFUNDED')),
  delivered_at  timestamptz,
  confirm_by    timestamptz,
  seller_amount bigint NOT NULL DEFAULT 0 CHECK (seller_amount >= 0),
  buyer_amount  bigint NOT NULL DEFAULT 0 CHECK (buyer_amount >= 0),
  fee_amount    bigint NOT NULL DEFAULT 0 CHECK (fee_amount >= 0),
  resolved_at   timestamptz,
  UNIQUE (escrow_id, position)
);

-- A milestone escrow stays FUNDS_HELD while its delivered milestones wait for the buyer: the timeout processor finds
-- those by the escrow's earliest confirmation deadline.
CREATE INDEX escrows_milestone_confirmation_due ON escrows (auto_refund_at)
  WHERE status = 'FUNDS_HELD' AND auto_refund_at IS NOT NULL;

-- The vault as the aggregate knows it (never the secret): what it is, its fingerprint, who revealed it when.
CREATE TABLE escrow_vaults (
  escrow_id         uuid PRIMARY KEY REFERENCES escrows (id),
  kind              text NOT NULL CHECK (kind IN ('CREDENTIALS', 'LICENSE_KEY', 'FILE', 'OTHER')),
  file              jsonb,
  fingerprint       text NOT NULL,
  revision          integer NOT NULL CHECK (revision >= 1),
  set_by            text NOT NULL,
  set_at            timestamptz NOT NULL,
  first_revealed_at timestamptz,
  reveal_count      integer NOT NULL DEFAULT 0 CHECK (reveal_count >= 0)
);

-- The sealed secrets (AES-256-GCM; key_id names the key, so keys rotate): written before the SetVault command that
-- cites the fingerprint, read only to reveal it. Nothing here is ever in an event, the outbox or the audit log.
CREATE TABLE vault_secrets (
  fingerprint text PRIMARY KEY CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  escrow_id   uuid NOT NULL,
  key_id      text NOT NULL,
  iv          text NOT NULL,
  ciphertext  text NOT NULL,
  tag         text NOT NULL,
  created_at  timestamptz NOT NULL,
  rotated_at  timestamptz
);
CREATE INDEX vault_secrets_escrow ON vault_secrets (escrow_id);
CREATE INDEX vault_secrets_key ON vault_secrets (key_id);

-- Evidence and contract files: owned by one escrow, stored through the storage port under storage_key. PENDING until
-- the content is in the store and hashed (a presigned upload completes later); only STORED files can be cited.
CREATE TABLE escrow_files (
  id           uuid PRIMARY KEY,
  escrow_id    uuid NOT NULL REFERENCES escrows (id),
  purpose      text NOT NULL CHECK (purpose IN ('EVIDENCE', 'CONTRACT', 'DELIVERABLE')),
  file_name    text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
  content_type text NOT NULL,
  size         bigint CHECK (size >= 0),
  sha256       text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  storage_key  text NOT NULL UNIQUE,
  status       text NOT NULL CHECK (status IN ('PENDING', 'STORED')),
  uploaded_by  text NOT NULL,
  created_at   timestamptz NOT NULL,
  stored_at    timestamptz,
  CHECK ((status = 'STORED') = (sha256 IS NOT NULL AND size IS NOT NULL))
);
CREATE INDEX escrow_files_escrow ON escrow_files (escrow_id, created_at);

-- escrow_commit (008's wrapper of escrow_commit_core) also writes the command's milestones (input "milestones": the
-- rows that changed; "milestonesReplaced": true when a new definition replaces the escrow's earlier one) and its vault
-- state (input "vault"), and keeps only the secret the vault now cites.
CREATE OR REPLACE FUNCTION escrow_commit(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  outcome jsonb := escrow_commit_core(p);
  eid     uuid := (p -> 'command' ->> 'escrowId')::uuid;
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
    IF NOT EXISTS (SELECT 1 FROM vault_secrets WHERE fingerprint = p -> 'vault' ->> 'fingerprint' AND escrow_id = eid)
    THEN
      RAISE EXCEPTION 'no sealed secret % for escrow %', p -> 'vault' ->> 'fingerprint', eid USING ERRCODE = 'ES404';
    END IF;
    INSERT INTO escrow_vaults SELECT * FROM jsonb_populate_record(NULL::escrow_vaults, p -> 'vault')
      ON CONFLICT (escrow_id) DO UPDATE SET kind = excluded.kind, file = excluded.file,
        fingerprint = excluded.fingerprint, revision = excluded.revision, set_by = excluded.set_by,
        set_at = excluded.set_at, first_revealed_at = excluded.first_revealed_at, reveal_count = excluded.reveal_count;
    DELETE FROM vault_secrets WHERE escrow_id = eid AND fingerprint <> p -> 'vault' ->> 'fingerprint';
  END IF;
  RETURN outcome;
END $$;

-- escrow_aggregate (008) with milestones, the vault's state, and the new delivery and dispute fields
CREATE OR REPLACE FUNCTION escrow_aggregate(e escrows) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN jsonb_build_object(
    'id', e.id, 'offerId', e.offer_id, 'contractId', e.contract_id, 'buyerId', e.buyer_id, 'sellerId', e.seller_id,
    'rail', e.rail, 'currency', e.currency, 'amount', e.amount::text, 'buyerFee', e.buyer_fee::text,
    'sellerFee', e.seller_fee::text, 'status', e.status, 'version', e.version, 'expiresAt', iso(e.expires_at),
    'autoRefundAt', iso(e.auto_refund_at), 'metadata', e.metadata, 'payment', e.payment,
    'fundedAmount', e.funded_amount::text, 'releasedAmount', e.released_amount::text,
    'refundedAmount', e.refunded_amount::text, 'feeAmount', e.fee_amount::text,
    'fundingTransactionId', e.funding_transaction_id, 'refundType', e.refund_type, 'cancelReason', e.cancel_reason,
    'flaggedForReview', e.flagged_for_review, 'createdAt', iso(e.created_at), 'updatedAt', iso(e.updated_at),
    'deliveries', COALESCE((
      SELECT jsonb_agg(jsonb_build_object('id', d.id, 'milestoneId', d.milestone_id, 'title', d.title,
               'description', d.description, 'evidence', d.evidence, 'files', d.files, 'deliveredBy', d.delivered_by,
               'createdAt', iso(d.created_at))
             ORDER BY d.n)
      FROM deliveries d WHERE d.escrow_id = e.id), '[]'::jsonb),
    'disputes', COALESCE((
      SELECT jsonb_agg(jsonb_build_object('id', d.id, 'milestoneId', d.milestone_id, 'openedBy', d.opened_by,
               'reason', d.reason, 'description', d.description, 'evidence', d.evidence, 'files', d.files,
               'respondBy', iso(d.respond_by), 'slaDueAt', iso(d.sla_due_at), 'submissions', d.submissions,
               'status', d.status, 'reviewerId', d.reviewer_id, 'resolution', d.resolution,
               'buyerAmount', d.buyer_amount::text, 'resolutionReason', d.resolution_reason,
               'createdAt', iso(d.created_at), 'resolvedAt', iso(d.resolved_at))
             ORDER BY d.n)
      FROM disputes d WHERE d.escrow_id = e.id), '[]'::jsonb),
    'settlements', COALESCE((
      SELECT jsonb_agg(jsonb_build_object('id', s.id, 'kind', s.kind, 'amount', s.amount::text,
               'currency', s.currency, 'beneficiaryId', s.beneficiary_id, 'status', s.status,
               'providerReference', s.provider_reference, 'failureReason', s.failure_reason,
               'createdAt', iso(s.created_at), 'completedAt', iso(s.completed_at))
             ORDER BY s.created_at, s.n)
      FROM settlements s WHERE s.escrow_id = e.id), '[]'::jsonb),
    'suspense', COALESCE((
      SELECT jsonb_agg(jsonb_build_object('id', s.id, 'amount', s.amount::text, 'currency', s.currency,
               'transactionId', s.transaction_id, 'providerEventId', s.provider_event_id, 'source', s.source,
               'reason', s.reason, 'status', s.status, 'receivedAt', iso(s.received_at),
               'resolvedAt', iso(s.resolved_at), 'resolvedBy', s.resolved_by,
               'resolutionReason', s.resolution_reason, 'settlementId', s.settlement_id)
             ORDER BY s.n)
      FROM suspense_items s WHERE s.escrow_id = e.id), '[]'::jsonb),
    'milestones', COALESCE((
      SELECT jsonb_agg(jsonb_build_object('id', m.id, 'position', m.position, 'title', m.title,
               'amount', m.amount::text, 'buyerFee', m.buyer_fee::text, 'sellerFee', m.seller_fee::text,
               'dueAt', iso(m.due_at), 'status', m.status, 'deliveredAt', iso(m.delivered_at),
               'confirmBy', iso(m.confirm_by), 'sellerAmount', m.seller_amount::text,
               'buyerAmount', m.buyer_amount::text, 'feeAmount', m.fee_amount::text, 'resolvedAt', iso(m.resolved_at))
             ORDER BY m.position)
      FROM milestones m WHERE m.escrow_id = e.id), '[]'::jsonb),
    'vault', (
      SELECT jsonb_build_object('kind', v.kind, 'file', v.file, 'fingerprint', v.fingerprint, 'revision', v.revision,
               'setBy', v.set_by, 'setAt', iso(v.set_at), 'firstRevealedAt', iso(v.first_revealed_at),
               'revealCount', v.reveal_count)
      FROM escrow_vaults v WHERE v.escrow_id = e.id));
END $$;
