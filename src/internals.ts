/**
 * `flagroute/internals`: helpers that ports and benchmarks need to agree with flagroute to the
 * bit, but that an application does not. Stable like the public API; documented here rather
 * than in the main door to keep that one short.
 *
 * @packageDocumentation
 */
export { userBucket } from './decision/bucket.js';
export { codePointLength } from './rules/facts.js';
