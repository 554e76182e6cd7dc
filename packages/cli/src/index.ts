/**
 * `@souk/cli`: the `souk` command — ingest, inventory, train, evaluate, tune, serve, bench and
 * the end-to-end demo. `bin/souk.mjs` calls {@link main}; the pieces are exported for scripts
 * and tests.
 * @packageDocumentation
 */
export { main, createProgram } from './program.js';
export { EXIT, EXIT_CODES_HELP, CliError, exitCodeOf, type ExitCode, type CliErrorCode } from './errors.js';
export { runDemo, DEMO_ALS_PARAMS, type DemoOptions, type DemoResult, type Comparison } from './demo/run.js';
export { SCALES, type DemoScale } from './demo/data.js';
export { table, displayWidth, sideBySide, formatNumber } from './output.js';
