import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDirectory } from '../make-directory.js';
import type { Fault, HealthSnapshot } from './controller-health.js';
import { FileLease } from './file-lease.js';
import {
  createExclusive,
  generationNames,
  isRecord,
  padded,
  readJsonFile,
  writeJsonAtomic,
} from './generation-files.js';
import {
  PLAN_ACTIONS,
  PLAN_PHASES,
  type PlanCommand,
  type PlanState,
  pendingState,
} from './plan-state.js';
import type {
  CommandOutcome,
  LeaseGrant,
  PlanStore,
  QueuedCommand,
  StateReading,
} from './plan-store.js';

/** The default state directory: `state/` beside `environments/`. */
export function defaultStateDir(configDir: string): string {
  return join(configDir, 'state');
}

/** Where an environment's plan state, lease and queued commands live in a state directory. */
export function statePaths(stateDir: string, environment: string) {
  return {
    /** Generations of the plan state: `<token>-<sequence>.json`, the highest readable wins. */
    state: join(stateDir, `${environment}.plan`),
    /** Generations of the controller lease: `<token>.json`, and its heartbeat. */
    lease: join(stateDir, `${environment}.lease`),
    commands: join(stateDir, `${environment}.commands`),
    /** The single state file of flagroute before generations; read when no generation exists. */
    legacyState: join(stateDir, `${environment}.rollout-state.json`),
  };
}

const STATE_GENERATION = /^\d{12}-\d{12}\.json$/;
/** Generations kept besides the newest (older ones are removed after each write). */
const KEPT_GENERATIONS = 4;
/** How long an outcome of a queued command waits for the person who queued it. */
const OUTCOME_KEPT_MS = 3_600_000;

/** A stored state generation: the state and the fencing token of the controller that wrote it. */
interface StoredState {
  token: number;
  state: PlanState;
}

/** Whether a stored value is a plan state this flagroute can read. */
export function isPlanState(value: unknown): value is PlanState {
  return (
    isRecord(value) &&
    value.version === 1 &&
    typeof value.environment === 'string' &&
    (PLAN_PHASES as readonly unknown[]).includes(value.phase) &&
    Number.isInteger(value.stage) &&
    Array.isArray(value.history)
  );
}

function isStoredState(value: unknown): value is StoredState {
  return isRecord(value) && Number.isInteger(value.token) && isPlanState(value.state);
}

function isCommand(value: unknown): value is PlanCommand {
  return (
    isRecord(value) &&
    (PLAN_ACTIONS as readonly unknown[]).includes(value.action) &&
    typeof value.reason === 'string'
  );
}

function isOutcome(value: unknown): value is CommandOutcome {
  return isRecord(value) && typeof value.ok === 'boolean';
}

/**
 * The plan store in a directory (default `state/` beside `environments/`), safe on a plain
 * file system without `flock`: the lease is a {@link FileLease}; each state write is a new
 * generation named by the writer's fencing token and a sequence number, created by `link()`,
 * and readers take the highest readable one, so a stale holder's late write (a lower token)
 * never wins; queued commands are one file each.
 */
export class FilePlanStore implements PlanStore {
  readonly location: string;
  private readonly paths: ReturnType<typeof statePaths>;
  private readonly lease: FileLease;
  private sequence = 0;

  constructor(
    stateDir: string,
    readonly environment: string,
  ) {
    this.location = stateDir;
    this.paths = statePaths(stateDir, environment);
    this.lease = new FileLease(this.paths.lease, environment);
  }

  readLease(now: number) {
    return this.lease.read(now).then(({ reading }) => reading);
  }

  acquireLease(holder: string, now: number, ttlMs: number) {
    return this.lease.acquire(holder, now, ttlMs);
  }

  async renewLease(grant: LeaseGrant, now: number, health?: HealthSnapshot): Promise<Fault[]> {
    return this.lease.renew(grant, now, health);
  }

  checkLease(grant: LeaseGrant): Promise<void> {
    return this.lease.assertHeld(grant);
  }

  releaseLease(grant: LeaseGrant, now: number): Promise<void> {
    return this.lease.release(grant, now);
  }

