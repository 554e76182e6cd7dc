/**
 * A {@link TextEmbeddingEncoder} over an ONNX model run by onnxruntime-node.
 *
 * `onnxruntime-node` is an optional peer dependency: it is imported only when
 * {@link OnnxTextEncoder.load} is called, and a missing runtime is an `ERR_ONNX_RUNTIME_MISSING`
 * error with the install command.
 *
 * Pipeline per batch of texts:
 *  1. **Tokens**: Souk's {@link TextAnalyzer} (query-time cut: jieba for Han, Unicode word rules
 *     otherwise, folded) turns each text into terms; a vocabulary maps each term to its id, and
 *     terms it lacks to the unknown token's id. A text without terms is the unknown token alone.
 *     At most `maxSequenceLength` tokens are kept per text.
 *  2. **Tensors**: `input_ids` (int64 `[batch, seq]`, padded with the padding id to the longest
 *     text of the batch), and, when the model declares them, `attention_mask` (1 for tokens, 0
 *     for padding) and `token_type_ids` (zeros). A model with one input gets the ids whatever its
 *     name; any other input is an `ERR_MODEL` error at load.
 *  3. **Output**: the named output (default the first), float32, either `[batch, seq, dim]`
 *     token vectors — mean-pooled over the real tokens (the attention mask) — or `[batch, dim]`
 *     sentence vectors used as they are.
 *  4. **Normalisation**: each row is L2-normalised (cosine similarity becomes a dot product, as
 *     {@link VectorIndex} with `normalize` expects); a non-finite value is an `ERR_VECTOR` error.
 *
 * Loading runs the model once on the unknown token, so a model whose inputs or outputs do not
 * fit fails at load (`ERR_MODEL`), and `dimension` is known before the first `encode`.
 * @packageDocumentation
 */
import { readFile, stat } from 'node:fs/promises';
import { TextAnalyzer } from './analysis.js';
import { RetrievalError, describeReceived, invalidParameter } from './errors.js';
import type { TextEmbeddingEncoder } from './vector.js';

/** A term → token id table: a JSON file path, a plain object or a map. */
export type Vocabulary = string | Readonly<Record<string, number>> | ReadonlyMap<string, number>;

/** Options of {@link OnnxTextEncoder.load}. */
export interface OnnxTextEncoderOptions {
  /**
   * Term → token id (required): a path to a JSON object file, an object or a map. Terms are
   * matched after Souk's folding (lower case, accents removed), so the keys should be folded too.
   */
  readonly vocabulary: Vocabulary;
  /** Token whose id stands for terms missing from the vocabulary (default `[UNK]`). */
  readonly unknownToken?: string;
  /** Id used for padding (default the id of `[PAD]`, else 0). */
  readonly paddingId?: number;
  /** Tokens kept per text, in [1, 8192] (default 128). */
  readonly maxSequenceLength?: number;
  /** Texts per model run, in [1, 4096] (default 32). */
  readonly batchSize?: number;
  /** Output to read (default the model's first output). */
  readonly output?: string;
  /** Analyzer that cuts texts into terms (default a fresh `TextAnalyzer`). */
  readonly analyzer?: TextAnalyzer;
  /** Threads onnxruntime may use inside one operator (default: onnxruntime's choice). */
  readonly intraOpThreads?: number;
  /** Module to import the runtime from (default `onnxruntime-node`; any package with its API). */
  readonly runtimeModule?: string;
}

/** The part of onnxruntime's API the encoder uses (kept local so the runtime stays optional). */
interface OrtTensor {
  readonly dims: readonly number[];
  readonly type: string;
  readonly data: unknown;
}
interface OrtValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string>;
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly OrtValueMetadata[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  readonly InferenceSession: { create(modelPath: string, options?: Record<string, unknown>): Promise<OrtSession> };
  readonly Tensor: new (type: 'int64', data: BigInt64Array, dims: readonly number[]) => OrtTensor;
}

const IDS_INPUT = 'input_ids';
const MASK_INPUT = 'attention_mask';
const TYPE_INPUT = 'token_type_ids';

/** Imports the runtime, or explains how to install it. */
async function importRuntime(specifier: string): Promise<OrtModule> {
  let loaded: unknown;
  try {
    loaded = await import(specifier);
  } catch (error) {
    throw new RetrievalError(
      'ERR_ONNX_RUNTIME_MISSING',
      `The ONNX encoder needs ${JSON.stringify(specifier)}, which could not be imported (${(error as Error).message?.split('\n')[0] ?? error}). Install it next to @souk/retrieval: pnpm add onnxruntime-node (or npm install onnxruntime-node)`,
      { cause: error },
    );
  }
  const mod = (loaded as { default?: unknown; InferenceSession?: unknown }).InferenceSession ? loaded : (loaded as { default?: unknown }).default;
  const ort = mod as Partial<OrtModule> | undefined;
  if (!ort || typeof ort.InferenceSession?.create !== 'function' || typeof ort.Tensor !== 'function') {
    throw new RetrievalError('ERR_ONNX_RUNTIME_MISSING', `${JSON.stringify(specifier)} does not export onnxruntime's InferenceSession and Tensor`);
  }
  return ort as OrtModule;
}

