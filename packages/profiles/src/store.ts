/**
 * Many users' profiles in one Map: incremental updates per event, lookup, erasure, export and
 * import as versioned JSON, and segment calibration from the population.
 * @packageDocumentation
 */
import type { EventRecord, ItemRecord } from '@souk/data';
import { ProfileCatalog, quantile, type ProfileCatalogOptions } from './catalog.js';
import { resolveProfileOptions, type ProfileOptions, type ResolvedProfileOptions } from './config.js';
import { ProfileError, profileError } from './errors.js';
import { checkEvent, UserProfile, type FoldInModel, type ProfileContext, type ProfileJson } from './profile.js';
import { Interner } from './entries.js';

/** Format tag of a store export. */
export const PROFILES_FORMAT = 'souk-profiles';
/** Version of the export format this code writes and reads. */
export const PROFILES_VERSION = 1;

/** Options of a {@link ProfileStore}. */
export interface ProfileStoreOptions extends ProfileOptions {
  /** The catalog facts: a built {@link ProfileCatalog}, or items to build one from. */
  readonly catalog: ProfileCatalog | Iterable<ItemRecord>;
  /** Price-band options when `catalog` is given as items. */
  readonly catalogOptions?: ProfileCatalogOptions;
  /** A model with fold-in (e.g. a fitted `ALS`) for latent vectors. */
  readonly model?: FoldInModel;
}

/** A store export: plain JSON. */
export interface ProfilesExport {
  /** Always {@link PROFILES_FORMAT}. */
  readonly format: typeof PROFILES_FORMAT;
  /** {@link PROFILES_VERSION} at export time. */
  readonly version: number;
  /** The options the profiles were built with (after defaults). */
  readonly options: ProfileOptions;
  /** One entry per user. */
  readonly profiles: ProfileJson[];
}

/** Profiles of many users, keyed by user id. */
export class ProfileStore {
  /** The catalog facts and price bands. */
  readonly catalog: ProfileCatalog;
  /** Options after defaults. */
  readonly options: ResolvedProfileOptions;
  private readonly ctx: ProfileContext;
  private readonly profiles = new Map<string, UserProfile>();

  /** An empty store. */
  constructor(options: ProfileStoreOptions) {
    if (typeof options !== 'object' || options === null) throw profileError('ERR_ARGUMENT', 'options with a catalog', 'options', options);
    const given = options.catalog as unknown;
    if (given === undefined || given === null) throw profileError('ERR_ARGUMENT', 'a ProfileCatalog or items', 'options.catalog', given);
    this.catalog = given instanceof ProfileCatalog ? given : ProfileCatalog.fromItems(options.catalog as Iterable<ItemRecord>, options.catalogOptions);
    this.options = resolveProfileOptions(options);
    this.ctx = { catalog: this.catalog, options: this.options, model: options.model, modelKnows: new Map(), strings: new Interner(), itemIds: new WeakMap() };
  }

  /** Number of profiles. */
  get size(): number {
    return this.profiles.size;
  }

  /** User ids with a profile. */
  users(): IterableIterator<string> {
    return this.profiles.keys();
  }

  /** The profile of a user, or undefined. */
  get(user: string): UserProfile | undefined {
    return this.profiles.get(user);
  }

  /**
   * A profile rebuilt from {@link UserProfile.toJSON} output with this store's catalog and
   * options, not added to the store (a read-only copy, e.g. in another thread). Throws
   * `ERR_FORMAT` for malformed JSON.
   */
  detached(json: ProfileJson): UserProfile {
    return UserProfile.fromJSON(json, this.ctx);
  }

  /**
   * Adds a profile rebuilt from {@link UserProfile.toJSON} output with this store's catalog and
   * options, replacing the user's profile if there was one (e.g. one profile per line of a
   * snapshot, without holding them all). Throws `ERR_FORMAT` for malformed JSON.
   */
  restore(json: ProfileJson): UserProfile {
    const p = UserProfile.fromJSON(json, this.ctx);
    this.profiles.set(p.user, p);
    return p;
  }

