/**
 * Tests run against a real PostgreSQL: the one in DATABASE_URL, or an embedded server started
 * by the global setup. Each test file gets its own database, cloned from a migrated template.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  // Jest's node environment, sharing V8's code cache between a worker's files (see the file).
  testEnvironment: '<rootDir>/test/helpers/jest-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // jose is ESM-only: compile it too (Node's own require(esm) loads the embedded binaries).
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  testSequencer: '<rootDir>/test/helpers/sequencer.js',
  testTimeout: 120_000,
  // Test files spend much of their time waiting (on PostgreSQL, on child processes they start,
  // on a timeout they test), so one worker more than the cores keeps the cores busy.
  maxWorkers: Math.max(2, require('node:os').availableParallelism() + 1),
};
