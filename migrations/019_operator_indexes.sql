-- `escrow show <id>` (GET /api/admin/escrows/{id}/timeline) reads one escrow's outbox rows and provider webhooks:
-- without these it scans both tables (the outbox's own indexes cover only unpublished and dead-lettered rows).
CREATE INDEX outbox_escrow ON outbox (escrow_id, id);
CREATE INDEX webhook_events_escrow ON webhook_events (escrow_id) WHERE escrow_id IS NOT NULL;
