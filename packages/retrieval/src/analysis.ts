/**
 * Text analysis shared by indexing and querying.
 *
 * Pipeline (the same for documents and queries, so both sides produce the same terms):
 *  1. **Clean**: control and format characters (Unicode `Cc`, `Cf`) become spaces.
 *  2. **Fold**: NFKD (full-width and compatibility forms become plain ones: `ｉＰｈｏｎｅ` →
 *     `iPhone`), combining marks after Latin, Greek and Cyrillic letters are removed (`é` → `e`;
 *     Japanese voicing marks and Indic vowel signs are kept), then NFC; final sigma folded to
 *     sigma; lower-casing with
 *     `String.prototype.toLowerCase`, which is locale-independent (no Turkish dotless-i surprises).
 *  3. **Protected words**: a user dictionary (the catalog's brands and category names, plus any
 *     words the caller adds) is matched first by forward maximum matching, so `华为`, `T恤` or
 *     `水星家纺` stay whole. Only words with a Han character are protected (Latin words are kept
 *     whole by the word rules anyway); a protected word that begins or ends with a Latin letter or
 *     digit only matches at a word boundary there.
 *  4. **Segmentation** of the rest: runs of Han characters go to jieba (`@node-rs/jieba`, default
 *     dictionary, HMM off so the same text always cuts the same way); other runs follow the Unicode
 *     word rules of `Intl.Segmenter` (UAX #29), keeping word-like segments only. Apostrophes inside
 *     a word are dropped (`L'Oréal` → `loreal`, `Levi's` → `levis`).
 *  5. At **index time** long Han words are also indexed by their sub-words (jieba's search mode:
 *     `智能手机` adds `智能`, `手机`), so the query `手机` finds `智能手机`; queries use the plain cut.
 *
 * Terms longer than {@link MAX_TERM_LENGTH} characters are cut to that length.
 * @packageDocumentation
 */
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';

/** Longest term kept, in UTF-16 code units; longer terms are truncated. */
export const MAX_TERM_LENGTH = 64;

/** Texts up to this length have their analysis cached. */
const ANALYSIS_CACHE_TEXT_LENGTH = 200;
/** The analysis cache is cleared when it reaches this many entries. */
const ANALYSIS_CACHE_ENTRIES = 65_536;

let jiebaInstance: Jieba | undefined;
/** The process-wide jieba segmenter with the default dictionary (loaded once, about 0.4 s). */
function sharedJieba(): Jieba {
  jiebaInstance ??= Jieba.withDict(dict);
  return jiebaInstance;
}

