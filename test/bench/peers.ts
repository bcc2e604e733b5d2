import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GrowthBookClient } from '@growthbook/growthbook';
import { FlagdCore } from '@openfeature/flagd-core';
import { createRouter, type Router } from 'flagroute';
import { codePointLength, userBucket } from 'flagroute/internals';
import { Engine, Rule } from 'json-rules-engine';
import { pino } from 'pino';
import UnleashClientModule from 'unleash-client/lib/client.js';
import { defaultStrategies } from 'unleash-client/lib/strategy/index.js';
import { BENCH_ROUTING, flagrouteFiles } from './routing-spec.js';
import type { BenchContext } from './workloads.js';

/** A system that routes a context to a backend. */
export interface Peer {
  readonly name: string;
  /** Whether `decide` returns a promise (flagroute's API is async). */
  readonly async: boolean;
  decide(context: BenchContext): string | Promise<string>;
  /**
   * The call timed, when it differs from `decide`: the system's own API as a service would
   * call it (flagroute's returns the whole decision, which the caller then reads).
   */
  timed?(context: BenchContext): unknown;
  close(): Promise<void>;
}

const ELIGIBLE_TYPES = new Set(BENCH_ROUTING.allowedTypes);
const LISTED_REGIONS = Object.keys(BENCH_ROUTING.regions);

