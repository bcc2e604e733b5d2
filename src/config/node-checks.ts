import { type Document, isScalar, type Node, type Scalar, visit } from 'yaml';
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

/** Prototype keys, tags, non-decimal numbers and control characters, node by node. */
export function nodeProblems(
  document: Document,
  text: string,
): { problems: TextProblem[]; firstAlias?: Node } {
  const problems: TextProblem[] = [];
  let firstAlias: Node | undefined;
  const tag = (node: Node) => {
    const problem = tagProblem(node, text);
    if (problem) problems.push(problem);
  };
  visit(document, {
    Pair(_, pair) {
      if (isScalar(pair.key) && FORBIDDEN_KEYS.has(String(pair.key.value))) {
        problems.push({
          code: 'FORBIDDEN_KEY',
          message: `key "${String(pair.key.value)}" is not allowed (it could alter object prototypes)`,
          offset: at(pair.key),
        });
      }
    },
    Map: (_, node) => tag(node),
    Seq: (_, node) => tag(node),
    Scalar(_, node) {
      tag(node);
      const problem = scalarProblem(node);
      if (problem) problems.push(problem);
    },
    Alias(_, alias) {
      firstAlias ??= alias;
    },
  });
  return firstAlias ? { problems, firstAlias } : { problems };
}

function tagProblem(node: Node, text: string): TextProblem | undefined {
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

/** Values are never shown here: a scalar may be a secret (the salt). */
function scalarProblem(node: Scalar): TextProblem | undefined {
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
  if (typeof node.value === 'string' && CONTROL_CHARACTER.test(node.value)) {
    return {
      code: 'CONTROL_CHARACTER',
      message: 'this value contains a control character (such as \\0); remove it',
      offset: at(node),
    };
  }
  return undefined;
}
