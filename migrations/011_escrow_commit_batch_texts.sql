-- Group commit takes each command as its own JSON text and parses it inside that command's savepoint. With the batch
-- sent as one jsonb parameter, text that jsonb refuses (a NUL, a lone surrogate) in one command failed the cast of the
-- whole batch before any savepoint, so the isolated retry failed too and every neighbour was refused with it. Now such
-- a command fails alone like any other failing command. Outcomes as in 004: one per input, in order, escrow_commit's
-- result or {"error": {code, message, constraint}}; isolate = false lets the first error abort the batch.
-- The jsonb form of 004 stays for processes of the previous version during a rolling upgrade (this version never
-- calls it); a later migration may drop it.

CREATE FUNCTION escrow_commit_batch(ps text[], isolate boolean DEFAULT true) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  outcomes   jsonb := '[]'::jsonb;
  outcome    jsonb;
  constraint_name text;
BEGIN
  FOR i IN 1 .. coalesce(array_length(ps, 1), 0) LOOP
    IF NOT isolate THEN
      outcome := escrow_commit(ps[i]::jsonb);
    ELSE
      BEGIN
        outcome := escrow_commit(ps[i]::jsonb);
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
