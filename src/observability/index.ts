/**
 * Prometheus metrics of a router (and of a rollout controller, an event log) on a prom-client
 * registry.
 *
 * @packageDocumentation
 */

export { registerEventLogMetrics } from './event-log-metrics.js';
export { registerOutcomeRefusalMetrics } from './outcome-refusal-metrics.js';
export { LATENCY_BUCKETS, registerControllerMetrics, registerMetrics } from './prometheus.js';
