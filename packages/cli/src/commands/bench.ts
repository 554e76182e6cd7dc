/**
 * `souk bench <suite>`: runs the repository's benchmark harness (`node benchmarks/run.mjs`) and
 * lists the result files it wrote.
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { addExamples, addOutputOptions, ioOf, type CommonFlags } from '../common.js';
import { CliError } from '../errors.js';
import { emitJson, say } from '../output.js';
import { requireRepoRoot } from '../repo.js';

/** Benchmark suites of `benchmarks/run.mjs`. */
export const BENCH_SUITES = ['kernels', 'data', 'models', 'retrieval'] as const;

/** Files under `dir` (recursively) modified at or after `sinceMs`. */
function filesSince(dir: string, sinceMs: number): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesSince(path, sinceMs));
    else if (entry.isFile() && statSync(path).mtimeMs >= sinceMs) out.push(path);
  }
  return out.sort();
}

/** Registers `souk bench`. */
export function registerBench(program: Command): void {
  const cmd = program
    .command('bench')
    .summary('run a benchmark suite (kernels, data, models, retrieval)')
    .description(`Run a benchmark suite of the repository (${BENCH_SUITES.join(', ')}); results go to benchmarks/results/ as JSON and SVG`)
    .argument('<suite>', BENCH_SUITES.join(' | '))
    .argument('[args...]', 'options passed to the suite (e.g. --quick); put them after --')
    .allowUnknownOption();
  addOutputOptions(cmd);
  addExamples(cmd, ['souk bench kernels -- --quick', 'souk bench models -- --quick --json', 'souk bench retrieval --json -- --quick']);
  cmd.action(async (suite: string, args: string[], flags: CommonFlags) => {
    const io = ioOf(flags);
    if (!(BENCH_SUITES as readonly string[]).includes(suite)) cmd.error(`error: unknown suite ${JSON.stringify(suite)}; expected one of ${BENCH_SUITES.join(', ')}`, { exitCode: 2, code: 'souk.usage' });
    const root = requireRepoRoot();
    const started = Date.now() - 1000;
    const child = spawn(process.execPath, [join(root, 'benchmarks', 'run.mjs'), suite, ...args], { cwd: root, stdio: ['ignore', io.json ? 'pipe' : 'inherit', 'inherit'] });
    child.stdout?.pipe(process.stderr);
    const status = await new Promise<number>((resolvePromise, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
    });
    // Suites write to benchmarks/results/ unless given --out <dir>.
    const outAt = args.indexOf('--out');
    const resultsDir = outAt >= 0 && args[outAt + 1] ? resolve(root, args[outAt + 1]!) : join(root, 'benchmarks', 'results');
    const results = filesSince(resultsDir, started);
    emitJson(io, { suite, args, exitCode: status, results });
    if (status !== 0) throw new CliError('ERR_RUNTIME', `benchmark suite ${suite} exited with code ${status}`);
    say(io, results.length > 0 ? `Results of ${suite}:\n${results.map((r) => `  ${relative(process.cwd(), r).startsWith('..') ? r : relative(process.cwd(), r)}`).join('\n')}` : `The ${suite} suite wrote no result files under ${resultsDir}.`);
  });
}
