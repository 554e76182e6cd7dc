/**
 * Progress on stderr with cli-progress: a bar on a terminal, a single closing line elsewhere (logs,
 * pipes, tests), nothing with `--quiet`. stdout is never touched, so `--json` output stays clean.
 * @packageDocumentation
 */
import cliProgress from 'cli-progress';
import type { Io } from './output.js';

/** A running progress display. */
export interface Progress {
  /** Sets the current value and optional detail text. */
  update(value: number, detail?: string): void;
  /** Sets (or changes) the total. */
  setTotal(total: number): void;
  /** Ends the display; `summary` is printed as the closing line. */
  stop(summary?: string): void;
}

/** Options of {@link startProgress}. */
export interface ProgressOptions {
  /** Label in front of the bar. */
  readonly label: string;
  /** Total, when known (otherwise a counter is shown). */
  readonly total?: number;
  /** Unit after the counter (`rows`, `iterations`). */
  readonly unit?: string;
}

/** Starts a progress display on the command's stderr. */
export function startProgress(io: Io, options: ProgressOptions): Progress {
  const stream = io.err as NodeJS.WriteStream;
  const unit = options.unit ?? '';
  if (io.quiet || !stream.isTTY) {
    return {
      update: () => undefined,
      setTotal: () => undefined,
      stop: (summary) => {
        if (summary && !io.quiet) io.err.write(`${options.label}: ${summary}\n`);
      },
    };
  }
  const known = options.total !== undefined && options.total > 0;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: known
        ? `${options.label} [{bar}] {percentage}% | {value}/{total} ${unit} | {detail}`
        : `${options.label} {value} ${unit} | {detail}`,
      barsize: 28,
      hideCursor: true,
      clearOnComplete: true,
      formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? Number(v).toLocaleString('en-US') : String(v)),
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(known ? options.total! : 0, 0, { detail: '' });
  return {
    update: (value, detail) => bar.update(value, { detail: detail ?? '' }),
    setTotal: (total) => bar.setTotal(total),
    stop: (summary) => {
      bar.stop();
      if (summary) stream.write(`${options.label}: ${summary}\n`);
    },
  };
}
