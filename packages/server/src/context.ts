/**
 * What every route module receives: the engine, the metrics, the resolved options, and the
 * type of the app (fastify with the TypeBox type provider).
 * @packageDocumentation
 */
import type { Engine } from '@souk/engine';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ServerMetrics } from './metrics.js';

/** Who may call a route: anyone, or a key with at least this scope. */
export type RouteScope = 'public' | 'read' | 'write' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scope the route needs (default `read`). */
    scope?: RouteScope;
  }
}

/** The fastify instance the server builds. */
export type SoukApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** Shared state of the route modules. */
export interface RouteContext {
  readonly engine: Engine;
  readonly metrics: ServerMetrics;
  /** True once shutdown has begun (health answers 503). */
  readonly isClosing: () => boolean;
}

/** OpenAPI security requirement of the routes that need a key. */
export const KEY_SECURITY: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiKeyHeader: [] }];
