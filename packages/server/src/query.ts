/**
 * Turns the flat query parameters of the GET routes into the engine's structured options.
 * @packageDocumentation
 */
import type { SearchOptions } from '@souk/engine';
import { ServerError } from './errors.js';

/** Price band edges used when `facets=priceBands` comes without `priceEdges`. */
export const DEFAULT_PRICE_EDGES: readonly number[] = [0, 10, 25, 50, 100, 250, 500, 1000];

type Filters = NonNullable<SearchOptions['filters']>;
type Facets = NonNullable<SearchOptions['facets']>;

/**
 * Splits a category path written `A>B>C` (spaces around `>` are ignored).
 * @throws ServerError `ERR_VALIDATION` (400) when no segment is left.
 */
export function parseCategoryPath(text: string, param: string): string[] {
  const path = text.split('>').map((s) => s.trim()).filter((s) => s.length > 0);
  if (path.length === 0) throw new ServerError('ERR_VALIDATION', `Invalid query parameter ${param}: expected a category path like A>B>C but received ${JSON.stringify(text)}`, 400);
  return path;
}

/** Brand names from repeated parameters and comma lists. */
export function parseBrands(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** The flat filter parameters shared by the GET routes. */
export interface FilterQuery {
  readonly category?: string;
  readonly brand?: readonly string[];
  readonly priceMin?: number;
  readonly priceMax?: number;
  readonly inStock?: boolean;
}

/** The engine filter for flat parameters, or undefined when none is given. */
export function filtersFromQuery(query: FilterQuery): Filters | undefined {
  const filters: { -readonly [K in keyof Filters]: Filters[K] } = {};
  if (query.category !== undefined) filters.category = parseCategoryPath(query.category, 'category');
  if (query.brand !== undefined) {
    const brands = parseBrands(query.brand);
    if (brands.length > 0) filters.brand = brands;
  }
  if (query.priceMin !== undefined || query.priceMax !== undefined) {
    filters.price = { ...(query.priceMin !== undefined ? { min: query.priceMin } : {}), ...(query.priceMax !== undefined ? { max: query.priceMax } : {}) };
  }
  if (query.inStock !== undefined) filters.inStock = query.inStock;
  return Object.keys(filters).length > 0 ? filters : undefined;
}

/** The facet request for `facets=brands,categories,priceBands` and `priceEdges=0,10,…`. */
export function facetsFromQuery(facets: string | undefined, priceEdges: string | undefined): Facets | undefined {
  if (facets === undefined) return undefined;
  const names = new Set(facets.split(','));
  const edges = priceEdges === undefined ? [...DEFAULT_PRICE_EDGES] : priceEdges.split(',').map(Number);
  if (edges.some((e, i) => i > 0 && e <= edges[i - 1]!)) {
    throw new ServerError('ERR_VALIDATION', `Invalid query parameter priceEdges: expected strictly ascending numbers but received ${priceEdges}`, 400);
  }
  return {
    ...(names.has('brands') ? { brands: true } : {}),
    ...(names.has('categories') ? { categories: true } : {}),
    ...(names.has('priceBands') ? { priceBands: edges } : {}),
  };
}

/** Copies the keys of `source` whose value is defined (so engine defaults apply to the rest). */
export function defined<T extends object>(source: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(source)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  return out;
}
