import { type CliProcess, startCli } from './cli-process.js';

/**
 * The flags of a quick controller (of `flagroute controller` or `serve --controller`): the
 * outcome event log in `events`, a look every second, a 3 s lease (a standby takes over within
 * seconds).
 */
export function quickControllerFlags(events: string): string[] {
  return ['--metrics', `events=${events}`, '--interval', '1s', '--lease-ttl', '3s'];
}

/** A `flagroute controller` process on `dir` with {@link quickControllerFlags}; `more` last. */
export function controllerProcess(dir: string, events: string, ...more: string[]): CliProcess {
  return startCli(['controller', '--config-dir', dir, ...quickControllerFlags(events), ...more]);
}
