/**
 * Text cleaning for catalog fields: HTML entities, markup and broken markup fragments.
 * @packageDocumentation
 */

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '©', reg: '®', trade: '™',
  hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', bull: '•',
  middot: '·', deg: '°', euro: '€', pound: '£', yen: '¥', cent: '¢', sect: '§', para: '¶', times: '×',
  eacute: 'é', egrave: 'è', agrave: 'à', aacute: 'á', ccedil: 'ç', uuml: 'ü', ouml: 'ö', auml: 'ä',
  szlig: 'ß', ntilde: 'ñ', iacute: 'í', oacute: 'ó', uacute: 'ú', ecirc: 'ê',
};

const ENTITY = /&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});/g;

/** Decodes HTML entities (named, decimal and hex); unknown names are left as they are. */
export function decodeHtmlEntities(text: string): string {
  if (text.indexOf('&') === -1) return text;
  // Decode twice at most: scraped text is often double-escaped (`&amp;amp;`).
  let out = text;
  for (let pass = 0; pass < 2 && out.indexOf('&') !== -1; pass++) {
    out = out.replace(ENTITY, (whole, body: string) => {
      if (body[0] === '#') {
        const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
        return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
      }
      return NAMED_ENTITIES[body] ?? NAMED_ENTITIES[body.toLowerCase()] ?? whole;
    });
  }
  return out;
}

const COMPLETE_TAG = /<\/?[a-zA-Z][^<>]*>/g;
const DANGLING_TAG = /<\/?[a-zA-Z][^<>]*$/;
const STRAY_CLOSE = /^[^<>]*\/?>/;

/** Whether a string contains HTML markup or a broken markup fragment. */
export function hasMarkup(text: string): boolean {
  COMPLETE_TAG.lastIndex = 0;
  return COMPLETE_TAG.test(text) || DANGLING_TAG.test(text);
}

/** What {@link cleanText} changed. */
export interface TextCleaning {
  /** The cleaned text. */
  readonly text: string;
  /** Entities were decoded. */
  readonly decodedEntities: boolean;
  /** Markup (complete or broken) was removed. */
  readonly removedMarkup: boolean;
  /** The field held nothing but markup: it is empty after cleaning. */
  readonly onlyMarkup: boolean;
}

/**
 * Cleans a text field: removes complete tags and a dangling tag fragment at the end (for example
 * `<span class="a-size-medium a-color-secondary"`), decodes entities, and collapses whitespace.
 */
export function cleanText(text: string): TextCleaning {
  let out = text;
  let removedMarkup = false;
  if (out.indexOf('<') !== -1) {
    const stripped = out.replace(COMPLETE_TAG, ' ').replace(DANGLING_TAG, ' ');
    removedMarkup = stripped !== out;
    out = stripped;
  } else if (STRAY_CLOSE.test(out) && /^\s*[a-zA-Z-]+="[^"]*"\s*\/?>/.test(out)) {
    out = out.replace(STRAY_CLOSE, ' ');
    removedMarkup = true;
  }
  const decoded = decodeHtmlEntities(out);
  const decodedEntities = decoded !== out;
  out = decoded.replace(/[\s\u00a0]+/g, ' ').trim();
  return { text: out, decodedEntities, removedMarkup, onlyMarkup: removedMarkup && out.length === 0 && text.trim().length > 0 };
}
