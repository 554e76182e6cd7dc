/**
 * API keys: held only as SHA-256 digests, compared in constant time, each with scopes.
 *
 * Scopes form a ladder: `admin` ⊇ `write` ⊇ `read`. A route names the scope it needs; a key
 * passes when its highest scope is at least that one.
 * @packageDocumentation
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ServerError } from './errors.js';

/** Scopes of an API key, lowest first. */
export const API_KEY_SCOPES = ['read', 'write', 'admin'] as const;
/** One of {@link API_KEY_SCOPES}. */
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** An API key as the server keeps it: the digest of the key, never the key. */
export interface ApiKeyDigest {
  /** SHA-256 of the key's UTF-8 bytes, 64 hex digits. */
  readonly sha256: string;
  /** What the key may do (default `['admin']`, which includes write and read). */
  readonly scopes?: readonly ApiKeyScope[];
  /** A label for logs (never the key). */
  readonly name?: string;
}

/** An API key given in plain text (hashed at once; the text is not kept). */
export interface ApiKeyPlain {
  readonly key: string;
  readonly scopes?: readonly ApiKeyScope[];
  readonly name?: string;
}

/** Largest accepted length of a presented key (longer headers are refused before hashing). */
export const MAX_API_KEY_LENGTH = 512;

/** Hex SHA-256 digest of a key, the form in which keys are configured and compared. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

interface StoredKey {
  readonly digest: Buffer;
  readonly rank: number;
  readonly name: string;
}

const rankOf = (scope: ApiKeyScope): number => API_KEY_SCOPES.indexOf(scope);

function checkScopes(scopes: readonly ApiKeyScope[] | undefined, where: string): number {
  const list = scopes ?? ['admin'];
  if (!Array.isArray(list) || list.length === 0) throw new ServerError('ERR_CONFIG', `Expected a non-empty list of scopes for ${where} but received ${JSON.stringify(scopes)}`);
  let rank = -1;
  for (const scope of list) {
    const r = rankOf(scope);
    if (r < 0) throw new ServerError('ERR_CONFIG', `Expected one of ${API_KEY_SCOPES.join(', ')} for the scope of ${where} but received ${JSON.stringify(scope)}`);
    rank = Math.max(rank, r);
  }
  return rank;
}

/** The outcome of checking a request's key against a required scope. */
export type KeyCheck = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly status: 401 | 403; readonly code: 'ERR_UNAUTHORIZED' | 'ERR_FORBIDDEN'; readonly message: string };

/** The set of configured keys (digests only). */
export class ApiKeyring {
  private readonly keys: StoredKey[] = [];

  /** Builds a keyring from digests and plain keys (plain keys are hashed here and dropped). */
  constructor(digests: readonly ApiKeyDigest[] = [], plain: readonly ApiKeyPlain[] = []) {
    digests.forEach((d, i) => {
      if (typeof d?.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(d.sha256)) {
        throw new ServerError('ERR_CONFIG', `Expected 64 hex digits (a SHA-256 digest) for apiKeyHashes[${i}] but received ${JSON.stringify(String(d?.sha256).slice(0, 80))}`);
      }
      this.keys.push({ digest: Buffer.from(d.sha256, 'hex'), rank: checkScopes(d.scopes, `apiKeyHashes[${i}]`), name: d.name ?? `key${this.keys.length + 1}` });
    });
    plain.forEach((p, i) => {
      if (typeof p?.key !== 'string' || p.key.length < 8 || p.key.length > MAX_API_KEY_LENGTH) {
        throw new ServerError('ERR_CONFIG', `Expected a key of 8 to ${MAX_API_KEY_LENGTH} characters for apiKeys[${i}] but received one of ${typeof p?.key === 'string' ? p.key.length : 0} characters`);
      }
      this.keys.push({ digest: Buffer.from(hashApiKey(p.key), 'hex'), rank: checkScopes(p.scopes, `apiKeys[${i}]`), name: p.name ?? `key${this.keys.length + 1}` });
    });
  }

  /** Number of configured keys. */
  get size(): number {
    return this.keys.length;
  }

  /**
   * Checks a presented key (or its absence) against the scope a route needs. Every configured
   * digest is compared (constant time per comparison, no early exit) so timing reveals nothing
   * about which key matched.
   */
  check(presented: string | undefined, needed: ApiKeyScope): KeyCheck {
    if (presented === undefined || presented === '') {
      const hint = this.keys.length === 0 ? ' (no API keys are configured on this server)' : '';
      return { ok: false, status: 401, code: 'ERR_UNAUTHORIZED', message: `This route needs an API key with scope ${needed}: send "Authorization: Bearer <key>" or "x-api-key: <key>"${hint}` };
    }
    if (presented.length > MAX_API_KEY_LENGTH) return { ok: false, status: 403, code: 'ERR_FORBIDDEN', message: 'The API key is not valid' };
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let match: StoredKey | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, digest) && match === undefined) match = key;
    }
    if (match === undefined) return { ok: false, status: 403, code: 'ERR_FORBIDDEN', message: 'The API key is not valid' };
    if (match.rank < rankOf(needed)) return { ok: false, status: 403, code: 'ERR_FORBIDDEN', message: `The API key lacks scope ${needed}` };
    return { ok: true, name: match.name };
  }
}

/** The key a request presents: `Authorization: Bearer <key>` first, then `x-api-key`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const header = headers['x-api-key'];
  if (typeof header === 'string') return header.trim();
  return undefined;
}

/**
 * Parses one key entry `value[:scope]` as given on the command line or in `SOUK_API_KEYS` /
 * `SOUK_API_KEY_HASHES`; the scope is `read`, `write` or `admin` (default `admin`). A suffix
 * after the last `:` that is not a scope belongs to the value.
 */
export function parseKeyEntry(entry: string): { value: string; scopes: ApiKeyScope[] } {
  const colon = entry.lastIndexOf(':');
  const scope = colon < 0 ? '' : entry.slice(colon + 1);
  if (rankOf(scope as ApiKeyScope) >= 0) return { value: entry.slice(0, colon), scopes: [scope as ApiKeyScope] };
  return { value: entry, scopes: ['admin'] };
}

/** Parses a comma-separated list of {@link parseKeyEntry} entries (empty entries are skipped). */
export function parseKeyList(text: string): Array<{ value: string; scopes: ApiKeyScope[] }> {
  return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(parseKeyEntry);
}
