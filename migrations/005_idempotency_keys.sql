-- Idempotency-Key responses (SPEC §5), kept IDEMPOTENCY_TTL_HOURS for replay when IDEMPOTENCY_STORAGE=postgres.
--
-- This table is a response cache with an in-flight lock, not the exactly-once guarantee: a keyed request's command id
-- is derived from (caller, key) and recorded in processed_commands inside the business transaction, so a request whose
-- row here was lost, expired or left locked by a crash still has at most one effect. A row is written only after the
-- request was validated; `status` is NULL while the first request is in flight, and a lock older than `locked_until`
-- (the request died) may be taken over by a retry of the same key.
CREATE TABLE idempotency_keys (
  id            uuid PRIMARY KEY,          -- the command id derived from (caller, key)
  request_hash  text NOT NULL,             -- sha256 of method, route, params and body
  status        smallint,                  -- the stored response's status; NULL while in flight
  content_type  text,
  body          text,                      -- the stored response, byte for byte
  locked_until  timestamptz,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
