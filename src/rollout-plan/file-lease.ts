import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FlagrouteError } from '../errors.js';
import { makeDirectory } from '../make-directory.js';
import { type Fault, FaultError, type HealthSnapshot } from './controller-health.js';
import {
  createExclusive,
  generationNames,
  isRecord,
  padded,
  readJsonFile,
  writeJsonAtomic,
} from './generation-files.js';
import type { LeaseAcquired, LeaseGrant, LeaseReading } from './plan-store.js';

/**
 * How far ahead of a reader's clock a heartbeat may lie beyond the lease's time to live before
 * it is invalid: the clocks of two hosts kept by NTP differ by far less.
 */
export const CLOCK_SKEW_BOUND_MS = 5_000;
/** A lease's time to live when its files do not say. */
const DEFAULT_TTL_MS = 30_000;
const GENERATION = /^\d{12}\.json$/;

/** One generation of the lease: who took it (or released it), when, for how long. */
interface GenerationRecord {
  token: number;
  holder: string;
  at: number;
  ttlMs: number;
  released?: boolean;
}

interface HeartbeatRecord {
  token: number;
  holder: string;
  heartbeatAt: number;
  ttlMs: number;
  health?: HealthSnapshot;
}

function isGeneration(value: unknown): value is GenerationRecord {
  return (
    isRecord(value) &&
    Number.isInteger(value.token) &&
    typeof value.holder === 'string' &&
    Number.isFinite(value.at) &&
    Number.isFinite(value.ttlMs)
  );
}

