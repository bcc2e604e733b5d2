-- flagroute schema version 4: the shadow duel (issue 30).
--
-- Outcomes keep a pair together: a row of a query Perplexity served while LightRAG answered in
-- the shadow carries the shadow call's result (shadow_result: success, latencyMs, quality,
-- costUsd, as the outcome schema's `shadow`; the boolean `shadow` of version 1 is then true)
-- and, when a judge compared the two answers, the preference (winner, judge). Rows without a
-- shadow leave both null. The shadow's cost never enters cost_usd, the served cost.
--
-- The runtime layer gains the shadow percentage a plan stage (or an operator) sets: the share of
-- eligible queries served by Perplexity that LightRAG also answers in the shadow, above the
-- environment file's `shadow.percentage`; null leaves the file's.

ALTER TABLE flagroute.outcome_events
  ADD COLUMN shadow_result jsonb
    CHECK (shadow_result IS NULL OR jsonb_typeof(shadow_result) = 'object'),
  ADD COLUMN shadow_preference jsonb
    CHECK (shadow_preference IS NULL OR jsonb_typeof(shadow_preference) = 'object'),
  ADD CHECK (shadow_preference IS NULL OR shadow_result IS NOT NULL),
  ADD CHECK (shadow = (shadow_result IS NOT NULL));
COMMENT ON COLUMN flagroute.outcome_events.shadow_result IS
  'LightRAG''s shadow call on the same query (success, latencyMs, quality, costUsd), when the served call was Perplexity''s and the decision was picked for the shadow; null otherwise. Its cost is apart from cost_usd.';
COMMENT ON COLUMN flagroute.outcome_events.shadow_preference IS
  'A judge''s pairwise preference between the served answer and the shadow''s (winner: lightrag, perplexity or tie; judge), or null.';

ALTER TABLE flagroute.runtime_state
  ADD COLUMN shadow_percentage double precision CHECK (shadow_percentage BETWEEN 0 AND 100);
COMMENT ON COLUMN flagroute.runtime_state.shadow_percentage IS
  'The runtime layer''s shadow percentage (a plan''s shadow stage, an operator), or null: the environment file''s shadow.percentage applies.';
