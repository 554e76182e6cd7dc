/**
 * `@souk/engine`: one object over Souk's store, models, profiles, search and ranking — ingest,
 * search, recommend, similar items, profiles, erasure, inventory and background retraining with
 * an atomic model swap. Usable from a script without HTTP; `@souk/server` exposes it over HTTP.
 * @packageDocumentation
 */
export { Engine } from './engine.js';
export { EngineError, engineError, type EngineErrorCode } from './errors.js';
export * from './types.js';
