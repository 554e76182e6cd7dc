/**
 * The demo's transcript: numbered sections of text, printed as they happen and kept for the
 * HTML report.
 * @packageDocumentation
 */
import { say, type Io } from '../output.js';

/** One section of the transcript. */
export interface TranscriptSection {
  readonly title: string;
  readonly blocks: string[];
}

/** Collects and prints the demo's output. */
export class Transcript {
  /** Sections, in order. */
  readonly sections: TranscriptSection[] = [];

  /** A transcript printed on `io` (stdout, or stderr with `--json`). */
  constructor(private readonly io: Io) {}

  /** Starts a new numbered section. */
  section(title: string): void {
    const numbered = `${this.sections.length + 1}. ${title}`;
    this.sections.push({ title: numbered, blocks: [] });
    say(this.io, `\n━━ ${numbered} ${'━'.repeat(Math.max(3, 72 - numbered.length))}`);
  }

  /** Adds a block of text to the current section and prints it. */
  write(text: string): void {
    if (this.sections.length === 0) this.sections.push({ title: '', blocks: [] });
    this.sections[this.sections.length - 1]!.blocks.push(text);
    say(this.io, text);
  }

  /** The whole transcript as plain text. */
  text(): string {
    return this.sections.map((s) => [s.title, ...s.blocks].join('\n')).join('\n\n');
  }
}
