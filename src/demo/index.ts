/**
 * `flagroute demo`: the whole loop in one process, on a scaled clock.
 *
 * @packageDocumentation
 */
export {
  DEMO_SCENARIOS,
  type DemoOptions,
  type DemoScenario,
  type RunningDemo,
  startDemo,
} from './demo.js';
