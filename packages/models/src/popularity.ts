/**
 * The popularity baseline: every user gets the items most users interacted with in training.
 * Scored through the fused top-K kernel as a one-dimensional factor model (user vector `[1]`,
 * item vector `[popularity]`), so filtering and ties behave as for every other model.
 * @packageDocumentation
 */
import type { Matrix } from '@souk/kernels';
import { FactorModel, vectorFrom } from './factor-model.js';
import type { Interactions } from './interactions.js';
import { checkOneOf } from './params.js';
import { cooccurrenceNeighbours, registerModelKind, type ExecSettings } from './recommender.js';
import { tensor, type Tensor } from './safetensors.js';

/** Hyper-parameters of {@link Popularity}. */
export interface PopularityParams {
  /** `'count'`: users who interacted (default); `'sum'`: total strength. */
  weighting: 'count' | 'sum';
}

/** Recommends the most popular items to everyone. */
export class Popularity extends FactorModel {
  /** `'Popularity'`. */
  readonly kind = 'Popularity';
  /** Hyper-parameters in use. */
  readonly params: PopularityParams;
  private popularity: Float32Array = new Float32Array(0);

  /** A popularity model. */
  constructor(options: Partial<PopularityParams> & ExecSettings = {}) {
    super(options);
    this.params = { weighting: checkOneOf(options.weighting ?? 'count', ['count', 'sum'] as const, 'weighting') };
  }

  /** @inheritDoc */
  get hyperParameters(): Record<string, unknown> {
    return { ...this.params };
  }

  /** Popularity of each item (the item scores). */
  get itemPopularity(): Float32Array {
    this.requireFitted();
    return this.popularity;
  }

  /** @internal */
  protected get iterationCount(): number {
    return 1;
  }

  /** @internal */
  protected async initialize(data: Interactions): Promise<void> {
    this.popularity = new Float32Array(data.csr.cols);
    this.setTables(data.csr.rows);
  }

  private setTables(users: number): void {
    this.userFactorMatrix = { data: new Float32Array(users).fill(1), rows: users, cols: 1 };
    this.itemFactorMatrix = { data: this.popularity, rows: this.popularity.length, cols: 1 };
  }

  /** @internal */
  protected async iterate(): Promise<number | undefined> {
    const c = this.train!;
    this.popularity.fill(0);
    for (let j = 0; j < c.indices.length; j++) this.popularity[c.indices[j]!]! += this.params.weighting === 'count' ? 1 : c.data[j]!;
    return undefined;
  }

  /** @internal */
  protected override queryMatrix(users: Int32Array): Matrix {
    return { data: new Float32Array(users.length).fill(1), rows: users.length, cols: 1 };
  }

  /** Every item vector is one number: neighbours come from co-occurrence in training instead. @internal */
  protected override similarItemsFor(i: number, k: number, includeSelf: boolean) {
    return cooccurrenceNeighbours(this.itemUserMatrix(), this.train!, i, k, includeSelf, this.exec);
  }

  /** Every user has the same vector: neighbours come from co-occurrence in training instead. @internal */
  protected override similarUsersFor(u: number, k: number, includeSelf: boolean) {
    return cooccurrenceNeighbours(this.train!, this.itemUserMatrix(), u, k, includeSelf, this.exec);
  }

  /** @internal */
  protected override stateTensors(): Record<string, Tensor> {
    return { item_popularity: tensor(this.popularity) };
  }

  /** @internal */
  override restoreState(tensors: Record<string, Tensor>): void {
    this.popularity = vectorFrom(tensors, 'item_popularity', this.itemCount);
    this.setTables(this.userCount);
  }
}

registerModelKind('Popularity', (p) => new Popularity(p as Partial<PopularityParams>));
