/**
 * The surface every Souk model shares: `fit` with per-iteration reports, validation, early
 * stopping and abort; batched `recommend` through the fused top-K kernel; `similarItems`,
 * `similarUsers`; `save` (safetensors + JSON manifest); and the operations only some models have
 * (`recalculateUser`, `partialFit`, `explain`), which throw `ERR_UNSUPPORTED` elsewhere.
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { capabilities, KernelError, topK, topKSync, TopKResult, type Backend, type CsrMatrix, type ItemBitset, type Matrix } from '@souk/kernels';
import { describeValue, invalidArgument, ModelError } from './errors.js';
import { evaluate, type MetricName, type RankingMetrics } from './evaluate.js';
import { fingerprintCsr, gatherRows, IdIndex, nnz, toInteractions, transpose, type EntityRef, type InteractionInput, type Interactions } from './interactions.js';
import { encodeSafetensors, tensor, type Tensor } from './safetensors.js';

/** Where and how the kernels run; passed through to every `@souk/kernels` call. */
export interface ExecSettings {
  /** Kernel backend (`'auto'` by default). */
  backend?: Backend;
  /** Kernel threads (0 or undefined: all of the pool). */
  threads?: number;
}

/** What `onIteration` receives after each training iteration. */
export interface IterationInfo {
  /** 1-based iteration. */
  readonly iteration: number;
  /** Training loss after the iteration (undefined when the model does not compute one). */
  readonly loss: number | undefined;
  /** Seconds the iteration took (training only; loss and validation excluded). */
  readonly seconds: number;
  /** Validation metrics, on iterations where validation ran. */
  readonly validation?: RankingMetrics;
}

/** Validation during `fit`: ranking metrics on held-out interactions every `every` iterations. */
export interface ValidationOptions {
  /** Held-out interactions (same users × items as the training data). */
  readonly test: InteractionInput;
  /** Cut-off (default 10). */
  readonly k?: number;
  /** Metric that early stopping watches (default `'ndcg'`). */
  readonly metric?: MetricName;
  /** Validate every this many iterations (default 1). */
  readonly every?: number;
}

/** Early stopping: stop when the watched value has not improved for `patience` checks. */
export interface EarlyStoppingOptions {
  /** Checks without improvement before stopping (default 3). */
  readonly patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  readonly minDelta?: number;
  /** Put back the factors of the best check when stopping (default true). */
  readonly restoreBest?: boolean;
}

/** Options of {@link Recommender.fit}. */
export interface FitOptions {
  /** Called after every iteration; returning `false` stops training (the model stays usable). */
  readonly onIteration?: (info: IterationInfo) => void | boolean;
  /** Aborts training between iterations (`ERR_ABORTED`; the model is left unfitted). */
  readonly signal?: AbortSignal;
  /** Validation metrics during training. */
  readonly validation?: ValidationOptions;
  /** Stop early on the validation metric (or on the training loss without validation). */
  readonly earlyStopping?: EarlyStoppingOptions;
}

/** What `fit` returns. */
export interface FitReport {
  /** Iterations run. */
  readonly iterations: number;
  /** Loss after each iteration (undefined entries where none was computed). */
  readonly losses: Array<number | undefined>;
  /** Validation metrics per iteration (undefined where validation did not run). */
  readonly validation: Array<RankingMetrics | undefined>;
  /** Training seconds per iteration. */
  readonly iterationSeconds: number[];
  /** Total wall seconds of `fit`. */
  readonly seconds: number;
  /** Whether early stopping or `onIteration` ended training before the last iteration. */
  readonly stoppedEarly: boolean;
  /** Iteration whose state the model holds (the best one after early stopping with restoreBest). */
  readonly keptIteration: number;
}

