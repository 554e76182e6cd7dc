/**
 * {@link createApp}: the fastify application over an open engine.
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { EventSchema, ItemSchema } from '@souk/data';
import type { Engine } from '@souk/engine';
import { ApiKeyring, presentedKey } from './auth.js';
import type { RouteContext, SoukApp } from './context.js';
import { ServerError, errorHandler } from './errors.js';
import { createLogger } from './logging.js';
import { ServerMetrics } from './metrics.js';
import { DEFAULT_BODY_LIMIT, type AppOptions } from './options.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerOpsRoutes } from './routes/ops.js';
import { registerReadRoutes } from './routes/read.js';
import { registerWriteRoutes } from './routes/write.js';
import { sharedSchemas } from './schemas.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Marks an app as shutting down (health then answers 503). */
const closingApps = new WeakSet<object>();

/** Tells the app that shutdown has begun. */
export function markClosing(app: object): void {
  closingApps.add(app);
}

/** Requests slower than this are logged at `warn` (the others at `debug`). */
export const SLOW_REQUEST_MS = 1000;

/**
 * Builds the HTTP application over an open engine: routes, schemas, auth, errors, metrics and
 * the OpenAPI document. The caller listens (`app.listen`) and closes; closing the app does not
 * close the engine.
 */
export async function createApp(engine: Engine, options: AppOptions = {}): Promise<SoukApp> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024) throw new ServerError('ERR_CONFIG', `Expected an integer of at least 1024 for bodyLimit but received ${bodyLimit}`);
  const keyring = new ApiKeyring(options.apiKeyHashes, options.apiKeys);
  const pseudonymized = options.pseudonymized ?? false;

  const app = fastify({
    bodyLimit,
    routerOptions: { maxParamLength: 512 },
    trustProxy: options.trustProxy ?? false,
    requestIdHeader: false,
    return503OnClosing: false, // answered in onRequest, in the server's error shape
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    loggerInstance: (options.logger ?? createLogger({ ...options, pseudonymized })) as FastifyBaseLogger,
    // One line per request, written when it completes (below), instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false, verbose: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const metrics = new ServerMetrics(engine, options.processMetrics ?? true);
  const context: RouteContext = { engine, metrics, isClosing: () => closingApps.has(app) };

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Souk API', version, description: 'Search, recommendations, profiles and feedback events over the Souk engine.' },
      tags: [
        { name: 'write', description: 'Needs a key with scope write' },
        { name: 'read', description: 'Open unless the server requires read keys' },
        { name: 'admin', description: 'Needs a key with scope admin' },
        { name: 'ops', description: 'Health, metrics' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <key>' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  for (const schema of [...sharedSchemas, EventSchema, ItemSchema]) app.addSchema(schema);

  // JSON only: no text/plain parser (415 instead), and an empty JSON body reads as no body.
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') done(null, undefined);
    else parseJson(request, text, done);
  });

  app.setErrorHandler(errorHandler(bodyLimit, !pseudonymized));
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'ERR_NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}` } });
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const scope = request.routeOptions.config?.scope ?? 'read';
    if (closingApps.has(app) && scope !== 'public') throw new ServerError('ERR_SHUTTING_DOWN', 'The server is shutting down; retry the request', 503);
    if (scope === 'public' || (scope === 'read' && !options.requireReadKey)) return;
    if (request.routeOptions.url === undefined) return; // unknown route: the 404 handler answers
    const check = keyring.check(presentedKey(request.headers), scope);
    if (!check.ok) throw new ServerError(check.code, check.message, check.status);
    request.log.debug({ key: check.name }, 'authorised');
  });

  // During shutdown, a request that was already in flight is answered and its connection closed,
  // so draining does not wait for clients' keep-alive timeouts.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closingApps.has(app)) reply.header('connection', 'close');
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    // Each request at debug level; at the default level only slow ones (the metrics count them all).
    if (reply.elapsedTime >= SLOW_REQUEST_MS) request.log.warn({ req: request, res: reply, responseTime: reply.elapsedTime }, 'slow request');
    else request.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });

  registerWriteRoutes(app, context);
  registerReadRoutes(app, context);
  registerAdminRoutes(app, context);
  registerOpsRoutes(app, context);
  return app;
}
