import { NUMERIC_COVARIATES, OUTCOME_METRICS } from '../metrics/index.js';
import {
  ONE_ENTRY,
  orderedEntries,
  type RequestCovariateSnapshot,
  VALUE_ENTRY,
} from '../outcomes/index.js';
import type { CovariateMoments } from '../statistics/index.js';
import { ARMS } from './experiment-data.js';
import { type PrometheusSourceOptions, query } from './prometheus-source.js';
import type { CovariateData } from './variance-reduction.js';

/** The series `/metrics` exports the request-level cross-products in. */
const SERIES = 'flagroute_outcome_covariate_products';

/** One arm's and metric's cross-products by `row\ncolumn`, around one shift. */
interface Products {
  shift: number;
  values: Map<string, number>;
}

/** Numeric covariates first (in their order), then the levels by name. */
function columnOrder(a: string, b: string): number {
  const rank = (name: string) => {
    const at = (NUMERIC_COVARIATES as readonly string[]).indexOf(name);
    return at < 0 ? NUMERIC_COVARIATES.length : at;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * One arm's and metric's cross-products of (m, d, c, s_1 .. s_k) at the request unit (d = c = 1):
 * read from the named products, a pair missing in every instance being 0.
 */
function momentsOf(products: Products | undefined, columns: readonly string[]): CovariateMoments {
  const entries = [VALUE_ENTRY, ONE_ENTRY, ONE_ENTRY, ...columns];
  const size = entries.length;
  const at = (i: number, j: number) =>
    products?.values.get(orderedEntries(entries[i]!, entries[j]!).join('\n')) ?? 0;
  return {
    n: at(1, 1),
    sums: entries.map((_, i) => at(1, i)),
    products: Array.from({ length: size * size }, (_, index) =>
      at(Math.floor(index / size), index % size),
    ),
  };
}

/**
 * The fleet's request-level covariate cross-products from Prometheus: every instance's
 * `flagroute_outcome_covariate_products` summed by (cohort, metric, shift, row, column), the
 * columns matched by name (an instance that never saw a level adds 0 to its products). Null
 * when no instance exports covariate columns. A metric whose instances disagree on the shift
 * (flagroute versions with different references) keeps the series of its first shift only.
 */
export async function covariatesFromPrometheus(
  base: URL,
  options: PrometheusSourceOptions = {},
): Promise<CovariateData | null> {
  const rows = await query(
    base,
    `sum by (cohort, metric, shift, row, column) (${SERIES})`,
    'vector',
    options,
  );
  const groups = new Map<string, Products>();
  const columns = new Set<string>();
  for (const { metric: labels, value } of rows) {
    const { cohort, metric, shift, row, column } = labels;
    if (!cohort || !metric || row === undefined || column === undefined) continue;
    const key = `${cohort}\n${metric}`;
    const group = groups.get(key) ?? { shift: Number(shift ?? 0), values: new Map() };
    groups.set(key, group);
    if (group.shift !== Number(shift ?? 0)) continue;
    const sum = Number(value?.[1]);
    group.values.set(`${row}\n${column}`, sum);
    // A column no outcome gave a value (the numeric ones of queries without covariates) is none.
    for (const name of [row, column])
      if (name !== VALUE_ENTRY && name !== ONE_ENTRY && sum !== 0) columns.add(name);
  }
  if (columns.size === 0) return null;
  const ordered = [...columns].sort(columnOrder);
  const arms = ARMS.map((arm) =>
    OUTCOME_METRICS.map((metric) => momentsOf(groups.get(`${arm}\n${metric}`), ordered)),
  ) as [CovariateMoments[], CovariateMoments[]];
  const shifts = ARMS.map((arm) =>
    OUTCOME_METRICS.map((metric) => groups.get(`${arm}\n${metric}`)?.shift ?? 0),
  ) as [number[], number[]];
  return { unit: 'request', columns: ordered, dropped_levels: 0, shifts, arms };
}

/**
 * A live router's request-level covariate sums as the adjustment reads them; null when no
 * outcome in an arm carried covariates.
 */
export function covariatesOfRequests(snapshot: RequestCovariateSnapshot): CovariateData | null {
  const any = snapshot.arms.some((metrics) =>
    metrics.some((moments) => moments.sums.slice(3).some((sum) => sum !== 0)),
  );
  if (!any) return null;
  return {
    unit: 'request',
    columns: snapshot.columns,
    dropped_levels: snapshot.droppedLevels,
    shifts: [snapshot.shifts, snapshot.shifts],
    arms: snapshot.arms,
  };
}
