import { DecisionIdSet, FingerprintList } from './decision-ids.js';

/** A line of a file read in parts: the part (0 is the file's first) and the line in it (from 1). */
export interface PartLine {
  part: number;
  line: number;
}

/** What one reader found of a file's repeated decision ids: how many, and the first in reading order. */
export interface PartRepeats {
  count: number;
  /** At most the number asked for, in reading order. */
  first: PartLine[];
}

/**
 * The decision-id fingerprints seen while reading events, split into partitions by their high
 * half (`high % partitions`), each a {@link DecisionIdSet}, kept across the files of one read.
 * A file read in parts gives each of its readers some partitions to check (reader `r` of `n`
 * those with `partition % n === r`), so the readers check a file's ids at the same time, each
 * in reading order: every id is checked where its partition is, after every id of an earlier
 * part and before every id of a later one, so the repeats and the first of them are exactly
 * those of one reader going through the file.
 */
export class RepeatedIds {
  /** The sets by partition; undefined while a reader thread holds one. */
  readonly sets: (DecisionIdSet | undefined)[];

  constructor(readonly partitions: number) {
    this.sets = Array.from({ length: partitions }, () => new DecisionIdSet());
  }

  /** Checks one id read on this thread alone (a file not read in parts): false for a repeat. */
  add(high: number, low: number): boolean {
    return this.sets[high % this.partitions]!.add(high, low);
  }
}

/** The reader (0 .. `readers` - 1) that checks the fingerprints whose high half is `high`. */
export function checkerOf(high: number, partitions: number, readers: number): number {
  return (high % partitions) % readers;
}

/**
 * A reader's decision-id fingerprints of its part, (high, low, line) in reading order, split by
 * the reader that checks them ({@link checkerOf}).
 */
export class IdsByChecker {
  readonly lists: FingerprintList[];

  constructor(
    private readonly partitions: number,
    private readonly readers: number,
  ) {
    this.lists = Array.from({ length: readers }, () => new FingerprintList());
  }

  push(high: number, low: number, line: number): void {
    this.lists[checkerOf(high, this.partitions, this.readers)]!.push(high, low, line);
  }

  /** Each checker's list, trimmed. */
  export(): Uint32Array[] {
    return this.lists.map((list) => list.export());
  }
}

/** Bits of an id's region of its set's table: 256 regions, each small enough to stay in a cache. */
const REGION_BITS = 8;

/**
 * Checks the fingerprints one reader was given, `lists[part]` those of each part of a file in
 * reading order, against `sets` (by partition, this reader's present); each set is first made
 * large enough for all it will hold, so that none grows while checking. A part's ids are checked
 * region by region of their set's table rather than in reading order: in reading order every
 * check was a miss of the processor's caches (ten million ids took a presized table of 128 MB
 * per thread), by region it stays in a fraction of it, which halved the time in a
 * micro-benchmark. Both ids of a repeat are in one region, in reading order there, so the repeats
 * are the same; the first are sorted back to reading order.
 */
export function checkRepeats(
  lists: readonly Uint32Array[],
  sets: readonly (DecisionIdSet | undefined)[],
  kept: number,
): PartRepeats {
  const partitions = sets.length;
  const counts = new Array<number>(partitions).fill(0);
  for (const list of lists) {
    for (let at = 0; at < list.length; at += 3) counts[list[at]! % partitions]! += 1;
  }
  for (const [partition, set] of sets.entries()) set?.reserve(counts[partition]!);
  const repeats: PartRepeats = { count: 0, first: [] };
  for (const [part, list] of lists.entries()) {
    const grouped = byRegion(list, sets);
    let first: PartLine[] = [];
    for (let at = 0; at < grouped.length; at += 3) {
      const high = grouped[at]!;
      if (sets[high % partitions]!.add(high, grouped[at + 1]!)) continue;
      repeats.count += 1;
      if (repeats.first.length + first.length >= 2 * kept) first = earliest(first, kept);
      first.push({ part, line: grouped[at + 2]! });
    }
    repeats.first.push(...earliest(first, kept - repeats.first.length));
  }
  return repeats;
}

/** The `kept` earliest of one part's lines. */
function earliest(lines: PartLine[], kept: number): PartLine[] {
  return lines.sort((a, b) => a.line - b.line).slice(0, Math.max(kept, 0));
}

/** A part's (high, low, line) triples grouped by their set's table region, in reading order in each. */
function byRegion(list: Uint32Array, sets: readonly (DecisionIdSet | undefined)[]): Uint32Array {
  const partitions = sets.length;
  const regions = 1 << REGION_BITS;
  const groupOf = (high: number, low: number) =>
    (high % partitions) * regions + sets[high % partitions]!.regionOf(low, REGION_BITS);
  const starts = new Int32Array(partitions * regions + 1);
  for (let at = 0; at < list.length; at += 3) starts[groupOf(list[at]!, list[at + 1]!) + 1]! += 1;
  for (let group = 1; group < starts.length; group += 1) starts[group]! += starts[group - 1]!;
  const grouped = new Uint32Array(list.length);
  for (let at = 0; at < list.length; at += 3) {
    const to = starts[groupOf(list[at]!, list[at + 1]!)]!++ * 3;
    grouped[to] = list[at]!;
    grouped[to + 1] = list[at + 1]!;
    grouped[to + 2] = list[at + 2]!;
  }
  return grouped;
}

/** Several readers' repeats of one file as one: counts added, the first `kept` in reading order. */
export function joinRepeats(all: readonly PartRepeats[], kept: number): PartRepeats {
  const first = all
    .flatMap((repeats) => repeats.first)
    .sort((a, b) => a.part - b.part || a.line - b.line)
    .slice(0, kept);
  return { count: all.reduce((sum, repeats) => sum + repeats.count, 0), first };
}
