// Command-line flags of the benchmark scripts: `--flag` and `--flag value`.

const argv = process.argv.slice(2);

/** Whether `--flag` was given. */
export const has = (flag: string): boolean => argv.includes(flag);

/** The value after `--flag`, or undefined. */
export const value = (flag: string): string | undefined => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