/** Options of {@link Recommender.recommend}. */
export interface RecommendOptions {
  /** Items per user, in [1, maxK]. */
  readonly k: number;
  /** Leave out items the user interacted with in training (default true). */
  readonly filterSeen?: boolean;
  /** With `filterSeen`: the interactions to leave out instead of the training matrix (users × items). */
  readonly seen?: CsrMatrix;
  /** Only these items are admissible (shared by all users). */
  readonly allow?: ItemBitset;
  /** Rank only among these items (ids or indices; combined with `allow`). */
  readonly items?: ReadonlyArray<EntityRef>;
  /** Users per kernel call (default 65,536). */
  readonly batchSize?: number;
}

/** Options of {@link Recommender.similarItems} and {@link Recommender.similarUsers}. */
export interface SimilarOptions {
  /** How many neighbours, in [1, maxK]. */
  readonly k: number;
  /** Also return the query itself (default false). */
  readonly includeSelf?: boolean;
}

/** Top-K items per user, best first; rows padded with index −1 when fewer items are admissible. */
export class Recommendations {
  /** Dense user index of each row. */
  readonly users: Int32Array;
  /** Entries per row (including padding). */
  readonly k: number;
  /** Item indices, `users.length * k`. */
  readonly indices: Int32Array;
  /** Scores, `users.length * k` (−Infinity for padding). */
  readonly scores: Float32Array;
  /** Real entries per row. */
  readonly counts: Int32Array;
  private readonly itemIndex: IdIndex;

  /** Wraps a kernel top-K result for `users`. @internal */
  constructor(users: Int32Array, result: TopKResult, itemIndex: IdIndex) {
    this.users = users;
    this.k = result.k;
    this.indices = result.indices;
    this.scores = result.scores;
    this.counts = result.counts;
    this.itemIndex = itemIndex;
  }

  /** The real entries of row `q` (views). */
  row(q: number): { items: Int32Array; scores: Float32Array } {
    const b = q * this.k;
    const c = this.counts[q]!;
    return { items: this.indices.subarray(b, b + c), scores: this.scores.subarray(b, b + c) };
  }

  /** The business ids of row `q`'s items (index strings when the model has no item id map). */
  ids(q: number): string[] {
    return Array.from(this.row(q).items, (i) => this.itemIndex.idAt(i));
  }
}

/** Input of `partialFit`: new or changed rows for some users, or for some items. */
export type PartialFitInput =
  | {
      /** Users (ids or indices; unknown ids are added). */
      readonly users: ReadonlyArray<EntityRef>;
      /** Their complete interactions: one row per user, columns = the model's items. */
      readonly interactions: CsrMatrix;
    }
  | {
      /** Items (ids or indices; unknown ids are added). */
      readonly items: ReadonlyArray<EntityRef>;
      /** Their complete interactions: one row per item, columns = the model's users. */
      readonly interactions: CsrMatrix;
    };

/** A user's interactions given directly (for fold-in): items with optional strengths (default 1). */
export interface UserInteractions {
  /** Items (ids or indices). */
  readonly items: ReadonlyArray<EntityRef>;
  /** Strengths, one per item (default all 1). */
  readonly values?: ArrayLike<number>;
}

/** What `explain` returns: the score split into contributions of the user's items. */
export interface Explanation {
  /** The model's score of (user, item). */
  readonly score: number;
  /** The largest contributions, largest first; they sum (over all the user's items) to `score`. */
  readonly contributions: Array<{ item: number; id: string; contribution: number }>;
}

/** The JSON manifest written next to the tensors. */
export interface ModelManifest {
  /** Always `'souk-model'`. */
  readonly format: 'souk-model';
  /** Manifest version (1). */
  readonly formatVersion: number;
  /** Model kind (`'ALS'`, `'BPR'`, …). */
  readonly kind: string;
  /** Hyper-parameters, enough to rebuild the model object. */
  readonly hyperParameters: Record<string, unknown>;
  /** Users and items. */
  readonly users: number;
  /** Items. */
  readonly items: number;
  /** User ids by index, or null. */
  readonly userIds: string[] | null;
  /** Item ids by index, or null. */
  readonly itemIds: string[] | null;
  /** Fingerprint of the training matrix (SHA-256 prefix of its arrays). */
  readonly dataFingerprint: string;
  /** File name of the safetensors file. */
  readonly tensorsFile: string;
  /** SHA-256 of the safetensors file. */
  readonly tensorsSha256: string;
  /** Tensor names and shapes, for readers that want them without parsing the file. */
  readonly tensors: Record<string, { dtype: string; shape: number[] }>;
  /** Model-specific scalars. */
  readonly extra: Record<string, unknown>;
  /** ISO time of saving. */
  readonly savedAt: string;
}