  async readState(): Promise<StateReading> {
    const problems: Fault[] = [];
    const unreadable: string[] = [];
    for (const name of await generationNames(this.paths.state, STATE_GENERATION)) {
      const file = join(this.paths.state, name);
      const read = await readJsonFile(file, isStoredState);
      if (read.kind === 'value' && read.value.state.environment === this.environment) {
        return { state: read.value.state, generation: name, problems, unreadable };
      }
      // Removed by the writer's pruning since the listing: only older ones are; read again.
      if (read.kind === 'missing') return this.readState();
      const why =
        read.kind === 'unreadable' ? read.why : `is the state of ${read.value.state.environment}`;
      unreadable.push(name);
      problems.push({
        reason: 'state_unreadable',
        message: `the plan state file ${file} ${why}; an older generation is read instead`,
      });
    }
    const legacy = await readJsonFile(this.paths.legacyState, isPlanState);
    const state = legacy.kind === 'value' ? legacy.value : pendingState(this.environment);
    return { state, generation: null, problems, unreadable };
  }

  async setAsideState(generation: string): Promise<string> {
    const file = join(this.paths.state, generation);
    await rename(file, `${file}.unreadable`);
    return `${file}.unreadable`;
  }

  async writeState(state: PlanState, grant: LeaseGrant): Promise<string> {
    await this.lease.assertHeld(grant);
    await makeDirectory(this.paths.state);
    const names = await generationNames(this.paths.state, STATE_GENERATION);
    const mine = names.find((name) => Number(name.slice(0, 12)) === grant.token);
    this.sequence = Math.max(this.sequence, mine ? Number(mine.slice(13, 25)) : 0) + 1;
    const name = `${padded(grant.token)}-${padded(this.sequence)}.json`;
    const stored: StoredState = { token: grant.token, state };
    if (!(await createExclusive(join(this.paths.state, name), stored))) {
      throw new Error(
        `plan state generation ${name} exists already: two writers hold token ${grant.token}`,
      );
    }
    for (const old of names.filter((other) => other < name).slice(KEPT_GENERATIONS)) {
      await rm(join(this.paths.state, old), { force: true });
    }
    await rm(this.paths.legacyState, { force: true });
    return name;
  }

  async enqueueCommand(command: PlanCommand, now: number): Promise<string> {
    await makeDirectory(this.paths.commands);
    const id = `${String(now).padStart(15, '0')}-${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeJsonAtomic(join(this.paths.commands, `${id}.json`), command);
    return id;
  }

  async takeCommands(
    grant?: LeaseGrant,
  ): Promise<{ commands: QueuedCommand[]; problems: Fault[] }> {
    // On a plain file system the check just before taking is the fence (as for runtime writes).
    if (grant) await this.checkLease(grant);
    const commands: QueuedCommand[] = [];
    const problems: Fault[] = [];
    let names: string[];
    try {
      names = (await readdir(this.paths.commands)).sort();
    } catch {
      return { commands, problems };
    }
    for (const name of names) {
      const file = join(this.paths.commands, name);
      if (name.endsWith('.outcome')) {
        await removeIfOlder(file, OUTCOME_KEPT_MS);
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const read = await readJsonFile(file, isCommand);
      if (read.kind === 'value') {
        commands.push({ id: name.slice(0, -'.json'.length), command: read.value });
        await rm(file, { force: true });
      } else if (read.kind === 'unreadable') {
        // Set aside, not deleted: the person who queued it can see what went wrong.
        await rename(file, `${file}.unreadable`);
        problems.push({
          reason: 'command_unreadable',
          message: `the queued plan command ${file} ${read.why}; set aside as ${name}.unreadable, not applied: queue it again`,
        });
      }
    }
    return { commands, problems };
  }

  async acknowledgeCommand(id: string, outcome: CommandOutcome): Promise<void> {
    await makeDirectory(this.paths.commands);
    await writeJsonAtomic(join(this.paths.commands, `${id}.outcome`), outcome);
  }

  async commandOutcome(id: string): Promise<CommandOutcome | undefined> {
    const file = join(this.paths.commands, `${id}.outcome`);
    const read = await readJsonFile(file, isOutcome);
    if (read.kind !== 'value') return undefined;
    await rm(file, { force: true });
    return read.value;
  }
}

async function removeIfOlder(file: string, ageMs: number): Promise<void> {
  try {
    if (Date.now() - (await stat(file)).mtimeMs > ageMs) await rm(file, { force: true });
  } catch {
    // Gone already.
  }
}
