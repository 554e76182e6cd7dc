/**
 * The shared machinery of latent-factor models (ALS, BPR, SGD-MF, Popularity): user and item
 * factor tables, scoring through the fused top-K kernel, cosine neighbours over the factors,
 * snapshots for early stopping and the NaN scan after each iteration.
 * @packageDocumentation
 */
import { topKSync, type ItemBitset, type Matrix, type TopKResult } from '@souk/kernels';
import type { Tensor } from './safetensors.js';
import { tensor } from './safetensors.js';
import { ModelError } from './errors.js';
import { factorTopK, firstNonFiniteIndex, gatherMatrixRows, normalizeRows, Recommender, type ExecSettings } from './recommender.js';

/** A model whose scores are `query(u) · item(i)` for dense vectors. */
export abstract class FactorModel extends Recommender {
  /** Users × d factors. @internal */
  protected userFactorMatrix: Matrix = { data: new Float32Array(0), rows: 0, cols: 0 };
  /** Items × d factors. @internal */
  protected itemFactorMatrix: Matrix = { data: new Float32Array(0), rows: 0, cols: 0 };
  private normalizedItems: Matrix | undefined;
  private normalizedUsers: Matrix | undefined;

  /** @internal */
  protected constructor(exec: ExecSettings) {
    super(exec);
  }

  /** User factors (users × d, row-major; the live table, do not modify). */
  get userFactors(): Matrix {
    this.requireFitted();
    return this.userFactorMatrix;
  }

  /** Item factors (items × d, row-major; the live table, do not modify). */
  get itemFactors(): Matrix {
    this.requireFitted();
    return this.itemFactorMatrix;
  }

  /** Query vectors of `users` for scoring (factors, possibly with a constant column). @internal */
  protected queryMatrix(users: Int32Array): Matrix {
    return gatherMatrixRows(this.userFactorMatrix, users);
  }

  /** Item vectors for scoring (factors, possibly with a bias column). @internal */
  protected itemMatrix(): Matrix {
    return this.itemFactorMatrix;
  }

  /** @internal */
  protected override topKFor(users: Int32Array, k: number, exclude: { indptr: Int32Array; indices: Int32Array } | undefined, allow: ItemBitset | undefined): Promise<TopKResult> {
    return factorTopK(this.queryMatrix(users), this.itemMatrix(), k, exclude, allow, this.exec);
  }

  /** @internal */
  protected override finalize(): void {
    this.normalizedItems = undefined;
    this.normalizedUsers = undefined;
  }

  /** @internal */
  protected override similarItemsFor(i: number, k: number, includeSelf: boolean): { indices: Int32Array; scores: Float32Array } {
    this.normalizedItems ??= normalizeRows(this.itemFactorMatrix);
    return neighbours(this.normalizedItems, i, k, includeSelf, this.exec);
  }

  /** @internal */
  protected override similarUsersFor(u: number, k: number, includeSelf: boolean): { indices: Int32Array; scores: Float32Array } {
    this.normalizedUsers ??= normalizeRows(this.userFactorMatrix);
    return neighbours(this.normalizedUsers, u, k, includeSelf, this.exec);
  }

  /** @internal */
  protected override findNonFinite(): string | undefined {
    for (const [name, m] of [['userFactors', this.userFactorMatrix], ['itemFactors', this.itemFactorMatrix]] as const) {
      const at = firstNonFiniteIndex(m.data);
      if (at >= 0) return `${name}[${Math.floor(at / Math.max(1, m.cols))}][${at % Math.max(1, m.cols)}] = ${m.data[at]}`;
    }
    return undefined;
  }

  /** @internal */
  protected override snapshot(): unknown {
    return { users: this.userFactorMatrix.data.slice(), items: this.itemFactorMatrix.data.slice() };
  }

  /** @internal */
  protected override restoreSnapshot(state: unknown): void {
    const s = state as { users: Float32Array; items: Float32Array };
    this.userFactorMatrix.data.set(s.users);
    this.itemFactorMatrix.data.set(s.items);
  }

  /** @internal */
  protected override stateTensors(): Record<string, Tensor> {
    return {
      user_factors: tensor(this.userFactorMatrix.data, [this.userFactorMatrix.rows, this.userFactorMatrix.cols]),
      item_factors: tensor(this.itemFactorMatrix.data, [this.itemFactorMatrix.rows, this.itemFactorMatrix.cols]),
    };
  }

