import {
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type YAMLMap,
} from 'yaml';
import { prototypeKeyProblem, scalarProblem, type TextProblem, tagProblem } from './node-checks.js';

/** Deepest nesting of mappings and lists accepted in a file or a JSON variable. */
export const MAX_NESTING_DEPTH = 64;

/** What {@link walkDocument} found. */
export interface DocumentWalk {
  /** Keys that repeat an earlier key of their mapping. */
  duplicates: TextProblem[];
  /** The first node nested deeper than {@link MAX_NESTING_DEPTH}. */
  deep: Node | undefined;
  /** The nodes' own problems (see node-checks.ts), in document order. */
  problems: TextProblem[];
  firstAlias: Node | undefined;
  /**
   * The document as plain data, as yaml's `toJS()` makes it, when the walk could make it: not
   * when the document has an alias, a key that is not a scalar, a merge key (`<<`, YAML 1.1)
   * or a node of a kind it does not know; those are left to `toJS()`, which resolves them.
   */
  data: { value: unknown } | undefined;
}

/**
 * One walk over the document, in document order (the order of yaml's `visit`): every key that
 * repeats an earlier key of its mapping, as the parser's own `uniqueKeys` check reports it
 * (scalar keys equal by value, other keys only to themselves), the first node nested deeper than
 * {@link MAX_NESTING_DEPTH}, each node's own problems and the first alias; and, on the way, the
 * document as plain data. The data is made here because the walk visits every node anyway:
 * `toJS()` afterwards was a second walk of the whole document (a file of 10,000 rules: about
 * 100,000 nodes). The parser's own duplicate-key check compared each key with every key before
 * it: a file of 10,000 rules was quadratic.
 */
export function walkDocument(root: unknown, text: string): DocumentWalk {
  const walk = new Walk(text);
  const value = walk.read(root, 1);
  return {
    duplicates: walk.duplicates,
    deep: walk.deep,
    problems: walk.problems,
    firstAlias: walk.firstAlias,
    data: walk.exact ? { value } : undefined,
  };
}

/** The state of one {@link walkDocument}. */
class Walk {
  readonly duplicates: TextProblem[] = [];
  deep: Node | undefined = undefined;
  readonly problems: TextProblem[] = [];
  firstAlias: Node | undefined = undefined;
  /** Whether the data read so far is what `toJS()` would make. */
  exact = true;

  constructor(private readonly text: string) {}

  private found(problem: TextProblem | undefined): void {
    if (problem) this.problems.push(problem);
  }

  private addDuplicates(duplicates: TextProblem[] | undefined): void {
    if (duplicates) this.duplicates.push(...duplicates);
  }

  /**
   * Checks a node and what it holds, and returns it as plain data. Recursive only down to
   * {@link MAX_NESTING_DEPTH}: below, a document is refused anyway, and {@link checkOnly}
   * goes on without recursion, however deep it is.
   */
  read(node: unknown, depth: number): unknown {
    if (isScalar(node)) {
      this.found(tagProblem(node, this.text));
      this.found(scalarProblem(node));
      // toJS() keeps a scalar's value as it is (its `keep` mode, which Document.toJS uses).
      return node.value;
    }
    if (node === null || node === undefined) return null;
    if (isCollection(node) && depth > MAX_NESTING_DEPTH) {
      this.exact = false;
      this.checkOnly(node, depth);
      return undefined;
    }
    if (isMap(node)) {
      this.found(tagProblem(node, this.text));
      this.addDuplicates(duplicateKeys(node));
      return this.readMap(node, depth);
    }
    if (isSeq(node)) {
      this.found(tagProblem(node, this.text));
      const list: unknown[] = [];
      for (const item of node.items) list.push(this.read(item, depth + 1));
      return list;
    }
    this.exact = false;
    this.checkOnly(node, depth);
    return undefined;
  }

  /** A mapping's pairs as an object, as yaml's `addPairToJSMap` adds them. */
  private readMap(map: YAMLMap, depth: number): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    for (const pair of map.items as unknown[]) {
      if (!isPair(pair)) {
        this.exact = false;
        this.read(pair, depth + 1);
        continue;
      }
      this.found(prototypeKeyProblem(pair));
      const key = this.read(pair.key, depth + 1);
      const value = this.read(pair.value, depth + 1);
      if (!this.exact) continue;
      if (!isScalar(pair.key) && pair.key !== null) {
        // A mapping or a list as a key: toJS() writes it out as YAML text.
        this.exact = false;
        continue;
      }
      if (key === '<<' || typeof key === 'symbol') {
        // A merge key, under a schema that has them (YAML 1.1): toJS() merges it.
        this.exact = false;
        continue;
      }
      const name = key === null ? '' : String(key);
      // As addPairToJSMap: a name the prototype has (toString) becomes an own property.
      if (name in object) {
        Object.defineProperty(object, name, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else {
        object[name] = value;
      }
    }
    return object;
  }

  /**
   * The checks of {@link read} for a node and all it holds, without recursion and without
   * data, in the same order; for what {@link read} does not go into.
   */
  private checkOnly(root: unknown, rootDepth: number): void {
    // A pair is not a level of nesting: its key and value are as deep as the pair.
    const stack: [unknown, number][] = [[root, rootDepth]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop()!;
      if (isPair(node)) {
        this.found(prototypeKeyProblem(node));
        stack.push([node.value, depth], [node.key, depth]);
      } else if (isScalar(node)) {
        this.found(tagProblem(node, this.text));
        this.found(scalarProblem(node));
      } else if (isAlias(node)) {
        this.firstAlias ??= node;
      } else if (isCollection(node)) {
        this.found(tagProblem(node, this.text));
        if (depth > MAX_NESTING_DEPTH) this.deep ??= node;
        if (isMap(node)) this.addDuplicates(duplicateKeys(node));
        for (let index = node.items.length - 1; index >= 0; index -= 1) {
          stack.push([node.items[index], depth + 1]);
        }
      }
    }
  }
}

/** Mappings of up to this many pairs compare their keys pair by pair, without a set. */
const SMALL_MAP = 8;

/**
 * The keys of a mapping that repeat an earlier one. A set of keys for each of 10,000 rules'
 * mappings (three or four keys each) cost more than comparing them pair by pair; `===` is the
 * set's equality but for NaN, which is never a duplicate here.
 */
function duplicateKeys(map: YAMLMap): TextProblem[] | undefined {
  const items = map.items;
  let duplicates: TextProblem[] | undefined;
  const seen = items.length > SMALL_MAP ? new Set<unknown>() : undefined;
  for (let index = 0; index < items.length; index += 1) {
    const key = items[index]!.key;
    // NaN is not equal to itself: the parser never called two NaN keys the same.
    if (!isScalar(key) || Number.isNaN(key.value)) continue;
    if (!(seen ? seen.has(key.value) : earlierKey(items, index, key.value))) {
      seen?.add(key.value);
      continue;
    }
    duplicates ??= [];
    duplicates.push({
      code: 'DUPLICATE_KEY',
      message: 'duplicate key: Map keys must be unique',
      offset: key.range?.[0] ?? 0,
    });
  }
  return duplicates;
}

/** Whether a scalar key before `index` has the value `value`. */
function earlierKey(items: YAMLMap['items'], index: number, value: unknown): boolean {
  for (let before = 0; before < index; before += 1) {
    const key = items[before]!.key;
    if (isScalar(key) && key.value === value) return true;
  }
  return false;
}
