/**
 * Output helpers: machine-readable JSON on stdout, human text on stdout, logs and progress on
 * stderr, and aligned plain-text tables that measure East Asian wide characters correctly.
 * @packageDocumentation
 */

/** Where a command writes: results to `out`, logs and progress to `err`. */
export interface Io {
  /** Result stream (stdout). */
  readonly out: NodeJS.WritableStream;
  /** Log and progress stream (stderr). */
  readonly err: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Whether `--json` was given: stdout then carries one JSON document only. */
  readonly json: boolean;
  /** Whether `--quiet` was given: no logs. */
  readonly quiet: boolean;
}

/** The process's streams. */
export function processIo(flags: { json?: boolean; quiet?: boolean }): Io {
  return { out: process.stdout, err: process.stderr, json: flags.json === true, quiet: flags.quiet === true };
}

/** Writes a line of human output (stdout); with `--json` it goes to stderr so stdout stays parseable. */
export function say(io: Io, line = ''): void {
  if (io.json) {
    if (!io.quiet) io.err.write(line + '\n');
  } else io.out.write(line + '\n');
}

/** Writes a log line to stderr (unless `--quiet`). */
export function log(io: Io, line: string): void {
  if (!io.quiet) io.err.write(line + '\n');
}

/** Writes the command's JSON result on stdout (only with `--json`). */
export function emitJson(io: Io, value: unknown): void {
  if (io.json) io.out.write(JSON.stringify(value, jsonReplacer, 2) + '\n');
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (value instanceof Map) return Object.fromEntries(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** Terminal columns a string occupies (CJK and full-width forms take two). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x300 && cp < 0x370) || cp === 0x200b) continue;
    width += isWide(cp) ? 2 : 1;
  }
  return width;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** Cuts a string to at most `width` display columns, ending with `…` when cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = displayWidth(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return out + '…';
}

/** Pads to `width` display columns (left-aligned, or right-aligned for `right`). */
export function pad(text: string, width: number, right = false): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return right ? fill + text : text + fill;
}

/** A table cell: text, or a number formatted by {@link formatNumber}. */
export type Cell = string | number | undefined;

/** Text cells that read as numbers (`0.55`, `1,234`, `12.5 %`) and are right-aligned like numbers. */
const NUMERIC_TEXT = /^-?[\d,]*\.?\d+(?: ?%| s)?$/;

/** Options of {@link table}. */
export interface TableOptions {
  /** Widest a column may be before its cells are cut (default 48). */
  readonly maxWidth?: number;
  /** Indentation of every line (default 2 spaces). */
  readonly indent?: string;
}

/**
 * Renders rows as an aligned plain-text table with a header rule. Columns of numbers (or of
 * number-like text such as `0.55` or `12.5 %`) are right aligned; text is left aligned and cut at
 * `maxWidth` columns.
 */
export function table(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>, options: TableOptions = {}): string {
  const maxWidth = options.maxWidth ?? 48;
  const indent = options.indent ?? '  ';
  const text = rows.map((row) => header.map((_, c) => {
    const v = row[c];
    return v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : truncate(v, maxWidth);
  }));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((row) => typeof row[c] === 'number' || row[c] === undefined || (typeof row[c] === 'string' && NUMERIC_TEXT.test(row[c] as string))));
  const widths = header.map((h, c) => Math.max(displayWidth(h), ...text.map((row) => displayWidth(row[c]!))));
  const line = (cells: readonly string[]) => indent + cells.map((cell, c) => pad(cell, widths[c]!, numeric[c])).join('  ').trimEnd();
  return [line(header), indent + widths.map((w) => '─'.repeat(w)).join('  '), ...text.map(line)].join('\n');
}

/** Formats a number for people: integers with thousands separators, others with 4 significant digits. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toLocaleString('en-US', { maximumFractionDigits: 1 });
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(4);
}

/** A percentage with one decimal (`12.3 %`). */
export function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)} %`;
}

/** A duration in seconds with sensible precision. */
export function seconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** Places two blocks of lines side by side with a gap (for before/after comparisons). */
export function sideBySide(left: string, right: string, gap = 4): string {
  const l = left.split('\n');
  const r = right.split('\n');
  const width = Math.max(...l.map(displayWidth));
  const lines: string[] = [];
  for (let i = 0; i < Math.max(l.length, r.length); i++) lines.push((pad(l[i] ?? '', width) + ' '.repeat(gap) + (r[i] ?? '')).trimEnd());
  return lines.join('\n');
}
