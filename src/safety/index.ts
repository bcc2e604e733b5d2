/**
 * Safety: the circuit breaker, the quality gate and the rollback triggers, fed by outcomes.
 *
 * @packageDocumentation
 */
export {
  BREAKER_STATES,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerTransition,
  type OutcomeTie,
} from './circuit-breaker.js';
export type { GateTransition, QualityGateSnapshot } from './quality-gate.js';
export { ROLLBACK_TRIGGERS, type RollbackTrigger } from './rollback-monitor.js';
export { ShadowBudget, type ShadowBudgetCounts } from './shadow-budget.js';
