/**
 * Decisions in bulk: a stream of contexts in, one decision per line out, with counts.
 *
 * @packageDocumentation
 */
export { type DecideStreamReport, decideStream } from './decide-stream.js';
