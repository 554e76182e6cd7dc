/**
 * The server's errors and the single error shape every failure is answered with:
 * `{ "error": { "code": "ERR_…", "message": "…" } }`.
 * @packageDocumentation
 */
import { EngineError } from '@souk/engine';
import { SoukError } from '@souk/kernels';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** Stable codes the server itself answers with (engine codes pass through as they are). */
export type ServerErrorCode =
  | 'ERR_VALIDATION'
  | 'ERR_INVALID_JSON'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_FORBIDDEN'
  | 'ERR_NOT_FOUND'
  | 'ERR_SHUTTING_DOWN'
  | 'ERR_CONFIG'
  | 'ERR_INTERNAL';

/** An error raised by the server (bad configuration, or an HTTP failure with a status). */
export class ServerError extends SoukError<ServerErrorCode> {
  /** HTTP status to answer with. */
  readonly statusCode: number;

  constructor(code: ServerErrorCode, message: string, statusCode = 500) {
    super(code, message);
    this.name = 'ServerError';
    this.statusCode = statusCode;
  }
}

/** The body of every error response. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** HTTP status for each engine error code. */
const ENGINE_STATUS: Record<string, number> = {
  ERR_ARGUMENT: 400,
  ERR_UNKNOWN_ITEM: 404,
  ERR_UNKNOWN_USER: 404,
  ERR_BUSY: 409,
  ERR_CLOSED: 503,
  ERR_TRAINING: 409,
  ERR_STORE: 503,
};

/**
 * Codes of argument errors from the packages under the engine (retrieval, ranking) that describe
 * a bad request; answered with 400 and their own code should the engine let one through.
 */
const CLIENT_CODES = new Set(['ERR_ARGUMENT', 'ERR_FILTER', 'ERR_UNKNOWN_FILTER_FIELD', 'ERR_K_RANGE', 'ERR_EMPTY_QUERY']);

interface AjvIssue {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly params?: Record<string, unknown>;
  readonly message?: string;
  readonly data?: unknown;
}

const WHERE: Record<string, string> = { querystring: 'query parameter', body: 'body field', params: 'path parameter', headers: 'header' };

/** A readable message naming the field from the validator's first issue. */
export function validationMessage(issues: readonly AjvIssue[], context: string | undefined): string {
  const issue = issues[0];
  if (!issue) return 'The request is not valid';
  const where = WHERE[context ?? ''] ?? 'field';
  const path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const params = issue.params ?? {};
  if (issue.keyword === 'additionalProperties') {
    const extra = String(params.additionalProperty);
    const name = path ? `${path}.${extra}` : extra;
    return `Unknown ${where} ${name}`;
  }
  if (issue.keyword === 'required') {
    const missing = String(params.missingProperty);
    return `Missing ${where} ${path ? `${path}.${missing}` : missing}`;
  }
  if (!path && context === 'body') return `Expected a JSON object as the request body (${issue.message ?? 'not valid'})`;
  const field = path || '(request)';
  return `Invalid ${where} ${field}: ${issue.message ?? 'is not valid'}${received(issue.data)}`;
}

/** ` (received …)` for a scalar the validator saw, shortened; nothing for objects. */
function received(data: unknown): string {
  if (data === undefined || (typeof data === 'object' && data !== null)) return '';
  const text = typeof data === 'string' ? JSON.stringify(data.length > 40 ? `${data.slice(0, 40)}…` : data) : String(data);
  return ` (received ${text})`;
}

/** Maps fastify's own error codes (body parsing, limits) onto the server's. */
const FASTIFY_CODES: Record<string, { status: number; code: ServerErrorCode; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'ERR_BODY_TOO_LARGE', message: 'Expected a request body of at most {limit} bytes' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE', message: 'Expected a body with Content-Type: application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'ERR_VALIDATION' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'ERR_INVALID_JSON', message: 'Expected a JSON body but the body was empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'ERR_INVALID_JSON' },
};

/** The status and body an error is answered with; `internal` says whether to log it as a server fault. */
export function toErrorResponse(error: unknown, bodyLimit: number): { status: number; body: ErrorBody; internal: boolean } {
  const err = error as FastifyError & { validationContext?: string };
  if (error instanceof EngineError) {
    const status = ENGINE_STATUS[error.code] ?? 500;
    if (status === 500) return internalError();
    if (error.code === 'ERR_STORE') {
      // The store's message can name files and SQL: log it, answer a retryable 503 without it.
      return { status, body: { error: { code: error.code, message: 'The store failed; nothing was acknowledged. Retry later.' } }, internal: true };
    }
    return { status, body: { error: { code: error.code, message: error.message } }, internal: false };
  }
  if (error instanceof ServerError) {
    if (error.statusCode === 500) return internalError();
    return { status: error.statusCode, body: { error: { code: error.code, message: error.message } }, internal: false };
  }
  if (err && Array.isArray(err.validation)) {
    return { status: 400, body: { error: { code: 'ERR_VALIDATION', message: validationMessage(err.validation as AjvIssue[], err.validationContext) } }, internal: false };
  }
  if (err && typeof err.code === 'string') {
    const mapped = FASTIFY_CODES[err.code];
    if (mapped) {
      const message = mapped.message?.replace('{limit}', String(bodyLimit)) ?? (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? `Expected a valid JSON body: ${err.message}` : err.message);
      return { status: mapped.status, body: { error: { code: mapped.code, message } }, internal: false };
    }
    if (CLIENT_CODES.has(err.code) && err instanceof Error) {
      return { status: 400, body: { error: { code: err.code, message: err.message } }, internal: false };
    }
  }
  // Other client errors fastify raised (malformed URL, bad header) keep their status, not their internals.
  const status = typeof err?.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500) return { status, body: { error: { code: status === 413 ? 'ERR_BODY_TOO_LARGE' : 'ERR_VALIDATION', message: err.message } }, internal: false };
  return internalError();
}

function internalError(): { status: number; body: ErrorBody; internal: boolean } {
  return { status: 500, body: { error: { code: 'ERR_INTERNAL', message: 'Internal server error; the request id in the x-request-id header locates it in the logs' } }, internal: true };
}

/**
 * The fastify error handler: one shape for every error, internals only in the log. Refusal
 * messages are logged only when `logMessages` (they can quote user ids).
 */
export function errorHandler(bodyLimit: number, logMessages: boolean) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const { status, body, internal } = toErrorResponse(error, bodyLimit);
    if (internal) request.log.error({ err: error, status }, 'request failed');
    else request.log[status >= 500 ? 'warn' : 'info']({ code: body.error.code, status, ...(logMessages ? { detail: body.error.message } : {}) }, 'request refused');
    return reply.status(status).send(body);
  };
}
