import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxTextEncoder, RetrievalError, TextAnalyzer, TextIndex, VectorIndex, hybridSearch } from '../src/index.js';
import { item } from './helpers.js';
import { ONNX_FLOAT, ONNX_INT64, embeddingModel, encodeModel } from './support/onnx-model.js';

const DIM = 8;
const CATALOG = [
  item('couch', 'Grey fabric couch, three seats'),
  item('armchair', 'Leather armchair with footstool'),
  item('table', 'Oak dining table for six'),
  item('earbuds', 'Wireless earbuds with charging case'),
  item('laptop', '联想 轻薄 笔记本'),
  item('phone', '华为 智能手机 黑色'),
  item('kettle', '美的 电水壶 1.7升'),
];
/** Words the catalog lacks but the vocabulary knows, each embedded next to a catalog word. */
const SYNONYMS: Record<string, string> = { sofa: 'couch', 电脑: '笔记本', headphones: 'earbuds' };

const analyzer = new TextAnalyzer();
const vocabulary: Record<string, number> = { '[PAD]': 0, '[UNK]': 1 };
let table: Float32Array;
let dir: string;
let vocabPath: string;

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** The expected embedding, computed in plain TypeScript from the same table. */
function reference(text: string, maxTokens = 128): Float32Array {
  const terms = analyzer.analyzeQuery(text).slice(0, maxTokens);
  const ids = terms.length > 0 ? terms.map((t) => vocabulary[t] ?? vocabulary['[UNK]']!) : [vocabulary['[UNK]']!];
  const v = new Float64Array(DIM);
  for (const id of ids) for (let d = 0; d < DIM; d++) v[d]! += table[id * DIM + d]!;
  const norm = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / norm);
}

function writeModel(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

async function codeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(RetrievalError);
    return (error as RetrievalError).code;
  }
  return undefined;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'souk-onnx-'));
  for (const text of [...CATALOG.map((i) => i.title), ...Object.keys(SYNONYMS), 'nan-word']) {
    for (const term of analyzer.analyzeQuery(text)) vocabulary[term] ??= Object.keys(vocabulary).length;
  }
  const size = Object.keys(vocabulary).length;
  const random = seeded(11);
  table = Float32Array.from({ length: size * DIM }, random);
  table.fill(0, 0, DIM); // [PAD] is the zero vector
  // Product nouns weigh more in a sentence vector than the words around them (longer rows);
  // each synonym's row is its catalog word's row plus a little noise.
  for (const [word, like] of Object.entries(SYNONYMS)) {
    const from = vocabulary[like]! * DIM;
    const to = vocabulary[word]! * DIM;
    for (let d = 0; d < DIM; d++) {
      table[from + d]! *= 3;
      table[to + d] = table[from + d]! + 0.05 * random();
    }
  }
  vocabPath = join(dir, 'vocab.json');
  writeFileSync(vocabPath, JSON.stringify(vocabulary));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const size = () => Object.keys(vocabulary).length;