/** Manifest format name and version this build writes and reads. */
export const MANIFEST_FORMAT = 'souk-model';
/** Current manifest version. */
export const MANIFEST_VERSION = 1;

/** Checks k as a {@link ModelError} with code `ERR_K_RANGE`. @internal */
export function checkK(k: unknown): number {
  const max = capabilities().maxK;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > max) throw invalidArgument(`an integer k in [1, ${max}]`, 'k', k, 'ERR_K_RANGE');
  return k;
}

/** Wraps kernel failures during training as `ERR_DIVERGED` at `iteration`; other errors pass. @internal */
export function trainingError(e: unknown, iteration: number, kind: string): unknown {
  if (e instanceof KernelError && (e.code === 'ERR_NON_FINITE' || e.code === 'ERR_DIVERGED')) {
    return new ModelError('ERR_DIVERGED', `${kind} training diverged at iteration ${iteration}: ${e.message}`, { cause: e, iteration });
  }
  return e;
}

/** Index of the first NaN / ±Infinity in `a`, or −1. @internal */
export function firstNonFiniteIndex(a: Float32Array | Float64Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}

type ModelFactory = (hyperParameters: Record<string, unknown>) => Recommender;
const registry = new Map<string, ModelFactory>();

/** Registers a model kind for `loadModel` (each model module does this for itself). @internal */
export function registerModelKind(kind: string, factory: ModelFactory): void {
  registry.set(kind, factory);
}

/** The factory of a registered kind, or undefined. @internal */
export function modelFactory(kind: string): ModelFactory | undefined {
  return registry.get(kind);
}

/**
 * The base of every model. Subclasses implement training (`initialize`, `iterate`), scoring
 * (`topKFor`), neighbours and their state tensors; this class does input checks, the training
 * loop, batching, id resolution and persistence.
 */
export abstract class Recommender {
  /** Model kind, as saved in the manifest. */
  abstract readonly kind: string;
  /** Kernel settings passed through to `@souk/kernels`. */
  exec: ExecSettings;
  /** Training matrix (users × items, values as given to `fit`). @internal */
  protected train: CsrMatrix | undefined;
  /** User ids. @internal */
  protected userIndex: IdIndex = new IdIndex(0);
  /** Item ids. @internal */
  protected itemIndex: IdIndex = new IdIndex(0);
  /** Fingerprint of the training data. @internal */
  protected dataFingerprint = '';
  private isFitted = false;

  /** @internal */
  protected constructor(exec: ExecSettings) {
    this.exec = { ...(exec.backend !== undefined ? { backend: exec.backend } : {}), ...(exec.threads !== undefined ? { threads: exec.threads } : {}) };
  }

  /** Hyper-parameters as plain JSON (what the manifest stores and `tune` varies). */
  abstract get hyperParameters(): Record<string, unknown>;

  /** Whether the model has been fitted or loaded. */
  get fitted(): boolean {
    return this.isFitted;
  }

  /** Number of users the model knows. */
  get userCount(): number {
    return this.userIndex.size;
  }

  /** Number of items the model knows. */
  get itemCount(): number {
    return this.itemIndex.size;
  }

  /** The training matrix (users × items) the model was fitted on. */
  get trainingMatrix(): CsrMatrix {
    this.requireFitted();
    return this.train!;
  }

  /** Fingerprint of the training data (also in the manifest). */
  get fingerprint(): string {
    return this.dataFingerprint;
  }

