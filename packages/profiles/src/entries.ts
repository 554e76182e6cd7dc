/**
 * The compact storage of a profile's decayed entries: the same sums and remembered events as
 * {@link DecayedEntry} (decay.ts), packed in a few typed arrays per profile instead of objects.
 *
 * Why: a service holds every user's profile in memory, and V8's young-generation collections
 * (scavenges) pause the event loop for time that grows with the size of the old generation —
 * about 1 µs per 256 KiB heap page on the benchmark machine, whatever the objects are. With an
 * object per entry and per remembered event, 50,000 profiles made a 1.5 GB heap and 12 ms pauses
 * every tenth of a second under load. Typed arrays keep their contents outside the V8 heap.
 * @packageDocumentation
 */
import { decayFactor, type ContributingEvent } from './decay.js';

/**
 * Typed arrays for profile storage. Above V8's on-heap limit (64 bytes) they live on a
 * `SharedArrayBuffer` that is never shared with another thread: V8 leaves shared backing stores
 * out of an isolate's external-memory count (`BackingStore::PerIsolateAccountingLength` returns 0
 * for them, src/objects/backing-store.h).
 *
 * Why: V8 starts a full collection of the whole heap whenever that count grows 64 MiB past its
 * level at the last one, however little the heap itself grew. Profiles grow with every new
 * (user, key) pair, and a table that outgrows its arrays leaves the old ones for the collector:
 * about 0.8 MB/s together under the service benchmark's event rate. So the event loop marked its
 * ~270 MB heap every 80–90 s (`--trace-incremental-marking`: "external memory pressure"), and each
 * such collection made a second of the paced load with latencies in the hundreds of ms. Without
 * the count the event loop collects when its heap has grown by the configured factor (the
 * server's `--heap-growth`). The memory is freed as before when an array is collected; outgrown
 * arrays wait for the next full collection instead of hastening it.
 */
const ON_HEAP_BYTES = 64;

function int32s(n: number): Int32Array {
  return n * 4 <= ON_HEAP_BYTES ? new Int32Array(n) : new Int32Array(new SharedArrayBuffer(n * 4));
}

function float64s(n: number): Float64Array {
  return n * 8 <= ON_HEAP_BYTES ? new Float64Array(n) : new Float64Array(new SharedArrayBuffer(n * 8));
}

/** Dense ids for strings (keys, item ids, event types), grow-only; shared by a store's profiles. */
export class Interner {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  /** The id of `s` (assigned on first sight). */
  id(s: string): number {
    let i = this.ids.get(s);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(s);
      this.ids.set(s, i);
    }
    return i;
  }

  /** The id of `s`, or -1 if it was never seen. */
  find(s: string): number {
    return this.ids.get(s) ?? -1;
  }

  /** The string of an id. */
  name(id: number): string {
    return this.names[id]!;
  }
}

/** Fields of one remembered event in the `top` array. */
const EV_ITEM = 0;
const EV_TYPE = 1;
const EV_HALF_LIFE = 2;
const EV_TIME = 3;
const EV_WEIGHT = 4;
const EV_RANK = 5;
const EV_WIDTH = 6;

/**
 * A profile's entries. Record r: `meta[3r..3r+3)` = family, key id, remembered-events slot (-1:
 * none); `acc[r·(1+H)..)` = reference time, then one accumulator per half-life; a slot s of `top`
 * = the number of remembered events, then `limit` events of {@link EV_WIDTH} numbers. Records keep
 * their creation order, so a family iterates in insertion order, as a `Map` would.
 */
export class EntryTable {
  private meta: Int32Array;
  private acc: Float64Array;
  private top: Float64Array | undefined;
  private n = 0;
  private slots = 0;
  private readonly accWidth: number;
  private readonly topWidth: number;

  constructor(
    halfLives: number,
    private readonly limit: number,
    capacity = 16,
  ) {
    this.accWidth = 1 + halfLives;
    this.topWidth = 1 + limit * EV_WIDTH;
    this.meta = int32s(capacity * 3);
    this.acc = float64s(capacity * this.accWidth);
  }

