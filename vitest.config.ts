import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (`main`) and ESM (`module`) builds. Node
    // loads the CommonJS one for our dependencies; make Vite load the same
    // for our own files, or the schema would mix two copies of graphql.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more workers only contend for them and for the databases.
    maxWorkers: 2,
    // `npm test` runs both; `npm run test:app` and `npm run test:process` run one each.
    projects: [
      {
        extends: true,
        test: {
          name: 'app',
          // In-process: the server through `server.fetch`, services and tools as modules.
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.process.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'process',
          // Real processes: the server, the CLIs and the examples spawned as a user would run them.
          include: ['test/**/*.process.test.ts'],
        },
      },
    ],
  },
});
