import { show } from '../config/schema-errors.js';
import { InvalidArgumentError } from '../errors.js';

/**
 * Throws `INVALID_ARGUMENT` unless `percentage` is a number from 0 to 100; the message shows
 * what was given as every error does (a string quoted and cut at 64 characters, a list or a
 * mapping by its kind), never the caller's whole text.
 */
export function checkPercentage(percentage: unknown): asserts percentage is number {
  if (
    typeof percentage !== 'number' ||
    !Number.isFinite(percentage) ||
    percentage < 0 ||
    percentage > 100
  ) {
    throw new InvalidArgumentError(
      'rollout percentage',
      percentage === undefined
        ? 'is required: a number from 0 to 100'
        : `must be a number from 0 to 100, got ${show(percentage)}`,
    );
  }
}
