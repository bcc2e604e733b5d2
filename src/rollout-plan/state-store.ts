import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FlagrouteError } from '../errors.js';
import { type PlanState, pendingState } from './plan-state.js';

/** The default state directory: `state/` beside `environments/`. */
export function defaultStateDir(configDir: string): string {
  return join(configDir, 'state');
}

/** Where an environment's plan state, lease and queued commands live. */
export function statePaths(stateDir: string, environment: string) {
  return {
    state: join(stateDir, `${environment}.rollout-state.json`),
    lease: join(stateDir, `${environment}.controller-lease.json`),
    commands: join(stateDir, `${environment}.commands`),
  };
}

/** Writes JSON atomically: a temp file in the same directory, then a rename over the target. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644 });
  await rename(temp, file);
}

async function readJson<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new FlagrouteError(
      'INVALID_DATA',
      `${file} is not valid JSON (${(error as Error).message}); move it aside to start over`,
    );
  }
}

/** The plan state of an environment (pending when there is no state file). */
export async function readPlanState(stateDir: string, environment: string): Promise<PlanState> {
  const state = await readJson<PlanState>(statePaths(stateDir, environment).state);
  if (state === undefined) return pendingState(environment);
  if (state.version !== 1 || state.environment !== environment) {
    throw new FlagrouteError(
      'INVALID_DATA',
      `${statePaths(stateDir, environment).state} is not a flagroute plan state for ${environment}`,
    );
  }
  return state;
}

/** Saves the plan state atomically. */
export async function writePlanState(stateDir: string, state: PlanState): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await writeJsonAtomic(statePaths(stateDir, state.environment).state, state);
}

/** Who holds an environment's controller lease, and until when. */
export interface Lease {
  holder: string;
  heartbeatAt: number;
  expiresAt: number;
}

/** A name for this process as a lease holder: host, pid and a random tag. */
export function holderName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Takes or renews the lease: exactly one controller drives an environment. A live lease of
 * another holder is refused, naming it; an expired one (no heartbeat for its time to live) is
 * taken over. The write is a rename, and the lease is read back to see who won a race.
 */
export async function acquireLease(
  stateDir: string,
  environment: string,
  holder: string,
  now: number,
  ttlMs: number,
): Promise<Lease> {
  const file = statePaths(stateDir, environment).lease;
  await mkdir(stateDir, { recursive: true });
  const current = await readJson<Lease>(file);
  if (current && current.holder !== holder && current.expiresAt > now) {
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `another controller drives ${environment}: ${current.holder}, last heartbeat ${new Date(current.heartbeatAt).toISOString()}, lease until ${new Date(current.expiresAt).toISOString()}; stop it, or wait for its lease to expire`,
    );
  }
  const lease: Lease = { holder, heartbeatAt: now, expiresAt: now + ttlMs };
  await writeJsonAtomic(file, lease);
  const written = await readJson<Lease>(file);
  if (written?.holder !== holder) {
    throw new FlagrouteError(
      'INVALID_ARGUMENT',
      `another controller took the lease of ${environment} at the same moment: ${written?.holder}`,
    );
  }
  return lease;
}

/** The lease, if a live one is held. */
export async function liveLease(
  stateDir: string,
  environment: string,
  now: number,
): Promise<Lease | undefined> {
  const lease = await readJson<Lease>(statePaths(stateDir, environment).lease);
  return lease && lease.expiresAt > now ? lease : undefined;
}

/** Gives up the lease if this holder has it. */
export async function releaseLease(
  stateDir: string,
  environment: string,
  holder: string,
): Promise<void> {
  const file = statePaths(stateDir, environment).lease;
  const current = await readJson<Lease>(file);
  if (current?.holder === holder) await rm(file, { force: true });
}
