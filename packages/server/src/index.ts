/**
 * `@souk/server`: Souk's HTTP API (fastify) over `@souk/engine` — feedback events, items,
 * search, recommendations, similar items, profiles, erasure, inventory, background retraining,
 * health, Prometheus metrics and an OpenAPI document.
 * @packageDocumentation
 */
export { createApp } from './app.js';
export { startServer, type RunningServer } from './start.js';
export { autoReadWorkers, parseServerArgs, SERVER_USAGE, type ParsedServerArgs } from './args.js';
export { ApiKeyring, hashApiKey, API_KEY_SCOPES, type ApiKeyScope, type ApiKeyDigest, type ApiKeyPlain } from './auth.js';
export { createLogger, redactUserIds, type LoggerOptions } from './logging.js';
export { ServerError, type ServerErrorCode, type ErrorBody } from './errors.js';
export { DEFAULT_BODY_LIMIT, DEFAULT_HEAP_GROWTH_PERCENT, type AppOptions, type ServerOptions, type LogLevel } from './options.js';
export { MAX_K, MAX_OFFSET, MAX_QUERY_CHARS, MAX_BATCH } from './schemas.js';
export type { SoukApp, RouteScope } from './context.js';
