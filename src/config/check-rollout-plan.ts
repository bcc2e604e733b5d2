import type { ConfigIssue } from './issues.js';
import type { EnvironmentSettings, RolloutStage } from './types.js';
import { issueAt, type YamlFile } from './yaml-file.js';

/** What a shadow stage serves when its file says nothing: every eligible query it may shadow. */
export const SHADOW_STAGE_PERCENTAGE = 100;
/** The pairs a shadow stage needs when its file says nothing. */
export const SHADOW_STAGE_MIN_PAIRS = 500;

/**
 * What the schema cannot say of a rollout plan, each at its file:line:col: the first stage, of
 * either kind, asks no `approval` (starting the plan is its approval); a shadow stage comes first
 * and is followed by a stage that serves users; `min_pairs` belongs to a shadow stage and
 * `min_units` (users per arm) to the others; the percentages of the stages that serve users
 * increase (a shadow stage's percentage is a share of queries, not of users).
 */
export function checkRolloutPlan(settings: EnvironmentSettings, file: YamlFile): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const stages = settings.rollout_plan.stages;
  const at = (index: number, key: string, message: string, where: 'value' | 'key' = 'value') =>
    issues.push(issueAt(file, `/rollout_plan/stages/${index}/${key}`, 'SCHEMA', message, where));
  const written = (index: number, key: string) => {
    const stage = (file.data as { rollout_plan?: { stages?: unknown[] } }).rollout_plan?.stages?.[
      index
    ];
    return stage !== null && typeof stage === 'object' && Object.hasOwn(stage, key);
  };
  const first = stages[0];
  if (first?.approval === true) {
    const approve = first.shadow ? 'the first users on LightRAG' : 'the step to stage 2';
    at(
      0,
      'approval',
      `approval holds the plan for a person before it advances into a stage, and no stage advances into the first (flagroute rollout plan start enters it, and is that approval), so here it would ask nothing; to have a person approve ${approve}, set approval: true on stage 2`,
      'key',
    );
  }
  for (const [index, stage] of stages.entries()) {
    if (stage.shadow) {
      if (index > 0) {
        at(
          index,
          'shadow',
          `a shadow stage must be the first stage (it proves LightRAG before any user is served it); this is stage ${index + 1}`,
        );
      } else if (stages.length === 1) {
        at(
          index,
          'shadow',
          'a shadow stage must be followed by a stage that serves users (a plan that only shadows never ends; use flagroute rollout shadow)',
        );
      }
      if (written(index, 'min_units')) {
        at(
          index,
          'min_units',
          'min_units counts users per arm, and a shadow stage serves LightRAG to no user: give min_pairs (the pairs it needs) instead',
          'key',
        );
      }
    } else if (stage.min_pairs !== undefined) {
      at(
        index,
        'min_pairs',
        'min_pairs counts shadow pairs and applies only to a shadow stage (shadow: true); a stage that serves users counts min_units',
        'key',
      );
    }
  }
  let before: RolloutStage | undefined;
  for (const [index, stage] of stages.entries()) {
    if (stage.shadow) continue;
    if (before && stage.percentage <= before.percentage) {
      at(
        index,
        'percentage',
        `stage percentages must increase: ${stage.percentage} follows ${before.percentage}`,
      );
    }
    before = stage;
  }
  return issues;
}

/** Fills a shadow stage's defaults (its percentage and min_pairs) into valid settings, before they are frozen. */
export function fillShadowStages(settings: EnvironmentSettings): void {
  for (const stage of settings.rollout_plan.stages) {
    if (!stage.shadow) continue;
    // The schema lets a shadow stage leave out its percentage (a share of queries, not users).
    if ((stage.percentage as number | undefined) === undefined)
      stage.percentage = SHADOW_STAGE_PERCENTAGE;
    stage.min_pairs ??= SHADOW_STAGE_MIN_PAIRS;
  }
}
