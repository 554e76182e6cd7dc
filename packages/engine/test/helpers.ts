/** Shared fixtures of the engine tests: a small synthetic shop, its events, and helpers. */
import { expect } from 'vitest';
import { createSyntheticShop, type EventRecord, type ItemRecord, type SyntheticShop } from '@souk/data';
import { EngineError, type EngineErrorCode } from '@souk/engine';
import { SoukError } from '@souk/kernels';

/** A small shop (300 items, 200 users), English or Chinese. */
export function smallShop(locale: 'en' | 'zh' = 'en'): SyntheticShop {
  return createSyntheticShop({ items: 300, users: 200, queries: 30, locale, seed: 3 });
}

/** The shop's first `n` events. */
export function shopEvents(shop: SyntheticShop, n: number): EventRecord[] {
  return [...shop.events({ events: n, seed: 5 })];
}

/** Leaf category key of an item. */
export const leafOf = (item: { categoryPath: readonly string[] }): string => item.categoryPath.join('/');

/** Items grouped by leaf category. */
export function itemsByLeaf(items: readonly ItemRecord[]): Map<string, ItemRecord[]> {
  const out = new Map<string, ItemRecord[]>();
  for (const item of items) {
    const list = out.get(leafOf(item)) ?? [];
    list.push(item);
    out.set(leafOf(item), list);
  }
  return out;
}

/** Purchases of `items` by `user`, one a minute from `start`. */
export function purchases(user: string, items: readonly ItemRecord[], start = 1_710_000_000_000): EventRecord[] {
  return items.flatMap((item, i) => [
    { user, item: item.id, type: 'view' as const, timestamp: start + i * 60_000 },
    { user, item: item.id, type: 'purchase' as const, timestamp: start + i * 60_000 + 30_000 },
  ]);
}

/** Asserts that `run` rejects (or throws) an EngineError (a SoukError) with `code`. */
export async function expectCode(run: () => unknown, code: EngineErrorCode): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${code}`).toBeInstanceOf(EngineError);
  expect(error).toBeInstanceOf(SoukError);
  expect((error as EngineError).code).toBe(code);
}
