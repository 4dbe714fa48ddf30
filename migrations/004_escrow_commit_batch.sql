-- Group commit: several commands (each an escrow_commit input) in one transaction and one round trip.
-- isolate = true runs each under its own savepoint (a plpgsql exception block), so one failing command rolls back
-- only itself, and returns one outcome per input, in order: escrow_commit's result, or
-- {"error": {code, message, constraint}}. isolate = false skips the savepoints (they cost a subtransaction per
-- command, about 15% of the throughput) and lets the first error abort the whole batch; the caller then retries
-- the batch isolated.
CREATE FUNCTION escrow_commit_batch(ps jsonb, isolate boolean DEFAULT true) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  p          jsonb;
  outcomes   jsonb := '[]'::jsonb;
  outcome    jsonb;
  constraint_name text;
BEGIN
  FOR p IN SELECT value FROM jsonb_array_elements(ps) WITH ORDINALITY AS t(value, n) ORDER BY n LOOP
    IF NOT isolate THEN
      outcome := escrow_commit(p);
    ELSE
      BEGIN
        outcome := escrow_commit(p);
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS constraint_name = CONSTRAINT_NAME;
        outcome := jsonb_build_object('error',
          jsonb_build_object('code', SQLSTATE, 'message', SQLERRM, 'constraint', NULLIF(constraint_name, '')));
      END;
    END IF;
    outcomes := outcomes || jsonb_build_array(outcome);
  END LOOP;
  RETURN outcomes;
END $$;
