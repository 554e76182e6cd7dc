/**
 * Operations routes (public): health, Prometheus metrics, the OpenAPI document.
 * @packageDocumentation
 */
import type { RouteContext, SoukApp } from '../context.js';
import { Health, HealthQuery, errorResponses } from '../schemas.js';

/** Registers `GET /healthz`, `GET /metrics` and `GET /docs/openapi.json`. */
export function registerOpsRoutes(app: SoukApp, { engine, metrics, isClosing }: RouteContext): void {
  app.get('/healthz', {
    config: { scope: 'public' },
    schema: {
      tags: ['ops'],
      summary: 'Liveness and readiness',
      description: 'Answers 200 while the process serves (liveness) with `ready` telling whether a trained model is loaded; with `?ready=true` it answers 503 until one is (readiness). 503 during shutdown.',
      querystring: HealthQuery,
      response: { 200: Health, 503: Health, ...errorResponses },
    },
  }, async (request, reply) => {
    const stats = engine.stats();
    const ready = stats.modelVersion !== undefined;
    const closing = isClosing();
    const status = closing ? 'shutting_down' : request.query.ready === true && !ready ? 'not_ready' : 'ok';
    return reply.status(status === 'ok' ? 200 : 503).send({
      status,
      ready,
      modelVersion: stats.modelVersion,
      modelName: stats.modelName,
      items: stats.items,
      users: stats.users,
      events: stats.events,
      backend: stats.backend,
      uptimeMs: stats.uptimeMs,
      ...(stats.reads ? { reads: { ...stats.reads, served: [...stats.reads.served] } } : {}),
    });
  });

  app.get('/metrics', {
    config: { scope: 'public' },
    schema: { tags: ['ops'], summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'] },
  }, async (_request, reply) => {
    const text = await metrics.render();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.get('/docs/openapi.json', {
    config: { scope: 'public' },
    schema: { tags: ['ops'], summary: 'This OpenAPI 3.1 document' },
  }, async () => app.swagger());
}
