/**
 * `@souk/retrieval`: Souk's product search. A BM25F inverted index over item text (jieba for
 * Chinese, Unicode word rules otherwise; typo tolerance, prefix search, synonyms, filters, facets,
 * sort options, zero-result fallback, incremental updates, a binary on-disk form), vector retrieval
 * over the fused top-K kernel, hybrid fusion of the two, and an ONNX text encoder for embeddings.
 * @packageDocumentation
 */
export { RetrievalError, type RetrievalErrorCode } from './errors.js';
export { TextAnalyzer, foldText, containsHan, MAX_TERM_LENGTH } from './analysis.js';
export { TermDictionary, type FuzzyMatch, type FuzzySearchStats } from './terms.js';
export { INDEX_FORMAT_VERSION } from './binary.js';
export {
  TextIndex,
  validateIndexableItem,
  TEXT_FIELDS,
  DEFAULT_BM25F,
  MAX_QUERY_LENGTH,
  MAX_QUERY_TERMS,
  MAX_K,
  MAX_OFFSET,
  MAX_FIELD_TEXT_LENGTH,
  type TextField,
  type FieldParameters,
  type Bm25fParameters,
  type TypoOptions,
  type PrefixOptions,
  type SynonymRule,
  type TextIndexOptions,
  type IndexableItem,
  type ItemSignals,
  type AttributeCondition,
  type SearchFilter,
  type FacetRequest,
  type SortOrder,
  type SearchRequest,
  type SearchHit,
  type TermMatch,
  type FacetCount,
  type FacetCounts,
  type SearchResult,
  type AddManyResult,
} from './text-index.js';
export { saveTextIndex, loadTextIndex } from './persistence.js';
export {
  VectorIndex,
  fuseRankings,
  hybridSearch,
  type TextEmbeddingEncoder,
  type VectorIndexOptions,
  type VectorSearchOptions,
  type VectorHit,
  type RankedHit,
  type FusionMethod,
  type FusedHit,
  type HybridSearchRequest,
} from './vector.js';
export { OnnxTextEncoder, type OnnxTextEncoderOptions, type Vocabulary } from './onnx.js';
