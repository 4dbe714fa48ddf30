-- Outgoing webhooks (issue 14): the marketplace's endpoints, their signing secrets, one message per event and
-- endpoint, and every delivery attempt. The `webhooks` role fans messages out from the outbox by its own cursor.

-- Each outbox row names the transaction that wrote it. Identity ids are handed out before commit, so a row with a
-- lower id can commit after one with a higher id; the webhooks cursor therefore moves by (tx, id) and only over rows
-- whose transaction ended before any still running began (pg_snapshot_xmin): it never passes a row that commits
-- later. Rows written before this migration keep NULL (they are behind every cursor). SET DEFAULT after ADD COLUMN
-- does not rewrite the table.
ALTER TABLE outbox ADD COLUMN tx xid8;
ALTER TABLE outbox ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
-- the fan-out reads the rows past its cursor (and `escrow queues` counts them) by this index, not the whole outbox
CREATE INDEX outbox_tx ON outbox (tx, id) WHERE tx IS NOT NULL;

CREATE TABLE webhook_cursor (
  name       text PRIMARY KEY,
  tx         xid8 NOT NULL,
  outbox_id  bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Endpoints receive what is committed from now on (and `recover` for what came before).
INSERT INTO webhook_cursor (name, tx, outbox_id) VALUES ('webhooks', pg_current_xact_id(), 0);

CREATE TABLE webhook_endpoints (
  id              uuid PRIMARY KEY,
  url             text NOT NULL,
  description     text NOT NULL DEFAULT '',
  -- NULL: every event type
  event_types     text[],
  enabled         boolean NOT NULL DEFAULT true,
  disabled_reason text,
  disabled_at     timestamptz,
  -- the first failed attempt since the last delivered one: five days of it disables the endpoint
  failing_since   timestamptz,
  -- where the webhooks cursor stood when it was disabled: enabling it queues the events fanned out since (missed)
  missed_from_tx  xid8,
  missed_from_id  bigint,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);

-- Whoever disables an endpoint (a caller, a 410, the 5-day rule, a create with enabled=false), the cursor's position
-- is kept with it, in the same statement.
CREATE FUNCTION webhook_endpoint_disabled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT NEW.enabled AND (TG_OP = 'INSERT' OR OLD.enabled) THEN
    SELECT tx, outbox_id INTO NEW.missed_from_tx, NEW.missed_from_id FROM webhook_cursor WHERE name = 'webhooks';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER webhook_endpoints_disabled BEFORE INSERT OR UPDATE OF enabled ON webhook_endpoints
  FOR EACH ROW EXECUTE FUNCTION webhook_endpoint_disabled();

-- Signing secrets: the current one (expires_at NULL) and, after a rotation, the previous one until it expires.
CREATE TABLE webhook_endpoint_secrets (
  id          uuid PRIMARY KEY,
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  secret      text NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz
);
CREATE INDEX webhook_endpoint_secrets_endpoint ON webhook_endpoint_secrets (endpoint_id);

CREATE TABLE webhook_messages (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id        uuid NOT NULL,
  escrow_id       uuid NOT NULL,
  sequence        integer NOT NULL,
  event_type      text NOT NULL,
  occurred_at     timestamptz NOT NULL,
  status          text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
  -- every attempt ever made (the attempt log's numbering); round: attempts since the last (re)send (the schedule)
  attempts        integer NOT NULL DEFAULT 0,
  round           integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz DEFAULT now(),
  locked_until    timestamptz,
  locked_by       text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- when it was last queued: fanned out, or resent / recovered (the backlog's age counts from here)
  queued_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  last_error      text,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at, id) WHERE status = 'PENDING';
CREATE INDEX webhook_messages_pending_escrow ON webhook_messages (endpoint_id, escrow_id, sequence)
  WHERE status = 'PENDING';
CREATE INDEX webhook_messages_endpoint ON webhook_messages (endpoint_id, id);

CREATE TABLE webhook_attempts (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id       bigint NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
  attempt          integer NOT NULL,
  at               timestamptz NOT NULL DEFAULT now(),
  status           integer,
  latency_ms       integer NOT NULL,
  response_excerpt text,
  error            text,
  outcome          text NOT NULL CHECK (outcome IN ('DELIVERED', 'RETRYING', 'FAILED'))
);
CREATE INDEX webhook_attempts_message ON webhook_attempts (message_id, id);

-- `recover --since --until` finds an endpoint's events by time; the business reports read by time too.
CREATE INDEX escrow_events_occurred ON escrow_events (occurred_at);

ALTER TABLE process_heartbeats DROP CONSTRAINT process_heartbeats_role_check;
ALTER TABLE process_heartbeats ADD CONSTRAINT process_heartbeats_role_check
  CHECK (role IN ('api', 'worker', 'settlements', 'timeouts', 'outbox', 'reconciler', 'webhooks'));
