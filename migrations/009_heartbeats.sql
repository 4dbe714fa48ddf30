-- Role heartbeats (issue 10 §5, §3): each running role of each process keeps a row here, refreshed every
-- HEARTBEAT_INTERVAL_SECONDS by the database's clock and deleted on a clean stop. An instance unseen for
-- HEARTBEAT_STALE_SECONDS is gone: /health on every replica says which roles have a live instance, and what a gone
-- instance held (an Idempotency-Key in flight, a settlement lease) may be taken over at once instead of waiting for the
-- lock or lease to run out.
CREATE TABLE process_heartbeats (
  instance_id  uuid NOT NULL,            -- one per process start
  role         text NOT NULL CHECK (role IN ('api', 'worker', 'settlements', 'timeouts', 'outbox')),
  host         text NOT NULL,
  pid          integer NOT NULL,
  version      text NOT NULL,
  started_at   timestamptz NOT NULL,
  last_seen    timestamptz NOT NULL,
  PRIMARY KEY (instance_id, role)
);
CREATE INDEX process_heartbeats_role_seen ON process_heartbeats (role, last_seen);

-- who holds what: the process whose request holds a key in flight, the process that leased a settlement
ALTER TABLE idempotency_keys ADD COLUMN owner_instance uuid;
ALTER TABLE settlements ADD COLUMN locked_by uuid;
