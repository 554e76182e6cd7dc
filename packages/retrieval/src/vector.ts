/**
 * Vector retrieval and hybrid fusion.
 *
 * {@link VectorIndex} holds one float32 vector per item (model factors or text embeddings) and
 * answers "the k items with the largest dot product with this query vector" with the fused top-K
 * kernel of `@souk/kernels` (the score matrix is never materialised). Filters become the kernel's
 * `allow` bitset, excluded ids its `exclude` row. Cosine similarity is a dot product of
 * L2-normalised vectors: pass `normalize: true` to store and query normalised vectors.
 *
 * {@link fuseRankings} merges a text ranking and a vector ranking by reciprocal rank fusion or by a
 * normalised weighted sum; {@link hybridSearch} runs both and fuses them, per request.
 *
 * Text embeddings come from a pluggable {@link TextEmbeddingEncoder}; `OnnxTextEncoder` (onnx.ts)
 * implements it over an ONNX model run by onnxruntime-node.
 * @packageDocumentation
 */
import { bitsetFromIndices, capabilities, csrFromRows, KernelError, matrix, topK, topKSync, type ExecOptions, type TopKResult } from '@souk/kernels';
import { RetrievalError, invalidParameter } from './errors.js';
import { MAX_K, type SearchFilter, type SearchRequest, type TextIndex } from './text-index.js';

/**
 * Turns texts into embedding vectors (for example a sentence-embedding model). Implementations
 * return one vector of length `dimension` per text, in order.
 */
