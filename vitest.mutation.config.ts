import { defineConfig } from 'vitest/config'

// The tests StrykerJS runs against each mutant (`npm run mutation`, stryker.config.json): the
// Node project's unit and protocol-vector tests, and one seed of the simulator's committee-change
// scenario (test/mutation), which alone reaches the engine's epoch paths. Chromium runs the same
// unit files and adds no killing power; the whole simulator campaign (test/sim) takes minutes per
// test and would run again for every mutant it covers (docs/TESTING.md, "Mutation testing").
export default defineConfig({
  test: {
    name: 'node',
    environment: 'node',
    testTimeout: 30_000,
    include: [
      'test/unit/**/*.test.ts',
      'test/vectors/protocol.test.ts',
      'test/mutation/**/*.test.ts',
    ],
    // Tests that run none of the mutated files (a full run's coverage): they would only slow the
    // initial run and the static mutants, which run every test.
    exclude: [
      'address',
      'amount',
      'ed25519',
      'encoding',
      'ledger-codecs',
      'lthash',
      'storage-keys',
      'storage-memory',
      'store-version',
      'transaction',
      'utxo-codec',
      'verify-queue',
    ].map((name) => `test/unit/${name}.test.ts`),
  },
})
