-- flagroute schema version 3: the experiment's events as instances write them (issue 27).
--
-- Outcomes: one row per decision (decision_id is the key: a decision token's id, a decision id
-- of one instance, or a random id for an outcome that named no decision), written as the
-- instance takes the outcome, so that the key refuses a replay sent to any instance. An outcome
-- of a decision that assigned no cohort (the breaker was open, the integration disabled) is kept
-- too, for its one-outcome rule; it is outside every experiment (cohort null).
--
-- Exposures: version 1 keyed them by decision token, but an instance records one exposure per
-- unit and allocation period (as the outcome event log does: the sample-ratio test counts
-- units), so the key is (environment, period, unit, cohort): every instance may write the same
-- exposure, the first row stays. The table held nothing yet (nothing wrote it before this
-- version), so it is made again.

DROP TABLE flagroute.exposure_events;
CREATE TABLE flagroute.exposure_events (
  environment text NOT NULL CHECK (environment ~ '^[A-Za-z0-9_-]+$'),
  period text NOT NULL CHECK (length(period) BETWEEN 1 AND 64),
  unit text NOT NULL CHECK (length(unit) BETWEEN 1 AND 128),
  cohort text NOT NULL CHECK (cohort IN ('lightrag', 'perplexity')),
  backend text NOT NULL CHECK (backend IN ('lightrag', 'perplexity')),
  percentage double precision NOT NULL CHECK (percentage BETWEEN 0 AND 100),
  exposed_at timestamptz NOT NULL,
  config_version text,
  instance_id text,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (environment, period, unit, cohort)
);
CREATE INDEX exposure_events_by_unit ON flagroute.exposure_events (environment, unit);
COMMENT ON TABLE flagroute.exposure_events IS
  'A unit assigned an arm of the experiment in an allocation period (period p<percentage>): one row per (environment, period, unit, cohort), written by whichever instance saw it first (INSERT ... ON CONFLICT DO NOTHING). unit is the pseudonymous unit key, never a raw user id.';

ALTER TABLE flagroute.outcome_events ALTER COLUMN cohort DROP NOT NULL;
CREATE INDEX outcome_events_by_unit ON flagroute.outcome_events (environment, unit);
COMMENT ON COLUMN flagroute.outcome_events.cohort IS
  'The decision''s cohort; null when the decision assigned none (outside every experiment, kept for the one-outcome rule).';
COMMENT ON COLUMN flagroute.outcome_events.decision_id IS
  'The decision''s id (from its token or its instance''s ledger), or o-<uuid> for an outcome that named no decision: the key that lets a decision take one outcome fleet-wide.';
