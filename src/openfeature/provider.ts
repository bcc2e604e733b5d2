import {
  type EvaluationContext,
  FlagNotFoundError,
  InvalidContextError,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
  TargetingKeyMissingError,
  type TrackingEventDetails,
  TypeMismatchError,
} from '@openfeature/server-sdk';
import type { DecisionTokens } from '../decision-tokens/index.js';
import { FlagrouteError, InvalidOutcomeError } from '../errors.js';
import { evaluateFlag, trackOutcome } from '../ofrep/index.js';
import { DecisionLedger, type RefusalCounts } from '../outcomes/index.js';
import type { Router } from '../router/router.js';

/** The tracking event that records an outcome: `client.track(OUTCOME_EVENT, context, details)`. */
export const OUTCOME_EVENT = 'outcome';

/** The OpenFeature error a flagroute code becomes; any other is the context's problem. */
const SDK_ERRORS: Readonly<Partial<Record<string, new (message: string) => Error>>> = {
  FLAG_NOT_FOUND: FlagNotFoundError,
  TYPE_MISMATCH: TypeMismatchError,
  TARGETING_KEY_MISSING: TargetingKeyMissingError,
};

function sdkError(error: unknown): unknown {
  if (!(error instanceof FlagrouteError)) return error;
  const Kind = SDK_ERRORS[error.code] ?? InvalidContextError;
  return new Kind(error.message);
}

/**
 * flagroute as an in-process OpenFeature provider for Node (`@openfeature/server-sdk`, a peer
 * dependency), an adapter over the OFREP core (`src/ofrep`): the same flags as the HTTP
 * service (`backend` and `cohort` as strings, `bucket` as a number), the same checks and the
 * same decisions; `PROVIDER_CONFIGURATION_CHANGED` on every hot reload, `PROVIDER_ERROR` on a
 * failed one, and `track('outcome', context, {decisionId, success, latencyMs, ...})` recording
 * the outcome of the decision a flag evaluation returned in its metadata.
 */
export class FlagrouteProvider implements Provider {
  readonly metadata = { name: 'flagroute' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly ledger: DecisionLedger;
  private readonly detach: () => void;

  /**
   * `decisionTokens`: sign every decision (its token in the flag metadata, `decisionToken`),
   * so that its outcome may be reported to any flagroute instance holding the key, once.
   */
  constructor(
    private readonly router: Router,
    options: { decisionTokens?: DecisionTokens } = {},
  ) {
    this.ledger = new DecisionLedger({ tokens: options.decisionTokens });
    const changed = (event: { configVersion: string; changedKeys: { key: string }[] }) =>
      this.events.emit(ProviderEvents.ConfigurationChanged, {
        message: `configuration ${event.configVersion}`,
        metadata: { configVersion: event.configVersion },
      });
    const failed = (event: { errors: { message: string }[] }) =>
      this.events.emit(ProviderEvents.Error, {
        message: `reload rejected; the last good configuration keeps serving: ${event.errors.map((error) => error.message).join('; ')}`,
      });
    router.on('reload', changed).on('reloadError', failed);
    this.detach = () => router.off('reload', changed).off('reloadError', failed);
  }

  resolveStringEvaluation(
    flagKey: string,
    _default: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return this.resolve(flagKey, 'string', context);
  }

  resolveNumberEvaluation(
    flagKey: string,
    _default: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, 'number', context);
  }

  resolveBooleanEvaluation(
    flagKey: string,
    _default: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, 'boolean', context);
  }

  resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    _default: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return this.resolve(flagKey, 'object', context);
  }

  /**
   * The outcomes `track` refused for what they said of their decision, by reason (`user_mismatch`,
   * or a decision token's refusal: `expired`, `bad_signature`, ...), counted as a server counts
   * them. `registerOutcomeRefusalMetrics(provider.outcomeRefusals, registry)` (from `flagroute`)
   * puts them on a prom-client registry as `flagroute_outcomes_refused_total{reason}`, as
   * `flagroute serve` does for its own.
   */
  get outcomeRefusals(): RefusalCounts {
    return this.ledger.refusals;
  }

  /** Records an outcome (`trackingEventName` `outcome`) of the decision named by `decisionId`. */
  track(
    trackingEventName: string,
    context: EvaluationContext,
    details: TrackingEventDetails,
  ): void {
    if (trackingEventName !== OUTCOME_EVENT) return;
    try {
      trackOutcome(this.router, this.ledger, details, context.targetingKey);
    } catch (error) {
      // A decision id this provider cannot take an outcome for is a problem of the context.
      if (
        error instanceof InvalidOutcomeError &&
        (error.field === 'decisionId' || error.field === 'decisionToken')
      ) {
        throw new InvalidContextError(error.problems[0]?.message ?? error.message);
      }
      throw error;
    }
  }

  /** Stops following the router's reloads (the router itself is the caller's to close). */
  async onClose(): Promise<void> {
    this.detach();
    this.ledger.clear();
  }

  /** Any type but the flag's is `TYPE_MISMATCH` (so booleans and objects never resolve). */
  private async resolve<Value>(
    flagKey: string,
    type: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<Value>> {
    try {
      const { value, variant, reason, metadata } = await evaluateFlag(
        this.router,
        this.ledger,
        flagKey,
        context,
        type,
      );
      return { value: value as Value, variant, reason, flagMetadata: metadata };
    } catch (error) {
      throw sdkError(error);
    }
  }
}