export interface TextEmbeddingEncoder {
  /** Length of every vector the encoder returns. */
  readonly dimension: number;
  /** Embeds texts. */
  encode(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Options of a {@link VectorIndex}. */
export interface VectorIndexOptions extends ExecOptions {
  /** Vector length (1 … 65,536). */
  readonly dimension: number;
  /** L2-normalise stored and query vectors, so scores are cosine similarities (default false). */
  readonly normalize?: boolean;
}

/** Options of {@link VectorIndex.search}. */
export interface VectorSearchOptions {
  /** Number of hits, in [1, min(1000, the kernel's maxK)] (default 10). */
  readonly k?: number;
  /** Filters, evaluated against `catalog` (required with a filter). */
  readonly filter?: SearchFilter;
  /** The text index whose item metadata the filter reads. */
  readonly catalog?: TextIndex;
  /** Ids never returned (for example items already bought). Unknown ids are ignored. */
  readonly excludeIds?: Iterable<string>;
}

/** One vector hit. */
export interface VectorHit {
  /** Item id. */
  readonly id: string;
  /** Dot product (cosine similarity with `normalize`). */
  readonly score: number;
}

/** Item vectors searched with the fused top-K kernel. */
export class VectorIndex {
  /** Vector length. */
  readonly dimension: number;
  private readonly normalize: boolean;
  private readonly exec: ExecOptions;
  private data: Float32Array;
  private ids: string[] = [];
  private rowById = new Map<string, number>();
  private live: Uint8Array;
  private liveCount = 0;

  /** Creates an empty index. */
  constructor(options: VectorIndexOptions) {
    if (typeof options !== 'object' || options === null) throw invalidParameter('ERR_ARGUMENT', 'an options object with dimension', 'options', options);
    const { dimension } = options;
    if (typeof dimension !== 'number' || !Number.isInteger(dimension) || dimension < 1 || dimension > 65_536) throw invalidParameter('ERR_ARGUMENT', 'an integer in [1, 65536]', 'dimension', dimension);
    this.dimension = dimension;
    this.normalize = options.normalize ?? false;
    this.exec = options.backend !== undefined ? { backend: options.backend } : {};
    this.data = new Float32Array(16 * dimension);
    this.live = new Uint8Array(16);
  }

  /** Number of live vectors. */
  get size(): number {
    return this.liveCount;
  }

  private checkVector(vector: unknown, param: string): Float32Array {
    if (!(vector instanceof Float32Array) && !Array.isArray(vector)) throw invalidParameter('ERR_VECTOR', `a Float32Array or number array of length ${this.dimension}`, param, vector);
    if (vector.length !== this.dimension) throw invalidParameter('ERR_VECTOR', `a vector of length ${this.dimension}`, param, vector);
    const out = Float32Array.from(vector as ArrayLike<number>);
    let norm = 0;
    for (let i = 0; i < out.length; i++) {
      const v = out[i]!;
      if (!Number.isFinite(v)) throw invalidParameter('ERR_VECTOR', 'finite values', `${param}[${i}]`, (vector as ArrayLike<unknown>)[i]);
      norm += v * v;
    }
    if (this.normalize && norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let i = 0; i < out.length; i++) out[i]! *= scale;
    }
    return out;
  }

  /** Adds a vector for an item, or replaces the item's vector. */
  set(id: string, vector: Float32Array | readonly number[]): void {
    if (typeof id !== 'string' || id.length === 0) throw invalidParameter('ERR_ARGUMENT', 'a non-empty id string', 'id', id);
    const values = this.checkVector(vector, 'vector');
    let row = this.rowById.get(id);
    if (row === undefined) {
      row = this.ids.length;
      if ((row + 1) * this.dimension > this.data.length) {
        const next = new Float32Array(Math.max((row + 1) * this.dimension, this.data.length * 2));
        next.set(this.data);
        this.data = next;
        const live = new Uint8Array(next.length / this.dimension);
        live.set(this.live);
        this.live = live;
      }
      this.ids.push(id);
      this.rowById.set(id, row);
      this.live[row] = 1;
      this.liveCount++;
    }
    this.data.set(values, row * this.dimension);
  }

  /** Sets the vectors of many items from a row-major matrix (row r belongs to `ids[r]`). */
  setMany(ids: readonly string[], vectors: Float32Array): void {
    if (!Array.isArray(ids)) throw invalidParameter('ERR_ARGUMENT', 'an array of ids', 'ids', ids);
    if (!(vectors instanceof Float32Array) || vectors.length !== ids.length * this.dimension) throw invalidParameter('ERR_VECTOR', `a Float32Array of length ${ids.length * this.dimension}`, 'vectors', vectors);
    for (let r = 0; r < ids.length; r++) this.set(ids[r]!, vectors.subarray(r * this.dimension, (r + 1) * this.dimension));
  }

  /** Removes an item's vector; false when it had none. Rows are compacted when a quarter are deleted. */
  delete(id: string): boolean {
    const row = this.rowById.get(id);
    if (row === undefined) return false;
    this.live[row] = 0;
    this.liveCount--;
    this.rowById.delete(id);
    const dead = this.ids.length - this.liveCount;
    if (dead > 64 && dead > this.ids.length / 4) this.compact();
    return true;
  }

  private compact(): void {
    const ids: string[] = [];
    for (let r = 0; r < this.ids.length; r++) {
      if (!this.live[r]) continue;
      const to = ids.length;
      if (to !== r) this.data.copyWithin(to * this.dimension, r * this.dimension, (r + 1) * this.dimension);
      ids.push(this.ids[r]!);
    }
    this.ids = ids;
    this.live.fill(0);
    this.live.fill(1, 0, ids.length);
    this.rowById = new Map(ids.map((id, r) => [id, r]));
  }

  private prepare(query: Float32Array | readonly number[], options: VectorSearchOptions) {
    if (typeof options !== 'object' || options === null) throw invalidParameter('ERR_ARGUMENT', 'an options object', 'options', options);
    const q = this.checkVector(query, 'query');
    const maxK = Math.min(MAX_K, capabilities().maxK);
    const k = options.k ?? 10;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > maxK) throw invalidParameter('ERR_K_RANGE', `an integer in [1, ${maxK}]`, 'k', k);
    if (options.filter !== undefined && options.catalog === undefined) throw invalidParameter('ERR_ARGUMENT', 'a catalog (TextIndex) to evaluate the filter against', 'catalog', options.catalog);
    const rows = this.ids.length;
    const passes = options.filter !== undefined ? options.catalog!.idPredicate(options.filter) : undefined;
    let allow: ReturnType<typeof bitsetFromIndices> | undefined;
    if (passes || this.liveCount < rows) {
      const admissible: number[] = [];
      for (let r = 0; r < rows; r++) if (this.live[r] && (!passes || passes(this.ids[r]!))) admissible.push(r);
      allow = bitsetFromIndices(rows, admissible);
    }
    let exclude: ReturnType<typeof csrFromRows> | undefined;
    if (options.excludeIds !== undefined) {
      const excluded: number[] = [];
      for (const id of options.excludeIds) {
        const r = this.rowById.get(id);
        if (r !== undefined) excluded.push(r);
      }
      if (excluded.length > 0) exclude = csrFromRows([excluded]);
    }
    return {
      queries: matrix(q, 1, this.dimension),
      items: matrix(this.data.subarray(0, rows * this.dimension), rows, this.dimension),
      kernelOptions: { k: Math.min(k, rows), ...this.exec, ...(allow ? { allow } : {}), ...(exclude ? { exclude } : {}) },
    };
  }

