import { describe, expect, it } from 'vitest';
import { TextIndex, TermDictionary, type IndexableItem } from '../src/index.js';
import { item } from './helpers.js';

const ids = (hits: ReadonlyArray<{ id: string }>) => hits.map((h) => h.id);
const sorted = (list: string[]) => [...list].sort();

function catalog(): IndexableItem[] {
  return [
    item('p1', 'Samsung Galaxy smartphone', { brand: 'Samsung', categoryPath: ['All', 'Electronics', 'Phones'], price: 699, tags: ['android'], attributes: { color: 'black', storage: 128 } }),
    item('p2', 'Apple iPhone smartphone', { brand: 'Apple', categoryPath: ['All', 'Electronics', 'Phones'], price: 999, tags: ['ios'], attributes: { color: 'white', storage: 256 } }),
    item('p3', 'Sony headphones wireless', { brand: 'Sony', categoryPath: ['All', 'Electronics', 'Headphones'], price: 199, inStock: false, attributes: { color: 'black' } }),
    item('p4', 'Nike running shoes', { brand: 'Nike', categoryPath: ['All', 'Fashion', 'Shoes'], price: 89, attributes: { color: 'white', size: 42 } }),
    item('p5', 'Adidas running shoes', { brand: 'Adidas', categoryPath: ['All', 'Fashion', 'Shoes'], price: 79, attributes: { color: 'black', size: 44 } }),
    item('p6', 'Samsung wireless earbuds', { brand: 'Samsung', categoryPath: ['All', 'Electronics', 'Headphones'], price: 149, attributes: { color: 'white' } }),
    item('p7', 'Television 55 inch', { brand: 'Sony', categoryPath: ['All', 'Electronics', 'Televisions'] }),
  ];
}

describe('typo tolerance', () => {
  const index = new TextIndex({ prefix: false });
  index.addMany(catalog());
  it('one typo from 4 characters, two from 8 (substitution, deletion, insertion, transposition)', () => {
    expect(ids(index.search({ query: 'samsnug' }).hits)).toEqual(expect.arrayContaining(['p1', 'p6']));
    expect(ids(index.search({ query: 'runing' }).hits).sort()).toEqual(['p4', 'p5']);
    expect(ids(index.search({ query: 'smartphhone' }).hits).sort()).toEqual(['p1', 'p2']);
    expect(ids(index.search({ query: 'hedphnes' }).hits).sort()).toEqual(['p3', 'p6']); // 2 edits, 8 characters (p6 by its category)
  });
  it('no typo below 4 characters, and at most 1 below 8', () => {
    expect(index.search({ query: 'sonx', fallback: false }).total).toBe(2); // 4 chars: 1 typo → sony (p3, p7)
    expect(index.search({ query: 'snx', fallback: false }).total).toBe(0);
    expect(index.search({ query: 'wrlss', fallback: false }).total).toBe(0); // 5 chars, 3 edits
    expect(index.search({ query: 'nkie', fallback: false, typos: false }).total).toBe(0);
  });
  it('exact matches outrank typo matches, and the match is reported', () => {
    const result = index.search({ query: 'shoes' });
    expect(result.terms[0]!.matches[0]).toEqual({ term: 'shoes', kind: 'exact', weight: 1 });
    const typo = index.search({ query: 'shoex' });
    expect(typo.terms[0]!.matches).toEqual([{ term: 'shoes', kind: 'typo', weight: 0.6 }]);
    expect(typo.hits[0]!.score).toBeLessThan(result.hits[0]!.score);
  });
  it('thresholds are configurable', () => {
    const strict = new TextIndex({ prefix: false, typos: { oneTypoMinLength: 8, twoTyposMinLength: 20 } });
    strict.addMany(catalog());
    expect(strict.search({ query: 'samsnug', fallback: false }).total).toBe(0); // 7 characters < 8: no typo allowed
    expect(strict.search({ query: 'smartphhone', fallback: false }).total).toBe(2); // 11 characters: 1 typo
  });
});

describe('TermDictionary bounded fuzzy search', () => {
  it('finds exactly the terms within the distance (checked against brute force)', () => {
    const words = ['kettle', 'kettles', 'settle', 'kestrel', 'battle', 'ketle', 'kettel', 'cattle', 'little', 'k'];
    const dictionary = new TermDictionary();
    for (const w of words) dictionary.intern(w);
    const osa = (a: string, b: string) => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++) {
          d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
        }
      return d[a.length]![b.length]!;
    };
    for (const query of ['kettle', 'ketlte', 'bettle', 'xyz']) {
      for (const max of [1, 2]) {
        const found = dictionary.fuzzy(query, max, 100).map((m) => `${dictionary.term(m.termId)}:${m.distance}`).sort();
        const expected = words.filter((w) => w !== query && osa(query, w) <= max).map((w) => `${w}:${osa(query, w)}`).sort();
        expect(found).toEqual(expected);
        const sameStart = dictionary.fuzzy(query, max, 100, undefined, true).map((m) => `${dictionary.term(m.termId)}:${m.distance}`).sort();
        expect(sameStart).toEqual(expected.filter((e) => e[0] === query[0]));
      }
    }
  });
});