  /** User ids by index (undefined when fitted without an id map). */
  get userIds(): readonly string[] | undefined {
    return this.userIndex.ids;
  }

  /** Item ids by index (undefined when fitted without an id map). */
  get itemIds(): readonly string[] | undefined {
    return this.itemIndex.ids;
  }

  /** Dense index of a user id or index (`ERR_UNKNOWN_USER` when unknown). */
  userIndexOf(user: EntityRef): number {
    return this.userIndex.resolve(user, 'user');
  }

  /** Dense index of an item id or index (`ERR_UNKNOWN_ITEM` when unknown). */
  itemIndexOf(item: EntityRef): number {
    return this.itemIndex.resolve(item, 'item');
  }

  /** The id indices, for `evaluate` and persistence. @internal */
  idIndices(): { users: IdIndex; items: IdIndex } {
    return { users: this.userIndex, items: this.itemIndex };
  }

  /** Throws `ERR_NOT_FITTED` before `fit` / `load`. @internal */
  protected requireFitted(): void {
    if (!this.isFitted || !this.train) throw new ModelError('ERR_NOT_FITTED', `Expected a fitted ${this.kind} model but received one that was never fitted (call fit or loadModel first)`);
  }

  // ---- training ----

  /** Number of training iterations (1 for closed-form models). @internal */
  protected abstract get iterationCount(): number;
  /** Checks the data before training (e.g. shape limits). @internal */
  protected checkTrainingData(_data: Interactions): void {}
  /** Allocates and initialises the state for `data`. @internal */
  protected abstract initialize(data: Interactions): Promise<void>;
  /** Runs one iteration; returns the loss (or undefined). @internal */
  protected abstract iterate(iteration: number): Promise<number | undefined>;
  /** Where the state holds a NaN / ±Infinity (e.g. `'userFactors[12]'`), or undefined. @internal */
  protected abstract findNonFinite(): string | undefined;
  /** Caches to build after training or loading. @internal */
  protected finalize(): void {}
  /** A copy of the state (for early stopping); undefined when not supported. @internal */
  protected snapshot(): unknown {
    return undefined;
  }
  /** Restores a {@link snapshot}. @internal */
  protected restoreSnapshot(_state: unknown): void {}

