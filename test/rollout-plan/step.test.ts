import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RolloutStage } from '../../src/config/types.js';
import type { Moments, OutcomeMetric } from '../../src/metrics/index.js';
import {
  type ArmSnapshot,
  invariantViolation,
  PLAN_PHASES,
  type PlanAction,
  type PlanEffect,
  type PlanMetrics,
  type PlanState,
  type PlanView,
  pendingState,
  type StepInput,
  step,
  TRANSITION_EVENTS,
  TRANSITIONS,
} from '../../src/rollout-plan/index.js';
import cases from '../cases/rollout-plan.json' with { type: 'json' };
import { REPO_DIR } from '../helpers/config-dir.js';
import { perUser } from '../helpers/hand-source.js';

const MINUTE = 60_000;
const START = Date.UTC(2026, 0, 1);
const at = (minutes: number) => START + minutes * MINUTE;

interface Figures {
  errors?: number;
  quality?: number;
}
interface MetricsRow {
  units: number;
  treatment?: Figures;
  baseline?: Figures;
  rollback?: string;
}
interface Row {
  name: string;
  event: string;
  state: Partial<Omit<PlanState, 'stageBaseline' | 'stageStartedAt'>> & {
    stageStartedAt?: number;
    stageBaseline?: { units: number } | null;
  };
  input: {
    command?: PlanAction;
    reason?: string;
    look?: boolean;
    at: number;
    served: number;
    shadow?: number;
    killSwitch?: string;
    stages?: Partial<RolloutStage>[];
    actions?: Record<string, { action: string; for: number }>;
    metrics?: MetricsRow;
  };
  expect: {
    refusal?: { code: string; message: string };
    state?: Record<string, unknown> & { reasonIncludes?: string; stageStartedAt?: number };
    effects?: string[];
  };
}

/** Moments of n values with this mean and standard deviation (exactly). */
function moments(n: number, mean: number, sd: number): Moments {
  return { n, sum: n * mean, sum_of_squares: (n - 1) * sd * sd + n * mean * mean };
}

function arms(units: number, treatment: Figures = {}, baseline: Figures = {}): ArmSnapshot {
  const arm = (figures: Figures, quality: number): Partial<Record<OutcomeMetric, Moments>> => {
    const p = 1 - (figures.errors ?? 0.01);
    return {
      success_rate: moments(units, p, Math.sqrt(p * (1 - p))),
      quality_score: moments(units, figures.quality ?? quality, 0.05),
    };
  };
  return { treatment: arm(treatment, 0.85), baseline: arm(baseline, 0.78) };
}

/** The same figures with one outcome per user (d_i = 1). */
function userArms(snapshot: ArmSnapshot): ArmSnapshot {
  const each = (arm: ArmSnapshot['treatment']) =>
    Object.fromEntries(
      Object.entries(arm).map(([metric, moments]) => [metric, perUser(moments)]),
    ) as ArmSnapshot['treatment'];
  return { treatment: each(snapshot.treatment), baseline: each(snapshot.baseline) };
}

function stagesOf(stages: Partial<RolloutStage>[]): RolloutStage[] {
  return stages.map(
    (stage) => ({ min_units: 0, approval: false, shadow: false, ...stage }) as RolloutStage,
  );
}

function stateOf(row: Row): PlanState {
  const { stageStartedAt, stageBaseline, ...rest } = row.state;
  return {
    ...pendingState('test'),
    reason: 'as it was',
    ...rest,
    stageStartedAt: stageStartedAt === undefined ? null : at(stageStartedAt),
    stageBaseline: stageBaseline ? arms(stageBaseline.units) : { treatment: {}, baseline: {} },
  };
}

function inputOf(row: Row): StepInput {
  const { input } = row;
  const plan: PlanView = {
    stages: stagesOf(input.stages ?? cases.plan.stages),
    maxHoldFactor: cases.plan.maxHoldFactor,
    served: input.served,
    shadow: input.shadow ?? 0,
    killSwitch: input.killSwitch ?? null,
    triggers: cases.plan.triggers,
    guardrails: {
      ...(cases.plan.guardrails as PlanView['guardrails']),
      actions: (input.actions ?? {}) as PlanView['guardrails']['actions'],
    },
  };
  if (input.command) {
    const command = { action: input.command, reason: input.reason ?? 'because' };
    return { kind: 'command', command, at: at(input.at), plan, baseline: arms(0) };
  }
  // Per user: the stage's own users (the cumulative count less the stage's start).
  const atStart = row.state.stageBaseline?.units ?? 0;
  const metrics: PlanMetrics | null = input.metrics
    ? {
        unit: 'user',
        arms: userArms(
          arms(
            input.metrics.units >= atStart ? input.metrics.units - atStart : input.metrics.units,
            input.metrics.treatment,
            input.metrics.baseline,
          ),
        ),
        breakerOpen: false,
        p95Seconds: null,
        rollback: input.metrics.rollback ?? null,
      }
    : null;
  return { kind: 'look', at: at(input.at), plan, metrics };
}