describe('TermDictionary bounded work', () => {
  it('a typo search visits a small part of a 100,000-term trie, not every term', () => {
    let seed = 99;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const dictionary = new TermDictionary();
    while (dictionary.size < 100_000) {
      const length = 3 + Math.floor(random() * 8);
      dictionary.intern(Array.from({ length }, () => letters[Math.floor(random() * 26)]).join(''));
    }
    const target = dictionary.term(12_345);
    const typo = target.slice(0, 1) + (target[1] === 'x' ? 'y' : 'x') + target.slice(2);
    for (const distance of [1, 2]) {
      const stats = { visitedNodes: 0 };
      const found = dictionary.fuzzy(typo, distance, 1000, stats);
      expect(found.map((m) => m.termId)).toContain(12_345);
      expect(stats.visitedNodes).toBeLessThan(dictionary.nodeCount * (distance === 1 ? 0.02 : 0.2));
    }
  });
});

describe('prefix search on the last term', () => {
  const index = new TextIndex({ typos: false });
  index.addMany(catalog());
  it('completes the last term while it is being typed', () => {
    expect(sorted(ids(index.search({ query: 'smartph' }).hits))).toEqual(['p1', 'p2']);
    expect(sorted(ids(index.search({ query: 'samsung ear' }).hits))).toEqual(['p6']);
    expect(index.search({ query: 'samsung ear' }).terms[1]!.matches).toEqual([{ term: 'earbuds', kind: 'prefix', weight: 0.8 }]);
  });
  it('does not complete a finished term, an earlier term, or a term shorter than minLength', () => {
    expect(index.search({ query: 'smartph ', fallback: false }).total).toBe(0);
    expect(index.search({ query: 'smartph samsung', fallback: false }).total).toBe(0);
    expect(index.search({ query: 's', fallback: false }).total).toBe(0);
    expect(index.search({ query: 'smartph', prefix: false, fallback: false }).total).toBe(0);
  });
});

describe('prefix search in Chinese', () => {
  it('completes a half-typed word, even when jieba splits the typed part', () => {
    const zh = new TextIndex();
    zh.addMany([item('z1', '苏泊尔 不粘锅', { brand: '苏泊尔' }), item('z2', '美的 电饭煲', { brand: '美的' })]);
    expect(ids(zh.search({ query: '不粘' }).hits)).toEqual(['z1']);
    expect(ids(zh.search({ query: '美的 电饭' }).hits)).toEqual(['z2']);
    expect(ids(zh.search({ query: '苏' }).hits)).toEqual(['z1']);
    expect(zh.search({ query: '不粘 ', fallback: false }).total).toBe(0);
  });
});

describe('synonyms', () => {
  const index = new TextIndex({
    typos: false,
    prefix: false,
    synonyms: [{ terms: ['tv', 'television', 'telly'] }, { from: 'sneakers', to: ['shoes'] }, { from: '耳机', to: ['earbuds'] }],
  });
  index.addMany(catalog());
  it('multi-way rules work in every direction', () => {
    expect(ids(index.search({ query: 'tv' }).hits)).toEqual(['p7']);
    expect(ids(index.search({ query: 'telly' }).hits)).toEqual(['p7']);
    expect(index.search({ query: 'tv' }).terms[0]!.matches).toEqual([{ term: 'television', kind: 'synonym', weight: 0.9 }]);
  });
  it('one-way rules work in one direction only', () => {
    expect(sorted(ids(index.search({ query: 'sneakers' }).hits))).toEqual(['p4', 'p5']);
    index.add(item('s1', 'white sneakers'));
    expect(ids(index.search({ query: 'shoes' }).hits)).not.toContain('s1');
    expect(ids(index.search({ query: '耳机' }).hits)).toEqual(['p6']);
    expect(index.search({ query: 'telly', synonyms: false, fallback: false }).total).toBe(0);
  });
  it('rejects rules that are not single terms', () => {
    expect(() => new TextIndex({ synonyms: [{ terms: ['t shirt', 'tee'] }] })).toThrow(expect.objectContaining({ code: 'ERR_SYNONYM' }));
    expect(() => new TextIndex({ synonyms: [{ from: 'tee', to: [] }] })).toThrow(expect.objectContaining({ code: 'ERR_SYNONYM' }));
  });
});

