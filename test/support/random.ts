/**
 * Seeded random inputs for tests. Every generator takes a seed; failing tests print it so a
 * failure can be replayed exactly.
 */
import type { Matrix } from '@souk/kernels';

/** mulberry32: a tiny, fast, seeded 32-bit generator. Returns floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Gaussian-ish values (sum of uniforms), scaled. */
export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Matrix {
  const r = rng(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (r() + r() + r() - 1.5) * scale;
  return { data, rows, cols };
}

/** Small integer values: every dot product is exact in float32, so ties are exact. */
export function integerMatrix(rows: number, cols: number, seed: number, max = 3): Matrix {
  const r = rng(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * (2 * max + 1)) - max;
  return { data, rows, cols };
}

/** Random per-row index lists over [0, n). */
export function randomRows(m: number, n: number, perRow: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: m }, () => Array.from({ length: Math.floor(r() * (perRow + 1)) }, () => Math.floor(r() * n)));
}
