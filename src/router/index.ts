/**
 * The router: the stateful service that decides on one configuration snapshot at a time,
 * records outcomes into its safety state, changes the rollout at run time and hot-reloads.
 *
 * @packageDocumentation
 */
export { createRouter, type RouterOptions } from './create-router.js';
export type { LabelledCount } from './decision-counts.js';
export {
  type ChangedKey,
  type OutcomeRecordedEvent,
  type ReloadErrorEvent,
  type ReloadEvent,
  ROUTER_EVENTS,
  type RollbackEvent,
  type RolloutChangeEvent,
  type RouterEvents,
  type WrittenInPlaceEvent,
} from './events.js';
export type { PerformanceSummary } from './performance-summary.js';
export type { ReloadOutcome } from './reload.js';
export type { RolloutChangeOptions } from './rollout-control.js';
export { Router } from './router.js';
export type { Explanation, RouterStatus, RuntimeOverride } from './router-status.js';
