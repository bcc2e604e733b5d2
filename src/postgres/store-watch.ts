import type { Client } from 'pg';
import type { Logger } from 'pino';
import { RetryPause } from '../retry-pause.js';
import type { RuntimeState } from '../rollout-layers/index.js';
import type { StoreChange } from '../runtime-store/index.js';
import { connectPostgres } from './connection.js';
import type { PostgresTarget } from './store-url.js';

/** The channels the schema announces changes on (0001-initial.sql). */
const CHANNELS = ['flagroute_runtime', 'flagroute_plan', 'flagroute_commands'] as const;
/** What one look at the store found: the versions of what changes, and the runtime state. */
export interface StoreVersions {
  runtime: string | null;
  state: RuntimeState;
  plan: string | null;
  commands: string | null;
}

interface Subscriber {
  listener: (change: StoreChange) => void;
  /** Has not heard the runtime state yet (it hears it at the first look). */
  fresh: boolean;
}

/** Options of {@link StoreWatch}. */
export interface StoreWatchOptions {
  target: PostgresTarget;
  environment: string;
  /** Reads the versions and the runtime state in one statement. */
  look: () => Promise<StoreVersions>;
  /** How often to look even without a notification (the safety net for a missed one). */
  pollMs: number;
  /** Told once when the looks start failing and once when one succeeds again. */
  logger?: Logger;
}

/**
 * Push with a safety net: one `LISTEN` session per store hears every committed change at once
 * (the schema's triggers notify on commit); a poll every `pollMs` repairs a notification that
 * never came (a dropped session, a notification sent while it was reconnecting). Either only
 * asks for a look, which compares versions and tells the subscribers what changed, so a
 * change is reported once whichever path saw it first. A lost session is listened again with
 * backoff; the poll goes on meanwhile.
 */
export class StoreWatch {
  private readonly subscribers = new Set<Subscriber>();
  private last: StoreVersions | undefined;
  private session: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly reconnect = new RetryPause();
  private looking: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** The last look's failure, or undefined when it succeeded. */
  lastError: unknown;
  /** Since when the looks have failed (ms since the epoch), or undefined. */
  failingSince: number | undefined;
  /** When a look last succeeded (ms since the epoch), or undefined. */
  lastReadAt: number | undefined;
  /** Failed looks since start. */
  failures = 0;
  /** The runtime version every subscriber has been told of (applied), or null. */
  applied: string | null = null;
  private readonly appliedHooks = new Set<(version: string | null) => void>();

  constructor(private readonly options: StoreWatchOptions) {}

  /** Whether it listens now and has looked at the store at least once. */
  get listening(): boolean {
    return this.session !== undefined && this.last !== undefined;
  }

  add(listener: (change: StoreChange) => void): () => void {
    const subscriber: Subscriber = { listener, fresh: true };
    this.subscribers.add(subscriber);
    if (this.stopped) this.start();
    this.requestLook();
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  /**
   * Calls `hook` each time the subscribers have been told of a new runtime version (they apply
   * it as they hear it: the router swaps its snapshot in its listener). Returns the unhook.
   */
  onApplied(hook: (version: string | null) => void): () => void {
    this.appliedHooks.add(hook);
    return () => this.appliedHooks.delete(hook);
  }

  stop(): void {
    this.stopped = true;
    this.applied = null;
    clearInterval(this.timer);
    this.reconnect.cancel();
    this.timer = undefined;
    this.last = undefined;
    const session = this.session;
    this.session = undefined;
    void session?.end().catch(() => {});
  }

  private start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.requestLook(), this.options.pollMs);
    this.timer.unref();
    void this.listen();
  }

  private async listen(): Promise<void> {
    let session: Client;
    try {
      session = await connectPostgres(this.options.target, {
        applicationName: 'flagroute listener',
      });
    } catch {
      this.retryListen();
      return;
    }
    if (this.stopped) {
      await session.end().catch(() => {});
      return;
    }
    session.on('notification', (message) => {
      if (this.concerns(message.payload)) this.requestLook();
    });
    session.on('error', () => this.lost(session));
    session.on('end', () => this.lost(session));
    try {
      for (const channel of CHANNELS) await session.query(`LISTEN ${channel}`);
    } catch {
      this.lost(session);
      return;
    }
    this.session = session;
    this.reconnect.succeeded();
    this.requestLook(); // what changed while nobody listened
  }

  private lost(session: Client): void {
    if (this.session !== session && this.session !== undefined) return;
    this.session = undefined;
    void session.end().catch(() => {});
    this.retryListen();
  }

  private retryListen(): void {
    if (this.stopped) return;
    this.reconnect.schedule(() => {
      if (!this.stopped) void this.listen();
    });
  }

  private concerns(payload: string | undefined): boolean {
    try {
      return (
        (JSON.parse(payload ?? '{}') as { environment?: unknown }).environment ===
        this.options.environment
      );
    } catch {
      return true;
    }
  }

  /** The first failed look of an outage: logged once, not at each retry. */
  private readsLost(error: unknown): void {
    const { code, message } = error as { code?: unknown; message?: unknown };
    const readAt =
      this.lastReadAt === undefined ? 'none yet' : new Date(this.lastReadAt).toISOString();
    // A StoreError's message names the store without its password or URL.
    this.options.logger?.warn(
      {
        store: this.options.target.description,
        reason: typeof code === 'string' ? code : 'STORE_UNAVAILABLE',
      },
      `the runtime store cannot be read (${typeof message === 'string' ? message : 'unknown error'}): serving the runtime state read last (${readAt}); /readyz says degraded; looking again every ${this.options.pollMs / 1000} s`,
    );
  }

  /** The first successful look after an outage. */
  private readsRegained(since: number): void {
    this.options.logger?.info(
      { store: this.options.target.description, failures: this.failures },
      `the runtime store is read again (it could not be read since ${new Date(since).toISOString()})`,
    );
  }

  /** Asks for a look: one runs at a time, and one more runs after it when asked meanwhile. */
  requestLook(): void {
    if (this.looking) {
      this.again = true;
      return;
    }
    this.looking = this.lookOnce().finally(() => {
      this.looking = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.requestLook();
      }
    });
  }

  private async lookOnce(): Promise<void> {
    let now: StoreVersions;
    try {
      now = await this.options.look();
      if (this.failingSince !== undefined) this.readsRegained(this.failingSince);
      this.lastError = undefined;
      this.failingSince = undefined;
      this.lastReadAt = Date.now();
    } catch (error) {
      this.lastError = error; // the next poll or notification looks again
      if (this.failingSince === undefined) this.readsLost(error);
      this.failingSince ??= Date.now();
      this.failures += 1;
      return;
    }
    if (this.stopped) return;
    const before = this.last;
    this.last = now;
    const runtimeChanged = before !== undefined && before.runtime !== now.runtime;
    for (const subscriber of [...this.subscribers]) {
      if (subscriber.fresh || runtimeChanged) {
        subscriber.fresh = false;
        subscriber.listener({ kind: 'runtime', state: now.state });
      }
      if (before && before.plan !== now.plan) subscriber.listener({ kind: 'plan' });
      if (before && before.commands !== now.commands) subscriber.listener({ kind: 'commands' });
    }
    if (this.subscribers.size > 0 && this.applied !== now.runtime) {
      this.applied = now.runtime;
      for (const hook of [...this.appliedHooks]) hook(now.runtime);
    }
  }
}