function isHeartbeat(value: unknown): value is HeartbeatRecord {
  return (
    isRecord(value) &&
    Number.isInteger(value.token) &&
    typeof value.holder === 'string' &&
    Number.isFinite(value.heartbeatAt) &&
    Number.isFinite(value.ttlMs)
  );
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A controller lease in a directory, safe on a plain file system without `flock`: each holder
 * takes the next generation, a file created by `link()` (which fails when the name exists), so
 * two controllers cannot both win one generation; the generation is the fencing token. The
 * holder renews a heartbeat file beside its generation; a release is one more generation.
 */
export class FileLease {
  constructor(
    readonly dir: string,
    private readonly environment: string,
  ) {}

  private file(token: number): string {
    return join(this.dir, `${padded(token)}.json`);
  }

  private heartbeatFile(token: number): string {
    return join(this.dir, `${padded(token)}.heartbeat.json`);
  }

  /** The highest generation's token, 0 when there is none. */
  async topToken(): Promise<number> {
    const [top] = await generationNames(this.dir, GENERATION);
    return top === undefined ? 0 : Number(top.slice(0, 12));
  }

  /** The lease now, and the files that could not be read on the way. */
  async read(now: number): Promise<{ reading: LeaseReading; problems: Fault[] }> {
    const token = await this.topToken();
    if (token === 0) return { reading: { state: 'free', token }, problems: [] };
    const record = await readJsonFile(this.file(token), isGeneration);
    const beat = await readJsonFile(this.heartbeatFile(token), isHeartbeat);
    const problems: Fault[] = [];
    for (const [file, read] of [
      [this.file(token), record],
      [this.heartbeatFile(token), beat],
    ] as const) {
      if (read.kind === 'unreadable') {
        problems.push({
          reason: 'lease_unreadable',
          message: `the lease file ${file} ${read.why}`,
        });
      }
    }
    const generation = record.kind === 'value' ? record.value : undefined;
    const heartbeat = beat.kind === 'value' && beat.value.token === token ? beat.value : undefined;
    if (generation?.released)
      return { reading: { state: 'free', token, releasedBy: generation.holder }, problems };
    const holder =
      generation?.holder ?? heartbeat?.holder ?? 'unknown (its lease file is unreadable)';
    const ttlMs = generation?.ttlMs ?? heartbeat?.ttlMs ?? DEFAULT_TTL_MS;
    // Without a readable heartbeat or generation, the file's age is the best sign of life.
    const heartbeatAt =
      heartbeat?.heartbeatAt ?? generation?.at ?? (await modifiedAt(this.file(token))) ?? 0;
    if (heartbeatAt > now + ttlMs + CLOCK_SKEW_BOUND_MS) {
      const why = `its heartbeat ${iso(heartbeatAt)} lies further ahead than the lease's time to live (${ttlMs} ms) plus the clock-skew bound (${CLOCK_SKEW_BOUND_MS} ms): its holder's clock is wrong, or the file was edited`;
      return { reading: { state: 'invalid', token, holder, heartbeatAt, why }, problems };
    }
    const expiresAt = heartbeatAt + ttlMs;
    return {
      reading: {
        state: expiresAt > now ? 'live' : 'expired',
        token,
        holder,
        heartbeatAt,
        expiresAt,
        ...(heartbeat?.health ? { health: heartbeat.health } : {}),
      },
      problems,
    };
  }

  /** Takes the next generation unless another holder's lease is live (see `PlanStore`). */
  async acquire(holder: string, now: number, ttlMs: number): Promise<LeaseAcquired> {
    const { reading } = await this.read(now);
    if (reading.state === 'live' && reading.holder !== holder) {
      throw new FlagrouteError(
        'PLAN_CONFLICT',
        `another controller drives ${this.environment}: ${reading.holder}, last heartbeat ${iso(reading.heartbeatAt)}, lease until ${iso(reading.expiresAt)}; stop it, or wait for its lease to expire`,
      );
    }
    await makeDirectory(this.dir);
    const token = reading.token + 1;
    const record: GenerationRecord = { token, holder, at: now, ttlMs };
    if (!(await createExclusive(this.file(token), record))) {
      const { reading: winner } = await this.read(now);
      const name = 'holder' in winner ? winner.holder : 'another controller';
      throw new FlagrouteError(
        'PLAN_CONFLICT',
        `another controller drives ${this.environment}: ${name} took lease generation ${token} at the same moment`,
      );
    }
    const grant = { token, holder, ttlMs };
    await this.beat(grant, now);
    await this.prune(token);
    return { grant, previous: reading };
  }

  /** Refuses (a `lease_lost` fault) when a higher generation than the grant's exists. */
  async assertHeld(grant: LeaseGrant): Promise<void> {
    const top = await this.topToken();
    if (top <= grant.token) return;
    const record = await readJsonFile(this.file(top), isGeneration);
    const holder = record.kind === 'value' ? record.value.holder : 'another controller';
    throw new FaultError({
      reason: 'lease_lost',
      message: `another controller drives ${this.environment}: ${holder} took lease generation ${top} (this controller held ${grant.token}); it stands by and does not act`,
    });
  }

  /** Renews the heartbeat, repairing this generation's files when they are unreadable or gone. */
  async renew(grant: LeaseGrant, now: number, health?: HealthSnapshot): Promise<Fault[]> {
    await this.assertHeld(grant);
    const repaired: Fault[] = [];
    const record: GenerationRecord = {
      token: grant.token,
      holder: grant.holder,
      at: now,
      ttlMs: grant.ttlMs,
    };
    const current = await readJsonFile(this.file(grant.token), isGeneration);
    if (current.kind === 'missing') {
      await makeDirectory(this.dir);
      await createExclusive(this.file(grant.token), record);
      repaired.push({
        reason: 'lease_missing',
        message: `the lease of ${this.environment} in ${this.dir} had vanished (was the state directory deleted?); generation ${grant.token} was written again`,
      });
    } else if (current.kind === 'unreadable' || current.value.holder !== grant.holder) {
      await writeJsonAtomic(this.file(grant.token), record);
      const why = current.kind === 'unreadable' ? current.why : `names ${current.value.holder}`;
      repaired.push({
        reason: 'lease_unreadable',
        message: `the lease file ${this.file(grant.token)} ${why}; rewritten for this controller`,
      });
    }
    // The heartbeat file is this holder's alone and rewritten whole: nothing to repair there.
    await this.beat(grant, now, health);
    return repaired;
  }

  private async beat(grant: LeaseGrant, now: number, health?: HealthSnapshot): Promise<void> {
    const record: HeartbeatRecord = {
      token: grant.token,
      holder: grant.holder,
      heartbeatAt: now,
      ttlMs: grant.ttlMs,
      ...(health ? { health } : {}),
    };
    await writeJsonAtomic(this.heartbeatFile(grant.token), record);
  }

  /** Gives the lease up with one more generation, a release, if the grant still holds it. */
  async release(grant: LeaseGrant, now: number): Promise<void> {
    if ((await this.topToken()) !== grant.token) return;
    await createExclusive(this.file(grant.token + 1), {
      token: grant.token + 1,
      holder: grant.holder,
      at: now,
      ttlMs: 0,
      released: true,
    } satisfies GenerationRecord);
    await rm(this.heartbeatFile(grant.token), { force: true });
  }

  /** Removes generations more than two below `token`: nobody reads them any more. */
  private async prune(token: number): Promise<void> {
    for (const name of await generationNames(this.dir, /^\d{12}\.(heartbeat\.)?json$/)) {
      if (Number(name.slice(0, 12)) < token - 2) await rm(join(this.dir, name), { force: true });
    }
  }
}

async function modifiedAt(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}
