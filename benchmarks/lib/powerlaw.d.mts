// Types of powerlaw.mjs for the TypeScript benchmarks.
import type { CsrMatrix } from '@souk/kernels';

export interface PowerLawStats {
  users: number;
  items: number;
  interactions: number;
  zipfExponent: number;
  headWeight: number;
  headShare: number;
  degreeMin: number;
  degreeMedian: number;
  degreeMax: number;
  meanCount: number;
}

export function powerLawInteractions(options?: {
  users?: number;
  items?: number;
  total?: number;
  seed?: number;
  headShare?: number;
}): { csr: CsrMatrix; stats: PowerLawStats };
