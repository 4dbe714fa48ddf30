-- Dual control (SPEC §8, seed 003: the treasury is 2-of-3): an admin's release, refund or dispute resolution above
-- ADMIN_APPROVAL_THRESHOLD is not applied but proposed here, and applied by the command path only once a second,
-- different admin approves it. A proposal is decided once (APPROVED, REJECTED, EXPIRED or FAILED), never deleted; each
-- change is written with its audit_logs row in one transaction by the store. `command_id` is derived from the
-- proposal's id, so an approval retried or raced applies the command once (processed_commands).
CREATE TABLE admin_approvals (
  id             uuid PRIMARY KEY,
  escrow_id      uuid NOT NULL REFERENCES escrows (id),
  command_type   text NOT NULL CHECK (command_type IN ('ReleaseEscrow', 'RefundEscrow', 'ResolveDispute',
                                                     'ReleaseMilestone')),
  payload        jsonb NOT NULL,
  amount         bigint NOT NULL CHECK (amount >= 0),
  currency       text NOT NULL,
  proposed_by    text NOT NULL,
  proposed_role  text NOT NULL,
  reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  status         text NOT NULL DEFAULT 'PENDING'
                 CHECK (status IN ('PENDING', 'APPROVING', 'APPROVED', 'REJECTED', 'EXPIRED', 'FAILED')),
  decided_by     text,
  decided_reason text CHECK (length(decided_reason) BETWEEN 1 AND 500),
  decided_at     timestamptz,
  expires_at     timestamptz NOT NULL,
  command_id     uuid NOT NULL UNIQUE,
  result         jsonb,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  -- APPROVING: claimed by an approver (decided_by), its command being applied; decided once it is
  CHECK ((status IN ('PENDING', 'APPROVING')) = (decided_at IS NULL))
);

-- The list, newest first, by status; the proposals of one escrow.
CREATE INDEX admin_approvals_status ON admin_approvals (status, created_at DESC, id DESC);
CREATE INDEX admin_approvals_escrow ON admin_approvals (escrow_id);
