import { Counter, Gauge, type Registry } from 'prom-client';
import type { StoreWithHealth } from '../runtime-store/index.js';

/**
 * The health of the shared runtime store a server follows, on `registry`: whether it can be
 * read now, and how many reads have failed (each is retried), read when Prometheus scrapes.
 */
export function registerStoreMetrics(store: StoreWithHealth, registry: Registry): void {
  const registers = [registry];
  new Gauge({
    name: 'flagroute_runtime_store_up',
    help: 'Whether the shared runtime store can be read now (1) or not (0: the runtime state read last is served, /readyz says degraded).',
    registers,
    collect() {
      this.set(store.health().status === 'ok' ? 1 : 0);
    },
  });
  new Counter({
    name: 'flagroute_runtime_store_read_failures_total',
    help: 'Failed reads of the shared runtime store since start (each is retried).',
    registers,
    collect() {
      this.reset();
      this.inc(store.health().failures);
    },
  });
}
