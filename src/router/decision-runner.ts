import type { Logger } from 'pino';
import { decide, errorDecision, type SafetyView } from '../routing/decide.js';
import type { RoutingSnapshot } from '../routing/snapshot.js';
import type { Decision, ExplainStep, RoutingContext } from '../routing/types.js';
import type { DecisionCounts } from './decision-counts.js';
import type { ServingState } from './serving-state.js';

/**
 * Runs the decision tree on the snapshot served now, counts every decision and turns any
 * internal failure into the fallback (reason `evaluation_error`), logged: deciding never
 * throws into the caller's request path. `context` must already be valid. Decisions are timed
 * (`elapsedMs`) when `timeDecisions` is set, when traced, and while detailed logging is on.
 */
export class DecisionRunner {
  constructor(
    private readonly state: ServingState,
    private readonly safety: SafetyView,
    private readonly counts: DecisionCounts,
    private readonly logger: Logger,
    private readonly timeDecisions: boolean,
  ) {}

  /** One decision, synchronous unless a rule needs json-rules-engine's async run. */
  run(context: RoutingContext, trace?: ExplainStep[]): Decision | Promise<Decision> {
    const snapshot = this.state.snapshot;
    const timed =
      this.timeDecisions || trace !== undefined || snapshot.settings.enable_detailed_logging;
    try {
      const decision = decide(snapshot, this.safety, context, trace, timed);
      return decision instanceof Promise
        ? decision.then(
            (settled) => this.count(snapshot, settled, context),
            (error: unknown) => this.failed(snapshot, error, trace),
          )
        : this.count(snapshot, decision, context);
    } catch (error) {
      return this.failed(snapshot, error, trace);
    }
  }

  private count(snapshot: RoutingSnapshot, decision: Decision, context: RoutingContext): Decision {
    this.counts.add(decision);
    if (snapshot.settings.enable_detailed_logging) this.logDecision(decision, context);
    return decision;
  }

  /**
   * The detailed log line: flat scalars and the names of the rules that matched, never the
   * query text. Flat because pino serialises (and redacts) nested objects field by field: the
   * whole decision with its rule objects cost several microseconds a line.
   */
  private logDecision(decision: Decision, context: RoutingContext): void {
    const matched: string[] = [];
    for (const rule of decision.rules) if (rule.matched) matched.push(rule.name);
    this.logger.debug(
      {
        userId: context.userId,
        sessionId: context.sessionId,
        region: context.region,
        queryType: context.queryType,
        backend: decision.backend,
        reason: decision.reason,
        cohort: decision.cohort,
        bucket: decision.bucket,
        rolloutPercentage: decision.rolloutPercentage,
        matchedRules: matched,
        configVersion: decision.configVersion,
        elapsedMs: decision.elapsedMs,
      },
      'decision',
    );
  }

  private failed(snapshot: RoutingSnapshot, error: unknown, trace?: ExplainStep[]): Decision {
    this.logger.error({ err: error }, 'evaluation error; routing to the fallback');
    trace?.push({ step: 'error', outcome: 'taken', detail: String(error) });
    const decision = errorDecision(snapshot);
    this.counts.add(decision);
    return decision;
  }
}
