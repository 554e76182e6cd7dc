/**
 * `souk serve`: the HTTP service (`@souk/server`) over a data directory, with the server's own
 * flags (`parseServerArgs`) and its graceful shutdown on SIGTERM / SIGINT.
 * @packageDocumentation
 */
import type { Command } from 'commander';
import { parseServerArgs, SERVER_USAGE, startServer } from '@souk/server';
import { addExamples, addOutputOptions, ioOf, type CommonFlags } from '../common.js';
import { defaultDataDir, requireDataDir } from '../data-dir.js';
import { emitJson, say } from '../output.js';

/** Registers `souk serve`. */
export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .summary('serve a data directory over HTTP')
    .description('Serve a data directory over HTTP: search, recommendations, similar items, profiles, events, inventory, retraining, /healthz, /metrics')
    .argument('[server-flags...]', 'flags of the server, listed below (-d is short for --data-dir; default $SOUK_DATA_DIR or ./souk-data)')
    .allowUnknownOption()
    .helpOption('-h, --help', 'show this help');
  addOutputOptions(cmd);
  cmd.addHelpText(
    'after',
    `\nServer flags:\n${SERVER_USAGE.split('\n').slice(2, -2).join('\n')}\n\nThe server's logs (pino, JSON lines; each request at debug level, slow ones at warn) go to stdout; with --json add --log-level warn (or silent) to keep stdout to the one document.\n`,
  );
  addExamples(cmd, [
    'souk serve --data-dir shop --port 8080 --api-key "$SOUK_KEY:admin"',
    'souk serve --data-dir shop --port 0 --log-level warn --json   # prints {"url": ...} once listening',
    'curl "http://127.0.0.1:8080/v1/search?q=wireless+earbuds&k=5"',
  ]);
  cmd.action(async (serverFlags: string[], flags: CommonFlags) => {
    const io = ioOf(flags);
    // `-d` is the CLI's short form of --data-dir; the server's parser knows only the long one.
    const given = serverFlags.map((f) => (f === '-d' ? '--data-dir' : f));
    const argv = given.some((f) => f === '--data-dir' || f.startsWith('--data-dir=')) || process.env.SOUK_DATA_DIR ? given : ['--data-dir', defaultDataDir(), ...given];
    const parsed = parseServerArgs(argv);
    if (parsed.help) {
      cmd.outputHelp();
      return;
    }
    if (parsed.options.dataDir !== ':memory:') requireDataDir(parsed.options.dataDir);
    const server = await startServer(parsed.options);
    emitJson(io, { url: server.url, port: server.port, dataDir: parsed.options.dataDir });
    say(io, `souk server listening on ${server.url} (data ${parsed.options.dataDir}); stop with Ctrl-C`);
  });
}
