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
import { FlagrouteError, InvalidOutcomeError } from '../errors.js';
import { DecisionLedger } from '../outcomes/index.js';
import type { Router } from '../router/router.js';
import {
  attributesReadBy,
  flagMetadata,
  flagValue,
  OFREP_FLAGS,
  OFREP_REASONS,
  type OfrepFlag,
  routingContextOf,
} from '../server/ofrep-mapping.js';

/** The tracking event that records an outcome: `client.track(OUTCOME_EVENT, context, details)`. */
export const OUTCOME_EVENT = 'outcome';

const TYPES: Readonly<Record<OfrepFlag, 'string' | 'number'>> = {
  backend: 'string',
  cohort: 'string',
  bucket: 'number',
};

/**
 * flagroute as an in-process OpenFeature provider for Node (`@openfeature/server-sdk`, a peer
 * dependency): the same flags as the HTTP service (`backend` and `cohort` as strings, `bucket`
 * as a number), `PROVIDER_CONFIGURATION_CHANGED` on every hot reload, `PROVIDER_ERROR` on a
 * failed one, and `track('outcome', context, {decisionId, success, latencyMs, ...})` recording
 * the outcome of the decision a flag evaluation returned in its metadata.
 */
export class FlagrouteProvider implements Provider {
  readonly metadata = { name: 'flagroute' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly ledger = new DecisionLedger();
  private readonly detach: () => void;

  constructor(private readonly router: Router) {
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
    return this.resolve(flagKey, 'string', context) as Promise<ResolutionDetails<string>>;
  }

  resolveNumberEvaluation(
    flagKey: string,
    _default: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, 'number', context) as Promise<ResolutionDetails<number>>;
  }

  resolveBooleanEvaluation(flagKey: string): Promise<ResolutionDetails<boolean>> {
    return Promise.reject(this.mismatch(flagKey, 'boolean'));
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string): Promise<ResolutionDetails<T>> {
    return Promise.reject(this.mismatch(flagKey, 'object'));
  }

  /** Records an outcome (`trackingEventName` `outcome`) of the decision named by `decisionId`. */
  track(
    trackingEventName: string,
    context: EvaluationContext,
    details: TrackingEventDetails,
  ): void {
    if (trackingEventName !== OUTCOME_EVENT) return;
    const { decisionId, userId } = details as TrackingEventDetails & {
      decisionId?: unknown;
      userId?: unknown;
    };
    if (typeof decisionId !== 'string') {
      throw new InvalidContextError('track("outcome") needs the decisionId of the decision');
    }
    // The evaluation context's targetingKey names the user for the outcome event log.
    const user = userId ?? context.targetingKey;
    try {
      this.router.recordOutcomes(
        user === undefined ? details : { ...details, userId: user },
        this.ledger,
      );
    } catch (error) {
      // An id this provider cannot take an outcome for is a problem of the caller's context.
      if (error instanceof InvalidOutcomeError && error.field === 'decisionId') {
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

  private async resolve(
    flagKey: string,
    type: 'string' | 'number',
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string | number>> {
    if (TYPES[flagKey as OfrepFlag] !== type) throw this.mismatch(flagKey, type);
    if (typeof context.targetingKey !== 'string' || context.targetingKey === '') {
      throw new TargetingKeyMissingError('targetingKey (the user id) is required');
    }
    try {
      const routing = routingContextOf(
        context as Record<string, unknown>,
        attributesReadBy(this.router.config),
      );
      const decision = await this.router.decide(routing);
      const bucket = decision.bucket ?? this.router.bucketOf(routing);
      const { value, variant } = flagValue(flagKey as OfrepFlag, decision, bucket);
      return {
        value,
        variant,
        reason: OFREP_REASONS[decision.reason],
        flagMetadata: flagMetadata(decision, this.ledger.remember(decision)),
      };
    } catch (error) {
      if (error instanceof FlagrouteError) throw new InvalidContextError(error.message);
      throw error;
    }
  }

  private mismatch(flagKey: string, type: string): Error {
    if (!(OFREP_FLAGS as readonly string[]).includes(flagKey)) {
      return new FlagNotFoundError(
        `flag "${flagKey}" is not served; the flags are ${OFREP_FLAGS.join(', ')}`,
      );
    }
    return new TypeMismatchError(
      `flag "${flagKey}" is a ${TYPES[flagKey as OfrepFlag]}, not a ${type}`,
    );
  }
}
