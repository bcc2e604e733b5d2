/**
 * Decision: the pure decision, no state between calls (the stateful service around it is
 * `src/router`). A context is checked, then the steps of the decision tree run on one immutable
 * snapshot: integration, forced cohort, breaker, quality gate, eligibility, geography,
 * assignment.
 *
 * @packageDocumentation
 */
export {
  CONTEXT_FIELDS,
  InvalidContextError,
  SyncDecisionUnavailableError,
} from './context.js';
export { STEP_NAMES, type StepName } from './steps.js';
export {
  COHORTS,
  type Cohort,
  type Decision,
  type ExplainStep,
  REASONS,
  type Reason,
  type RoutingContext,
} from './types.js';
