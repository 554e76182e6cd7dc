import { describe, expect, it } from 'vitest';
import { MAX_QUERY_LENGTH, MAX_QUERY_TERMS, RetrievalError, TextIndex, VectorIndex } from '../src/index.js';
import { codeOf, item } from './helpers.js';

const index = new TextIndex();
index.addMany([
  item('a', 'red cotton shirt', { brand: 'Acme', price: 20, attributes: { size: 'M' } }),
  item('b', 'blue wool scarf', { brand: 'Zeta', price: 35 }),
]);

describe('bad queries', () => {
  it('empty, whitespace-only and control-only queries are ERR_EMPTY_QUERY with the conventional message', () => {
    for (const query of ['', '   \t\n ', '\u0000\u0007\u001b', '!!! ...']) {
      let error: unknown;
      try {
        index.search({ query });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RetrievalError);
      expect((error as RetrievalError).code).toBe('ERR_EMPTY_QUERY');
      expect((error as Error).message).toMatch(/^Expected a query with at least one letter or digit for query but received /);
    }
  });
  it('control characters inside a query are separators, not errors', () => {
    expect(index.search({ query: 'red\u0000shirt\u0007' }).hits.map((h) => h.id)).toEqual(['a']);
  });
  it('a 10,000-character query is cut, answered quickly and flagged', () => {
    const long = 'red shirt '.repeat(1000);
    const started = performance.now();
    const result = index.search({ query: long });
    expect(performance.now() - started).toBeLessThan(200);
    expect(result.truncated).toBe(true);
    expect(result.hits.map((h) => h.id)).toEqual(['a']);
    const manyTerms = Array.from({ length: 40 }, (_, i) => `w${i}x`).join(' ');
    const cut = index.search({ query: manyTerms });
    expect(cut.truncated).toBe(true);
    expect(cut.terms.length + cut.droppedTerms.length).toBeLessThanOrEqual(MAX_QUERY_TERMS);
    expect(MAX_QUERY_LENGTH).toBeLessThan(10_000);
    const noSpace = 'x'.repeat(10_000);
    expect(index.search({ query: noSpace }).total).toBe(0);
  });
  it('non-string queries, bad k, offset, sort and facets', () => {
    expect(codeOf(() => index.search({ query: 42 as unknown as string }))).toBe('ERR_ARGUMENT');
    expect(codeOf(() => index.search(null as unknown as { query: string }))).toBe('ERR_ARGUMENT');
    for (const k of [0, -1, 1001, 1.5, Number.NaN]) expect(codeOf(() => index.search({ query: 'red', k }))).toBe('ERR_K_RANGE');
    expect(codeOf(() => index.search({ query: 'red', offset: -1 }))).toBe('ERR_K_RANGE');
    expect(() => index.search({ query: 'red', k: 0 })).toThrow('Expected an integer in [1, 1000] for k but received 0');
    expect(codeOf(() => index.search({ query: 'red', sort: 'cheapest' as 'price_asc' }))).toBe('ERR_ARGUMENT');
    expect(codeOf(() => index.search({ query: 'red', facets: { priceBands: [10, 5] } }))).toBe('ERR_ARGUMENT');
    expect(codeOf(() => index.search({ query: 'red', facets: { colours: true } as never }))).toBe('ERR_ARGUMENT');
  });
});

describe('empty indexes', () => {
  it('answer with no hits instead of failing', async () => {
    const empty = new TextIndex();
    const result = empty.search({ query: 'anything at all', facets: { brands: true, categories: true, priceBands: [0, 10] } });
    expect(result.total).toBe(0);
    expect(result.hits).toEqual([]);
    expect(result.facets.brands).toEqual([]);
    expect(TextIndex.fromBytes(empty.toBytes()).search({ query: 'anything' }).total).toBe(0);
    const vectors = new VectorIndex({ dimension: 4 });
    expect(vectors.searchSync([1, 2, 3, 4])).toEqual([]);
    await expect(vectors.search([1, 2, 3, 4])).resolves.toEqual([]);
  });
});

