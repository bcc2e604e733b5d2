import { describe, expect, it } from 'vitest';
import { DecisionTokens, parseDecisionKeys } from '../../src/decision-tokens/index.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { capturingLogger } from '../helpers/silent-logger.js';
import { INGEST_TOKEN, post, postOutcomes, testServer } from '../helpers/test-server.js';

const MINUTE = 60_000;
const PLAN = `rollout_percentage: 0
enable_ab_testing: true
enable_circuit_breaker: false
enable_quality_metrics: false
rollback_triggers: {enabled: false}
user_hash_salt: unverified-outcomes-salt
rollout_plan:
  stages:
    - { percentage: 10, hold: 1m, min_units: 3 }
    - { percentage: 30, hold: 1m, min_units: 3 }
    - { percentage: 100, hold: 1m }
`;
const KEYS = 'k1:secret-of-the-unverified-outcomes-test-0123456789';

/** The outside tester's outcomes: made-up users, no decision, each arm as the poster says. */
function madeUp(count: number) {
  return Array.from({ length: count }, (_, index) => {
    const lightrag = index % 2 === 0;
    return {
      backend: lightrag ? 'lightrag' : 'perplexity',
      cohort: lightrag ? 'lightrag' : 'perplexity',
      userId: `fk-${lightrag ? 'lightrag' : 'perplexity'}-${index}`,
      success: true,
      latencyMs: 850,
      quality: lightrag ? 0.96 : 0.7,
    };
  });
}

/**
 * Decisions for users `user-0`, `user-1`, ... until each arm has 3, each reported by its token
 * with `quality(user)`; returns the users per arm.
 */
async function reportRealDecisions(url: string, quality: (user: number) => number) {
  const arms = { lightrag: 0, perplexity: 0 };
  for (let user = 0; arms.lightrag < 3 || arms.perplexity < 3; user += 1) {
    const decided = await post(`${url}/v1/decide`, { userId: `user-${user}` });
    const decision = decided.body as { cohort: string; decisionToken: string };
    if (decision.cohort !== 'lightrag' && decision.cohort !== 'perplexity') continue;
    arms[decision.cohort] += 1;
    const sent = await postOutcomes(`${url}/v1/outcomes`, {
      decisionToken: decision.decisionToken,
      userId: `user-${user}`,
      success: true,
      latencyMs: 900,
      quality: quality(user),
    });
    expect(sent).toMatchObject({ status: 200, body: { recorded: 1 } });
  }
  return arms;
}

async function planServer(decisionKey: boolean) {
  const temp = await tempConfigDir({ 'environments/development.yaml': PLAN });
  const clock = new FakeClock(Date.now());
  const { logger, lines } = capturingLogger();
  const server = await testServer({
    configDir: temp.dir,
    watch: false,
    clock,
    logger,
    ingestToken: INGEST_TOKEN,
    ...(decisionKey
      ? { decisionTokens: new DecisionTokens({ keys: parseDecisionKeys(KEYS), clock }) }
      : {}),
    controller: { intervalMs: 3_600_000 },
  });
  const warnings = () => lines.filter((line) => line.level === 40).map((line) => String(line.msg));
  return { server, clock, controller: server.controller!, warnings };
}

describe('outcomes that move a rollout plan must name a decision when the server holds a decision key', () => {
  it('refuses made-up outcomes without a token (the plan keeps holding), and advances on outcomes of real decisions', async () => {
    const { server, clock, controller, warnings } = await planServer(true);
    expect(warnings().some((message) => /outcomes over HTTP are trusted/.test(message))).toBe(
      false,
    );
    await controller.command({ action: 'start', reason: 'launch' });
    await server.router.reload();
    clock.advance(2 * MINUTE);

    const forged = await postOutcomes(`${server.url}/v1/outcomes`, madeUp(240));
    expect(forged.status).toBe(400);
    const body = forged.body as {
      errorCode: string;
      errorDetails: string;
      problems: Record<string, unknown>[];
    };
    expect(body.errorCode).toBe('INVALID_OUTCOME');
    // An answer lists the problems that fit in 16 KiB (docs/http.md, Hardening) and counts all.
    expect(body.problems.length).toBeGreaterThan(0);
    expect(body.problems.every((problem) => problem.reason === 'no_decision')).toBe(true);
    expect(body.errorDetails).toMatch(/of its 240 problems are listed/);
    expect(body.problems[0]).toMatchObject({
      index: 0,
      field: 'decisionToken',
      reason: 'no_decision',
      message: expect.stringContaining('this server holds a decision key (FLAGROUTE_DECISION_KEY)'),
    });
    const metrics = await fetch(`${server.url}/metrics`).then((response) => response.text());
    expect(metrics).toContain('flagroute_outcomes_refused_total{reason="no_decision"} 240');
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'holding', stage: 0 });
    expect(controller.state.reason).toMatch(/it has 0 and 0/);

    // Real decisions, each outcome by its token: the plan counts them and advances.
    await reportRealDecisions(server.url, (user) => 0.7 + (user % 4) * 0.05);
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'running', stage: 1 });
  });

  it('refuses an outcome whose backend and cohort no decision pairs, naming both fields, and warns at start that outcomes are trusted without a key', async () => {
    const { server, warnings } = await planServer(false);
    expect(warnings()).toContain(
      'outcomes over HTTP are trusted as posted: without a decision key (FLAGROUTE_DECISION_KEY) an outcome naming only its backend and cohort counts toward experiments and the rollout plan, so whoever holds the ingest token can invent users and arms that move a plan forward. Set FLAGROUTE_DECISION_KEY: outcomes must then name their decision by its token (or id), and are checked against it',
    );
    const crossed = await postOutcomes(`${server.url}/v1/outcomes`, [
      { backend: 'perplexity', cohort: 'control', success: true },
      { backend: 'lightrag', cohort: 'control', success: true, userId: 'fk-1' },
      { backend: 'perplexity', cohort: 'lightrag', success: false },
    ]);
    expect(crossed.status).toBe(400);
    expect((crossed.body as { problems: unknown[] }).problems).toEqual([
      {
        index: 1,
        field: 'decision.cohort',
        message:
          'decision.cohort is "control" but backend is "lightrag": the "control" cohort is served by "perplexity"; send the backend and cohort of the decision (or its decisionToken)',
      },
      {
        index: 2,
        field: 'decision.cohort',
        message:
          'decision.cohort is "lightrag" but backend is "perplexity": the "lightrag" cohort is served by "lightrag"; send the backend and cohort of the decision (or its decisionToken)',
      },
    ]);
    // Without a key an outcome naming its backend and a cohort that serves it is trusted.
    const trusted = await postOutcomes(`${server.url}/v1/outcomes`, madeUp(4));
    expect(trusted).toMatchObject({ status: 200, body: { recorded: 4 } });
  });

  it('arms with the same constant value are no regression: a margin of 0 held rounding (-2.2e-16) against the plan and rolled it back', async () => {
    const { server, clock, controller } = await planServer(true);
    await controller.command({ action: 'start', reason: 'launch' });
    await server.router.reload();
    clock.advance(2 * MINUTE);
    // These users make 7 LightRAG users and 3 Perplexity users at 10 %: 0.8 x 7 / 7 and
    // 0.8 x 3 / 3 differ by -2.2e-16 in the sums' arithmetic.
    const arms = await reportRealDecisions(server.url, () => 0.8);
    expect(arms).toEqual({ lightrag: 7, perplexity: 3 });
    await controller.look();
    expect(controller.state).toMatchObject({ phase: 'running', stage: 1 });
  });
});
