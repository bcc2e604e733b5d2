import { EventEmitter } from 'node:events';
import type { RouterEvents } from './events.js';

/** A listener of one router event. */
export type Listener<K extends keyof RouterEvents> = (event: RouterEvents[K]) => void;

/** The router's events, typed by name (see {@link RouterEvents}). */
export class RouterEventHub {
  private readonly emitter = new EventEmitter();

  /** Subscribes to an event. */
  on<K extends keyof RouterEvents>(event: K, listener: Listener<K>): void {
    this.emitter.on(event, listener);
  }

  /** Unsubscribes from an event. */
  off<K extends keyof RouterEvents>(event: K, listener: Listener<K>): void {
    this.emitter.off(event, listener);
  }

  /** Tells every listener of `event`. */
  readonly emit = <K extends keyof RouterEvents>(event: K, payload: RouterEvents[K]): void => {
    this.emitter.emit(event, payload);
  };

  /** Drops every listener. */
  clear(): void {
    this.emitter.removeAllListeners();
  }
}
