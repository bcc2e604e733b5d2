/**
 * Hot reload: chokidar watching the configuration directory, debounced, reloads serialised.
 *
 * @packageDocumentation
 */
export { ConfigWatcher, type WatchOptions } from './config-watcher.js';
