-- Suspense (issue 10 §5): money the provider holds that funds no escrow — a wrong amount or currency, a payment after
-- the escrow was cancelled or expired, a second payment — is booked to the platform:suspense account (per currency)
-- and kept as an item of its escrow until an admin refunds it to the buyer or applies it to the escrow, once.
-- contract: change constraint ledger_accounts.ledger_accounts_check (only adds SUSPENSE, which no earlier row has)

ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check
  CHECK (kind IN ('EXTERNAL', 'HOLDING', 'SELLER_PAYABLE', 'BUYER_REFUNDABLE', 'FEE_REVENUE', 'SUSPENSE'));
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_check
  CHECK ((kind IN ('EXTERNAL', 'FEE_REVENUE', 'SUSPENSE')) = (escrow_id IS NULL));
INSERT INTO ledger_accounts (id, kind) VALUES ('platform:suspense', 'SUSPENSE');

CREATE TABLE suspense_items (
  id                uuid PRIMARY KEY,
  -- insertion order = booking order (the aggregate lists items as its events booked them)
  n                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  escrow_id         uuid NOT NULL REFERENCES escrows (id),
  amount            bigint NOT NULL CHECK (amount >= 0),
  currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3,5}$'),
  transaction_id    text NOT NULL,
  provider_event_id text,
  source            text NOT NULL CHECK (source IN ('WEBHOOK', 'MANUAL')),
  reason            text NOT NULL CHECK (reason IN ('AMOUNT_MISMATCH', 'CURRENCY_MISMATCH', 'ESCROW_CANCELLED',
                                                    'ESCROW_EXPIRED', 'DUPLICATE_PAYMENT')),
  status            text NOT NULL CHECK (status IN ('OPEN', 'REFUNDED', 'APPLIED')),
  received_at       timestamptz NOT NULL,
  resolved_at       timestamptz,
  resolved_by       text,
  resolution_reason text,
  settlement_id     uuid,
  UNIQUE (escrow_id, transaction_id),
  CHECK ((status = 'OPEN') = (resolved_at IS NULL)),
  CHECK ((status = 'REFUNDED') = (settlement_id IS NOT NULL))
);
CREATE INDEX suspense_items_escrow ON suspense_items (escrow_id, n);
CREATE INDEX suspense_items_received ON suspense_items (received_at DESC, id DESC);
CREATE INDEX suspense_items_open ON suspense_items (received_at DESC, id DESC) WHERE status = 'OPEN';

-- GET /api/escrow?flagged=true: the review queue, newest first
CREATE INDEX escrows_flagged_created ON escrows (created_at DESC, id DESC) WHERE flagged_for_review;

-- an item is resolved at most once: once refunded or applied it never changes again
CREATE FUNCTION suspense_items_resolved_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> 'OPEN' AND NEW IS DISTINCT FROM OLD THEN
    RAISE EXCEPTION 'suspense item % is already %', OLD.id, OLD.status USING ERRCODE = 'ES003';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER suspense_items_resolved_once BEFORE UPDATE ON suspense_items
  FOR EACH ROW EXECUTE FUNCTION suspense_items_resolved_once();
CREATE TRIGGER suspense_items_no_delete BEFORE DELETE ON suspense_items
  FOR EACH ROW EXECUTE FUNCTION forbid_update_delete();

-- escrow_commit writes the command's suspense rows too (input key "suspense": the items that changed). It wraps the
-- version in place (renamed escrow_commit_core) rather than copying it, so the two stay one function body.
ALTER FUNCTION escrow_commit(jsonb) RENAME TO escrow_commit_core;
CREATE FUNCTION escrow_commit(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
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
  RETURN outcome;
END $$;

-- escrow_aggregate (003) with the escrow's suspense items
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
      SELECT jsonb_agg(jsonb_build_object('id', d.id, 'title', d.title, 'description', d.description,
               'evidence', d.evidence, 'deliveredBy', d.delivered_by, 'createdAt', iso(d.created_at))
             ORDER BY d.created_at, d.id)
      FROM deliveries d WHERE d.escrow_id = e.id), '[]'::jsonb),
    'disputes', COALESCE((
      SELECT jsonb_agg(jsonb_build_object('id', d.id, 'openedBy', d.opened_by, 'reason', d.reason,
               'description', d.description, 'evidence', d.evidence, 'status', d.status, 'reviewerId', d.reviewer_id,
               'resolution', d.resolution, 'buyerAmount', d.buyer_amount::text,
               'resolutionReason', d.resolution_reason, 'createdAt', iso(d.created_at), 'resolvedAt', iso(d.resolved_at))
             ORDER BY d.created_at, d.id)
      FROM disputes d WHERE d.escrow_id = e.id), '[]'::jsonb),
    'settlements', COALESCE((
      SELECT jsonb_agg(jsonb_build_object('id', s.id, 'kind', s.kind, 'amount', s.amount::text,
               'currency', s.currency, 'beneficiaryId', s.beneficiary_id, 'status', s.status,
               'providerReference', s.provider_reference, 'failureReason', s.failure_reason,
               'createdAt', iso(s.created_at), 'completedAt', iso(s.completed_at))
             ORDER BY s.created_at, s.kind)
      FROM settlements s WHERE s.escrow_id = e.id), '[]'::jsonb),
    'suspense', COALESCE((
      SELECT jsonb_agg(jsonb_build_object('id', s.id, 'amount', s.amount::text, 'currency', s.currency,
               'transactionId', s.transaction_id, 'providerEventId', s.provider_event_id, 'source', s.source,
               'reason', s.reason, 'status', s.status, 'receivedAt', iso(s.received_at),
               'resolvedAt', iso(s.resolved_at), 'resolvedBy', s.resolved_by,
               'resolutionReason', s.resolution_reason, 'settlementId', s.settlement_id)
             ORDER BY s.n)
      FROM suspense_items s WHERE s.escrow_id = e.id), '[]'::jsonb));
END $$;
