/**
 * Shared scoring for models whose scores come from sparse item-item structure (ItemKNN, EASE):
 * each user's dense score row is accumulated in TypeScript and ranked by the top-K kernel (the
 * row as an n × 1 item matrix against the query `[1]`), so exclusion, `allow`, ties and padding
 * follow the kernel's rules exactly as for factor models.
 * @packageDocumentation
 */
import { TopKResult, type ItemBitset } from '@souk/kernels';
import { rankDense, Recommender, type ExecSettings } from './recommender.js';

/** A model that scores a user by accumulating a dense row over items. */
export abstract class ItemScoreModel extends Recommender {
  /** @internal */
  protected constructor(exec: ExecSettings) {
    super(exec);
  }

  /** Writes user `u`'s scores over all items into `out` (length = items). @internal */
  protected abstract scoreUser(u: number, out: Float32Array): void;

  /** Scores of user `u` over all items (a new array). */
  scores(user: number | string): Float32Array {
    this.requireFitted();
    const out = new Float32Array(this.itemCount);
    this.scoreUser(this.userIndexOf(user), out);
    return out;
  }

  /** @internal */
  protected override async topKFor(users: Int32Array, k: number, exclude: { indptr: Int32Array; indices: Int32Array } | undefined, allow: ItemBitset | undefined): Promise<TopKResult> {
    const out = new TopKResult(users.length, k);
    out.indices.fill(-1);
    out.scores.fill(-Infinity);
    const row = new Float32Array(this.itemCount);
    for (let q = 0; q < users.length; q++) {
      row.fill(0);
      this.scoreUser(users[q]!, row);
      const ex = exclude ? exclude.indices.subarray(exclude.indptr[q]!, exclude.indptr[q + 1]!) : undefined;
      const r = rankDense(row, k, undefined, this.exec, ex, allow);
      out.indices.set(r.indices, q * k);
      out.scores.set(r.scores, q * k);
      out.counts[q] = r.indices.length;
      // Yield to the event loop now and then: this path runs in TypeScript.
      if ((q & 255) === 255) await new Promise((resolve) => setImmediate(resolve));
    }
    return out;
  }
}