/** flagroute, from the built package, on a config directory written for the run. */
export async function flagroutePeer(): Promise<Peer & { router: Router; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'flagroute-bench-'));
  for (const [path, content] of Object.entries(flagrouteFiles())) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  const router = await createRouter({
    configDir: dir,
    environment: 'bench',
    env: {},
    watch: false,
    logger: pino({ level: 'silent' }),
  });
  return {
    name: 'flagroute',
    async: true,
    router,
    dir,
    decide: async (context) => (await router.decide(context)).backend,
    timed: (context) => router.decide(context),
    close: async () => {
      await router.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** flagroute's synchronous `decideSync`, on its own router. */
export async function flagrouteSyncPeer(): Promise<Peer> {
  const peer = await flagroutePeer();
  return {
    name: 'flagroute (decideSync)',
    async: false,
    decide: (context) => peer.router.decideSync(context).backend,
    timed: (context) => peer.router.decideSync(context),
    close: () => peer.close(),
  };
}

/** A json-rules-engine `Engine.run` per decision plus the sha256 bucket: the naive way. */
export function naivePeer(): Peer {
  const engine = new Engine([], { allowUndefinedFacts: true });
  engine.addRule(
    new Rule({
      name: 'eligible',
      conditions: {
        any: [
          {
            all: [
              {
                fact: 'queryLength',
                operator: 'greaterThanInclusive',
                value: BENCH_ROUTING.minLength,
              },
              {
                fact: 'queryLength',
                operator: 'lessThanInclusive',
                value: BENCH_ROUTING.maxLength,
              },
            ],
          },
          { fact: 'queryType', operator: 'in', value: BENCH_ROUTING.allowedTypes },
        ],
      },
      event: { type: 'eligible' },
    }),
  );
  for (const [region, percentage] of Object.entries(BENCH_ROUTING.regions)) {
    engine.addRule(
      new Rule({
        name: region,
        conditions: { all: [{ fact: 'region', operator: 'equal', value: region }] },
        event: { type: 'region', params: { percentage } },
      }),
    );
  }
  return {
    name: 'json-rules-engine (naive)',
    async: true,
    async decide(context) {
      const { events } = await engine.run({
        queryLength: codePointLength(context.queryText),
        queryType: context.queryType,
        region: context.region,
      });
      if (!events.some((event) => event.type === 'eligible')) return 'perplexity';
      const regional = events.find((event) => event.type === 'region')?.params?.percentage as
        | number
        | undefined;
      const percentage = regional ?? BENCH_ROUTING.rolloutPercentage;
      return userBucket(context.userId, 'default_salt') <= percentage ? 'lightrag' : 'perplexity';
    },
    close: async () => undefined,
  };
}

const silentLogger = { error() {}, warn() {}, info() {}, debug() {} };

/** @openfeature/flagd-core: JsonLogic targeting, then a `fractional` split by targetingKey. */
export function flagdPeer(): Peer {
  const split = (percentage: number) => ({
    fractional: [
      ['lightrag', percentage],
      ['perplexity', 100 - percentage],
    ],
  });
  const regional: unknown[] = [];
  for (const [region, percentage] of Object.entries(BENCH_ROUTING.regions)) {
    regional.push({ '==': [{ var: 'region' }, region] }, split(percentage));
  }
  regional.push(split(BENCH_ROUTING.rolloutPercentage));
  const config = {
    flags: {
      route: {
        state: 'ENABLED',
        variants: { lightrag: 'lightrag', perplexity: 'perplexity' },
        defaultVariant: 'perplexity',
        targeting: {
          if: [
            {
              or: [
                {
                  and: [
                    { '>=': [{ var: 'queryLength' }, BENCH_ROUTING.minLength] },
                    { '<=': [{ var: 'queryLength' }, BENCH_ROUTING.maxLength] },
                  ],
                },
                { in: [{ var: 'queryType' }, BENCH_ROUTING.allowedTypes] },
              ],
            },
            { if: regional },
            'perplexity',
          ],
        },
      },
    },
  };
  const core = new FlagdCore(undefined, silentLogger);
  core.setConfigurations(JSON.stringify(config));
  return {
    name: '@openfeature/flagd-core',
    async: false,
    decide: (context) =>
      core.resolveStringEvaluation(
        'route',
        'perplexity',
        {
          targetingKey: context.userId,
          queryLength: codePointLength(context.queryText),
          queryType: context.queryType,
          region: context.region,
        },
        silentLogger,
      ).value,
    close: async () => undefined,
  };
}

/** @growthbook/growthbook: force rules with a condition and coverage hashed on `id`. */
export function growthbookPeer(): Peer {
  const eligible = {
    $or: [
      { queryLength: { $gte: BENCH_ROUTING.minLength, $lte: BENCH_ROUTING.maxLength } },
      { queryType: { $in: BENCH_ROUTING.allowedTypes } },
    ],
  };
  const rule = (regionCondition: unknown, percentage: number) => ({
    condition: { $and: [eligible, { region: regionCondition }] },
    force: 'lightrag',
    coverage: percentage / 100,
    hashAttribute: 'id',
    seed: 'route',
    hashVersion: 2,
  });
  const rules = Object.entries(BENCH_ROUTING.regions).map(([region, percentage]) =>
    rule(region, percentage),
  );
  rules.push(rule({ $nin: LISTED_REGIONS }, BENCH_ROUTING.rolloutPercentage));
  const client = new GrowthBookClient({});
  client.initSync({ payload: { features: { route: { defaultValue: 'perplexity', rules } } } });
  return {
    name: '@growthbook/growthbook',
    async: false,
    decide: (context) =>
      client.getFeatureValue('route', 'perplexity', {
        attributes: {
          id: context.userId,
          queryLength: codePointLength(context.queryText),
          queryType: context.queryType,
          region: context.region,
        },
      }),
    close: async () => client.destroy(),
  };
}

type UnleashClient = {
  isEnabled(name: string, context: Record<string, unknown>, fallback: () => boolean): boolean;
};

/** unleash-client: `flexibleRollout` strategies with constraints, bootstrapped offline. */
export function unleashPeer(): Peer {
  const branches = [
    [
      { contextName: 'queryLength', operator: 'NUM_GTE', value: String(BENCH_ROUTING.minLength) },
      { contextName: 'queryLength', operator: 'NUM_LTE', value: String(BENCH_ROUTING.maxLength) },
    ],
    [{ contextName: 'queryType', operator: 'IN', values: BENCH_ROUTING.allowedTypes }],
  ];
  const regions: [unknown, number][] = Object.entries(BENCH_ROUTING.regions).map(
    ([region, percentage]) => [
      { contextName: 'region', operator: 'IN', values: [region] },
      percentage,
    ],
  );
  regions.push([
    { contextName: 'region', operator: 'NOT_IN', values: LISTED_REGIONS },
    BENCH_ROUTING.rolloutPercentage,
  ]);
  const strategies = regions.flatMap(([region, percentage]) =>
    branches.map((branch) => ({
      name: 'flexibleRollout',
      parameters: { rollout: String(percentage), stickiness: 'userId', groupId: 'route' },
      constraints: [region, ...branch],
    })),
  );
  const toggle = { name: 'route', enabled: true, project: 'default', type: 'release', strategies };
  const repository = {
    getToggle: (name: string) => (name === 'route' ? toggle : undefined),
    getToggles: () => [toggle],
    getSegment: () => undefined,
  };
  const Client = ((UnleashClientModule as unknown as { default?: unknown }).default ??
    UnleashClientModule) as new (
    repository: unknown,
    strategies: unknown,
  ) => UnleashClient;
  const client = new Client(repository, defaultStrategies);
  const fallback = () => false;
  return {
    name: 'unleash-client',
    async: false,
    decide: (context) =>
      client.isEnabled(
        'route',
        {
          userId: context.userId,
          properties: {
            queryLength: String(codePointLength(context.queryText)),
            queryType: context.queryType,
            region: context.region,
          },
        },
        fallback,
      )
        ? 'lightrag'
        : 'perplexity',
    close: async () => undefined,
  };
}

/** What flagroute's routing says about a context, independent of any hash. */
export function expectedRouting(context: BenchContext): { eligible: boolean; percentage: number } {
  const length = codePointLength(context.queryText);
  const eligible =
    (length >= BENCH_ROUTING.minLength && length <= BENCH_ROUTING.maxLength) ||
    ELIGIBLE_TYPES.has(context.queryType);
  return {
    eligible,
    percentage: BENCH_ROUTING.regions[context.region] ?? BENCH_ROUTING.rolloutPercentage,
  };
}
