/**
 * Options and help text shared by every command.
 * @packageDocumentation
 */
import { Option, type Command } from 'commander';
import { defaultDataDir } from './data-dir.js';
import { EXIT_CODES_HELP } from './errors.js';
import { nonNegative, nonNegativeInt, positiveInt } from './models.js';
import { processIo, type Io } from './output.js';

/** Flags every command has. */
export interface CommonFlags {
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/** Adds `--json` and `--quiet`. */
export function addOutputOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'print one machine-readable JSON document on stdout (logs and progress stay on stderr)')
    .option('-q, --quiet', 'no progress or log lines on stderr');
}

/** Adds `--data-dir`. */
export function addDataDirOption(cmd: Command): Command {
  return cmd.option('-d, --data-dir <dir>', 'Souk data directory (env SOUK_DATA_DIR)', defaultDataDir());
}

/** Adds the hyper-parameter options shared by train, evaluate and tune. */
export function addParamOptions(cmd: Command): Command {
  return cmd
    .option('--params <json>', 'hyper-parameters as a JSON object, e.g. \'{"factors":32,"alpha":10}\'')
    .option('--factors <n>', 'latent factors (ALS, BPR, MF)', positiveInt('--factors'))
    .option('--iterations <n>', 'iterations or epochs (ALS, BPR, MF)', positiveInt('--iterations'))
    .option('--regularization <x>', 'L2 regularisation (ALS, BPR, MF, EASE)', nonNegative('--regularization'))
    .option('--alpha <x>', 'confidence weight α in 1 + α·w (ALS)', nonNegative('--alpha'))
    .option('--learning-rate <x>', 'learning rate (BPR, MF)', nonNegative('--learning-rate'))
    .option('--neighbours <n>', 'neighbours per item (item-kNN)', positiveInt('--neighbours'))
    .option('--seed <n>', 'random seed', nonNegativeInt('--seed'));
}

/** Adds `--k`. */
export function addKOption(cmd: Command, defaultK = 10): Command {
  return cmd.addOption(new Option('-k, --k <n>', 'cut-off of the ranking metrics').argParser(positiveInt('--k')).default(defaultK));
}

/** Appends examples and the exit-code table to a command's `--help`. */
export function addExamples(cmd: Command, examples: readonly string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n${EXIT_CODES_HELP}\n`);
}

/** The Io of a command from its flags. */
export function ioOf(flags: CommonFlags): Io {
  return processIo(flags);
}
