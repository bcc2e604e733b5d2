/**
 * The memory the paced client's two threads share (see paced-load.ts): the reader (the main
 * thread, which owns the connections and times the answers) and the sender (a worker that sleeps
 * until each request is due and writes it to an idle connection's socket itself). One
 * SharedArrayBuffer; every hand-over goes through an `Atomics` operation on a slot's state, so
 * what was written before it is seen after it.
 */

/** A connection's state in its slot. */
export const SLOT = { connecting: 0, idle: 1, busy: 2, dead: 3 } as const;

/** Connections opened before the run, kept alive. */
export const INITIAL_CONNECTIONS = 32;
/**
 * The most connections the client opens: more are opened on demand, one each time a request is
 * due and every open connection holds one, as an HTTP client's pool does (undici's and Node's
 * agents open without bound by default; this bound only keeps a stalled server from costing
 * thousands of sockets). A request due while all of them are busy waits for one (`queued`).
 */
export const MAX_CONNECTIONS = 256;

/** Words of `control`. */
export const CONTROL = {
  /** Bumped by the reader whenever a connection becomes idle or opens; the sender sleeps on it. */
  signal: 0,
  /** 1 once the reader's first connections are open and `start` is set. */
  started: 1,
  /** Slots in use (the sender scans that many). */
  opened: 2,
  /** Connections whose opening ended, connected or failed (the sender counts the ones it asked for). */
  connected: 3,
  /** Requests the sender holds for want of an idle connection (the reader wakes it only then). */
  waiting: 4,
  /** Requests written and not yet answered (the sender adds, whoever ends one subtracts). */
  outstanding: 5,
} as const;

/** The first second opens connections and warms both sides' JIT: sent, not measured. */
export const WARM_UP_MS = 1000;

/** The views of the shared memory. */
export interface PacedSlots {
  readonly buffer: SharedArrayBuffer;
  readonly control: Int32Array;
  /** Each slot's {@link SLOT} state. */
  readonly state: Int32Array;
  /** Each slot's socket file descriptor, once connected. */
  readonly fd: Int32Array;
  /** The index of the request a busy slot's connection carries. */
  readonly request: Int32Array;
  /** [0]: the schedule's start, ms since the epoch (see {@link epochNow}). */
  readonly start: Float64Array;
  /** When the sender took each request off the schedule, ms since the epoch (0: not yet). */
  readonly dispatched: Float64Array;
}

const CONTROL_WORDS = 8;

/** The views over `buffer`, or over a new buffer sized for `total` requests. */
export function pacedSlots(total: number, buffer?: SharedArrayBuffer): PacedSlots {
  const ints = CONTROL_WORDS + 3 * MAX_CONNECTIONS;
  const floatsAt = Math.ceil((ints * 4) / 8) * 8;
  const shared = buffer ?? new SharedArrayBuffer(floatsAt + (1 + total) * 8);
  return {
    buffer: shared,
    control: new Int32Array(shared, 0, CONTROL_WORDS),
    state: new Int32Array(shared, CONTROL_WORDS * 4, MAX_CONNECTIONS),
    fd: new Int32Array(shared, (CONTROL_WORDS + MAX_CONNECTIONS) * 4, MAX_CONNECTIONS),
    request: new Int32Array(shared, (CONTROL_WORDS + 2 * MAX_CONNECTIONS) * 4, MAX_CONNECTIONS),
    start: new Float64Array(shared, floatsAt, 1),
    dispatched: new Float64Array(shared, floatsAt + 8, total),
  };
}

/**
 * Tells the sender that something it may wait for happened (a connection became idle, opened or
 * closed; the start). The signal always moves, so a sender about to sleep sees the change and
 * does not; it is woken from its sleep only when it holds requests for want of a connection
 * (`always` for the rarer events): an answer must not wake it when nothing waits, which would
 * double the client's wake-ups.
 */
export function wakeSender(slots: PacedSlots, always = false): void {
  Atomics.add(slots.control, CONTROL.signal, 1);
  if (always || Atomics.load(slots.control, CONTROL.waiting) > 0) {
    Atomics.notify(slots.control, CONTROL.signal);
  }
}

/** Both threads' clock: ms since the epoch (each thread's `performance` has its own origin). */
export const epochNow = (): number => performance.timeOrigin + performance.now();
