import { FlagrouteError } from './errors.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as `30s`, `15m`, `1h` or `2d` in milliseconds (the schema's pattern). */
export function parseDuration(text: string): number {
  const match = /^([1-9]\d*)(s|m|h|d)$/.exec(text);
  if (!match) {
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `a duration must be like 30s, 15m, 1h or 2d, got ${JSON.stringify(text)}`,
    );
  }
  return Number(match[1]) * UNITS[match[2]!]!;
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
