-- Revoked API tokens (issue 13 item 4, seed 004): an admin refuses one token by its id (`jti`), or every token of a
-- subject issued before the revocation (`iat` earlier than `revoked_at`; a token of that subject without `iat` too).
-- Rows are never deleted by a cascade: the history stays, with who revoked and why (and each revocation has its
-- audit_logs row and its NOTIFY on `escrow_token_revocations`, written in the same transaction by the store), so
-- that every replica's in-memory set has it within seconds.
CREATE TABLE token_revocations (
  id           uuid PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('jti', 'subject')),
  -- the token id, or the subject (the actor id the token names)
  value        text NOT NULL CHECK (length(value) BETWEEN 1 AND 128),
  reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  revoked_by   text NOT NULL,
  revoked_role text NOT NULL,
  revoked_at   timestamptz NOT NULL
);

-- One revocation per token id (revoking it again keeps the first); a subject may be revoked again (a later cut-off).
CREATE UNIQUE INDEX token_revocations_jti ON token_revocations (value) WHERE kind = 'jti';
-- The set every replica holds (each subject's latest cut-off) and the admin list, newest first.
CREATE INDEX token_revocations_subject ON token_revocations (value, revoked_at DESC) WHERE kind = 'subject';
CREATE INDEX token_revocations_revoked ON token_revocations (revoked_at DESC, id DESC);
