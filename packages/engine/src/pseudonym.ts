/**
 * User-id pseudonymisation: with a secret, every user id is replaced by its HMAC-SHA-256 (hex)
 * before it is stored or kept in memory; without one, ids pass through unchanged.
 * @packageDocumentation
 */
import { createHmac } from 'node:crypto';
import { engineError } from './errors.js';

/** Shortest accepted secret, in bytes. */
export const MIN_SECRET_BYTES = 16;

/** Maps callers' user ids to the ids the engine stores. */
export class UserIdMapper {
  private readonly secret: Buffer | undefined;

  /** A mapper; `secret` (≥ 16 bytes of UTF-8) turns pseudonymisation on. */
  constructor(secret: string | undefined) {
    if (secret !== undefined && (typeof secret !== 'string' || Buffer.byteLength(secret) < MIN_SECRET_BYTES)) {
      throw engineError('ERR_ARGUMENT', `a secret of at least ${MIN_SECRET_BYTES} bytes`, 'pseudonymizeSecret', typeof secret === 'string' ? `${Buffer.byteLength(secret)} bytes` : secret);
    }
    this.secret = secret === undefined ? undefined : Buffer.from(secret);
  }

  /** Whether ids are pseudonymised. */
  get enabled(): boolean {
    return this.secret !== undefined;
  }

  /** The stored id of a caller's user id. */
  internal(user: string): string {
    return this.secret ? createHmac('sha256', this.secret).update(user).digest('hex') : user;
  }
}
