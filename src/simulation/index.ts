/**
 * Simulation: many synthetic users through the real router, the split tested against the
 * configuration's with a chi-square test.
 *
 * @packageDocumentation
 */
export {
  type CohortFit,
  type SimulateOptions,
  type SimulationReport,
  simulate,
} from './simulate.js';
