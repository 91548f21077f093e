// Jest runs TypeScript as native ESM (ts-jest's ESM preset) because
// @kubernetes/client-node 2.x is ESM-only. Run with
// NODE_OPTIONS=--experimental-vm-modules (the Makefile and npm scripts do).
const esm = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testEnvironment: 'node',
  // The local stack's state (etcd writes *.snap files) is not the tests' snapshots.
  modulePathIgnorePatterns: ['<rootDir>/\\.stack/'],
};

/** @type {import('jest').Config} */
export default {
  projects: [
    {
      ...esm,
      displayName: 'unit',
      testMatch: ['<rootDir>/operator/**/*.test.ts'],
    },
    {
      ...esm,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      // testTimeout is global in jest; a per-project set-up file sets it instead.
      setupFilesAfterEnv: [
        '<rootDir>/test/harness/timeout-integration.ts',
        '<rootDir>/test/harness/control-plane.ts',
      ],
    },
    {
      ...esm,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      setupFilesAfterEnv: [
        '<rootDir>/test/harness/timeout-e2e.ts',
        '<rootDir>/test/harness/control-plane.ts',
      ],
    },
  ],
};
