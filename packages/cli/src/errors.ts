/**
 * The CLI's exit codes and its typed error. Every failure a command can foresee becomes a
 * {@link CliError} whose code maps to one exit code; errors from the other packages are mapped
 * by their stable `code` (see {@link exitCodeOf}).
 * @packageDocumentation
 */
import { SoukError } from '@souk/kernels';

/** Exit codes of the `souk` command (documented in `--help` and the README). */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** A runtime failure (training diverged, the store failed, a bug). */
  failure: 1,
  /** A usage error: unknown option, missing argument, bad option value (commander's code). */
  usage: 2,
  /** Bad input data: a file that does not exist or cannot be read, every row quarantined, an empty data set. */
  badInput: 3,
  /** Not found: an unknown model name, a data directory that holds no Souk data, an unknown dataset. */
  notFound: 4,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit-code table as shown at the end of every `--help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  runtime failure (training failed, store error, unexpected error)
  2  usage error (unknown option, missing or invalid argument)
  3  bad input data (file missing or unreadable, every row quarantined, no interactions)
  4  not found (unknown model, data directory without Souk data, unknown dataset)`;

/** Stable codes of {@link CliError}. */
export type CliErrorCode =
  /** An option value that parses but makes no sense (a negative k, bad JSON in --params). */
  | 'ERR_USAGE'
  /** An input file is missing or unreadable. */
  | 'ERR_INPUT_MISSING'
  /** The input holds no usable data (every row quarantined, no interactions). */
  | 'ERR_BAD_DATA'
  /** A model name the CLI does not know. */
  | 'ERR_UNKNOWN_MODEL'
  /** A data directory without a Souk store. */
  | 'ERR_NO_DATA_DIR'
  /** A dataset name or path that is not a supported public dataset. */
  | 'ERR_UNKNOWN_DATASET'
  /** A step of a command failed at run time (a child process, the HTTP service during the demo). */
  | 'ERR_RUNTIME';

const EXIT_BY_CLI_CODE: Record<CliErrorCode, ExitCode> = {
  ERR_USAGE: EXIT.usage,
  ERR_INPUT_MISSING: EXIT.badInput,
  ERR_BAD_DATA: EXIT.badInput,
  ERR_UNKNOWN_MODEL: EXIT.notFound,
  ERR_NO_DATA_DIR: EXIT.notFound,
  ERR_UNKNOWN_DATASET: EXIT.notFound,
  ERR_RUNTIME: EXIT.failure,
};

/** The error every command throws for a foreseen failure. */
export class CliError extends SoukError<CliErrorCode> {
  /** An error with a stable code (which decides the exit code) and a message for people. */
  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'CliError';
  }
}

/** Codes of other packages' errors that mean "bad input data". */
const BAD_INPUT_CODES = new Set(['ERR_IO', 'ERR_FORMAT', 'ERR_SCHEMA', 'ERR_ENCODING', 'ERR_ROW_TOO_LARGE', 'ERR_EMPTY_TRAINING_DATA', 'ERR_DATASET_MISSING']);
/** Codes of other packages' errors that mean "not found". */
const NOT_FOUND_CODES = new Set(['ERR_UNKNOWN_USER', 'ERR_UNKNOWN_ITEM']);

/** Codes of other packages' errors that mean "usage error" (the server's configuration flags). */
const USAGE_CODES = new Set(['ERR_CONFIG']);

/** The exit code for an error thrown by a command (by the error's stable `code`). */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) return EXIT_BY_CLI_CODE[error.code];
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string') {
    if (BAD_INPUT_CODES.has(code)) return EXIT.badInput;
    if (NOT_FOUND_CODES.has(code)) return EXIT.notFound;
    if (USAGE_CODES.has(code)) return EXIT.usage;
  }
  return EXIT.failure;
}
