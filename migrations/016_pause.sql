-- The emergency pause (SPEC §8, seed 003 RB-05): an operator stops new business (`intake`) or the movement of money
-- (`payouts`), on every replica and role, without a restart. `all` is both rows. A pause is lifted, never deleted: the
-- history stays, with who set it and why, and who lifted it and why. Each change, its audit_logs row and its NOTIFY on
-- `escrow_pause` are written in one transaction by the store.
CREATE TABLE pauses (
  id          uuid PRIMARY KEY,
  scope       text NOT NULL CHECK (scope IN ('payouts', 'intake')),
  reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  set_by      text NOT NULL,
  set_role    text NOT NULL,
  set_at      timestamptz NOT NULL,
  lifted_at   timestamptz,
  lifted_by   text,
  lift_reason text CHECK (length(lift_reason) BETWEEN 1 AND 500),
  CHECK ((lifted_at IS NULL) = (lifted_by IS NULL) AND (lifted_at IS NULL) = (lift_reason IS NULL))
);

-- At most one pause in force per scope: two operators pausing at once make one pause (the second keeps the first).
CREATE UNIQUE INDEX pauses_in_force ON pauses (scope) WHERE lifted_at IS NULL;
-- The history, newest first.
CREATE INDEX pauses_set_at ON pauses (set_at DESC, id DESC);