  /**
   * Trains on `train` (users × items; values are interaction strengths, or ratings for
   * {@link MatrixFactorization}). Reports the loss after every iteration through `onIteration`,
   * optionally validates and stops early, and stops between iterations when `signal` aborts.
   * NaN or ±Infinity in the state after an iteration is `ERR_DIVERGED` with that iteration,
   * and the model is left unfitted: a diverged model is never returned.
   */
  async fit(train: InteractionInput, options: FitOptions = {}): Promise<FitReport> {
    const started = performance.now();
    const data = toInteractions(train, 'train');
    if (data.csr.rows === 0 || data.csr.cols === 0 || nnz(data.csr) === 0) {
      throw new ModelError('ERR_EMPTY_TRAINING_DATA', `Expected training data with at least one interaction but received a ${data.csr.rows} x ${data.csr.cols} matrix with ${nnz(data.csr)} entries`);
    }
    this.checkTrainingData(data);
    const validation = options.validation;
    let validationData: Interactions | undefined;
    if (validation) {
      validationData = toInteractions(validation.test, 'validation.test');
      if (validationData.csr.rows !== data.csr.rows || validationData.csr.cols !== data.csr.cols || !validationData.users.sameAs(data.users) || !validationData.items.sameAs(data.items)) {
        throw new ModelError('ERR_ID_MAP_MISMATCH', `Expected validation data over the training users and items (${data.csr.rows} x ${data.csr.cols}) but received ${validationData.csr.rows} x ${validationData.csr.cols} or other ids`);
      }
    }
    const every = validation?.every ?? 1;
    const stopping = options.earlyStopping;
    const patience = stopping?.patience ?? 3;
    const minDelta = stopping?.minDelta ?? 0;
    const restoreBest = stopping?.restoreBest ?? true;

    this.isFitted = false;
    this.train = data.csr;
    this.userIndex = data.users;
    this.itemIndex = data.items;
    this.dataFingerprint = fingerprintCsr(data.csr);
    await this.initialize(data);

    const losses: Array<number | undefined> = [];
    const metrics: Array<RankingMetrics | undefined> = [];
    const iterationSeconds: number[] = [];
    let best = -Infinity;
    let bestState: unknown;
    let bestIteration = 0;
    let sinceBest = 0;
    let stoppedEarly = false;
    let kept = 0;
    const total = this.iterationCount;
    for (let it = 1; it <= total; it++) {
      if (options.signal?.aborted) throw new ModelError('ERR_ABORTED', `${this.kind} training was aborted before iteration ${it}`, { iteration: it, cause: options.signal.reason });
      const t0 = performance.now();
      let loss: number | undefined;
      try {
        loss = await this.iterate(it);
      } catch (e) {
        throw trainingError(e, it, this.kind);
      }
      const seconds = (performance.now() - t0) / 1000;
      const bad = this.findNonFinite();
      if (bad !== undefined || (loss !== undefined && !Number.isFinite(loss))) {
        throw new ModelError('ERR_DIVERGED', `${this.kind} training diverged at iteration ${it}: ${bad !== undefined ? `non-finite value in ${bad}` : `loss ${describeValue(loss)}`} (lower the learning rate or raise the regularization)`, { iteration: it });
      }
      losses.push(loss);
      iterationSeconds.push(seconds);
      kept = it;
      let validationMetrics: RankingMetrics | undefined;
      if (validationData && (it % every === 0 || it === total)) {
        this.isFitted = true;
        this.finalize();
        validationMetrics = await evaluate(this, data, validationData, { k: validation?.k ?? 10 });
        this.isFitted = false;
      }
      metrics.push(validationMetrics);
      const verdict = options.onIteration?.({ iteration: it, loss, seconds, ...(validationMetrics ? { validation: validationMetrics } : {}) });
      if (verdict === false) {
        stoppedEarly = it < total;
        break;
      }
      if (stopping) {
        const watched = validationData ? (validationMetrics ? validationMetrics[validation?.metric ?? 'ndcg'] : undefined) : loss === undefined ? undefined : -loss;
        if (watched !== undefined) {
          if (watched > best + minDelta) {
            best = watched;
            bestIteration = it;
            sinceBest = 0;
            if (restoreBest) bestState = this.snapshot();
          } else if (++sinceBest >= patience) {
            stoppedEarly = it < total;
            if (restoreBest && bestState !== undefined) {
              this.restoreSnapshot(bestState);
              kept = bestIteration;
            }
            break;
          }
        }
      }
    }
    this.isFitted = true;
    this.finalize();
    return { iterations: losses.length, losses, validation: metrics, iterationSeconds, seconds: (performance.now() - started) / 1000, stoppedEarly, keptIteration: kept };
  }

  // ---- recommendation ----

  /**
   * The k best items for each user by `topK` over the model's item representation: one
   * kernel call per batch of users for factor models. `Recommendations.row(q)` belongs to
   * `users[q]`.
   */
  async recommend(users: ReadonlyArray<EntityRef> | Int32Array, options: RecommendOptions): Promise<Recommendations> {
    this.requireFitted();
    if (typeof options !== 'object' || options === null) throw invalidArgument('options with k', 'options', options);
    const k = checkK(options.k);
    const userIdx = users instanceof Int32Array ? users : Int32Array.from(users, (u) => this.userIndexOf(u));
    if (users instanceof Int32Array) for (const u of userIdx) if (u < 0 || u >= this.userCount) this.userIndexOf(u);
    const filterSeen = options.filterSeen ?? true;
    const seen = options.seen ?? this.train!;
    if (filterSeen && options.seen && options.seen.cols !== this.itemCount) {
      throw new ModelError('ERR_ID_MAP_MISMATCH', `Expected seen interactions over the model's ${this.itemCount} items but received ${options.seen.cols} columns`);
    }
    const allow = this.allowSet(options.allow, options.items);
    const batch = options.batchSize ?? 65_536;
    if (!Number.isInteger(batch) || batch < 1) throw invalidArgument('a positive integer', 'batchSize', batch);
    const n = userIdx.length;
    const out = new TopKResult(n, k);
    for (let b = 0; b < n; b += batch) {
      const slice = userIdx.subarray(b, Math.min(n, b + batch));
      const exclude = filterSeen ? gatherRows(seen, slice) : undefined;
      const part = await this.topKFor(slice, k, exclude, allow);
      out.indices.set(part.indices, b * k);
      out.scores.set(part.scores, b * k);
      out.counts.set(part.counts, b);
    }
    return new Recommendations(userIdx, out, this.itemIndex);
  }

