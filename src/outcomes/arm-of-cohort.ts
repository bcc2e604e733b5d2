import { type Backend, CANDIDATE, FALLBACK } from '../config/types.js';
import type { Cohort } from '../decision/types.js';

/**
 * The backend that serves a cohort: the router assigns `lightrag` to LightRAG, and `perplexity`
 * (the A/B baseline) and `control` (outside the experiment) to Perplexity (docs/semantics.md).
 */
export function backendOfCohort(cohort: Cohort): Backend {
  return cohort === 'lightrag' ? CANDIDATE : FALLBACK;
}

/**
 * Why an outcome's `backend` and `cohort` cannot both be true, in words naming both fields, or
 * undefined when they agree (or no cohort is given). No decision the router makes serves a
 * `control` user by LightRAG, so such an outcome is made up or mislabelled; counted, it would
 * put LightRAG's results in the baseline's arm.
 */
export function cohortMismatch(
  backend: Backend,
  cohort: Cohort | null | undefined,
): string | undefined {
  if (cohort === null || cohort === undefined) return undefined;
  const serving = backendOfCohort(cohort);
  if (serving === backend) return undefined;
  return `is ${JSON.stringify(cohort)} but backend is ${JSON.stringify(backend)}: the ${JSON.stringify(cohort)} cohort is served by ${JSON.stringify(serving)}; send the backend and cohort of the decision (or its decisionToken)`;
}