  /** @internal */
  override restoreState(tensors: Record<string, Tensor>, _extra: Record<string, unknown>): void {
    this.userFactorMatrix = matrixFrom(tensors, 'user_factors', this.userCount);
    this.itemFactorMatrix = matrixFrom(tensors, 'item_factors', this.itemCount);
  }
}

/** A float32 matrix tensor with `rows` rows, or `ERR_CORRUPT_FILE`. @internal */
export function matrixFrom(tensors: Record<string, Tensor>, name: string, rows: number, cols?: number): Matrix {
  const t = tensors[name];
  if (!t || t.dtype !== 'F32' || t.shape.length !== 2 || t.shape[0] !== rows || (cols !== undefined && t.shape[1] !== cols)) {
    throw new ModelError('ERR_CORRUPT_FILE', `Expected an F32 tensor ${name} of ${rows} rows${cols === undefined ? '' : ` x ${cols}`} in the saved model but received ${t ? `${t.dtype} [${t.shape}]` : 'none'}`);
  }
  return { data: t.data as Float32Array, rows, cols: t.shape[1]! };
}

/** A float32 vector tensor of `length`, or `ERR_CORRUPT_FILE`. @internal */
export function vectorFrom(tensors: Record<string, Tensor>, name: string, length: number): Float32Array {
  const t = tensors[name];
  if (!t || t.dtype !== 'F32' || t.shape.length !== 1 || t.shape[0] !== length) {
    throw new ModelError('ERR_CORRUPT_FILE', `Expected an F32 vector ${name} of ${length} values in the saved model but received ${t ? `${t.dtype} [${t.shape}]` : 'none'}`);
  }
  return t.data as Float32Array;
}

/** Cosine neighbours of row `r` of a normalised matrix through the top-K kernel. @internal */
export function neighbours(normalized: Matrix, r: number, k: number, includeSelf: boolean, exec: ExecSettings): { indices: Int32Array; scores: Float32Array } {
  const q = { data: normalized.data.slice(r * normalized.cols, (r + 1) * normalized.cols), rows: 1, cols: normalized.cols };
  const res = topKSync(q, normalized, { k, ...(includeSelf ? {} : { exclude: { indptr: Int32Array.of(0, 1), indices: Int32Array.of(r) } }), ...exec });
  const row = res.row(0);
  return { indices: row.indices.slice(), scores: row.scores.slice() };
}

/**
 * A factor model with an item bias: scores are `p_u · q_i + b_i` (a per-user constant such as
 * a user bias or the global mean does not change a user's ranking). Scoring appends a column of
 * ones to the user factors and the bias column to the item factors, so the fused top-K kernel
 * ranks with the bias included. Shared by BPR and biased SGD matrix factorisation.
 */
export abstract class ItemBiasedFactorModel extends FactorModel {
  /** One bias per item. @internal */
  protected itemBias: Float32Array = new Float32Array(0);
  private scoringItems: Matrix | undefined;

  /** @internal */
  protected override finalize(): void {
    super.finalize();
    this.scoringItems = undefined;
  }

  /** @internal */
  protected override queryMatrix(users: Int32Array): Matrix {
    return withConstantColumn(gatherMatrixRows(this.userFactorMatrix, users), 1);
  }

  /** @internal */
  protected override itemMatrix(): Matrix {
    this.scoringItems ??= withColumn(this.itemFactorMatrix, this.itemBias);
    return this.scoringItems;
  }

  /** @internal */
  protected override findNonFinite(): string | undefined {
    const at = firstNonFiniteIndex(this.itemBias);
    return at >= 0 ? `itemBias[${at}] = ${this.itemBias[at]}` : super.findNonFinite();
  }
}

/** Row-major copy of `m` with a constant column `value` appended (query side of a bias trick). @internal */
export function withConstantColumn(m: Matrix, value: number): Matrix {
  const d = m.cols;
  const out = new Float32Array(m.rows * (d + 1));
  for (let r = 0; r < m.rows; r++) {
    out.set(m.data.subarray(r * d, (r + 1) * d), r * (d + 1));
    out[r * (d + 1) + d] = value;
  }
  return { data: out, rows: m.rows, cols: d + 1 };
}

/** Row-major copy of `m` with `column` appended (item side of a bias trick). @internal */
export function withColumn(m: Matrix, column: Float32Array): Matrix {
  const d = m.cols;
  const out = new Float32Array(m.rows * (d + 1));
  for (let r = 0; r < m.rows; r++) {
    out.set(m.data.subarray(r * d, (r + 1) * d), r * (d + 1));
    out[r * (d + 1) + d] = column[r]!;
  }
  return { data: out, rows: m.rows, cols: d + 1 };
}
