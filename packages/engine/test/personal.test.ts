import { describe, expect, it } from 'vitest';
import { ProfileStore } from '@souk/profiles';
import { UserVectors } from '../src/personal.js';
import { smallShop } from './helpers.js';

describe('user cache', () => {
  it('keeps the most recently asked-for users, up to its capacity, and their engaged items', () => {
    const shop = smallShop();
    // As the engine does: a fold-in model that knows every item, so profiles keep their engaged items.
    const store = new ProfileStore({ catalog: shop.items, model: { itemIndexOf: () => 0, recalculateUser: () => new Float32Array(0) } });
    const users = ['a', 'b', 'c', 'd'];
    users.forEach((user, i) => store.update({ user, item: shop.items[i]!.id, type: 'purchase', timestamp: 1_700_000_000_000 + i }));
    const cache = new UserVectors(3);
    for (const u of ['a', 'b', 'c']) expect(cache.seen(u, store.get(u))).toEqual([shop.items[users.indexOf(u)]!.id]);
    const firstA = cache.seen('a', store.get('a')); // a is now the most recent
    cache.seen('d', store.get('d')); // drops b, the least recent
    expect(cache.size).toBe(3);
    expect(cache.seen('a', store.get('a'))).toBe(firstA); // still cached: the same array
    const b = cache.seen('b', store.get('b')); // recomputed, dropping c
    expect(b).toEqual([shop.items[1]!.id]);
    expect(cache.size).toBe(3);
    expect(cache.seen('nobody', undefined)).toEqual([]);
    expect(cache.size).toBe(3);
  });
});
