import { isScalar, type Node, type Pair, type Scalar } from 'yaml';
import type { ConfigIssueCode } from './issues.js';

/** A problem found in YAML (or JSON) text, at a character offset. */
export interface TextProblem {
  code: ConfigIssueCode;
  message: string;
  offset: number;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** The only explicit tags accepted: YAML 1.2's core types, which add no behaviour. */
const ALLOWED_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`),
);
// C0 controls and DEL, but tab, line feed and carriage return, which YAML text may hold.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it looks for
export const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const NON_DECIMAL_NUMBER = /^[-+]?0[xXoObB]/;
const NON_FINITE_NUMBER = /^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$/;

const at = (node: Node | null | undefined) => node?.range?.[0] ?? 0;

/**
 * A pair whose key would alter object prototypes (`__proto__`, `constructor`, `prototype`).
 * This module checks one node at a time; `parseConfigText` walks the document once, for these
 * checks and its own (duplicate keys, depth) together: yaml's `visit`, a second walk, cost a
 * file of 10,000 rules about 20 ms more.
 */
export function prototypeKeyProblem(pair: Pair): TextProblem | undefined {
  if (!isScalar(pair.key) || !FORBIDDEN_KEYS.has(String(pair.key.value))) return undefined;
  return {
    code: 'FORBIDDEN_KEY',
    message: `key "${String(pair.key.value)}" is not allowed (it could alter object prototypes)`,
    offset: at(pair.key),
  };
}

/** A tag beyond YAML 1.2's core types on a node (`!foo`, `!!binary`, `!!js/function`). */
export function tagProblem(node: Node, text: string): TextProblem | undefined {
  if (node.tag === undefined || ALLOWED_TAGS.has(node.tag)) return undefined;
  const shown = node.tag.replace('tag:yaml.org,2002:', '!!');
  // The node's range starts after its properties: the tag is the last "!..." word before it.
  let tagAt = text.lastIndexOf('!', at(node));
  while (tagAt > 0 && !/[\s:[\]{},]/.test(text.charAt(tagAt - 1))) tagAt -= 1;
  return {
    code: 'FORBIDDEN_TAG',
    message: `the tag ${shown} is not allowed; write plain values (only !!str, !!int, !!float, !!bool, !!null, !!map and !!seq are accepted)`,
    offset: tagAt === -1 ? at(node) : tagAt,
  };
}

/**
 * A number written in hex, octal or binary, `.inf` or `.nan`, or a control character in a
 * string. Values are never shown here: a scalar may be a secret (the salt). It is asked only of
 * documents whose text holds no control character (`parseConfigText` refuses those first), so
 * only a double-quoted string's escapes (`"\0"`) can have put one in a value: no other string
 * is searched.
 */
export function scalarProblem(node: Scalar): TextProblem | undefined {
  const source = typeof node.source === 'string' ? node.source : '';
  if (typeof node.value === 'number' && NON_DECIMAL_NUMBER.test(source)) {
    return {
      code: 'NON_DECIMAL_NUMBER',
      message: 'this number is written in hex, octal or binary; write numbers in decimal',
      offset: at(node),
    };
  }
  if (typeof node.value === 'number' && NON_FINITE_NUMBER.test(source)) {
    return {
      code: 'NON_DECIMAL_NUMBER',
      message: 'this is not a finite number (.inf or .nan); write a decimal number',
      offset: at(node),
    };
  }
  if (
    typeof node.value === 'string' &&
    node.type === 'QUOTE_DOUBLE' &&
    CONTROL_CHARACTER.test(node.value)
  ) {
    return {
      code: 'CONTROL_CHARACTER',
      message: 'this value contains a control character (such as \\0); remove it',
      offset: at(node),
    };
  }
  return undefined;
}
