import { describe, expect, it } from 'vitest';
import { DEFAULT_BM25F, TextIndex, type Bm25fParameters } from '../src/index.js';
import { item } from './helpers.js';

const off = { weight: 0, b: 0 };

describe('BM25F scoring against hand-computed values', () => {
  it('one field: idf, saturation and length normalisation', () => {
    // N = 3, df(red) = 2: idf = ln(1 + 1.5 / 2.5) = ln 1.6. avglen(title) = 7/3, k1 = 1.2, b = 0.75.
    // a: tf 1, len 2 → tf~ = 1 / (0.25 + 0.75·2/(7/3)) = 1.12;   score = ln1.6 · 1.12 / 2.32
    // b: tf 2, len 3 → tf~ = 2 / (0.25 + 0.75·3/(7/3));          score = ln1.6 · tf~ / (1.2 + tf~)
    const bm25f: Bm25fParameters = { k1: 1.2, fields: { title: { weight: 1, b: 0.75 }, brand: off, category: off, tags: off, description: off } };
    const index = new TextIndex({ bm25f, prefix: false, typos: false });
    index.addMany([item('a', 'red shoe'), item('b', 'red red hat'), item('c', 'blue hat')]);
    const result = index.search({ query: 'red' });
    expect(result.hits.map((h) => h.id)).toEqual(['b', 'a']);
    expect(result.hits[0]!.score).toBeCloseTo(0.2719029260099297, 10);
    expect(result.hits[1]!.score).toBeCloseTo(0.2268983037738034, 10);
    expect(result.total).toBe(2);
  });

  it('two fields with their own weights and b', () => {
    // title w 2, b 0.5 (avglen 7/3); brand w 1, b 0 (avglen 1); df(acme) = 3 → idf = ln(1 + 0.5/3.5).
    // a: title tf 1 len 2, brand tf 1 → tf~ = 2/(0.5 + 0.5·2/(7/3)) + 1
    // b: brand tf 1 only → tf~ = 1
    // c: title tf 2 len 3 → tf~ = 4/(0.5 + 0.5·3/(7/3))
    const bm25f: Bm25fParameters = { k1: 1.2, fields: { title: { weight: 2, b: 0.5 }, brand: { weight: 1, b: 0 }, category: off, tags: off, description: off } };
    const index = new TextIndex({ bm25f, prefix: false, typos: false });
    index.addMany([item('a', 'acme kettle', { brand: 'Acme' }), item('b', 'steel kettle', { brand: 'Acme' }), item('c', 'acme acme toaster', { brand: 'Zeta' })]);
    const scores = Object.fromEntries(index.search({ query: 'acme' }).hits.map((h) => [h.id, h.score]));
    expect(scores.a).toBeCloseTo(0.09672768723684498, 10);
    expect(scores.b).toBeCloseTo(0.060696087556601164, 10);
    expect(scores.c).toBeCloseTo(0.09943827110336788, 10);
  });

  it('a multi-term query sums per-term scores and requires every term', () => {
    const index = new TextIndex({ prefix: false, typos: false });
    index.addMany([item('a', 'red shoe'), item('b', 'red hat'), item('c', 'blue shoe')]);
    const both = index.search({ query: 'red shoe', fallback: false });
    expect(both.hits.map((h) => h.id)).toEqual(['a']);
    const red = index.search({ query: 'red' }).hits.find((h) => h.id === 'a')!.score;
    const shoe = index.search({ query: 'shoe' }).hits.find((h) => h.id === 'a')!.score;
    expect(both.hits[0]!.score).toBeCloseTo(red + shoe, 12);
  });

  it('the defaults weigh a title match above a description match', () => {
    expect(DEFAULT_BM25F.fields.title.weight).toBeGreaterThan(DEFAULT_BM25F.fields.description.weight);
    const index = new TextIndex();
    index.addMany([item('d', 'travel mug', { description: 'a kettle companion' }), item('t', 'electric kettle')]);
    expect(index.search({ query: 'kettle' }).hits.map((h) => h.id)).toEqual(['t', 'd']);
  });
});