  /** Number of records. */
  get size(): number {
    return this.n;
  }

  /** Family of record r. */
  family(r: number): number {
    return this.meta[3 * r]!;
  }

  /** Key id of record r. */
  key(r: number): number {
    return this.meta[3 * r + 1]!;
  }

  /** Reference time of record r (−Infinity before any weight). */
  time(r: number): number {
    return this.acc[r * this.accWidth]!;
  }

  /** The record of (family, key), or -1. */
  find(family: number, key: number): number {
    const m = this.meta;
    for (let r = 0, i = 0; r < this.n; r++, i += 3) if (m[i] === family && m[i + 1] === key) return r;
    return -1;
  }

  /** A new, empty record (reference time −Infinity); `remembers`: with room for remembered events. */
  create(family: number, key: number, remembers: boolean): number {
    if (this.n * 3 === this.meta.length) {
      const meta = int32s(this.meta.length * 2);
      meta.set(this.meta);
      this.meta = meta;
      const acc = float64s(this.acc.length * 2);
      acc.set(this.acc);
      this.acc = acc;
    }
    const r = this.n++;
    let slot = -1;
    if (remembers && this.limit > 0) {
      if (!this.top || this.slots * this.topWidth === this.top.length) {
        const top = float64s(Math.max(4, this.slots * 2) * this.topWidth);
        if (this.top) top.set(this.top);
        this.top = top;
      }
      slot = this.slots++;
    }
    this.meta[3 * r] = family;
    this.meta[3 * r + 1] = key;
    this.meta[3 * r + 2] = slot;
    const a = r * this.accWidth;
    this.acc[a] = -Infinity;
    this.acc.fill(0, a + 1, a + this.accWidth);
    return r;
  }

  /** The record of (family, key), created when absent. */
  get(family: number, key: number, remembers: boolean): number {
    const r = this.find(family, key);
    return r >= 0 ? r : this.create(family, key, remembers);
  }

  /** Adds weight `w` at time `t` on half-life `h` (as `addToEntry`). */
  add(r: number, halfLivesMs: readonly number[], h: number, w: number, t: number): void {
    const acc = this.acc;
    const a = r * this.accWidth;
    const t0 = acc[a]!;
    if (t0 === -Infinity) {
      acc[a] = t;
      acc[a + 1 + h]! += w;
    } else if (t >= t0) {
      const dt = t - t0;
      if (dt > 0) for (let k = 0; k < this.accWidth - 1; k++) acc[a + 1 + k]! *= decayFactor(dt, halfLivesMs[k]!);
      acc[a] = t;
      acc[a + 1 + h]! += w;
    } else {
      acc[a + 1 + h]! += w * decayFactor(t0 - t, halfLivesMs[h]!);
    }
  }

  /** Sets a record's reference time and accumulators (a profile read from JSON). */
  setSums(r: number, t: number, sums: readonly number[]): void {
    const a = r * this.accWidth;
    this.acc[a] = t;
    for (let k = 0; k < sums.length; k++) this.acc[a + 1 + k] = sums[k]!;
  }

  /** The accumulators of record r. */
  sums(r: number): number[] {
    const a = r * this.accWidth;
    return Array.from(this.acc.subarray(a + 1, a + this.accWidth));
  }

  /** Value of record r at `now` (as `valueAt`). */
  value(r: number, halfLivesMs: readonly number[], now: number): number {
    const acc = this.acc;
    const a = r * this.accWidth;
    const t0 = acc[a]!;
    if (t0 === -Infinity) return 0;
    let v = 0;
    const dt = now - t0;
    for (let k = 0; k < this.accWidth - 1; k++) v += acc[a + 1 + k]! * decayFactor(dt, halfLivesMs[k]!);
    return v;
  }

