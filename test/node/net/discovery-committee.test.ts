// Discovery feeding the committee links (src/core/net/discovery with committee-links): four
// masternodes whose only address book is discovery's — three given the first one's address alone —
// find each other by peer exchange, learn each other's keys from handshakes, link as a committee
// and finalize a payment; when a member restarts on the same identity and address, knowing no one,
// the others dial it again at the address their books hold. Every wait is bounded; every host and
// store is stopped after each test.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from 'vitest'
import { bytesToHex, MemoryStore } from '../../../src/core/index.ts'
import { LinkState, MemoryPeerBook } from '../../../src/core/net/index.ts'
import { engineFixture } from '../../support/engine-fixture.ts'
import { keyPair, spend } from '../../support/ledger-fixture.ts'
import {
  linked,
  type Masternode,
  memoryName,
  startMasternode,
  stopCluster,
  stopMasternode,
  until,
} from '../../support/net-engines.ts'

const owner = keyPair(700)
const fx = engineFixture('discovery committee', 720, [owner, owner])
afterEach(stopCluster)

/** Link timers short enough for a test. */
const FAST_LINKS = { backoffMinMs: 100, backoffMaxMs: 800, acceptWaitMs: 300, timeoutMs: 3_000 }

describe('discovery and the committee links', () => {
  it('members found by peer exchange link up, finalize, and are dialled again from the book', async () => {
    // The setup's own peer book stays empty for the links: discovery's is theirs.
    const s = {
      transport: 'memory' as const,
      committee: fx.committee,
      genesis: fx.genesis,
      links: FAST_LINKS,
      book: new MemoryPeerBook(),
    }
    const keys = fx.masternodes
    const first = await startMasternode(s, keys[0]!, { discovery: {} })
    const seed = first.host.getMultiaddrs()[0]!.toString()
    const restartKey = await generateKeyPair('Ed25519')
    const restartName = memoryName()
    const nodes: Masternode[] = [first]
    for (const [i, key] of keys.slice(1).entries())
      nodes.push(
        await startMasternode(s, key, {
          discovery: { addnode: [seed] },
          ...(i === 2 ? { privateKey: restartKey, memoryName: restartName } : {}),
        }),
      )
    await until(() => linked(nodes), 'the committee linked through discovery', 15_000)
    // Every member's book holds every other member by key.
    for (const n of nodes)
      for (const other of nodes)
        if (other !== n)
          expect(n.discovery!.book.addressesOf(other.key.publicKey).length).toBeGreaterThan(0)

    const coin = fx.coin(0)
    const payment = spend([coin], [{ to: owner, value: coin.value - 10n ** 6n }])
    await nodes[1]!.engine.submit(payment.tx)
    await until(
      () => nodes.every((n) => n.finalized.has(bytesToHex(payment.txid))),
      'the payment final everywhere',
    )

    // The last member restarts on the same identity and address, with no addnode and an empty
    // book: the others' links find it at the address in theirs.
    const gone = nodes[3]!
    await stopMasternode(gone)
    await until(
      () =>
        nodes.slice(0, 3).every((n) => n.links.state(gone.key.publicKey) !== LinkState.Connected),
      'the others see it gone',
    )
    const back = await startMasternode(s, gone.key, {
      store: new MemoryStore(),
      privateKey: restartKey,
      memoryName: restartName,
      discovery: {},
    })
    expect(back.discovery!.book.size).toBe(0)
    const again = [...nodes.slice(0, 3), back]
    await until(() => linked(again), 'the restarted member dialled from the books', 15_000)
    for (const n of again) expect(n.alarms).toEqual([])
  })
})
