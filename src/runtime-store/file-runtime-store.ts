import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  FileRuntimeLayer,
  type RuntimeChange,
  type RuntimeState,
} from '../rollout-layers/index.js';
import type { HealthSnapshot } from '../rollout-plan/index.js';
import {
  type CommandOutcome,
  defaultStateDir,
  FilePlanStore,
  type LeaseGrant,
  type PlanCommand,
  type PlanState,
  statePaths,
} from '../rollout-plan/index.js';
import type { RuntimeStore, StoreChange } from './runtime-store.js';

/** How often a subscription looks for new plan states and commands (a directory listing). */
const POLL_MS = 100;

/** Options of {@link FileRuntimeStore}. */
export interface FileRuntimeStoreOptions {
  /** Directory holding `environments/`. */
  configDir: string;
  environment: string;
  /** The plan's state directory; default `state/` beside `environments/`. */
  stateDir?: string;
  /** Base of the file paths shown in messages. */
  cwd?: string;
}

/**
 * File mode's runtime store, today's on-disk behaviour behind the interface: the runtime layer
 * and the kill switch are the `runtime:` and `rollback:` blocks of the environment file (so
 * every router watching the file follows), the plan's state, lease and commands are files in
 * `state/` ({@link FilePlanStore}, with its fenced generation-file lease). A fenced runtime
 * write checks the lease just before it writes: on a plain file system that check is the fence.
 */
export class FileRuntimeStore implements RuntimeStore {
  readonly environment: string;
  readonly location: string;
  readonly runtimeLocation: string;
  private readonly layer: FileRuntimeLayer;
  private readonly plan: FilePlanStore;
  private readonly paths: ReturnType<typeof statePaths>;
  private readonly subscriptions = new Set<() => void>();

  constructor(options: FileRuntimeStoreOptions) {
    const stateDir = resolve(options.stateDir ?? defaultStateDir(options.configDir));
    this.environment = options.environment;
    this.layer = new FileRuntimeLayer(options);
    this.plan = new FilePlanStore(stateDir, options.environment);
    this.paths = statePaths(stateDir, options.environment);
    this.location = this.plan.location;
    this.runtimeLocation = this.layer.runtimeLocation;
  }

  readRuntime(): Promise<RuntimeState> {
    return this.layer.readRuntime();
  }

  async updateRuntime(
    change: RuntimeChange,
    fence?: LeaseGrant,
  ): Promise<{ before: RuntimeState; after: RuntimeState }> {
    if (fence) await this.plan.checkLease(fence);
    return this.layer.updateRuntime(change);
  }

  subscribeRuntime(listener: (state: RuntimeState) => void): () => void {
    return this.layer.subscribeRuntime(listener);
  }

  subscribe(listener: (change: StoreChange) => void): () => void {
    const stopRuntime = this.layer.subscribeRuntime((state) =>
      listener({ kind: 'runtime', state }),
    );
    let last: { plan?: string | undefined; commands: Set<string> } | undefined;
    let looking = false;
    const look = async () => {
      if (looking) return;
      looking = true;
      try {
        const plan = (await names(this.paths.state))
          .filter((name) => name.endsWith('.json'))
          .at(-1);
        const commands = new Set(
          (await names(this.paths.commands)).filter((name) => name.endsWith('.json')),
        );
        if (last && plan !== last.plan) listener({ kind: 'plan' });
        if (last && [...commands].some((name) => !last!.commands.has(name))) {
          listener({ kind: 'commands' });
        }
        last = { plan, commands };
      } finally {
        looking = false;
      }
    };
    void look();
    const poll = setInterval(() => void look(), POLL_MS);
    poll.unref();
    const stop = () => {
      clearInterval(poll);
      stopRuntime();
      this.subscriptions.delete(stop);
    };
    this.subscriptions.add(stop);
    return stop;
  }

  async close(): Promise<void> {
    for (const stop of [...this.subscriptions]) stop();
  }

  readLease(now: number) {
    return this.plan.readLease(now);
  }

  acquireLease(holder: string, now: number, ttlMs: number) {
    return this.plan.acquireLease(holder, now, ttlMs);
  }

  renewLease(grant: LeaseGrant, now: number, health?: HealthSnapshot) {
    return this.plan.renewLease(grant, now, health);
  }

  checkLease(grant: LeaseGrant): Promise<void> {
    return this.plan.checkLease(grant);
  }

  releaseLease(grant: LeaseGrant, now: number): Promise<void> {
    return this.plan.releaseLease(grant, now);
  }

  readState() {
    return this.plan.readState();
  }

  writeState(state: PlanState, grant: LeaseGrant): Promise<string> {
    return this.plan.writeState(state, grant);
  }

  setAsideState(generation: string): Promise<string> {
    return this.plan.setAsideState(generation);
  }

  enqueueCommand(command: PlanCommand, now: number): Promise<string> {
    return this.plan.enqueueCommand(command, now);
  }

  takeCommands(grant?: LeaseGrant) {
    return this.plan.takeCommands(grant);
  }

  acknowledgeCommand(id: string, outcome: CommandOutcome): Promise<void> {
    return this.plan.acknowledgeCommand(id, outcome);
  }

  commandOutcome(id: string): Promise<CommandOutcome | undefined> {
    return this.plan.commandOutcome(id);
  }
}

/** A directory's entries, sorted; none when it does not exist (yet). */
async function names(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}
