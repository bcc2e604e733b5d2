-- flagroute schema version 5: query covariates on outcomes (issue 29, variance reduction).
--
-- An outcome row keeps what its decision knew of the query before routing it (the outcome
-- line's `covariates`): the query type, the length bucket (floor(log2(1 + code points))), the
-- complexity score and the region. None depends on the arm, so the report and the controller's
-- guardrails can adjust a comparison for them (regression, post-stratification); each is null
-- when the decision did not know it (and in rows written before this version).

ALTER TABLE flagroute.outcome_events
  ADD COLUMN query_type text CHECK (length(query_type) BETWEEN 1 AND 64),
  ADD COLUMN length_bucket integer CHECK (length_bucket BETWEEN 0 AND 64),
  ADD COLUMN complexity double precision CHECK (complexity = complexity),
  ADD COLUMN region text CHECK (length(region) BETWEEN 1 AND 64);
COMMENT ON COLUMN flagroute.outcome_events.query_type IS
  'The query type the decision knew before routing (a covariate), or null.';
COMMENT ON COLUMN flagroute.outcome_events.length_bucket IS
  'The query''s length bucket, floor(log2(1 + code points)) (a covariate), or null.';
COMMENT ON COLUMN flagroute.outcome_events.complexity IS
  'The query complexity score the decision knew before routing (a covariate), or null.';
COMMENT ON COLUMN flagroute.outcome_events.region IS
  'The region the decision knew before routing (a covariate), or null.';
