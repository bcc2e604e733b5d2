-- flagroute schema version 1: what a fleet shares at run time. The YAML files stay the
-- product owners' source of truth; these tables hold what changes while the fleet runs (the
-- runtime layer and the kill switch, the plan's state, the controller's lease, queued plan
-- commands, the live instances) and the events of its experiment (exposures and outcomes, one
-- of each per decision token).
--
-- Applied by `flagroute store migrate` (and by flagroute itself when it opens the store), in one
-- transaction, under an advisory lock, recorded in flagroute.schema_migrations. Never edit this
-- file once released: refine the schema in a migration of its own (docs/fleet.md).
--
-- Every row carries its environment: one database serves production, staging and the rest.
-- Times are the database's clock (now()), never an instance's, so that leases and heartbeats
-- do not depend on the fleet's clocks agreeing.

-- Triggers keep the invariants whoever writes: BEFORE triggers check fencing tokens and number
-- versions; AFTER triggers (which fire only for the row operation that happened, not for the
-- INSERT half of an upsert that became an UPDATE) record history and notify.
--
-- Refusals raised by the triggers below carry their own SQLSTATE (class ZF, flagroute's):
--   ZF001  a write under a fencing token that is not the live lease's (a stale controller)
--   ZF002  taking a lease that another holder still holds
--   ZF003  a fencing token that goes backwards

CREATE FUNCTION flagroute.announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- TG_ARGV: the channel, then the column whose value is sent as "version".
  PERFORM pg_notify(TG_ARGV[0], json_build_object(
    'environment', NEW.environment,
    'version', (to_jsonb(NEW) ->> TG_ARGV[1])::bigint)::text);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION flagroute.announce() IS
  'AFTER trigger: sends {"environment", "version"} on channel TG_ARGV[0], version from column TG_ARGV[1]; delivered when the transaction commits.';

CREATE FUNCTION flagroute.number_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE OLD.version + 1 END;
  NEW.changed_at := now();
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION flagroute.number_version() IS
  'BEFORE trigger: version 1 for a new row, one more on every change, whatever the writer sent; changed_at is now().';

-- The controller lease ----------------------------------------------------------------------

CREATE TABLE flagroute.controller_lease (
  environment text PRIMARY KEY CHECK (environment ~ '^[A-Za-z0-9_-]+$'),
  fencing_token bigint NOT NULL DEFAULT 1 CHECK (fencing_token >= 1),
  holder text CHECK (holder <> ''),
  acquired_at timestamptz,
  heartbeat_at timestamptz,
  expires_at timestamptz,
  CHECK ((holder IS NULL) = (acquired_at IS NULL)
     AND (holder IS NULL) = (heartbeat_at IS NULL)
     AND (holder IS NULL) = (expires_at IS NULL)),
  CHECK (expires_at IS NULL OR expires_at > heartbeat_at)
);
COMMENT ON TABLE flagroute.controller_lease IS
  'Who drives each environment''s rollout plan. One row per environment, kept after release (holder null) so that the fencing token only ever grows. A holder takes it with UPDATE ... WHERE holder IS NULL OR expires_at <= now() OR holder = $me, renews heartbeat_at and expires_at (now() + ttl) on every look, and releases it by setting holder, acquired_at, heartbeat_at and expires_at to null.';
COMMENT ON COLUMN flagroute.controller_lease.fencing_token IS
  'Grows by one each time the lease changes hands (set by a trigger); every write of a controller carries it and is refused (SQLSTATE ZF001) unless it is the live lease''s.';

CREATE FUNCTION flagroute.controller_lease_changes() RETURNS trigger LANGUAGE plpgsql AS $$
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
    IF OLD.holder IS NOT NULL AND OLD.expires_at > now() THEN
      RAISE EXCEPTION 'the controller lease of % is held by % until %',
        OLD.environment, OLD.holder, OLD.expires_at USING ERRCODE = 'ZF002';
    END IF;
    NEW.fencing_token := OLD.fencing_token + 1;
    NEW.acquired_at := now();
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER controller_lease_changes BEFORE INSERT OR UPDATE ON flagroute.controller_lease
  FOR EACH ROW EXECUTE FUNCTION flagroute.controller_lease_changes();

CREATE FUNCTION flagroute.check_fencing_token(environment text, token bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  lease flagroute.controller_lease%ROWTYPE;
BEGIN
  -- FOR SHARE: a takeover cannot commit between this check and the write that follows it.
  SELECT * INTO lease FROM flagroute.controller_lease AS l
    WHERE l.environment = check_fencing_token.environment FOR SHARE;
  IF NOT FOUND OR lease.holder IS NULL OR lease.expires_at <= now()
     OR lease.fencing_token <> token THEN
    RAISE EXCEPTION 'fencing token % of % is not the live lease''s', token, environment
      USING ERRCODE = 'ZF001',
            DETAIL = CASE WHEN NOT FOUND OR lease.holder IS NULL THEN 'no controller holds the lease'
                          WHEN lease.expires_at <= now() THEN 'the lease expired at ' || lease.expires_at
                          ELSE 'the lease is at token ' || lease.fencing_token || ', held by ' || lease.holder END;
  END IF;
END
$$;
COMMENT ON FUNCTION flagroute.check_fencing_token(text, bigint) IS
  'Raises ZF001 unless token is the fencing token of a live (held, unexpired) lease of environment.';

CREATE FUNCTION flagroute.check_fencing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.fencing_token IS NOT NULL THEN
    PERFORM flagroute.check_fencing_token(NEW.environment, NEW.fencing_token);
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION flagroute.check_fencing() IS
  'BEFORE trigger: a row written with a fencing token is refused (ZF001) unless the token is the live lease''s.';

-- The runtime layer and the kill switch -----------------------------------------------------

CREATE TABLE flagroute.runtime_state (
  environment text PRIMARY KEY CHECK (environment ~ '^[A-Za-z0-9_-]+$'),
  version bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  rollout_percentage double precision CHECK (rollout_percentage BETWEEN 0 AND 100),
  rollout_origin text,
  rollout_reason text,
  rollout_set_at timestamptz,
  kill_switch boolean NOT NULL DEFAULT false,
  kill_switch_trigger text,
  kill_switch_reason text,
  kill_switch_at timestamptz,
  kill_switch_previous_percentage double precision
    CHECK (kill_switch_previous_percentage BETWEEN 0 AND 100),
  changed_by text NOT NULL CHECK (changed_by <> ''),
  changed_at timestamptz NOT NULL DEFAULT now(),
  fencing_token bigint,
  CHECK ((rollout_percentage IS NULL) = (rollout_origin IS NULL)
     AND (rollout_percentage IS NULL) = (rollout_set_at IS NULL)),
  CHECK (kill_switch = (kill_switch_at IS NOT NULL)
     AND kill_switch = (kill_switch_reason IS NOT NULL))
);
COMMENT ON TABLE flagroute.runtime_state IS
  'The runtime layers of each environment, one row: the runtime rollout (above the file and the LIGHTRAG_* variables, kept until cleared) and the kill switch (above everything). Every change bumps version (a trigger), is copied to runtime_history and is announced on channel flagroute_runtime; instances apply it and record the version in instances.runtime_version.';
COMMENT ON COLUMN flagroute.runtime_state.version IS
  'The runtime version: 1 when the row is made, one more on every change (set by a trigger, whatever the writer sends).';
COMMENT ON COLUMN flagroute.runtime_state.rollout_percentage IS
  'The runtime layer''s rollout percentage, or null when no runtime layer is set (the file and variables decide).';
COMMENT ON COLUMN flagroute.runtime_state.fencing_token IS
  'The controller lease under which the change was made (checked: ZF001 when stale), or null for a person''s change (the CLI, the admin API, the dashboard), which needs no lease.';

CREATE TABLE flagroute.runtime_history (
  environment text NOT NULL,
  version bigint NOT NULL,
  changed_at timestamptz NOT NULL,
  changed_by text NOT NULL,
  fencing_token bigint,
  state jsonb NOT NULL,
  PRIMARY KEY (environment, version)
);
COMMENT ON TABLE flagroute.runtime_history IS
  'Every version of runtime_state, as written (the row as JSON): who rolled back or set what, when and why.';

CREATE TRIGGER runtime_state_fencing BEFORE INSERT OR UPDATE ON flagroute.runtime_state
  FOR EACH ROW EXECUTE FUNCTION flagroute.check_fencing();
CREATE TRIGGER runtime_state_version BEFORE INSERT OR UPDATE ON flagroute.runtime_state
  FOR EACH ROW EXECUTE FUNCTION flagroute.number_version();

CREATE FUNCTION flagroute.record_runtime_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO flagroute.runtime_history
    (environment, version, changed_at, changed_by, fencing_token, state)
    VALUES (NEW.environment, NEW.version, NEW.changed_at, NEW.changed_by, NEW.fencing_token,
            to_jsonb(NEW));
  RETURN NULL;
END
$$;
CREATE TRIGGER runtime_state_history AFTER INSERT OR UPDATE ON flagroute.runtime_state
  FOR EACH ROW EXECUTE FUNCTION flagroute.record_runtime_history();
CREATE TRIGGER runtime_state_announce AFTER INSERT OR UPDATE ON flagroute.runtime_state
  FOR EACH ROW EXECUTE FUNCTION flagroute.announce('flagroute_runtime', 'version');

-- The plan's state --------------------------------------------------------------------------

CREATE TABLE flagroute.plan_state (
  environment text PRIMARY KEY CHECK (environment ~ '^[A-Za-z0-9_-]+$'),
  version bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  state jsonb NOT NULL CHECK (jsonb_typeof(state) = 'object'),
  fencing_token bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE flagroute.plan_state IS
  'The rollout plan''s state of each environment, as the state file holds it (JSON, with its own format version inside). Written only under the live controller lease (ZF001 otherwise); every write bumps version and is announced on channel flagroute_plan.';

CREATE TRIGGER plan_state_fencing BEFORE INSERT OR UPDATE ON flagroute.plan_state
  FOR EACH ROW EXECUTE FUNCTION flagroute.check_fencing();
CREATE TRIGGER plan_state_version BEFORE INSERT OR UPDATE ON flagroute.plan_state
  FOR EACH ROW EXECUTE FUNCTION flagroute.number_version();
CREATE TRIGGER plan_state_announce AFTER INSERT OR UPDATE ON flagroute.plan_state
  FOR EACH ROW EXECUTE FUNCTION flagroute.announce('flagroute_plan', 'version');

-- Queued plan commands ----------------------------------------------------------------------

CREATE TABLE flagroute.plan_commands (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  environment text NOT NULL CHECK (environment ~ '^[A-Za-z0-9_-]+$'),
  action text NOT NULL CHECK (action ~ '^[a-z_]+$'),
  reason text NOT NULL CHECK (btrim(reason) <> ''),
  arguments jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(arguments) = 'object'),
  requested_by text NOT NULL CHECK (requested_by <> ''),
  requested_at timestamptz NOT NULL DEFAULT now(),
  taken_at timestamptz,
  fencing_token bigint,
  result jsonb,
  CHECK ((taken_at IS NULL) = (fencing_token IS NULL)),
  CHECK (result IS NULL OR taken_at IS NOT NULL)
);
CREATE INDEX plan_commands_queued ON flagroute.plan_commands (environment, id)
  WHERE taken_at IS NULL;
COMMENT ON TABLE flagroute.plan_commands IS
  'A person''s plan commands (start, pause, resume, ...) for the controller that holds the lease, in id order. Inserting one announces it on channel flagroute_commands; the controller takes it (taken_at, its fencing token: checked) and records what came of it in result. Kept afterwards, as the record of who asked what.';

CREATE TRIGGER plan_commands_fencing BEFORE INSERT OR UPDATE ON flagroute.plan_commands
  FOR EACH ROW EXECUTE FUNCTION flagroute.check_fencing();
CREATE TRIGGER plan_commands_announce AFTER INSERT ON flagroute.plan_commands
  FOR EACH ROW EXECUTE FUNCTION flagroute.announce('flagroute_commands', 'id');

-- Instances and their heartbeats ------------------------------------------------------------

CREATE TABLE flagroute.instances (
  instance_id text PRIMARY KEY CHECK (instance_id <> ''),
  environment text NOT NULL CHECK (environment ~ '^[A-Za-z0-9_-]+$'),
  host text NOT NULL,
  pid integer NOT NULL CHECK (pid > 0),
  flagroute_version text NOT NULL,
  listen text,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  stopped_at timestamptz,
  config_version text,
  runtime_version bigint CHECK (runtime_version >= 1),
  runtime_applied_at timestamptz,
  CHECK ((runtime_version IS NULL) = (runtime_applied_at IS NULL))
);
CREATE INDEX instances_by_environment ON flagroute.instances (environment, heartbeat_at DESC);
COMMENT ON TABLE flagroute.instances IS
  'Every flagroute instance on the store, one row each, upserted by its heartbeat: what it serves (config_version) and which runtime version it applied (runtime_version, the acknowledgement a rollback waits for; a change announces it on channel flagroute_instances). Live means a recent heartbeat_at and no stopped_at; old rows may be deleted.';

CREATE TRIGGER instances_announce_new AFTER INSERT ON flagroute.instances
  FOR EACH ROW WHEN (NEW.runtime_version IS NOT NULL)
  EXECUTE FUNCTION flagroute.announce('flagroute_instances', 'runtime_version');
CREATE TRIGGER instances_announce_applied AFTER UPDATE OF runtime_version ON flagroute.instances
  FOR EACH ROW WHEN (NEW.runtime_version IS DISTINCT FROM OLD.runtime_version
                     AND NEW.runtime_version IS NOT NULL)
  EXECUTE FUNCTION flagroute.announce('flagroute_instances', 'runtime_version');

-- Experiment events: one exposure and one outcome per decision token --------------------------

CREATE TABLE flagroute.exposure_events (
  decision_id text PRIMARY KEY CHECK (length(decision_id) BETWEEN 1 AND 200),
  environment text NOT NULL CHECK (environment ~ '^[A-Za-z0-9_-]+$'),
  exposed_at timestamptz NOT NULL,
  unit text CHECK (length(unit) BETWEEN 1 AND 128),
  cohort text NOT NULL CHECK (cohort IN ('lightrag', 'perplexity', 'control')),
  backend text NOT NULL CHECK (backend IN ('lightrag', 'perplexity')),
  bucket double precision CHECK (bucket BETWEEN 0 AND 100),
  config_version text,
  plan_stage integer CHECK (plan_stage >= 0),
  shadow boolean NOT NULL DEFAULT false,
  instance_id text,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exposure_events_by_time ON flagroute.exposure_events (environment, exposed_at);
COMMENT ON TABLE flagroute.exposure_events IS
  'A unit exposed to an arm: one row per decision token (its unique id is the key, so a token is counted once fleet-wide). unit is the pseudonymous unit key (sha256 of the salt and the user id, as in the outcome log), never a raw user id; plan_stage is the exposure period.';

CREATE TABLE flagroute.outcome_events (
  decision_id text PRIMARY KEY CHECK (length(decision_id) BETWEEN 1 AND 200),
  environment text NOT NULL CHECK (environment ~ '^[A-Za-z0-9_-]+$'),
  occurred_at timestamptz NOT NULL,
  unit text CHECK (length(unit) BETWEEN 1 AND 128),
  cohort text NOT NULL CHECK (cohort IN ('lightrag', 'perplexity', 'control')),
  backend text NOT NULL CHECK (backend IN ('lightrag', 'perplexity')),
  success boolean NOT NULL,
  latency_ms double precision CHECK (latency_ms >= 0),
  quality double precision CHECK (quality BETWEEN 0 AND 1),
  cost_usd double precision CHECK (cost_usd >= 0),
  satisfaction double precision CHECK (satisfaction BETWEEN 0 AND 1),
  config_version text,
  plan_stage integer CHECK (plan_stage >= 0),
  shadow boolean NOT NULL DEFAULT false,
  instance_id text,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outcome_events_by_time ON flagroute.outcome_events (environment, occurred_at);
CREATE INDEX outcome_events_by_stage ON flagroute.outcome_events (environment, plan_stage, unit)
  WHERE plan_stage IS NOT NULL;
COMMENT ON TABLE flagroute.outcome_events IS
  'The outcome of one decision: at most one per decision token fleet-wide (the key; a replay is a conflict, answered as a duplicate and not counted). The fields are those of the outcome event log (schemas/outcome-event.schema.json); unit is the pseudonymous unit key, never a raw user id.';
