/**
 * The `souk` program: commander setup, the commands, and {@link main}, which maps every outcome
 * to a documented exit code.
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerDemo } from './commands/demo.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerIngest } from './commands/ingest.js';
import { registerInventory } from './commands/inventory.js';
import { registerServe } from './commands/serve.js';
import { registerTrain } from './commands/train.js';
import { registerTune } from './commands/tune.js';
import { EXIT, EXIT_CODES_HELP, exitCodeOf, type ExitCode } from './errors.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Builds the `souk` command with every subcommand. Errors are thrown (exitOverride), never `process.exit`. */
export function createProgram(): Command {
  const program = new Command('souk')
    .description('Souk: e-commerce search and recommendation — ingest data, report its inventory, train and evaluate recommenders, serve them over HTTP.')
    .version(version, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false });
  registerIngest(program);
  registerInventory(program);
  registerTrain(program);
  registerEvaluate(program);
  registerTune(program);
  registerServe(program);
  registerBench(program);
  registerDemo(program);
  program.addHelpText(
    'after',
    `
Examples:
  $ souk demo                                   # the end-to-end demo on a synthetic shop
  $ souk ingest -d shop --items items.jsonl --events events.csv
  $ souk inventory -d shop --html inventory.html
  $ souk evaluate -d shop --model als,item-knn,popularity
  $ souk train -d shop --model als && souk serve -d shop --port 8080

Every command takes --json (one JSON document on stdout; progress and logs on stderr) and --help.
${EXIT_CODES_HELP}
`,
  );
  return program;
}

/** Commander error codes that are not failures. */
const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.version']);

/**
 * Runs the program on `argv` (node's form: `[node, script, ...args]`) and resolves with the exit
 * code; foreseen failures print one `souk: <message>` line on stderr (and, with `--json`, an
 * `{"error": {code, message}}` document on stdout).
 */
export async function main(argv: readonly string[] = process.argv): Promise<ExitCode> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) return COMMANDER_OK.has(error.code) ? EXIT.ok : EXIT.usage;
    const exitCode = exitCodeOf(error);
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`souk: ${message}${typeof code === 'string' ? ` [${code}]` : ''}\n`);
    if (exitCode === EXIT.failure && process.env.SOUK_DEBUG && error instanceof Error && error.stack) process.stderr.write(error.stack + '\n');
    if (argv.includes('--json')) process.stdout.write(JSON.stringify({ error: { code: typeof code === 'string' ? code : 'ERR_UNEXPECTED', message, exitCode } }) + '\n');
    return exitCode;
  }
}
