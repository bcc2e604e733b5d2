/**
 * Simulation: many synthetic users through the real router, and the chi-square test of the
 * split against the configuration.
 *
 * @packageDocumentation
 */
export { type ChiSquareResult, chiSquare } from './chi-square.js';
export {
  type CohortFit,
  type SimulateOptions,
  type SimulationReport,
  simulate,
} from './simulate.js';
