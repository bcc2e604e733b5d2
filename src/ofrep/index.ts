/**
 * The OFREP core, free of any HTTP framework: the mapping between OpenFeature and flagroute
 * (contexts, flags, reasons), flag evaluation on one decision remembered in a ledger, and the
 * outcomes tied to those decisions. The HTTP routes (`src/server/ofrep-routes.ts`) and the
 * in-process provider (`src/openfeature`) are adapters over it.
 *
 * @packageDocumentation
 */
export * from './evaluate-flags.js';
export * from './mapping.js';
