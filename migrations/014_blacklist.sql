-- The blacklist (SPEC §6, seed 003 RB-04): user ids and wallet addresses an admin has barred, checked when an escrow
-- is created and when a payment arrives. Entries are never deleted: removing one stamps removed_* so the history stays
-- (and each change has its audit_logs row, written in the same transaction by the store).
CREATE TABLE blacklist_entries (
  id             uuid PRIMARY KEY,
  kind           text NOT NULL CHECK (kind IN ('USER', 'WALLET')),
  -- USER: the marketplace's user id as in buyerId/sellerId; WALLET: an address, lower-case
  value          text NOT NULL CHECK (length(value) BETWEEN 1 AND 128),
  reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  source         text NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
  expires_at     timestamptz,
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL,
  removed_at     timestamptz,
  removed_by     text,
  removal_reason text CHECK (length(removal_reason) BETWEEN 1 AND 500),
  CHECK (kind <> 'WALLET' OR value = lower(value)),
  CHECK ((removed_at IS NULL) = (removed_by IS NULL) AND (removed_at IS NULL) = (removal_reason IS NULL))
);

-- At most one entry per (kind, value) not removed (an expired one is retired by the store when a new one is added);
-- also the index the create and payment checks look values up in.
CREATE UNIQUE INDEX blacklist_entries_active ON blacklist_entries (kind, value) WHERE removed_at IS NULL;
-- The admin list, newest first.
CREATE INDEX blacklist_entries_created ON blacklist_entries (created_at DESC, id DESC);
