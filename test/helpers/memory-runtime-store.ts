import { FlagrouteError } from '../../src/errors.js';
import type {
  KillSwitch,
  RuntimeChange,
  RuntimeLayer,
  RuntimeState,
} from '../../src/rollout-layers/index.js';
import {
  CLOCK_SKEW_BOUND_MS,
  type CommandOutcome,
  FaultError,
  type HealthSnapshot,
  type LeaseAcquired,
  type LeaseGrant,
  type LeaseReading,
  type PlanCommand,
  type PlanState,
  pendingState,
  type QueuedCommand,
  type StateReading,
} from '../../src/rollout-plan/index.js';
import type { RuntimeStore, StoreChange } from '../../src/runtime-store/index.js';

/** What every handle on one in-memory store shares: the "database". */
export interface MemoryData {
  runtime: { runtime: RuntimeLayer | null; killSwitch: KillSwitch | null };
  lease: {
    token: number;
    holder: string | null;
    heartbeatAt: number;
    ttlMs: number;
    releasedBy?: string;
    health?: HealthSnapshot;
  };
  states: { name: string; state: PlanState }[];
  commands: Map<string, PlanCommand>;
  outcomes: Map<string, CommandOutcome>;
  listeners: Set<(change: StoreChange) => void>;
  sequence: number;
}

