import { playwright } from '@vitest/browser-playwright'
import { defineConfig } from 'vitest/config'
import type { BrowserCommand } from 'vitest/node'

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

/**
 * A devnet of Node masternodes for the Chromium wallet test (test/browser/wallet-network.test.ts):
 * the page asks for it through this command, which runs in Node. Loaded on first use only, so a run
 * without that test never starts libp2p here.
 */
const walletDevnet: BrowserCommand<['start' | 'stop']> = async (_context, action) => {
  const url = new URL('./test/support/browser-wallet-devnet.ts', import.meta.url).href
  const devnet = (await import(url)) as typeof import('./test/support/browser-wallet-devnet.ts')
  return action === 'start' ? devnet.startWalletDevnet() : devnet.stopWalletDevnet()
}

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
      // The browser host, for the wallet test that dials a Node masternode.
      'libp2p',
      '@libp2p/identify',
      '@libp2p/interface',
      '@libp2p/noise',
      '@libp2p/ping',
      '@libp2p/utils',
      '@libp2p/websockets',
      '@libp2p/yamux',
      '@multiformats/multiaddr',
      'uint8arraylist',
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
        // Real masternode processes (test/integration): after the other projects, one file at a
        // time, so a few processes per file never compete with the rest of the suite for cores.
        extends: true,
        test: {
          name: 'integration',
          environment: 'node',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 180_000,
          hookTimeout: 180_000,
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
            commands: { walletDevnet },
          },
        },
      },
    ],
  },
})