  /** Item bitset from `allow` and `items`. @internal */
  protected allowSet(allow: ItemBitset | undefined, items: ReadonlyArray<EntityRef> | undefined): ItemBitset | undefined {
    if (allow !== undefined && (typeof allow !== 'object' || !(allow.bytes instanceof Uint8Array) || allow.size !== this.itemCount)) {
      throw invalidArgument(`an ItemBitset over the model's ${this.itemCount} items`, 'allow', allow, 'ERR_ID_MAP_MISMATCH');
    }
    if (items === undefined) return allow;
    const bytes = new Uint8Array(Math.ceil(this.itemCount / 8));
    for (const ref of items) {
      const i = this.itemIndexOf(ref);
      if (!allow || ((allow.bytes[i >> 3]! >> (i & 7)) & 1) === 1) bytes[i >> 3]! |= 1 << (i & 7);
    }
    return { bytes, size: this.itemCount };
  }

  /** Top-K for dense user indices with an optional exclusion pattern (one row per user). @internal */
  protected abstract topKFor(users: Int32Array, k: number, exclude: { indptr: Int32Array; indices: Int32Array } | undefined, allow: ItemBitset | undefined): Promise<TopKResult>;

  /** Items most similar to `item` (cosine over the model's item representation), best first. */
  similarItems(item: EntityRef, options: SimilarOptions): { items: Int32Array; ids: string[]; scores: Float32Array } {
    this.requireFitted();
    const k = checkK(options.k);
    const i = this.itemIndexOf(item);
    const r = this.similarItemsFor(i, k, options.includeSelf ?? false);
    return { items: r.indices, ids: Array.from(r.indices, (x) => this.itemIndex.idAt(x)), scores: r.scores };
  }

  /** Users most similar to `user` (cosine over the model's user representation), best first. */
  similarUsers(user: EntityRef, options: SimilarOptions): { users: Int32Array; ids: string[]; scores: Float32Array } {
    this.requireFitted();
    const k = checkK(options.k);
    const u = this.userIndexOf(user);
    const r = this.similarUsersFor(u, k, options.includeSelf ?? false);
    return { users: r.indices, ids: Array.from(r.indices, (x) => this.userIndex.idAt(x)), scores: r.scores };
  }

  /**
   * Neighbours of item `i`: cosine similarity of the items' training columns (binary),
   * computed sparsely and ranked with the top-K kernel. Factor and kNN models override it.
   * @internal
   */
  protected similarItemsFor(i: number, k: number, includeSelf: boolean): { indices: Int32Array; scores: Float32Array } {
    return cooccurrenceNeighbours(this.itemUserMatrix(), this.train!, i, k, includeSelf, this.exec);
  }

  /**
   * Neighbours of user `u`: cosine similarity of the users' training rows (binary), computed
   * sparsely and ranked with the top-K kernel. Factor models override it with their factors.
   * @internal
   */
  protected similarUsersFor(u: number, k: number, includeSelf: boolean): { indices: Int32Array; scores: Float32Array } {
    return cooccurrenceNeighbours(this.train!, this.itemUserMatrix(), u, k, includeSelf, this.exec);
  }

