/**
 * A small HTTP client for the demo: JSON over `fetch`, with the request recorded for the
 * transcript and non-2xx answers turned into errors that carry the server's message.
 * @packageDocumentation
 */
import { CliError } from '../errors.js';

/** One recorded request. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query string. */
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  /** Request body (JSON), when any. */
  readonly body?: unknown;
}

/** A JSON client bound to a base URL and an API key. */
export class DemoClient {
  /** Every request made, in order. */
  readonly requests: RecordedRequest[] = [];

  /** A client of the service at `baseUrl` (`http://host:port`) sending `apiKey` as a bearer token. */
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  /** `GET path?params`. */
  async get<T>(path: string, params: Readonly<Record<string, string | number | boolean | undefined>> = {}): Promise<{ path: string; body: T }> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
    const full = query.size > 0 ? `${path}?${query.toString()}` : path;
    return { path: full, body: await this.request<T>('GET', full) };
  }

  /** `POST path` with a JSON body. */
  async post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${this.apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (cause) {
      throw new CliError('ERR_RUNTIME', `${method} ${path} failed: ${(cause as Error).message}`, { cause });
    }
    const text = await response.text();
    this.requests.push({ method, path, status: response.status, ms: performance.now() - started, ...(body !== undefined ? { body } : {}) });
    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      const detail = typeof parsed === 'object' && parsed !== null ? JSON.stringify(parsed) : String(parsed);
      throw new CliError('ERR_RUNTIME', `${method} ${path} answered ${response.status}: ${detail.slice(0, 500)}`);
    }
    return parsed as T;
  }
}
