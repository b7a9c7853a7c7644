import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Benchmarks run on purpose (not in the suite); dist holds compiled copies of the tests.
    exclude: [...configDefaults.exclude, 'dist/**', 'test/bench/**'],
    // One private Mosquitto and InfluxDB for the whole run; see test/global-setup.ts.
    globalSetup: ['test/global-setup.ts'],
    // Child processes rather than threads: tests start daemons and handle signals, which needs a
    // real process per worker.
    pool: 'forks',
    // Integration tests start real servers and wait for network round trips.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 15_000,
  },
});
