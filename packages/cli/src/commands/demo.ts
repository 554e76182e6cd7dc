/**
 * `souk demo`: the end-to-end demo (see `../demo/run.ts`).
 * @packageDocumentation
 */
import { Option, type Command } from 'commander';
import { addExamples, addKOption, addOutputOptions, ioOf, type CommonFlags } from '../common.js';
import { runDemo, type DemoOptions } from '../demo/run.js';
import { positiveInt } from '../models.js';
import { emitJson } from '../output.js';

/** Flags of `souk demo`: the demo's options and the common ones. */
export interface DemoFlags extends CommonFlags, DemoOptions {}

/** Registers `souk demo`. */
export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .summary('the end-to-end demo: data, training, HTTP service, feedback, report')
    .description(
      'End-to-end demo: generate a bilingual synthetic shop (or load a public dataset), ingest it, report the inventory, evaluate and train ALS, ' +
        'serve it over HTTP, search (English, Chinese, filters and facets, a typo), recommend, post feedback and show what changes, then write an HTML report',
    )
    .addOption(new Option('--scale <size>', 'size of the synthetic shop: tiny (seconds), small, full (about a minute)').choices(['tiny', 'small', 'full']).default('full'))
    .option('--dataset <path>', 'a MovieLens or Amazon 2018 folder, or movielens | ml-100k | amazon under ../shared/datasets (or $SOUK_DATASETS), instead of the synthetic shop')
    .option('-d, --data-dir <dir>', 'data directory to build (default: a temporary one, removed afterwards)')
    .option('-o, --out <file>', 'HTML report to write', 'demo-report/index.html')
    .option('--port <n>', 'port of the HTTP service (default: a free one)', positiveInt('--port'))
    .option('--keep', 'keep the temporary folder with the generated files');
  addKOption(cmd);
  addOutputOptions(cmd);
  addExamples(cmd, [
    'souk demo',
    'souk demo --scale tiny --out /tmp/souk-demo.html',
    'souk demo --dataset movielens',
    'souk demo --dataset ../shared/datasets/amazon2018-magazine-subscriptions --data-dir amazon-data',
    'souk demo --scale small --json > demo.json',
  ]);
  cmd.action(async (flags: DemoFlags) => {
    const io = ioOf(flags);
    const result = await runDemo(io, {
      scale: flags.scale,
      out: flags.out,
      k: flags.k,
      ...(flags.dataset !== undefined ? { dataset: flags.dataset } : {}),
      ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
      ...(flags.port !== undefined ? { port: flags.port } : {}),
      ...(flags.keep ? { keep: true } : {}),
    });
    emitJson(io, result);
  });
}
