-- flagroute schema version 2: what the runtime store (src/postgres/postgres-runtime-store.ts)
-- needs beyond version 1 to behave exactly as the file store does (the runtime store
-- conformance suite holds both to it).
--
-- The lease on two clocks. The runtime store interface judges a lease on the clock of whoever
-- acts: a holder reports its heartbeat on its own clock, a reader or a would-be taker judges it
-- on its own, with a bound on clock skew (as in file mode). Version 1 kept only the database's
-- clock. Both are kept now: heartbeat_at and expires_at stay the database's (so a stale
-- controller's writes are refused once its lease ran out on the database's clock, ZF001, even
-- when its own clock is wrong), and holder_heartbeat_at / ttl_ms are the holder's report, which
-- the store judges. A taker that states its clock (SET LOCAL flagroute.now) is judged on it by
-- the takeover check (ZF002), with the same skew rule as the store; a writer that states none
-- (a script, psql) is judged on the database's clock, as before.

ALTER TABLE flagroute.controller_lease
  ADD COLUMN holder_heartbeat_at timestamptz,
  ADD COLUMN ttl_ms integer CHECK (ttl_ms > 0),
  ADD COLUMN released_by text,
  ADD COLUMN health jsonb CHECK (health IS NULL OR jsonb_typeof(health) = 'object');
COMMENT ON COLUMN flagroute.controller_lease.holder_heartbeat_at IS
  'The holder''s last heartbeat on the holder''s own clock, as it reported it; with ttl_ms, what a reader judges on its clock (a heartbeat further ahead than ttl_ms plus 5 s of clock skew is invalid and may be taken over).';
COMMENT ON COLUMN flagroute.controller_lease.released_by IS
  'Who released the lease last (holder null), for the next holder''s log.';
COMMENT ON COLUMN flagroute.controller_lease.health IS
  'The holder''s health at its last heartbeat (status, faults), as /readyz and rollout plan status show it.';

CREATE FUNCTION flagroute.writer_now() RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('flagroute.now', true), '')::timestamptz, now())
$$;
COMMENT ON FUNCTION flagroute.writer_now() IS
  'The clock of the transaction''s writer when it stated one (SET LOCAL flagroute.now), else the database''s.';

CREATE OR REPLACE FUNCTION flagroute.controller_lease_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  clock timestamptz := flagroute.writer_now();
  stated boolean := nullif(current_setting('flagroute.now', true), '') IS NOT NULL;
  live boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.acquired_at := CASE WHEN NEW.holder IS NULL THEN NULL ELSE now() END;
    RETURN NEW;
  END IF;
  IF NEW.fencing_token < OLD.fencing_token THEN
    RAISE EXCEPTION 'the fencing token of % cannot go back from % to %',
      OLD.environment, OLD.fencing_token, NEW.fencing_token USING ERRCODE = 'ZF003';
  END IF;
  IF NEW.holder IS NOT NULL AND NEW.holder IS DISTINCT FROM OLD.holder THEN
    IF stated AND OLD.holder_heartbeat_at IS NOT NULL THEN
      -- Judged as the store judges it: live until the holder's heartbeat plus its time to live,
      -- unless the heartbeat lies further ahead than that plus the clock-skew bound (invalid).
      live := OLD.holder IS NOT NULL
        AND OLD.holder_heartbeat_at + make_interval(secs => OLD.ttl_ms / 1000.0) > clock
        AND OLD.holder_heartbeat_at
            <= clock + make_interval(secs => OLD.ttl_ms / 1000.0) + interval '5 seconds';
    ELSE
      live := OLD.holder IS NOT NULL AND OLD.expires_at > now();
    END IF;
    IF live THEN
      RAISE EXCEPTION 'the controller lease of % is held by % until %',
        OLD.environment, OLD.holder, OLD.expires_at USING ERRCODE = 'ZF002';
    END IF;
    NEW.fencing_token := greatest(NEW.fencing_token, OLD.fencing_token + 1);
    NEW.acquired_at := now();
  END IF;
  RETURN NEW;
END
$$;

-- A command taken without a lease (the store's takeCommands names none) has no fencing token;
-- one taken under a token is still checked (ZF001).
ALTER TABLE flagroute.plan_commands DROP CONSTRAINT plan_commands_check;
ALTER TABLE flagroute.plan_commands
  ADD CONSTRAINT plan_commands_token_when_taken CHECK (fencing_token IS NULL OR taken_at IS NOT NULL),
  ADD COLUMN outcome_read_at timestamptz CHECK (outcome_read_at IS NULL OR result IS NOT NULL);
COMMENT ON COLUMN flagroute.plan_commands.outcome_read_at IS
  'When the person who queued the command read its result (it is given out once).';

CREATE TABLE flagroute.plan_state_set_aside (
  environment text NOT NULL,
  version bigint NOT NULL,
  state jsonb NOT NULL,
  fencing_token bigint NOT NULL,
  changed_at timestamptz NOT NULL,
  set_aside_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (environment, version, set_aside_at)
);
COMMENT ON TABLE flagroute.plan_state_set_aside IS
  'Plan states this flagroute could not read (written by another version, or by hand), moved out of plan_state for a person to look at.';