describe('OnnxTextEncoder', () => {
  const texts = ['Grey fabric couch', '联想 轻薄 笔记本', 'wireless earbuds with charging case and more words', '华为手机', 'zzz unknown qqq', '', '！！'];

  it('mean-pools token vectors of a [batch, seq, dim] output like a plain computation, in English and Chinese', async () => {
    const encoder = await OnnxTextEncoder.load(writeModel('sequence.onnx', embeddingModel(table, size(), DIM, 'sequence')), { vocabulary: vocabPath, batchSize: 3 });
    try {
      expect(encoder.dimension).toBe(DIM);
      expect(encoder.outputName).toBe('hidden');
      expect(encoder.tokenize('zzz 华为')).toEqual([vocabulary['[UNK]'], vocabulary['华为']]);
      const vectors = await encoder.encode(texts);
      expect(vectors).toHaveLength(texts.length);
      vectors.forEach((v, i) => {
        const want = reference(texts[i]!);
        expect(Math.hypot(...v)).toBeCloseTo(1, 5);
        for (let d = 0; d < DIM; d++) expect(v[d]).toBeCloseTo(want[d]!, 5);
      });
      // Batching does not change a text's vector: padding is masked out of the mean.
      const alone = await encoder.encode([texts[0]!]);
      expect(Array.from(alone[0]!)).toEqual(Array.from(vectors[0]!));
      expect(await encoder.encode([])).toEqual([]);
    } finally {
      await encoder.release();
    }
  });

  it('feeds the attention mask a model declares, and reads a pooled [batch, dim] output', async () => {
    const masked = await OnnxTextEncoder.load(writeModel('masked.onnx', embeddingModel(table, size(), DIM, 'masked')), { vocabulary, batchSize: 4 });
    const pooled = await OnnxTextEncoder.load(writeModel('pooled.onnx', embeddingModel(table, size(), DIM, 'pooled')), { vocabulary: new Map(Object.entries(vocabulary)) });
    try {
      for (const encoder of [masked, pooled]) {
        const vectors = await encoder.encode(texts);
        vectors.forEach((v, i) => {
          const want = reference(texts[i]!);
          for (let d = 0; d < DIM; d++) expect(v[d]).toBeCloseTo(want[d]!, 5);
        });
      }
      expect(pooled.outputName).toBe('pooled');
    } finally {
      await masked.release();
      await pooled.release();
    }
  });

  it('keeps at most maxSequenceLength tokens', async () => {
    const encoder = await OnnxTextEncoder.load(join(dir, 'sequence.onnx'), { vocabulary: vocabPath, maxSequenceLength: 3 });
    try {
      const [v] = await encoder.encode(['wireless earbuds with charging case']);
      const want = reference('wireless earbuds with', 3);
      for (let d = 0; d < DIM; d++) expect(v![d]).toBeCloseTo(want[d]!, 5);
      expect(encoder.tokenize('a b c d e f')).toHaveLength(3);
    } finally {
      await encoder.release();
    }
  });

  it('finds items by meaning with VectorIndex and hybridSearch when the text index finds nothing', async () => {
    const encoder = await OnnxTextEncoder.load(join(dir, 'masked.onnx'), { vocabulary: vocabPath });
    try {
      const text = new TextIndex();
      text.addMany(CATALOG);
      const vectors = new VectorIndex({ dimension: encoder.dimension, normalize: true });
      const embedded = await encoder.encode(CATALOG.map((i) => i.title));
      CATALOG.forEach((it, r) => vectors.set(it.id, embedded[r]!));
      for (const [query, want] of [['sofa', 'couch'], ['电脑', 'laptop'], ['headphones', 'earbuds']] as const) {
        // The query word is in no item's text: the text index alone has no answer.
        expect(text.search({ query, typos: false, fallback: false }).hits).toEqual([]);
        const [q] = await encoder.encode([query]);
        expect(vectors.searchSync(q!, { k: 1 })[0]!.id).toBe(want);
        const fused = await hybridSearch(text, vectors, { query, encoder, k: 3, text: { typos: false, fallback: false } });
        expect(fused[0]).toMatchObject({ id: want, vectorRank: 1 });
        expect(fused[0]!.textRank).toBeUndefined();
      }
      // A query the text index answers keeps its text match first after fusion.
      const fused = await hybridSearch(text, vectors, { query: 'leather armchair', encoder, k: 3 });
      expect(fused[0]).toMatchObject({ id: 'armchair', textRank: 1, vectorRank: 1 });
    } finally {
      await encoder.release();
    }
  });

  it('throws typed errors for missing files, bad vocabularies, models that do not fit and non-finite outputs', async () => {
    const sequence = join(dir, 'sequence.onnx');
    expect(await codeOf(() => OnnxTextEncoder.load(join(dir, 'missing.onnx'), { vocabulary: vocabPath }))).toBe('ERR_MODEL_NOT_FOUND');
    expect(await codeOf(() => OnnxTextEncoder.load(dir, { vocabulary: vocabPath }))).toBe('ERR_MODEL_NOT_FOUND'); // a directory
    expect(await codeOf(() => OnnxTextEncoder.load(sequence, { vocabulary: join(dir, 'missing.json') }))).toBe('ERR_MODEL_NOT_FOUND');
    writeFileSync(join(dir, 'bad.json'), '{"a": 1,');
    expect(await codeOf(() => OnnxTextEncoder.load(sequence, { vocabulary: join(dir, 'bad.json') }))).toBe('ERR_VOCABULARY');
    expect(await codeOf(() => OnnxTextEncoder.load(sequence, { vocabulary: { a: 0, b: 1 } }))).toBe('ERR_VOCABULARY');
    expect(await codeOf(() => OnnxTextEncoder.load(sequence, { vocabulary: { '[UNK]': -1 } }))).toBe('ERR_VOCABULARY');
    expect(await codeOf(() => OnnxTextEncoder.load(sequence, { vocabulary, maxSequenceLength: 0 }))).toBe('ERR_ARGUMENT');
    expect(await codeOf(() => OnnxTextEncoder.load(sequence, { vocabulary, batchSize: 1.5 }))).toBe('ERR_ARGUMENT');
    expect(await codeOf(() => OnnxTextEncoder.load(sequence, { vocabulary, output: 'pooled' }))).toBe('ERR_MODEL');

    const missingRuntime = await OnnxTextEncoder.load(sequence, { vocabulary, runtimeModule: 'souk-no-such-onnxruntime' }).catch((e: unknown) => e);
    expect(missingRuntime).toBeInstanceOf(RetrievalError);
    expect(missingRuntime).toMatchObject({ code: 'ERR_ONNX_RUNTIME_MISSING' });
    expect((missingRuntime as Error).message).toContain('pnpm add onnxruntime-node');

    expect(await codeOf(() => OnnxTextEncoder.load(writeModel('garbage.onnx', new TextEncoder().encode('not a model')), { vocabulary }))).toBe('ERR_MODEL');
    const floatInput = encodeModel({
      inputs: [{ name: 'input_ids', type: ONNX_FLOAT, shape: ['batch', 'seq'] }],
      outputs: [{ name: 'hidden', type: ONNX_FLOAT, shape: ['batch', 'seq', DIM] }],
      nodes: [
        { op: 'Cast', inputs: ['input_ids'], outputs: ['ids'], int: { to: ONNX_INT64 } },
        { op: 'Gather', inputs: ['embeddings', 'ids'], outputs: ['hidden'], int: { axis: 0 } },
      ],
      initializers: [{ name: 'embeddings', dims: [size(), DIM], floats: table }],
    });
    expect(await codeOf(() => OnnxTextEncoder.load(writeModel('float-input.onnx', floatInput), { vocabulary }))).toBe('ERR_MODEL');
    const extraInput = encodeModel({
      inputs: [{ name: 'input_ids', type: ONNX_INT64, shape: ['batch', 'seq'] }, { name: 'pixel_values', type: ONNX_INT64, shape: ['batch', 'seq'] }],
      outputs: [{ name: 'hidden', type: ONNX_FLOAT, shape: ['batch', 'seq', DIM] }],
      nodes: [{ op: 'Gather', inputs: ['embeddings', 'input_ids'], outputs: ['hidden'], int: { axis: 0 } }],
      initializers: [{ name: 'embeddings', dims: [size(), DIM], floats: table }],
    });
    expect(await codeOf(() => OnnxTextEncoder.load(writeModel('extra-input.onnx', extraInput), { vocabulary }))).toBe('ERR_MODEL');
    const flatOutput = encodeModel({
      inputs: [{ name: 'input_ids', type: ONNX_INT64, shape: ['batch', 'seq'] }],
      outputs: [{ name: 'flat', type: ONNX_FLOAT, shape: [DIM] }],
      nodes: [
        { op: 'Gather', inputs: ['embeddings', 'input_ids'], outputs: ['tokens'], int: { axis: 0 } },
        { op: 'ReduceMean', inputs: ['tokens'], outputs: ['flat'], ints: { axes: [0, 1] }, int: { keepdims: 0 } },
      ],
      initializers: [{ name: 'embeddings', dims: [size(), DIM], floats: table }],
    });
    expect(await codeOf(() => OnnxTextEncoder.load(writeModel('flat-output.onnx', flatOutput), { vocabulary }))).toBe('ERR_MODEL');

    const poisoned = Float32Array.from(table);
    poisoned[vocabulary['nan']! * DIM + 3] = Number.NaN;
    const encoder = await OnnxTextEncoder.load(writeModel('nan.onnx', embeddingModel(poisoned, size(), DIM, 'sequence')), { vocabulary });
    try {
      expect((await encoder.encode(['couch']))[0]).toHaveLength(DIM);
      expect(await codeOf(() => encoder.encode(['couch nan']))).toBe('ERR_VECTOR');
      expect(await codeOf(() => encoder.encode(['ok', 7 as unknown as string]))).toBe('ERR_ARGUMENT');
    } finally {
      await encoder.release();
    }
    expect(await codeOf(() => encoder.encode(['couch']))).toBe('ERR_ARGUMENT');
  });
});
