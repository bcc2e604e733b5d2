import type { ErrorObject } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import type { ConfigIssue } from './issues.js';
import type { SchemaNode } from './schemas.js';
import { positionOf, type YamlFile } from './yaml-file.js';

const YAML11_BOOLEANS = new Set(['yes', 'no', 'on', 'off', 'y', 'n']);

/** How a secret's value is described: its kind and size, never its content. */
export function describeSecret(value: unknown): string {
  if (typeof value === 'string')
    return `a string of ${[...value].length} characters (not shown: secret)`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list (not shown: secret)';
  return `${typeof value === 'object' ? 'a mapping' : `a ${typeof value}`} (not shown: secret)`;
}

/** The most characters of a client's text that a message repeats (then its length). */
export const MAX_ECHOED_CHARACTERS = 64;

/**
 * A client's text as a message may repeat it: whole up to {@link MAX_ECHOED_CHARACTERS}
 * characters (code points), else its start and its length, so that no answer or log line
 * echoes unbounded input; `quoted` puts the part shown in JSON quotes.
 */
export function echoed(text: string, quoted = false): string {
  const quote = (part: string) => (quoted ? JSON.stringify(part) : part);
  if (text.length <= MAX_ECHOED_CHARACTERS) return quote(text);
  const points = [...text];
  if (points.length <= MAX_ECHOED_CHARACTERS) return quote(text);
  return `${quote(points.slice(0, MAX_ECHOED_CHARACTERS).join(''))}… (${points.length} characters)`;
}

