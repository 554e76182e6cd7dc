/**
 * What the engine knows of one user for ranking: the profile's affinities and a latent vector —
 * the trained factors of a user the model knows (refreshed by fold-in when the user's items
 * changed since training), or a fold-in vector from the profile's items for a user the model has
 * never seen (ALS only). Vectors are cached per user until the user's next event or a model swap.
 * @packageDocumentation
 */
import { ALS, FactorModel } from '@souk/models';
import type { UserProfile } from '@souk/profiles';
import type { UserData } from './exec.js';
import type { LiveModel } from './model-files.js';

/** A user's latent vector and where it came from. */
export interface UserVector {
  /** Dense index of the user in the model, −1 when the model does not know them. */
  readonly modelIndex: number;
  /** The vector, if any. */
  readonly vector: Float32Array | undefined;
  /** `model`: a user of the training data; `fold-in`: folded in from their items; undefined: none. */
  readonly source: 'model' | 'fold-in' | undefined;
}

const NONE: UserVector = { modelIndex: -1, vector: undefined, source: undefined };

/** Users whose items and vectors are cached (least recently used dropped first). */
export const USER_CACHE_SIZE = 20_000;

/**
 * Caches users' seen items and vectors (for one live model), for the {@link USER_CACHE_SIZE} users
 * asked for most recently. An entry holds only what requests send on (the ids, the vector), not
 * the item → weight map they are computed from: under the service benchmark's load most asks are
 * misses that replace an entry, so what an entry holds ends up in the event loop's old generation,
 * whose full collections set the tail (with this cache off, search-only load promoted 2.3 MB/s
 * into it instead of 3.7).
 */
export class UserVectors {
  private readonly cache = new Map<string, { seen?: string[]; vector?: UserVector }>();
  private model: LiveModel | undefined;

  constructor(private readonly capacity = USER_CACHE_SIZE) {}

  /** Forgets a user's items and vector (after their events or erasure). */
  invalidate(user: string): void {
    this.cache.delete(user);
  }

  /** Forgets every vector (after a model swap). */
  clear(): void {
    this.cache.clear();
  }

  /** Number of users cached. */
  get size(): number {
    return this.cache.size;
  }

  private entry(user: string) {
    let e = this.cache.get(user);
    if (e) {
      // Most recently used last (Map keeps insertion order).
      this.cache.delete(user);
      this.cache.set(user, e);
      return e;
    }
    if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(user, (e = {}));
    return e;
  }

  /** The ids of the items a user engaged with (empty without a profile). */
  seen(user: string, profile: UserProfile | undefined): string[] {
    if (!profile) return [];
    const e = this.entry(user);
    e.seen ??= profile.latentEntries().map((entry) => entry[0]);
    return e.seen;
  }

  /**
   * The vector of `user` under `live`. `erasedAt`: the user's erasure time — factors of a model
   * trained before it are never used.
   */
  get(live: LiveModel | undefined, user: string, profile: UserProfile | undefined, erasedAt: number | undefined): UserVector {
    if (!live) return NONE;
    if (this.model !== live) {
      this.cache.clear();
      this.model = live;
    }
    // Users without a profile are not cached: any id may be asked for, and the answer is cheap.
    if (!profile) return computeVector(live, user, [], false, erasedAt);
    const e = this.entry(user);
    if (!e.vector) {
      // One walk of the profile fills both: a recommendation asks for the seen ids next.
      const engaged = profile.latentEntries();
      e.seen ??= engaged.map((entry) => entry[0]);
      e.vector = computeVector(live, user, engaged, true, erasedAt);
    }
    return e.vector;
  }
}

/** `engaged`: the profile's items with their summed event weights. */
function computeVector(live: LiveModel, user: string, engaged: ReadonlyArray<readonly [string, number]>, hasProfile: boolean, erasedAt: number | undefined): UserVector {
  const m = live.recommender;
  const { users, items } = m.idIndices();
  const idx = erasedAt !== undefined && erasedAt >= (live.dataAt ?? live.trainedAt) ? -1 : users.find(user);
  const known = engaged.filter(([id]) => items.find(id) >= 0);
  const foldIn = () => (m instanceof ALS && known.length > 0 ? m.recalculateUser({ items: known.map((e) => e[0]), values: known.map((e) => e[1]) }) : undefined);
  if (idx >= 0) {
    if (!(m instanceof FactorModel)) return { modelIndex: idx, vector: undefined, source: 'model' };
    const f = m.userFactors;
    const trained = f.data.slice(idx * f.cols, (idx + 1) * f.cols);
    if (!hasProfile || sameItems(m, idx, known)) return { modelIndex: idx, vector: trained, source: 'model' };
    return { modelIndex: idx, vector: foldIn() ?? trained, source: 'model' };
  }
  const vector = foldIn();
  return vector ? { modelIndex: -1, vector, source: 'fold-in' } : NONE;
}

/** Whether the user's training row has exactly the items of the profile. */
function sameItems(m: FactorModel, idx: number, known: ReadonlyArray<readonly [string, number]>): boolean {
  const t = m.trainingMatrix;
  const a = t.indptr[idx]!;
  const b = t.indptr[idx + 1]!;
  if (b - a !== known.length) return false;
  const row = new Set(t.indices.subarray(a, b));
  const items = m.idIndices().items;
  return known.every(([id]) => row.has(items.find(id)));
}

/** What ranking needs of a user at `now`: the profile's digest and the latent vector (plain data, see exec.ts). */
export function userData(profile: UserProfile | undefined, vector: Float32Array | undefined, now: number): UserData {
  return { ...(profile ? { digest: profile.digest(now) } : {}), ...(vector ? { vector } : {}) };
}
