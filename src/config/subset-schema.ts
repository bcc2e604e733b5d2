import { Schema, Type } from 'js-yaml';

/**
 * The schema of the fast YAML path (`parseYamlSubset`): js-yaml reading plain scalars exactly
 * as the `yaml` library's core schema does, and nothing else.
 */

/**
 * Thrown inside js-yaml (by this schema or the listener of `parseYamlSubset`) to leave a parse
 * the moment the text is outside the subset.
 */
class OutsideSubset extends Error {}
/** The one instance thrown: its stack is made once. */
export const OUTSIDE = new OutsideSubset('outside the YAML subset of the fast path');

// The plain scalars of the `yaml` library's core schema (YAML 1.2), in its order of trial,
// copied from its source (yaml/dist/schema/core): js-yaml's own core schema differs (it reads
// 1_000 and 0o17 and .inf as numbers, and yes/no in places).
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** n, N, t, T, f, F. */
const NULL_OR_BOOL_START = new Set([0x6e, 0x4e, 0x74, 0x54, 0x66, 0x46]);

/** What a plain scalar that stays a string resolves to. */
const STRING = Symbol('string');

/**
 * A plain scalar as the `yaml` library's core schema reads it, or {@link STRING}. Hex, octal,
 * `.inf` and `.nan` leave the subset: the full path refuses them with their place.
 */
function plainScalarValue(source: string): unknown {
  const first = source.charCodeAt(0);
  // Only these first characters can start a null, a boolean or a number: a name never reaches
  // a regular expression.
  if (!(first <= 0x39 || first === 0x7e || NULL_OR_BOOL_START.has(first))) return STRING;
  if (NULL.test(source)) return null;
  if (BOOL.test(source)) return first === 0x74 || first === 0x54;
  if (INT_OCT.test(source)) throw OUTSIDE;
  if (INT.test(source)) return Number.parseInt(source, 10);
  if (INT_HEX.test(source) || FLOAT_NAN.test(source)) throw OUTSIDE;
  if (FLOAT_EXP.test(source) || FLOAT.test(source)) return Number.parseFloat(source);
  return STRING;
}

/** The plain scalar last resolved: js-yaml calls `construct` right after a `resolve` of true. */
let resolved: unknown;
/** The tag js-yaml gives a plain scalar this schema resolved. */
export const PLAIN_TAG = 'tag:flagroute.dev,2026:plain';
const plainScalar = new Type(PLAIN_TAG, {
  kind: 'scalar',
  resolve: (source: string) => {
    resolved = plainScalarValue(source);
    return resolved !== STRING;
  },
  construct: () => resolved,
});
/**
 * Only the plain scalars' resolution, and no tag: `!!str`, `!!map` or any other tag is unknown
 * to it, so js-yaml throws on it and the text goes the full way.
 */
export const SUBSET_SCHEMA = new Schema({ implicit: [plainScalar] });
