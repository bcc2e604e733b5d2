import { UsageError } from '../shared.js';

/** The variable a bare `--metrics prometheus` reads its URL from (kept out of `ps`). */
export const PROMETHEUS_URL_VARIABLE = 'FLAGROUTE_PROMETHEUS_URL';

/**
 * A `--metrics` value as the library takes it: a bare `prometheus` becomes
 * `prometheus=<FLAGROUTE_PROMETHEUS_URL>`, so that a URL with a password or a token need not be
 * on a command line every user of the machine can read; anything else is left as given.
 */
export function metricsSpecOf(spec: string): string {
  if (spec !== 'prometheus') return spec;
  const url = process.env[PROMETHEUS_URL_VARIABLE];
  if (url === undefined || url === '') {
    throw new UsageError(
      `--metrics prometheus (bare) reads its URL from ${PROMETHEUS_URL_VARIABLE}, which is not set: set it, or give --metrics prometheus=http://prometheus:9090`,
    );
  }
  return `prometheus=${url}`;
}
