// Chromium dials a Node masternode over WebSockets + Noise (issue 10, point 10): the page's own
// libp2p host (the browser shell, plain ws:// allowed to loopback) handshakes as a light client,
// opens the wallet stream, subscribes to two addresses, signs and submits a payment, and receives
// the payer's coin SpentFinalized with its certificate — which the light client checks in the page
// against the genesis committee, and the test checks again here with the core's verifier. The
// masternodes run in Node, started and stopped through a Vitest browser command.
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commands } from 'vitest/browser'
import { createBrowserHost } from '../../src/browser/net/host.ts'
import {
  equalBytes,
  LightClient,
  type LightClientEvent,
  verifyCertificate,
} from '../../src/core/index.ts'
import { WalletClient } from '../../src/core/net/index.ts'
import { browserFx, browserOwners, browserPayment } from '../support/browser-wallet-fixture.ts'
import { GENESIS_HASH, payloadOf } from '../support/ledger-fixture.ts'
import { PeerRole, peerHandshake } from '../support/peer-handshake.ts'

declare module 'vitest/browser' {
  interface BrowserCommands {
    walletDevnet: (action: 'start' | 'stop') => Promise<{ readonly address: string } | undefined>
  }
}

/** Resolves once `ready()` holds; rejects with `what` after `ms`. */
async function until(ready: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms
  while (!ready()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

let address: string
const stops: (() => Promise<void>)[] = []

beforeAll(async () => {
  const devnet = await commands.walletDevnet('start')
  if (devnet === undefined) throw new Error('no devnet')
  address = devnet.address
}, 60_000)

afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
  await commands.walletDevnet('stop')
}, 30_000)

describe('a light wallet in Chromium', () => {
  it('dials a Node masternode over WebSockets + Noise, is pushed a payment and verifies its certificate in the page', async () => {
    const host = await createBrowserHost({
      allowInsecureLoopback: true,
      services: { handshake: peerHandshake(PeerRole.LightClient) },
    })
    stops.push(async () => {
      await host.stop()
    })
    const client = new LightClient({
      genesisHash: GENESIS_HASH,
      genesisCommittee: browserFx.committee,
    })
    const wallet = new WalletClient({ network: 'devnet', client })
    stops.push(() => wallet.close())
    const events: LightClientEvent[] = []
    wallet.addEventListener('event', (e) => events.push(e.detail))
    const [payer, payee] = [payloadOf(browserOwners[0]!), payloadOf(browserOwners[1]!)]
    wallet.subscribe([payer, payee])

    const connection = await host.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) })
    expect(connection.remoteAddr.toString()).toContain('/ws')
    expect(connection.encryption).toBe('/noise')
    await wallet.connect(connection, { handshake: host.services.handshake })
    await until(() => client.isSynced(payer) && client.isSynced(payee), 'both addresses in step')

    // Signed here, in the page; the masternode admits it and the committee finalizes it.
    const payment = browserPayment()
    const requestId = wallet.submit(payment.tx)
    await until(
      () => events.some((e) => e.type === 'submitted' && e.requestId === requestId),
      'the submit result',
    )
    expect(events.find((e) => e.type === 'submitted')).toMatchObject({ error: null })
    const coin = browserFx.coin(0).outpoint
    const isFinal = (e: LightClientEvent) =>
      e.type === 'utxo' &&
      e.held.utxo.state.kind === 'SpentFinalized' &&
      equalBytes(e.held.utxo.outpoint.txid, coin.txid)
    await until(() => events.some(isFinal), 'the payer coin SpentFinalized')
    expect(events.filter((e) => e.type === 'refused')).toEqual([])

    // The light client applied it only after checking the certificate; check it once more here.
    const final = events.find(isFinal)
    if (final?.type !== 'utxo' || final.held.utxo.proof.kind !== 'finality')
      throw new Error('no finality proof')
    expect(final.held.proven).toBe(true)
    const { certificate, tx } = final.held.utxo.proof
    expect(equalBytes(certificate.txid, payment.txid)).toBe(true)
    const { weight } = await verifyCertificate(certificate, browserFx.committee, {
      genesisHash: GENESIS_HASH,
    })
    expect(weight).toBeGreaterThanOrEqual(browserFx.committee.threshold)
    expect(tx.inputs[0]!.outpoint.vout).toBe(coin.vout)
    // The payee's new output arrives final too, proven by the same certificate.
    await until(
      () =>
        client
          .outputs(payee)
          .some((h) => equalBytes(h.utxo.outpoint.txid, payment.txid) && h.proven),
      'the payee output',
    )
  }, 60_000)
})