  /** Whether a user has a profile. */
  has(user: string): boolean {
    return this.profiles.has(user);
  }

  /**
   * Applies one event to its user's profile (created on first sight) and returns the profile.
   * Validates first: a bad event changes nothing and throws a {@link ProfileError}.
   */
  update(event: EventRecord): UserProfile {
    const item = checkEvent(event, this.catalog);
    let profile = this.profiles.get(event.user);
    if (!profile) this.profiles.set(event.user, (profile = new UserProfile(event.user, this.ctx)));
    profile.apply(event, item);
    return profile;
  }

  /** Applies events in order; returns how many were applied. Stops at the first bad event (throws). */
  updateAll(events: Iterable<EventRecord>): number {
    let n = 0;
    for (const e of events) {
      this.update(e);
      n++;
    }
    return n;
  }

  /** Erases a user's profile (right to erasure); true when there was one. */
  erase(user: string): boolean {
    return this.profiles.delete(user);
  }

  /**
   * Sets the frequency and monetary cut points of the RFM scores to the 20/40/60/80 % quantiles
   * over users with purchases (no change without any). Returns the thresholds in use.
   */
  calibrateSegments(): { frequency: readonly number[]; monetary: readonly number[] } {
    const f: number[] = [];
    const m: number[] = [];
    for (const p of this.profiles.values()) {
      const r = p.rfm();
      if (r.frequency > 0) {
        f.push(r.frequency);
        m.push(r.monetary);
      }
    }
    if (f.length > 0) {
      f.sort((a, b) => a - b);
      m.sort((a, b) => a - b);
      const cuts = (v: number[]) => [0.2, 0.4, 0.6, 0.8].map((q) => quantile(v, q));
      const s = this.options.segments as { frequency: readonly number[]; monetary: readonly number[] };
      s.frequency = cuts(f);
      s.monetary = cuts(m);
    }
    return { frequency: this.options.segments.frequency, monetary: this.options.segments.monetary };
  }

  /** Exports every profile as versioned JSON (`JSON.stringify` it as is). */
  export(): ProfilesExport {
    const o = this.options;
    return {
      format: PROFILES_FORMAT,
      version: PROFILES_VERSION,
      options: {
        eventWeights: { ...o.eventWeights },
        halfLifeDays: { ...o.halfLifeDays },
        categoryDamping: o.categoryDamping,
        explainEvents: o.explainEvents,
        latentUpdate: o.latentUpdate,
        maxLatentItems: o.maxLatentItems,
        segments: { ...o.segments },
      },
      profiles: [...this.profiles.values()].map((p) => p.toJSON()),
    };
  }

  /**
   * A store from an export (an object or its JSON text), with the export's options. The catalog
   * (and model) are given again: they are not part of the export. Throws `ERR_FORMAT` for a
   * foreign or newer format.
   */
  static import(data: ProfilesExport | string, context: { catalog: ProfileCatalog | Iterable<ItemRecord>; model?: FoldInModel }): ProfileStore {
    let json: unknown = data;
    if (typeof data === 'string') {
      try {
        json = JSON.parse(data);
      } catch (cause) {
        throw new ProfileError('ERR_FORMAT', 'Expected JSON text for data but received text that does not parse', { cause });
      }
    }
    const j = json as Partial<ProfilesExport> | null;
    if (typeof j !== 'object' || j === null || j.format !== PROFILES_FORMAT) throw profileError('ERR_FORMAT', `a ${PROFILES_FORMAT} export`, 'data.format', j?.format);
    if (typeof j.version !== 'number' || j.version > PROFILES_VERSION || j.version < 1) throw profileError('ERR_FORMAT', `version 1..${PROFILES_VERSION}`, 'data.version', j.version);
    if (!Array.isArray(j.profiles)) throw profileError('ERR_FORMAT', 'an array of profiles', 'data.profiles', j.profiles);
    const store = new ProfileStore({ ...(j.options ?? {}), catalog: context.catalog, ...(context.model ? { model: context.model } : {}) });
    for (const pj of j.profiles) store.restore(pj as ProfileJson);
    return store;
  }
}
