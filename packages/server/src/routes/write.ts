/**
 * Write routes (scope `write`): events, items, erasure.
 * @packageDocumentation
 */
import { EngineError } from '@souk/engine';
import { KEY_SECURITY, type RouteContext, type SoukApp } from '../context.js';
import { EraseResult, EventsBody, EventsResult, IdParams, ItemsBody, ItemsResult, errorResponses } from '../schemas.js';

/** Registers `POST /v1/events`, `POST /v1/items` and `DELETE /v1/users/:id`. */
export function registerWriteRoutes(app: SoukApp, { engine, metrics }: RouteContext): void {
  app.post('/v1/events', {
    config: { scope: 'write' },
    schema: {
      tags: ['write'],
      summary: 'Store a batch of feedback events',
      description: 'Validates each event (bad rows are reported under `rejected`, not stored), stores the rest and updates profiles and fold-in vectors. Answers 200 only once the accepted events are durable. `batchId` makes retries idempotent.',
      security: KEY_SECURITY,
      body: EventsBody,
      response: { 200: EventsResult, ...errorResponses },
    },
  }, async (request) => {
    const { events, batchId } = request.body;
    const result = await engine.ingestEvents(events, batchId === undefined ? {} : { batchId });
    if (!result.duplicateBatch) metrics.observeIngest(result.accepted, result.rejected.length);
    return result;
  });

  app.post('/v1/items', {
    config: { scope: 'write' },
    schema: {
      tags: ['write'],
      summary: 'Add or replace catalog items',
      description: 'Each item is validated against the Item schema; bad rows are reported under `rejected`.',
      security: KEY_SECURITY,
      body: ItemsBody,
      response: { 200: ItemsResult, ...errorResponses },
    },
  }, async (request) => {
    const result = await engine.ingestItems(request.body.items);
    metrics.observeItems(result.inserted + result.updated);
    return result;
  });

  app.delete('/v1/users/:id', {
    config: { scope: 'write' },
    schema: {
      tags: ['write'],
      summary: "Erase a user (events, profile, factors)",
      description: 'Right to erasure: deletes the user\'s events, profile and latent factors; later training never sees them. Needs a `write` key. 404 ERR_UNKNOWN_USER when the user was never seen.',
      security: KEY_SECURITY,
      params: IdParams,
      response: { 200: EraseResult, ...errorResponses },
    },
  }, async (request) => {
    const result = await engine.eraseUser(request.params.id);
    if (result.eventsDeleted === 0 && !result.profileDeleted && !result.factorsDeleted) {
      throw new EngineError('ERR_UNKNOWN_USER', `Expected a known user for id but received ${JSON.stringify(request.params.id)}`);
    }
    return result;
  });
}
