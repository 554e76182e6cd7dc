#!/usr/bin/env node
// souk-server: Souk's HTTP API over an engine data directory. Flags: `souk-server --help`.
import { parseServerArgs, startServer, SERVER_USAGE } from '../dist/index.js';

let parsed;
try {
  parsed = parseServerArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
if (parsed.help) {
  process.stdout.write(`${SERVER_USAGE}\n`);
  process.exit(0);
}
try {
  const server = await startServer(parsed.options);
  process.stdout.write(`souk server listening on ${server.url}\n`);
} catch (error) {
  process.stderr.write(`souk-server: ${error.code ? `${error.code}: ` : ''}${error.message}\n`);
  process.exit(1);
}
