import { FINGERPRINT, fingerprint } from './decision-ids.js';
import type { RecordFolder } from './fold-record.js';
import { type PartLines, type Range, type ReadThrottle, readPart } from './read-event-part.js';
import { IdsByChecker } from './repeated-ids.js';

/** One chunk of a file as a reader read it: its number in the file, its lines and decision ids. */
export interface ChunkRead {
  index: number;
  lines: PartLines;
  /** Its decision ids, (high, low, line) triples in reading order, by the reader that checks them. */
  ids: Uint32Array[];
}

/** What reading claimed chunks needs besides the file. */
export interface ChunkReading {
  maxLineBytes: number;
  /** Pauses reading while other readers have much of this one's to fold. */
  throttle: ReadThrottle;
  /** The decision ids' partitions, and the file's readers that check them. */
  partitions: number;
  readers: number;
}

/**
 * Reads chunks of a file into `folder`, each claimed in turn from a counter all the file's
 * readers share (`claims[0]`, over a `SharedArrayBuffer`), until none is left: a reader that
 * the machine slows, or that started later (a worker thread loads its modules first), reads
 * fewer chunks instead of keeping the others waiting at the end, as parts fixed in advance did.
 * Each chunk's lines are numbered from its first, to be renumbered once all are read.
 */
export async function readClaimedChunks(
  file: string,
  chunks: readonly Range[],
  claims: Int32Array,
  folder: RecordFolder,
  onProgress: ((bytes: number) => void) | undefined,
  reading: ChunkReading,
): Promise<ChunkRead[]> {
  const read: ChunkRead[] = [];
  for (;;) {
    const index = Atomics.add(claims, 0, 1);
    if (index >= chunks.length) return read;
    const ids = new IdsByChecker(reading.partitions, reading.readers);
    const lines = await readPart(file, chunks[index]!, folder, onProgress, {
      maxLineBytes: reading.maxLineBytes,
      throttle: reading.throttle,
      onDecisionId(id, line) {
        fingerprint(id);
        ids.push(FINGERPRINT.high, FINGERPRINT.low, line);
      },
    });
    read.push({ index, lines, ids: ids.export() });
  }
}
