/**
 * Locating the repository (workspace) root from the installed CLI, for commands that run the
 * repository's scripts (`souk bench`) or read its datasets folder.
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from './errors.js';

/** The workspace root (the folder with `pnpm-workspace.yaml`) above this file, or undefined. */
export function findRepoRoot(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let depth = 0; depth < 10; depth++) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/** The workspace root, or `ERR_RUNTIME` when the CLI runs outside a Souk checkout. */
export function requireRepoRoot(): string {
  const root = findRepoRoot();
  if (!root) throw new CliError('ERR_RUNTIME', 'Expected to run from a Souk repository checkout (a folder with pnpm-workspace.yaml above the CLI) but found none');
  return root;
}
