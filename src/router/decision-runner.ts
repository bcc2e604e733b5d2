import type { Logger } from 'pino';
import { errorDecision, runDecisionTree, type SafetyView } from '../decision/decision-tree.js';
import type { RoutingSnapshot } from '../decision/snapshot.js';
import type { Decision, ExplainStep, RoutingContext } from '../decision/types.js';
import { lineWriter } from '../logging.js';
import type { DecisionCounts } from './decision-counts.js';
import { decisionLine, loggedElapsedMs } from './decision-line.js';
import type { ServingState } from './serving-state.js';

/**
 * Runs the decision tree on the snapshot served now, counts every decision and turns any
 * internal failure into the fallback (reason `evaluation_error`), logged: deciding never
 * throws into the caller's request path. `context` must already be valid. Decisions are timed
 * (`elapsedMs`) when `timeDecisions` is set, when traced, and while detailed logging is on.
 */
export class DecisionRunner {
  /**
   * Writes the detailed decision lines: the router's logger without redaction, and at every
   * level (the router's logger's level is checked per line, so a reload's `log_level` holds).
   * Redaction is by key, and a decision line's keys are fixed, none of them a secret's, so it
   * could only ever be a no-op there; it was most of a line's cost (the salt's wildcard path
   * has pino clone and serialise every field separately).
   */
  private readonly decisionLogger: Logger;
  /** With flagroute's default logger: its destination, for lines framed here. */
  private readonly writeLine: ((line: string) => void) | undefined;

  constructor(
    private readonly state: ServingState,
    private readonly safety: SafetyView,
    private readonly counts: DecisionCounts,
    private readonly logger: Logger,
    private readonly timeDecisions: boolean,
    /** Called with every decision that assigned an arm (for exposure records). */
    private readonly onAssigned?: (
      decision: Decision,
      context: RoutingContext,
      snapshot: RoutingSnapshot,
    ) => void,
  ) {
    this.decisionLogger = logger.child({}, { level: 'trace', redact: [] });
    this.writeLine = lineWriter(logger);
  }

  /** One decision, synchronous unless a rule needs json-rules-engine's async run. */
  run(context: RoutingContext, trace?: ExplainStep[]): Decision | Promise<Decision> {
    const snapshot = this.state.snapshot;
    const timed =
      this.timeDecisions || trace !== undefined || snapshot.settings.enable_detailed_logging;
    try {
      const decision = runDecisionTree(snapshot, this.safety, context, trace, timed);
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
    if (this.onAssigned && (decision.cohort === 'lightrag' || decision.cohort === 'perplexity'))
      this.onAssigned(decision, context, snapshot);
    return decision;
  }

  /**
   * The detailed log line: `{"msg":"decision","decision":{...}}`, flat scalars and the names of
   * the rules that matched, never the query text. One nested object because pino hands a nested
   * value to the native `JSON.stringify` whole, where it serialises top-level keys one by one
   * in JavaScript: twelve top-level fields cost about 1.5 us a line, one object about 0.4.
   */
  private logDecision(decision: Decision, context: RoutingContext): void {
    if (!this.logger.isLevelEnabled('debug')) return;
    if (this.writeLine) {
      this.writeLine(decisionLine(decision, context));
      return;
    }
    const matched: string[] = [];
    for (const rule of decision.rules) if (rule.matched) matched.push(rule.name);
    this.decisionLogger.debug(
      {
        decision: {
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
          elapsedMs: loggedElapsedMs(decision.elapsedMs),
        },
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

/**
 * A decision from {@link DecisionRunner.run} as a promise: a pending one as it is, a settled one
 * already fulfilled with it.
 */
export function promiseOfDecision(outcome: Decision | Promise<Decision>): Promise<Decision> {
  // Told apart by a field of the decision, not by `instanceof Promise`: the read has V8's
  // optimising compiler check the decision's hidden class right before `Promise.resolve`, so it
  // knows there is no `then` to call and fulfils the promise inline. Otherwise every call looks
  // `then` up through the decision's prototype chain in a builtin (about 20 ns a decision).
  return (outcome as Partial<Decision>).backend === undefined
    ? (outcome as Promise<Decision>)
    : Promise.resolve(outcome as Decision);
}
