/**
 * {@link parseServerArgs}: command-line flags and environment of `souk-server` (and `souk serve`).
 * @packageDocumentation
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseKeyEntry, parseKeyList, type ApiKeyDigest, type ApiKeyPlain } from './auth.js';
import { ServerError } from './errors.js';
import { DEFAULT_HEAP_GROWTH_PERCENT, type LogLevel, type ServerOptions } from './options.js';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Usage text of the server's flags. */
export const SERVER_USAGE = `Usage: souk-server --data-dir <dir> [options]

  --data-dir <dir>              engine data directory (or SOUK_DATA_DIR; ':memory:' for a throw-away server)
  --host <host>                 interface to listen on (default 127.0.0.1)
  --port <n>                    port (default 8080; 0 picks a free one)
  --api-key <key[:scope]>       API key in plain text, hashed at startup; scope read|write|admin
                                (default admin); repeatable. Env SOUK_API_KEYS: comma list
  --api-key-hash <sha256[:scope]>  API key as its hex SHA-256 digest; repeatable.
                                Env SOUK_API_KEY_HASHES: comma list
  --require-read-key            read routes need a key with scope read or higher
  --pseudonymize-secret <s>     HMAC secret for user ids, at least 16 bytes (or SOUK_PSEUDONYMIZE_SECRET)
  --body-limit <bytes>          largest request body (default 1048576)
  --log-level <level>           fatal|error|warn|info|debug|trace|silent (default info)
  --read-workers <n|auto>       worker threads answering search and recommend, each with a copy of
                                the catalog state (default auto: one per core, at most 4, none on one
                                core; 0: all on the event loop; or SOUK_READ_WORKERS)
  --heap-growth <percent>       old-generation headroom between full garbage collections (default
                                300: the heap may reach 4x its live size; 0: V8's adaptive factor;
                                or SOUK_HEAP_GROWTH). Fewer full collections, fewer latency spikes
  --memory-reducer <on|off>     V8's memory reducer in the worker threads (default off: its watchdog
                                runs a full collection 100 s after the last one, in every read worker
                                at once; or SOUK_MEMORY_REDUCER). The event loop's own needs the Node
                                flag --no-memory-reducer
  -h, --help                    this text

Prints "souk server listening on http://host:port" when ready; SIGTERM/SIGINT shut down gracefully.`;

/** What {@link parseServerArgs} returns: server options, or a request for the usage text. */
export type ParsedServerArgs = { readonly help: true } | { readonly help: false; readonly options: ServerOptions };

function integer(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new ServerError('ERR_CONFIG', `Expected an integer in ${min}..${max} for ${flag} but received ${JSON.stringify(value)}`);
  return n;
}

/**
 * Read workers by default: one per core, at most 4 (0 on one core). The event loop's own share
 * (HTTP, checks, profiles) is small next to a search's; on 2 cores two workers served more than
 * one (see `pnpm bench service`).
 */
export function autoReadWorkers(cores = availableParallelism()): number {
  return cores < 2 ? 0 : Math.min(4, cores);
}

/**
 * Parses `souk-server` flags (see {@link SERVER_USAGE}) and the environment variables
 * `SOUK_DATA_DIR`, `SOUK_API_KEYS`, `SOUK_API_KEY_HASHES`, `SOUK_PSEUDONYMIZE_SECRET`,
 * `SOUK_READ_WORKERS`, `SOUK_HEAP_GROWTH`, `SOUK_MEMORY_REDUCER`.
 * Flags win over the environment for single values; keys from both are combined.
 * @throws ServerError `ERR_CONFIG` for unknown flags or bad values.
 */
export function parseServerArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): ParsedServerArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'data-dir': { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'api-key': { type: 'string', multiple: true },
        'api-key-hash': { type: 'string', multiple: true },
        'require-read-key': { type: 'boolean' },
        'pseudonymize-secret': { type: 'string' },
        'body-limit': { type: 'string' },
        'log-level': { type: 'string' },
        'read-workers': { type: 'string' },
        'heap-growth': { type: 'string' },
        'memory-reducer': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new ServerError('ERR_CONFIG', `${(error as Error).message}\n\n${SERVER_USAGE}`);
  }
  if (values.help) return { help: true };
  const dataDir = values['data-dir'] ?? env.SOUK_DATA_DIR;
  if (!dataDir) throw new ServerError('ERR_CONFIG', `Expected --data-dir <dir> (or SOUK_DATA_DIR) but received nothing\n\n${SERVER_USAGE}`);
  const logLevel = values['log-level'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) throw new ServerError('ERR_CONFIG', `Expected one of ${LOG_LEVELS.join(', ')} for --log-level but received ${JSON.stringify(logLevel)}`);

  const plain: ApiKeyPlain[] = [...(values['api-key'] ?? []).map(parseKeyEntry), ...parseKeyList(env.SOUK_API_KEYS ?? '')]
    .map(({ value, scopes }) => ({ key: value, scopes }));
  const hashes: ApiKeyDigest[] = [...(values['api-key-hash'] ?? []).map(parseKeyEntry), ...parseKeyList(env.SOUK_API_KEY_HASHES ?? '')]
    .map(({ value, scopes }) => ({ sha256: value, scopes }));
  const secret = values['pseudonymize-secret'] ?? env.SOUK_PSEUDONYMIZE_SECRET;

  const workers = values['read-workers'] ?? env.SOUK_READ_WORKERS ?? 'auto';
  const readWorkers = workers === 'auto' ? autoReadWorkers() : integer(workers, '--read-workers', 0, 64);

  const growth = values['heap-growth'] ?? env.SOUK_HEAP_GROWTH;
  const heapGrowthPercent = growth === undefined ? DEFAULT_HEAP_GROWTH_PERCENT : integer(growth, '--heap-growth', 0, 1000);

  const reducer = values['memory-reducer'] ?? env.SOUK_MEMORY_REDUCER ?? 'off';
  if (reducer !== 'on' && reducer !== 'off') throw new ServerError('ERR_CONFIG', `Expected on or off for --memory-reducer but received ${JSON.stringify(reducer)}`);

  const options: ServerOptions = {
    dataDir,
    heapGrowthPercent,
    memoryReducer: reducer === 'on',
    engine: { readWorkers },
    host: values.host ?? '127.0.0.1',
    port: values.port === undefined ? 8080 : integer(values.port, '--port', 0, 65535),
    apiKeys: plain,
    apiKeyHashes: hashes,
    requireReadKey: values['require-read-key'] ?? false,
    logLevel: logLevel as LogLevel,
    ...(values['body-limit'] === undefined ? {} : { bodyLimit: integer(values['body-limit'], '--body-limit', 1024, 1024 ** 3) }),
    ...(secret ? { pseudonymizeSecret: secret } : {}),
  };
  return { help: false, options };
}
