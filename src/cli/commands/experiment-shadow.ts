import { DEFAULT_ENVIRONMENT } from '../../config/index.js';
import type { ExperimentOptions } from '../../experiment/index.js';
import { storePairs } from '../../postgres/index.js';
import {
  analyzePairs,
  type PairedOptions,
  type PairedTally,
  readPairFiles,
  type ShadowReport,
} from '../../shadow/index.js';
import { UsageError } from '../shared.js';
import { type SourceFlags, storeNamedBy } from './experiment-sources.js';

/** The report's settings the paired analysis reads: alpha and the always-valid interval's. */
function pairedOptionsFromFlags(options: ExperimentOptions): PairedOptions {
  const paired: PairedOptions = {};
  if (options.alpha !== undefined) paired.alpha = options.alpha;
  if (options.sequential !== undefined) paired.sequential = options.sequential;
  if (options.sequentialTuning !== undefined) paired.sequentialTuning = options.sequentialTuning;
  return paired;
}

/** The pairs of the one source the flags name: event logs, or the fleet's store. */
async function readTally(flags: SourceFlags): Promise<PairedTally> {
  const sources = [flags.events, flags.store].filter((source) => source !== undefined);
  if (flags.stats !== undefined || flags.prometheus !== undefined || sources.length !== 1) {
    throw new UsageError(
      '--shadow reads pairs from --events FILE... or --store URL (sums per arm hold no pairs)',
    );
  }
  if (flags.env !== undefined && flags.store === undefined) {
    throw new UsageError('--env applies to --store only');
  }
  if (flags.store !== undefined) {
    const environment = flags.env ?? process.env.FLAGROUTE_ENV ?? DEFAULT_ENVIRONMENT;
    const { url, source } = storeNamedBy(flags.store);
    return storePairs(url, { environment }, source);
  }
  const read = await readPairFiles(flags.events!);
  for (const example of read.examples) {
    process.stderr.write(`${example.file}:${example.line}: skipped: ${example.problem}\n`);
  }
  if (read.malformed > read.examples.length) {
    process.stderr.write(`... and ${read.malformed - read.examples.length} more malformed lines\n`);
  }
  return read.tally;
}

/** `flagroute experiment report --shadow`: the paired analysis of the pairs the flags name. */
export async function shadowReportOf(
  flags: SourceFlags,
  options: ExperimentOptions,
): Promise<ShadowReport> {
  if (flags.unit === 'request') {
    throw new UsageError('--shadow analyses users, the unit of randomization; drop --unit request');
  }
  const tally = await readTally(flags);
  return analyzePairs(tally, pairedOptionsFromFlags(options));
}