/** A new, empty "database". */
export function memoryData(): MemoryData {
  return {
    runtime: { runtime: null, killSwitch: null },
    lease: { token: 0, holder: null, heartbeatAt: 0, ttlMs: 0 },
    states: [],
    commands: new Map(),
    outcomes: new Map(),
    listeners: new Set(),
    sequence: 0,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
const copy = <T>(value: T): T => structuredClone(value);

/**
 * A runtime store in memory, shared by the handles made on one {@link MemoryData}: a second
 * implementation of the interface, with no file anywhere, so that the conformance suite and the
 * controller are shown to need nothing of the file system (as a database store will not).
 */
export class MemoryRuntimeStore implements RuntimeStore {
  readonly location = 'memory';
  readonly runtimeLocation = 'the memory store';
  private readonly mine = new Set<(change: StoreChange) => void>();

  constructor(
    private readonly data: MemoryData,
    readonly environment = 'development',
  ) {}

  async readRuntime(): Promise<RuntimeState> {
    return copy(this.data.runtime);
  }

  async updateRuntime(change: RuntimeChange, fence?: LeaseGrant) {
    if (fence) this.assertHeld(fence);
    const before = copy(this.data.runtime);
    if (change.unlessKillSwitch && before.killSwitch) {
      throw new FlagrouteError(
        'KILL_SWITCH_ENGAGED',
        `the kill switch (${before.killSwitch.reason}) holds`,
      );
    }
    const next = { ...this.data.runtime };
    if (change.runtime !== undefined) next.runtime = copy(change.runtime);
    if (change.killSwitch === null) next.killSwitch = null;
    else if (change.killSwitch && !next.killSwitch) next.killSwitch = copy(change.killSwitch);
    this.data.runtime = next;
    this.emit({ kind: 'runtime', state: copy(next) });
    return { before, after: copy(next) };
  }

  subscribeRuntime(listener: (state: RuntimeState) => void): () => void {
    return this.subscribe((change) => {
      if (change.kind === 'runtime') listener(change.state);
    });
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    this.data.listeners.add(listener);
    this.mine.add(listener);
    queueMicrotask(() => listener({ kind: 'runtime', state: copy(this.data.runtime) }));
    return () => {
      this.data.listeners.delete(listener);
      this.mine.delete(listener);
    };
  }

  async close(): Promise<void> {
    for (const listener of this.mine) this.data.listeners.delete(listener);
    this.mine.clear();
  }

  async readLease(now: number): Promise<LeaseReading> {
    return this.leaseAt(now);
  }

  /** Synchronous, so that taking the lease is one step, as a database's UPDATE is. */
  private leaseAt(now: number): LeaseReading {
    const { token, holder, heartbeatAt, ttlMs, releasedBy, health } = this.data.lease;
    if (holder === null)
      return releasedBy ? { state: 'free', token, releasedBy } : { state: 'free', token };
    if (heartbeatAt > now + ttlMs + CLOCK_SKEW_BOUND_MS) {
      const why = `its heartbeat ${iso(heartbeatAt)} lies further ahead than the lease's time to live (${ttlMs} ms) plus the clock-skew bound`;
      return { state: 'invalid', token, holder, heartbeatAt, why };
    }
    const expiresAt = heartbeatAt + ttlMs;
    const state = now < expiresAt ? 'live' : 'expired';
    return { state, token, holder, heartbeatAt, expiresAt, ...(health ? { health } : {}) };
  }

  async acquireLease(holder: string, now: number, ttlMs: number): Promise<LeaseAcquired> {
    const previous = this.leaseAt(now);
    if (previous.state === 'live' && previous.holder !== holder) {
      throw new FlagrouteError(
        'PLAN_CONFLICT',
        `another controller drives ${this.environment}: ${previous.holder}, last heartbeat ${iso(previous.heartbeatAt)}, lease until ${iso(previous.expiresAt)}`,
      );
    }
    const token = this.data.lease.token + 1;
    this.data.lease = { token, holder, heartbeatAt: now, ttlMs };
    return { grant: { token, holder, ttlMs }, previous };
  }

  async renewLease(grant: LeaseGrant, now: number, health?: HealthSnapshot) {
    this.assertHeld(grant);
    this.data.lease = { ...this.data.lease, heartbeatAt: now, ...(health ? { health } : {}) };
    return [];
  }

  async checkLease(grant: LeaseGrant): Promise<void> {
    this.assertHeld(grant);
  }

  async releaseLease(grant: LeaseGrant): Promise<void> {
    if (this.data.lease.token !== grant.token) return;
    this.data.lease = { ...this.data.lease, holder: null, releasedBy: grant.holder };
  }

  async readState(): Promise<StateReading> {
    const newest = this.data.states.at(-1);
    return newest
      ? { state: copy(newest.state), generation: newest.name, problems: [], unreadable: [] }
      : { state: pendingState(this.environment), generation: null, problems: [], unreadable: [] };
  }

  async writeState(state: PlanState, grant: LeaseGrant): Promise<string> {
    this.assertHeld(grant);
    this.data.sequence += 1;
    const name = `${String(grant.token).padStart(12, '0')}-${String(this.data.sequence).padStart(12, '0')}`;
    this.data.states.push({ name, state: copy(state) });
    this.emit({ kind: 'plan' });
    return name;
  }

  async setAsideState(generation: string): Promise<string> {
    this.data.states = this.data.states.filter((each) => each.name !== generation);
    return `${generation} (set aside)`;
  }

  async enqueueCommand(command: PlanCommand, now: number): Promise<string> {
    this.data.sequence += 1;
    const id = `${String(now).padStart(15, '0')}-${String(this.data.sequence).padStart(12, '0')}`;
    this.data.commands.set(id, copy(command));
    this.emit({ kind: 'commands' });
    return id;
  }

  async takeCommands(grant?: LeaseGrant): Promise<{ commands: QueuedCommand[]; problems: [] }> {
    if (grant) this.assertHeld(grant);
    const commands = [...this.data.commands.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, command]) => ({ id, command }));
    this.data.commands.clear();
    return { commands, problems: [] };
  }

  async acknowledgeCommand(id: string, outcome: CommandOutcome): Promise<void> {
    this.data.outcomes.set(id, copy(outcome));
  }

  async commandOutcome(id: string): Promise<CommandOutcome | undefined> {
    const outcome = this.data.outcomes.get(id);
    this.data.outcomes.delete(id);
    return outcome;
  }

  private assertHeld(grant: LeaseGrant): void {
    const { token, holder } = this.data.lease;
    if (token === grant.token) return;
    throw new FaultError({
      reason: 'lease_lost',
      message: `another controller drives ${this.environment}: ${holder ?? 'nobody'} took lease generation ${token} (this controller held ${grant.token})`,
    });
  }

  private emit(change: StoreChange): void {
    for (const listener of this.data.listeners) queueMicrotask(() => listener(change));
  }
}
