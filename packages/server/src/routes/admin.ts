/**
 * Admin routes (scope `admin`): inventory report, retraining.
 * @packageDocumentation
 */
import { KEY_SECURITY, type RouteContext, type SoukApp } from '../context.js';
import { InventoryResult, RetrainBody, RetrainJob, RetrainStatus, errorResponses } from '../schemas.js';
import { defined } from '../query.js';

/** Registers `GET /v1/inventory`, `POST /v1/admin/retrain` and `GET /v1/admin/retrain`. */
export function registerAdminRoutes(app: SoukApp, { engine, metrics }: RouteContext): void {
  app.get('/v1/inventory', {
    config: { scope: 'admin' },
    schema: {
      tags: ['admin'],
      summary: 'The data inventory report (JSON)',
      description: 'Row counts, distinct users and items, density, long tail, activity, field quality, cleaning and quarantine, time coverage. Needs an `admin` key.',
      security: KEY_SECURITY,
      response: { 200: InventoryResult, ...errorResponses },
    },
  }, async () => engine.inventory());

  app.post('/v1/admin/retrain', {
    config: { scope: 'admin' },
    schema: {
      tags: ['admin'],
      summary: 'Start retraining in the background',
      description: 'Answers 202 with the queued job; poll GET /v1/admin/retrain. The new model replaces the old one atomically when the job succeeds. 409 ERR_BUSY while a job runs. The body is optional.',
      security: KEY_SECURITY,
      body: RetrainBody,
      response: { 202: RetrainJob, ...errorResponses },
    },
    preValidation: async (request) => {
      if (request.body === undefined || request.body === null) (request as { body: unknown }).body = {};
    },
  }, async (request, reply) => {
    const job = await engine.retrain(defined(request.body ?? {}));
    void engine.waitForRetrain().then((done) => metrics.observeRetrain(done), () => undefined);
    return reply.status(202).send(job);
  });

  app.get('/v1/admin/retrain', {
    config: { scope: 'admin' },
    schema: {
      tags: ['admin'],
      summary: 'The current or last retraining job',
      security: KEY_SECURITY,
      response: { 200: RetrainStatus, ...errorResponses },
    },
  }, async () => {
    const job = engine.retrainStatus();
    metrics.observeRetrain(job);
    return { job: job ?? null };
  });
}