function describeEffect(effect: PlanEffect): string {
  if (effect.kind === 'set_rollout') return `set_rollout:${effect.percentage}`;
  if (effect.kind === 'notify') return `notify:${effect.transition.event}`;
  return effect.kind;
}

const rows = cases.rows as Row[];

describe('the rollout plan as a pure step (test/cases/rollout-plan.json)', () => {
  it.each(rows)('$name', (row) => {
    const before = stateOf(row);
    const input = inputOf(row);
    const result = step(before, input);
    if (row.expect.refusal) {
      expect(result).toMatchObject({ ok: false, code: row.expect.refusal.code });
      expect(result.ok || result.message).toContain(row.expect.refusal.message);
      return;
    }
    if (!result.ok) throw new Error(`refused: ${result.code} ${result.message}`);
    expect(result.effects.map(describeEffect)).toEqual(row.expect.effects);
    if (row.expect.effects?.length === 0) expect(result.state).toBe(before);
    const { reasonIncludes, stageStartedAt, ...fields } = row.expect.state ?? {};
    expect(result.state).toMatchObject(fields);
    if (stageStartedAt !== undefined) expect(result.state.stageStartedAt).toBe(at(stageStartedAt));
    if (reasonIncludes) expect(result.state.reason).toContain(reasonIncludes);
    // The invariant: a phase of the table, a stage index within the plan.
    expect(invariantViolation(result.state, input.plan.stages)).toBeNull();
    // A transition is written down once, as the table allows it.
    const notice = result.effects.find((effect) => effect.kind === 'notify');
    if (notice?.kind === 'notify') {
      const { event, from, to } = notice.transition;
      expect(TRANSITIONS[event][from]).toBe(to);
      expect(result.state.history.at(-1)).toEqual(notice.transition);
      expect(notice.transition.at).toBe(new Date(input.at).toISOString());
    } else {
      expect(result.state.history).toEqual(before.history);
    }
  });

  it('tries every event from every phase', () => {
    const missing: string[] = [];
    for (const event of TRANSITION_EVENTS) {
      for (const phase of PLAN_PHASES) {
        if (!rows.some((row) => row.event === event && row.state.phase === phase)) {
          missing.push(`${event} from ${phase}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('every transition of the table happens in some row', () => {
    const seen = new Set<string>();
    for (const row of rows) {
      const result = step(stateOf(row), inputOf(row));
      for (const effect of result.ok ? result.effects : []) {
        if (effect.kind === 'notify') {
          seen.add(
            `${effect.transition.event}: ${effect.transition.from} -> ${effect.transition.to}`,
          );
        }
      }
    }
    const table = Object.entries(TRANSITIONS).flatMap(([event, moves]) =>
      Object.entries(moves).map(([from, to]) => `${event}: ${from} -> ${to}`),
    );
    expect(table.filter((move) => !seen.has(move))).toEqual([]);
  });

  it('docs/architecture.md shows the table as it is', () => {
    const text = readFileSync(join(REPO_DIR, 'docs', 'architecture.md'), 'utf8');
    const table = /<!-- transition-table -->\n([\s\S]*?)\n<!-- \/transition-table -->/.exec(
      text,
    )![1]!;
    const [header, , ...rows] = table.split('\n').map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/`/g, '')),
    );
    expect(header!.slice(1)).toEqual([...PLAN_PHASES]);
    const shown = Object.fromEntries(
      rows.map(([event, ...cells]) => [
        event,
        Object.fromEntries(
          cells.flatMap((to, index) => (to === '-' ? [] : [[PLAN_PHASES[index], to]])),
        ),
      ]),
    );
    expect(shown).toEqual(TRANSITIONS);
  });
});
