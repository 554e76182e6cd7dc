/**
 * Structured logs (pino): one JSON line per event — a request's line when it completes (method,
 * URL, status, response time) at `debug`, or at `warn` when it took a second or more — request
 * ids, and no user ids when user ids are pseudonymised.
 * @packageDocumentation
 */
import { pino, type Logger } from 'pino';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LogLevel } from './options.js';

const USER_PATH = /^(\/v1\/users\/)[^/?]+/;
const USER_PARAM = /([?&]user=)[^&]*/g;

/** The URL with user ids (path segment of `/v1/users/:id`, the `user` query parameter) replaced by `[redacted]`. */
export function redactUserIds(url: string): string {
  return url.replace(USER_PATH, '$1[redacted]').replace(USER_PARAM, '$1[redacted]');
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Level (default `info`). */
  readonly logLevel?: LogLevel;
  /** Destination (default stdout). */
  readonly logStream?: { write(line: string): unknown };
  /** Redact user ids from logged URLs. */
  readonly pseudonymized?: boolean;
}

/** The server's pino logger: request serializer without user ids when pseudonymised. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const pseudonymized = options.pseudonymized ?? false;
  return pino(
    {
      level: options.logLevel ?? 'info',
      serializers: {
        req: (request: FastifyRequest) => ({
          method: request.method,
          url: pseudonymized ? redactUserIds(request.url) : request.url,
          remoteAddress: request.ip,
        }),
        res: (reply: FastifyReply) => ({ statusCode: reply.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    options.logStream ?? pino.destination({ dest: 1, sync: true }),
  );
}
