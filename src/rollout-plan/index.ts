/**
 * The rollout plan: a pure state machine (`step` over `TRANSITIONS`), one effect executor, one
 * controller per environment behind a plan store's lease with fencing, the one driver loop that
 * the CLI, the server, the simulation and the demo share, its metrics sources and its simulation.
 *
 * @packageDocumentation
 */

export {
  allowedDurations,
  type DurationBounds,
  durationText,
  formatDuration,
  parseDuration,
  readDuration,
} from '../duration.js';
export { type CommandReceipt, commandPlan } from './command-plan.js';
export { RolloutController } from './controller.js';
export {
  FAULT_REASONS,
  FAULT_SUMMARIES,
  type Fault,
  FaultError,
  type FaultReason,
  type HealthSnapshot,
} from './controller-health.js';
export type { ControllerOptions, ControllerRole } from './controller-options.js';
export type { TransitionNotice } from './effect-executor.js';
export { CLOCK_SKEW_BOUND_MS } from './file-lease.js';
export { defaultStateDir, FilePlanStore, isPlanState, statePaths } from './file-plan-store.js';
export {
  actionOf,
  PLANNED_SHARE,
  type RegressionGuardrail,
  regressionGuardrails,
  severest,
  stageAlpha,
} from './guardrail-policy.js';
export type { GuardrailReading, PlanMetrics, ReadingContext } from './guardrails.js';
export {
  eventsMetrics,
  metricsSourceOf,
  NO_METRICS,
  type PlanMetricsSource,
  prometheusMetrics,
  routerMetrics,
  type StageWindow,
} from './metrics-sources.js';
export { definitionConflict, type PlanDefinition, planDefinitionOf } from './plan-definition.js';
export { type LoopOptions, retryDelay, runController } from './plan-loop.js';
export {
  ACTIVE_PHASES,
  type ArmSnapshot,
  isFinished,
  PLAN_ACTIONS,
  PLAN_PHASES,
  type PlanAction,
  type PlanCommand,
  type PlanPhase,
  type PlanState,
  pendingState,
  TRANSITION_EVENTS,
  type Transition,
  type TransitionEvent,
} from './plan-state.js';
export { type PlanStatus, planStatusOf, statusFromStore } from './plan-status.js';
export type {
  CommandOutcome,
  LeaseAcquired,
  LeaseGrant,
  LeaseReading,
  PlanStore,
  QueuedCommand,
  RuntimeKeepingStore,
  StateReading,
} from './plan-store.js';
export { keepsRuntime } from './plan-store.js';
export { type PlanView, planViewOf } from './plan-view.js';
export {
  type RolloutSimulation,
  type RolloutSimulationOptions,
  SCENARIOS,
  type Scenario,
  simulateRollout,
  type TimelineEntry,
} from './rollout-simulation.js';
export {
  type ArmIndex,
  STAGE_UNIT_LIMIT,
  type StageCounts,
  type StageData,
  StageTally,
} from './stage-tally.js';
export { step } from './step.js';
export type { PlanEffect, PlanRefusalCode, StepInput, StepResult } from './step-types.js';
export { invariantViolation, phaseAfter, TRANSITIONS } from './transitions.js';
