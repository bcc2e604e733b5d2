import type { Backend } from '../config/types.js';
import type { Cohort } from '../decision/types.js';
import type { Outcome } from '../metrics/index.js';

/**
 * The shadow call's result: what LightRAG did with a query whose served answer was
 * Perplexity's. Satisfaction is not among its fields: no user saw the shadow's answer.
 */
export type ShadowOutcome = Pick<Outcome, 'success' | 'latencyMs' | 'quality' | 'costUsd'>;

/** Who a judge preferred, of the two answers to one shadowed query. */
export const PREFERENCE_WINNERS = ['lightrag', 'perplexity', 'tie'] as const;
/** A judge's verdict on one pair. */
export type PreferenceWinner = (typeof PREFERENCE_WINNERS)[number];

/** A judge's pairwise preference between the served answer and the shadow's. */
export type JudgePreference = {
  winner: PreferenceWinner;
  /** Who judged (a model's name, a rater pool). */
  judge: string;
};

/** The shadow's half of a pair, as it travels with the served outcome. */
export type ShadowParts = {
  /** LightRAG's result on the same query. */
  shadow?: ShadowOutcome;
  /** A judge's preference between the two answers (only with `shadow`). */
  preference?: JudgePreference;
};

/**
 * What is wrong with a pair for the decision it follows, as `[field, message]`, or null: a
 * shadow result belongs to a query Perplexity served at assignment (cohort `perplexity` or
 * `control`; never the LightRAG arm, and never a decision the tree stopped before assigning,
 * which is never shadowed), and a preference compares two answers, so it needs the shadow's.
 */
export function pairProblem(
  parts: ShadowParts,
  decision: { backend: Backend; cohort: Cohort | null },
): [field: string, message: string] | null {
  if (parts.preference !== undefined && parts.shadow === undefined) {
    return [
      'outcome.preference',
      'compares the served answer with the shadow call\u2019s: send it with outcome.shadow',
    ];
  }
  if (parts.shadow === undefined) return null;
  if (
    decision.backend !== 'perplexity' ||
    decision.cohort === 'lightrag' ||
    decision.cohort === null
  ) {
    return [
      'outcome.shadow',
      `is for a query Perplexity served (cohort perplexity or control) while LightRAG answered in the shadow; this decision served ${decision.backend} ${decision.cohort === null ? 'without a cohort' : `in cohort ${decision.cohort}`}`,
    ];
  }
  return null;
}

/**
 * What is wrong with a pair for its decision, as `[field, message]`, or null: the checks of
 * {@link pairProblem}, and, for a decision whose shadow selection is known (`shadow`: by its
 * token, its id in a ledger, or a whole `Decision` in process), that it was picked for the
 * shadow: a pair the service made on its own sample would bias the comparison. A decision
 * given by backend and cohort alone (`shadow` undefined) has nothing to check it against. The
 * one check of `POST /v1/outcomes`, the provider's `track` and `router.recordOutcome`.
 */
export function pairRefusal(
  parts: ShadowParts,
  decision: { backend: Backend; cohort?: Cohort | null; shadow?: boolean | undefined },
): [field: string, message: string] | null {
  return (
    pairProblem(parts, { backend: decision.backend, cohort: decision.cohort ?? null }) ??
    (parts.shadow !== undefined && decision.shadow === false
      ? [
          'outcome.shadow',
          'is for a decision picked for the shadow (shadow: "lightrag"); this one was not, and its pair would bias the comparison',
        ]
      : null)
  );
}

/** {@link pairRefusal} of a posted outcome, at its index in a batch, or undefined. */
export function unpaired(
  posted: ShadowParts,
  decision: { backend: Backend; cohort?: Cohort | null; shadow?: boolean },
  index: number,
): { index: number; field: string; message: string } | undefined {
  const found = pairRefusal(posted, decision);
  return found ? { index, field: found[0], message: `${found[0]} ${found[1]}` } : undefined;
}

/** The shadow's half of a checked report, copied (undefined parts left out). */
export function shadowPartsOf(report: ShadowParts): ShadowParts {
  const parts: ShadowParts = {};
  if (report.shadow !== undefined) parts.shadow = { ...report.shadow };
  if (report.preference !== undefined) parts.preference = { ...report.preference };
  return parts;
}

/** Copies the shadow's half of a pair onto an event line (nothing when there is none). */
export function addShadowParts(event: ShadowParts, parts: ShadowParts): void {
  if (parts.shadow !== undefined) event.shadow = parts.shadow;
  if (parts.preference !== undefined) event.preference = parts.preference;
}
