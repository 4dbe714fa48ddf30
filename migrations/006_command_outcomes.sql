-- Command outcomes beyond "applied" (SPEC §4: "permanent ones recorded as the command's failed result").
--
-- A command submitted by a client (HTTP, or the Kafka commands topic) that the decider refuses is recorded in
-- processed_commands too, with `rejected = true` and the error in `result.rejection`: its id then has one outcome for
-- good, so a redelivery (Kafka after a crash, a retried request) answers the same refusal instead of being decided
-- again on a state that has moved on. Commands of the engine's own workers (webhooks, timeouts, settlements) are not
-- recorded when refused: their ids are derived and a later attempt must be able to succeed.
ALTER TABLE processed_commands ADD COLUMN rejected boolean NOT NULL DEFAULT false;

-- A command the API handed to Kafka and stopped waiting for (it answered 202): lets GET /api/commands/{id} say
-- PENDING until the worker records its outcome. Written only on that slow path.
CREATE TABLE command_submissions (
  command_id    uuid PRIMARY KEY,
  escrow_id     uuid NOT NULL,
  type          text NOT NULL,
  actor         jsonb NOT NULL,
  submitted_at  timestamptz NOT NULL
);
