import { loadConfig } from '../../src/config/load-config.js';
import { effective, layersOf } from '../../src/rollout-layers/index.js';
import { type ControllerOptions, RolloutController } from '../../src/rollout-plan/index.js';
import { onTestEnd } from './cleanup.js';
import { FakeClock } from './fake-clock.js';
import { HandSource } from './hand-source.js';
import { silentLogger } from './silent-logger.js';

/** A controller's options as the tests use them, with the fake clock and hand source they hold. */
export interface TestControllerOptions extends ControllerOptions {
  clock: FakeClock;
  source: HandSource;
}

/**
 * Options of a rollout controller on `configDir`: a fake clock (also the lease's), a source set
 * by hand, no variables, a silent logger, reloads without a stability wait; `overrides` last.
 */
export function controllerOptions(
  configDir: string,
  environment: string,
  overrides: Partial<ControllerOptions> = {},
): TestControllerOptions {
  const clock = new FakeClock();
  const options = {
    configDir,
    environment,
    // The source stamps what a test adds with the controller's clock (an override's too).
    source: new HandSource({ now: () => options.clock.now() }),
    clock,
    leaseClock: clock,
    env: {},
    logger: silentLogger(),
    stabilityMs: 0,
    ...overrides,
  } as TestControllerOptions;
  return options;
}

/** Opens a controller that is closed when the test ends. */
export async function openController(options: ControllerOptions): Promise<RolloutController> {
  const controller = await RolloutController.open(options);
  onTestEnd(() => controller.close());
  return controller;
}

/** The rollout percentage the files of `configDir` say now, as a freshly started router serves it. */
export async function servedPercentage(configDir: string, environment: string): Promise<number> {
  const config = await loadConfig({ configDir, environment, env: {}, stabilityMs: 0 });
  return effective(layersOf(config)).percentage;
}
