import { Counter, Gauge, type Registry } from 'prom-client';
import { DROP_REASONS, type EventLogView, WRITE_FAILURES } from '../event-log/index.js';

/**
 * An event log's metrics, read from its counts at scrape time, named by its kind
 * (`flagroute_outcome_events_written_total`, `flagroute_outcome_events_dropped_total{reason}`,
 * `flagroute_outcome_event_log_write_failures_total{reason}`,
 * `flagroute_outcome_events_waiting`). Every reason is present from the start, at 0, so that an
 * alert on an increase needs no series to appear first.
 */
export function registerEventLogMetrics(log: EventLogView, registry: Registry): void {
  const registers = [registry];
  const name = `flagroute_${log.kind}`;
  new Counter({
    name: `${name}_events_written_total`,
    help: `${log.kind} events written to the event log since start.`,
    registers,
    collect() {
      this.reset();
      this.inc(log.health().written);
    },
  });
  new Counter({
    name: `${name}_events_dropped_total`,
    help: `${log.kind} events the event log dropped, by reason (a write failure that outlasted the waiting room, backlog: the disk too slow, closed).`,
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      const dropped = log.health().dropped;
      for (const reason of DROP_REASONS) this.inc({ reason }, dropped[reason] ?? 0);
    },
  });
  new Counter({
    name: `${name}_event_log_write_failures_total`,
    help: `Failed writes of the ${log.kind} event log (retries included), by reason; shown in /readyz while they last.`,
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      const failures = log.health().failures;
      for (const reason of WRITE_FAILURES) this.inc({ reason }, failures[reason] ?? 0);
    },
  });
  new Counter({
    name: `${name}_event_requests_refused_total`,
    help: `Requests whose ${log.kind} events were refused (503) rather than recorded and then dropped, by reason: the client sends them again.`,
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      const refused = log.health().refused ?? {};
      for (const reason of WRITE_FAILURES) this.inc({ reason }, refused[reason] ?? 0);
    },
  });
  new Gauge({
    name: `${name}_events_waiting`,
    help: `${log.kind} events waiting in memory for the disk.`,
    registers,
    collect() {
      this.set(log.health().waiting);
    },
  });
}