  private hits(result: TopKResult): VectorHit[] {
    const { indices, scores } = result.row(0);
    return Array.from(indices, (r, i) => ({ id: this.ids[r]!, score: scores[i]! }));
  }

  /** The k items with the largest dot product with `query`, best first (sync: for small indexes). */
  searchSync(query: Float32Array | readonly number[], options: VectorSearchOptions = {}): VectorHit[] {
    const p = this.prepare(query, options);
    if (this.ids.length === 0) return [];
    return this.hits(wrapKernel(() => topKSync(p.queries, p.items, p.kernelOptions)));
  }

  /** The k items with the largest dot product with `query`, best first, computed off the event loop. */
  async search(query: Float32Array | readonly number[], options: VectorSearchOptions = {}): Promise<VectorHit[]> {
    const p = this.prepare(query, options);
    if (this.ids.length === 0) return [];
    try {
      return this.hits(await topK(p.queries, p.items, p.kernelOptions));
    } catch (error) {
      throw rethrowKernel(error);
    }
  }
}

function rethrowKernel(error: unknown): unknown {
  if (error instanceof KernelError) return new RetrievalError(error.code === 'ERR_NON_FINITE' ? 'ERR_VECTOR' : 'ERR_ARGUMENT', error.message, { cause: error });
  return error;
}

function wrapKernel<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw rethrowKernel(error);
  }
}

/** A ranked hit from one retriever. */
export interface RankedHit {
  readonly id: string;
  readonly score: number;
}

/** How to fuse a text and a vector ranking. */
export type FusionMethod =
  /** Reciprocal rank fusion: Σ 1 / (k + rank), rank from 1 (Cormack et al. 2009); `k` default 60. */
  | { readonly method: 'rrf'; readonly k?: number }
  /**
   * Weighted sum of min–max normalised scores (each list scaled to [0, 1]; a list whose scores are
   * all equal scales to 1); an item missing from a list gets 0 from it. Weights default to 0.5.
   */
  | { readonly method: 'weighted'; readonly textWeight?: number; readonly vectorWeight?: number };

/** A fused hit, with where it came from. */
export interface FusedHit {
  readonly id: string;
  /** Fused score. */
  readonly score: number;
  /** 1-based rank in the text list, if present. */
  readonly textRank?: number;
  /** 1-based rank in the vector list, if present. */
  readonly vectorRank?: number;
}

/** Fuses two rankings (best first) into one of at most `k` hits; ties go to the smaller id. */
export function fuseRankings(text: readonly RankedHit[], vector: readonly RankedHit[], fusion: FusionMethod, k: number): FusedHit[] {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw invalidParameter('ERR_K_RANGE', `an integer in [1, ${MAX_K}]`, 'k', k);
  if (typeof fusion !== 'object' || fusion === null) throw invalidParameter('ERR_ARGUMENT', "a fusion {method: 'rrf' | 'weighted'}", 'fusion', fusion);
  const entries = new Map<string, { score: number; textRank?: number; vectorRank?: number }>();
  const entry = (id: string) => {
    let e = entries.get(id);
    if (!e) {
      e = { score: 0 };
      entries.set(id, e);
    }
    return e;
  };
  if (fusion.method === 'rrf') {
    const c = fusion.k ?? 60;
    if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) throw invalidParameter('ERR_ARGUMENT', 'a finite number >= 0', 'fusion.k', c);
    text.forEach((h, i) => {
      const e = entry(h.id);
      e.score += 1 / (c + i + 1);
      e.textRank = i + 1;
    });
    vector.forEach((h, i) => {
      const e = entry(h.id);
      e.score += 1 / (c + i + 1);
      e.vectorRank = i + 1;
    });
  } else if (fusion.method === 'weighted') {
    const tw = fusion.textWeight ?? 0.5;
    const vw = fusion.vectorWeight ?? 0.5;
    for (const [w, p] of [[tw, 'fusion.textWeight'], [vw, 'fusion.vectorWeight']] as const) {
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw invalidParameter('ERR_ARGUMENT', 'a finite weight >= 0', p, w);
    }
    const add = (list: readonly RankedHit[], weight: number, which: 'textRank' | 'vectorRank') => {
      if (list.length === 0) return;
      let lo = Infinity;
      let hi = -Infinity;
      for (const h of list) {
        lo = Math.min(lo, h.score);
        hi = Math.max(hi, h.score);
      }
      list.forEach((h, i) => {
        const e = entry(h.id);
        e.score += weight * (hi > lo ? (h.score - lo) / (hi - lo) : 1);
        e[which] = i + 1;
      });
    };
    add(text, tw, 'textRank');
    add(vector, vw, 'vectorRank');
  } else {
    throw invalidParameter('ERR_ARGUMENT', "'rrf' or 'weighted'", 'fusion.method', (fusion as { method?: unknown }).method);
  }
  return [...entries]
    .map(([id, e]) => ({ id, ...e }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, k);
}