describe('bad filters', () => {
  it('unknown filter fields and attributes', () => {
    expect(codeOf(() => index.search({ query: 'red', filter: { colour: 'red' } as never }))).toBe('ERR_UNKNOWN_FILTER_FIELD');
    expect(codeOf(() => index.search({ query: 'red', filter: { attributes: { colour: 'red' } } }))).toBe('ERR_UNKNOWN_FILTER_FIELD');
    expect(() => index.search({ query: 'red', filter: { colour: 'red' } as never })).toThrow('Expected one of category, brand, price, inStock, attributes for filter field but received "colour"');
  });
  it('inverted and malformed ranges, malformed values', () => {
    expect(codeOf(() => index.search({ query: 'red', filter: { price: { min: 50, max: 10 } } }))).toBe('ERR_FILTER');
    expect(() => index.search({ query: 'red', filter: { price: { min: 50, max: 10 } } })).toThrow('Expected min <= max for filter.price but received min 50 and max 10');
    expect(codeOf(() => index.search({ query: 'red', filter: { price: { min: Number.NaN } } }))).toBe('ERR_FILTER');
    expect(codeOf(() => index.search({ query: 'red', filter: { price: { min: '5' as unknown as number } } }))).toBe('ERR_FILTER');
    expect(codeOf(() => index.search({ query: 'red', filter: { category: [] } }))).toBe('ERR_FILTER');
    expect(codeOf(() => index.search({ query: 'red', filter: { inStock: 'yes' as unknown as boolean } }))).toBe('ERR_FILTER');
    expect(codeOf(() => index.search({ query: 'red', filter: { brand: [] } }))).toBe('ERR_FILTER');
    expect(codeOf(() => index.search({ query: 'red', filter: { attributes: { size: { min: 3, max: 1 } } } }))).toBe('ERR_FILTER');
    expect(codeOf(() => index.search({ query: 'red', filter: { attributes: { size: [] } } }))).toBe('ERR_FILTER');
  });
});

describe('bad items at indexing time', () => {
  const fresh = () => new TextIndex();
  it('missing or malformed required fields are ERR_INVALID_ITEM and leave the index unchanged', () => {
    const target = fresh();
    const cases: unknown[] = [
      null,
      'item',
      { title: 'no id' },
      { id: '', title: 'empty id' },
      { id: 'x'.repeat(300), title: 'long id' },
      { id: 'a' },
      { id: 'a', title: 42 },
      { id: 'a', title: 't', brand: 7 },
      { id: 'a', title: 't', categoryPath: 'A > B' },
      { id: 'a', title: 't', tags: [1, 2] },
      { id: 'a', title: 't', price: Number.NaN },
      { id: 'a', title: 't', price: -1 },
      { id: 'a', title: 't', inStock: 'yes' },
      { id: 'a', title: 't', attributes: { nested: { x: 1 } } },
      { id: 'a', title: 't', attributes: [] },
      { id: 'a', title: 't', description: 5 },
    ];
    for (const bad of cases) expect(codeOf(() => target.add(bad as never))).toBe('ERR_INVALID_ITEM');
    expect(target.size).toBe(0);
    expect(() => target.add({ id: 'a', title: 42 } as never)).toThrow('Expected a string for title of item "a" but received 42');
  });
  it('optional fields fall back to documented defaults', () => {
    const target = fresh();
    target.add({ id: 'min', title: 'bare kettle' } as never);
    expect(target.search({ query: 'kettle', filter: { inStock: true } }).hits.map((h) => h.id)).toEqual(['min']);
    expect(target.search({ query: 'kettle', filter: { price: { max: 1e9 } } }).total).toBe(0);
  });
  it('addMany can skip and report malformed items', () => {
    const target = fresh();
    const result = target.addMany([item('ok1', 'red kettle'), { id: 'bad', title: null } as never, item('ok2', 'blue kettle')], { onInvalid: 'skip' });
    expect(result.indexed).toBe(2);
    expect(result.rejected).toEqual([{ index: 1, id: 'bad', code: 'ERR_INVALID_ITEM', message: 'Expected a string for title of item "bad" but received null' }]);
    expect(codeOf(() => fresh().addMany([{ id: 1 } as never]))).toBe('ERR_INVALID_ITEM');
  });
  it('bad options and unknown ids', () => {
    expect(codeOf(() => new TextIndex({ bm25f: { k1: -1 } as never }))).toBe('ERR_ARGUMENT');
    expect(codeOf(() => new TextIndex({ typos: { oneTypoMinLength: 0 } }))).toBe('ERR_ARGUMENT');
    expect(codeOf(() => index.setPopularity('nope', 1))).toBe('ERR_UNKNOWN_ITEM');
    expect(codeOf(() => index.add(item('p', 'x'), { popularity: Number.POSITIVE_INFINITY }))).toBe('ERR_ARGUMENT');
  });
});

describe('bad vectors', () => {
  it('wrong dimension, non-finite values, bad k', () => {
    const vectors = new VectorIndex({ dimension: 3 });
    vectors.set('a', [1, 0, 0]);
    expect(codeOf(() => vectors.set('b', [1, 0]))).toBe('ERR_VECTOR');
    expect(codeOf(() => vectors.set('b', [1, Number.NaN, 0]))).toBe('ERR_VECTOR');
    expect(codeOf(() => vectors.searchSync([1, 0]))).toBe('ERR_VECTOR');
    expect(codeOf(() => vectors.searchSync([1, 0, 0], { k: 0 }))).toBe('ERR_K_RANGE');
    expect(codeOf(() => vectors.searchSync([1, 0, 0], { filter: { inStock: true } }))).toBe('ERR_ARGUMENT');
    expect(codeOf(() => new VectorIndex({ dimension: 0 }))).toBe('ERR_ARGUMENT');
  });
});
