/**
 * The term dictionary of a text index: term ↔ id, and a character trie over the terms for
 * bounded typo-tolerant lookup (optimal-string-alignment Damerau–Levenshtein distance, computed
 * one trie level at a time and pruned as soon as every cell of a row exceeds the allowed distance,
 * so the search visits only the trie paths within reach instead of scanning every term) and for
 * prefix completion.
 * @packageDocumentation
 */

interface TrieNode {
  children: Map<string, TrieNode> | undefined;
  termId: number;
}

/** A term found by {@link TermDictionary.fuzzy} with its edit distance to the query term. */
export interface FuzzyMatch {
  readonly termId: number;
  readonly distance: number;
}

/** Work done by one {@link TermDictionary.fuzzy} call (for tests and benchmarks). */
export interface FuzzySearchStats {
  /** Trie nodes whose edit-distance row was computed. */
  visitedNodes: number;
}

/** Term ↔ id mapping plus a trie for typo and prefix lookup. Terms are never removed. */
export class TermDictionary {
  private readonly ids = new Map<string, number>();
  private readonly list: string[] = [];
  private readonly root: TrieNode = { children: undefined, termId: -1 };
  private nodes = 1;

  /** Number of distinct terms. */
  get size(): number {
    return this.list.length;
  }

  /** The id of a term, or -1. */
  get(term: string): number {
    return this.ids.get(term) ?? -1;
  }

  /** The term with this id. */
  term(termId: number): string {
    return this.list[termId]!;
  }

  /** All terms in id order. */
  terms(): readonly string[] {
    return this.list;
  }

  /** Number of trie nodes (for tests and benchmarks: the upper bound of a fuzzy search's work). */
  get nodeCount(): number {
    return this.nodes;
  }

  /** The id of a term, adding it when new. */
  intern(term: string): number {
    const known = this.ids.get(term);
    if (known !== undefined) return known;
    const id = this.list.length;
    this.list.push(term);
    this.ids.set(term, id);
    let node = this.root;
    for (const ch of term) {
      node.children ??= new Map();
      let next = node.children.get(ch);
      if (!next) {
        next = { children: undefined, termId: -1 };
        node.children.set(ch, next);
        this.nodes++;
      }
      node = next;
    }
    node.termId = id;
    return id;
  }

  /**
   * Terms within `maxDistance` edits (insertion, deletion, substitution, transposition of two
   * adjacent characters) of `term`, the term itself excluded. Stops after `limit` matches. With
   * `keepFirstCharacter` only terms that start with the same character as `term` are searched
   * (about the alphabet's size fewer trie nodes; used for two-edit searches).
   * Cost is bounded by the trie nodes within reach: O(visited nodes × |term|).
   */
  fuzzy(term: string, maxDistance: number, limit: number, stats?: FuzzySearchStats, keepFirstCharacter = false): FuzzyMatch[] {
    const query = [...term];
    const n = query.length;
    const width = n + 1;
    const out: FuzzyMatch[] = [];
    if (maxDistance <= 0 || !this.root.children) return out;
    // One row per trie depth, reused along the walk: a term longer than n + maxDistance cannot
    // match (row[0] = depth), so depth never exceeds that.
    const rows = new Int32Array((n + maxDistance + 2) * width);
    for (let j = 0; j <= n; j++) rows[j] = j;
    const tooFar = maxDistance + 1;
    const walk = (node: TrieNode, ch: string, prevCh: string, depth: number) => {
      if (stats) stats.visitedNodes++;
      const row = depth * width;
      const prev = row - width;
      const prevPrev = prev - width;
      rows[row] = depth;
      let rowMin = depth;
      // Only cells within maxDistance of the diagonal can be ≤ maxDistance (Ukkonen's band).
      const from = Math.max(1, depth - maxDistance);
      const to = Math.min(n, depth + maxDistance);
      if (from > 1) rows[row + from - 1] = tooFar;
      for (let j = from; j <= to; j++) {
        const cost = query[j - 1] === ch ? 0 : 1;
        let v = rows[prev + j - 1]! + cost;
        const up = rows[prev + j]! + 1;
        if (up < v) v = up;
        const left = rows[row + j - 1]! + 1;
        if (left < v) v = left;
        if (depth > 1 && j > 1 && query[j - 1] === prevCh && query[j - 2] === ch) {
          const swap = rows[prevPrev + j - 2]! + 1;
          if (swap < v) v = swap;
        }
        if (v > tooFar) v = tooFar;
        rows[row + j] = v;
        if (v < rowMin) rowMin = v;
      }
      if (to < n) rows[row + to + 1] = tooFar;
      const distance = to === n ? rows[row + n]! : tooFar;
      if (node.termId >= 0 && distance <= maxDistance && distance > 0) out.push({ termId: node.termId, distance });
      if (rowMin > maxDistance || !node.children || depth >= n + maxDistance) return;
      for (const [nextCh, child] of node.children) {
        if (out.length >= limit) return;
        walk(child, nextCh, ch, depth + 1);
      }
    };
    if (keepFirstCharacter) {
      const child = n > 0 ? this.root.children.get(query[0]!) : undefined;
      if (child) walk(child, query[0]!, '', 1);
      return out;
    }
    for (const [ch, child] of this.root.children) {
      if (out.length >= limit) break;
      walk(child, ch, '', 1);
    }
    return out;
  }

  /** Ids of terms that start with `prefix` (the prefix itself included when it is a term), at most `limit`. */
  completions(prefix: string, limit: number): number[] {
    let node: TrieNode | undefined = this.root;
    for (const ch of prefix) {
      node = node.children?.get(ch);
      if (!node) return [];
    }
    // Breadth first: shorter completions (closer to what was typed) come first.
    const out: number[] = [];
    const queue: TrieNode[] = [node];
    for (let head = 0; head < queue.length && out.length < limit; head++) {
      const current = queue[head]!;
      if (current.termId >= 0) out.push(current.termId);
      if (current.children) for (const child of current.children.values()) queue.push(child);
    }
    return out;
  }
}