const CONTROL = /[\p{Cc}\p{Cf}]/gu;
const MARK_AFTER_FOLDABLE = /([\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}])\p{M}+/gu;
const HAN = /\p{Script=Han}/u;
const HAN_RUNS = /(\p{Script=Han}+)/u;
const WORD_CHAR = /[\p{L}\p{N}]/u;
const APOSTROPHES = /['’ʼ]/g;
const LATIN_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * Cleans and folds text (steps 1 and 2 of the pipeline): control characters to spaces, NFKD,
 * accents removed from Latin/Greek/Cyrillic letters, NFC, lower case.
 */
export function foldText(text: string): string {
  let out = text.replace(CONTROL, ' ').normalize('NFKD');
  out = out.replace(MARK_AFTER_FOLDABLE, '$1').normalize('NFC');
  // Final sigma is the same letter as sigma; fold it so `καφες` and `ΚΑΦΕΣ` match.
  return out.toLowerCase().replace(/ς/g, 'σ');
}

/** Whether a term contains a Han character. */
export function containsHan(term: string): boolean {
  return HAN.test(term);
}

interface TrieNode {
  children: Map<string, TrieNode>;
  word: boolean;
}

const wordSegmenter = new Intl.Segmenter('und', { granularity: 'word' });

function isWordCharAt(text: string, index: number): boolean {
  if (index < 0 || index >= text.length) return false;
  const ch = text[index]!;
  return LATIN_OR_DIGIT.test(ch) && !HAN.test(ch);
}

/**
 * Turns text into terms (see the module comment for the pipeline). One analyzer belongs to one
 * index: its protected-word dictionary is built from that index's catalog.
 */
export class TextAnalyzer {
  private readonly protectedRoot: TrieNode = { children: new Map(), word: false };
  private readonly protectedWords = new Set<string>();
  /** Results for short texts (catalog fields repeat a lot: brands, categories, tags). */
  private readonly cache = new Map<string, readonly string[]>();

  /** Creates an analyzer with optional protected (user dictionary) words. */
  constructor(protectedWords: Iterable<string> = []) {
    this.addProtectedWords(protectedWords);
  }

  /** The protected words, folded, in insertion order. */
  words(): string[] {
    return [...this.protectedWords];
  }

  /**
   * Adds words that segmentation must keep whole (brands, category names, product words).
   * Words are folded like any text; empty words and words longer than {@link MAX_TERM_LENGTH} are ignored.
   */
  addProtectedWords(words: Iterable<string>): void {
    for (const raw of words) {
      if (typeof raw !== 'string') continue;
      const word = foldText(raw).trim();
      if (word.length === 0 || word.length > MAX_TERM_LENGTH || this.protectedWords.has(word)) continue;
      // Words without Han characters need no protection: the Unicode word rules already keep
      // Latin words whole, and a multi-word brand (`the north face`) is better matched word by word.
      if (!containsHan(word)) continue;
      this.protectedWords.add(word);
      this.cache.clear();
      let node = this.protectedRoot;
      for (const ch of word) {
        let next = node.children.get(ch);
        if (!next) {
          next = { children: new Map(), word: false };
          node.children.set(ch, next);
        }
        node = next;
      }
      node.word = true;
    }
  }

  /** Terms of a document field (index time: long Han words also give their sub-words). */
  analyzeForIndex(text: string): string[] {
    return this.analyze(text, true);
  }

  /** Terms of a query (query time: plain cut). */
  analyzeQuery(text: string): string[] {
    return this.analyze(text, false);
  }

  /** Folds, protects, segments; `forIndex` adds sub-words of long Han words. */
  analyze(text: string, forIndex: boolean): string[] {
    if (text.length > ANALYSIS_CACHE_TEXT_LENGTH) return this.analyzeUncached(text, forIndex);
    const key = (forIndex ? 'i' : 'q') + text;
    const cached = this.cache.get(key);
    if (cached) return [...cached];
    const terms = this.analyzeUncached(text, forIndex);
    if (this.cache.size >= ANALYSIS_CACHE_ENTRIES) this.cache.clear();
    this.cache.set(key, terms);
    return [...terms];
  }

  private analyzeUncached(text: string, forIndex: boolean): string[] {
    const folded = foldText(text);
    const terms: string[] = [];
    let gapStart = 0;
    let i = 0;
    while (i < folded.length) {
      const end = this.matchProtected(folded, i);
      if (end > i) {
        if (gapStart < i) this.segmentGap(folded.slice(gapStart, i), forIndex, terms);
        const word = folded.slice(i, end);
        const term = word.replace(APOSTROPHES, '').replace(/\s+/g, ' ');
        pushTerm(terms, term);
        if (forIndex && containsHan(word) && [...word].length >= 3) {
          for (const sub of sharedJieba().cutForSearch(word, false)) if (sub !== word) pushTerm(terms, sub);
        }
        i = end;
        gapStart = end;
      } else {
        i += folded.codePointAt(i)! > 0xffff ? 2 : 1;
      }
    }
    if (gapStart < folded.length) this.segmentGap(folded.slice(gapStart), forIndex, terms);
    return terms;
  }

  /** End of the longest protected word starting at `start`, or `start` when none. */
  private matchProtected(text: string, start: number): number {
    if (this.protectedWords.size === 0) return start;
    // A Latin/digit word may only start at a word boundary.
    const first = text[start]!;
    const startsWordChar = LATIN_OR_DIGIT.test(first) && !HAN.test(first);
    if (startsWordChar && isWordCharAt(text, start - 1)) return start;
    let node: TrieNode | undefined = this.protectedRoot;
    let best = start;
    let j = start;
    while (j < text.length) {
      const cp = text.codePointAt(j)!;
      const ch = String.fromCodePoint(cp);
      node = node.children.get(ch);
      if (!node) break;
      j += ch.length;
      if (node.word) {
        const endsWordChar = isWordCharAt(text, j - 1);
        if (!(endsWordChar && isWordCharAt(text, j))) best = j;
      }
    }
    return best;
  }

  private segmentGap(gap: string, forIndex: boolean, terms: string[]): void {
    if (!WORD_CHAR.test(gap)) return;
    const parts = gap.split(HAN_RUNS);
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p]!;
      if (part.length === 0) continue;
      if (p % 2 === 1) {
        const jieba = sharedJieba();
        const words = forIndex ? jieba.cutForSearch(part, false) : jieba.cut(part, false);
        for (const w of words) if (WORD_CHAR.test(w)) pushTerm(terms, w);
      } else {
        for (const s of wordSegmenter.segment(part)) {
          if (s.isWordLike) pushTerm(terms, s.segment.replace(APOSTROPHES, ''));
        }
      }
    }
  }
}

function pushTerm(terms: string[], term: string): void {
  if (term.length === 0) return;
  terms.push(term.length > MAX_TERM_LENGTH ? term.slice(0, MAX_TERM_LENGTH) : term);
}