/** A hybrid request: text and/or a vector (or an encoder to embed the text), fused as chosen. */
export interface HybridSearchRequest {
  /** Query text for the text index (optional when `vector` is given). */
  readonly query?: string;
  /** Query vector (optional: embedded from `query` with `encoder` when absent). */
  readonly vector?: Float32Array | readonly number[];
  /** Encoder used when `vector` is absent. */
  readonly encoder?: TextEmbeddingEncoder;
  /** Number of fused hits (default 10). */
  readonly k?: number;
  /** Filters applied to both retrievers. */
  readonly filter?: SearchFilter;
  /** Ids excluded from both. */
  readonly excludeIds?: readonly string[];
  /** Fusion (default reciprocal rank with k = 60). */
  readonly fusion?: FusionMethod;
  /** Hits taken from each retriever before fusing (default max(4k, 50), at most 1000). */
  readonly candidates?: number;
  /** Extra text-search switches (typos, prefix, synonyms). */
  readonly text?: Pick<SearchRequest, 'typos' | 'prefix' | 'synonyms' | 'fallback'>;
}

/** Runs text and vector retrieval and fuses them (see {@link fuseRankings}). */
export async function hybridSearch(textIndex: TextIndex, vectorIndex: VectorIndex, request: HybridSearchRequest): Promise<FusedHit[]> {
  if (typeof request !== 'object' || request === null) throw invalidParameter('ERR_ARGUMENT', 'a hybrid request object', 'request', request);
  const k = request.k ?? 10;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_K) throw invalidParameter('ERR_K_RANGE', `an integer in [1, ${MAX_K}]`, 'k', k);
  const candidates = request.candidates ?? Math.min(MAX_K, Math.max(4 * k, 50));
  if (!Number.isInteger(candidates) || candidates < k || candidates > MAX_K) throw invalidParameter('ERR_K_RANGE', `an integer in [k, ${MAX_K}]`, 'candidates', candidates);
  if (request.query === undefined && request.vector === undefined) throw invalidParameter('ERR_ARGUMENT', 'a query, a vector, or both', 'request', request);
  const excluded = new Set(request.excludeIds ?? []);
  let text: RankedHit[] = [];
  if (request.query !== undefined) {
    const result = textIndex.search({ ...request.text, query: request.query, k: candidates, ...(request.filter ? { filter: request.filter } : {}) });
    text = result.hits.filter((h) => !excluded.has(h.id));
  }
  let vector = request.vector;
  if (vector === undefined && request.encoder && request.query !== undefined) {
    const [embedded] = await request.encoder.encode([request.query]);
    vector = embedded;
  }
  let vectorHits: RankedHit[] = [];
  if (vector !== undefined) {
    vectorHits = await vectorIndex.search(vector, {
      k: Math.min(candidates, Math.max(1, vectorIndex.size)),
      ...(request.filter ? { filter: request.filter, catalog: textIndex } : {}),
      excludeIds: excluded,
    });
  }
  return fuseRankings(text, vectorHits, request.fusion ?? { method: 'rrf', k: 60 }, k);
}
