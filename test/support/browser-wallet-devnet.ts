// Node side of the Chromium wallet test, reached through a Vitest browser command (vitest.config.ts):
// starts four masternodes listening on loopback WebSockets, the first serving the wallet protocol,
// and stops them. One devnet at a time; `stop` is idempotent.
import { MemoryPeerBook } from '../../src/core/net/index.ts'
import { BROWSER_CHAIN, browserFx } from './browser-wallet-fixture.ts'
import { addressesOf, startCommittee, stopCluster } from './net-engines.ts'

let running: { readonly address: string } | undefined

export async function startWalletDevnet(): Promise<{ readonly address: string }> {
  if (running !== undefined) return running
  const nodes = await startCommittee(
    {
      transport: 'ws',
      committee: browserFx.committee,
      genesis: browserFx.genesis,
      chain: BROWSER_CHAIN,
      book: new MemoryPeerBook(),
    },
    browserFx.masternodes,
    (i) => (i === 0 ? { wallet: {} } : {}),
  )
  running = { address: addressesOf(nodes[0]!.host, 'ws')[0]!.toString() }
  return running
}

export async function stopWalletDevnet(): Promise<void> {
  running = undefined
  await stopCluster()
}
