-- Per-escrow order behind a dead letter: an escrow's later events wait while one of its events is dead-lettered,
-- until an operator replays it or skips it. A skipped row is neither published nor dead: skipped_at says when
-- (the audit row says who and why), and the events behind it go out.
ALTER TABLE outbox ADD COLUMN skipped_at timestamptz;

-- the claim asks, per escrow, whether an earlier event is dead-lettered
CREATE INDEX outbox_dead_escrow ON outbox (escrow_id, id) WHERE dead_lettered_at IS NOT NULL;