describe('filters, facets and sort', () => {
  const index = new TextIndex({ typos: false, prefix: false });
  catalog().forEach((it, i) => index.add(it, { popularity: [5, 9, 1, 7, 3, 8, 2][i]!, addedAt: 1000 + i }));
  it('category subtree, brand, price range, stock, attributes', () => {
    expect(sorted(ids(index.search({ query: 'samsung', filter: { category: ['All', 'Electronics', 'Phones'] } }).hits))).toEqual(['p1']);
    expect(sorted(ids(index.search({ query: 'wireless', filter: { category: ['All', 'Electronics'] } }).hits))).toEqual(['p3', 'p6']);
    expect(sorted(ids(index.search({ query: 'running shoes', filter: { brand: ['nike'] } }).hits))).toEqual(['p4']);
    expect(sorted(ids(index.search({ query: 'running', filter: { price: { min: 80, max: 89 } } }).hits))).toEqual(['p4']);
    expect(sorted(ids(index.search({ query: 'wireless', filter: { inStock: true } }).hits))).toEqual(['p6']);
    expect(sorted(ids(index.search({ query: 'smartphone', filter: { attributes: { color: 'white' } } }).hits))).toEqual(['p2']);
    expect(sorted(ids(index.search({ query: 'shoes', filter: { attributes: { size: { min: 43 } } } }).hits))).toEqual(['p5']);
    expect(sorted(ids(index.search({ query: 'samsung', filter: { attributes: { color: ['black', 'red'] } } }).hits))).toEqual(['p1']);
    // An item without a price never passes a price filter.
    expect(index.search({ query: 'television', filter: { price: { min: 0 } } }).total).toBe(0);
    // Unknown brand or category: no match, not an error.
    expect(index.search({ query: 'samsung', filter: { brand: 'Nokia' } }).total).toBe(0);
  });
  it('counts facets over all matches after filters', () => {
    const result = index.search({ query: 'samsung wireless', fallback: false, facets: { brands: true } });
    expect(result.facets.brands).toEqual([{ value: 'Samsung', count: 1 }]);
    const electronics = index.search({ query: 'wireless smartphone', fallback: true, facets: { brands: true, categories: true, priceBands: [0, 100, 500] } });
    expect(electronics.droppedTerms).toEqual(['wireless']);
    expect(electronics.facets.brands).toEqual([{ value: 'Apple', count: 1 }, { value: 'Samsung', count: 1 }]);
    expect(electronics.facets.categories).toEqual([
      { value: 'All', count: 2 },
      { value: 'All > Electronics', count: 2 },
      { value: 'All > Electronics > Phones', count: 2 },
    ]);
    expect(electronics.facets.priceBands!.map((b) => [b.value, b.count])).toEqual([['[0, 100)', 0], ['[100, 500)', 0], ['[500, ∞)', 2]]);
    const shoes = index.search({ query: 'shoes', facets: { priceBands: [0, 80, 100] } });
    expect(shoes.facets.priceBands!.map((b) => b.count)).toEqual([1, 1, 0]);
  });
  it('sorts by relevance, price, popularity or newness, and pages', () => {
    const q = { query: 'samsung apple sony nike adidas', fallback: false };
    expect(index.search({ query: 'electronics', sort: 'price_asc' }).hits.map((h) => h.id)).toEqual(['p6', 'p3', 'p1', 'p2', 'p7']);
    expect(index.search({ query: 'electronics', sort: 'price_desc' }).hits.map((h) => h.id)).toEqual(['p2', 'p1', 'p3', 'p6', 'p7']);
    expect(index.search({ query: 'electronics', sort: 'popularity' }).hits.map((h) => h.id)).toEqual(['p2', 'p6', 'p1', 'p7', 'p3']);
    expect(index.search({ query: 'electronics', sort: 'newest' }).hits.map((h) => h.id)).toEqual(['p7', 'p6', 'p3', 'p2', 'p1']);
    expect(index.search({ query: 'electronics', sort: 'newest', k: 2, offset: 1 }).hits.map((h) => h.id)).toEqual(['p6', 'p3']);
    expect(index.search(q).total).toBe(0);
    // Relevance ties break by popularity.
    expect(index.search({ query: 'running shoes' }).hits.map((h) => h.id)).toEqual(['p4', 'p5']);
  });
});

describe('zero-result fallback', () => {
  const index = new TextIndex({ typos: false, prefix: false });
  index.addMany([item('a', 'red cotton shirt'), item('b', 'red wool scarf'), item('c', 'blue cotton shirt'), item('d', 'red silk tie')]);
  it('drops the least informative term first and says so', () => {
    // df: red 3, cotton 2, shirt 2, wool 1. "red wool shirt" matches nothing; dropping red (df 3) leaves "wool shirt": nothing; then shirt (df 2): "wool".
    const result = index.search({ query: 'red wool shirt' });
    expect(result.droppedTerms).toEqual(['red', 'shirt']);
    expect(ids(result.hits)).toEqual(['b']);
    expect(result.terms.map((t) => t.term)).toEqual(['wool']);
  });
  it('drops terms that match nothing first', () => {
    const result = index.search({ query: 'red zzzz' });
    expect(result.droppedTerms).toEqual(['zzzz']);
    expect(sorted(ids(result.hits))).toEqual(['a', 'b', 'd']);
  });
  it('can be turned off, and keeps at least one term', () => {
    expect(index.search({ query: 'red wool shirt', fallback: false }).total).toBe(0);
    const none = index.search({ query: 'zzzz yyyy' });
    expect(none.total).toBe(0);
    expect(none.droppedTerms).toHaveLength(1);
  });
});
