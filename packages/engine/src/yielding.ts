/**
 * Cooperative scheduling for long reads of the store. better-sqlite3 is synchronous, so a
 * `for await` over a store scan runs as one long chain of microtasks: timers, I/O and HTTP
 * requests wait until the whole scan is done. These helpers hand control back to the event loop
 * between batches.
 * @packageDocumentation
 */
import type { DataStore, ScanEventsOptions } from '@souk/data';

/** Resolves on the next turn of the event loop (after pending I/O callbacks). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Re-yields an async iterable's batches, giving the event loop a turn after each one. */
export async function* yieldingBatches<T>(batches: AsyncIterable<T>): AsyncIterable<T> {
  for await (const batch of batches) {
    yield batch;
    await yieldToEventLoop();
  }
}

/**
 * A view of `store` whose event scans give the event loop a turn between batches (for code of
 * other packages that scans the store, e.g. the matrix builders). Everything else is the store's.
 */
export function yieldingStore(store: DataStore): DataStore {
  return Object.create(store, {
    scanEventIndexTuples: { value: (options?: ScanEventsOptions) => yieldingBatches(store.scanEventIndexTuples(options)) },
    scanEventTuples: { value: (options?: ScanEventsOptions) => yieldingBatches(store.scanEventTuples(options)) },
    scanEvents: { value: (options?: ScanEventsOptions) => yieldingBatches(store.scanEvents(options)) },
  }) as DataStore;
}
