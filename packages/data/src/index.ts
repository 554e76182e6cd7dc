/**
 * `@souk/data`: Souk's data asset inventory — schemas, streaming ingest with quarantine, the
 * embedded store, cleaning, id maps and interaction matrices, splits, dataset loaders, the
 * synthetic shop generator and the inventory report.
 * @packageDocumentation
 */
export * from './errors.js';
export * from './schemas.js';
export * from './records.js';
export * from './ingest.js';
export * from './parquet.js';
export * from './store.js';
export * from './text.js';
export * from './clean.js';
export * from './idmap.js';
export * from './columns.js';
export * from './matrix.js';
export * from './splits.js';
export * from './loaders.js';
export * from './inventory.js';
export * from './synthetic.js';
