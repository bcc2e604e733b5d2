import { InvalidArgumentError } from '../errors.js';

/** Throws `INVALID_ARGUMENT` unless `percentage` is a number from 0 to 100. */
export function checkPercentage(percentage: unknown): asserts percentage is number {
  if (
    typeof percentage !== 'number' ||
    !Number.isFinite(percentage) ||
    percentage < 0 ||
    percentage > 100
  ) {
    throw new InvalidArgumentError(
      'rollout percentage',
      `must be a number from 0 to 100, got ${String(percentage)}`,
    );
  }
}