  private itemUserCache: CsrMatrix | undefined;
  /** Items × users pattern of the training matrix (cached). @internal */
  protected itemUserMatrix(): CsrMatrix {
    if (!this.itemUserCache || this.itemUserCache.cols !== this.train!.rows || this.itemUserCache.indices.length !== this.train!.indices.length) {
      this.itemUserCache = transpose(this.train!);
    }
    return this.itemUserCache;
  }
  /** Drops caches derived from the training matrix. @internal */
  protected invalidateTrainCaches(): void {
    this.itemUserCache = undefined;
  }

  /** Fold-in: the factors of a user the model has never seen, from their interactions. */
  recalculateUser(_interactions: UserInteractions): Float32Array {
    throw new ModelError('ERR_UNSUPPORTED', `${this.kind} has no user factors to fold in (use ALS)`);
  }

  /** Grows the model with new or changed users (or items) and re-solves only those rows. */
  async partialFit(_input: PartialFitInput): Promise<void> {
    throw new ModelError('ERR_UNSUPPORTED', `${this.kind} does not support partialFit (use ALS)`);
  }

  /** Splits the score of (user, item) into the contributions of the user's items. */
  explain(_user: EntityRef, _item: EntityRef, _options: { k?: number } = {}): Explanation {
    throw new ModelError('ERR_UNSUPPORTED', `${this.kind} does not support explain (use ALS)`);
  }

  // ---- persistence ----

  /** Model-specific tensors to save. @internal */
  protected abstract stateTensors(): Record<string, Tensor>;
  /** Model-specific scalars for the manifest. @internal */
  protected stateExtra(): Record<string, unknown> {
    return {};
  }
  /** Restores model state from tensors (shapes already known from the manifest). @internal */
  abstract restoreState(tensors: Record<string, Tensor>, extra: Record<string, unknown>): void;

  /** Restores the common part of a saved model. @internal */
  restoreCommon(train: CsrMatrix, users: IdIndex, items: IdIndex, fingerprint: string): void {
    this.train = train;
    this.userIndex = users;
    this.itemIndex = items;
    this.dataFingerprint = fingerprint;
  }

  /** Marks a loaded model as fitted and builds its caches. @internal */
  completeLoad(): void {
    const bad = this.findNonFinite();
    if (bad !== undefined) throw new ModelError('ERR_CORRUPT_FILE', `Expected finite model state but the saved ${this.kind} holds a non-finite value in ${bad}`);
    this.isFitted = true;
    this.finalize();
  }

  /**
   * Saves the model to `dir`: `model.safetensors` (the state tensors and the training matrix as
   * `train.indptr` / `train.indices` / `train.data`) and `manifest.json` (kind, hyper-parameters,
   * id maps, data fingerprint, the tensors file's SHA-256). numpy and PyTorch read the tensors.
   */
  async save(dir: string): Promise<ModelManifest> {
    this.requireFitted();
    const train = this.train!;
    const tensors: Record<string, Tensor> = {
      ...this.stateTensors(),
      'train.indptr': tensor(train.indptr),
      'train.indices': tensor(train.indices),
      'train.data': tensor(train.data),
    };
    const bytes = encodeSafetensors(tensors, { format: MANIFEST_FORMAT, kind: this.kind });
    const manifest: ModelManifest = {
      format: MANIFEST_FORMAT,
      formatVersion: MANIFEST_VERSION,
      kind: this.kind,
      hyperParameters: this.hyperParameters,
      users: this.userCount,
      items: this.itemCount,
      userIds: this.userIndex.ids ?? null,
      itemIds: this.itemIndex.ids ?? null,
      dataFingerprint: this.dataFingerprint,
      tensorsFile: 'model.safetensors',
      tensorsSha256: createHash('sha256').update(bytes).digest('hex'),
      tensors: Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape] }])),
      extra: this.stateExtra(),
      savedAt: new Date().toISOString(),
    };
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, manifest.tensorsFile), bytes);
    await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
    return manifest;
  }
}

