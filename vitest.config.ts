import { playwright } from '@vitest/browser-playwright'
import { defineConfig } from 'vitest/config'

// Core unit tests and vectors run twice: once in Node, once in Debian's Chromium.
// Every vector file lives inside the repository (test/vectors/), so Vite serves it to Chromium
// without any file-system allowance beyond the project root.

const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const both = ['test/unit/**/*.test.ts', 'test/vectors/**/*.test.ts']

export default defineConfig({
  // Pre-bundle browser deps up front so Vite never reloads the page in the middle of a run.
  optimizeDeps: {
    include: [
      'idb',
      'fast-check',
      '@noble/ed25519',
      '@noble/hashes',
      'micro-packed',
      '@scure/base',
    ],
  },
  test: {
    testTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: [...both, 'test/node/**/*.test.ts', 'test/sim/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'chromium',
          include: [...both, 'test/browser/**/*.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: {
                executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
                args: chromiumFlags,
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
})
