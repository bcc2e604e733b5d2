import type { FastifyInstance } from 'fastify';
import type { RoutingContext } from '../decision/types.js';
import {
  analyzeExperiment,
  type ExperimentOptions,
  liveSource,
  optionsFromText,
  settingsOf,
  type TailOptions,
} from '../experiment/index.js';
import type { DecisionLedger, OutcomeStore } from '../outcomes/index.js';
import type { Router } from '../router/router.js';
import { analyzePairs, livePairs, type PairedOptions } from '../shadow/index.js';
import { authorise } from './bearer-token.js';
import type { RouteBody } from './json-body.js';
import type { OutcomeIngest } from './outcome-ingest.js';

/** The body of `/v1/decide` and `/v1/explain`: a routing context, whole. */
const CONTEXT_BODY: RouteBody = {
  isContext: true,
  tooLarge: 'send a smaller routing context (fewer or shorter attributes, a shorter queryText)',
};

/** The body of `/v1/outcomes`: an outcome or a batch, which can be split. */
const OUTCOMES_BODY: RouteBody = { tooLarge: 'send the batch of outcomes in several posts' };

/**
 * The report options of `GET /v1/experiment`'s query, read through the settings table (the
 * names of the report's JSON). The live report decides on the always-valid intervals unless
 * `sequential=false`: it is looked at all the time.
 */
function experimentOptionsOf(query: Record<string, string | string[]>): ExperimentOptions {
  const options = {
    sequential: true,
    ...optionsFromText(query, 'wire', '/v1/experiment', ['unit']),
  };
  // Checked here, in the query's names (srm_threshold), before the report checks them in its own.
  settingsOf(options, 'wire');
  return options;
}

/** The environment's `experiment:` block: capping and the tail test's percentiles. */
function tailOptionsOfRouter(router: Router): TailOptions {
  const block = router.settings.experiment;
  return { capping: { ...block.capping }, tailPercentiles: [...block.tail_percentiles] };
}

/**
 * The paired analysis's options from `GET /v1/experiment/shadow`'s query (`alpha`,
 * `sequential`, `sequential_tuning`, read through the report's settings table); live, it
 * judges on the always-valid intervals unless `sequential=false`.
 */
function pairedOptionsFromQuery(query: Record<string, string | string[]>): PairedOptions {
  const given = optionsFromText(query, 'wire', '/v1/experiment/shadow', ['unit']);
  settingsOf(given, 'wire');
  const options: PairedOptions = { sequential: given.sequential ?? true };
  if (given.alpha !== undefined) options.alpha = given.alpha;
  if (given.sequentialTuning !== undefined) options.sequentialTuning = given.sequentialTuning;
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
  outcomeStore?: OutcomeStore,
): void {
  const credential = {
    token: ingest.token,
    name: 'ingest',
    off: 'outcomes over HTTP are off: start the server with FLAGROUTE_INGEST_TOKEN set (or, for a trial, with --anonymous-outcomes)',
  };
  app.post('/v1/decide', { config: CONTEXT_BODY }, async (request) => {
    const context = request.body as RoutingContext;
    const decision = await router.decide(context);
    return { ...decision, ...router.issueDecision(decision, context, ledger) };
  });

  app.post('/v1/explain', { config: CONTEXT_BODY }, async (request) =>
    router.explain(request.body as RoutingContext),
  );

  app.post('/v1/outcomes', { config: OUTCOMES_BODY }, async (request) => {
    const anonymous = ingest.anonymous === true && !ingest.token;
    if (!anonymous) authorise(credential, request);
    const origin = anonymous ? 'anonymous' : 'trusted';
    const recorded = outcomeStore
      ? await router.recordOutcomesOnce(request.body, ledger, outcomeStore, origin)
      : router.recordOutcomes(request.body, ledger, origin);
    // "Recorded" means a reader of the event files finds them (the README's tour reads them next).
    await router.outcomesFlushed();
    return recorded;
  });

  app.get('/v1/summary', async () => router.getPerformanceSummary());
  app.get<{ Querystring: Record<string, string | string[]> }>('/v1/experiment', async (request) =>
    analyzeExperiment(liveSource(router).readNow(), {
      ...experimentOptionsOf(request.query),
      ...tailOptionsOfRouter(router),
    }),
  );
  const pairs = livePairs(router);
  app.addHook('onClose', async () => pairs.stop());
  app.get<{ Querystring: Record<string, string | string[]> }>(
    '/v1/experiment/shadow',
    async (request) => analyzePairs(pairs.tally, pairedOptionsFromQuery(request.query)),
  );
  app.get('/v1/status', async () => router.status());
}