function missingFile(path: string, what: string, error: unknown): RetrievalError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new RetrievalError('ERR_MODEL_NOT_FOUND', `No ${what} file at ${JSON.stringify(path)}`, { cause: error });
  return new RetrievalError('ERR_MODEL_NOT_FOUND', `Cannot read the ${what} file ${JSON.stringify(path)}: ${(error as Error).message}`, { cause: error });
}

async function checkFile(path: string, what: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw missingFile(path, what, error);
  }
  if (!info.isFile()) throw new RetrievalError('ERR_MODEL_NOT_FOUND', `The ${what} path ${JSON.stringify(path)} is not a file`);
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw missingFile(path, what, error);
  }
}

async function loadVocabulary(vocabulary: Vocabulary): Promise<Map<string, number>> {
  let entries: Iterable<[string, unknown]>;
  if (typeof vocabulary === 'string') {
    const text = new TextDecoder().decode(await readBytes(vocabulary, 'vocabulary'));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new RetrievalError('ERR_VOCABULARY', `The vocabulary file ${JSON.stringify(vocabulary)} is not JSON: ${(error as Error).message}`, { cause: error });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidParameter('ERR_VOCABULARY', 'a JSON object of term → id', 'vocabulary', parsed);
    entries = Object.entries(parsed);
  } else if (vocabulary instanceof Map) {
    entries = vocabulary.entries();
  } else if (typeof vocabulary === 'object' && vocabulary !== null && !Array.isArray(vocabulary)) {
    entries = Object.entries(vocabulary);
  } else {
    throw invalidParameter('ERR_VOCABULARY', 'a path, an object or a Map of term → id', 'vocabulary', vocabulary);
  }
  const out = new Map<string, number>();
  for (const [term, id] of entries) {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw invalidParameter('ERR_VOCABULARY', 'a non-negative integer id', `vocabulary[${JSON.stringify(term)}]`, id);
    out.set(term, id);
  }
  if (out.size === 0) throw invalidParameter('ERR_VOCABULARY', 'a non-empty vocabulary', 'vocabulary', vocabulary);
  return out;
}

function integerOption(value: unknown, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalidParameter('ERR_ARGUMENT', `an integer in [${min}, ${max}]`, name, value);
  return value;
}

/** Which model inputs get which tensor. */
interface InputPlan {
  readonly ids: string;
  readonly mask?: string;
  readonly tokenTypes?: string;
}

function planInputs(session: OrtSession): InputPlan {
  const names = session.inputNames;
  for (const meta of session.inputMetadata ?? []) {
    if (meta.isTensor && meta.type !== undefined && meta.type !== 'int64') throw new RetrievalError('ERR_MODEL', `The model's input ${JSON.stringify(meta.name)} is ${meta.type}; the encoder feeds int64 token ids and masks`);
    if (meta.isTensor && meta.shape !== undefined && meta.shape.length !== 0 && meta.shape.length !== 2) throw new RetrievalError('ERR_MODEL', `The model's input ${JSON.stringify(meta.name)} has rank ${meta.shape.length}; the encoder feeds [batch, sequence] tensors`);
  }
  if (names.length === 1) return { ids: names[0]! };
  if (!names.includes(IDS_INPUT)) throw new RetrievalError('ERR_MODEL', `The model has inputs ${JSON.stringify(names)} but no ${JSON.stringify(IDS_INPUT)}`);
  const unknown = names.filter((n) => n !== IDS_INPUT && n !== MASK_INPUT && n !== TYPE_INPUT);
  if (unknown.length > 0) throw new RetrievalError('ERR_MODEL', `The model needs inputs the encoder cannot fill: ${JSON.stringify(unknown)} (it feeds ${IDS_INPUT}, ${MASK_INPUT} and ${TYPE_INPUT})`);
  return { ids: IDS_INPUT, ...(names.includes(MASK_INPUT) ? { mask: MASK_INPUT } : {}), ...(names.includes(TYPE_INPUT) ? { tokenTypes: TYPE_INPUT } : {}) };
}

