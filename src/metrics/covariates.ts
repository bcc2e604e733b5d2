/**
 * What a decision knew of its query before routing it, for variance reduction: none of it
 * depends on the arm, so any difference between the arms in it is chance, and an outcome's
 * dependence on it can be taken out of the comparison (regression adjustment,
 * post-stratification). Every field is optional: a context that did not give it leaves it out.
 */
export interface Covariates {
  /** The context's query type (`factual`, `analytical`, ...). */
  queryType?: string;
  /** The query's length bucket: floor(log2(1 + code points)), 0 for an empty text. */
  lengthBucket?: number;
  /** The context's query complexity score. */
  complexity?: number;
  /** The context's region. */
  region?: string;
}

/** The covariates that are categories (one indicator column per level in a design). */
export const CATEGORICAL_COVARIATES = ['queryType', 'region'] as const;
/** The covariates that are numbers (one column each in a design). */
export const NUMERIC_COVARIATES = ['lengthBucket', 'complexity'] as const;

/** The longest category value a record keeps (longer ones are cut: they are labels, not data). */
export const MAX_COVARIATE_LENGTH = 64;

/** The length bucket of a text of `codePoints` code points: floor(log2(1 + codePoints)). */
export function lengthBucket(codePoints: number): number {
  return Math.floor(Math.log2(1 + codePoints));
}

/**
 * The covariates of a query from the context's fields (`codePoints`: the text's length in
 * code points, when there was a text); null when the context gave none of them.
 */
export function covariatesOf(fields: {
  queryType?: string | undefined;
  codePoints?: number | undefined;
  queryComplexity?: number | undefined;
  region?: string | undefined;
}): Covariates | null {
  const covariates: Covariates = {};
  let any = false;
  if (typeof fields.queryType === 'string' && fields.queryType !== '') {
    covariates.queryType = fields.queryType.slice(0, MAX_COVARIATE_LENGTH);
    any = true;
  }
  if (fields.codePoints !== undefined) {
    covariates.lengthBucket = lengthBucket(fields.codePoints);
    any = true;
  }
  if (typeof fields.queryComplexity === 'number' && Number.isFinite(fields.queryComplexity)) {
    covariates.complexity = fields.queryComplexity;
    any = true;
  }
  if (typeof fields.region === 'string' && fields.region !== '') {
    covariates.region = fields.region.slice(0, MAX_COVARIATE_LENGTH);
    any = true;
  }
  return any ? covariates : null;
}

/**
 * Covariates read field by field from a value of unknown shape (a token's claim, signed by the
 * issuer and so trusted, but perhaps of another version): those of the right type, or
 * undefined when there are none.
 */
export function covariatesOfClaim(claim: unknown): Covariates | undefined {
  if (typeof claim !== 'object' || claim === null) return undefined;
  const given = claim as Record<string, unknown>;
  const covariates: Covariates = {};
  if (typeof given.queryType === 'string') covariates.queryType = given.queryType;
  if (typeof given.lengthBucket === 'number') covariates.lengthBucket = given.lengthBucket;
  if (typeof given.complexity === 'number') covariates.complexity = given.complexity;
  if (typeof given.region === 'string') covariates.region = given.region;
  return Object.keys(covariates).length > 0 ? covariates : undefined;
}
