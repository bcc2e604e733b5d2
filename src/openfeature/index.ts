/**
 * `flagroute/openfeature`: flagroute as an in-process OpenFeature provider for Node.
 *
 * @packageDocumentation
 */
export { FlagrouteProvider, OUTCOME_EVENT } from './provider.js';
