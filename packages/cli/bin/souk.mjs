#!/usr/bin/env node
// The `souk` command. The TypeScript build (dist/) comes from `tsc -b` (npm run setup / npm run demo).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/index.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('souk: the CLI is not built yet; run `npm run setup` (or `npx tsc -b packages/cli`) in the Souk repository first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
const code = await main(process.argv);
// `souk serve` keeps running until a signal; every other command ends here, even if a library
// left a handle open.
if (process.argv[2] !== 'serve' || code !== 0) process.stdout.write('', () => process.exit(code));
