// One vitest config for the whole workspace. Tests import packages by name; the aliases point
// them at the TypeScript sources so no build is needed to test. `pool: 'forks'` because the
// native addon is loaded (CONVENTIONS.md 19).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string, entry = 'index.ts') =>
  fileURLToPath(new URL(`./packages/${name}/src/${entry}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@souk\/kernels\/reference$/, replacement: pkg('kernels', 'reference/index.ts') },
      { find: /^@souk\/kernels$/, replacement: pkg('kernels') },
      { find: /^@souk\/data$/, replacement: pkg('data') },
      { find: /^@souk\/models$/, replacement: pkg('models') },
      { find: /^@souk\/retrieval$/, replacement: pkg('retrieval') },
      { find: /^@souk\/profiles$/, replacement: pkg('profiles') },
      { find: /^@souk\/ranking$/, replacement: pkg('ranking') },
      { find: /^@souk\/engine$/, replacement: pkg('engine') },
      { find: /^@souk\/server$/, replacement: pkg('server') },
      { find: /^@souk\/cli$/, replacement: pkg('cli') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
