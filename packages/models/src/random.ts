/**
 * Seeded pseudo-random numbers for factor initialisation and search (Mulberry32 — the same
 * generator `@souk/data` uses for splits): deterministic across platforms.
 * @packageDocumentation
 */
import { seededRandom } from '@souk/data';

/** A seeded uniform generator on [0, 1): the data package's generator on a scrambled seed. */
export function seededUniform(seed: number): () => number {
  return seededRandom((seed >>> 0) ^ 0x9e3779b9);
}

/** A seeded standard-normal generator (Box–Muller over {@link seededUniform}). */
export function seededNormal(seed: number): () => number {
  const u = seededUniform(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const a = Math.max(u(), 1e-300);
    const b = u();
    const r = Math.sqrt(-2 * Math.log(a));
    spare = r * Math.sin(2 * Math.PI * b);
    return r * Math.cos(2 * Math.PI * b);
  };
}
