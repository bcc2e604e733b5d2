import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError } from '../errors.js';
import type { ExperimentOptions } from '../experiment/index.js';
import type { OutcomeMetric } from '../metrics/index.js';
import type { DecisionLedger } from '../outcomes/index.js';
import type { Router } from '../router/router.js';
import type { RoutingContext } from '../routing/types.js';
import { authorise } from './bearer-token.js';
import type { OutcomeIngest } from './outcome-ingest.js';

/**
 * The report options of `GET /v1/experiment`'s query: `alpha`, `primary`, `guardrails`
 * (comma-separated), `guardrail_tolerance`, `sequential_tuning`, `srm_threshold`.
 */
function experimentOptionsOf(query: Record<string, string | string[]>): ExperimentOptions {
  const known = [
    'alpha',
    'primary',
    'guardrails',
    'guardrail_tolerance',
    'sequential_tuning',
    'srm_threshold',
  ];
  const given = new Map<string, string>();
  for (const [key, value] of Object.entries(query)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(
        key,
        `is not an option of /v1/experiment; use ${known.join(', ')}`,
      );
    }
    // A key repeated in the query string arrives as a list.
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(key, 'is given more than once; give it once');
    }
    given.set(key, value);
  }
  const numberOf = (key: string): number | undefined => {
    const text = given.get(key);
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
  const primary = given.get('primary');
  if (primary !== undefined) options.primary = primary as OutcomeMetric;
  const guardrails = given.get('guardrails');
  if (guardrails !== undefined) {
    options.guardrails = guardrails.split(',').filter(Boolean) as OutcomeMetric[];
  }
  return options;
}

/**
 * flagroute's own API under `/v1`: decisions with an id, explanations, outcomes (one or a
 * batch, tied to their decision by id; from holders of the ingest token, or anonymous ones
 * when `ingest` allows them), the performance summary and the status.
 */
export function nativeRoutes(
  app: FastifyInstance,
  router: Router,
  ledger: DecisionLedger,
  ingest: OutcomeIngest = {},
): void {
  const credential = {
    token: ingest.token,
    name: 'ingest',
    off: 'outcomes over HTTP are off: start the server with FLAGROUTE_INGEST_TOKEN set (or, for a trial, with --anonymous-outcomes)',
  };
  app.post('/v1/decide', async (request) => {
    const decision = await router.decide(request.body as RoutingContext);
    return { ...decision, decisionId: ledger.remember(decision) };
  });

  app.post('/v1/explain', async (request) => router.explain(request.body as RoutingContext));

  app.post('/v1/outcomes', async (request) => {
    const anonymous = ingest.anonymous === true && !ingest.token;
    if (!anonymous) authorise(credential, request);
    return router.recordOutcomes(request.body, ledger, anonymous ? 'anonymous' : 'trusted');
  });

  app.get('/v1/summary', async () => router.getPerformanceSummary());
  app.get<{ Querystring: Record<string, string | string[]> }>('/v1/experiment', async (request) =>
    router.getExperimentReport(experimentOptionsOf(request.query)),
  );
  app.get('/v1/status', async () => router.status());
}