  /**
   * Remembers an event if it is among the record's `limit` strongest (as `rememberEvent`: ranked
   * by `ln|w| + t·ln2 / h`; a full list replaces its first weakest when the new one is stronger).
   */
  remember(r: number, item: number, type: number, timestamp: number, weight: number, halfLife: number, halfLivesMs: readonly number[]): void {
    const slot = this.meta[3 * r + 2]!;
    if (slot < 0 || weight === 0) return;
    const top = this.top!;
    const base = slot * this.topWidth;
    const rank = Math.log(Math.abs(weight)) + (timestamp * Math.LN2) / halfLivesMs[halfLife]!;
    const count = top[base]!;
    let at: number;
    if (count < this.limit) {
      at = count;
      top[base] = count + 1;
    } else {
      let min = 0;
      for (let k = 1; k < count; k++) if (top[base + 1 + k * EV_WIDTH + EV_RANK]! < top[base + 1 + min * EV_WIDTH + EV_RANK]!) min = k;
      if (!(rank > top[base + 1 + min * EV_WIDTH + EV_RANK]!)) return;
      at = min;
    }
    const e = base + 1 + at * EV_WIDTH;
    top[e + EV_ITEM] = item;
    top[e + EV_TYPE] = type;
    top[e + EV_HALF_LIFE] = halfLife;
    top[e + EV_TIME] = timestamp;
    top[e + EV_WEIGHT] = weight;
    top[e + EV_RANK] = rank;
  }

  /** The remembered events of record r, in their stored order, as objects. */
  remembered(r: number, strings: Interner): ContributingEvent[] {
    const slot = r < 0 ? -1 : this.meta[3 * r + 2]!;
    if (slot < 0) return [];
    const top = this.top!;
    const base = slot * this.topWidth;
    const out: ContributingEvent[] = [];
    for (let k = 0; k < top[base]!; k++) {
      const e = base + 1 + k * EV_WIDTH;
      out.push({ item: strings.name(top[e + EV_ITEM]!), type: strings.name(top[e + EV_TYPE]!), timestamp: top[e + EV_TIME]!, weight: top[e + EV_WEIGHT]!, halfLife: top[e + EV_HALF_LIFE]! });
    }
    return out;
  }
}

/**
 * The items feeding a fold-in with their summed weights, in insertion order (as a `Map` keeps
 * them): item ids as interned numbers in one typed array, weights in another.
 */
export class WeightList {
  private ids: Int32Array;
  private weights: Float64Array;
  private n = 0;

  constructor(capacity = 8) {
    this.ids = int32s(capacity);
    this.weights = float64s(capacity);
  }

  /** Number of items. */
  get size(): number {
    return this.n;
  }

  /** Adds `w` to an item's weight (appended on first sight). */
  add(id: number, w: number): void {
    this.put(id, w, true);
  }

  private put(id: number, w: number, sum: boolean): void {
    const ids = this.ids;
    for (let i = 0; i < this.n; i++) {
      if (ids[i] === id) {
        this.weights[i] = sum ? this.weights[i]! + w : w;
        return;
      }
    }
    if (this.n === ids.length) {
      const grown = int32s(ids.length * 2);
      grown.set(ids);
      this.ids = grown;
      const weights = float64s(ids.length * 2);
      weights.set(this.weights);
      this.weights = weights;
    }
    this.ids[this.n] = id;
    this.weights[this.n++] = w;
  }

  /** Item ids and weights in order. */
  entries(strings: Interner): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    for (let i = 0; i < this.n; i++) out.push([strings.name(this.ids[i]!), this.weights[i]!]);
    return out;
  }

  /** A list holding `entries` in their order (ids interned; a repeated id keeps its first place and its last weight, as a `Map` would). */
  static of(entries: ReadonlyArray<readonly [string, number]>, strings: Interner): WeightList {
    const list = new WeightList(Math.max(8, entries.length));
    for (const [id, w] of entries) list.put(strings.id(id), w, false);
    return list;
  }
}
