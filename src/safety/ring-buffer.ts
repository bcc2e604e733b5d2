/** Tolerance for comparing a window's mean with a threshold written in decimal. */
export const EPSILON = 1e-9;

/** A fixed-capacity window of the most recent numbers, with their running sum. */
export class RingBuffer {
  private readonly values: Float64Array;
  private start = 0;
  private count = 0;
  private total = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(Math.max(1, capacity));
  }

  /** Adds a value, dropping the oldest when full. */
  push(value: number): void {
    if (this.count === this.values.length) {
      this.total -= this.values[this.start]!;
      this.values[this.start] = value;
      this.start = (this.start + 1) % this.values.length;
      // Re-add exactly once per lap, so rounding in the running sum never accumulates.
      if (this.start === 0) {
        this.total = 0;
        for (const stored of this.values) this.total += stored;
        return;
      }
    } else {
      this.values[(this.start + this.count) % this.values.length] = value;
      this.count += 1;
    }
    this.total += value;
  }

  get size(): number {
    return this.count;
  }

  get sum(): number {
    return this.total;
  }

  /** Mean of the window, or null when empty. */
  mean(): number | null {
    return this.count === 0 ? null : this.total / this.count;
  }

  /** The values, oldest first. */
  toArray(): number[] {
    const out: number[] = [];
    for (let index = 0; index < this.count; index += 1) {
      out.push(this.values[(this.start + index) % this.values.length]!);
    }
    return out;
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
    this.total = 0;
  }
}