/**
 * Cosine neighbours of row `r` of a binary pattern `a` (rows × cols), using its transpose `at`
 * to find co-occurring rows: `|a_r ∩ a_s| / sqrt(|a_r| |a_s|)`. @internal
 */
export function cooccurrenceNeighbours(a: CsrMatrix, at: CsrMatrix, r: number, k: number, includeSelf: boolean, exec: ExecSettings): { indices: Int32Array; scores: Float32Array } {
  const overlap = new Float32Array(a.rows);
  for (let j = a.indptr[r]!; j < a.indptr[r + 1]!; j++) {
    const c = a.indices[j]!;
    for (let p = at.indptr[c]!; p < at.indptr[c + 1]!; p++) overlap[at.indices[p]!]! += 1;
  }
  const own = a.indptr[r + 1]! - a.indptr[r]!;
  for (let s = 0; s < a.rows; s++) {
    const len = a.indptr[s + 1]! - a.indptr[s]!;
    overlap[s] = own > 0 && len > 0 ? overlap[s]! / Math.sqrt(own * len) : 0;
  }
  return rankDense(overlap, k, includeSelf ? undefined : r, exec);
}

/**
 * Ranks a dense score vector with the top-K kernel (one query `[1]` against the scores as an
 * n × 1 item matrix), so ties, exclusions and padding follow the kernel's rules exactly.
 * @internal
 */
export function rankDense(scoresRow: Float32Array, k: number, excludeIndex: number | undefined, exec: ExecSettings, exclude?: Int32Array, allow?: ItemBitset): { indices: Int32Array; scores: Float32Array } {
  const ex = exclude ?? (excludeIndex === undefined ? undefined : Int32Array.of(excludeIndex));
  const r = topKSync({ data: ONE, rows: 1, cols: 1 }, { data: scoresRow, rows: scoresRow.length, cols: 1 }, {
    k,
    ...(ex ? { exclude: { indptr: Int32Array.of(0, ex.length), indices: ex } } : {}),
    ...(allow ? { allow } : {}),
    ...exec,
  });
  const row = r.row(0);
  return { indices: row.indices.slice(), scores: row.scores.slice() };
}
const ONE = Float32Array.of(1);

/** A factor matrix of `rows` × `cols` zeros. @internal */
export function zeros(rows: number, cols: number): Matrix {
  return { data: new Float32Array(rows * cols), rows, cols };
}

/** Rows `users` of `m` (a view when they are 0..rows-1 in order). @internal */
export function gatherMatrixRows(m: Matrix, users: Int32Array): Matrix {
  if (users.length === m.rows && users.length > 0 && users[0] === 0 && users[users.length - 1] === m.rows - 1) {
    let identity = true;
    for (let q = 0; q < users.length; q++) if (users[q] !== q) { identity = false; break; }
    if (identity) return m;
  }
  const out = new Float32Array(users.length * m.cols);
  for (let q = 0; q < users.length; q++) out.set(m.data.subarray(users[q]! * m.cols, (users[q]! + 1) * m.cols), q * m.cols);
  return { data: out, rows: users.length, cols: m.cols };
}

/** Cosine-normalised copy of a factor matrix (zero rows stay zero). @internal */
export function normalizeRows(m: Matrix): Matrix {
  const out = new Float32Array(m.data.length);
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let c = 0; c < m.cols; c++) s += m.data[r * m.cols + c]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < m.cols; c++) out[r * m.cols + c] = m.data[r * m.cols + c]! * inv;
  }
  return { data: out, rows: m.rows, cols: m.cols };
}

/** Kernel top-K as a promise for a factor model's query and item matrices. @internal */
export function factorTopK(queries: Matrix, items: Matrix, k: number, exclude: { indptr: Int32Array; indices: Int32Array } | undefined, allow: ItemBitset | undefined, exec: ExecSettings): Promise<TopKResult> {
  return topK(queries, items, { k, ...(exclude ? { exclude } : {}), ...(allow ? { allow } : {}), ...exec });
}
