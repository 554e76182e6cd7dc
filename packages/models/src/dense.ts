/**
 * Small dense linear algebra in Float64Array for EASE: Cholesky of a symmetric positive-definite
 * matrix and its inverse. Row-major, O(n³/3) for the factorisation and O(n³) for the inverse;
 * meant for n up to a few thousand in TypeScript.
 * @internal
 * @packageDocumentation
 */
import { ModelError } from './errors.js';

/** Overwrites the lower triangle of `a` (n × n, SPD) with its Cholesky factor L (A = L Lᵀ). @internal */
export function cholesky(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = a[rj + j]!;
    for (let k = 0; k < j; k++) s -= a[rj + k]! * a[rj + k]!;
    if (!(s > 0)) throw new ModelError('ERR_DIVERGED', `Expected a positive-definite matrix but pivot ${j} is ${s} (raise the regularization)`);
    const l = Math.sqrt(s);
    a[rj + j] = l;
    const inv = 1 / l;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let t = a[ri + j]!;
      for (let k = 0; k < j; k++) t -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = t * inv;
    }
  }
}

/** The inverse of an SPD matrix `a` (n × n, not modified), through its Cholesky factor. @internal */
export function inverseSpd(a: Float64Array, n: number): Float64Array {
  const l = a.slice();
  cholesky(l, n);
  // W = L⁻¹ (lower), stored transposed row-major as Wt[j][i] = W[i][j] so rows are contiguous below.
  const w = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    // Solve L x = e_c; x[i] = 0 for i < c.
    w[c * n + c] = 1 / l[c * n + c]!;
    for (let i = c + 1; i < n; i++) {
      let s = 0;
      const ri = i * n;
      for (let k = c; k < i; k++) s -= l[ri + k]! * w[c * n + k]!;
      w[c * n + i] = s / l[ri + i]!;
    }
  }
  // A⁻¹ = Wᵀ W: (A⁻¹)_{pq} = Σ_i W_ip W_iq = Σ_{i ≥ max(p,q)} x_p[i] x_q[i] with x_c = row c of Wt.
  const out = new Float64Array(n * n);
  for (let p = 0; p < n; p++) {
    const rp = p * n;
    for (let q = p; q < n; q++) {
      const rq = q * n;
      let s = 0;
      for (let i = q; i < n; i++) s += w[rp + i]! * w[rq + i]!;
      out[rp + q] = s;
      out[rq + p] = s;
    }
  }
  return out;
}
