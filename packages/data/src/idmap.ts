/**
 * Dense id maps: business ids (strings) ↔ int32 indices, stable across runs once persisted.
 * @packageDocumentation
 */
import { DataError, invalidArgument } from './errors.js';
import type { DataStore } from './store.js';

/** Largest number of ids an int32 index space holds. */
export const MAX_ID_MAP_SIZE = 2 ** 31 - 1;

/**
 * A dense, append-only id map. Indices are assigned in first-seen order and never change, so a
 * persisted map loaded again gives every known id the same index; new ids get the next ones.
 */
export class IdMap {
  private readonly indexById = new Map<string, number>();
  private readonly idByIndex: string[] = [];
  private persisted = 0;

  /** Creates a map holding `ids` at indices `0..ids.length-1`. */
  constructor(ids: readonly string[] = []) {
    for (const id of ids) {
      if (this.indexById.has(id)) throw new DataError('ERR_STORE', `Expected unique ids in an id map but received ${JSON.stringify(id)} twice`);
      this.indexById.set(id, this.idByIndex.length);
      this.idByIndex.push(id);
    }
    this.persisted = ids.length;
  }

  /** Number of ids. */
  get size(): number {
    return this.idByIndex.length;
  }

  /** The index of `id`, assigning the next one if it is new. */
  add(id: string): number {
    const known = this.indexById.get(id);
    if (known !== undefined) return known;
    const index = this.idByIndex.length;
    if (index >= MAX_ID_MAP_SIZE) throw new DataError('ERR_ARGUMENT', `Expected at most ${MAX_ID_MAP_SIZE} ids but received more`);
    this.indexById.set(id, index);
    this.idByIndex.push(id);
    return index;
  }

  /** The index of `id`, or −1 when unknown. */
  indexOf(id: string): number {
    return this.indexById.get(id) ?? -1;
  }

  /** The id at `index`. */
  idAt(index: number): string {
    const id = this.idByIndex[index];
    if (id === undefined) throw invalidArgument(`an index in [0, ${this.idByIndex.length})`, 'index', index);
    return id;
  }

  /** All ids in index order (a copy). */
  ids(): string[] {
    return this.idByIndex.slice();
  }

  /** Saves the ids added since the last load or save under `name`. */
  async save(store: DataStore, name: string): Promise<void> {
    await store.appendIdMap(name, this.idByIndex, this.persisted);
    this.persisted = this.idByIndex.length;
  }

  /** Loads the map persisted under `name` (empty when none). */
  static async load(store: DataStore, name: string): Promise<IdMap> {
    return new IdMap(await store.loadIdMap(name));
  }
}