/** Text embeddings from an ONNX model (see the module description for the pipeline). */
export class OnnxTextEncoder implements TextEmbeddingEncoder {
  /** Length of every vector (the model's hidden size). */
  readonly dimension: number;
  /** The model output read. */
  readonly outputName: string;
  /** Tokens kept per text. */
  readonly maxSequenceLength: number;
  /** Texts per model run. */
  readonly batchSize: number;
  private readonly ort: OrtModule;
  private readonly session: OrtSession;
  private readonly inputs: InputPlan;
  private readonly vocabulary: Map<string, number>;
  private readonly unknownId: number;
  private readonly paddingId: number;
  private readonly analyzer: TextAnalyzer;
  private released = false;

  private constructor(parts: {
    ort: OrtModule; session: OrtSession; inputs: InputPlan; outputName: string; vocabulary: Map<string, number>;
    unknownId: number; paddingId: number; analyzer: TextAnalyzer; maxSequenceLength: number; batchSize: number; dimension: number;
  }) {
    this.ort = parts.ort;
    this.session = parts.session;
    this.inputs = parts.inputs;
    this.outputName = parts.outputName;
    this.vocabulary = parts.vocabulary;
    this.unknownId = parts.unknownId;
    this.paddingId = parts.paddingId;
    this.analyzer = parts.analyzer;
    this.maxSequenceLength = parts.maxSequenceLength;
    this.batchSize = parts.batchSize;
    this.dimension = parts.dimension;
  }

