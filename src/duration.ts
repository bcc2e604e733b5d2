import { FlagrouteError } from './errors.js';

/** The units a duration is written in, each in milliseconds. */
const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The units from the largest down, for writing a duration in the largest one that fits whole. */
const LARGEST_FIRST = ['d', 'h', 'm', 's', 'ms'] as const;

/**
 * A duration: `0`, or a whole number without leading zeros and its unit (`250ms`, `30s`, `15m`,
 * `1h`, `2d`). The environment schema's `hold` and `max_hold` patterns are this without `0`; a
 * test holds them to it.
 */
const DURATION = /^(?:0(?:ms|s|m|h|d)?|([1-9]\d*)(ms|s|m|h|d))$/;

/**
 * The durations one flag or field takes, in milliseconds: `0` is among them only when `min` is
 * 0. Every duration flag and field has its own, so its error can say what it takes.
 */
export interface DurationBounds {
  readonly min: number;
  readonly max: number;
}

/** The longest a Node timer waits (2^31 - 1 ms, about 24.8 days; longer fires at once), in days. */
export const LONGEST_TIMER_MS = 24 * UNITS.d;

/** Any positive duration: a plan's hold, a token's lifetime. */
export const POSITIVE_DURATION: DurationBounds = { min: 1, max: Number.MAX_SAFE_INTEGER };

/**
 * `ms` as a duration in the vocabulary {@link parseDuration} reads, in the largest unit that
 * writes it whole: `3600000` is `1h`, `90000` is `90s`, `1500` is `1500ms`, `0` is `0`.
 */
export function durationText(ms: number): string {
  if (ms === 0) return '0';
  const unit = LARGEST_FIRST.find((candidate) => ms % UNITS[candidate] === 0) ?? 'ms';
  return `${ms / UNITS[unit]}${unit}`;
}

/** Durations to give as examples, the first three within the bounds shown. */
const EXAMPLES = [250, 2_000, 30_000, 60_000, 15 * 60_000, 3_600_000, 2 * 86_400_000];

/**
 * What `bounds` allow, in words for an error: `0 or a duration of at most 1h such as 250ms, 2s
 * or 30s (a whole number of ms, s, m, h or d)`.
 */
export function allowedDurations(bounds: DurationBounds): string {
  const fitting = EXAMPLES.filter((ms) => ms >= Math.max(bounds.min, 1) && ms <= bounds.max);
  const examples = (fitting.length > 0 ? fitting : [Math.max(bounds.min, 1)])
    .slice(0, 3)
    .map(durationText);
  const such =
    examples.length === 1
      ? examples[0]
      : `${examples.slice(0, -1).join(', ')} or ${examples.at(-1)}`;
  const zero = bounds.min === 0 ? '0 or ' : '';
  const low = bounds.min > 1 ? durationText(bounds.min) : undefined;
  const high = bounds.max < Number.MAX_SAFE_INTEGER ? durationText(bounds.max) : undefined;
  const range =
    low && high
      ? ` from ${low} to ${high}`
      : low
        ? ` of at least ${low}`
        : high
          ? ` of at most ${high}`
          : '';
  return `${zero}a duration${range} such as ${such} (a whole number of ms, s, m, h or d)`;
}

/**
 * `text` as milliseconds, or undefined when it is not a duration within `bounds` (see
 * {@link DURATION} for the words).
 */
export function readDuration(text: string, bounds: DurationBounds): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const ms = match[1] === undefined ? 0 : Number(match[1]) * UNITS[match[2] as keyof typeof UNITS];
  return ms >= bounds.min && ms <= bounds.max ? ms : undefined;
}

/**
 * A duration such as `250ms`, `30s`, `15m`, `1h` or `2d` in milliseconds, within `bounds`;
 * otherwise an `INVALID_ARGUMENT` saying that `name` must be what the bounds allow and what was
 * given.
 */
export function parseDuration(
  text: string,
  bounds: DurationBounds = POSITIVE_DURATION,
  name = 'a duration',
): number {
  const ms = readDuration(text, bounds);
  if (ms === undefined) {
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `${name} must be ${allowedDurations(bounds)}, got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

/** Milliseconds as a short human duration: `1h 30m`, `45s`. */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}s`);
  return parts.slice(0, 2).join(' ');
}
