import type { FastifyInstance } from 'fastify';
import { FlagrouteError, InvalidArgumentError } from '../errors.js';
import type { ExperimentOptions } from '../experiment/analyze-experiment.js';
import type { OutcomeMetric } from '../metrics/sufficient-stats.js';
import { sampleOf, tiedDecision } from '../router/outcome-checks.js';
import type { Router } from '../router/router.js';
import type { RoutingContext } from '../routing/types.js';
import { type DecisionLedger, type LedgerEntry, ledgerMissMessage } from './decision-ledger.js';
import type { ErrorBody } from './http-errors.js';

/** The most outcomes one request may carry. */
export const MAX_OUTCOMES_PER_REQUEST = 1000;

type Problem = NonNullable<ErrorBody['problems']>[number];
type Checked = {
  decision: LedgerEntry;
  outcome: Record<string, unknown>;
  decisionId: string | undefined;
};

/** One posted outcome, checked whole: what to record, or what is wrong with it. */
function checkOutcome(
  item: unknown,
  index: number,
  ledger: DecisionLedger,
  earlier: Set<unknown>,
): Checked | Problem {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    return { index, field: 'outcome', message: 'must be an object' };
  }
  const { decisionId, backend, cohort, ...rest } = item as Record<string, unknown>;
  try {
    let decision: LedgerEntry;
    if (decisionId !== undefined) {
      if (typeof decisionId !== 'string') {
        return { index, field: 'decisionId', message: 'must be a string' };
      }
      if (earlier.has(decisionId)) {
        return { index, field: 'decisionId', message: 'appears twice in this batch' };
      }
      earlier.add(decisionId);
      const found = ledger.find(decisionId);
      if (typeof found === 'string') {
        return {
          index,
          field: 'decisionId',
          message: `${ledgerMissMessage(found)}: ${JSON.stringify(decisionId)}`,
        };
      }
      if (backend !== undefined && backend !== found.backend) {
        return {
          index,
          field: 'backend',
          message: `is ${JSON.stringify(backend)} but the decision chose "${found.backend}"`,
        };
      }
      decision = found;
    } else {
      decision = tiedDecision({ backend, cohort });
    }
    sampleOf(rest as never);
    return { decision, outcome: rest, decisionId: decisionId as string | undefined };
  } catch (error) {
    if (!(error instanceof FlagrouteError)) throw error;
    const field = (error as { field?: string }).field ?? 'outcome';
    return { index, field, message: error.message };
  }
}

/**
 * The report options of `GET /v1/experiment`'s query: `alpha`, `primary`, `guardrails`
 * (comma-separated), `guardrail_tolerance`, `sequential_tuning`, `srm_threshold`.
 */
function experimentOptionsOf(query: Record<string, string>): ExperimentOptions {
  const known = [
    'alpha',
    'primary',
    'guardrails',
    'guardrail_tolerance',
    'sequential_tuning',
    'srm_threshold',
  ];
  for (const key of Object.keys(query)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(
        key,
        `is not an option of /v1/experiment; use ${known.join(', ')}`,
      );
    }
  }
  const numberOf = (key: string): number | undefined => {
    const text = query[key];
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) {
      throw new InvalidArgumentError(key, `must be a number, got ${JSON.stringify(text)}`);
    }
    return value;
  };
  const options: ExperimentOptions = {};
  const alpha = numberOf('alpha');
  if (alpha !== undefined) options.alpha = alpha;
  const tolerance = numberOf('guardrail_tolerance');
  if (tolerance !== undefined) options.guardrailTolerance = tolerance;
  const tuning = numberOf('sequential_tuning');
  if (tuning !== undefined) options.sequentialTuning = tuning;
  const srm = numberOf('srm_threshold');
  if (srm !== undefined) options.srmThreshold = srm;
  if (query.primary !== undefined) options.primary = query.primary as OutcomeMetric;
  if (query.guardrails !== undefined) {
    options.guardrails = query.guardrails.split(',').filter(Boolean) as OutcomeMetric[];
  }
  return options;
}

/**
 * flagroute's own API under `/v1`: decisions with an id, explanations, outcomes (one or a
 * batch, tied to their decision by id), the performance summary and the status.
 */
export function nativeRoutes(app: FastifyInstance, router: Router, ledger: DecisionLedger): void {
  app.post('/v1/decide', async (request) => {
    const decision = await router.decide(request.body as RoutingContext);
    return { ...decision, decisionId: ledger.remember(decision) };
  });

  app.post('/v1/explain', async (request) => router.explain(request.body as RoutingContext));

  app.post('/v1/outcomes', async (request, reply) => {
    const items = Array.isArray(request.body) ? request.body : [request.body];
    if (items.length === 0 || items.length > MAX_OUTCOMES_PER_REQUEST) {
      const body: ErrorBody = {
        errorCode: 'INVALID_OUTCOME',
        errorDetails: `send one outcome or a list of 1 to ${MAX_OUTCOMES_PER_REQUEST}`,
      };
      return reply.code(400).send(body);
    }
    const ids = new Set<unknown>();
    const checked = items.map((item, index) => checkOutcome(item, index, ledger, ids));
    const problems = checked.filter((entry): entry is Problem => 'message' in entry);
    if (problems.length > 0) {
      const body: ErrorBody = {
        errorCode: 'INVALID_OUTCOME',
        errorDetails: `${problems.length} of ${items.length} outcomes are invalid; none was recorded`,
        problems,
      };
      return reply.code(400).send(body);
    }
    for (const entry of checked as Checked[]) {
      if (entry.decisionId === undefined) {
        router.recordOutcome(entry.decision, entry.outcome as never);
      } else {
        ledger.settle(entry.decisionId);
        router.recordOutcome(
          { ...entry.decision, decisionId: entry.decisionId },
          entry.outcome as never,
        );
      }
    }
    return { recorded: items.length };
  });

  app.get('/v1/summary', async () => router.getPerformanceSummary());
  app.get<{ Querystring: Record<string, string> }>('/v1/experiment', async (request) =>
    router.getExperimentReport(experimentOptionsOf(request.query)),
  );
  app.get('/v1/status', async () => router.status());
}
