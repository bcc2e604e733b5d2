/**
 * Prometheus metrics of a router (and of a rollout controller) on a prom-client registry.
 *
 * @packageDocumentation
 */
export { LATENCY_BUCKETS, registerControllerMetrics, registerMetrics } from './prometheus.js';
