// Command-line flags of the benchmark scripts: `--flag` and `--flag value`.

const argv = process.argv.slice(2);

/** Whether `--flag` was given. */
export const has = (flag: string): boolean => argv.includes(flag);

/** The value after `--flag`, or undefined. */
export const value = (flag: string): string | undefined => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};

/**
 * The number after `--flag` (else `fallback`); anything but a positive finite number prints what
 * was expected (and `usage`, if given) to stderr and exits with 2.
 */
export const positive = (flag: string, fallback: number, usage = ''): number => {
  const v = Number(value(flag) ?? fallback);
  if (!(v > 0) || !Number.isFinite(v)) {
    process.stderr.write(`${flag}: expected a positive number but received ${JSON.stringify(value(flag))}\n${usage}${usage ? '\n' : ''}`);
    process.exit(2);
  }
  return v;
};

/**
 * The whole number after `--flag` (else `fallback`); anything but an integer ≥ 0 prints what was
 * expected to stderr and exits with 2.
 */
export const count = (flag: string, fallback: number): number => {
  const v = Number(value(flag) ?? fallback);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`${flag}: expected a whole number ≥ 0 but received ${JSON.stringify(value(flag))}\n`);
    process.exit(2);
  }
  return v;
};
