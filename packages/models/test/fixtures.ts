// Shared test fixtures: planted-structure matrices and small helpers.
import { seededRandom as rng } from '@souk/data';
import type { CsrMatrix } from '@souk/kernels';

/** Deterministic uniform generator for tests (the data package's Mulberry32). */
export { rng };

/** CSR from per-row item lists (sorted here), values 1 unless given. */
export function csr(rows: number[][], cols: number, values?: number[][]): CsrMatrix {
  const indptr = new Int32Array(rows.length + 1);
  const idx: number[] = [];
  const val: number[] = [];
  rows.forEach((r, u) => {
    const order = r.map((_, j) => j).sort((a, b) => r[a]! - r[b]!);
    for (const j of order) {
      idx.push(r[j]!);
      val.push(values ? values[u]![j]! : 1);
    }
    indptr[u + 1] = idx.length;
  });
  return { indptr, indices: Int32Array.from(idx), data: Float32Array.from(val), rows: rows.length, cols };
}

/**
 * The checkerboard implicit tests with: user u likes item i when (u + i) is even. `holdout`
 * liked items per user are removed from train and returned as test.
 */
export function checkerboard(n: number, holdout: number, seed = 1): { train: CsrMatrix; test: CsrMatrix; heldOut: number[][] } {
  const r = rng(seed);
  const trainRows: number[][] = [];
  const testRows: number[][] = [];
  for (let u = 0; u < n; u++) {
    const liked = [];
    for (let i = 0; i < n; i++) if ((u + i) % 2 === 0) liked.push(i);
    for (let k = liked.length - 1; k > 0; k--) {
      const j = Math.floor(r() * (k + 1));
      [liked[k], liked[j]] = [liked[j]!, liked[k]!];
    }
    testRows.push(liked.slice(0, holdout).sort((a, b) => a - b));
    trainRows.push(liked.slice(holdout));
  }
  return { train: csr(trainRows, n), test: csr(testRows, n), heldOut: testRows };
}

/** Planted low-rank taste: users and items in `groups` clusters; a user likes a random share of their cluster's items. */
export function clustered(users: number, items: number, groups: number, density: number, seed = 3): { train: CsrMatrix; test: CsrMatrix } {
  const r = rng(seed);
  const trainRows: number[][] = [];
  const testRows: number[][] = [];
  for (let u = 0; u < users; u++) {
    const g = u % groups;
    const tr: number[] = [];
    const te: number[] = [];
    for (let i = g; i < items; i += groups) {
      if (r() < density) (r() < 0.25 ? te : tr).push(i);
    }
    if (tr.length === 0 && te.length > 0) tr.push(te.pop()!);
    trainRows.push(tr);
    testRows.push(te);
  }
  return { train: csr(trainRows, items), test: csr(testRows, items) };
}
