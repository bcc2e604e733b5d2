/**
 * `flagroute/internals`: helpers that ports and benchmarks need to agree with flagroute to the
 * bit, but that an application does not. Stable like the public API; documented here rather
 * than in the main door to keep that one short.
 *
 * @packageDocumentation
 */
export { userBucket } from './decision/bucket.js';
export { toEngineRule } from './rules/compile-rules.js';
export { compilePredicate } from './rules/compiled-predicate.js';
export { codePointLength } from './rules/facts.js';

import { validators } from './config/schemas.js';

/**
 * The rule file schema's validator (generated at build time; fills in defaults), so that the
 * bench's floor of a reload validates exactly as a load does.
 */
export const validateRuleFile = validators.ruleFile;

/**
 * CPU time (ms) of the child processes that parse large rule files, which `process.cpuUsage()`
 * does not count: the bench adds it to a reload's work.
 */
export { ruleFileProcessCpuMs } from './config/rule-file-process.js';

/**
 * The js-yaml schema of the fast YAML path (plain scalars read as the `yaml` library's core
 * schema reads them, no tags), so that the bench's floor of a reload parses with the cheapest
 * parser flagroute trusts, as a valid rule file is parsed.
 */
export { SUBSET_SCHEMA as yamlSubsetSchema } from './config/subset-schema.js';
