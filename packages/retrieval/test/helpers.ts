import type { IndexableItem } from '../src/index.js';

/** A minimal valid catalog item with overrides. */
export function item(id: string, title: string, extra: Partial<IndexableItem> = {}): IndexableItem {
  return { id, title, categoryPath: [], tags: [], attributes: {}, inStock: true, ...extra };
}

/** Expects `run` to throw a RetrievalError with `code`; returns the error. */
export function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}