/** A value as a message shows it: strings quoted (long ones cut, see {@link echoed}), lists and mappings by kind. */
export function show(value: unknown): string {
  if (typeof value === 'string') return echoed(value, true);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** Describes in words what a schema node accepts, for error messages and docs. */
export function describeAllowed(schema: SchemaNode): string {
  if (schema['x-allowed']) return schema['x-allowed'];
  if (schema.enum) return `one of ${schema.enum.map(show).join(', ')}`;
  if (schema.const !== undefined) return show(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type;
  if (type === 'number' || type === 'integer') {
    const noun = type === 'integer' ? 'a whole number' : 'a number';
    const low =
      schema.minimum !== undefined
        ? `${schema.minimum}`
        : schema.exclusiveMinimum !== undefined
          ? `more than ${schema.exclusiveMinimum}`
          : undefined;
    const high = schema.maximum ?? schema.exclusiveMaximum;
    if (low !== undefined && high !== undefined) {
      const upTo = schema.maximum !== undefined ? `to ${high}` : `below ${high}`;
      return schema.minimum !== undefined
        ? `${noun} from ${low} ${upTo}`
        : `${noun} ${low}, up ${upTo}`;
    }
    if (low !== undefined) return `${noun} of at least ${low}`;
    if (high !== undefined) return `${noun} of at most ${high}`;
    return noun;
  }
  if (type === 'boolean') return 'true or false';
  if (type === 'string') {
    if (schema.maxLength !== undefined) return `a string of at most ${schema.maxLength} characters`;
    return 'a string';
  }
  if (type === 'array') return 'a list';
  if (type === 'object') return 'a mapping';
  return 'a valid value';
}

/** Suggests the known key closest to a misspelt one, if one is close enough. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const candidate = closest(unknown, known as string[]);
  const limit = Math.max(2, Math.floor(unknown.length / 3));
  return distance(unknown, candidate) <= limit ? candidate : undefined;
}

/** The key a pointer ends in; a list item is named with its list: `stages[0]`, not `0`. */
function lastSegment(pointer: string): string {
  const segments = pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  const last = segments.at(-1) ?? '';
  if (/^\d+$/.test(last) && segments.length > 1) return `${segments.at(-2)}[${last}]`;
  return last;
}

function escapeSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Where an Ajv error is located: the file position, or the variable. */
export type IssueLocation =
  | { kind: 'file'; file: YamlFile; pointerPrefix?: string }
  | { kind: 'variable'; variable: string };

/**
 * An `anyOf` (a value of one of several shapes) fails with each branch's errors and its own. A
 * branch's errors about the value itself only say it is not that shape: the `anyOf`'s message
 * (its `x-allowed`) says it once. Where a branch failed deeper (a mapping with a wrong field),
 * those errors say what is wrong, and the `anyOf`'s is dropped instead.
 */
function withoutBranchNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const alternatives = errors.filter((error) => error.keyword === 'anyOf');
  if (alternatives.length === 0) return [...errors];
  const inBranch = (error: ErrorObject, anyOf: ErrorObject) =>
    error !== anyOf && error.schemaPath.startsWith(`${anyOf.schemaPath}/`);
  return errors.filter((error) => {
    for (const anyOf of alternatives) {
      const deeper = errors.some(
        (other) => inBranch(other, anyOf) && other.instancePath !== anyOf.instancePath,
      );
      if (error === anyOf) return !deeper;
      if (inBranch(error, anyOf) && error.instancePath === anyOf.instancePath) return false;
    }
    return true;
  });
}

/**
 * Turns Ajv errors into issues with positions and plain-language messages. Errors that only
 * say "a branch did not match" (`if`) are dropped: the branch's own errors say what is wrong.
 */
export function schemaIssues(
  errors: readonly ErrorObject[],
  location: IssueLocation,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const error of withoutBranchNoise(errors)) {
    if (error.keyword === 'if') continue;
    const built = describeError(error);
    const pointer =
      (location.kind === 'file' ? (location.pointerPrefix ?? '') : '') + built.pointer;
    const key = `${pointer}|${built.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const issue: ConfigIssue =
      location.kind === 'variable'
        ? {
            code: built.code,
            file: null,
            line: null,
            column: null,
            variable: location.variable,
            pointer,
            message: built.message,
          }
        : {
            code: built.code,
            file: location.file.displayPath,
            ...positionOf(location.file, pointer, built.at),
            pointer,
            message: built.message,
          };
    if (built.allowed !== undefined) issue.allowed = built.allowed;
    issues.push(issue);
  }
  return issues;
}

interface DescribedError {
  code: ConfigIssue['code'];
  pointer: string;
  at: 'key' | 'value';
  message: string;
  /** What is allowed, in the schema's words only (see {@link ConfigIssue.allowed}). */
  allowed?: string;
}

/** What one Ajv error is about: where it points, its field's name, the schema it broke. */
interface ErrorSite {
  error: ErrorObject;
  pointer: string;
  name: string;
  parent: SchemaNode;
}

function describeError(error: ErrorObject): DescribedError {
  const pointer = error.instancePath;
  const name = pointer === '' ? 'the file' : lastSegment(pointer);
  const parent = (error.parentSchema ?? {}) as SchemaNode;
  const describe = DESCRIBERS[error.keyword] ?? wrongValue;
  return describe({ error, pointer, name, parent });
}

function unknownKey({ error, pointer, parent }: ErrorSite): DescribedError {
  const extra = String((error.params as { additionalProperty: string }).additionalProperty);
  const known = Object.keys(parent.properties ?? {});
  const suggestion = suggestKey(extra, known);
  const hint = suggestion
    ? ` (did you mean "${suggestion}"?)`
    : known.length > 0
      ? `; known keys: ${known.join(', ')}`
      : '';
  return {
    code: 'UNKNOWN_KEY',
    pointer: `${pointer}/${escapeSegment(extra)}`,
    at: 'key',
    message: `unknown key "${extra}"${hint}`,
    ...(known.length > 0 ? { allowed: `the keys ${known.join(', ')}` } : {}),
  };
}

function missingKey({ error, pointer, name }: ErrorSite): DescribedError {
  const missing = String((error.params as { missingProperty: string }).missingProperty);
  const owner = name === 'the file' ? 'the file' : `"${name}"`;
  return {
    code: 'SCHEMA',
    pointer,
    at: 'value',
    message: `${owner} is missing the required key "${missing}"`,
    allowed: `a mapping with the key "${missing}"`,
  };
}

function badName({ error, pointer, parent }: ErrorSite): DescribedError {
  const property = String((error.params as { propertyName: string }).propertyName);
  const namesSchema = (parent as { propertyNames?: SchemaNode }).propertyNames ?? {};
  return {
    code: 'SCHEMA',
    pointer: `${pointer}/${escapeSegment(property)}`,
    at: 'key',
    message: `name "${property}" is not allowed; use ${describeAllowed(namesSchema)}`,
    allowed: `names that are ${describeAllowed(namesSchema)}`,
  };
}

function repeatedItem({ error, pointer, name }: ErrorSite): DescribedError {
  const { i, j } = error.params as { i: number; j: number };
  return {
    code: 'SCHEMA',
    pointer,
    at: 'value',
    message: `${name} lists the same item twice (items ${j + 1} and ${i + 1})`,
    allowed: 'each item once',
  };
}

function wrongCount({ error, pointer, name, parent }: ErrorSite): DescribedError {
  const use = parent['x-allowed'] ? `; use ${parent['x-allowed']}` : '';
  return {
    code: 'SCHEMA',
    pointer,
    at: 'value',
    message: `${name} ${error.message ?? 'is invalid'}${use}`,
    ...(parent['x-allowed'] ? { allowed: parent['x-allowed'] } : {}),
  };
}

/** A value of the wrong type or out of range: what is allowed, what was given (never a secret). */
function wrongValue({ error, pointer, name, parent }: ErrorSite): DescribedError {
  const shown = parent['x-secret'] ? describeSecret(error.data) : show(error.data);
  const options = parent.enum?.filter((option): option is string => typeof option === 'string');
  const suggestion =
    options && typeof error.data === 'string' ? suggestKey(error.data, options) : undefined;
  const didYouMean = suggestion ? ` (did you mean "${suggestion}"?)` : '';
  const yaml11 =
    parent.type === 'boolean' &&
    typeof error.data === 'string' &&
    YAML11_BOOLEANS.has(error.data.toLowerCase())
      ? ` (YAML 1.2 reads ${shown} as text; write true or false)`
      : '';
  return {
    code: 'SCHEMA',
    pointer,
    at: 'value',
    message: `${name} must be ${describeAllowed(parent)}, got ${shown}${yaml11}${didYouMean}`,
    allowed: describeAllowed(parent),
  };
}

/** How each Ajv keyword's error is put into words; any other keyword is a wrong value. */
const DESCRIBERS: Readonly<Record<string, (site: ErrorSite) => DescribedError>> = {
  additionalProperties: unknownKey,
  required: missingKey,
  propertyNames: badName,
  uniqueItems: repeatedItem,
  minItems: wrongCount,
  maxProperties: wrongCount,
  minProperties: wrongCount,
};
