/**
 * The runtime store: what changes at run time (the runtime layer, the kill switch, the plan's
 * state, the controller's lease, queued commands), behind one interface a fleet can replace,
 * and file mode's implementation of it.
 *
 * @packageDocumentation
 */

export { FileRuntimeStore, type FileRuntimeStoreOptions } from './file-runtime-store.js';
export {
  type AcknowledgementOptions,
  type Acknowledgements,
  acknowledgementsView,
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_STALE_AFTER_MS,
  describeAcknowledgements,
  describeFleet,
  type FleetInstance,
  type FleetMembership,
  type FleetStatus,
  type FleetStore,
  fleetSkew,
  type InstanceSelf,
  instanceName,
  isFleetStore,
  WAIT_BOUNDS,
} from './fleet.js';
export type {
  RuntimeStore,
  StoreChange,
  StoreHealth,
  StoreWithHealth,
} from './runtime-store.js';
