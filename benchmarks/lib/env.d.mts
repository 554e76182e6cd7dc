// Types of env.mjs for the TypeScript benchmarks.

/** Where a benchmark ran: date, commit, Node, platform, CPU model, cores, memory, plus `extra`. */
export function machineInfo(extra?: Record<string, unknown>): {
  date: string;
  commit: string;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  [key: string]: unknown;
};

/** Formats rows of objects as an aligned text table (columns: the given ones or the first row's keys). */
export function table(rows: ReadonlyArray<Record<string, unknown>>, columns?: readonly string[]): string;
