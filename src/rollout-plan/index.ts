/**
 * The rollout controller: a plan of stages driven by guardrails, its state file and lease, its
 * metrics sources and its simulation.
 *
 * @packageDocumentation
 */
export {
  type ControllerOptions,
  commandPlan,
  PLAN_ACTIONS,
  type PlanAction,
  type PlanCommand,
  type PlanStatus,
  RolloutController,
  statusFromStateFile,
  type TransitionNotice,
} from './controller.js';
export { formatDuration, parseDuration } from './duration.js';
export {
  metricsSourceOf,
  NO_METRICS,
  type PlanMetricsSource,
} from './metrics-sources.js';
export { PLAN_PHASES, type PlanPhase, type PlanState, type Transition } from './plan-state.js';
export {
  type RolloutSimulation,
  type RolloutSimulationOptions,
  SCENARIOS,
  type Scenario,
  simulateRollout,
} from './rollout-simulation.js';
export { defaultStateDir, liveLease } from './state-store.js';