  /**
   * Loads a model file and its vocabulary, checks that the model's inputs and output fit, and
   * learns the vector length from one run. Errors: `ERR_ONNX_RUNTIME_MISSING` (runtime not
   * installed), `ERR_MODEL_NOT_FOUND` (model or vocabulary file missing), `ERR_VOCABULARY`
   * (malformed vocabulary, no unknown token), `ERR_MODEL` (not a loadable model, or inputs /
   * outputs that do not fit), `ERR_ARGUMENT` (options out of range).
   */
  static async load(modelPath: string, options: OnnxTextEncoderOptions): Promise<OnnxTextEncoder> {
    if (typeof modelPath !== 'string' || modelPath.length === 0) throw invalidParameter('ERR_ARGUMENT', 'a model file path', 'modelPath', modelPath);
    if (typeof options !== 'object' || options === null) throw invalidParameter('ERR_ARGUMENT', 'an options object with a vocabulary', 'options', options);
    const maxSequenceLength = integerOption(options.maxSequenceLength, 128, 1, 8192, 'maxSequenceLength');
    const batchSize = integerOption(options.batchSize, 32, 1, 4096, 'batchSize');
    const intraOpThreads = options.intraOpThreads === undefined ? undefined : integerOption(options.intraOpThreads, 0, 1, 1024, 'intraOpThreads');
    if (options.analyzer !== undefined && !(options.analyzer instanceof TextAnalyzer)) throw invalidParameter('ERR_ARGUMENT', 'a TextAnalyzer', 'analyzer', options.analyzer);
    const vocabulary = await loadVocabulary(options.vocabulary);
    const unknownToken = options.unknownToken ?? '[UNK]';
    const unknownId = vocabulary.get(unknownToken);
    if (unknownId === undefined) throw new RetrievalError('ERR_VOCABULARY', `The vocabulary has no unknown token ${JSON.stringify(unknownToken)} (set unknownToken to the one it uses)`);
    const paddingId = integerOption(options.paddingId, vocabulary.get('[PAD]') ?? 0, 0, Number.MAX_SAFE_INTEGER, 'paddingId');

    const ort = await importRuntime(options.runtimeModule ?? 'onnxruntime-node');
    await checkFile(modelPath, 'model');
    let session: OrtSession;
    try {
      // By path, so that external weight files next to the model are found.
      session = await ort.InferenceSession.create(modelPath, intraOpThreads !== undefined ? { intraOpNumThreads: intraOpThreads } : {});
    } catch (error) {
      throw new RetrievalError('ERR_MODEL', `onnxruntime cannot load ${JSON.stringify(modelPath)}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const inputs = planInputs(session);
      const outputName = options.output ?? session.outputNames[0];
      if (outputName === undefined || !session.outputNames.includes(outputName)) {
        throw new RetrievalError('ERR_MODEL', `The model has no output ${describeReceived(outputName)} (outputs: ${JSON.stringify(session.outputNames)})`);
      }
      const encoder = new OnnxTextEncoder({
        ort, session, inputs, outputName, vocabulary, unknownId, paddingId,
        analyzer: options.analyzer ?? new TextAnalyzer(), maxSequenceLength, batchSize, dimension: 0,
      });
      const probe = await encoder.runBatch([[unknownId]]);
      (encoder as { dimension: number }).dimension = probe.dimension;
      return encoder;
    } catch (error) {
      await session.release().catch(() => undefined);
      throw error;
    }
  }

  /** Token ids of a text: analyzed terms through the vocabulary, at most `maxSequenceLength`. */
  tokenize(text: string): number[] {
    if (typeof text !== 'string') throw invalidParameter('ERR_ARGUMENT', 'a string', 'text', text);
    const ids = this.analyzer.analyzeQuery(text).slice(0, this.maxSequenceLength).map((term) => this.vocabulary.get(term) ?? this.unknownId);
    return ids.length > 0 ? ids : [this.unknownId];
  }

  /** Embeds texts: one L2-normalised vector of length `dimension` per text, in order. */
  async encode(texts: readonly string[]): Promise<Float32Array[]> {
    if (!Array.isArray(texts)) throw invalidParameter('ERR_ARGUMENT', 'an array of strings', 'texts', texts);
    if (this.released) throw new RetrievalError('ERR_ARGUMENT', 'The encoder was released');
    const tokenized = texts.map((t, i) => {
      if (typeof t !== 'string') throw invalidParameter('ERR_ARGUMENT', 'a string', `texts[${i}]`, t);
      return this.tokenize(t);
    });
    const out: Float32Array[] = [];
    for (let start = 0; start < tokenized.length; start += this.batchSize) {
      const { rows } = await this.runBatch(tokenized.slice(start, start + this.batchSize));
      out.push(...rows);
    }
    return out;
  }

  /** Runs one padded batch; returns normalised rows and the vector length. */
  private async runBatch(batch: readonly number[][]): Promise<{ rows: Float32Array[]; dimension: number }> {
    const b = batch.length;
    const seq = Math.max(...batch.map((ids) => ids.length));
    const ids = new BigInt64Array(b * seq).fill(BigInt(this.paddingId));
    const mask = new BigInt64Array(b * seq);
    batch.forEach((row, r) => {
      row.forEach((id, t) => {
        ids[r * seq + t] = BigInt(id);
        mask[r * seq + t] = 1n;
      });
    });
    const feeds: Record<string, OrtTensor> = { [this.inputs.ids]: new this.ort.Tensor('int64', ids, [b, seq]) };
    if (this.inputs.mask) feeds[this.inputs.mask] = new this.ort.Tensor('int64', mask, [b, seq]);
    if (this.inputs.tokenTypes) feeds[this.inputs.tokenTypes] = new this.ort.Tensor('int64', new BigInt64Array(b * seq), [b, seq]);
    let result: Record<string, OrtTensor>;
    try {
      result = await this.session.run(feeds);
    } catch (error) {
      throw new RetrievalError('ERR_MODEL', `The model failed on a batch of ${b} texts of up to ${seq} tokens: ${(error as Error).message}`, { cause: error });
    }
    const output = result[this.outputName];
    if (!output || output.type !== 'float32' || !(output.data instanceof Float32Array)) {
      throw new RetrievalError('ERR_MODEL', `The model's output ${JSON.stringify(this.outputName)} is ${output ? output.type : 'missing'}; the encoder reads float32`);
    }
    const dims = output.dims;
    const data = output.data;
    let dimension: number;
    let rows: Float32Array[];
    if (dims.length === 3 && dims[0] === b && dims[1] === seq && dims[2]! > 0) {
      dimension = dims[2]!;
      rows = batch.map((tokens, r) => {
        const v = new Float32Array(dimension);
        const acc = new Float64Array(dimension);
        for (let t = 0; t < tokens.length; t++) {
          const base = (r * seq + t) * dimension;
          for (let d = 0; d < dimension; d++) acc[d]! += data[base + d]!;
        }
        for (let d = 0; d < dimension; d++) v[d] = acc[d]! / tokens.length;
        return v;
      });
    } else if (dims.length === 2 && dims[0] === b && dims[1]! > 0) {
      dimension = dims[1]!;
      rows = batch.map((_, r) => data.slice(r * dimension, (r + 1) * dimension));
    } else {
      throw new RetrievalError('ERR_MODEL', `The model's output ${JSON.stringify(this.outputName)} has shape [${dims.join(', ')}] for a batch of ${b} × ${seq} tokens; the encoder reads [batch, sequence, dim] or [batch, dim]`);
    }
    if (this.dimension !== 0 && dimension !== this.dimension) throw new RetrievalError('ERR_MODEL', `The model's output length changed from ${this.dimension} to ${dimension}`);
    rows.forEach((v, r) => normalizeRow(v, r));
    return { rows, dimension };
  }

  /** Releases the onnxruntime session; later `encode` calls throw. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

function normalizeRow(v: Float32Array, row: number): void {
  let norm = 0;
  for (let d = 0; d < v.length; d++) {
    const x = v[d]!;
    if (!Number.isFinite(x)) throw new RetrievalError('ERR_VECTOR', `The model returned a non-finite value (${x}) at dimension ${d} of text ${row} of its batch`);
    norm += x * x;
  }
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let d = 0; d < v.length; d++) v[d]! *= scale;
  }
}
