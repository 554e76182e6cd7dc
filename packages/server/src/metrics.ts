/**
 * Prometheus metrics (prom-client), one registry per app: HTTP requests by route and status,
 * latency histograms, events ingested and rejected, catalog and model gauges, retraining
 * durations, the search result cache's hits and misses, and the process metrics.
 * @packageDocumentation
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Engine, RetrainJob } from '@souk/engine';

/** Reads engine counters; a closed engine (during shutdown) leaves the gauges as they were. */
function readSafely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The server's metrics over one registry. */
export class ServerMetrics {
  /** The registry `/metrics` serialises. */
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route' | 'status'>;
  private readonly eventsIngested: Counter;
  private readonly eventsRejected: Counter;
  private readonly itemsIngested: Counter;
  private readonly retrainDuration: Histogram<'model' | 'state'>;
  private readonly observedJobs = new Set<string>();

  /** Creates the metrics; `processMetrics` adds Node's default process metrics (CPU, memory, event loop). */
  constructor(engine: Engine, processMetrics = true) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'souk_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'], registers });
    this.latency = new Histogram({
      name: 'souk_http_request_duration_seconds',
      help: 'HTTP request latency by method, route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.eventsIngested = new Counter({ name: 'souk_events_ingested_total', help: 'Events accepted (durable) through the API', registers });
    this.eventsRejected = new Counter({ name: 'souk_events_rejected_total', help: 'Events refused through the API', registers });
    this.itemsIngested = new Counter({ name: 'souk_items_ingested_total', help: 'Items inserted or updated through the API', registers });
    this.retrainDuration = new Histogram({
      name: 'souk_retrain_duration_seconds',
      help: 'Duration of finished retraining jobs',
      labelNames: ['model', 'state'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    const gauge = (name: string, help: string, read: (e: Engine) => number | undefined) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const value = readSafely(() => read(engine));
          if (value !== undefined) this.set(value);
        },
      });
    gauge('souk_items', 'Items in the catalog', (e) => e.stats().items);
    gauge('souk_users', 'Users known', (e) => e.stats().users);
    gauge('souk_events', 'Events stored', (e) => e.stats().events);
    // The engine's result-cache totals only grow; each scrape adds what grew since the last.
    const cacheCounter = (name: string, help: string, read: (c: { hits: number; misses: number }) => number) => {
      let seen = 0;
      new Counter({
        name,
        help,
        registers,
        collect() {
          const total = readSafely(() => read(engine.stats().searchCache));
          if (total !== undefined && total > seen) {
            this.inc(total - seen);
            seen = total;
          }
        },
      });
    };
    cacheCounter('souk_search_cache_hits_total', "Searches answered from the text index's result cache (all read workers)", (c) => c.hits);
    cacheCounter('souk_search_cache_misses_total', "Searches the text index's result cache could not answer (all read workers)", (c) => c.misses);
    const metrics = this;
    new Gauge({
      name: 'souk_model_trained_timestamp_seconds',
      help: 'When the active model was trained (absent before the first model)',
      labelNames: ['model', 'version'],
      registers,
      collect() {
        const stats = readSafely(() => engine.stats());
        this.reset();
        if (stats?.modelVersion !== undefined && stats.modelTrainedAt !== undefined) {
          this.set({ model: stats.modelName ?? 'unknown', version: stats.modelVersion }, stats.modelTrainedAt / 1000);
        }
      },
    });
    new Gauge({
      name: 'souk_model_info',
      help: 'The active model (value 1), labelled with its name and version',
      labelNames: ['model', 'version'],
      registers,
      collect() {
        const stats = readSafely(() => engine.stats());
        this.reset();
        if (!stats) return;
        if (stats.modelVersion !== undefined) this.set({ model: stats.modelName ?? 'unknown', version: stats.modelVersion }, 1);
        if (stats.retrain) metrics.observeRetrain(stats.retrain);
      },
    });
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Records one finished HTTP request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  /** Records an ingest answer. */
  observeIngest(accepted: number, rejected: number): void {
    if (accepted > 0) this.eventsIngested.inc(accepted);
    if (rejected > 0) this.eventsRejected.inc(rejected);
  }

  /** Records items written. */
  observeItems(written: number): void {
    if (written > 0) this.itemsIngested.inc(written);
  }

  /** Records a retraining job's duration once, when it has finished. */
  observeRetrain(job: RetrainJob | undefined): void {
    if (!job || job.finishedAt === undefined || this.observedJobs.has(job.id)) return;
    if (job.state !== 'succeeded' && job.state !== 'failed') return;
    this.observedJobs.add(job.id);
    this.retrainDuration.observe({ model: job.model, state: job.state }, Math.max(0, job.finishedAt - job.startedAt) / 1000);
  }

  /** The Prometheus text exposition. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }
}
